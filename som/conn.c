// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One peer's connection: bytes in through the sans-IO session
 * (wiresession.h), application records to the registry, output flushed
 * without blocking. Every refusal and every forced close is logged with
 * the reason and the source address. The tick enforces the handshake
 * timeout, the partial-frame timeout (slow-loris) and, through the
 * registry, the heartbeat timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "log.h"
#include "som.h"

#define NS_PER_MS	1000000ull
#define NS_PER_SEC	1000000000ull
#define READ_MAX	65536

int som_authorize(void *ctx, const struct ferry_hs_peer *peer, char *why,
		  size_t whylen)
{
	struct som_conn *c = ctx;

	return ferry_authkeys_check(c->som->keys, peer->pk, peer->role,
				    peer->host_id, (struct sockaddr *)&c->src,
				    why, whylen);
}

static const char *who(const struct som_conn *c, char *buf, size_t len)
{
	const struct ferry_hs_peer *p = ferry_session_peer(&c->s);

	if (c->up)
		snprintf(buf, len, "%s (%s host %u)", c->srcstr,
			 ferry_role_name(p->role), p->host_id);
	else
		snprintf(buf, len, "%s", c->srcstr);
	return buf;
}

void som_conn_flush(struct som *som, struct som_conn *c)
{
	/* a failed socket is seen when it is read */
	ssize_t left = ferry_session_write(&c->s, c->w.fd);

	som_loop_mod(som, &c->w, (c->paused ? 0 : EPOLLIN | EPOLLRDHUP) |
		     (left ? EPOLLOUT : 0));
	som_relay_drained(som, c);
}

void som_conn_close(struct som *som, struct som_conn *c, int reason,
		    const char *why)
{
	__u32 i;

	if (c->up && !c->closing)
		ferry_session_close(&c->s, (__u8)reason);
	c->closing = true;
	som_relay_closed(som, c);
	som_conn_flush(som, c);
	if (c->host >= 0) {
		som_mig_conn_gone(som, c);
		som_host_gone(som, c, why);
	}
	som_source_done(som, c);
	som_loop_del(som, &c->w);
	shutdown(c->w.fd, SHUT_WR);
	close(c->w.fd);
	for (i = 0; i < som->cfg.max_connections; i++)
		if (som->conns[i] == c)
			som->conns[i] = NULL;
	som->nconns--;
	ferry_session_free(&c->s);
	free(c);
}

/* An application message: 0, or a negative errno with c->why set. */
struct msg_ctx {
	struct som *som;
	struct som_conn *c;
	int reason;
	char why[FERRY_SOMPROTO_ERR_MAX + 64];
};

static int msg_fail(struct msg_ctx *m, int reason, int ret)
{
	m->reason = reason;
	return ret;
}

static int on_register(struct msg_ctx *m, const __u8 *msg, size_t len)
{
	const struct ferry_hs_peer *peer = ferry_session_peer(&m->c->s);
	struct ferry_host_profile p;
	char err[FERRY_SOMPROTO_ERR_MAX];

	if (peer->role != FERRY_ROLE_SOA) {
		snprintf(m->why, sizeof(m->why), "REGISTER from a %s",
			 ferry_role_name(peer->role));
		return msg_fail(m, FERRY_REASON_PROTOCOL, -EPROTO);
	}
	if (ferry_register_decode(msg, len, &p, err, sizeof(err))) {
		snprintf(m->why, sizeof(m->why), "REGISTER: %s", err);
		return msg_fail(m, FERRY_REASON_MALFORMED, -EBADMSG);
	}
	if (p.host_id != peer->host_id) {
		snprintf(m->why, sizeof(m->why), "REGISTER of host %u by host %u",
			 p.host_id, peer->host_id);
		return msg_fail(m, FERRY_REASON_HOST_ID, -EACCES);
	}
	if (som_register(m->som, m->c, &p)) {
		snprintf(m->why, sizeof(m->why), "registration failed");
		return msg_fail(m, FERRY_REASON_INTERNAL, -EIO);
	}
	return 0;
}

static int on_heartbeat(struct msg_ctx *m, const __u8 *msg, size_t len)
{
	struct ferry_heartbeat h;
	char err[FERRY_SOMPROTO_ERR_MAX];

	if (m->c->host < 0) {
		snprintf(m->why, sizeof(m->why), "HEARTBEAT before REGISTER");
		return msg_fail(m, FERRY_REASON_PROTOCOL, -EPROTO);
	}
	if (ferry_heartbeat_decode(msg, len, &h, err, sizeof(err))) {
		snprintf(m->why, sizeof(m->why), "HEARTBEAT: %s", err);
		return msg_fail(m, FERRY_REASON_MALFORMED, -EBADMSG);
	}
	som_heartbeat(m->som, m->c, h.load);
	return 0;
}

static int on_notify(struct msg_ctx *m, const __u8 *msg, size_t len)
{
	const struct ferry_hs_peer *peer = ferry_session_peer(&m->c->s);
	struct ferry_notify n;
	char err[FERRY_SOMPROTO_ERR_MAX];

	if (peer->role != FERRY_ROLE_TDE) {
		snprintf(m->why, sizeof(m->why), "NOTIFY from a %s",
			 ferry_role_name(peer->role));
		return msg_fail(m, FERRY_REASON_PROTOCOL, -EPROTO);
	}
	if (ferry_notify_decode(msg, len, &n, err, sizeof(err))) {
		snprintf(m->why, sizeof(m->why), "NOTIFY: %s", err);
		return msg_fail(m, FERRY_REASON_MALFORMED, -EBADMSG);
	}
	som_notice_add(m->som, m->c, &n);
	return 0;
}

/* The frame rate of one peer, in windows of one second. */
static int rate_ok(struct msg_ctx *m)
{
	struct som_conn *c = m->c;
	__u64 now = som_now_ns();

	if (now - c->window_ns >= NS_PER_SEC) {
		c->window_ns = now;
		c->window_frames = 0;
	}
	if (++c->window_frames <= m->som->cfg.frames_per_second)
		return 0;
	snprintf(m->why, sizeof(m->why), "limit: over %u frames per second",
		 m->som->cfg.frames_per_second);
	return msg_fail(m, FERRY_REASON_LIMIT, -ENOBUFS);
}

static int on_msg(void *ctx, __u8 type, const __u8 *msg, size_t len)
{
	struct msg_ctx *m = ctx;
	int ret;

	/* a migration's DATA is paced by the relay's flow control instead */
	if (type != FERRY_MSG_DATA || !som_relay_feeding(m->som, m->c)) {
		ret = rate_ok(m);
		if (ret)
			return ret;
	}
	switch (type) {
	case FERRY_MSG_REGISTER:
		return on_register(m, msg, len);
	case FERRY_MSG_HEARTBEAT:
		return on_heartbeat(m, msg, len);
	case FERRY_MSG_NOTIFY:
		return on_notify(m, msg, len);
	default:
		if (ferry_migmsg_type(type)) {
			ret = som_mig_msg(m->som, m->c, type, msg, len, m->why,
					  sizeof(m->why));
			return ret ? msg_fail(m, FERRY_REASON_PROTOCOL, ret) : 0;
		}
		snprintf(m->why, sizeof(m->why), "unexpected message type %u", type);
		return msg_fail(m, FERRY_REASON_PROTOCOL, -EPROTO);
	}
}

/* The handshake just completed. */
static void on_up(struct som *som, struct som_conn *c)
{
	const struct ferry_hs_peer *p = ferry_session_peer(&c->s);
	char b64[FERRY_PUBKEY_B64_LEN], name[128];

	c->up = true;
	som_source_done(som, c);
	som->handshakes++;
	ferry_pubkey_to_base64(p->pk, b64);
	pr_info("authenticated %s key %s\n", who(c, name, sizeof(name)), b64);
	c->window_ns = som_now_ns();
}

static void conn_failed(struct som *som, struct som_conn *c, struct msg_ctx *m)
{
	char name[128];
	const char *err;

	who(c, name, sizeof(name));
	if (m->reason >= 0) {
		/* our own verdict on a message: close with that reason */
		pr_warn("closing %s: %s: %s\n", name,
			ferry_wire_reason_name(m->reason), m->why);
		som_conn_close(som, c, m->reason, m->why);
		return;
	}
	err = ferry_session_error(&c->s);
	if (!c->up) {
		som->refusals++;
		pr_warn("refused %s: %s\n", name, err);
	} else {
		pr_warn("closing %s: %s\n", name, err);
	}
	c->closing = true;	/* the session queued what it had to say */
	som_conn_close(som, c, ferry_session_reason(&c->s), err);
}

static int read_some(struct som *som, struct som_conn *c, struct msg_ctx *m)
{
	static __u8 buf[READ_MAX];
	ssize_t n;
	int ret;

	n = recv(c->w.fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0) {		/* the end, or a reset: the same to the session */
		ret = ferry_session_eof(&c->s);
		return ret ? ret : 2;
	}
	ret = ferry_session_feed(&c->s, buf, (size_t)n, on_msg, m);
	if (!c->up && ferry_session_up(&c->s))
		on_up(som, c);
	return ret == 1 ? 2 : ret;
}

void som_conn_event(struct som *som, struct som_conn *c, unsigned int events)
{
	struct msg_ctx m = { .som = som, .c = c, .reason = -1 };
	char name[128];
	int ret = 0, i;

	if (events & EPOLLOUT)
		som_conn_flush(som, c);
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	/* paused by the relay: read only to see an error or the end */
	if (c->paused && !(events & (EPOLLHUP | EPOLLERR)))
		return;
	for (i = 0; i < 64 && !ret && (!c->paused || events & (EPOLLHUP | EPOLLERR)); i++)
		ret = read_some(som, c, &m);
	if (ret == 2) {
		pr_info("%s closed the session\n", who(c, name, sizeof(name)));
		som_conn_close(som, c, FERRY_REASON_OK, "closed by the peer");
		return;
	}
	if (ret < 0 && ret != -EAGAIN) {
		if (ret == -EPIPE && m.reason < 0 && !c->up)
			pr_warn("refused %s: connection ended during the handshake\n",
				c->srcstr);
		else if (ret == -EPIPE && m.reason < 0)
			pr_warn("closing %s: %s\n", who(c, name, sizeof(name)),
				ferry_session_error(&c->s));
		if (ret == -EPIPE && m.reason < 0) {
			c->closing = true;
			som_conn_close(som, c, FERRY_REASON_PROTOCOL,
				       "connection ended without CLOSE");
			return;
		}
		conn_failed(som, c, &m);
		return;
	}
	c->partial_since_ns = ferry_session_partial(&c->s) ?
		(c->partial_since_ns ?: som_now_ns()) : 0;
	som_conn_flush(som, c);
}

static void tick_one(struct som *som, struct som_conn *c, __u64 now)
{
	__u64 limit = (__u64)som->cfg.handshake_timeout_ms * NS_PER_MS;
	char name[128], why[128];

	if (!c->up && now - c->accepted_ns > limit) {
		som->refusals++;
		snprintf(why, sizeof(why), "limit: handshake not done in %u ms%s",
			 som->cfg.handshake_timeout_ms,
			 ferry_session_partial(&c->s) ? " (a frame partly sent)" : "");
	} else if (c->partial_since_ns && now - c->partial_since_ns > limit) {
		snprintf(why, sizeof(why), "limit: a frame partly sent for over %u ms",
			 som->cfg.handshake_timeout_ms);
	} else {
		return;
	}
	pr_warn("%s %s: %s\n", c->up ? "closing" : "refused",
		who(c, name, sizeof(name)), why);
	som_conn_close(som, c, FERRY_REASON_LIMIT, why);
}

void som_conns_tick(struct som *som)
{
	__u64 now = som_now_ns();
	__u32 i;

	for (i = 0; i < som->cfg.max_connections; i++)
		if (som->conns[i])
			tick_one(som, som->conns[i], now);
	som_hosts_tick(som);
}

/* After a reload: close the sessions of keys no longer authorized. */
void som_conns_recheck(struct som *som)
{
	const struct ferry_hs_peer *p;
	char why[FERRY_HS_ERR_MAX], msg[FERRY_HS_ERR_MAX + 32], name[128];
	struct som_conn *c;
	__u32 i;
	int reason;

	for (i = 0; i < som->cfg.max_connections; i++) {
		c = som->conns[i];
		if (!c || !c->up)
			continue;
		p = ferry_session_peer(&c->s);
		why[0] = '\0';
		reason = ferry_authkeys_check(som->keys, p->pk, p->role, p->host_id,
					      (struct sockaddr *)&c->src, why,
					      sizeof(why));
		if (reason == FERRY_REASON_OK)
			continue;
		snprintf(msg, sizeof(msg), "revoked (%s): %s",
			 ferry_wire_reason_name(reason), why);
		pr_warn("closing %s: %s\n", who(c, name, sizeof(name)), msg);
		som_conn_close(som, c, reason, msg);
	}
}
