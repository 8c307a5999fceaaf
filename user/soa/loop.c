// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One thread, one epoll: signals arrive through a signalfd (TERM and INT
 * stop, HUP reloads, CHLD ends control commands), the sweep through a
 * timerfd, clients through the control socket.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "log.h"
#include "soa.h"
#include "soamig.h"
#include "soaloop.h"

#define EV_DATA(ev, fd)	(((uint64_t)(ev) << 32) | (uint32_t)(fd))

static int ctl(struct soa *soa, int op, int fd, enum soa_ev ev,
	       unsigned int events)
{
	struct epoll_event e = { .events = events, .data.u64 = EV_DATA(ev, fd) };

	if (epoll_ctl(soa->epfd, op, fd, &e)) {
		pr_warn("epoll: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int soa_loop_add(struct soa *soa, int fd, enum soa_ev ev, unsigned int events)
{
	return ctl(soa, EPOLL_CTL_ADD, fd, ev, events);
}

int soa_loop_mod(struct soa *soa, int fd, enum soa_ev ev, unsigned int events)
{
	return ctl(soa, EPOLL_CTL_MOD, fd, ev, events);
}

void soa_loop_del(struct soa *soa, int fd)
{
	epoll_ctl(soa->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void on_signal(struct soa *soa)
{
	struct signalfd_siginfo si;
	char err[FERRY_SOA_ERR_MAX];

	while (read(soa->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			pr_info("signal %d: stopping; the datapath stays loaded\n",
				si.ssi_signo);
			soa->stop = true;
			break;
		case SIGHUP:
			soa_reload(soa, err, sizeof(err));
			break;
		case SIGCHLD:
			soa_control_reap(soa);
			break;
		}
	}
}

static void on_gc(struct soa *soa)
{
	uint64_t ticks;

	if (read(soa->gc_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		soa_gc(soa);
}

static void dispatch(struct soa *soa, const struct epoll_event *e)
{
	int fd = (int)(uint32_t)e->data.u64;

	switch ((enum soa_ev)(e->data.u64 >> 32)) {
	case SOA_EV_SIGNAL:
		on_signal(soa);
		break;
	case SOA_EV_GC:
		on_gc(soa);
		break;
	case SOA_EV_LISTEN:
		soa_control_accept(soa);
		break;
	case SOA_EV_REQUEST:
		soa_control_request(soa, fd);
		break;
	case SOA_EV_RUNNING:
		if (e->events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			soa_control_hangup(soa, fd);
		break;
	case SOA_EV_SOM:
		soa_somlink_event(soa, e->events);
		break;
	case SOA_EV_SOM_TIMER:
		soa_somlink_timer(soa);
		break;
	case SOA_EV_MIG_RETRY:
		soa_recv_retry_timer(soa);
		break;
	}
}

static int open_sources(struct soa *soa)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	soa->epfd = epoll_create1(EPOLL_CLOEXEC);
	soa->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	soa->gc_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (soa->epfd < 0 || soa->sigfd < 0 || soa->gc_fd < 0) {
		pr_warn("event loop: %s\n", strerror(errno));
		return -errno;
	}
	return soa_loop_add(soa, soa->sigfd, SOA_EV_SIGNAL, EPOLLIN) ?:
	       soa_loop_add(soa, soa->gc_fd, SOA_EV_GC, EPOLLIN) ?:
	       soa_gc_arm(soa);
}

static void close_sources(struct soa *soa)
{
	int *fds[] = { &soa->gc_fd, &soa->sigfd, &soa->epfd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int soa_run(struct soa *soa)
{
	struct epoll_event ev[16];
	int n, i, err;

	err = open_sources(soa) ?: soa_control_open(soa) ?: soa_mig_open(soa) ?:
	      soa_somlink_open(soa);
	if (err)
		goto out;
	pr_info("ready: instance %s, host id %u\n", soa->cfg->instance,
		soa->cfg->host_id);
	while (!soa->stop) {
		n = epoll_wait(soa->epfd, ev, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			pr_warn("epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
			dispatch(soa, &ev[i]);
	}
out:
	soa_somlink_close(soa);
	soa_mig_close(soa);
	soa_control_close(soa);
	close_sources(soa);
	return err;
}
