// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Signed envelopes; see envelope.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "envelope.h"
#include "mpk.h"

#define LABEL_ENVELOPE	"ferry/v1 envelope"
#define TBS_LEN		(sizeof(LABEL_ENVELOPE) + 4 + 4 + 8 + 8 + 8 + 32)

enum { E_TYPE, E_ORIGIN, E_MIG, E_SEQ, E_TIME, E_BODY, E_SIG, E_NFIELDS };
static const struct ferry_mpk_field env_fields[E_NFIELDS] = {
	{ "type", FERRY_MPK_UINT, 0, 0xffffffffull },
	{ "origin", FERRY_MPK_UINT, 0, 0xffffffffull },
	{ "migration_id", FERRY_MPK_UINT, 0, ~0ull },
	{ "seq", FERRY_MPK_UINT, 0, ~0ull },
	{ "timestamp_ms", FERRY_MPK_UINT, 0, ~0ull },
	{ "body", FERRY_MPK_BIN, 0, FERRY_ENVELOPE_BODY_MAX },
	{ "signature", FERRY_MPK_BIN, 64, 64 },
};

static __u8 *put_be(__u8 *p, __u64 v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * (n - 1 - i));
	return p + n;
}

/* The bytes the signature covers. */
static void tbs(const struct ferry_envelope *e, __u8 out[TBS_LEN])
{
	__u8 *p = out;

	memcpy(p, LABEL_ENVELOPE, sizeof(LABEL_ENVELOPE));
	p += sizeof(LABEL_ENVELOPE);
	p = put_be(p, e->type, 4);
	p = put_be(p, e->origin, 4);
	p = put_be(p, e->migration_id, 8);
	p = put_be(p, e->seq, 8);
	p = put_be(p, e->timestamp_ms, 8);
	crypto_generichash(p, 32, e->body, e->body_len, NULL, 0);
}

int ferry_envelope_seal(const struct ferry_envelope *e, const struct ferry_identity *id,
			__u8 *out, size_t cap, size_t *outlen)
{
	__u8 in[TBS_LEN], sig[FERRY_WIRE_SIG_LEN];
	struct ferry_mpk_buf b;

	if (e->body_len > FERRY_ENVELOPE_BODY_MAX)
		return -EMSGSIZE;
	tbs(e, in);
	crypto_sign_detached(sig, NULL, in, sizeof(in), id->sk);
	ferry_mpk_init(&b, out, cap);
	ferry_mpk_put_map(&b, E_NFIELDS);
	ferry_mpk_put_uint(&b, E_TYPE);
	ferry_mpk_put_uint(&b, e->type);
	ferry_mpk_put_uint(&b, E_ORIGIN);
	ferry_mpk_put_uint(&b, e->origin);
	ferry_mpk_put_uint(&b, E_MIG);
	ferry_mpk_put_uint(&b, e->migration_id);
	ferry_mpk_put_uint(&b, E_SEQ);
	ferry_mpk_put_uint(&b, e->seq);
	ferry_mpk_put_uint(&b, E_TIME);
	ferry_mpk_put_uint(&b, e->timestamp_ms);
	ferry_mpk_put_uint(&b, E_BODY);
	ferry_mpk_put_bin(&b, e->body, e->body_len);
	ferry_mpk_put_uint(&b, E_SIG);
	ferry_mpk_put_bin(&b, sig, sizeof(sig));
	if (b.overflow)
		return -ENOBUFS;
	*outlen = b.len;
	return 0;
}

int ferry_envelope_open(const __u8 *buf, size_t len, const __u8 pk[FERRY_WIRE_KEY_LEN],
			struct ferry_envelope *e, char *err, size_t errlen)
{
	struct ferry_mpk_value v[E_NFIELDS];
	char why[FERRY_ENVELOPE_ERR_MAX];
	__u8 in[TBS_LEN];

	if (ferry_mpk_decode(buf, len, env_fields, E_NFIELDS, v, why, sizeof(why))) {
		snprintf(err, errlen, "envelope: %s", why);
		return -EBADMSG;
	}
	e->type = v[E_TYPE].u;
	e->origin = v[E_ORIGIN].u;
	e->migration_id = v[E_MIG].u;
	e->seq = v[E_SEQ].u;
	e->timestamp_ms = v[E_TIME].u;
	e->body = v[E_BODY].bin;
	e->body_len = v[E_BODY].len;
	tbs(e, in);
	if (crypto_sign_verify_detached(v[E_SIG].bin, in, sizeof(in), pk)) {
		snprintf(err, errlen, "envelope: signature does not verify (type %u "
			 "origin %u seq %llu)", e->type, e->origin,
			 (unsigned long long)e->seq);
		memset(e, 0, sizeof(*e));
		return -EACCES;
	}
	return 0;
}
