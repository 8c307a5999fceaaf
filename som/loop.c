// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One thread, one epoll: signals through a signalfd (TERM and INT stop,
 * HUP reloads the authorized keys and closes the sessions of keys no
 * longer authorized, CHLD reaps control commands), timeouts through a
 * periodic timerfd, peers through the listening sockets and their
 * connections, ferryctl through the control socket.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include "log.h"
#include "som.h"

__u64 som_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

__u64 som_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000ull + (__u64)ts.tv_nsec / 1000000;
}

static int ctl(struct som *som, int op, struct som_watch *w, unsigned int events)
{
	struct epoll_event e = { .events = events, .data.ptr = w };

	if (epoll_ctl(som->epfd, op, w->fd, &e)) {
		pr_warn("epoll: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int som_loop_add(struct som *som, struct som_watch *w, unsigned int events)
{
	return ctl(som, EPOLL_CTL_ADD, w, events);
}

int som_loop_mod(struct som *som, struct som_watch *w, unsigned int events)
{
	return ctl(som, EPOLL_CTL_MOD, w, events);
}

void som_loop_del(struct som *som, struct som_watch *w)
{
	epoll_ctl(som->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int som_reload_keys(struct som *som)
{
	struct ferry_authkeys *keys;
	char err[FERRY_AUTHKEYS_ERR_MAX];
	int ret;

	ret = ferry_authkeys_load(som->cfg.authorized_keys, &keys, err, sizeof(err));
	if (ret) {
		pr_warn("reload: %s; the previous keys stay in force\n", err);
		return ret;
	}
	ferry_authkeys_free(som->keys);
	som->keys = keys;
	pr_info("reload: %zu authorized key(s) from %s\n", keys->n,
		som->cfg.authorized_keys);
	som_conns_recheck(som);
	return 0;
}

static void on_signal(struct som *som)
{
	struct signalfd_siginfo si;

	while (read(som->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			pr_info("signal %d: stopping\n", si.ssi_signo);
			som->stop = true;
			break;
		case SIGHUP:
			som_reload_keys(som);
			break;
		case SIGCHLD:
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			break;
		}
	}
}

static void dispatch(struct som *som, const struct epoll_event *e)
{
	struct som_watch *w = e->data.ptr;
	uint64_t ticks;

	switch (w->ev) {
	case SOM_EV_SIGNAL:
		on_signal(som);
		break;
	case SOM_EV_TICK:
		if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		{
			som_conns_tick(som);
			som_mig_tick(som);
		}
		break;
	case SOM_EV_LISTEN:
		som_accept(som, w);
		break;
	case SOM_EV_CONN:
		som_conn_event(som, (struct som_conn *)w, e->events);
		break;
	case SOM_EV_CTL:
		som_control_accept(som);
		break;
	case SOM_EV_CTL_REQ:
		som_control_request(som, w);
		break;
	}
}

static int open_sources(struct som *som)
{
	struct itimerspec its = {
		.it_interval.tv_nsec = SOM_TICK_MS * 1000000l,
		.it_value.tv_nsec = SOM_TICK_MS * 1000000l,
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	som->epfd = epoll_create1(EPOLL_CLOEXEC);
	som->sig.ev = SOM_EV_SIGNAL;
	som->sig.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	som->tick.ev = SOM_EV_TICK;
	som->tick.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (som->epfd < 0 || som->sig.fd < 0 || som->tick.fd < 0 ||
	    timerfd_settime(som->tick.fd, 0, &its, NULL)) {
		pr_warn("event loop: %s\n", strerror(errno));
		return -errno;
	}
	return som_loop_add(som, &som->sig, EPOLLIN) ?:
	       som_loop_add(som, &som->tick, EPOLLIN);
}

static void close_sources(struct som *som)
{
	int *fds[] = { &som->tick.fd, &som->sig.fd, &som->epfd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int som_run(struct som *som)
{
	struct epoll_event ev[64];
	int n, i, err;

	err = open_sources(som) ?: som_listen_open(som) ?: som_control_open(som);
	if (err)
		goto out;
	pr_info("ready: %zu authorized key(s), %u registered host(s), heartbeat "
		"%u ms, lost after %u ms\n", som->keys->n, som->nhosts,
		som->cfg.heartbeat_ms, som->cfg.lost_ms);
	while (!som->stop) {
		n = epoll_wait(som->epfd, ev, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			pr_warn("epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
			dispatch(som, &ev[i]);
	}
out:
	som_control_close(som);
	som_listen_close(som);
	close_sources(som);
	return err;
}
