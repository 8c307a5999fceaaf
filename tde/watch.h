/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A watch point: one network namespace in which ferry-tde listens to
 * rtnetlink (links, neighbours, IPv4 and IPv6 routes). It keeps what the
 * decision needs: the names of the links (to match a host's 'interface')
 * and the neighbour entries of the configured VMs; routes are not copied
 * but looked up in the namespace's own FIB (RTM_GETROUTE) when they change.
 */
#ifndef FERRY_TDE_WATCH_H
#define FERRY_TDE_WATCH_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>
#include "tdeconfig.h"

/* What changed since the last recompute (bits). */
#define WATCH_DIRTY_LINK	1u
#define WATCH_DIRTY_ROUTE	2u
#define WATCH_DIRTY_NEIGH	4u

struct tde_link {
	int ifindex;
	unsigned int up;	/* IFF_UP | IFF_LOWER_UP of its flags */
	char name[IF_NAMESIZE];
};

/* A neighbour entry naming a VM (its address or MAC) on a host's link. */
struct tde_neigh {
	int ifindex;
	__u8 family;
	struct ferry_tde_addr dst;
	__u32 vm;
	__u64 seq;		/* when it appeared: the latest wins */
};

struct tde_watch {
	const struct ferry_tde_config *cfg;
	int index;		/* in cfg->watches */
	int ev_fd;		/* subscribed, non-blocking: in the epoll loop */
	int q_fd;		/* dumps and route lookups */
	struct tde_link *links;
	__u32 nlinks, links_cap;
	struct tde_neigh *neighs;
	__u32 nneighs, neighs_cap;
	unsigned int dirty;
	__u32 *route;		/* [vm * FERRY_TDE_ADDRS_MAX + addr]: host id */
};

/* Open the sockets and learn the links and neighbours: 0 or -errno. */
int watch_open(struct tde_watch *w, const struct ferry_tde_config *cfg, int index);
void watch_close(struct tde_watch *w);

/* Read every pending event; sets w->dirty. 0 or -errno (fatal). */
int watch_read(struct tde_watch *w);

/* Look the route toward every VM address up again into w->route. */
void watch_lookup_all(struct tde_watch *w);

/* The host id whose neighbour entry for vm appeared last, and its seq. */
__u32 watch_neigh_host(const struct tde_watch *w, __u32 vm, __u64 *seq);

#endif
