// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's link to the SOM (IF(M,A) F1 and F2), when [security] is
 * configured: a non-blocking TCP connection in the agent's epoll loop, the
 * handshake with the SOM's pinned key and the agent's identity, then
 * REGISTER with the host profile and a HEARTBEAT every interval the SOM
 * asked for. Any failure closes the connection and retries after an
 * exponential backoff (0.2 s doubling to 30 s, with jitter), so that after
 * a SOM restart every agent re-registers by itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <sodium.h>
#include "log.h"
#include "soa.h"
#include "soaloop.h"
#include "somproto.h"
#include "statecodec.h"
#include "wiresession.h"

#define BACKOFF_MIN_MS	200
#define BACKOFF_MAX_MS	30000
#define HS_TIMEOUT_MS	10000

enum link_state { L_IDLE, L_CONNECTING, L_HANDSHAKE, L_REGISTERING, L_UP };

struct soa_somlink {
	struct ferry_identity id;
	/* what the link was opened with, to see a reload change it */
	char identity_key[FERRY_SOA_PATH_MAX];
	struct ferry_soa_endpoint som;
	__u8 som_public_key[FERRY_SOA_KEY_LEN];
	__u32 host_id;
	int fd, timer_fd;
	enum link_state state;
	struct ferry_session s;
	bool session;
	__u32 backoff_ms;
	__u32 heartbeat_ms;
	__u64 registrations;
	char peer[64];
};

static void arm(struct soa_somlink *l, __u32 ms, bool periodic)
{
	struct itimerspec its = {};

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	if (periodic)
		its.it_interval = its.it_value;
	timerfd_settime(l->timer_fd, 0, &its, NULL);
}

static void drop(struct soa *soa, const char *why)
{
	struct soa_somlink *l = soa->somlink;
	__u32 wait;

	if (l->fd >= 0) {
		soa_loop_del(soa, l->fd);
		close(l->fd);
		l->fd = -1;
	}
	if (l->session)
		ferry_session_free(&l->s);
	l->session = false;
	soa_mig_link_lost(soa);
	wait = l->backoff_ms / 2 + randombytes_uniform(l->backoff_ms / 2 + 1);
	pr_warn("som %s: %s; retrying in %u ms\n", l->peer, why, wait);
	l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
							     l->backoff_ms * 2;
	l->state = L_IDLE;
	arm(l, wait, false);
}

static void flush(struct soa *soa)
{
	struct soa_somlink *l = soa->somlink;
	/* a failed socket is seen when it is read */
	ssize_t left = ferry_session_write(&l->s, l->fd);

	soa_loop_mod(soa, l->fd, SOA_EV_SOM, EPOLLIN | EPOLLRDHUP |
		     (left ? EPOLLOUT : 0));
}

static __u32 capacity(const struct soa *soa)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (soa->cfg->ct_max)
		return soa->cfg->ct_max;
	if (soa->ct_fd >= 0 && !bpf_obj_get_info_by_fd(soa->ct_fd, &info, &len))
		return info.max_entries;
	return 0;
}

/* The host profile: what this State Host is and can do. */
static void profile(const struct soa *soa, struct ferry_host_profile *p)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ferry_wire_addr *a = &p->addrs[0];

	memset(p, 0, sizeof(*p));
	p->host_id = soa->cfg->host_id;
	snprintf(p->name, sizeof(p->name), "%s", soa->cfg->instance);
	p->functions = FERRY_FN_FIREWALL |
		       (soa->cfg->nforwards ? FERRY_FN_NAT : 0) |
		       (soa->cfg->npools ? FERRY_FN_POOLS : 0);
	p->schema_min = 1;
	p->schema_max = FERRY_SC_VERSION;
	p->capacity = capacity(soa);
	p->load = soa->gc_last_entries;
	/* the address the SOM sees us at */
	p->naddrs = 1;
	if (!getsockname(soa->somlink->fd, (struct sockaddr *)&ss, &len) &&
	    ss.ss_family == AF_INET) {
		a->family = 4;
		memcpy(a->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else {
		a->family = 6;
		memcpy(a->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
}

static void send_register(struct soa *soa)
{
	struct soa_somlink *l = soa->somlink;
	struct ferry_host_profile p;
	__u8 buf[FERRY_SOMPROTO_MSG_MAX];
	int len;

	profile(soa, &p);
	len = ferry_register_encode(&p, buf, sizeof(buf));
	if (len < 0 || ferry_session_send(&l->s, FERRY_MSG_REGISTER, buf,
					  (size_t)len)) {
		drop(soa, "cannot send REGISTER");
		return;
	}
	if (l->state == L_HANDSHAKE)	/* a registered link stays up */
		l->state = L_REGISTERING;
}

static void send_heartbeat(struct soa *soa)
{
	struct soa_somlink *l = soa->somlink;
	struct ferry_heartbeat h = { .load = soa->gc_last_entries };
	__u8 buf[64];
	int len = ferry_heartbeat_encode(&h, buf, sizeof(buf));

	if (len < 0 || ferry_session_send(&l->s, FERRY_MSG_HEARTBEAT, buf,
					  (size_t)len)) {
		drop(soa, "cannot send HEARTBEAT");
		return;
	}
	flush(soa);
}

static int on_msg(void *ctx, __u8 type, const __u8 *msg, size_t len)
{
	struct soa *soa = ctx;
	struct soa_somlink *l = soa->somlink;
	struct ferry_registered r;
	char err[FERRY_SOMPROTO_ERR_MAX];

	if (ferry_migmsg_type(type) && l->state == L_UP)
		return soa_mig_msg(soa, type, msg, len);
	if (type != FERRY_MSG_REGISTERED) {
		pr_info("som %s: message type %u ignored\n", l->peer, type);
		return 0;
	}
	if (ferry_registered_decode(msg, len, &r, err, sizeof(err))) {
		pr_warn("som %s: REGISTERED: %s\n", l->peer, err);
		return -EBADMSG;
	}
	l->state = L_UP;
	l->heartbeat_ms = r.heartbeat_ms;
	l->backoff_ms = BACKOFF_MIN_MS;
	l->registrations++;
	pr_info("som %s: registered as host %u (heartbeat every %u ms)\n",
		l->peer, r.host_id, r.heartbeat_ms);
	arm(l, r.heartbeat_ms, true);
	return 0;
}

static void start_session(struct soa *soa)
{
	struct soa_somlink *l = soa->somlink;
	struct ferry_hs_config cfg = {
		.id = &l->id, .role = FERRY_ROLE_SOA, .host_id = soa->cfg->host_id,
		.pinned_pk = soa->cfg->som_public_key,
	};
	int one = 1, err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		drop(soa, strerror(err ? err : errno));
		return;
	}
	setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ferry_session_init(&l->s, &cfg, true)) {
		drop(soa, "cannot start a session");
		return;
	}
	l->session = true;
	l->state = L_HANDSHAKE;
	arm(l, HS_TIMEOUT_MS, false);
	flush(soa);
}

static void receive(struct soa *soa)
{
	struct soa_somlink *l = soa->somlink;
	char why[FERRY_SESSION_ERR_MAX + 32];
	static __u8 buf[65536];		/* a migration's DATA come in 64 KiB */
	ssize_t n;
	int ret;

	for (;;) {
		n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		ret = n <= 0 ? (ferry_session_eof(&l->s) ?: 1) :
			       ferry_session_feed(&l->s, buf, (size_t)n, on_msg, soa);
		if (ret == 1) {
			snprintf(why, sizeof(why), "the SOM closed the session (%s)",
				 ferry_wire_reason_name(ferry_session_reason(&l->s)));
			drop(soa, why);
			return;
		}
		if (ret < 0) {
			snprintf(why, sizeof(why), "%s", ferry_session_error(&l->s));
			drop(soa, why[0] ? why : "connection ended");
			return;
		}
	}
	if (l->state == L_HANDSHAKE && ferry_session_up(&l->s))
		send_register(soa);
	flush(soa);
}

void soa_somlink_event(struct soa *soa, unsigned int events)
{
	struct soa_somlink *l = soa->somlink;

	if (!l)		/* closed by a reload in this round of events */
		return;
	if (l->state == L_CONNECTING) {
		start_session(soa);
		return;
	}
	if (events & EPOLLOUT)
		flush(soa);
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		receive(soa);
}

static void dial(struct soa *soa)
{
	struct soa_somlink *l = soa->somlink;
	const struct ferry_soa_endpoint *ep = &soa->cfg->som;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	bool v4 = ep->family == FERRY_AF_INET;

	l->fd = socket(v4 ? AF_INET : AF_INET6,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		drop(soa, strerror(errno));
		return;
	}
	s4.sin_port = s6.sin6_port = htons(ep->port);
	memcpy(&s4.sin_addr, ep->addr, 4);
	memcpy(&s6.sin6_addr, ep->addr, 16);
	if (connect(l->fd, v4 ? (struct sockaddr *)&s4 : (struct sockaddr *)&s6,
		    v4 ? sizeof(s4) : sizeof(s6)) && errno != EINPROGRESS) {
		drop(soa, strerror(errno));
		return;
	}
	l->state = L_CONNECTING;
	arm(l, HS_TIMEOUT_MS, false);
	if (soa_loop_add(soa, l->fd, SOA_EV_SOM, EPOLLOUT | EPOLLIN | EPOLLRDHUP))
		drop(soa, "epoll");
}

void soa_somlink_timer(struct soa *soa)
{
	struct soa_somlink *l = soa->somlink;
	__u64 ticks;

	if (!l || read(l->timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	switch (l->state) {
	case L_IDLE:
		dial(soa);
		break;
	case L_UP:
		send_heartbeat(soa);
		break;
	default:
		drop(soa, "no answer in time");
		break;
	}
}

int soa_somlink_open(struct soa *soa)
{
	struct soa_somlink *l;
	const struct ferry_soa_endpoint *ep = &soa->cfg->som;
	char err[FERRY_IDENTITY_ERR_MAX], a[INET6_ADDRSTRLEN];

	if (!soa->cfg->has_security)
		return 0;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (ferry_identity_load(&l->id, soa->cfg->identity_key, err, sizeof(err))) {
		pr_warn("[security] identity_key: %s\n", err);
		free(l);
		return -EINVAL;
	}
	inet_ntop(ep->family == FERRY_AF_INET ? AF_INET : AF_INET6, ep->addr, a,
		  sizeof(a));
	snprintf(l->peer, sizeof(l->peer),
		 ep->family == FERRY_AF_INET ? "%s:%u" : "[%s]:%u", a, ep->port);
	memcpy(l->identity_key, soa->cfg->identity_key, sizeof(l->identity_key));
	l->som = *ep;
	memcpy(l->som_public_key, soa->cfg->som_public_key, FERRY_SOA_KEY_LEN);
	l->host_id = soa->cfg->host_id;
	l->fd = -1;
	l->backoff_ms = BACKOFF_MIN_MS;
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	soa->somlink = l;
	if (l->timer_fd < 0 ||
	    soa_loop_add(soa, l->timer_fd, SOA_EV_SOM_TIMER, EPOLLIN))
		return -EIO;
	pr_info("som %s: connecting as host %u\n", l->peer, soa->cfg->host_id);
	dial(soa);
	return 0;
}

void soa_somlink_close(struct soa *soa)
{
	struct soa_somlink *l = soa->somlink;

	if (!l)
		return;
	if (l->state == L_UP || l->state == L_REGISTERING) {
		ferry_session_close(&l->s, FERRY_REASON_OK);
		flush(soa);
	}
	if (l->fd >= 0)
		close(l->fd);
	if (l->session)
		ferry_session_free(&l->s);
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	ferry_identity_wipe(&l->id);
	free(l);
	soa->somlink = NULL;
}

/*
 * After a reload: a link whose settings ([security], host id) changed is
 * reopened; an unchanged one registers again, so that a changed profile
 * (ct_max, pools, forwards) reaches the SOM.
 */
void soa_somlink_reload(struct soa *soa)
{
	const struct ferry_soa_config *c = soa->cfg;
	struct soa_somlink *l = soa->somlink;

	if (l && c->has_security && !strcmp(l->identity_key, c->identity_key) &&
	    !memcmp(&l->som, &c->som, sizeof(l->som)) &&
	    !memcmp(l->som_public_key, c->som_public_key, FERRY_SOA_KEY_LEN) &&
	    l->host_id == c->host_id) {
		if (l->state == L_UP) {
			send_register(soa);
			flush(soa);
		}
		return;
	}
	if (!l && !c->has_security)
		return;
	pr_info("reload: the link to the SOM changed: %s\n",
		c->has_security ? "reconnecting" : "closed");
	soa_somlink_close(soa);
	if (c->has_security && soa_somlink_open(soa))
		pr_warn("reload: no link to the SOM\n");
}

static __u64 realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

/*
 * Block until at most max bytes of output wait for the socket, writing as
 * it takes them, but not past deadline_ms (CLOCK_REALTIME). For the
 * source's export, which runs inside the loop: the SOM stops reading us
 * while the destination is behind (som/relay.c), and we wait for it here
 * rather than let our output grow. 0, -ETIME, or -EPIPE (the link broke:
 * the loop sees it and drops the link once the export returns).
 */
int soa_somlink_drain(struct soa *soa, size_t max, __u64 deadline_ms)
{
	struct soa_somlink *l = soa->somlink;
	struct pollfd p;
	ssize_t left;
	__u64 now;

	if (!l || l->state != L_UP)
		return -EPIPE;
	p.fd = l->fd;
	p.events = POLLOUT;
	for (;;) {
		left = ferry_session_write(&l->s, l->fd);
		if (left < 0)
			return -EPIPE;
		if ((size_t)left <= max)
			return 0;
		now = realtime_ms();
		if (now >= deadline_ms)
			return -ETIME;
		if (poll(&p, 1, (int)(deadline_ms - now > 60000 ? 60000 :
				       deadline_ms - now)) < 0 && errno != EINTR)
			return -errno;
		if (p.revents & (POLLERR | POLLHUP))
			return -EPIPE;
	}
}

/* A message to the SOM, sent as far as the socket takes it now. */
int soa_somlink_send(struct soa *soa, __u8 type, const __u8 *msg, size_t len)
{
	struct soa_somlink *l = soa->somlink;
	int ret;

	if (!l || l->state != L_UP)
		return -ENOTCONN;
	ret = ferry_session_send(&l->s, type, msg, len);
	if (!ret)
		flush(soa);
	return ret;
}

const struct ferry_identity *soa_somlink_identity(const struct soa *soa)
{
	return &soa->somlink->id;
}

bool soa_somlink_registered(const struct soa *soa)
{
	return soa->somlink && soa->somlink->state == L_UP;
}
