// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferry-tde's loop: one epoll over the watch points' event sockets, a
 * timerfd for the debounce deadlines and a signalfd for SIGTERM/SIGINT.
 * After each batch of events the routes toward the VMs are looked up again
 * where something changed, the evidence is voted per VM and handed to the
 * decision (tdedetect), whose due moves go to the sink.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "log.h"
#include "tdedetect.h"
#include "daemon.h"
#include "watch.h"

#define ID_SIGNAL	(-1)
#define ID_TIMER	(-2)
#define ID_RELOOK	(-3)
/*
 * After a link event the routes are looked up again this much later: the
 * kernel drops IPv4 routes of a link that goes down without telling
 * (no RTM_DELROUTE), possibly after we read the link's message.
 */
#define RELOOK_NS	(100 * 1000000ull)

struct tde {
	const struct ferry_tde_config *cfg;
	struct ferry_tde_sink *sink;
	struct tde_watch *watches;
	struct ferry_tde_detect detect;
	__u32 *votes;		/* scratch: nwatches * FERRY_TDE_ADDRS_MAX */
	int epfd, sigfd, timerfd, relookfd;
	bool *relook;		/* per watch point */
};

static __u64 now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

void tde_notification_from_vm(const struct ferry_tde_config *cfg, __u32 vm,
			      struct ferry_tde_notification *n)
{
	const struct ferry_tde_vm *v = &cfg->vms[vm];

	memset(n, 0, sizeof(*n));
	strcpy(n->vm, v->name);
	n->zone = v->zone;
	n->naddrs = v->naddrs;
	memcpy(n->addrs, v->addrs, sizeof(n->addrs));
	n->has_mac = v->has_mac;
	memcpy(n->mac, v->mac, 6);
}

static void emit(void *ctx, __u32 vm, __u32 from, __u32 to,
		 enum ferry_tde_reason reason)
{
	struct tde *t = ctx;
	struct ferry_tde_notification n;
	int err;

	tde_notification_from_vm(t->cfg, vm, &n);
	n.from_host = from;
	n.to_host = to;
	n.reason = reason;
	n.time_ns = now_ns(CLOCK_REALTIME);
	pr_info("vm %s: moved from host %u to host %u (%s)\n", n.vm, from, to,
		ferry_tde_reason_name(reason));
	err = t->sink->notify(t->sink, &n);
	if (err)
		pr_warn("vm %s: notification not sent: %s\n", n.vm, strerror(-err));
}

/* The host serving vm by the evidence of every watch point. */
static __u32 vote(struct tde *t, __u32 vm, bool *by_route)
{
	const struct ferry_tde_config *cfg = t->cfg;
	__u32 w, a, n = 0, neigh = 0, h;
	__u64 seq, best = 0;

	for (w = 0; w < cfg->nwatches; w++) {
		for (a = 0; a < cfg->vms[vm].naddrs; a++)
			t->votes[n++] = t->watches[w].route[vm * FERRY_TDE_ADDRS_MAX + a];
		h = watch_neigh_host(&t->watches[w], vm, &seq);
		if (h && seq > best) {
			best = seq;
			neigh = h;
		}
	}
	return ferry_tde_vote(t->votes, n, neigh, by_route);
}

/* Why vm's host is what it is now: what decided, and what changed. */
static enum ferry_tde_reason reason_of(unsigned int dirty, bool by_route)
{
	if (!by_route)
		return FERRY_TDE_REASON_NEIGH;
	if (dirty & WATCH_DIRTY_LINK)
		return FERRY_TDE_REASON_LINK;
	return FERRY_TDE_REASON_ROUTE;
}

/* Absolute CLOCK_MONOTONIC time; 0 disarms. */
static void arm_timer(int fd, __u64 due)
{
	struct itimerspec its = {};

	its.it_value.tv_sec = (time_t)(due / 1000000000ull);
	its.it_value.tv_nsec = (long)(due % 1000000000ull);
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* What the tests (and an operator with the logs) follow of a pending move. */
static void log_candidate(struct tde *t, __u32 vm, __u32 before)
{
	const struct ferry_tde_vm_state *s = &t->detect.vms[vm];

	if (s->cand == before)
		return;
	if (s->cand)
		pr_info("vm %s: candidate host %u (%s), from host %u\n",
			t->cfg->vms[vm].name, s->cand,
			ferry_tde_reason_name(s->cand_reason), s->host);
	else
		pr_info("vm %s: candidate host %u dropped\n", t->cfg->vms[vm].name,
			before);
}

static void decide(struct tde *t, unsigned int dirty)
{
	__u64 now = now_ns(CLOCK_MONOTONIC);
	__u32 vm, h, cand;
	bool by_route;

	for (vm = 0; vm < t->cfg->nvms; vm++) {
		h = vote(t, vm, &by_route);
		cand = t->detect.vms[vm].cand;
		ferry_tde_detect_observe(&t->detect, vm, h,
					 reason_of(dirty, by_route), now);
		log_candidate(t, vm, cand);
	}
	arm_timer(t->timerfd, ferry_tde_detect_tick(&t->detect, now, emit, t));
}

static int on_watch(struct tde *t, struct tde_watch *w)
{
	int err = watch_read(w);
	unsigned int dirty = w->dirty;

	if (err) {
		pr_warn("watch %s: %s\n", t->cfg->watches[w->index].name, strerror(-err));
		return err;
	}
	if (!dirty)
		return 0;
	w->dirty = 0;
	if (dirty & (WATCH_DIRTY_LINK | WATCH_DIRTY_ROUTE))
		watch_lookup_all(w);
	if (dirty & WATCH_DIRTY_LINK) {
		t->relook[w->index] = true;
		arm_timer(t->relookfd, now_ns(CLOCK_MONOTONIC) + RELOOK_NS);
	}
	decide(t, dirty);
	return 0;
}

static void on_timer(struct tde *t)
{
	__u64 expirations;

	if (read(t->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	arm_timer(t->timerfd, ferry_tde_detect_tick(&t->detect,
						    now_ns(CLOCK_MONOTONIC), emit, t));
}

static void on_relook(struct tde *t)
{
	__u64 expirations;
	__u32 w;

	if (read(t->relookfd, &expirations, sizeof(expirations)) < 0)
		return;
	for (w = 0; w < t->cfg->nwatches; w++) {
		if (!t->relook[w])
			continue;
		t->relook[w] = false;
		watch_lookup_all(&t->watches[w]);
	}
	decide(t, WATCH_DIRTY_LINK);
}

static int epoll_add(struct tde *t, int fd, int id)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (__u64)(__s64)id };

	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int loop(struct tde *t)
{
	struct epoll_event evs[16];
	struct signalfd_siginfo si;
	int n, i, id, err;

	for (;;) {
		n = epoll_wait(t->epfd, evs, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			id = (int)(__s64)evs[i].data.u64;
			if (id == ID_SIGNAL) {
				if (read(t->sigfd, &si, sizeof(si)) > 0)
					pr_info("signal %u: exiting\n", si.ssi_signo);
				return 0;
			}
			if (id == ID_TIMER) {
				on_timer(t);
				continue;
			}
			if (id == ID_RELOOK) {
				on_relook(t);
				continue;
			}
			err = on_watch(t, &t->watches[id]);
			if (err)
				return err;
		}
	}
}

/* Learn each VM's host from the state at start: nothing is notified. */
static void learn(struct tde *t)
{
	__u32 vm, h;
	int i;

	for (vm = 0; vm < t->cfg->nvms; vm++) {
		h = vote(t, vm, NULL);
		ferry_tde_detect_observe(&t->detect, vm, h, FERRY_TDE_REASON_ROUTE, 0);
		i = h ? ferry_tde_host_by_id(t->cfg, h) : -1;
		pr_info("vm %s: host %s (%u)\n", t->cfg->vms[vm].name,
			i < 0 ? "unknown" : t->cfg->hosts[i].name, h);
	}
}

static int setup_fds(struct tde *t)
{
	sigset_t mask;
	__u32 w;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	t->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	t->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	t->relookfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->sigfd < 0 || t->timerfd < 0 || t->relookfd < 0 || t->epfd < 0)
		return -errno;
	err = epoll_add(t, t->sigfd, ID_SIGNAL);
	if (!err)
		err = epoll_add(t, t->timerfd, ID_TIMER);
	if (!err)
		err = epoll_add(t, t->relookfd, ID_RELOOK);
	for (w = 0; !err && w < t->cfg->nwatches; w++)
		err = epoll_add(t, t->watches[w].ev_fd, (int)w);
	return err;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

int tde_run(const struct ferry_tde_config *cfg, struct ferry_tde_sink *sink)
{
	struct tde t = { .cfg = cfg, .sink = sink, .epfd = -1, .sigfd = -1,
			 .timerfd = -1, .relookfd = -1 };
	__u32 w, opened = 0;
	int err;

	t.watches = calloc(cfg->nwatches, sizeof(*t.watches));
	t.votes = calloc((size_t)cfg->nwatches * FERRY_TDE_ADDRS_MAX, sizeof(*t.votes));
	t.relook = calloc(cfg->nwatches, sizeof(*t.relook));
	err = t.watches && t.votes && t.relook ? 0 : -ENOMEM;
	if (!err)
		err = ferry_tde_detect_init(&t.detect, cfg->nvms,
					    (__u64)cfg->debounce_ms * 1000000ull);
	for (w = 0; !err && w < cfg->nwatches; w++, opened++)
		err = watch_open(&t.watches[w], cfg, (int)w);
	if (!err)
		err = setup_fds(&t);
	if (err)
		goto out_close;
	learn(&t);
	pr_info("ready: %u watch points, %u hosts, %u VMs, debounce %u ms\n",
		cfg->nwatches, cfg->nhosts, cfg->nvms, cfg->debounce_ms);
	err = loop(&t);
out_close:
	if (err)
		pr_warn("ferry-tde: %s\n", strerror(-err));
	close_fd(t.epfd);
	close_fd(t.relookfd);
	close_fd(t.timerfd);
	close_fd(t.sigfd);
	for (w = 0; w < opened; w++)
		watch_close(&t.watches[w]);
	ferry_tde_detect_free(&t.detect);
	free(t.relook);
	free(t.votes);
	free(t.watches);
	return err;
}
