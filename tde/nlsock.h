/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rtnetlink sockets of a watch point, opened inside its network namespace:
 * setns() into /run/netns/NAME, socket(), setns() back. A socket keeps the
 * namespace it was created in, so the daemon itself never stays there.
 */
#ifndef FERRY_TDE_NLSOCK_H
#define FERRY_TDE_NLSOCK_H

#include <stddef.h>
#include <linux/types.h>

#define NL_BUF_SIZE	65536

/*
 * A NETLINK_ROUTE socket in netns ("" or NULL: ours), bound to the
 * multicast groups (RTMGRP_* bits; 0 for a query socket). Returns the fd
 * or -errno (with a message logged).
 */
int nl_open(const char *netns, __u32 groups, int nonblock);

/*
 * Send a request (nlmsghdr and payload, len bytes; seq and flags filled)
 * and call cb on every message of the answer until NLMSG_DONE, or the
 * single answer/ack. Returns 0, the error the kernel answered (-errno),
 * or what cb returned when not 0.
 */
int nl_request(int fd, void *req, size_t len, __u16 flags,
	       int (*cb)(const struct nlmsghdr *nh, void *ctx), void *ctx);

#endif
