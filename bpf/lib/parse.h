/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parsing: Ethernet (+ up to two VLAN tags), IPv4 (options), IPv6
 * (extension headers), TCP, UDP, ICMP, ICMPv6, and the packet quoted inside
 * an ICMP error. Every read is bounds-checked against data_end; anything
 * truncated or inconsistent is reported as malformed, never guessed.
 */
#ifndef FERRY_BPF_PARSE_H
#define FERRY_BPF_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include "ferry/layout.h"
#include "lib/maps.h"

#define FERRY_MAX_VLAN		2
#define FERRY_MAX_V6_EXT	6
/* Bound of the IPv6 header chain we accept, in bytes. */
#define FERRY_MAX_V6_HDRS	1024
#define FERRY_MAX_TCP_OPTS	20

#define FERRY_IP_MF		0x2000
#define FERRY_IP_OFFSET		0x1fff

#ifndef ETH_P_8021AD
#define ETH_P_8021AD		0x88A8
#endif

/* What parsing found. */
enum ferry_parse_result {
	FERRY_PARSE_OK = 0,
	FERRY_PARSE_NON_IP,
	FERRY_PARSE_MALFORMED,
	FERRY_PARSE_FRAGMENT,
};

/* A packet's tuple, in packet order (source first). */
struct ferry_tuple {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8  proto;
	__u8  family;
	__u8  pad[2];
};

struct ferry_pkt {
	struct ferry_tuple t;
	__u32 l3_len;		/* bytes from the IP header on */
	__u32 payload_len;	/* L4 payload bytes (TCP) */
	__u16 vlan;		/* innermost VLAN id, 0 if untagged */
	__u8  icmp_type;
	__u8  icmp_code;
	__u8  icmp_error;	/* ICMP(v6) error: inner holds the quoted tuple */
	__u8  ndp;		/* IPv6 neighbour discovery or MLD */
	/* TCP */
	__u8  tcp_flags;	/* FIN..CWR as in the header's byte 13 */
	__u8  wscale;		/* window scale option, if has_wscale */
	__u8  has_wscale;
	__u8  nat;		/* FERRY_NAT_PLANNED / _FROM_FLOW (lib/nat.h) */
	__u8  pad[2];
	__u32 seq;
	__u32 ack;
	__u16 win;
	__u16 l3_off;		/* offsets from the frame's start: IP header, */
	__u16 l4_off;		/* upper-layer header, */
	__u16 in_l3_off;	/* in an ICMP error the quoted IP header */
	__u16 in_l4_off;	/* and its upper-layer header */
	__u16 pad2;
	struct ferry_tuple inner;
};

#define FERRY_TCP_FIN	0x01
#define FERRY_TCP_SYN	0x02
#define FERRY_TCP_RST	0x04
#define FERRY_TCP_PSH	0x08
#define FERRY_TCP_ACK	0x10
#define FERRY_TCP_URG	0x20

static __always_inline int ferry_parse_eth(void **cursor, void *data_end,
					   __u16 *proto, __u16 *vlan)
{
	struct ethhdr *eth = *cursor;
	void *p;
	int i;

	if ((void *)(eth + 1) > data_end)
		return FERRY_PARSE_MALFORMED;
	*proto = eth->h_proto;
	p = eth + 1;

#pragma unroll
	for (i = 0; i < FERRY_MAX_VLAN; i++) {
		__be16 *tag = p;

		if (*proto != bpf_htons(ETH_P_8021Q) &&
		    *proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 2) > data_end)
			return FERRY_PARSE_MALFORMED;
		*vlan = bpf_ntohs(tag[0]) & 0x0fff;
		*proto = tag[1];
		p = tag + 2;
	}
	if (*proto == bpf_htons(ETH_P_8021Q) || *proto == bpf_htons(ETH_P_8021AD))
		return FERRY_PARSE_MALFORMED;	/* more tags than we parse */
	*cursor = p;
	return FERRY_PARSE_OK;
}

/* Ports (or echo id) of the L4 header at l4. */
static __always_inline int ferry_parse_ports(struct ferry_tuple *t, void *l4,
					     void *data_end, int *is_error,
					     __u8 *type, __u8 *code)
{
	*is_error = 0;
	switch (t->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP: {
		__be16 *ports = l4;

		if ((void *)(ports + 2) > data_end)
			return FERRY_PARSE_MALFORMED;
		t->sport = ports[0];
		t->dport = ports[1];
		return FERRY_PARSE_OK;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		struct icmphdr *ic = l4;
		__u8 tp;

		if ((void *)(ic + 1) > data_end)
			return FERRY_PARSE_MALFORMED;
		tp = ic->type;
		*type = tp;
		*code = ic->code;
		if (t->proto == IPPROTO_ICMP)
			*is_error = tp == ICMP_DEST_UNREACH || tp == ICMP_TIME_EXCEEDED ||
				    tp == ICMP_PARAMETERPROB || tp == ICMP_SOURCE_QUENCH ||
				    tp == ICMP_REDIRECT;
		else
			*is_error = tp < 128;
		/* Echo and other queries are tracked by identifier. */
		t->sport = ic->un.echo.id;
		t->dport = ic->un.echo.id;
		if (*is_error) {
			t->sport = 0;
			t->dport = 0;
		}
		return FERRY_PARSE_OK;
	}
	default:
		t->sport = 0;
		t->dport = 0;
		return FERRY_PARSE_OK;
	}
}

/* off, with its exact value hidden from the verifier (see ferry_opaque). */
static __always_inline int ferry_opaque_off(__u32 *off)
{
	__u32 zero = 0;
	volatile __u32 *slot = bpf_map_lookup_elem(&ferry_opaque, &zero);

	if (!slot)
		return -1;
	*slot = *off;
	*off = *slot;
	return 0;
}

static __always_inline int ferry_ipv6_ext_len(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
		return 1;	/* (hdrlen + 1) * 8 bytes */
	case IPPROTO_AH:
		return 2;	/* (hdrlen + 2) * 4 bytes */
	case IPPROTO_FRAGMENT:
		return 3;
	default:
		return 0;
	}
}

/*
 * IPv6 header at *cursor: fills addresses and the upper-layer protocol,
 * leaves *cursor at the upper-layer header. Fragments are reported; an
 * atomic fragment (offset 0, no more fragments) is not a fragment.
 */
static __always_inline int ferry_parse_ipv6(void **cursor, void *data_end,
					    struct ferry_tuple *t, __u32 *l3_len)
{
	struct ipv6hdr *ip6 = *cursor;
	__u32 off;
	void *p;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return FERRY_PARSE_MALFORMED;
	if (ip6->version != 6)
		return FERRY_PARSE_MALFORMED;
	__builtin_memcpy(t->saddr, &ip6->saddr, 16);
	__builtin_memcpy(t->daddr, &ip6->daddr, 16);
	t->family = FERRY_AF_INET6;
	*l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	p = ip6 + 1;

#pragma unroll
	for (i = 0; i < FERRY_MAX_V6_EXT; i++) {
		__u8 *ext = p;
		int kind = ferry_ipv6_ext_len(nh);

		if (!kind)
			break;
		if ((void *)(ext + 8) > data_end)
			return FERRY_PARSE_MALFORMED;
		if (kind == 3) {
			__be16 frag = *(__be16 *)(ext + 2);

			/* offset or more-fragments set: a real fragment */
			if (frag & bpf_htons(0xfff9))
				return FERRY_PARSE_FRAGMENT;
			nh = ext[0];
			p = ext + 8;
		} else if (kind == 2) {
			nh = ext[0];
			p = ext + ((__u32)ext[1] + 2) * 4;
		} else {
			nh = ext[0];
			p = ext + ((__u32)ext[1] + 1) * 8;
		}
	}
	if (ferry_ipv6_ext_len(nh))
		return FERRY_PARSE_MALFORMED;	/* deeper chain than we parse */
	t->proto = nh;
	off = p - (void *)ip6;
	if (ferry_opaque_off(&off) || off > FERRY_MAX_V6_HDRS)
		return FERRY_PARSE_MALFORMED;
	*cursor = (void *)ip6 + off;
	return FERRY_PARSE_OK;
}

static __always_inline int ferry_parse_ipv4(void **cursor, void *data_end,
					    struct ferry_tuple *t, __u32 *l3_len)
{
	struct iphdr *ip = *cursor;
	__u32 hlen;

	if ((void *)(ip + 1) > data_end)
		return FERRY_PARSE_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return FERRY_PARSE_MALFORMED;
	hlen = ip->ihl * 4;
	*l3_len = bpf_ntohs(ip->tot_len);
	if (*l3_len < hlen)
		return FERRY_PARSE_MALFORMED;
	if (ip->frag_off & bpf_htons(FERRY_IP_MF | FERRY_IP_OFFSET))
		return FERRY_PARSE_FRAGMENT;
	__builtin_memset(t->saddr, 0, 32);
	t->saddr[0] = ip->saddr;
	t->daddr[0] = ip->daddr;
	t->family = FERRY_AF_INET;
	t->proto = ip->protocol;
	*cursor = (void *)ip + hlen;
	return FERRY_PARSE_OK;
}

struct ferry_tcp_opts {
	__u8  buf[40];
	__u32 off;
	__u32 len;
	__u8  wscale;
	__u8  has_wscale;
};

/* One option per call, from bpf_loop: a verifier-friendly bounded walk. */
static long ferry_tcp_opt_step(__u32 i, void *data)
{
	struct ferry_tcp_opts *o = data;
	__u32 off = o->off;
	__u8 kind, len;

	if (off >= o->len || off >= 40)
		return 1;
	kind = o->buf[off];
	if (kind == 0)		/* end of options */
		return 1;
	if (kind == 1) {	/* no-op */
		o->off = off + 1;
		return 0;
	}
	if (off + 1 >= o->len || off + 1 >= 40)
		return 1;
	len = o->buf[off + 1];
	if (len < 2)
		return 1;
	if (kind == 3 && len == 3 && off + 2 < o->len && off + 2 < 40) {
		__u8 ws = o->buf[off + 2];

		o->wscale = ws > 14 ? 14 : ws;
		o->has_wscale = 1;
	}
	o->off = off + len;
	return 0;
}

/*
 * The TCP window scale option, only looked for in SYN segments. The options
 * are copied to the stack and walked by bpf_loop: walking them with packet
 * pointers of variable offset makes the verifier explore every combination.
 */
static __always_inline void ferry_parse_tcp_opts(struct ferry_pkt *pkt,
						 struct tcphdr *th, void *data_end)
{
	struct ferry_tcp_opts o = { .len = th->doff * 4 - sizeof(*th) };
	__u8 *p = (__u8 *)(th + 1), *end = data_end;

	/*
	 * One fixed-size copy per possible length (options come in 4-byte
	 * words); options cut short by the frame's end are not parsed.
	 */
	switch (o.len) {
	case 40:
		if (p + 40 <= end)
			__builtin_memcpy(o.buf, p, 40);
		break;
	case 36:
		if (p + 36 <= end)
			__builtin_memcpy(o.buf, p, 36);
		break;
	case 32:
		if (p + 32 <= end)
			__builtin_memcpy(o.buf, p, 32);
		break;
	case 28:
		if (p + 28 <= end)
			__builtin_memcpy(o.buf, p, 28);
		break;
	case 24:
		if (p + 24 <= end)
			__builtin_memcpy(o.buf, p, 24);
		break;
	case 20:
		if (p + 20 <= end)
			__builtin_memcpy(o.buf, p, 20);
		break;
	case 16:
		if (p + 16 <= end)
			__builtin_memcpy(o.buf, p, 16);
		break;
	case 12:
		if (p + 12 <= end)
			__builtin_memcpy(o.buf, p, 12);
		break;
	case 8:
		if (p + 8 <= end)
			__builtin_memcpy(o.buf, p, 8);
		break;
	case 4:
		if (p + 4 <= end)
			__builtin_memcpy(o.buf, p, 4);
		break;
	default:
		return;
	}
	bpf_loop(FERRY_MAX_TCP_OPTS, ferry_tcp_opt_step, &o, 0);
	pkt->wscale = o.wscale;
	pkt->has_wscale = o.has_wscale;
}

static __always_inline int ferry_parse_tcp(struct ferry_pkt *pkt, void *l4,
					   void *data_end, __u32 l4_len)
{
	struct tcphdr *th = l4;
	__u32 hlen;

	if ((void *)(th + 1) > data_end)
		return FERRY_PARSE_MALFORMED;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th) || hlen > l4_len)
		return FERRY_PARSE_MALFORMED;
	pkt->tcp_flags = ((__u8 *)th)[13];
	pkt->seq = bpf_ntohl(th->seq);
	pkt->ack = bpf_ntohl(th->ack_seq);
	pkt->win = bpf_ntohs(th->window);
	pkt->payload_len = l4_len - hlen;
	if (pkt->tcp_flags & FERRY_TCP_SYN)
		ferry_parse_tcp_opts(pkt, th, data_end);
	return FERRY_PARSE_OK;
}

/* The IP packet quoted by an ICMP error: its tuple, as the sender saw it. */
static __always_inline int ferry_parse_inner(struct ferry_pkt *pkt, void *p,
					     void *data, void *data_end)
{
	struct ferry_tuple *in = &pkt->inner;
	__u32 inner_len;
	int is_error, ret;
	__u8 tp, cd;

	pkt->in_l3_off = p - data;
	if (pkt->t.family == FERRY_AF_INET)
		ret = ferry_parse_ipv4(&p, data_end, in, &inner_len);
	else
		ret = ferry_parse_ipv6(&p, data_end, in, &inner_len);
	if (ret != FERRY_PARSE_OK)
		return ret;
	pkt->in_l4_off = p - data;
	ret = ferry_parse_ports(in, p, data_end, &is_error, &tp, &cd);
	if (ret != FERRY_PARSE_OK)
		return ret;
	if (is_error)
		return FERRY_PARSE_MALFORMED;	/* errors about errors: never */
	return FERRY_PARSE_OK;
}

static __always_inline int ferry_is_ndp(__u8 type)
{
	/* MLD (130-132, 143), router/neighbour discovery and redirect (133-137) */
	return (type >= 130 && type <= 137) || type == 143;
}

/*
 * Parse a whole frame of frame_len bytes (data_end may cover less of it, as
 * for a non-linear skb). Lengths come from the IP header, not the frame:
 * Ethernet padding is not payload, and a frame shorter than its IP header
 * says is truncated.
 */
static __always_inline int ferry_parse(void *data, void *data_end,
				       __u32 frame_len, struct ferry_pkt *pkt)
{
	void *p = data;
	__u32 l3_off, hdrs;
	__u16 proto;
	int is_error = 0;
	int ret;

	ret = ferry_parse_eth(&p, data_end, &proto, &pkt->vlan);
	if (ret != FERRY_PARSE_OK)
		return ret;
	l3_off = p - data;
	/* Keep it a plain number: else clang may fold "frame_len - l3_off"
	 * into packet-pointer arithmetic that older verifiers refuse. */
	asm volatile("" : "+r"(l3_off));
	if (proto == bpf_htons(ETH_P_IP))
		ret = ferry_parse_ipv4(&p, data_end, &pkt->t, &pkt->l3_len);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = ferry_parse_ipv6(&p, data_end, &pkt->t, &pkt->l3_len);
	else
		return FERRY_PARSE_NON_IP;
	if (ret != FERRY_PARSE_OK)
		return ret;
	hdrs = (p - data) - l3_off;
	pkt->l3_off = l3_off;
	pkt->l4_off = p - data;
	if (pkt->l3_len > frame_len - l3_off || pkt->l3_len < hdrs)
		return FERRY_PARSE_MALFORMED;

	ret = ferry_parse_ports(&pkt->t, p, data_end, &is_error,
				&pkt->icmp_type, &pkt->icmp_code);
	if (ret != FERRY_PARSE_OK)
		return ret;

	if (pkt->t.proto == IPPROTO_TCP)
		return ferry_parse_tcp(pkt, p, data_end, pkt->l3_len - hdrs);
	/* The 8-byte headers must be inside the IP packet, not in padding. */
	if ((pkt->t.proto == IPPROTO_UDP || pkt->t.proto == IPPROTO_ICMP ||
	     pkt->t.proto == IPPROTO_ICMPV6) && pkt->l3_len - hdrs < 8)
		return FERRY_PARSE_MALFORMED;
	if (pkt->t.proto == IPPROTO_ICMPV6 && ferry_is_ndp(pkt->icmp_type)) {
		pkt->ndp = 1;
		return FERRY_PARSE_OK;
	}
	if (is_error) {
		pkt->icmp_error = 1;
		return ferry_parse_inner(pkt, p + sizeof(struct icmphdr), data,
					 data_end);
	}
	return FERRY_PARSE_OK;
}

#endif
