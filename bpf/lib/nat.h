/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NAT: SNAT from per-zone pools, DNAT by forwards, kept as state in the
 * flow (struct ferry_nat) and in ferry_nat_rev, which finds a flow from a
 * packet of its translated side. ferry_decide() plans a packet's rewrite
 * into the per-CPU work area; the entry program applies it (the rewrite
 * needs the packet, the decision only its parse). docs/nat.md.
 */
#ifndef FERRY_BPF_NAT_H
#define FERRY_BPF_NAT_H

#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ferry/layout.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/ct.h"
#include "lib/csum.h"

/* ferry_pkt.nat */
#define FERRY_NAT_PLANNED	1	/* ferry_work.xo (and xi) hold the rewrite */
#define FERRY_NAT_FROM_FLOW	2	/* plan it from the flow: ferry_work.key or,
					 * if nat_xside, okey; nat_dir */

static __always_inline __u32 ferry_nat_mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Hash of a tuple's source (src_only) or of the whole tuple. */
static __always_inline __u32 ferry_nat_hash(const struct ferry_tuple *t,
					    int src_only)
{
	__u32 h = 0x9e3779b9u;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++)
		h = ferry_nat_mix(h, t->saddr[i]);
	if (src_only)
		return h;
#pragma unroll
	for (i = 0; i < 4; i++)
		h = ferry_nat_mix(h, t->daddr[i]);
	return ferry_nat_mix(h, ((__u32)t->sport << 16) | t->dport);
}

static __always_inline int ferry_key_equal(const struct ferry_flow_key *a,
					   const struct ferry_flow_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 diff = 0;
	int i;

#pragma unroll
	for (i = 0; i < sizeof(*a) / 4; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

/* The original direction's tuple of a flow, on its translated side. */
static __always_inline void ferry_nat_tuple(struct ferry_tuple *t,
					    const struct ferry_nat *n,
					    const struct ferry_flow_key *k)
{
	__builtin_memcpy(t->saddr, n->saddr, 16);
	__builtin_memcpy(t->daddr, n->daddr, 16);
	t->sport = n->sport;
	t->dport = n->dport;
	t->proto = k->proto;
	t->family = k->family;
	t->pad[0] = 0;
	t->pad[1] = 0;
}

/*
 * The flow of a packet on the translated side: key (the packet's own
 * canonical key) in ferry_nat_rev, and the flow it names pointing back.
 * w->okey gets the flow's key. An orphan is deleted and not found.
 */
static __always_inline struct ferry_flow *
ferry_nat_find(struct ferry_work *w, const struct ferry_flow_key *key)
{
	struct ferry_tuple *t = (struct ferry_tuple *)w->xt;
	struct ferry_flow_key *ok;
	struct ferry_flow *f;

	ok = bpf_map_lookup_elem(&ferry_nat_rev, key);
	if (!ok)
		return NULL;
	__builtin_memcpy(&w->okey, ok, sizeof(w->okey));
	f = bpf_map_lookup_elem(&ferry_ct, &w->okey);
	if (f && f->nat.kind) {
		ferry_nat_tuple(t, &f->nat, &w->okey);
		ferry_ct_key(&w->rkey, t, w->okey.zone);
		if (ferry_key_equal(&w->rkey, key))
			return f;
	}
	bpf_map_delete_elem(&ferry_nat_rev, key);
	return NULL;
}

/* Remove the reverse entry of flow f (key k), if it still names k. */
static __always_inline void ferry_nat_forget(struct ferry_work *w,
					     const struct ferry_flow *f,
					     const struct ferry_flow_key *k)
{
	struct ferry_tuple *t = (struct ferry_tuple *)w->xt;
	struct ferry_flow_key *ok;

	if (!f->nat.kind)
		return;
	ferry_nat_tuple(t, &f->nat, k);
	ferry_ct_key(&w->rkey, t, k->zone);
	ok = bpf_map_lookup_elem(&ferry_nat_rev, &w->rkey);
	if (ok && ferry_key_equal(ok, k))
		bpf_map_delete_elem(&ferry_nat_rev, &w->rkey);
}

/* Direction of a translated-side tuple t of flow f. */
static __always_inline int ferry_nat_dir_x(const struct ferry_flow *f,
					   const struct ferry_tuple *t)
{
	const __u32 *a = (const __u32 *)f->nat.saddr;

	if (t->saddr[0] == a[0] && t->saddr[1] == a[1] &&
	    t->saddr[2] == a[2] && t->saddr[3] == a[3] &&
	    t->sport == f->nat.sport)
		return FERRY_DIR_ORIG;
	return FERRY_DIR_REPLY;
}

/*
 * The rewrite of a packet of flow f (key k) going dir, seen on the
 * translated side (xside) or not: its endpoints become the other side's.
 */
static __always_inline void ferry_nat_plan(struct ferry_nat_xlat *x,
					   const struct ferry_flow *f,
					   const struct ferry_flow_key *k,
					   int dir, int xside)
{
	const __u8 *sa, *da;
	__be16 sp, dp;

	if (xside) {	/* back to the original endpoints */
		sa = f->orig_lo ? k->addr_lo : k->addr_hi;
		da = f->orig_lo ? k->addr_hi : k->addr_lo;
		sp = f->orig_lo ? k->port_lo : k->port_hi;
		dp = f->orig_lo ? k->port_hi : k->port_lo;
	} else {
		sa = f->nat.saddr;
		da = f->nat.daddr;
		sp = f->nat.sport;
		dp = f->nat.dport;
	}
	if (dir == FERRY_DIR_ORIG) {
		__builtin_memcpy(x->saddr, sa, 16);
		__builtin_memcpy(x->daddr, da, 16);
		x->sport = sp;
		x->dport = dp;
	} else {
		__builtin_memcpy(x->saddr, da, 16);
		__builtin_memcpy(x->daddr, sa, 16);
		x->sport = dp;
		x->dport = sp;
	}
}

/* An address of tuple t equals a? (4 words) */
static __always_inline int ferry_addr_eq(const __u32 *x, const __u32 *a)
{
	return x[0] == a[0] && x[1] == a[1] && x[2] == a[2] && x[3] == a[3];
}

/*
 * ICMP error: the quoted packet (pkt->inner) belongs to flow f, on the
 * translated side or not. Rewrite the quote (xi) and the outer addresses
 * (xo) that name the quote's endpoints.
 */
static __always_inline void ferry_nat_plan_error(const struct ferry_pkt *pkt,
						 struct ferry_work *w,
						 const struct ferry_flow *f,
						 const struct ferry_flow_key *k,
						 int dir, int xside)
{
	ferry_nat_plan(&w->xi, f, k, dir, xside);
	__builtin_memcpy(w->xo.saddr, pkt->t.saddr, 16);
	__builtin_memcpy(w->xo.daddr, pkt->t.daddr, 16);
	w->xo.sport = pkt->t.sport;
	w->xo.dport = pkt->t.dport;
	/* The error goes back to the quote's source, from its destination
	 * or from a router on the way (whose address stays). */
	if (ferry_addr_eq(pkt->t.daddr, pkt->inner.saddr))
		__builtin_memcpy(w->xo.daddr, w->xi.saddr, 16);
	if (ferry_addr_eq(pkt->t.saddr, pkt->inner.daddr))
		__builtin_memcpy(w->xo.saddr, w->xi.daddr, 16);
}

/* --- binding of a new flow --- */

/* Is the v4/v6 address a in prefix p/plen? */
static __always_inline int ferry_nat_in_prefix(const __u32 *a, const __u8 *p,
					       __u8 plen)
{
	const __u32 *pw = (const __u32 *)p;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		__u32 bits = plen > 32 * i ? plen - 32 * i : 0;
		__u32 mask = bits >= 32 ? 0xffffffffu :
			     bits ? ~(0xffffffffu >> bits) : 0;

		if ((bpf_ntohl(a[i]) & mask) != (bpf_ntohl(pw[i]) & mask))
			return 0;
	}
	return 1;
}

/* Index of a in the pool's addresses, or -1. */
static __always_inline int ferry_nat_pool_has(const struct ferry_nat_pool *p,
					      const __u32 *a, int v6)
{
	const __u32 *base = (const __u32 *)p->addr;
	int last = v6 ? 3 : 0;
	__u32 off;

	if (v6 && (a[0] != base[0] || a[1] != base[1] || a[2] != base[2]))
		return -1;
	off = bpf_ntohl(v6 ? a[3] : a[0]) - bpf_ntohl(base[last & 3]);
	return off < p->naddrs ? 0 : -1;
}

/*
 * Claim translated tuple x for the flow w->key: its canonical key must be
 * neither a flow of its own nor claimed. 0 or -EEXIST.
 */
static __always_inline int ferry_nat_claim(struct ferry_work *w,
					   const struct ferry_tuple *x,
					   __u32 zone)
{
	ferry_ct_key(&w->rkey, x, zone);
	if (bpf_map_lookup_elem(&ferry_ct, &w->rkey))
		return -EEXIST;
	return bpf_map_update_elem(&ferry_nat_rev, &w->rkey, &w->key,
				   BPF_NOEXIST) ? -EEXIST : 0;
}

/*
 * SNAT: an address of the pool by the source's hash (a client keeps one
 * address), the original port if free and in range, else ports from a
 * hash-derived start; FERRY_NAT_TRIES claims at most.
 */
static __always_inline int ferry_nat_snat(struct ferry_work *w,
					  struct ferry_tuple *x,
					  const struct ferry_tuple *t,
					  const struct ferry_nat_pool *p,
					  __u32 zone)
{
	__u32 range = (__u32)p->port_hi - p->port_lo + 1, a, h, port, p0;
	int icmp = t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6;
	int last = t->family == FERRY_AF_INET6 ? 3 : 0, i;

	if (!p->naddrs || p->port_hi < p->port_lo)
		return -ENOSPC;
	a = ferry_nat_hash(t, 1) % p->naddrs;
	__builtin_memcpy(x->saddr, p->addr, 16);
	x->saddr[last & 3] = bpf_htonl(bpf_ntohl(x->saddr[last & 3]) + a);
	h = ferry_nat_hash(t, 0);
	p0 = bpf_ntohs(t->sport);
	for (i = 0; i < FERRY_NAT_TRIES; i++) {
		if (i == 0 && p0 >= p->port_lo && p0 <= p->port_hi)
			port = p0;
		else
			port = p->port_lo + (h + i) % range;
		x->sport = bpf_htons(port);
		if (icmp)
			x->dport = x->sport;
		if (!ferry_nat_claim(w, x, zone))
			return 0;
	}
	return -ENOSPC;
}

/*
 * The translation of a new flow: its packet pkt, key w->key, entry being
 * built in w->flow. Returns FERRY_PASS_NEW (translation bound, or none
 * applies) or the drop reason.
 */
static __always_inline int ferry_nat_bind(struct ferry_pkt *pkt,
					  struct ferry_work *w, __u32 zone)
{
	struct ferry_flow *f = (struct ferry_flow *)w->flow;
	struct ferry_nat_pool_key *pk;
	struct ferry_nat_fwd_key *fk;
	struct ferry_nat_pool *pool;
	struct ferry_nat_fwd *fwd;
	struct ferry_tuple *x;
	__u8 kind = 0;
	int v6, err;
	__u32 idx;

	x = (struct ferry_tuple *)w->xt;
	fk = &w->fk;
	pk = &w->pk;
	v6 = pkt->t.family == FERRY_AF_INET6;
	__builtin_memcpy(x, &pkt->t, sizeof(*x));

	if (pkt->t.proto == IPPROTO_TCP || pkt->t.proto == IPPROTO_UDP) {
		fk->zone = zone;
		__builtin_memcpy(fk->addr, pkt->t.daddr, 16);
		fk->port = pkt->t.dport;
		fk->proto = pkt->t.proto;
		fk->family = pkt->t.family;
		fwd = bpf_map_lookup_elem(&ferry_nat_fwds, fk);
		if (fwd && fwd->nbackends) {
			idx = ferry_nat_hash(&pkt->t, 0) % fwd->nbackends;
			__builtin_memcpy(x->daddr, fwd->be[idx & 15].addr, 16);
			x->dport = fwd->be[idx & 15].port;
			kind |= FERRY_NAT_DNAT;
		}
	}
	if (pkt->t.proto == IPPROTO_TCP || pkt->t.proto == IPPROTO_UDP ||
	    pkt->t.proto == IPPROTO_ICMP || pkt->t.proto == IPPROTO_ICMPV6) {
		pk->zone = zone;
		pk->family = pkt->t.family;
		pk->pad[0] = pk->pad[1] = pk->pad[2] = 0;
		pool = bpf_map_lookup_elem(&ferry_nat_pools, pk);
		if (pool && ferry_nat_in_prefix(pkt->t.saddr, pool->src,
						pool->src_plen) &&
		    ferry_nat_pool_has(pool, pkt->t.saddr, v6) < 0)
			kind |= FERRY_NAT_SNAT;
	}
	if (!kind)
		return FERRY_PASS_NEW;
	/* A backend reaching its own forward without SNAT would talk to
	 * itself: refused (docs/nat.md, hairpin). */
	if (kind == FERRY_NAT_DNAT && ferry_addr_eq(x->saddr, x->daddr))
		return FERRY_DROP_NAT_HAIRPIN;
	if (kind & FERRY_NAT_SNAT) {
		pool = bpf_map_lookup_elem(&ferry_nat_pools, pk);
		if (!pool)
			return FERRY_DROP_INVALID;
		err = ferry_nat_snat(w, x, &pkt->t, pool, zone);
	} else {
		err = ferry_nat_claim(w, x, zone);
	}
	if (err)
		return FERRY_DROP_NAT_EXHAUSTED;
	f->nat.kind = kind;
	__builtin_memcpy(f->nat.saddr, x->saddr, 16);
	__builtin_memcpy(f->nat.daddr, x->daddr, 16);
	f->nat.sport = x->sport;
	f->nat.dport = x->dport;
	return FERRY_PASS_NEW;
}

/* --- the rewrite --- */

/*
 * New addresses in the IP header at l3. *pseudo gets the change of the
 * addresses (of the pseudo header), *hdr that of the header's checksum
 * field (IPv4), both for checksums that cover them.
 */
static __always_inline int ferry_nat_ip(void *l3, void *data_end, int v6,
					const struct ferry_nat_xlat *x,
					__u64 *pseudo, __u64 *hdr)
{
	if (v6) {
		struct ipv6hdr *ip6 = l3;
		__u32 *s, *d;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		s = (__u32 *)&ip6->saddr;
		d = (__u32 *)&ip6->daddr;
		*pseudo = ferry_csum_diff_addr(s, x->saddr, 1) +
			  ferry_csum_diff_addr(d, x->daddr, 1);
		*hdr = 0;
		__builtin_memcpy(s, x->saddr, 16);
		__builtin_memcpy(d, x->daddr, 16);
	} else {
		struct iphdr *ip = l3;
		__u16 old, new;

		if ((void *)(ip + 1) > data_end)
			return -1;
		*pseudo = ferry_csum_diff32(ip->saddr, x->saddr[0]) +
			  ferry_csum_diff32(ip->daddr, x->daddr[0]);
		old = ip->check;
		new = ferry_csum_apply(old, *pseudo);
		ip->saddr = x->saddr[0];
		ip->daddr = x->daddr[0];
		ip->check = new;
		*hdr = ferry_csum_diff16(old, new);
	}
	return 0;
}

/* A 16-bit field at p: replaced, its change added to *acc. */
static __always_inline void ferry_nat_put16(__u16 *p, __u16 v, __u64 *acc)
{
	*acc += ferry_csum_diff16(*p, v);
	*p = v;
}

/*
 * Ports (echo identifier) and checksum of the upper-layer header at l4.
 * *delta gets the change of the header's bytes, for the checksum of an
 * enclosing ICMP error. In a quote (inner) the checksum field may be cut
 * off: then only the ports change, as netfilter does.
 */
static __always_inline int ferry_nat_l4(void *l4, void *data_end, __u8 proto,
					int v6, const struct ferry_nat_xlat *x,
					__u64 pseudo, __u64 *delta, int inner)
{
	__u16 *h = l4, *csum, old;
	__u64 d = 0;

	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if ((void *)(h + 2) > data_end)
			return -1;
		ferry_nat_put16(&h[0], x->sport, &d);
		ferry_nat_put16(&h[1], x->dport, &d);
		*delta += d;
		csum = proto == IPPROTO_TCP ? &h[8] : &h[3];
		if ((void *)(csum + 1) > data_end)
			return inner ? 0 : -1;
		old = *csum;
		if (proto == IPPROTO_UDP && !old && !v6)
			return 0;	/* IPv4 UDP without checksum stays so */
		*csum = ferry_csum_apply(old, pseudo + d);
		if (proto == IPPROTO_UDP && !*csum)
			*csum = 0xffff;
		*delta += ferry_csum_diff16(old, *csum);
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((void *)(h + 4) > data_end)
			return -1;
		ferry_nat_put16(&h[2], x->sport, &d);	/* echo identifier */
		old = h[1];
		h[1] = ferry_csum_apply(old, (proto == IPPROTO_ICMPV6 ? pseudo : 0) + d);
		*delta += d + ferry_csum_diff16(old, h[1]);
		return 0;
	default:
		return 0;
	}
}

/* An ICMP error: the quote per xi, the outer addresses per xo. */
static __always_inline int ferry_nat_rewrite_error(void *data, void *data_end,
						   const struct ferry_pkt *pkt,
						   const struct ferry_work *w,
						   void *l4, __u64 outer_pseudo)
{
	int v6 = pkt->t.family == FERRY_AF_INET6;
	__u64 acc, pseudo, hdr, delta = 0;
	struct icmphdr *ic = l4;
	void *in3, *in4;
	__u32 off;

	if ((void *)(ic + 1) > data_end)
		return -1;
	off = pkt->in_l3_off;
	if (off > 2048)
		return -1;
	in3 = data + off;
	if (ferry_nat_ip(in3, data_end, v6, &w->xi, &pseudo, &hdr))
		return -1;
	off = pkt->in_l4_off;
	if (off > 4096)
		return -1;
	in4 = data + off;
	if (ferry_nat_l4(in4, data_end, pkt->inner.proto, v6, &w->xi, pseudo,
			 &delta, 1))
		return -1;
	acc = (v6 ? outer_pseudo : 0) + pseudo + hdr + delta;
	ic->checksum = ferry_csum_apply(ic->checksum, acc);
	return 0;
}

/* Apply the planned rewrite to the frame. 0, or -1 if it cannot be done. */
static __always_inline int ferry_nat_rewrite(void *data, void *data_end,
					     const struct ferry_pkt *pkt,
					     struct ferry_work *w)
{
	int v6 = pkt->t.family == FERRY_AF_INET6;
	__u64 pseudo, hdr, delta = 0;
	struct ferry_flow_key *k;
	struct ferry_flow *f;
	void *l3, *l4;
	__u32 off;

	if (pkt->nat == FERRY_NAT_FROM_FLOW) {
		k = w->nat_xside ? &w->okey : &w->key;
		f = bpf_map_lookup_elem(&ferry_ct, k);
		if (!f || !f->nat.kind)
			return -1;	/* deleted just now */
		ferry_nat_plan(&w->xo, f, k, w->nat_dir, w->nat_xside);
	}

	off = pkt->l3_off;
	if (off > 64)
		return -1;
	l3 = data + off;
	if (ferry_nat_ip(l3, data_end, v6, &w->xo, &pseudo, &hdr))
		return -1;
	off = pkt->l4_off;
	if (off > 2048)
		return -1;
	l4 = data + off;
	if (pkt->icmp_error)
		return ferry_nat_rewrite_error(data, data_end, pkt, w, l4, pseudo);
	return ferry_nat_l4(l4, data_end, pkt->t.proto, v6, &w->xo, pseudo,
			    &delta, 0);
}

__attribute__((noinline))
int ferry_nat_xdp(struct xdp_md *ctx, struct ferry_pkt *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ferry_work *w;
	__u32 zero = 0;

	w = bpf_map_lookup_elem(&ferry_work, &zero);
	if (!pkt || !w)
		return -1;
	return ferry_nat_rewrite(data, data_end, pkt, w);
}

__attribute__((noinline))
int ferry_nat_tc(struct __sk_buff *skb, struct ferry_pkt *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ferry_work *w;
	__u32 zero = 0;

	w = bpf_map_lookup_elem(&ferry_work, &zero);
	if (!pkt || !w)
		return -1;
	return ferry_nat_rewrite(data, data_end, pkt, w);
}

#endif
