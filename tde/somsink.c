// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Notifications to the SOM: one session, opened at start and again when
 * needed, authenticated as role tde with the TDE's identity and the SOM's
 * pinned key; each notification is one NOTIFY record. The sink is called
 * from ferry-tde's loop (or once by `ferry-tde notify`), so every socket
 * operation is bounded (2 s); after a failure, connecting is retried no
 * sooner than a backoff (1 s doubling to 30 s) and notifications in between
 * are reported as not sent (-ECONNREFUSED), never queued without bound.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "ferry/layout.h"
#include "log.h"
#include "somproto.h"
#include "somsink.h"
#include "wiresession.h"

#define IO_TIMEOUT_MS	2000
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	30000

struct somsink {
	const struct ferry_tde_config *cfg;
	struct ferry_identity id;
	struct ferry_session s;
	int fd;
	bool session;
	__u64 next_try_ms;
	__u32 backoff_ms;
	char peer[64];
};

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

static void disconnect(struct somsink *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	if (k->session)
		ferry_session_free(&k->s);
	k->session = false;
}

static int failed(struct somsink *k, const char *why)
{
	pr_warn("som %s: %s; next attempt in %u ms\n", k->peer, why, k->backoff_ms);
	disconnect(k);
	k->next_try_ms = mono_ms() + k->backoff_ms;
	k->backoff_ms = k->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
							     k->backoff_ms * 2;
	return -ECONNREFUSED;
}

static int wait_fd(int fd, short events, __u64 deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	__u64 now = mono_ms();

	if (now >= deadline)
		return -ETIMEDOUT;
	return poll(&p, 1, (int)(deadline - now)) == 1 ? 0 : -ETIMEDOUT;
}

/* Write the session's output, bounded by the deadline. */
static int flush(struct somsink *k, __u64 deadline)
{
	const __u8 *p;
	size_t len;
	ssize_t n;

	for (;;) {
		p = ferry_session_output(&k->s, &len);
		if (!len)
			return 0;
		n = send(k->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			ferry_session_output_done(&k->s, (size_t)n);
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (wait_fd(k->fd, POLLOUT, deadline))
			return -ETIMEDOUT;
	}
}

static int ignore_msg(void *ctx, __u8 type, const __u8 *msg, size_t len)
{
	(void)ctx; (void)msg; (void)len;
	pr_debug("som: message type %u ignored\n", type);
	return 0;
}

/* Read what there is (wait: until up or the deadline). 0, or why not. */
static int receive(struct somsink *k, bool wait, __u64 deadline)
{
	__u8 buf[2048];
	ssize_t n;
	int ret;

	for (;;) {
		if (wait && ferry_session_up(&k->s))
			return 0;
		n = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			if (!wait)
				return 0;
			if (wait_fd(k->fd, POLLIN, deadline))
				return -ETIMEDOUT;
			continue;
		}
		ret = n <= 0 ? (ferry_session_eof(&k->s) ?: 1) :
			       ferry_session_feed(&k->s, buf, (size_t)n, ignore_msg, k);
		if (ret)
			return ret == 1 ? -EPIPE : ret;
		if ((ret = flush(k, deadline)))
			return ret;
	}
}

static int dial(struct somsink *k, __u64 deadline)
{
	const struct ferry_tde_config *c = k->cfg;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	bool v4 = c->som.family == FERRY_AF_INET;
	int err = 0, one = 1;
	socklen_t len = sizeof(err);

	k->fd = socket(v4 ? AF_INET : AF_INET6,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0)
		return -errno;
	s4.sin_port = s6.sin6_port = htons(c->som_port);
	memcpy(&s4.sin_addr, c->som.addr, 4);
	memcpy(&s6.sin6_addr, c->som.addr, 16);
	if (connect(k->fd, v4 ? (struct sockaddr *)&s4 : (struct sockaddr *)&s6,
		    v4 ? sizeof(s4) : sizeof(s6)) && errno != EINPROGRESS)
		return -errno;
	if (wait_fd(k->fd, POLLOUT, deadline))
		return -ETIMEDOUT;
	if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		return -(err ? err : errno);
	setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int connect_som(struct somsink *k)
{
	struct ferry_hs_config hc = {
		.id = &k->id, .role = FERRY_ROLE_TDE, .host_id = k->cfg->host_id,
		.pinned_pk = k->cfg->som_public_key,
	};
	__u64 deadline = mono_ms() + IO_TIMEOUT_MS;
	char why[FERRY_SESSION_ERR_MAX + 32];
	int ret;

	if (mono_ms() < k->next_try_ms)
		return -ECONNREFUSED;	/* the last attempt failed: logged */
	ret = dial(k, deadline);
	if (ret) {
		snprintf(why, sizeof(why), "connect: %s", strerror(-ret));
		return failed(k, why);
	}
	if (ferry_session_init(&k->s, &hc, true))
		return failed(k, "cannot start a session");
	k->session = true;
	ret = flush(k, deadline) ?: receive(k, true, deadline);
	if (ret) {
		snprintf(why, sizeof(why), "%s", k->session && ferry_session_error(&k->s)[0] ?
			 ferry_session_error(&k->s) : strerror(-ret));
		return failed(k, why);
	}
	k->backoff_ms = BACKOFF_MIN_MS;
	pr_info("som %s: connected as tde host %u\n", k->peer, k->cfg->host_id);
	return 0;
}

static void to_wire(const struct ferry_tde_notification *n, struct ferry_notify *w)
{
	__u32 i;

	memset(w, 0, sizeof(*w));
	snprintf(w->vm, sizeof(w->vm), "%s", n->vm);
	w->zone = n->zone;
	w->naddrs = n->naddrs < FERRY_WIRE_VM_ADDRS_MAX ? n->naddrs :
							  FERRY_WIRE_VM_ADDRS_MAX;
	for (i = 0; i < w->naddrs; i++) {
		w->addrs[i].family = n->addrs[i].family == FERRY_AF_INET ? 4 : 6;
		memcpy(w->addrs[i].addr, n->addrs[i].addr, 16);
	}
	w->has_mac = n->has_mac;
	memcpy(w->mac, n->mac, 6);
	w->from_host = n->from_host;
	w->to_host = n->to_host;
	w->reason = n->reason;
	w->time_ms = n->time_ns / 1000000;
}

static int send_notify(struct somsink *k, const __u8 *msg, size_t len)
{
	__u64 deadline = mono_ms() + IO_TIMEOUT_MS;
	int ret;

	ret = receive(k, false, deadline);	/* a CLOSE may be waiting */
	if (!ret)
		ret = ferry_session_send(&k->s, FERRY_MSG_NOTIFY, msg, len);
	return ret ?: flush(k, deadline);
}

static int notify(struct ferry_tde_sink *sink, const struct ferry_tde_notification *n)
{
	struct somsink *k = sink->ctx;
	__u8 buf[FERRY_SOMPROTO_MSG_MAX];
	struct ferry_notify w;
	int len, ret, tries;

	to_wire(n, &w);
	len = ferry_notify_encode(&w, buf, sizeof(buf));
	if (len < 0)
		return len;
	for (tries = 0; tries < 2; tries++) {
		if (!k->session && (ret = connect_som(k)))
			return ret;
		ret = send_notify(k, buf, (size_t)len);
		if (!ret) {
			pr_info("som %s: notified: vm %s from host %u to host %u\n",
				k->peer, n->vm, n->from_host, n->to_host);
			return 0;
		}
		/* the session ended since the last notification: once more */
		pr_info("som %s: session ended (%s), reconnecting\n", k->peer,
			ferry_session_error(&k->s)[0] ? ferry_session_error(&k->s) :
							 strerror(-ret));
		disconnect(k);
	}
	return ret;
}

int tde_sink_som(struct ferry_tde_sink *sink, const struct ferry_tde_config *cfg)
{
	char err[FERRY_IDENTITY_ERR_MAX], a[INET6_ADDRSTRLEN];
	struct somsink *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	if (ferry_identity_load(&k->id, cfg->identity_key, err, sizeof(err))) {
		pr_warn("[tde] identity_key: %s\n", err);
		free(k);
		return -EINVAL;
	}
	k->cfg = cfg;
	k->fd = -1;
	k->backoff_ms = BACKOFF_MIN_MS;
	inet_ntop(cfg->som.family == FERRY_AF_INET ? AF_INET : AF_INET6,
		  cfg->som.addr, a, sizeof(a));
	snprintf(k->peer, sizeof(k->peer), cfg->som.family == FERRY_AF_INET ?
		 "%s:%u" : "[%s]:%u", a, cfg->som_port);
	sink->notify = notify;
	sink->ctx = k;
	connect_som(k);
	return 0;
}

void tde_sink_som_free(struct ferry_tde_sink *sink)
{
	struct somsink *k = sink->ctx;

	if (!k)
		return;
	if (k->session && ferry_session_up(&k->s)) {
		ferry_session_close(&k->s, FERRY_REASON_OK);
		flush(k, mono_ms() + 500);
		receive(k, false, mono_ms());
	}
	disconnect(k);
	ferry_identity_wipe(&k->id);
	free(k);
	sink->ctx = NULL;
}
