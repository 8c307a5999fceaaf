// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * migrelay: a test-only SOM for the migration tests. Real ferry-soa agents
 * connect to it as to their SOM (it holds the SOM's identity key, which
 * they pin); it authenticates them, answers REGISTER, and runs migrations
 * between them the way ferry-som does (PREPARE, READY, UPLOAD, DATA
 * relayed, DONE, RELEASE or ABORT) — except that, on request, it breaks
 * one thing on the way. Every record still travels through a real session
 * (handshake, AEAD), so an altered chunk is re-sealed on the session and
 * only the source's own signature is broken, as by a relay that turned bad.
 *
 *   migrelay --listen A.B.C.D:PORT --key SOM_KEY [--other-key KEY]
 *
 * One command a line on stdin, one line of answer on stdout:
 *
 *   hosts N                      once N agents are registered: "hosts ID..."
 *   migrate SRC DST ZONE:ADDR HOW [K]
 *       HOW: ok; drop K, dup K, swap K (chunk K after chunk K+1), alter K (a
 *       byte of chunk K flipped), resign K (chunk K signed by --other-key,
 *       origin kept); wrong-dest (the order names host 199), expired (its
 *       expiry has passed); replay (the order of the last migration done,
 *       sent again as it was)
 *       answer: "done REASON flows N accepted N" (the destination's DONE),
 *       "refused REASON" (its REFUSED), "upload-failed REASON", or
 *       "timeout" (nothing in 30 s)
 *   quit
 *
 * ferry-som's engine is not reused: it cannot break things on purpose, and
 * a hook for that in the daemon would ship with it (test_mig_relay.sh).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "envelope.h"
#include "identity.h"
#include "migorder.h"
#include "numparse.h"
#include "somproto.h"
#include "wiresession.h"

#define CONNS_MAX	8
#define ANSWER_MS	30000
#define OTHER_DST	199

enum how { OK, DROP, DUP, SWAP, ALTER, RESIGN, WRONG_DEST, EXPIRED, REPLAY };
static const char *const hows[] = { "ok", "drop", "dup", "swap", "alter", "resign",
				    "wrong-dest", "expired", "replay" };

struct conn {
	int fd;
	struct ferry_session s;
	__u32 host;		/* 0 until REGISTER */
};

static struct {
	struct ferry_identity som, other;
	bool has_other;
	int lfd;
	struct conn *c[CONNS_MAX];
	int want_hosts;		/* a "hosts N" waiting, or 0 */
	/* the migration running, if any */
	bool active;
	__u8 id[FERRY_MIG_ID_LEN];
	__u32 src, dst;
	enum how how;
	__u64 k;
	__u8 *held;		/* SWAP: chunk k, until k + 1 is sent */
	size_t held_len;
	__u64 until_ms;
	__u8 order[FERRY_MIG_ORDER_MAX];
	size_t order_len;
	__u8 done_order[FERRY_MIG_ORDER_MAX];	/* of the last one done */
	size_t done_order_len;
} g = { .lfd = -1 };

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "migrelay: %s\n", what);
	exit(2);
}

static void answer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void answer(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static struct conn *host_conn(__u32 host)
{
	int i;

	for (i = 0; i < CONNS_MAX; i++)
		if (g.c[i] && g.c[i]->host == host)
			return g.c[i];
	return NULL;
}

static void flush(struct conn *c)
{
	ferry_session_write(&c->s, c->fd);	/* a failure is seen when read */
}

static void drop(struct conn *c)
{
	int i;

	for (i = 0; i < CONNS_MAX; i++)
		if (g.c[i] == c)
			g.c[i] = NULL;
	close(c->fd);
	ferry_session_free(&c->s);
	free(c);
}

static void send_mig(struct conn *c, const struct ferry_migmsg *mm)
{
	size_t cap = mm->env_len + 128;
	__u8 *buf = malloc(cap);
	int len;

	if (!buf)
		die("out of memory");
	len = ferry_migmsg_encode(mm, buf, cap);
	if (len < 0 || ferry_session_send(&c->s, mm->type, buf, (size_t)len))
		fprintf(stderr, "migrelay: cannot send type %u to host %u\n", mm->type,
			c->host);
	free(buf);
	flush(c);
}

static void send_id(__u32 host, __u8 type, int reason)
{
	struct ferry_migmsg mm = { .type = type, .reason = (__u32)reason };
	struct conn *c = host_conn(host);

	memcpy(mm.id, g.id, sizeof(mm.id));
	if (c)
		send_mig(c, &mm);
}

static void send_env(__u32 host, __u8 type, const __u8 *env, size_t len)
{
	struct ferry_migmsg mm = { .type = type, .env = env, .env_len = len };
	struct conn *c = host_conn(host);

	memcpy(mm.id, g.id, sizeof(mm.id));
	if (c)
		send_mig(c, &mm);
}

static void end_migration(void)
{
	free(g.held);
	g.held = NULL;
	g.active = false;
}

/* ---- the migration ---- */

static int parse_vm(const char *s, struct ferry_mig_vm *vm)
{
	char buf[128], *colon;

	memset(vm, 0, sizeof(*vm));
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (ferry_parse_u32(buf, 0xfffffffeu, &vm->zone))
		return -EINVAL;
	vm->n_addrs = 1;
	if (inet_pton(AF_INET, colon + 1, vm->addr[0]) == 1)
		vm->family[0] = FERRY_AF_INET;
	else if (inet_pton(AF_INET6, colon + 1, vm->addr[0]) == 1)
		vm->family[0] = FERRY_AF_INET6;
	else
		return -EINVAL;
	return 0;
}

/* The sealed order of this migration into g.order; 0 or -errno. */
static int make_order(const char *vm, struct conn *src)
{
	struct ferry_mig_order o = {
		.src_host = g.src, .dst_host = g.how == WRONG_DEST ? OTHER_DST : g.dst,
		.issued_s = now_ms() / 1000, .max_flows = FERRY_MIG_MAX_FLOWS,
		.max_bytes = FERRY_MIG_MAX_BYTES,
	};

	if (g.how == REPLAY) {
		if (!g.done_order_len ||
		    ferry_mig_order_open(g.done_order, g.done_order_len, g.som.pk, &o,
					 NULL, NULL, 0))
			return -ENOENT;
		memcpy(g.id, o.id, sizeof(g.id));
		memcpy(g.order, g.done_order, g.done_order_len);
		g.order_len = g.done_order_len;
		return 0;
	}
	if (parse_vm(vm, &o.vm))
		return -EINVAL;
	memcpy(o.src_pk, ferry_session_peer(&src->s)->pk, FERRY_WIRE_KEY_LEN);
	o.expires_s = o.issued_s + 60;
	if (g.how == EXPIRED) {
		o.issued_s -= 120;
		o.expires_s = o.issued_s + 60;
	}
	ferry_mig_id_random(o.id);
	memcpy(g.id, o.id, sizeof(g.id));
	return ferry_mig_order_seal(&o, &g.som, now_ms(), g.order, sizeof(g.order),
				    &g.order_len);
}

static void cmd_migrate(char **w, int n)
{
	struct conn *src, *dst;
	__u32 k = 0;
	int i;

	for (i = 0; n >= 5 && i < (int)(sizeof(hows) / sizeof(hows[0])); i++)
		if (!strcmp(w[4], hows[i]))
			break;
	if (n < 5 || i == (int)(sizeof(hows) / sizeof(hows[0])) ||
	    ferry_parse_u32(w[1], ~0u, &g.src) || ferry_parse_u32(w[2], ~0u, &g.dst) ||
	    (n > 5 && ferry_parse_u32(w[5], ~0u, &k))) {
		answer("error: migrate SRC DST ZONE:ADDR HOW [K]\n");
		return;
	}
	g.how = (enum how)i;
	g.k = k;
	if (g.how == RESIGN && !g.has_other) {
		answer("error: resign needs --other-key\n");
		return;
	}
	src = host_conn(g.src);
	dst = host_conn(g.dst);
	if (!src || !dst) {
		answer("error: host %u not registered\n", src ? g.dst : g.src);
		return;
	}
	if (make_order(w[3], src)) {
		answer("error: no order (%s)\n", g.how == REPLAY ?
		       "no migration done yet" : "bad VM");
		return;
	}
	g.active = true;
	g.until_ms = now_ms() + ANSWER_MS;
	send_env(g.dst, FERRY_MSG_PREPARE, g.order, g.order_len);
}

/* A copy of env with chunk k's signature broken, the way asked. */
static __u8 *broken(const __u8 *env, size_t len, const struct ferry_envelope *e,
		    size_t *outlen)
{
	__u8 *b = malloc(len + FERRY_ENVELOPE_OVERHEAD);

	if (!b)
		die("out of memory");
	*outlen = len;
	if (g.how == ALTER) {		/* a byte of the body, not the signature */
		memcpy(b, env, len);
		b[len - 100] ^= 0x01;
		return b;
	}
	if (ferry_envelope_seal(e, &g.other, b, len + FERRY_ENVELOPE_OVERHEAD, outlen))
		die("re-sealing a chunk");
	return b;
}

/* DATA from the source: relayed, with this migration's one fault. */
static void relay(const struct ferry_migmsg *mm, struct conn *src)
{
	struct ferry_envelope e;
	char err[FERRY_ENVELOPE_ERR_MAX];
	size_t blen;
	__u8 *b;

	if (ferry_envelope_open(mm->env, mm->env_len, ferry_session_peer(&src->s)->pk,
				&e, err, sizeof(err)) ||
	    e.type != FERRY_MSG_MIG_CHUNK || g.how == OK || g.how > RESIGN ||
	    (e.seq != g.k && !(g.how == SWAP && e.seq == g.k + 1))) {
		send_env(g.dst, FERRY_MSG_DATA, mm->env, mm->env_len);
		return;
	}
	switch (g.how) {
	case DROP:
		return;
	case DUP:
		send_env(g.dst, FERRY_MSG_DATA, mm->env, mm->env_len);
		send_env(g.dst, FERRY_MSG_DATA, mm->env, mm->env_len);
		return;
	case SWAP:
		if (e.seq == g.k) {
			g.held = malloc(mm->env_len);
			if (!g.held)
				die("out of memory");
			memcpy(g.held, mm->env, mm->env_len);
			g.held_len = mm->env_len;
			return;
		}
		send_env(g.dst, FERRY_MSG_DATA, mm->env, mm->env_len);
		if (g.held)
			send_env(g.dst, FERRY_MSG_DATA, g.held, g.held_len);
		return;
	default:	/* ALTER, RESIGN */
		b = broken(mm->env, mm->env_len, &e, &blen);
		send_env(g.dst, FERRY_MSG_DATA, b, blen);
		free(b);
		return;
	}
}

static void on_mig(struct conn *c, __u8 type, const __u8 *msg, size_t len)
{
	char err[FERRY_SOMPROTO_ERR_MAX];
	const char *reason;
	struct ferry_migmsg mm;

	if (ferry_migmsg_decode(type, msg, len, &mm, err, sizeof(err))) {
		fprintf(stderr, "migrelay: host %u: message %u: %s\n", c->host, type, err);
		return;
	}
	if (!g.active || memcmp(mm.id, g.id, sizeof(g.id)))
		return;		/* e.g. the rest of an upload that failed */
	reason = ferry_mig_reason_name(mm.reason);
	switch (type) {
	case FERRY_MSG_READY:
		send_env(g.src, FERRY_MSG_UPLOAD, g.order, g.order_len);
		return;
	case FERRY_MSG_DATA:
		relay(&mm, c);
		return;
	case FERRY_MSG_REFUSED:
		answer("refused %s\n", reason);
		break;
	case FERRY_MSG_UPLOAD_FAILED:
		answer("upload-failed %s\n", reason);
		send_id(g.dst, FERRY_MSG_ABORT, (int)mm.reason);
		break;
	case FERRY_MSG_DONE:
		answer("done %s flows %llu accepted %llu\n", reason,
		       (unsigned long long)mm.flows, (unsigned long long)mm.accepted);
		if (mm.reason) {
			send_id(g.src, FERRY_MSG_ABORT, (int)mm.reason);
		} else {
			send_id(g.src, FERRY_MSG_RELEASE, 0);
			memcpy(g.done_order, g.order, g.order_len);
			g.done_order_len = g.order_len;
		}
		break;
	default:
		return;
	}
	end_migration();
}

/* ---- sessions ---- */

static int authorize(void *ctx, const struct ferry_hs_peer *peer, char *why,
		     size_t whylen)
{
	if (peer->role == FERRY_ROLE_SOA)
		return FERRY_REASON_OK;
	snprintf(why, whylen, "only agents here");
	return FERRY_REASON_ROLE;
}

static void on_register(struct conn *c, const __u8 *msg, size_t len)
{
	struct ferry_registered r = { .heartbeat_ms = 1000, .lost_ms = 60000 };
	struct ferry_host_profile p;
	char err[FERRY_SOMPROTO_ERR_MAX];
	__u8 buf[FERRY_SOMPROTO_MSG_MAX];
	struct conn *old;
	int n;

	if (ferry_register_decode(msg, len, &p, err, sizeof(err))) {
		fprintf(stderr, "migrelay: REGISTER: %s\n", err);
		return;
	}
	old = host_conn(p.host_id);
	if (old && old != c)
		drop(old);
	c->host = p.host_id;
	r.host_id = p.host_id;
	n = ferry_registered_encode(&r, buf, sizeof(buf));
	if (n > 0)
		ferry_session_send(&c->s, FERRY_MSG_REGISTERED, buf, (size_t)n);
	fprintf(stderr, "migrelay: host %u registered\n", p.host_id);
}

static int on_msg(void *ctx, __u8 type, const __u8 *msg, size_t len)
{
	struct conn *c = ctx;

	if (type == FERRY_MSG_REGISTER)
		on_register(c, msg, len);
	else if (ferry_migmsg_type(type) && c->host)
		on_mig(c, type, msg, len);
	return 0;
}

static void accept_one(void)
{
	struct ferry_hs_config hc = {
		.id = &g.som, .role = FERRY_ROLE_SOM, .authorize = authorize,
	};
	struct conn *c;
	int fd, i, one = 1;

	fd = accept4(g.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < CONNS_MAX && g.c[i]; i++)
		;
	c = i < CONNS_MAX ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	hc.ctx = c;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ferry_session_init(&c->s, &hc, false)) {
		close(fd);
		free(c);
		return;
	}
	g.c[i] = c;
}

static void receive(struct conn *c)
{
	static __u8 buf[65536];
	ssize_t n;
	int ret;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	ret = n <= 0 ? -EPIPE : ferry_session_feed(&c->s, buf, (size_t)n, on_msg, c);
	if (ret) {
		fprintf(stderr, "migrelay: host %u left: %s\n", c->host,
			ret == 1 ? "closed" : ferry_session_error(&c->s));
		drop(c);
		return;
	}
	flush(c);
}

/* ---- commands ---- */

static void check_hosts(void)
{
	char line[256] = "hosts";
	size_t len = 5;
	int i, n = 0;

	for (i = 0; i < CONNS_MAX; i++)
		if (g.c[i] && g.c[i]->host && len < sizeof(line) - 12) {
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %u",
						g.c[i]->host);
			n++;
		}
	if (!g.want_hosts || n < g.want_hosts)
		return;
	g.want_hosts = 0;
	answer("%s\n", line);
}

/* One line of stdin; false at "quit" or the end. */
static bool command(void)
{
	char line[512], *w[8], *save = NULL;
	int n = 0;

	if (!fgets(line, sizeof(line), stdin))
		return false;
	for (w[0] = strtok_r(line, " \t\n", &save); w[n] && n < 7;)
		w[++n] = strtok_r(NULL, " \t\n", &save);
	if (!n)
		return true;
	if (!strcmp(w[0], "quit"))
		return false;
	if (g.active)
		answer("error: a migration is running\n");
	else if (!strcmp(w[0], "hosts") && n == 2)
		g.want_hosts = atoi(w[1]) > 0 ? atoi(w[1]) : 1;
	else if (!strcmp(w[0], "migrate"))
		cmd_migrate(w, n);
	else
		answer("error: unknown command '%s'\n", w[0]);
	return true;
}

static void listen_on(const char *spec)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[64], *colon;
	__u32 port;
	int one = 1;

	snprintf(buf, sizeof(buf), "%s", spec);
	colon = strrchr(buf, ':');
	if (!colon)
		die("--listen A.B.C.D:PORT");
	*colon = '\0';
	if (inet_pton(AF_INET, buf, &a.sin_addr) != 1 ||
	    ferry_parse_u32(colon + 1, 65535, &port) || !port)
		die("--listen A.B.C.D:PORT");
	a.sin_port = htons((__u16)port);
	g.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(g.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (g.lfd < 0 || bind(g.lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(g.lfd, 16))
		die("cannot listen");
}

static void load(struct ferry_identity *id, const char *path)
{
	char err[FERRY_IDENTITY_ERR_MAX];

	if (ferry_identity_load(id, path, err, sizeof(err)))
		die(err);
}

static void loop(void)
{
	struct pollfd p[CONNS_MAX + 2];
	struct conn *who[CONNS_MAX + 2];
	size_t len;
	int i, n;

	for (;;) {
		p[0] = (struct pollfd){ .fd = g.lfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		for (i = 0, n = 2; i < CONNS_MAX; i++) {
			if (!g.c[i])
				continue;
			ferry_session_output(&g.c[i]->s, &len);
			who[n] = g.c[i];
			p[n++] = (struct pollfd){ .fd = g.c[i]->fd,
				.events = (short)(POLLIN | (len ? POLLOUT : 0)) };
		}
		if (poll(p, (nfds_t)n, 100) < 0 && errno != EINTR)
			die("poll");
		if (p[0].revents & POLLIN)
			accept_one();
		for (i = 2; i < n; i++) {
			if (p[i].revents & POLLOUT)
				flush(who[i]);
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				receive(who[i]);
		}
		check_hosts();
		if (g.active && now_ms() > g.until_ms) {
			answer("timeout\n");
			end_migration();
		}
		if ((p[1].revents & (POLLIN | POLLHUP)) && !command())
			return;
	}
}

int main(int argc, char **argv)
{
	const char *listen_spec = NULL, *key = NULL, *other = NULL;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			listen_spec = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			key = argv[i + 1];
		else if (!strcmp(argv[i], "--other-key"))
			other = argv[i + 1];
		else
			die("usage: migrelay --listen A.B.C.D:PORT --key SOM_KEY [--other-key KEY]");
	}
	if (i != argc || !listen_spec || !key)
		die("usage: migrelay --listen A.B.C.D:PORT --key SOM_KEY [--other-key KEY]");
	if (ferry_crypto_init())
		die("libsodium");
	load(&g.som, key);
	if (other) {
		load(&g.other, other);
		g.has_other = true;
	}
	listen_on(listen_spec);
	loop();
	return 0;
}
