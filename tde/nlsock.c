// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "log.h"
#include "nlsock.h"

static int nl_socket(__u32 groups, int nonblock)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	struct timeval tv = { .tv_sec = 5 };
	int rcvbuf = 4 << 20, one = 1, fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* an event burst should not overflow; if it does we resync */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (!nonblock)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int nl_open(const char *netns, __u32 groups, int nonblock)
{
	char path[64];
	int self, ns, fd, err;

	if (!netns || !netns[0]) {
		fd = nl_socket(groups, nonblock);
		if (fd < 0)
			pr_warn("netlink socket: %s\n", strerror(-fd));
		return fd;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		pr_warn("/proc/self/ns/net: %s\n", strerror(errno));
		return err;
	}
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		err = -errno;
		pr_warn("%s: %s\n", path, strerror(errno));
		goto out_close_self;
	}
	if (setns(ns, CLONE_NEWNET)) {
		err = -errno;
		pr_warn("setns %s: %s\n", path, strerror(errno));
		goto out_close_ns;
	}
	fd = nl_socket(groups, nonblock);
	if (setns(self, CLONE_NEWNET)) {
		/* we would go on in the wrong namespace: give up */
		pr_warn("setns back from %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -EPERM;
	} else if (fd < 0) {
		pr_warn("netlink socket in %s: %s\n", netns, strerror(-fd));
	}
	err = fd;
out_close_ns:
	close(ns);
out_close_self:
	close(self);
	return err;
}

/* One datagram of the answer to seq: 1 when done, 0 for more, or -errno. */
static int nl_answer(int fd, __u32 seq, char *buf,
		     int (*cb)(const struct nlmsghdr *nh, void *ctx), void *ctx)
{
	struct nlmsghdr *nh;
	struct nlmsgerr *e;
	ssize_t n;
	int ret;

	n = recv(fd, buf, NL_BUF_SIZE, 0);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
	     nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			e = NLMSG_DATA(nh);
			return e->error ? e->error : 1;
		}
		ret = cb ? cb(nh, ctx) : 0;
		if (ret)
			return ret;
		if (!(nh->nlmsg_flags & NLM_F_MULTI))
			return 1;
	}
	return 0;
}

int nl_request(int fd, void *req, size_t len, __u16 flags,
	       int (*cb)(const struct nlmsghdr *nh, void *ctx), void *ctx)
{
	static __u32 seq_counter;
	static char buf[NL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh = req;
	int ret;

	nh->nlmsg_len = (__u32)len;
	nh->nlmsg_flags = NLM_F_REQUEST | flags;
	nh->nlmsg_seq = ++seq_counter;
	if (send(fd, req, len, 0) < 0)
		return -errno;
	do
		ret = nl_answer(fd, nh->nlmsg_seq, buf, cb, ctx);
	while (!ret);
	return ret < 0 ? ret : 0;
}
