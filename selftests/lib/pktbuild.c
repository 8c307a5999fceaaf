// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include "pktbuild.h"

static const __u8 pkt_dst_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 pkt_src_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* Addresses and lengths shared by the layers of one packet. */
struct pkt_ctx {
	int family;
	__u8 src[16];
	__u8 dst[16];
	size_t l4_hlen;		/* upper-layer header */
	size_t l4_len;		/* upper-layer header + payload */
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

__u16 pkt_csum_fold(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Sum of the pseudo-header of TCP, UDP and ICMPv6 (RFC 793, RFC 8200). */
static __u32 pkt_pseudo_sum(int family, const __u8 *src, const __u8 *dst,
			    __u8 proto, size_t l4_len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	__u32 sum = 0;

	sum += pkt_csum_fold(src, alen, 0);
	sum += pkt_csum_fold(dst, alen, 0);
	sum += proto;
	sum += l4_len & 0xffff;
	sum += l4_len >> 16;
	return sum;
}

int pkt_parse_addr(const char *text, __u8 addr[16])
{
	memset(addr, 0, 16);
	if (!text)
		return -EINVAL;
	if (inet_pton(AF_INET, text, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, addr) == 1)
		return AF_INET6;
	fprintf(stderr, "pktbuild: '%s' is not an IPv4 or IPv6 address\n", text);
	return -EINVAL;
}

static size_t pkt_tcp_opts_len(const struct pkt_spec *s)
{
	size_t n = 0;

	if (s->tcp_opts & PKT_OPT_MSS)
		n += 4;
	if (s->tcp_opts & PKT_OPT_WSCALE)
		n += 4;		/* NOP + 3 */
	if (s->tcp_opts & PKT_OPT_SACKOK)
		n += 4;		/* NOP NOP + 2 */
	if (s->tcp_opts & PKT_OPT_TS)
		n += 12;	/* NOP NOP + 10 */
	return n;
}

static size_t pkt_l4_hlen(const struct pkt_spec *s)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		return 20 + pkt_tcp_opts_len(s);
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

static size_t pkt_ext_len(const struct pkt_ext6 *e)
{
	if (e->type == IPPROTO_FRAGMENT || !e->len)
		return 8;
	return e->len;
}

static int pkt_check_spec(const struct pkt_spec *s)
{
	unsigned int i;

	if (s->nvlan > PKT_MAX_VLAN || s->next > PKT_MAX_EXT) {
		fprintf(stderr, "pktbuild: %u VLAN tags / %u extension headers: too many\n",
			s->nvlan, s->next);
		return -EINVAL;
	}
	if (s->ip_opt_len > 40 || s->ip_opt_len % 4) {
		fprintf(stderr, "pktbuild: IPv4 options of %u bytes: must be a multiple of 4, at most 40\n",
			s->ip_opt_len);
		return -EINVAL;
	}
	for (i = 0; i < s->next; i++) {
		const struct pkt_ext6 *e = &s->ext[i];

		if (e->type != IPPROTO_HOPOPTS && e->type != IPPROTO_DSTOPTS &&
		    e->type != IPPROTO_ROUTING && e->type != IPPROTO_FRAGMENT) {
			fprintf(stderr, "pktbuild: extension header %u has unknown type %u\n",
				i, e->type);
			return -EINVAL;
		}
		if (e->type != IPPROTO_FRAGMENT && e->len % 8) {
			fprintf(stderr, "pktbuild: extension header %u: length %u is not a multiple of 8\n",
				i, e->len);
			return -EINVAL;
		}
	}
	return 0;
}

static void pkt_fill_payload(const struct pkt_spec *s, __u8 *p)
{
	size_t i;

	if (s->payload) {
		memcpy(p, s->payload, s->payload_len);
		return;
	}
	for (i = 0; i < s->payload_len; i++)
		p[i] = 'a' + i % 26;
}

static size_t pkt_put_tcp_opts(const struct pkt_spec *s, __u8 *p)
{
	__u8 *o = p;

	if (s->tcp_opts & PKT_OPT_MSS) {
		o[0] = 2;
		o[1] = 4;
		put16(o + 2, s->mss ? s->mss : 1460);
		o += 4;
	}
	if (s->tcp_opts & PKT_OPT_WSCALE) {
		o[0] = 1;
		o[1] = 3;
		o[2] = 3;
		o[3] = s->wscale;
		o += 4;
	}
	if (s->tcp_opts & PKT_OPT_SACKOK) {
		o[0] = 1;
		o[1] = 1;
		o[2] = 4;
		o[3] = 2;
		o += 4;
	}
	if (s->tcp_opts & PKT_OPT_TS) {
		o[0] = 1;
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		put32(o + 4, 0x01020304);
		put32(o + 8, 0);
		o += 12;
	}
	return o - p;
}

/* Upper-layer header and payload at p, checksum included. */
static void pkt_put_l4(const struct pkt_spec *s, const struct pkt_ctx *c,
		       __u8 *p)
{
	__u32 sum;
	__u16 csum;
	size_t csum_off;

	pkt_fill_payload(s, p + c->l4_hlen);
	switch (s->proto) {
	case IPPROTO_TCP:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put32(p + 4, s->seq);
		put32(p + 8, s->ack);
		p[12] = (c->l4_hlen / 4) << 4;
		p[13] = s->tcp_flags;
		put16(p + 14, s->win || s->win_zero ? s->win : 65535);
		put16(p + 16, 0);
		put16(p + 18, 0);
		pkt_put_tcp_opts(s, p + 20);
		csum_off = 16;
		break;
	case IPPROTO_UDP:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, c->l4_len);
		put16(p + 6, 0);
		csum_off = 6;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		put16(p + 2, 0);
		put16(p + 4, s->icmp_id);
		put16(p + 6, s->icmp_seq);
		csum_off = 2;
		break;
	default:
		return;
	}
	sum = 0;
	if (s->proto != IPPROTO_ICMP)
		sum = pkt_pseudo_sum(c->family, c->src, c->dst, s->proto,
				     c->l4_len);
	csum = ~pkt_csum_fold(p, c->l4_len, sum);
	if (s->proto == IPPROTO_UDP && !csum)
		csum = 0xffff;
	put16(p + csum_off, csum);
}

static size_t pkt_put_ipv4(const struct pkt_spec *s, const struct pkt_ctx *c,
			   __u8 *p)
{
	size_t hlen = 20 + s->ip_opt_len;

	p[0] = 0x40 | (hlen / 4);
	p[1] = 0;
	put16(p + 2, hlen + c->l4_len);
	put16(p + 4, 0x1234);
	put16(p + 6, s->frag);
	p[8] = s->ttl ? s->ttl : 64;
	p[9] = s->proto;
	put16(p + 10, 0);
	memcpy(p + 12, c->src, 4);
	memcpy(p + 16, c->dst, 4);
	/* Options: NOPs, then end of list. */
	memset(p + 20, 1, s->ip_opt_len);
	if (s->ip_opt_len)
		p[hlen - 1] = 0;
	put16(p + 10, ~pkt_csum_fold(p, hlen, 0));
	return hlen;
}

/* One extension header whose successor is nh. */
static void pkt_put_ext(const struct pkt_ext6 *e, __u8 nh, __u8 *p)
{
	size_t len = pkt_ext_len(e);

	memset(p, 0, len);
	p[0] = nh;
	switch (e->type) {
	case IPPROTO_FRAGMENT:
		put16(p + 2, (e->frag_off << 3) | (e->more ? 1 : 0));
		put32(p + 4, 0xf00d);
		break;
	case IPPROTO_ROUTING:
		p[1] = len / 8 - 1;
		p[2] = 0;	/* type 0, no segments left: ignored by nodes */
		break;
	default:
		p[1] = len / 8 - 1;
		/* Pad the options out with one PadN. */
		p[2] = 1;
		p[3] = len - 4;
		break;
	}
}

static size_t pkt_put_ipv6(const struct pkt_spec *s, const struct pkt_ctx *c,
			   __u8 *p)
{
	size_t off = 40, ext = 0;
	unsigned int i;

	for (i = 0; i < s->next; i++)
		ext += pkt_ext_len(&s->ext[i]);
	put32(p, 0x60000000);
	put16(p + 4, ext + c->l4_len);
	p[6] = s->next ? s->ext[0].type : s->proto;
	p[7] = s->ttl ? s->ttl : 64;
	memcpy(p + 8, c->src, 16);
	memcpy(p + 24, c->dst, 16);
	for (i = 0; i < s->next; i++) {
		__u8 nh = i + 1 < s->next ? s->ext[i + 1].type : s->proto;

		pkt_put_ext(&s->ext[i], nh, p + off);
		off += pkt_ext_len(&s->ext[i]);
	}
	return off;
}

static size_t pkt_put_eth(const struct pkt_spec *s, __u16 type, __u8 *p)
{
	size_t off = 12;
	unsigned int i;

	memcpy(p, pkt_dst_mac, 6);
	memcpy(p + 6, pkt_src_mac, 6);
	for (i = 0; i < s->nvlan; i++) {
		put16(p + off, s->vlan_tpid[i] ? s->vlan_tpid[i] : ETH_P_8021Q);
		put16(p + off + 2, s->vlan[i] & 0x0fff);
		off += 4;
	}
	put16(p + off, type);
	return off + 2;
}

/* Size of everything from the IP header on. */
static int pkt_prepare(const struct pkt_spec *s, struct pkt_ctx *c,
		       size_t *l3_len)
{
	unsigned int i;
	int err;

	memset(c, 0, sizeof(*c));
	err = pkt_check_spec(s);
	if (err)
		return err;
	if (!s->saddr) {	/* non-IP: the payload follows the EtherType */
		*l3_len = s->payload_len;
		return 0;
	}
	c->family = pkt_parse_addr(s->saddr, c->src);
	if (c->family < 0 || pkt_parse_addr(s->daddr, c->dst) != c->family) {
		fprintf(stderr, "pktbuild: addresses '%s' and '%s' are not of one family\n",
			s->saddr, s->daddr ? s->daddr : "(null)");
		return -EINVAL;
	}
	c->l4_hlen = pkt_l4_hlen(s);
	c->l4_len = c->l4_hlen + s->payload_len;
	if (c->family == AF_INET) {
		*l3_len = 20 + s->ip_opt_len + c->l4_len;
		return 0;
	}
	*l3_len = 40 + c->l4_len;
	for (i = 0; i < s->next; i++)
		*l3_len += pkt_ext_len(&s->ext[i]);
	return 0;
}

static int pkt_build_at(const struct pkt_spec *s, __u8 *p, size_t cap,
			int with_eth, struct pkt_layout *lay)
{
	struct pkt_ctx c;
	size_t l3_len, off = 0, hlen;
	int err;

	err = pkt_prepare(s, &c, &l3_len);
	if (err)
		return err;
	if (with_eth)
		off = 14 + 4 * s->nvlan;
	if (off + l3_len > cap || off + l3_len > 0xffff) {
		fprintf(stderr, "pktbuild: packet of %zu bytes does not fit in %zu\n",
			off + l3_len, cap);
		return -ENOSPC;
	}
	memset(p, 0, off + l3_len);
	if (with_eth)
		pkt_put_eth(s, !s->saddr ? s->ethertype :
			       c.family == AF_INET ? ETH_P_IP : ETH_P_IPV6, p);
	lay->l3 = off;
	lay->len = off + l3_len;
	if (!s->saddr) {
		pkt_fill_payload(s, p + off);
		lay->l4 = lay->payload = off;
		return lay->len;
	}
	if (c.family == AF_INET)
		hlen = pkt_put_ipv4(s, &c, p + off);
	else
		hlen = pkt_put_ipv6(s, &c, p + off);
	lay->l4 = off + hlen;
	lay->payload = lay->l4 + c.l4_hlen;
	pkt_put_l4(s, &c, p + lay->l4);
	return lay->len;
}

int pkt_build_layout(const struct pkt_spec *s, void *buf, size_t cap,
		     struct pkt_layout *lay)
{
	struct pkt_layout tmp;

	return pkt_build_at(s, buf, cap, 1, lay ? lay : &tmp);
}

int pkt_build(const struct pkt_spec *s, void *buf, size_t cap)
{
	return pkt_build_layout(s, buf, cap, NULL);
}

int pkt_build_l3(const struct pkt_spec *s, void *buf, size_t cap)
{
	struct pkt_layout lay;

	if (!s->saddr) {
		fprintf(stderr, "pktbuild: an L3 packet needs addresses\n");
		return -EINVAL;
	}
	return pkt_build_at(s, buf, cap, 0, &lay);
}

void pkt_reverse(const struct pkt_spec *s, struct pkt_spec *r)
{
	struct pkt_spec t = *s;	/* s and r may be the same */

	t.saddr = s->daddr;
	t.daddr = s->saddr;
	t.sport = s->dport;
	t.dport = s->sport;
	*r = t;
}

void pkt_corrupt(void *buf, size_t off, __u8 xor)
{
	((__u8 *)buf)[off] ^= xor;
}

void pkt_put_u8(void *buf, size_t off, __u8 v)
{
	((__u8 *)buf)[off] = v;
}

void pkt_put_be16(void *buf, size_t off, __u16 v)
{
	put16((__u8 *)buf + off, v);
}

void pkt_ipv4_fix_csum(void *buf, size_t l3)
{
	__u8 *p = (__u8 *)buf + l3;
	size_t hlen = (p[0] & 0x0f) * 4;

	put16(p + 10, 0);
	put16(p + 10, ~pkt_csum_fold(p, hlen, 0));
}

/* Upper-layer protocol of an IPv6 packet whose upper header is at l4. */
static __u8 pkt_ipv6_upper(const __u8 *ip, const __u8 *l4)
{
	const __u8 *h = ip + 40;
	__u8 nh = ip[6];

	while (h < l4) {
		size_t len = nh == IPPROTO_FRAGMENT ? 8 : ((size_t)h[1] + 1) * 8;

		nh = h[0];
		h += len;
	}
	return nh;
}

int pkt_csum_ok(const void *buf, const struct pkt_layout *lay)
{
	const __u8 *ip = (const __u8 *)buf + lay->l3;
	const __u8 *l4 = (const __u8 *)buf + lay->l4;
	size_t l4_len = lay->len - lay->l4;
	int v4 = (ip[0] >> 4) == 4;
	__u8 proto = v4 ? ip[9] : pkt_ipv6_upper(ip, l4);
	__u32 sum = 0;

	if (v4 && pkt_csum_fold(ip, (ip[0] & 0x0f) * 4, 0) != 0xffff)
		return 0;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		sum = pkt_pseudo_sum(v4 ? AF_INET : AF_INET6,
				     v4 ? ip + 12 : ip + 8, v4 ? ip + 16 : ip + 24,
				     proto, l4_len);
		break;
	case IPPROTO_ICMP:
		break;
	default:
		return 1;	/* no L4 checksum we know of */
	}
	return pkt_csum_fold(l4, l4_len, sum) == 0xffff;
}
