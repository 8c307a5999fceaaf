// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The handshake state machine; see handshake.h and docs/protocol.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "handshake.h"
#include "mpk.h"
#include "wireframe.h"

#define LABEL_TRANSCRIPT	"ferry/v1 transcript"
#define LABEL_INITIATOR		"ferry/v1 handshake initiator"
#define LABEL_RESPONDER		"ferry/v1 handshake responder"
#define LABEL_RESULT		"ferry/v1 handshake result"
#define LABEL_SESSION		"ferry/v1 session"
#define LABEL_I2R		"ferry/v1 initiator to responder"
#define LABEL_R2I		"ferry/v1 responder to initiator"

/* HELLO: the same schema both ways. */
enum { H_TYPE, H_VMIN, H_VMAX, H_ROLE, H_HOST, H_IDKEY, H_EPH, H_TIME,
       H_NONCE, H_NFIELDS };
static const struct ferry_mpk_field hello_fields[H_NFIELDS] = {
	{ "type", FERRY_MPK_UINT, 0, FERRY_MSG_MAX },
	{ "version_min", FERRY_MPK_UINT, 0, 0xffff },
	{ "version_max", FERRY_MPK_UINT, 0, 0xffff },
	{ "role", FERRY_MPK_UINT, 0, 0xff },
	{ "host_id", FERRY_MPK_UINT, 0, 0xffffffffull },
	{ "identity_key", FERRY_MPK_BIN, 32, 32 },
	{ "ephemeral_key", FERRY_MPK_BIN, 32, 32 },
	{ "timestamp_ms", FERRY_MPK_UINT, 0, ~0ull },
	{ "nonce", FERRY_MPK_BIN, FERRY_WIRE_NONCE_LEN, FERRY_WIRE_NONCE_LEN },
};

enum { A_TYPE, A_SIG, A_NFIELDS };
static const struct ferry_mpk_field auth_fields[A_NFIELDS] = {
	{ "type", FERRY_MPK_UINT, 0, FERRY_MSG_MAX },
	{ "signature", FERRY_MPK_BIN, 64, 64 },
};

enum { R_TYPE, R_REASON, R_SIG, R_NFIELDS };
static const struct ferry_mpk_field result_fields[R_NFIELDS] = {
	{ "type", FERRY_MPK_UINT, 0, FERRY_MSG_MAX },
	{ "reason", FERRY_MPK_UINT, 0, 0xff },
	{ "signature", FERRY_MPK_BIN, 64, 64 },
};

static const char *const reason_names[] = {
	[FERRY_REASON_OK] = "ok",
	[FERRY_REASON_MALFORMED] = "malformed message",
	[FERRY_REASON_VERSION] = "no common protocol version",
	[FERRY_REASON_SKEW] = "clock skew too large",
	[FERRY_REASON_BAD_SIGNATURE] = "bad signature",
	[FERRY_REASON_UNKNOWN_KEY] = "unknown key",
	[FERRY_REASON_ROLE] = "role not allowed",
	[FERRY_REASON_HOST_ID] = "host id not allowed",
	[FERRY_REASON_ADDRESS] = "source address not allowed",
	[FERRY_REASON_LIMIT] = "resource limit",
	[FERRY_REASON_PROTOCOL] = "protocol violation",
	[FERRY_REASON_INTERNAL] = "internal error",
};

const char *ferry_wire_reason_name(int reason)
{
	if (reason < 0 || reason > FERRY_WIRE_REASON_MAX)
		return "unknown reason";
	return reason_names[reason];
}

const char *ferry_role_name(int role)
{
	switch (role) {
	case FERRY_ROLE_SOA:
		return "soa";
	case FERRY_ROLE_TDE:
		return "tde";
	case FERRY_ROLE_SOM:
		return "som";
	default:
		return "unknown";
	}
}

static int hs_fail(struct ferry_hs *hs, int ret, int reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int hs_fail(struct ferry_hs *hs, int ret, int reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hs->err, sizeof(hs->err), fmt, ap);
	va_end(ap);
	hs->reason = reason;
	hs->state = FERRY_HS_FAILED;
	return ret;
}

static __u64 now_ms(const struct ferry_hs *hs)
{
	struct timespec ts;

	if (hs->cfg.now_ms)
		return hs->cfg.now_ms(hs->cfg.ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void get_random(const struct ferry_hs *hs, void *buf, size_t len)
{
	if (hs->cfg.random)
		hs->cfg.random(hs->cfg.ctx, buf, len);
	else
		randombytes_buf(buf, len);
}

/*
 * Add a message (4-byte big-endian length, body) to the transcript. The
 * room is there: at most four messages, each checked against
 * FERRY_WIRE_HS_FRAME_MAX on its way in or out.
 */
static void th_add(struct ferry_hs *hs, const __u8 *body, size_t len)
{
	if (hs->th_len + FERRY_WIRE_HDR_LEN + len > sizeof(hs->th))
		return;
	ferry_frame_put_header(hs->th + hs->th_len, len);
	memcpy(hs->th + hs->th_len + FERRY_WIRE_HDR_LEN, body, len);
	hs->th_len += FERRY_WIRE_HDR_LEN + len;
}

/* The transcript hash so far. */
static void th_now(const struct ferry_hs *hs, __u8 out[FERRY_WIRE_HASH_LEN])
{
	crypto_generichash(out, FERRY_WIRE_HASH_LEN, hs->th, hs->th_len, NULL, 0);
}

/* label || 0x00 || th [|| reason]: what a handshake signature covers. */
static size_t sig_input(__u8 *buf, const char *label, const __u8 *th,
			int reason)
{
	size_t n = strlen(label) + 1;

	memcpy(buf, label, n);
	memcpy(buf + n, th, FERRY_WIRE_HASH_LEN);
	n += FERRY_WIRE_HASH_LEN;
	if (reason >= 0)
		buf[n++] = reason;
	return n;
}

static void sign_th(const struct ferry_hs *hs, const char *label, int reason,
		    __u8 sig[FERRY_WIRE_SIG_LEN])
{
	__u8 th[FERRY_WIRE_HASH_LEN], in[96];
	size_t n;

	th_now(hs, th);
	n = sig_input(in, label, th, reason);
	crypto_sign_detached(sig, NULL, in, n, hs->cfg.id->sk);
}

static int verify_th(const struct ferry_hs *hs, const char *label, int reason,
		     const __u8 *sig, const __u8 *pk)
{
	__u8 th[FERRY_WIRE_HASH_LEN], in[96];
	size_t n;

	th_now(hs, th);
	n = sig_input(in, label, th, reason);
	return crypto_sign_verify_detached(sig, in, n, pk) ? -EACCES : 0;
}

/* Queue a frame; add it to the transcript unless it is a RESULT. */
static int queue(struct ferry_hs *hs, struct ferry_mpk_buf *b, bool transcript)
{
	if (b->overflow || hs->out_len + FERRY_WIRE_HDR_LEN + b->len > sizeof(hs->out))
		return hs_fail(hs, -ENOBUFS, FERRY_REASON_INTERNAL,
			       "handshake output overflow");
	ferry_frame_put_header(hs->out + hs->out_len, b->len);
	memcpy(hs->out + hs->out_len + FERRY_WIRE_HDR_LEN, b->p, b->len);
	hs->out_len += FERRY_WIRE_HDR_LEN + b->len;
	if (transcript)
		th_add(hs, b->p, b->len);
	return 0;
}

static int send_hello(struct ferry_hs *hs, __u32 vmin, __u32 vmax)
{
	__u8 buf[256], nonce[FERRY_WIRE_NONCE_LEN];
	struct ferry_mpk_buf b;

	/* the ephemeral secret key was drawn already */
	crypto_scalarmult_base(hs->eph_pk, hs->eph_sk);
	get_random(hs, nonce, sizeof(nonce));
	ferry_mpk_init(&b, buf, sizeof(buf));
	ferry_mpk_put_map(&b, H_NFIELDS);
	ferry_mpk_put_uint(&b, H_TYPE);
	ferry_mpk_put_uint(&b, FERRY_MSG_HELLO);
	ferry_mpk_put_uint(&b, H_VMIN);
	ferry_mpk_put_uint(&b, vmin);
	ferry_mpk_put_uint(&b, H_VMAX);
	ferry_mpk_put_uint(&b, vmax);
	ferry_mpk_put_uint(&b, H_ROLE);
	ferry_mpk_put_uint(&b, hs->cfg.role);
	ferry_mpk_put_uint(&b, H_HOST);
	ferry_mpk_put_uint(&b, hs->cfg.host_id);
	ferry_mpk_put_uint(&b, H_IDKEY);
	ferry_mpk_put_bin(&b, hs->cfg.id->pk, FERRY_WIRE_KEY_LEN);
	ferry_mpk_put_uint(&b, H_EPH);
	ferry_mpk_put_bin(&b, hs->eph_pk, FERRY_WIRE_KEY_LEN);
	ferry_mpk_put_uint(&b, H_TIME);
	ferry_mpk_put_uint(&b, now_ms(hs));
	ferry_mpk_put_uint(&b, H_NONCE);
	ferry_mpk_put_bin(&b, nonce, sizeof(nonce));
	return queue(hs, &b, true);
}

static int send_auth(struct ferry_hs *hs, const char *label)
{
	__u8 buf[96], sig[FERRY_WIRE_SIG_LEN];
	struct ferry_mpk_buf b;

	sign_th(hs, label, -1, sig);
	ferry_mpk_init(&b, buf, sizeof(buf));
	ferry_mpk_put_map(&b, A_NFIELDS);
	ferry_mpk_put_uint(&b, A_TYPE);
	ferry_mpk_put_uint(&b, FERRY_MSG_AUTH);
	ferry_mpk_put_uint(&b, A_SIG);
	ferry_mpk_put_bin(&b, sig, sizeof(sig));
	return queue(hs, &b, true);
}

/* Responder: a signed RESULT over the transcript so far. */
static int send_result(struct ferry_hs *hs, int reason)
{
	__u8 buf[96], sig[FERRY_WIRE_SIG_LEN];
	struct ferry_mpk_buf b;

	sign_th(hs, LABEL_RESULT, reason, sig);
	ferry_mpk_init(&b, buf, sizeof(buf));
	ferry_mpk_put_map(&b, R_NFIELDS);
	ferry_mpk_put_uint(&b, R_TYPE);
	ferry_mpk_put_uint(&b, FERRY_MSG_RESULT);
	ferry_mpk_put_uint(&b, R_REASON);
	ferry_mpk_put_uint(&b, reason);
	ferry_mpk_put_uint(&b, R_SIG);
	ferry_mpk_put_bin(&b, sig, sizeof(sig));
	return queue(hs, &b, false);
}

/* Responder: fail, with a signed refusal queued for the peer. */
static int refuse(struct ferry_hs *hs, int ret, int reason, const char *msg)
{
	send_result(hs, reason);
	return hs_fail(hs, ret, reason, "refused (%s): %s",
		       ferry_wire_reason_name(reason), msg);
}

/* Whether a message is a RESULT (its keys may come in any order). */
static bool is_result(const __u8 *body, size_t len)
{
	struct ferry_mpk_value v[R_NFIELDS];

	return !ferry_mpk_decode(body, len, result_fields, R_NFIELDS, v, NULL, 0) &&
	       v[R_TYPE].u == FERRY_MSG_RESULT;
}

static void derive_keys(struct ferry_hs *hs)
{
	__u8 shared[32], master[32], in[64];
	__u8 *i2r, *r2i;
	size_t n;

	/* checked non-zero when the peer's HELLO came in */
	if (crypto_scalarmult(shared, hs->eph_sk, hs->peer_eph))
		memset(shared, 0, sizeof(shared));
	th_now(hs, hs->keys.th);
	n = sig_input(in, LABEL_SESSION, hs->keys.th, -1);
	crypto_generichash(master, sizeof(master), in, n, shared, sizeof(shared));
	i2r = hs->initiator ? hs->keys.tx : hs->keys.rx;
	r2i = hs->initiator ? hs->keys.rx : hs->keys.tx;
	crypto_generichash(i2r, 32, (const __u8 *)LABEL_I2R, sizeof(LABEL_I2R),
			   master, sizeof(master));
	crypto_generichash(r2i, 32, (const __u8 *)LABEL_R2I, sizeof(LABEL_R2I),
			   master, sizeof(master));
	hs->keys.version = hs->version;
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(master, sizeof(master));
	sodium_memzero(hs->eph_sk, sizeof(hs->eph_sk));
	hs->state = FERRY_HS_DONE;
}

static __u64 absdiff(__u64 a, __u64 b)
{
	return a > b ? a - b : b - a;
}

/* Decode a HELLO into hs->peer and hs->peer_eph; a reason on failure. */
static int take_hello(struct ferry_hs *hs, const __u8 *body, size_t len,
		      char *why, size_t whylen)
{
	struct ferry_mpk_value v[H_NFIELDS];
	__u8 shared[32];
	__u64 now;

	if (ferry_mpk_decode(body, len, hello_fields, H_NFIELDS, v, why, whylen))
		return FERRY_REASON_MALFORMED;
	if (v[H_TYPE].u != FERRY_MSG_HELLO) {
		snprintf(why, whylen, "message type %llu, expected HELLO",
			 (unsigned long long)v[H_TYPE].u);
		return FERRY_REASON_PROTOCOL;
	}
	hs->peer.version_min = v[H_VMIN].u;
	hs->peer.version_max = v[H_VMAX].u;
	hs->peer.role = v[H_ROLE].u;
	hs->peer.host_id = v[H_HOST].u;
	hs->peer.timestamp_ms = v[H_TIME].u;
	memcpy(hs->peer.pk, v[H_IDKEY].bin, FERRY_WIRE_KEY_LEN);
	memcpy(hs->peer_eph, v[H_EPH].bin, FERRY_WIRE_KEY_LEN);
	if (hs->peer.version_min > hs->peer.version_max) {
		snprintf(why, whylen, "version range %u..%u is empty",
			 hs->peer.version_min, hs->peer.version_max);
		return FERRY_REASON_MALFORMED;
	}
	/* a low-order ephemeral key gives an all-zero secret */
	if (crypto_scalarmult(shared, hs->eph_sk, hs->peer_eph)) {
		snprintf(why, whylen, "ephemeral_key is a low-order point");
		return FERRY_REASON_MALFORMED;
	}
	sodium_memzero(shared, sizeof(shared));
	now = now_ms(hs);
	if (absdiff(now, hs->peer.timestamp_ms) > hs->cfg.max_skew_ms) {
		snprintf(why, whylen, "timestamp %llu is %lld ms from ours (limit %llu)",
			 (unsigned long long)hs->peer.timestamp_ms,
			 (long long)(hs->peer.timestamp_ms - now),
			 (unsigned long long)hs->cfg.max_skew_ms);
		return FERRY_REASON_SKEW;
	}
	return FERRY_REASON_OK;
}

static int reason_errno(int reason)
{
	switch (reason) {
	case FERRY_REASON_MALFORMED:
		return -EBADMSG;
	case FERRY_REASON_PROTOCOL:
		return -EPROTO;
	case FERRY_REASON_VERSION:
		return -EPROTONOSUPPORT;
	case FERRY_REASON_SKEW:
		return -ETIME;
	default:
		return -EACCES;
	}
}

/* Responder: the initiator's HELLO. */
static int r_hello(struct ferry_hs *hs, const __u8 *body, size_t len)
{
	char why[FERRY_HS_ERR_MAX] = "";
	__u32 lo, hi;
	int reason, ret;

	/* our ephemeral key first: take_hello checks the peer's against it */
	get_random(hs, hs->eph_sk, sizeof(hs->eph_sk));
	th_add(hs, body, len);
	reason = take_hello(hs, body, len, why, sizeof(why));
	if (reason)
		return refuse(hs, reason_errno(reason), reason, why);
	lo = hs->peer.version_min > hs->cfg.version_min ?
	     hs->peer.version_min : hs->cfg.version_min;
	hi = hs->peer.version_max < hs->cfg.version_max ?
	     hs->peer.version_max : hs->cfg.version_max;
	if (lo > hi) {
		snprintf(why, sizeof(why), "peer speaks %u..%u, we speak %u..%u",
			 hs->peer.version_min, hs->peer.version_max,
			 hs->cfg.version_min, hs->cfg.version_max);
		return refuse(hs, -EPROTONOSUPPORT, FERRY_REASON_VERSION, why);
	}
	if (hs->peer.role != FERRY_ROLE_SOA && hs->peer.role != FERRY_ROLE_TDE) {
		snprintf(why, sizeof(why), "role %u is not soa or tde", hs->peer.role);
		return refuse(hs, -EACCES, FERRY_REASON_ROLE, why);
	}
	reason = hs->cfg.authorize(hs->cfg.ctx, &hs->peer, why, sizeof(why));
	if (reason)
		return refuse(hs, -EACCES, reason, why[0] ? why : "not authorized");
	hs->version = hi;
	ret = send_hello(hs, hi, hi);
	if (ret)
		return ret;
	ret = send_auth(hs, LABEL_RESPONDER);
	if (ret)
		return ret;
	hs->state = FERRY_HS_R_WAIT_AUTH;
	return 0;
}

/* Responder: the initiator's AUTH. */
static int r_auth(struct ferry_hs *hs, const __u8 *body, size_t len)
{
	struct ferry_mpk_value v[A_NFIELDS];
	char why[FERRY_HS_ERR_MAX];
	int ret;

	if (ferry_mpk_decode(body, len, auth_fields, A_NFIELDS, v, why, sizeof(why))) {
		th_add(hs, body, len);
		return refuse(hs, -EBADMSG, FERRY_REASON_MALFORMED, why);
	}
	if (v[A_TYPE].u != FERRY_MSG_AUTH) {
		th_add(hs, body, len);
		return refuse(hs, -EPROTO, FERRY_REASON_PROTOCOL,
			      "expected AUTH");
	}
	/* the signature covers m1..m3; then m4 joins the transcript */
	ret = verify_th(hs, LABEL_INITIATOR, -1, v[A_SIG].bin, hs->peer.pk);
	th_add(hs, body, len);
	if (ret)
		return refuse(hs, -EACCES, FERRY_REASON_BAD_SIGNATURE,
			      "initiator's transcript signature does not verify");
	ret = send_result(hs, FERRY_REASON_OK);
	if (ret)
		return ret;
	derive_keys(hs);
	return 1;
}

/* Initiator: a RESULT, in place of HELLO or as the last message. */
static int i_result(struct ferry_hs *hs, const __u8 *body, size_t len)
{
	struct ferry_mpk_value v[R_NFIELDS];
	char why[FERRY_HS_ERR_MAX];
	int reason;

	if (ferry_mpk_decode(body, len, result_fields, R_NFIELDS, v, why, sizeof(why)))
		return hs_fail(hs, -EBADMSG, FERRY_REASON_MALFORMED, "RESULT: %s", why);
	if (v[R_TYPE].u != FERRY_MSG_RESULT)
		return hs_fail(hs, -EPROTO, FERRY_REASON_PROTOCOL,
			       "message type %llu, expected RESULT",
			       (unsigned long long)v[R_TYPE].u);
	reason = v[R_REASON].u;
	if (verify_th(hs, LABEL_RESULT, reason, v[R_SIG].bin, hs->cfg.pinned_pk))
		return hs_fail(hs, -EACCES, FERRY_REASON_BAD_SIGNATURE,
			       "RESULT (%s) with a signature that does not verify",
			       ferry_wire_reason_name(reason));
	if (reason != FERRY_REASON_OK)
		return hs_fail(hs, -EACCES, reason, "refused by the responder: %s (%d)",
			       ferry_wire_reason_name(reason), reason);
	if (hs->state != FERRY_HS_I_WAIT_RESULT)
		return hs_fail(hs, -EPROTO, FERRY_REASON_PROTOCOL,
			       "RESULT accept before the handshake was complete");
	derive_keys(hs);
	return 1;
}

/* Initiator: the responder's HELLO. */
static int i_hello(struct ferry_hs *hs, const __u8 *body, size_t len)
{
	char why[FERRY_HS_ERR_MAX] = "";
	int reason;

	reason = take_hello(hs, body, len, why, sizeof(why));
	if (reason)
		return hs_fail(hs, reason_errno(reason), reason, "responder's HELLO: %s",
			       why);
	if (sodium_memcmp(hs->peer.pk, hs->cfg.pinned_pk, FERRY_WIRE_KEY_LEN))
		return hs_fail(hs, -EACCES, FERRY_REASON_UNKNOWN_KEY,
			       "responder's identity key is not the pinned key");
	if (hs->peer.role != FERRY_ROLE_SOM)
		return hs_fail(hs, -EACCES, FERRY_REASON_ROLE,
			       "responder's role is %u, not som", hs->peer.role);
	if (hs->peer.version_min != hs->peer.version_max ||
	    hs->peer.version_min < hs->cfg.version_min ||
	    hs->peer.version_max > hs->cfg.version_max)
		return hs_fail(hs, -EPROTONOSUPPORT, FERRY_REASON_VERSION,
			       "responder chose version %u..%u, we offered %u..%u",
			       hs->peer.version_min, hs->peer.version_max,
			       hs->cfg.version_min, hs->cfg.version_max);
	hs->version = hs->peer.version_max;
	th_add(hs, body, len);
	hs->state = FERRY_HS_I_WAIT_AUTH;
	return 0;
}

/* Initiator: the responder's AUTH; answer with ours. */
static int i_auth(struct ferry_hs *hs, const __u8 *body, size_t len)
{
	struct ferry_mpk_value v[A_NFIELDS];
	char why[FERRY_HS_ERR_MAX];
	int ret;

	if (ferry_mpk_decode(body, len, auth_fields, A_NFIELDS, v, why, sizeof(why)))
		return hs_fail(hs, -EBADMSG, FERRY_REASON_MALFORMED, "AUTH: %s", why);
	if (v[A_TYPE].u != FERRY_MSG_AUTH)
		return hs_fail(hs, -EPROTO, FERRY_REASON_PROTOCOL, "expected AUTH");
	if (verify_th(hs, LABEL_RESPONDER, -1, v[A_SIG].bin, hs->cfg.pinned_pk))
		return hs_fail(hs, -EACCES, FERRY_REASON_BAD_SIGNATURE,
			       "responder's transcript signature does not verify");
	th_add(hs, body, len);
	ret = send_auth(hs, LABEL_INITIATOR);
	if (ret)
		return ret;
	hs->state = FERRY_HS_I_WAIT_RESULT;
	return 0;
}

int ferry_hs_recv(struct ferry_hs *hs, const __u8 *body, size_t len)
{
	if (len > FERRY_WIRE_HS_FRAME_MAX && hs->state != FERRY_HS_FAILED) {
		if (hs->initiator)
			return hs_fail(hs, -EMSGSIZE, FERRY_REASON_LIMIT,
				       "handshake message of %zu bytes", len);
		return refuse(hs, -EMSGSIZE, FERRY_REASON_LIMIT,
			      "handshake message over the size limit");
	}
	switch (hs->state) {
	case FERRY_HS_R_WAIT_HELLO:
		return r_hello(hs, body, len);
	case FERRY_HS_R_WAIT_AUTH:
		return r_auth(hs, body, len);
	case FERRY_HS_I_WAIT_HELLO:
		if (is_result(body, len))
			return i_result(hs, body, len);
		return i_hello(hs, body, len);
	case FERRY_HS_I_WAIT_AUTH:
		return i_auth(hs, body, len);
	case FERRY_HS_I_WAIT_RESULT:
		return i_result(hs, body, len);
	case FERRY_HS_DONE:
		return hs_fail(hs, -EPROTO, FERRY_REASON_PROTOCOL,
			       "handshake message after the handshake");
	default:
		return -EPROTO;
	}
}

int ferry_hs_init(struct ferry_hs *hs, const struct ferry_hs_config *cfg,
		  bool initiator)
{
	memset(hs, 0, sizeof(*hs));
	hs->cfg = *cfg;
	hs->initiator = initiator;
	if (!hs->cfg.version_min && !hs->cfg.version_max) {
		hs->cfg.version_min = FERRY_WIRE_VERSION_MIN;
		hs->cfg.version_max = FERRY_WIRE_VERSION_MAX;
	}
	if (!hs->cfg.max_skew_ms)
		hs->cfg.max_skew_ms = FERRY_WIRE_MAX_SKEW_MS;
	if (ferry_crypto_init())
		return hs_fail(hs, -EIO, FERRY_REASON_INTERNAL, "libsodium init failed");
	if (!cfg->id || hs->cfg.version_min > hs->cfg.version_max ||
	    (initiator && !cfg->pinned_pk) || (!initiator && !cfg->authorize))
		return hs_fail(hs, -EINVAL, FERRY_REASON_INTERNAL,
			       "bad handshake configuration");
	memcpy(hs->th, LABEL_TRANSCRIPT, sizeof(LABEL_TRANSCRIPT));
	hs->th_len = sizeof(LABEL_TRANSCRIPT);
	if (!initiator) {
		hs->state = FERRY_HS_R_WAIT_HELLO;
		return 0;
	}
	hs->state = FERRY_HS_I_WAIT_HELLO;
	get_random(hs, hs->eph_sk, sizeof(hs->eph_sk));
	return send_hello(hs, hs->cfg.version_min, hs->cfg.version_max);
}

const __u8 *ferry_hs_output(const struct ferry_hs *hs, size_t *len)
{
	*len = hs->out_len - hs->out_off;
	return hs->out + hs->out_off;
}

void ferry_hs_output_done(struct ferry_hs *hs, size_t n)
{
	hs->out_off += n;
	if (hs->out_off >= hs->out_len)
		hs->out_off = hs->out_len = 0;
}

bool ferry_hs_done(const struct ferry_hs *hs)
{
	return hs->state == FERRY_HS_DONE;
}

int ferry_hs_keys(const struct ferry_hs *hs, struct ferry_session_keys *keys)
{
	if (hs->state != FERRY_HS_DONE)
		return -EAGAIN;
	*keys = hs->keys;
	return 0;
}

const struct ferry_hs_peer *ferry_hs_peer(const struct ferry_hs *hs)
{
	return &hs->peer;
}

const char *ferry_hs_error(const struct ferry_hs *hs)
{
	return hs->err;
}

int ferry_hs_reason(const struct ferry_hs *hs)
{
	return hs->reason;
}

void ferry_hs_wipe(struct ferry_hs *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}
