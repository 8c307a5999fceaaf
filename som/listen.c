// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Listening sockets and what happens at accept(): the connection cap, and
 * per source address a cap on handshakes in progress and a token bucket
 * on handshakes started (GCRA: one virtual "bucket full at" time per
 * source). A connection over a limit is closed at once, before any
 * cryptography, so a flood from one address costs the SOM an accept() and
 * a close() per attempt, and sources the flood does not come from keep
 * their own budget. Refusals are logged at most once a second per source,
 * with the count of those not logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include "log.h"
#include "som.h"

#define NS_PER_SEC	1000000000ull

void som_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

static int listen_one(struct som *som, const struct sockaddr_storage *ss)
{
	socklen_t len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						   sizeof(struct sockaddr_in6);
	char name[SOM_ADDR_STR];
	int fd, one = 1;

	som_addr_str(ss, name, sizeof(name));
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 128))
		goto fail_close;
	som->listen[som->nlisten].ev = SOM_EV_LISTEN;
	som->listen[som->nlisten].fd = fd;
	if (som_loop_add(som, &som->listen[som->nlisten], EPOLLIN)) {
		close(fd);
		return -EIO;
	}
	som->nlisten++;
	pr_info("listening on %s\n", name);
	return 0;
fail_close:
	close(fd);
fail:
	pr_warn("listen %s: %s\n", name, strerror(errno));
	return -errno;
}

int som_listen_open(struct som *som)
{
	__u32 i;
	int err;

	som->conns = calloc(som->cfg.max_connections, sizeof(*som->conns));
	if (!som->conns)
		return -ENOMEM;
	for (i = 0; i < som->cfg.nlisten; i++) {
		err = listen_one(som, &som->cfg.listen[i]);
		if (err)
			return err;
	}
	return 0;
}

void som_listen_close(struct som *som)
{
	__u32 i;

	for (i = 0; i < som->nlisten; i++)
		close(som->listen[i].fd);
	som->nlisten = 0;
	if (som->conns)
		for (i = 0; i < som->cfg.max_connections; i++)
			if (som->conns[i])
				som_conn_close(som, som->conns[i], FERRY_REASON_OK,
					       "the SOM is stopping");
	free(som->conns);
	som->conns = NULL;
}

/* The address as 16 bytes, IPv4 as v4-mapped. */
static void addr16(const struct sockaddr_storage *ss, __u8 out[16])
{
	const struct sockaddr_in *s4 = (const void *)ss;

	if (ss->ss_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &s4->sin_addr, 4);
	} else {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	}
}

static struct som_source *source_of(struct som *som, const __u8 addr[16],
				    __u64 now)
{
	struct som_source *s, *idle = NULL;

	for (s = som->sources; s < som->sources + SOM_SOURCES_MAX; s++) {
		if (s->used && !memcmp(s->addr, addr, 16))
			return s;
		if (!idle && (!s->used || (!s->pending && s->tokens_at_ns <= now)))
			idle = s;
	}
	if (idle) {
		memset(idle, 0, sizeof(*idle));
		idle->used = true;
		memcpy(idle->addr, addr, 16);
	}
	return idle;
}

/* GCRA: may one more handshake start now? */
static bool bucket_take(struct som *som, struct som_source *s, __u64 now)
{
	__u64 interval = NS_PER_SEC / som->cfg.handshakes_per_second;
	__u64 burst = interval * som->cfg.handshakes_per_second;
	__u64 at = s->tokens_at_ns > now ? s->tokens_at_ns : now;

	if (at + interval - now > burst)
		return false;
	s->tokens_at_ns = at + interval;
	return true;
}

static void refuse(struct som *som, struct som_source *s, int fd,
		   const char *src, const char *why, __u64 now)
{
	som->limit_drops++;
	close(fd);
	if (s && s->last_log_ns && now - s->last_log_ns < NS_PER_SEC) {
		s->refused++;
		return;
	}
	pr_warn("refused %s: limit: %s (%u more refused in the last second)\n",
		src, why, s ? s->refused : 0);
	if (s) {
		s->last_log_ns = now;
		s->refused = 0;
	}
}

static int slot_of(struct som *som)
{
	__u32 i;

	for (i = 0; i < som->cfg.max_connections; i++)
		if (!som->conns[i])
			return (int)i;
	return -1;
}

static void start_conn(struct som *som, int fd, struct som_source *s,
		       const struct sockaddr_storage *ss, int slot, __u64 now)
{
	struct ferry_hs_config hc = {
		.id = &som->id, .role = FERRY_ROLE_SOM,
		.authorize = som_authorize,
	};
	struct som_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c) {
		close(fd);
		return;
	}
	c->w.ev = SOM_EV_CONN;
	c->w.fd = fd;
	c->src = *ss;
	som_addr_str(ss, c->srcstr, sizeof(c->srcstr));
	c->host = -1;
	c->som = som;
	c->accepted_ns = now;
	hc.ctx = c;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ferry_session_init(&c->s, &hc, false) ||
	    som_loop_add(som, &c->w, EPOLLIN | EPOLLRDHUP)) {
		pr_warn("%s: cannot start a session\n", c->srcstr);
		ferry_session_free(&c->s);
		free(c);
		close(fd);
		return;
	}
	c->source = s;
	s->pending++;
	som->conns[slot] = c;
	som->nconns++;
	pr_debug("%s: connected\n", c->srcstr);
}

void som_accept(struct som *som, struct som_watch *lw)
{
	struct sockaddr_storage ss;
	char src[SOM_ADDR_STR], why[128];
	struct som_source *s;
	socklen_t len;
	__u8 a[16];
	__u64 now;
	int fd, slot;

	for (;;) {
		len = sizeof(ss);
		fd = accept4(lw->fd, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		now = som_now_ns();
		som_addr_str(&ss, src, sizeof(src));
		addr16(&ss, a);
		s = source_of(som, a, now);
		slot = slot_of(som);
		if (slot < 0) {
			snprintf(why, sizeof(why), "%u connections (max_connections)",
				 som->nconns);
			refuse(som, s, fd, src, why, now);
		} else if (!s) {
			refuse(som, NULL, fd, src, "too many source addresses in handshake", now);
		} else if (s->pending >= som->cfg.max_pending_per_source) {
			snprintf(why, sizeof(why), "%u handshakes in progress from this address (max_pending_per_source)",
				 s->pending);
			refuse(som, s, fd, src, why, now);
		} else if (!bucket_take(som, s, now)) {
			snprintf(why, sizeof(why), "over %u handshakes per second from this address",
				 som->cfg.handshakes_per_second);
			refuse(som, s, fd, src, why, now);
		} else {
			start_conn(som, fd, s, &ss, slot, now);
		}
	}
}

/* The connection's handshake ended (up, refused or cut). */
void som_source_done(struct som *som, struct som_conn *c)
{
	(void)som;
	if (c->source && c->source->pending)
		c->source->pending--;
	c->source = NULL;
}
