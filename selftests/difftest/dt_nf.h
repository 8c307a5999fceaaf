/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel side of the conntrack differential test: a router namespace
 * "dif-nf" running nf_conntrack + nftables between two veth links whose far
 * ends sit in "dif-a" (client side) and "dif-b" (server side). Frames are
 * injected with AF_PACKET on one far end; the verdict is whether the frame
 * comes out on the other far end.
 *
 * No timing decides a verdict: after each frame a marker frame that the
 * router always forwards (untracked) is injected the same way, and the
 * process is pinned to one CPU, so the veth backlog keeps them in order:
 * the test frame passed iff it arrives before the marker.
 */
#ifndef DT_NF_H
#define DT_NF_H

#include <linux/types.h>

enum dt_side {
	DT_SIDE_CLIENT = 0,	/* dif-a, 198.18.1.0/24, 2001:db8:1::/64 */
	DT_SIDE_SERVER = 1,	/* dif-b, 198.18.2.0/24, 2001:db8:2::/64 */
};

/* MACs: the far end (host) and the router's port on each side. */
extern const __u8 dt_host_mac[2][6];
extern const __u8 dt_router_mac[2][6];

struct dt_nf {
	int sock[2];		/* AF_PACKET on dif-a0 / dif-b0, -1 if closed */
	__u32 markers;		/* markers sent so far */
	int netns_made;
};

/*
 * Build the namespaces, links, routes, neighbours and sysctls, and load the
 * nftables ruleset whose forward-chain allow rules are allow_rules (nft
 * syntax, one rule per line). Returns 0, -EOPNOTSUPP if nftables or
 * nf_conntrack are unavailable (the caller skips), or another -errno.
 */
int dt_nf_setup(struct dt_nf *nf, const char *allow_rules);
/* Remove everything dt_nf_setup made; safe to call more than once. */
void dt_nf_teardown(struct dt_nf *nf);

/*
 * Inject frame (built from dt_host_mac[side] to dt_router_mac[side]) on
 * side; returns 1 if it came out on the other side, 0 if the router dropped
 * it, -errno on a test failure (marker lost).
 */
int dt_nf_inject(struct dt_nf *nf, int side, const __u8 *frame, int len);

/* Empty the router's conntrack table. */
int dt_nf_ct_flush(void);

/*
 * The Ferry state (enum ferry_ct_state) of the router's conntrack entry
 * for proto between the two addresses (strings as conntrack prints them),
 * FERRY_CT_NONE if there is none, or -errno.
 */
int dt_nf_ct_state(__u8 proto, const char *client, const char *server);

#endif
