// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include "dt_frame.h"

static __u32 csum_add(__u32 sum, const void *p, size_t len)
{
	const __u8 *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* The pseudo header's part of an L4 checksum (none for ICMPv4). */
static __u32 csum_pseudo(const struct dt_host *src, const struct dt_host *dst,
			 __u8 proto, __u32 len)
{
	int alen = src->family == AF_INET ? 4 : 16;
	__u32 sum = 0;

	if (proto == IPPROTO_ICMP)
		return 0;
	sum = csum_add(sum, src->ip, alen);
	sum = csum_add(sum, dst->ip, alen);
	return sum + proto + (len >> 16) + (len & 0xffff);
}

static int l4_hdr_len(const struct dt_l4 *l4)
{
	switch (l4->proto) {
	case IPPROTO_TCP:
		return sizeof(struct tcphdr);
	case IPPROTO_UDP:
		return sizeof(struct udphdr);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	default:
		return -EINVAL;
	}
}

/* The L4 header at p, checksum still zero. */
static __u8 *l4_fill(__u8 *p, const struct dt_l4 *l4, __u32 l4_len)
{
	struct tcphdr *th = (void *)p;
	struct udphdr *uh = (void *)p;
	struct icmphdr *ic = (void *)p;

	switch (l4->proto) {
	case IPPROTO_TCP:
		th->source = htons(l4->sport);
		th->dest = htons(l4->dport);
		th->seq = htonl(l4->seq);
		th->ack_seq = htonl(l4->ack);
		th->doff = sizeof(*th) / 4;
		p[13] = l4->tcp_flags;
		th->window = htons(l4->win);
		return (__u8 *)&th->check;
	case IPPROTO_UDP:
		uh->source = htons(l4->sport);
		uh->dest = htons(l4->dport);
		uh->len = htons(l4_len);
		return (__u8 *)&uh->check;
	default:
		ic->type = l4->icmp_type;
		ic->code = l4->icmp_code;
		if (!l4->quote) {
			ic->un.echo.id = htons(l4->sport);
			ic->un.echo.sequence = htons(l4->icmp_seq);
		}
		return (__u8 *)&ic->checksum;
	}
}

int dt_build_ip(__u8 *buf, size_t cap, const struct dt_host *src,
		const struct dt_host *dst, const struct dt_l4 *l4)
{
	int hlen = src->family == AF_INET ? sizeof(struct iphdr) :
					    sizeof(struct ipv6hdr);
	int l4h = l4_hdr_len(l4);
	__u32 l4_len, i, sum;
	__u16 csum;
	__u8 *l4p, *body, *check;

	if (l4h < 0 || src->family != dst->family ||
	    (src->family != AF_INET && src->family != AF_INET6))
		return -EINVAL;
	l4_len = l4h + (l4->quote ? l4->quote_len : l4->payload_len);
	if (hlen + l4_len > cap)
		return -ENOSPC;
	memset(buf, 0, hlen + l4_len);

	if (src->family == AF_INET) {
		struct iphdr *ip = (void *)buf;

		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(hlen + l4_len);
		ip->id = htons(0x1234);
		ip->frag_off = htons(0x4000);	/* DF */
		ip->ttl = 64;
		ip->protocol = l4->proto;
		memcpy(&ip->saddr, src->ip, 4);
		memcpy(&ip->daddr, dst->ip, 4);
		ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));
	} else {
		struct ipv6hdr *ip6 = (void *)buf;

		ip6->version = 6;
		ip6->payload_len = htons(l4_len);
		ip6->nexthdr = l4->proto;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, src->ip, 16);
		memcpy(&ip6->daddr, dst->ip, 16);
	}
	l4p = buf + hlen;
	check = l4_fill(l4p, l4, l4_len);
	body = l4p + l4h;
	if (l4->quote)
		memcpy(body, l4->quote, l4->quote_len);
	else
		for (i = 0; i < l4->payload_len; i++)
			body[i] = 'a' + i % 26;
	sum = csum_pseudo(src, dst, l4->proto, l4_len);
	csum = csum_fold(csum_add(sum, l4p, l4_len));
	if (l4->proto == IPPROTO_UDP && !csum)
		csum = 0xffff;	/* zero means "no checksum" in UDP */
	memcpy(check, &csum, 2);
	return hlen + l4_len;
}

int dt_build_frame(__u8 *buf, size_t cap, const __u8 *smac, const __u8 *dmac,
		   const struct dt_host *src, const struct dt_host *dst,
		   const struct dt_l4 *l4)
{
	struct ethhdr *eth = (void *)buf;
	int len;

	if (cap < sizeof(*eth))
		return -ENOSPC;
	memcpy(eth->h_dest, dmac, ETH_ALEN);
	memcpy(eth->h_source, smac, ETH_ALEN);
	eth->h_proto = htons(src->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	len = dt_build_ip(buf + sizeof(*eth), cap - sizeof(*eth), src, dst, l4);
	return len < 0 ? len : len + (int)sizeof(*eth);
}
