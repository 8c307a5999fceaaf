// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include "pktbuild.h"
#include "dt_frame.h"

/* Addresses as text, since pkt_spec takes them so. */
struct dt_addr_text {
	char src[INET6_ADDRSTRLEN];
	char dst[INET6_ADDRSTRLEN];
};

static int to_spec(const struct dt_host *src, const struct dt_host *dst,
		   const struct dt_l4 *l4, struct pkt_spec *s,
		   struct dt_addr_text *t)
{
	if (src->family != dst->family ||
	    !inet_ntop(src->family, src->ip, t->src, sizeof(t->src)) ||
	    !inet_ntop(dst->family, dst->ip, t->dst, sizeof(t->dst)))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->saddr = t->src;
	s->daddr = t->dst;
	s->proto = l4->proto;
	switch (l4->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		s->sport = l4->sport;
		s->dport = l4->dport;
		s->tcp_flags = l4->tcp_flags;
		s->seq = l4->seq;
		s->ack = l4->ack;
		s->win = l4->win;
		s->win_zero = !l4->win;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		s->icmp_type = l4->icmp_type;
		s->icmp_code = l4->icmp_code;
		if (!l4->quote) {
			s->icmp_id = l4->sport;
			s->icmp_seq = l4->icmp_seq;
		}
		break;
	default:
		return -EINVAL;
	}
	s->payload = l4->quote;
	s->payload_len = l4->quote ? l4->quote_len : l4->payload_len;
	return 0;
}

int dt_build_ip(__u8 *buf, size_t cap, const struct dt_host *src,
		const struct dt_host *dst, const struct dt_l4 *l4)
{
	struct dt_addr_text t;
	struct pkt_spec s;
	int err;

	err = to_spec(src, dst, l4, &s, &t);
	return err ? err : pkt_build_l3(&s, buf, cap);
}

int dt_build_frame(__u8 *buf, size_t cap, const __u8 *smac, const __u8 *dmac,
		   const struct dt_host *src, const struct dt_host *dst,
		   const struct dt_l4 *l4)
{
	struct dt_addr_text t;
	struct pkt_spec s;
	int len;

	len = to_spec(src, dst, l4, &s, &t);
	if (len)
		return len;
	len = pkt_build(&s, buf, cap);
	if (len < ETH_HLEN)
		return len < 0 ? len : -EINVAL;
	memcpy(buf, dmac, ETH_ALEN);
	memcpy(buf + ETH_ALEN, smac, ETH_ALEN);
	return len;
}
