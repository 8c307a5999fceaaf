// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A watch point's netlink: dumps at start, events after, route lookups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "ferry/layout.h"
#include "log.h"
#include "nlsock.h"
#include "watch.h"

#define GROUPS	(RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE)
/* Neighbour states in which the address answers (or is configured). */
#define NUD_VALID_STATES (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | \
			  NUD_PERMANENT | NUD_NOARP)

/* <linux/if.h> has it but clashes with <net/if.h>, which has not */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP	(1u << 16)
#endif

static __u64 neigh_seq;

static void *grow(void *arr, __u32 *cap, size_t elem)
{
	__u32 ncap = *cap ? 2 * *cap : 16;
	void *n = realloc(arr, ncap * elem);

	if (n)
		*cap = ncap;
	return n;
}

/* ---- links --------------------------------------------------------------- */

static struct tde_link *link_find(const struct tde_watch *w, int ifindex)
{
	__u32 i;

	for (i = 0; i < w->nlinks; i++)
		if (w->links[i].ifindex == ifindex)
			return &w->links[i];
	return NULL;
}

static const char *link_name(const struct tde_watch *w, int ifindex)
{
	struct tde_link *l = link_find(w, ifindex);

	return l ? l->name : NULL;
}

/* A link gone (deleted, or moved to another namespace), and its neighbours. */
static void link_del(struct tde_watch *w, struct tde_link *l)
{
	__u32 i = 0;

	while (i < w->nneighs) {
		if (w->neighs[i].ifindex == l->ifindex)
			w->neighs[i] = w->neighs[--w->nneighs];
		else
			i++;
	}
	*l = w->links[--w->nlinks];
	w->dirty |= WATCH_DIRTY_LINK;
}

static struct tde_link *link_add(struct tde_watch *w, int ifindex)
{
	struct tde_link *l;
	void *n;

	if (w->nlinks == w->links_cap) {
		n = grow(w->links, &w->links_cap, sizeof(*w->links));
		if (!n)
			return NULL;
		w->links = n;
	}
	l = &w->links[w->nlinks++];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	w->dirty |= WATCH_DIRTY_LINK;
	return l;
}

static int on_link(struct tde_watch *w, const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *rta = IFLA_RTA(ifi);
	struct tde_link *l = link_find(w, ifi->ifi_index);
	unsigned int up = ifi->ifi_flags & (IFF_UP | IFF_LOWER_UP);
	char name[IF_NAMESIZE] = "";

	if (len < 0)
		return 0;
	if (nh->nlmsg_type == RTM_DELLINK) {
		if (l)
			link_del(w, l);
		return 0;
	}
	if (!l) {
		l = link_add(w, ifi->ifi_index);
		if (!l)
			return -ENOMEM;
	}
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_IFNAME)
			snprintf(name, sizeof(name), "%.*s", (int)RTA_PAYLOAD(rta),
				 (const char *)RTA_DATA(rta));
	/* what matters: up or down, and the name (hosts' interfaces) */
	if (l->up != up || (name[0] && strcmp(l->name, name)))
		w->dirty |= WATCH_DIRTY_LINK;
	l->up = up;
	if (name[0])
		strcpy(l->name, name);
	return 0;
}

/* ---- neighbours ------------------------------------------------------------ */

/* The VM whose address or MAC this is, or -1. */
static int neigh_vm(const struct ferry_tde_config *cfg,
		    const struct ferry_tde_addr *dst, const __u8 *lladdr)
{
	const struct ferry_tde_vm *vm;
	__u32 i, j;

	for (i = 0; i < cfg->nvms; i++) {
		vm = &cfg->vms[i];
		if (lladdr && vm->has_mac && !memcmp(vm->mac, lladdr, 6))
			return (int)i;
		for (j = 0; j < vm->naddrs; j++)
			if (ferry_tde_addr_equal(dst, &vm->addrs[j]))
				return (int)i;
	}
	return -1;
}

static struct tde_neigh *neigh_find(struct tde_watch *w, int ifindex,
				    const struct ferry_tde_addr *dst)
{
	__u32 i;

	for (i = 0; i < w->nneighs; i++)
		if (w->neighs[i].ifindex == ifindex &&
		    ferry_tde_addr_equal(&w->neighs[i].dst, dst))
			return &w->neighs[i];
	return NULL;
}

static int neigh_add(struct tde_watch *w, int ifindex,
		     const struct ferry_tde_addr *dst, int vm, bool reachable)
{
	struct tde_neigh *e = neigh_find(w, ifindex, dst);
	void *n;

	if (!e) {
		if (w->nneighs == w->neighs_cap) {
			n = grow(w->neighs, &w->neighs_cap, sizeof(*w->neighs));
			if (!n)
				return -ENOMEM;
			w->neighs = n;
		}
		e = &w->neighs[w->nneighs++];
		e->ifindex = ifindex;
		e->dst = *dst;
		e->seq = ++neigh_seq;
	} else if (reachable) {
		e->seq = ++neigh_seq;	/* confirmed here again */
	}
	e->vm = (__u32)vm;
	return 0;
}

static int on_neigh(struct tde_watch *w, const struct nlmsghdr *nh)
{
	const struct ndmsg *nd = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd));
	const struct rtattr *rta = (const struct rtattr *)((const char *)nd +
				   NLMSG_ALIGN(sizeof(*nd)));
	struct ferry_tde_addr dst = {};
	const __u8 *lladdr = NULL;
	struct tde_neigh *e;
	int vm;

	if (len < 0 || (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6))
		return 0;
	dst.family = nd->ndm_family;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == NDA_DST &&
		    RTA_PAYLOAD(rta) == (nd->ndm_family == AF_INET ? 4u : 16u))
			memcpy(dst.addr, RTA_DATA(rta), RTA_PAYLOAD(rta));
		else if (rta->rta_type == NDA_LLADDR && RTA_PAYLOAD(rta) == 6)
			lladdr = RTA_DATA(rta);
	}
	vm = neigh_vm(w->cfg, &dst, lladdr);
	e = neigh_find(w, nd->ndm_ifindex, &dst);
	if (vm < 0 && !e)
		return 0;
	w->dirty |= WATCH_DIRTY_NEIGH;
	/* gone, failed, or no longer the address or MAC of a VM */
	if (nh->nlmsg_type == RTM_DELNEIGH || !(nd->ndm_state & NUD_VALID_STATES) ||
	    vm < 0) {
		if (e)
			*e = w->neighs[--w->nneighs];
		return 0;
	}
	return neigh_add(w, nd->ndm_ifindex, &dst, vm,
			 nd->ndm_state & (NUD_REACHABLE | NUD_PERMANENT));
}

/* The host whose interface the entry is on (links may be renamed). */
static __u32 neigh_host(const struct tde_watch *w, const struct tde_neigh *e)
{
	int h = ferry_tde_host_match(w->cfg, w->index, link_name(w, e->ifindex), NULL);

	return h < 0 ? 0 : w->cfg->hosts[h].id;
}

__u32 watch_neigh_host(const struct tde_watch *w, __u32 vm, __u64 *seq)
{
	__u32 i, h, host = 0;

	*seq = 0;
	for (i = 0; i < w->nneighs; i++) {
		if (w->neighs[i].vm != vm || w->neighs[i].seq <= *seq)
			continue;
		h = neigh_host(w, &w->neighs[i]);
		if (!h)
			continue;
		host = h;
		*seq = w->neighs[i].seq;
	}
	return host;
}

/* ---- events ------------------------------------------------------------------ */

static int on_msg(const struct nlmsghdr *nh, void *ctx)
{
	struct tde_watch *w = ctx;

	switch (nh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return on_link(w, nh);
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		return on_neigh(w, nh);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		w->dirty |= WATCH_DIRTY_ROUTE;
		return 0;
	default:
		return 0;
	}
}

static int dump(struct tde_watch *w, __u16 type, __u8 family)
{
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
	} req = { .nh.nlmsg_type = type, .g.rtgen_family = family };

	return nl_request(w->q_fd, &req, sizeof(req), NLM_F_DUMP, on_msg, w);
}

/* Learn the links, then the neighbours (which need the links' names). */
static int resync(struct tde_watch *w)
{
	int err;

	w->nlinks = 0;
	w->nneighs = 0;
	err = dump(w, RTM_GETLINK, AF_UNSPEC);
	if (!err)
		err = dump(w, RTM_GETNEIGH, AF_UNSPEC);
	if (err)
		pr_warn("watch %s: dump: %s\n", w->cfg->watches[w->index].name,
			strerror(-err));
	w->dirty |= WATCH_DIRTY_LINK;
	return err;
}

int watch_read(struct tde_watch *w)
{
	static char buf[NL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh;
	ssize_t n;
	int err;

	for (;;) {
		n = recv(w->ev_fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno == ENOBUFS) {	/* lost events */
			pr_warn("watch %s: events lost, reading the state again\n",
				w->cfg->watches[w->index].name);
			err = resync(w);
			if (err)
				return err;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			err = on_msg(nh, w);
			if (err)
				return err;
		}
	}
}

/* ---- route lookups ---------------------------------------------------------- */

struct route_ans {
	int oif;
	struct ferry_tde_addr gw;
};

static int on_route(const struct nlmsghdr *nh, void *ctx)
{
	const struct rtmsg *rtm = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm));
	const struct rtattr *rta = RTM_RTA(rtm);
	struct route_ans *a = ctx;
	const struct rtvia *via;

	/* unreachable, blackhole, local...: through no host */
	if (nh->nlmsg_type != RTM_NEWROUTE || len < 0 || rtm->rtm_type != RTN_UNICAST)
		return 0;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == RTA_OIF && RTA_PAYLOAD(rta) == 4) {
			memcpy(&a->oif, RTA_DATA(rta), 4);
		} else if (rta->rta_type == RTA_GATEWAY &&
			   (RTA_PAYLOAD(rta) == 4 || RTA_PAYLOAD(rta) == 16)) {
			a->gw.family = RTA_PAYLOAD(rta) == 4 ? FERRY_AF_INET : FERRY_AF_INET6;
			memcpy(a->gw.addr, RTA_DATA(rta), RTA_PAYLOAD(rta));
		} else if (rta->rta_type == RTA_VIA && RTA_PAYLOAD(rta) >= sizeof(*via)) {
			via = RTA_DATA(rta);	/* IPv4 route via an IPv6 gateway */
			if (via->rtvia_family == AF_INET6 &&
			    RTA_PAYLOAD(rta) >= sizeof(*via) + 16) {
				a->gw.family = FERRY_AF_INET6;
				memcpy(a->gw.addr, via->rtvia_addr, 16);
			}
		}
	}
	return 0;
}

/* The host id the route toward addr goes through, 0: none. */
static __u32 lookup(struct tde_watch *w, const struct ferry_tde_addr *addr)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rtm;
		char attrs[RTA_SPACE(16)];
	} req = {};
	struct route_ans ans = {};
	struct rtattr *rta = (struct rtattr *)req.attrs;
	size_t alen = addr->family == FERRY_AF_INET ? 4 : 16;
	int host, err;

	req.nh.nlmsg_type = RTM_GETROUTE;
	req.rtm.rtm_family = addr->family;
	req.rtm.rtm_dst_len = (__u8)(alen * 8);
	rta->rta_type = RTA_DST;
	rta->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), addr->addr, alen);
	err = nl_request(w->q_fd, &req, NLMSG_LENGTH(sizeof(req.rtm)) + RTA_SPACE(alen),
			 0, on_route, &ans);
	if (err)	/* unreachable, typically: no host */
		return 0;
	host = ferry_tde_host_match(w->cfg, w->index, link_name(w, ans.oif),
				    ans.gw.family ? &ans.gw : NULL);
	return host < 0 ? 0 : w->cfg->hosts[host].id;
}

void watch_lookup_all(struct tde_watch *w)
{
	const struct ferry_tde_vm *vm;
	__u32 i, j;

	for (i = 0; i < w->cfg->nvms; i++) {
		vm = &w->cfg->vms[i];
		for (j = 0; j < vm->naddrs; j++)
			w->route[i * FERRY_TDE_ADDRS_MAX + j] = lookup(w, &vm->addrs[j]);
	}
}

/* ---- life -------------------------------------------------------------------- */

int watch_open(struct tde_watch *w, const struct ferry_tde_config *cfg, int index)
{
	const char *netns = cfg->watches[index].netns;
	int err;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->index = index;
	w->ev_fd = w->q_fd = -1;
	w->route = calloc((size_t)cfg->nvms * FERRY_TDE_ADDRS_MAX, sizeof(*w->route));
	if (!w->route)
		return -ENOMEM;
	/* subscribe first: what changes during the dumps is read after */
	w->ev_fd = nl_open(netns, GROUPS, 1);
	if (w->ev_fd < 0)
		return w->ev_fd;
	w->q_fd = nl_open(netns, 0, 0);
	if (w->q_fd < 0)
		return w->q_fd;
	err = resync(w);
	if (err)
		return err;
	watch_lookup_all(w);
	return 0;
}

void watch_close(struct tde_watch *w)
{
	if (w->ev_fd >= 0)
		close(w->ev_fd);
	if (w->q_fd >= 0)
		close(w->q_fd);
	free(w->links);
	free(w->neighs);
	free(w->route);
	memset(w, 0, sizeof(*w));
	w->ev_fd = w->q_fd = -1;
}
