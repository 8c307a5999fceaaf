/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Optional XDP fast path for packets of established flows: route them with
 * the kernel's FIB and redirect them out of the egress interface, skipping
 * the stack. Anything the stack must handle goes to it instead: TTL about to
 * expire (it sends the ICMP), a frame over the egress MTU, a neighbour not
 * yet resolved, a local destination, a VLAN-tagged frame.
 *
 * The egress device must accept XDP redirects (native XDP drivers; for a
 * veth, its peer needs an XDP program or GRO enabled), which is why the path
 * is off unless FERRY_CFG_F_FAST_FORWARD is set.
 */
#ifndef FERRY_BPF_FWD_H
#define FERRY_BPF_FWD_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/parse.h"

#define FERRY_AF_INET_KERNEL	2
#define FERRY_AF_INET6_KERNEL	10

/* RFC 1624 incremental update for the TTL decrement. */
static __always_inline void ferry_ipv4_dec_ttl(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
}

static __always_inline int ferry_fib_v4(struct iphdr *ip, void *data_end,
					struct bpf_fib_lookup *fib)
{
	if ((void *)(ip + 1) > data_end || ip->ttl <= 1)
		return -1;
	fib->family = FERRY_AF_INET_KERNEL;
	fib->tos = ip->tos;
	fib->l4_protocol = ip->protocol;
	fib->tot_len = bpf_ntohs(ip->tot_len);
	fib->ipv4_src = ip->saddr;
	fib->ipv4_dst = ip->daddr;
	return 0;
}

static __always_inline int ferry_fib_v6(struct ipv6hdr *ip6, void *data_end,
					struct bpf_fib_lookup *fib)
{
	if ((void *)(ip6 + 1) > data_end || ip6->hop_limit <= 1)
		return -1;
	fib->family = FERRY_AF_INET6_KERNEL;
	fib->flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
	fib->l4_protocol = ip6->nexthdr;
	fib->tot_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	__builtin_memcpy(fib->ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(fib->ipv6_dst, &ip6->daddr, 16);
	return 0;
}

/* XDP_REDIRECT when the packet was sent on, XDP_PASS to leave it to the stack. */
static __always_inline int ferry_fast_forward(struct xdp_md *ctx,
					      const struct ferry_pkt *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup fib = {};
	struct ethhdr *eth = data;
	void *l3 = eth + 1;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		if (ferry_fib_v4(l3, data_end, &fib))
			return XDP_PASS;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		if (ferry_fib_v6(l3, data_end, &fib))
			return XDP_PASS;
	} else {
		return XDP_PASS;	/* VLAN-tagged: the stack handles it */
	}
	fib.sport = pkt->t.sport;
	fib.dport = pkt->t.dport;
	fib.ifindex = ctx->ingress_ifindex;

	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		ferry_ipv4_dec_ttl(ip);
	} else {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		ip6->hop_limit--;
	}
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect(fib.ifindex, 0);
}

#endif
