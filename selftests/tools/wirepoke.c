// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * wirepoke: a test client of the SOM that is sometimes honest and often
 * not. Honest modes use the library's session (register, notify,
 * heartbeat storms); attacking modes use a handshake written here from
 * docs/protocol.md, so that any byte can be flipped in transit, and raw
 * sockets for garbage, oversize frames, replays, slow senders and floods.
 * It prints one line saying what the SOM did; the tests compare it.
 *
 *   wirepoke --connect ADDR:PORT [--bind ADDR] --key FILE --som-key B64
 *            --role soa|tde|N --host-id N [--version MIN:MAX] MODE ...
 *   register [--name N] [--addr A]... [--hold-ms N] [--record FILE]
 *   notify --from H --to H [--vm NAME] [--zone Z] [--vm-addr A]
 *   mig TYPE [--register] [--id HEX]   one migration message (a 1-byte
 *                           payload where one is carried; id 0 by default), after REGISTER
 *                           if asked: "kept open" or what the SOM did
 *   storm N                 N heartbeats at once after registering
 *   oversize-after          a frame header over 1 MiB after the handshake
 *   partial-after           3 bytes of a frame after the handshake, held
 *   hs [--flip hello:K|auth:K] [--old-ms N]   hand-written handshake
 *   replay FILE | replay-hello FILE | garbage HEX | oversize | partial
 *   flood N HOLD_MS         N connections that say nothing, held
 *   handshakes N            N honest handshakes in a row: the rate
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sodium.h>
#include "identity.h"
#include "mpk.h"
#include "somproto.h"
#include "wiresession.h"

#define LABEL_TRANSCRIPT	"ferry/v1 transcript"
#define LABEL_INITIATOR		"ferry/v1 handshake initiator"
#define LABEL_RESULT		"ferry/v1 handshake result"

static struct {
	struct sockaddr_storage peer, bind;
	bool has_bind;
	struct ferry_identity id;
	__u8 som_pk[32];
	__u8 role;
	__u32 host_id;
	__u32 vmin, vmax;
	int timeout_ms;
} o = { .role = FERRY_ROLE_SOA, .vmin = 1, .vmax = 1, .timeout_ms = 8000 };

static void die(const char *what)
{
	printf("error: %s\n", what);
	exit(2);
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

static int parse_sockaddr(const char *s, struct sockaddr_storage *ss, bool port)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;
	char buf[128], *p = NULL, *h = buf;

	memset(ss, 0, sizeof(*ss));
	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[0] == '[') {
		h++;
		p = strchr(buf, ']');
		if (!p)
			return -1;
		*p++ = '\0';
		p = *p == ':' ? p + 1 : NULL;
	} else if (port) {
		p = strrchr(buf, ':');
		if (p)
			*p++ = '\0';
	}
	if (inet_pton(AF_INET, h, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p ? (__u16)atoi(p) : 0);
	} else if (inet_pton(AF_INET6, h, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p ? (__u16)atoi(p) : 0);
	} else {
		return -1;
	}
	return 0;
}

static socklen_t sslen(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);
}

static int dial(bool nonblock)
{
	int fd = socket(o.peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
			(nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		die("socket");
	if (o.has_bind && bind(fd, (struct sockaddr *)&o.bind, sslen(&o.bind)))
		die("bind");
	if (connect(fd, (struct sockaddr *)&o.peer, sslen(&o.peer)) &&
	    !(nonblock && errno == EINPROGRESS)) {
		printf("error: connect: %s\n", strerror(errno));
		exit(2);
	}
	return fd;
}

static void send_all(int fd, const void *p, size_t len)
{
	const __u8 *b = p;
	ssize_t n;

	while (len) {
		n = send(fd, b, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;	/* the SOM may have closed: we read why */
		b += n;
		len -= (size_t)n;
	}
}

/* Read up to len bytes within the timeout: count, 0 at EOF, -1 timeout. */
static ssize_t read_some(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	n = recv(fd, buf, len, 0);
	return n < 0 ? 0 : n;	/* a reset is an end too */
}

/* ---- honest sessions ------------------------------------------------------ */

struct honest {
	int fd;
	struct ferry_session s;
	FILE *record;
	bool registered;
	struct ferry_registered reg;
};

static int on_msg(void *ctx, __u8 type, const __u8 *msg, size_t len)
{
	struct honest *h = ctx;
	char err[256];

	if (type == FERRY_MSG_REGISTERED &&
	    !ferry_registered_decode(msg, len, &h->reg, err, sizeof(err)))
		h->registered = true;
	return 0;
}

static void flush(struct honest *h)
{
	const __u8 *p;
	size_t len;

	p = ferry_session_output(&h->s, &len);
	if (!len)
		return;
	if (h->record)
		fwrite(p, 1, len, h->record);
	send_all(h->fd, p, len);
	ferry_session_output_done(&h->s, len);
}

/* Pump until done(h) or the end: 0, or the session's error printed. */
static int pump(struct honest *h, bool (*done)(struct honest *h), int timeout_ms)
{
	__u8 buf[65536];
	ssize_t n;
	int ret;

	for (;;) {
		flush(h);
		if (done && done(h))
			return 0;
		n = read_some(h->fd, buf, sizeof(buf), timeout_ms);
		if (n < 0) {
			if (!done)
				return 0;
			printf("timeout\n");
			return 1;
		}
		ret = n == 0 ? (ferry_session_eof(&h->s) ?: 1) :
			       ferry_session_feed(&h->s, buf, (size_t)n, on_msg, h);
		if (ret) {
			flush(h);
			if (ret == 1 && !done && !ferry_session_reason(&h->s))
				return 0;
			if (ret == 1)
				printf("closed by the SOM: %s\n",
				       ferry_wire_reason_name(ferry_session_reason(&h->s)));
			else
				printf("refused: %s\n", ferry_session_error(&h->s));
			return 1;
		}
	}
}

static bool is_up(struct honest *h)
{
	return ferry_session_up(&h->s);
}

static bool is_registered(struct honest *h)
{
	return h->registered;
}

static int honest_start(struct honest *h, const char *record)
{
	struct ferry_hs_config cfg = {
		.id = &o.id, .role = o.role, .host_id = o.host_id,
		.version_min = o.vmin, .version_max = o.vmax,
		.pinned_pk = o.som_pk,
	};

	memset(h, 0, sizeof(*h));
	if (record && !(h->record = fopen(record, "w")))
		die("record file");
	h->fd = dial(false);
	if (ferry_session_init(&h->s, &cfg, true))
		die("session init");
	return pump(h, is_up, o.timeout_ms);
}

static void end(struct honest *h)
{
	ferry_session_close(&h->s, FERRY_REASON_OK);
	flush(h);
	pump(h, NULL, 1000);
	if (h->record)
		fclose(h->record);
	close(h->fd);
}

static int send_register(struct honest *h, const struct ferry_host_profile *p)
{
	__u8 buf[FERRY_SOMPROTO_MSG_MAX];
	int len = ferry_register_encode(p, buf, sizeof(buf));

	if (len < 0)
		die("register encode");
	ferry_session_send(&h->s, FERRY_MSG_REGISTER, buf, (size_t)len);
	return pump(h, is_registered, o.timeout_ms);
}

static void wire_addr(const char *s, struct ferry_wire_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, s, a->addr) == 1)
		a->family = 6;
	else
		die("bad address");
}

static void heartbeat(struct honest *h, __u64 load)
{
	struct ferry_heartbeat hb = { .load = load };
	__u8 buf[64];
	int len = ferry_heartbeat_encode(&hb, buf, sizeof(buf));

	ferry_session_send(&h->s, FERRY_MSG_HEARTBEAT, buf, (size_t)len);
	flush(h);
}

static int mode_register(int argc, char **argv)
{
	struct ferry_host_profile p = {
		.host_id = o.host_id, .functions = FERRY_FN_FIREWALL,
		.schema_min = 1, .schema_max = 1, .capacity = 4096,
	};
	const char *record = NULL;
	int i, hold = 0, ret;
	struct honest h;
	__u64 until;

	snprintf(p.name, sizeof(p.name), "poke%u", o.host_id);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc)
			snprintf(p.name, sizeof(p.name), "%s", argv[++i]);
		else if (!strcmp(argv[i], "--addr") && i + 1 < argc &&
			 p.naddrs < FERRY_WIRE_HOST_ADDRS_MAX)
			wire_addr(argv[++i], &p.addrs[p.naddrs++]);
		else if (!strcmp(argv[i], "--hold-ms") && i + 1 < argc)
			hold = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--record") && i + 1 < argc)
			record = argv[++i];
		else
			die("register: unknown option");
	}
	if (!p.naddrs)
		wire_addr("198.18.0.1", &p.addrs[p.naddrs++]);
	ret = honest_start(&h, record) ?: send_register(&h, &p);
	if (ret)
		return 1;
	printf("registered host %u (heartbeat %u ms, lost %u ms)\n", h.reg.host_id,
	       h.reg.heartbeat_ms, h.reg.lost_ms);
	fflush(stdout);
	for (until = now_ms() + (__u64)hold; now_ms() < until;) {
		heartbeat(&h, 7);
		if (pump(&h, NULL, (int)(h.reg.heartbeat_ms / 2)) ||
		    ferry_session_reason(&h.s))
			return 1;
	}
	end(&h);
	return 0;
}

static int mode_notify(int argc, char **argv)
{
	struct ferry_notify n = { .reason = 3, .time_ms = now_ms() };
	__u8 buf[FERRY_SOMPROTO_MSG_MAX];
	struct honest h;
	int i, len;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc)
			n.from_host = (__u32)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			n.to_host = (__u32)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--vm") && i + 1 < argc)
			snprintf(n.vm, sizeof(n.vm), "%s", argv[++i]);
		else if (!strcmp(argv[i], "--zone") && i + 1 < argc)
			n.zone = (__u32)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--vm-addr") && i + 1 < argc &&
			 n.naddrs < FERRY_WIRE_VM_ADDRS_MAX)
			wire_addr(argv[++i], &n.addrs[n.naddrs++]);
		else
			die("notify: unknown option");
	}
	/* encoded without the decoder's checks: a test may send a bad one */
	len = ferry_notify_encode(&n, buf, sizeof(buf));
	if (len < 0 || honest_start(&h, NULL))
		return 1;
	ferry_session_send(&h.s, FERRY_MSG_NOTIFY, buf, (size_t)len);
	flush(&h);
	ferry_session_close(&h.s, FERRY_REASON_OK);
	if (pump(&h, NULL, o.timeout_ms) == 0 && ferry_session_reason(&h.s) == 0)
		printf("notified\n");
	return 0;
}

static int mode_mig(int argc, char **argv)
{
	struct ferry_host_profile p = {
		.host_id = o.host_id, .functions = FERRY_FN_FIREWALL,
		.schema_min = 1, .schema_max = 1, .capacity = 4096, .naddrs = 1,
	};
	static const __u8 one = 1;
	struct ferry_migmsg m = { .env = &one, .env_len = 1, .reason = 1 };
	__u8 buf[256];
	bool reg = false;
	struct honest h;
	unsigned int b;
	int i, j, len;

	if (argc < 2)
		die("mig: TYPE");
	m.type = (__u8)atoi(argv[1]);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--register")) {
			reg = true;
		} else if (!strcmp(argv[i], "--id") && i + 1 < argc &&
			   strlen(argv[i + 1]) == 2 * FERRY_MIGMSG_ID_LEN) {
			for (j = 0, i++; j < FERRY_MIGMSG_ID_LEN; j++) {
				if (sscanf(argv[i] + 2 * j, "%2x", &b) != 1)
					die("mig: --id: not hex");
				m.id[j] = (__u8)b;
			}
		} else {
			die("mig: unknown option");
		}
	}
	if (m.type == FERRY_MSG_DONE)
		m.reason = 0;
	snprintf(p.name, sizeof(p.name), "poke%u", o.host_id);
	wire_addr("198.18.0.1", &p.addrs[0]);
	len = ferry_migmsg_encode(&m, buf, sizeof(buf));
	if (len < 0 || honest_start(&h, NULL))
		return 1;
	if (reg && send_register(&h, &p))
		return 1;
	ferry_session_send(&h.s, m.type, buf, (size_t)len);
	flush(&h);
	if (pump(&h, NULL, 1000))
		return 1;
	printf("kept open\n");
	end(&h);
	return 0;
}

/* N heartbeats at once: the frame-rate limit should close us. */
static int mode_storm(int argc, char **argv)
{
	struct ferry_host_profile p = {
		.host_id = o.host_id, .functions = FERRY_FN_FIREWALL,
		.schema_min = 1, .schema_max = 1, .capacity = 1, .naddrs = 1,
	};
	int i, n = argc > 1 ? atoi(argv[1]) : 1000;
	struct honest h;

	wire_addr("198.18.0.1", &p.addrs[0]);
	if (honest_start(&h, NULL) || send_register(&h, &p))
		return 1;
	for (i = 0; i < n; i++)
		heartbeat(&h, (__u64)i);
	pump(&h, is_up, 0);
	return pump(&h, NULL, o.timeout_ms) ? 1 : (printf("not closed\n"), 0);
}

/* N handshakes one after the other, each closed cleanly: the rate. */
static int mode_handshakes(int argc, char **argv)
{
	int i, n = argc > 1 ? atoi(argv[1]) : 1000;
	struct timespec a, b;
	struct honest h;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		if (honest_start(&h, NULL))
			return 1;
		end(&h);
		ferry_session_free(&h.s);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("bench: som_handshakes_per_s %.0f hs/s\n", n / s);
	printf("bench: som_handshake_latency_us %.0f us\n", s * 1e6 / n);
	return 0;
}

/* After a good handshake: a raw frame header the SOM must not accept. */
static int mode_after(bool oversize)
{
	static const __u8 big[4] = { 0x00, 0x10, 0x00, 0x01 };	/* 1 MiB + 1 */
	static const __u8 part[3] = { 0x00, 0x00, 0x40 };
	struct honest h;
	__u8 buf[256];

	if (honest_start(&h, NULL))
		return 1;
	send_all(h.fd, oversize ? big : part, oversize ? 4 : 3);
	if (read_some(h.fd, buf, sizeof(buf), 60000) < 0) {
		printf("not closed\n");
		return 1;
	}
	/* whatever came (a CLOSE record, or nothing) the SOM ended it */
	while (read_some(h.fd, buf, sizeof(buf), o.timeout_ms) > 0)
		;
	printf("closed\n");
	return 0;
}

/* ---- the handshake written from docs/protocol.md --------------------------- */

struct raw {
	int fd;
	__u8 eph_sk[32], eph_pk[32];
	__u8 th_mine[4096], th_seen[4096];	/* what we think, what the SOM saw */
	size_t mine_len, seen_len;
	char flip_msg[8];
	int flip_key;
	long old_ms;
};

static void th_add(__u8 *th, size_t *len, const __u8 *frame, size_t n)
{
	if (*len + n > 4096)
		die("transcript");
	memcpy(th + *len, frame, n);
	*len += n;
}

static void th_hash(const __u8 *th, size_t len, __u8 out[32])
{
	crypto_generichash(out, 32, th, len, NULL, 0);
}

/* A map of nkeys; ends[k] is the offset just after key k's value. */
static size_t frame_of(struct ferry_mpk_buf *b, __u8 *frame)
{
	frame[0] = (__u8)(b->len >> 24);
	frame[1] = (__u8)(b->len >> 16);
	frame[2] = (__u8)(b->len >> 8);
	frame[3] = (__u8)b->len;
	return b->len + 4;
}

static void send_flipped(struct raw *r, const char *msg, __u8 *frame, size_t n,
			 const size_t *ends)
{
	th_add(r->th_mine, &r->mine_len, frame, n);
	if (!strcmp(r->flip_msg, msg))
		frame[4 + ends[r->flip_key] - 1] ^= 0x01;
	th_add(r->th_seen, &r->seen_len, frame, n);
	send_all(r->fd, frame, n);
}

static void raw_hello(struct raw *r)
{
	__u8 body[512], frame[520], nonce[32];
	struct ferry_mpk_buf b;
	size_t ends[9];

	randombytes_buf(r->eph_sk, 32);
	crypto_scalarmult_base(r->eph_pk, r->eph_sk);
	randombytes_buf(nonce, 32);
	ferry_mpk_init(&b, body, sizeof(body));
	ferry_mpk_put_map(&b, 9);
	ferry_mpk_put_uint(&b, 0); ferry_mpk_put_uint(&b, FERRY_MSG_HELLO); ends[0] = b.len;
	ferry_mpk_put_uint(&b, 1); ferry_mpk_put_uint(&b, o.vmin); ends[1] = b.len;
	ferry_mpk_put_uint(&b, 2); ferry_mpk_put_uint(&b, o.vmax); ends[2] = b.len;
	ferry_mpk_put_uint(&b, 3); ferry_mpk_put_uint(&b, o.role); ends[3] = b.len;
	ferry_mpk_put_uint(&b, 4); ferry_mpk_put_uint(&b, o.host_id); ends[4] = b.len;
	ferry_mpk_put_uint(&b, 5); ferry_mpk_put_bin(&b, o.id.pk, 32); ends[5] = b.len;
	ferry_mpk_put_uint(&b, 6); ferry_mpk_put_bin(&b, r->eph_pk, 32); ends[6] = b.len;
	ferry_mpk_put_uint(&b, 7); ferry_mpk_put_uint(&b, now_ms() + (__u64)r->old_ms); ends[7] = b.len;
	ferry_mpk_put_uint(&b, 8); ferry_mpk_put_bin(&b, nonce, 32); ends[8] = b.len;
	memcpy(frame + 4, body, b.len);
	send_flipped(r, "hello", frame, frame_of(&b, frame), ends);
}

static void sign_th(const __u8 *th, size_t len, const char *label, int reason,
		    __u8 sig[64])
{
	__u8 in[128];
	size_t n = strlen(label) + 1;

	memcpy(in, label, n);
	th_hash(th, len, in + n);
	n += 32;
	if (reason >= 0)
		in[n++] = (__u8)reason;
	crypto_sign_detached(sig, NULL, in, n, o.id.sk);
}

static void raw_auth(struct raw *r)
{
	__u8 body[128], frame[140], sig[64];
	struct ferry_mpk_buf b;
	size_t ends[2];

	sign_th(r->th_mine, r->mine_len, LABEL_INITIATOR, -1, sig);
	ferry_mpk_init(&b, body, sizeof(body));
	ferry_mpk_put_map(&b, 2);
	ferry_mpk_put_uint(&b, 0); ferry_mpk_put_uint(&b, FERRY_MSG_AUTH); ends[0] = b.len;
	ferry_mpk_put_uint(&b, 1); ferry_mpk_put_bin(&b, sig, 64); ends[1] = b.len;
	memcpy(frame + 4, body, b.len);
	send_flipped(r, "auth", frame, frame_of(&b, frame), ends);
}

/* Read one frame (header + body) into f; its length, 0 at the end. */
static size_t read_frame(int fd, __u8 *f, size_t cap)
{
	size_t have = 0, need = 4;
	ssize_t n;

	while (have < need) {
		n = read_some(fd, f + have, need - have, o.timeout_ms);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		if (have == 4) {
			need = 4 + ((size_t)f[0] << 24 | (size_t)f[1] << 16 |
				    (size_t)f[2] << 8 | f[3]);
			if (need > cap)
				return 0;
		}
	}
	return have;
}

/* A RESULT frame: its reason (and whether its signature verifies), or -1. */
static int result_of(const __u8 *f, size_t n, const __u8 *th, size_t th_len,
		     bool *signed_ok)
{
	static const struct ferry_mpk_field rf[] = {
		{ "type", FERRY_MPK_UINT, 0, 255 },
		{ "reason", FERRY_MPK_UINT, 0, 255 },
		{ "signature", FERRY_MPK_BIN, 64, 64 },
	};
	struct ferry_mpk_value v[3];
	__u8 in[128];
	size_t k = sizeof(LABEL_RESULT);
	char err[128];

	if (ferry_mpk_decode(f + 4, n - 4, rf, 3, v, err, sizeof(err)) ||
	    v[0].u != FERRY_MSG_RESULT)
		return -1;
	memcpy(in, LABEL_RESULT, k);
	th_hash(th, th_len, in + k);
	in[k + 32] = (__u8)v[1].u;
	*signed_ok = !crypto_sign_verify_detached(v[2].bin, in, k + 33, o.som_pk);
	return (int)v[1].u;
}

static int print_result(int reason, bool ok)
{
	printf("result: %s (%s)\n", reason ? ferry_wire_reason_name(reason) : "accepted",
	       ok ? "signature ok" : "signature BAD");
	return 0;
}

static void raw_init(struct raw *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->th_mine, LABEL_TRANSCRIPT, sizeof(LABEL_TRANSCRIPT));
	r->mine_len = sizeof(LABEL_TRANSCRIPT);
	memcpy(r->th_seen, r->th_mine, r->mine_len);
	r->seen_len = r->mine_len;
	r->flip_key = -1;
}

static int mode_hs(int argc, char **argv)
{
	__u8 f[600];
	struct raw r;
	size_t n;
	bool ok;
	int i, reason;

	raw_init(&r);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--flip") && i + 1 < argc) {
			if (sscanf(argv[++i], "%7[a-z]:%d", r.flip_msg, &r.flip_key) != 2)
				die("--flip hello:K or auth:K");
		} else if (!strcmp(argv[i], "--old-ms") && i + 1 < argc) {
			r.old_ms = -atol(argv[++i]);
		} else {
			die("hs: unknown option");
		}
	}
	r.fd = dial(false);
	raw_hello(&r);
	for (i = 0; i < 2; i++) {	/* m2, m3, or a RESULT */
		n = read_frame(r.fd, f, sizeof(f));
		if (!n)
			return printf("closed\n"), 0;
		reason = result_of(f, n, r.th_seen, r.seen_len, &ok);
		if (reason >= 0)
			return print_result(reason, ok);
		th_add(r.th_mine, &r.mine_len, f, n);
		th_add(r.th_seen, &r.seen_len, f, n);
	}
	raw_auth(&r);	/* m3 is not verified: we are the attacker */
	n = read_frame(r.fd, f, sizeof(f));
	if (!n)
		return printf("closed\n"), 0;
	reason = result_of(f, n, r.th_seen, r.seen_len, &ok);
	if (reason < 0)
		return printf("unexpected frame\n"), 1;
	return print_result(reason, ok);
}

/* ---- raw bytes ------------------------------------------------------------- */

/* Send bytes; print the first RESULT the SOM sends, or how it ended. */
static size_t frame_len(const __u8 *p, size_t len)
{
	size_t n;

	if (len < 4)
		return 0;
	n = 4 + ((size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
	return n <= len ? n : 0;
}

static int send_and_watch(const __u8 *p, size_t len, size_t hello_len)
{
	size_t m4 = hello_len ? frame_len(p + hello_len, len - hello_len) : 0;

	__u8 f[600], th[4096];
	size_t n, th_len = sizeof(LABEL_TRANSCRIPT);
	int fd = dial(false), reason, frames = 0;
	bool ok;

	memcpy(th, LABEL_TRANSCRIPT, th_len);
	if (hello_len && hello_len <= len) {
		memcpy(th + th_len, p, hello_len);
		th_len += hello_len;
	}
	send_all(fd, p, len);
	while ((n = read_frame(fd, f, sizeof(f)))) {
		reason = result_of(f, n, th, th_len, &ok);
		if (reason >= 0)
			return print_result(reason, ok);
		if (th_len + n + m4 < sizeof(th)) {
			memcpy(th + th_len, f, n);
			th_len += n;
		}
		if (++frames == 2 && m4) {	/* our recorded m4 follows */
			memcpy(th + th_len, p + hello_len, m4);
			th_len += m4;
		}
	}
	printf("closed after %d frame(s)\n", frames);
	return 0;
}

static __u8 *slurp(const char *path, size_t *len)
{
	static __u8 buf[65536];
	FILE *f = fopen(path, "r");

	if (!f)
		die("cannot read the recording");
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static int mode_replay(int argc, char **argv, bool hello_only)
{
	size_t len, hello;
	__u8 *p;

	if (argc < 2)
		die("replay FILE");
	p = slurp(argv[1], &len);
	if (len < 4)
		die("recording too short");
	hello = frame_len(p, len);
	if (!hello)
		die("recording too short");
	return send_and_watch(p, hello_only ? hello : len, hello);
}

static int mode_garbage(int argc, char **argv)
{
	__u8 bytes[256];
	size_t n = 0;
	const char *hex = argc > 1 ? argv[1] : "474554202f20485454502f312e310d0a0d0a";

	while (hex[2 * n] && hex[2 * n + 1] && n < sizeof(bytes)) {
		sscanf(hex + 2 * n, "%2hhx", &bytes[n]);
		n++;
	}
	return send_and_watch(bytes, n, frame_len(bytes, n));
}

/* Hold a partial frame (or an over-limit header) open; report the end. */
static int mode_partial(bool oversize)
{
	static const __u8 big[4] = { 0x00, 0x00, 0x02, 0x01 };	/* 513 > 512 */
	static const __u8 part[6] = { 0x00, 0x00, 0x00, 0x80, 0x89, 0x00 };
	int fd = dial(false);
	__u8 buf[64];

	send_all(fd, oversize ? big : part, oversize ? 4 : 6);
	if (read_some(fd, buf, sizeof(buf), 60000) < 0)
		return printf("not closed\n"), 1;
	printf("closed\n");
	return 0;
}

static int mode_flood(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100, hold = argc > 2 ? atoi(argv[2]) : 1000;
	int *fds = calloc((size_t)n, sizeof(int)), i, open_n = 0;
	struct pollfd p;
	__u8 buf[16];

	for (i = 0; i < n; i++)
		fds[i] = dial(true);
	usleep((useconds_t)hold * 1000);
	for (i = 0; i < n; i++) {
		p.fd = fds[i];
		p.events = POLLIN;
		if (poll(&p, 1, 0) == 1 && recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			continue;
		open_n++;
	}
	printf("open %d closed %d\n", open_n, n - open_n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

/* ---- main ---------------------------------------------------------------------- */

static void load_key(const char *path)
{
	char err[FERRY_IDENTITY_ERR_MAX];

	if (ferry_identity_load(&o.id, path, err, sizeof(err))) {
		printf("error: %s\n", err);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	const char *mode;
	int i;

	if (ferry_crypto_init())
		die("libsodium");
	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--connect")) {
			if (parse_sockaddr(argv[i + 1], &o.peer, true))
				die("--connect ADDR:PORT");
		} else if (!strcmp(argv[i], "--bind")) {
			if (parse_sockaddr(argv[i + 1], &o.bind, false))
				die("--bind ADDR");
			o.has_bind = true;
		} else if (!strcmp(argv[i], "--key")) {
			load_key(argv[i + 1]);
		} else if (!strcmp(argv[i], "--som-key")) {
			if (ferry_pubkey_from_base64(argv[i + 1], o.som_pk))
				die("--som-key B64");
		} else if (!strcmp(argv[i], "--role")) {
			o.role = !strcmp(argv[i + 1], "soa") ? FERRY_ROLE_SOA :
				 !strcmp(argv[i + 1], "tde") ? FERRY_ROLE_TDE :
				 (__u8)atoi(argv[i + 1]);
		} else if (!strcmp(argv[i], "--host-id")) {
			o.host_id = (__u32)strtoul(argv[i + 1], NULL, 10);
		} else if (!strcmp(argv[i], "--version")) {
			if (sscanf(argv[i + 1], "%u:%u", &o.vmin, &o.vmax) != 2)
				die("--version MIN:MAX");
		} else if (!strcmp(argv[i], "--timeout-ms")) {
			o.timeout_ms = atoi(argv[i + 1]);
		} else {
			die("unknown option");
		}
	}
	if (i >= argc)
		die("no mode");
	mode = argv[i];
	argc -= i;
	argv += i;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "register"))
		return mode_register(argc, argv);
	if (!strcmp(mode, "notify"))
		return mode_notify(argc, argv);
	if (!strcmp(mode, "handshakes"))
		return mode_handshakes(argc, argv);
	if (!strcmp(mode, "mig"))
		return mode_mig(argc, argv);
	if (!strcmp(mode, "storm"))
		return mode_storm(argc, argv);
	if (!strcmp(mode, "oversize-after"))
		return mode_after(true);
	if (!strcmp(mode, "partial-after"))
		return mode_after(false);
	if (!strcmp(mode, "hs"))
		return mode_hs(argc, argv);
	if (!strcmp(mode, "replay"))
		return mode_replay(argc, argv, false);
	if (!strcmp(mode, "replay-hello"))
		return mode_replay(argc, argv, true);
	if (!strcmp(mode, "garbage"))
		return mode_garbage(argc, argv);
	if (!strcmp(mode, "oversize"))
		return mode_partial(true);
	if (!strcmp(mode, "partial"))
		return mode_partial(false);
	if (!strcmp(mode, "flood"))
		return mode_flood(argc, argv);
	die("unknown mode");
	return 2;
}
