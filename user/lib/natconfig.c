// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "natconfig.h"
#include "numparse.h"
#include "soaconfig.h"
#include "log.h"

#define NAT_TEXT_MAX	1024

#include <stdarg.h>

__attribute__((format(printf, 3, 4)))
static int nat_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * An address at *p: "a.b.c.d" or "[v6]". Advances *p past it. family (0:
 * any) is what the rest of the text already uses.
 */
static int parse_addr(char **p, __u8 *family, __u8 *addr, char *err,
		      size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 1], *s = *p, *end;
	size_t n;

	memset(addr, 0, 16);
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end)
			return nat_err(err, errlen, "'%s': IPv6 address without ']'", s);
		n = end - s - 1;
		if (n >= sizeof(buf))
			return nat_err(err, errlen, "'%s': IPv6 address too long", s);
		memcpy(buf, s + 1, n);
		buf[n] = 0;
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return nat_err(err, errlen, "'%s' is not an IPv6 address", buf);
		if (*family == FERRY_AF_INET)
			return nat_err(err, errlen, "'%s': IPv4 and IPv6 mixed", buf);
		*family = FERRY_AF_INET6;
		*p = end + 1;
		return 0;
	}
	n = strspn(s, "0123456789.");
	if (!n || n >= sizeof(buf))
		return nat_err(err, errlen, "'%s': expected an address (IPv6 in brackets)", s);
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, addr) != 1)
		return nat_err(err, errlen, "'%s' is not an IPv4 address (IPv6 goes in brackets)", buf);
	if (*family == FERRY_AF_INET6)
		return nat_err(err, errlen, "'%s': IPv4 and IPv6 mixed", buf);
	*family = FERRY_AF_INET;
	*p = s + n;
	return 0;
}

/* A number at *p up to one of the stop characters (or the end). */
static int parse_num(char **p, const char *stop, __u32 lo, __u32 hi,
		     const char *what, __u32 *out, char *err, size_t errlen)
{
	char buf[16], *s = *p;
	size_t n = strcspn(s, stop);

	if (!n || n >= sizeof(buf)) {
		snprintf(err, errlen, "'%s': expected %s", s, what);
		return -EINVAL;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	if (ferry_parse_u32(buf, hi, out) || *out < lo) {
		snprintf(err, errlen, "'%s': %s must be %u..%u", buf, what, lo, hi);
		return -EINVAL;
	}
	*p = s + n;
	return 0;
}

static int expect(char **p, char c, const char *what, char *err, size_t errlen)
{
	if (**p != c) {
		snprintf(err, errlen, "'%s': expected '%c' before %s", *p, c, what);
		return -EINVAL;
	}
	(*p)++;
	return 0;
}

/* Addresses of a pool: a range within the last 32 bits of the address. */
static int pool_range(struct ferry_nat_pool *p, __u8 family, const __u8 *lo,
		      const __u8 *hi, char *err, size_t errlen)
{
	int last = family == FERRY_AF_INET6 ? 12 : 0;
	__u32 a, b;

	if (memcmp(lo, hi, last)) {
		snprintf(err, errlen, "pool range may only vary in the address's last 32 bits");
		return -EINVAL;
	}
	memcpy(&a, lo + last, 4);
	memcpy(&b, hi + last, 4);
	a = ntohl(a);
	b = ntohl(b);
	if (b < a) {
		snprintf(err, errlen, "pool range ends before it starts");
		return -EINVAL;
	}
	memcpy(p->addr, lo, 16);
	p->naddrs = b - a + 1;
	if (!p->naddrs) {
		snprintf(err, errlen, "pool range too large");
		return -EINVAL;
	}
	return 0;
}

int ferry_nat_parse_snat(const char *text, struct ferry_nat_pool_entry *e,
			 char *err, size_t errlen)
{
	__u8 family = 0, lo[16], hi[16], sfam;
	char buf[NAT_TEXT_MAX], *p = buf;
	__u32 zone, plo = 1024, phi = 65535, plen = 0;
	int ret;

	memset(e, 0, sizeof(*e));
	if (strlen(text) >= sizeof(buf))
		return nat_err(err, errlen, "--snat '%.64s...': too long", text);
	strcpy(buf, text);
	ret = parse_num(&p, ":", 0, FERRY_ZONE_ANY - 1, "a zone", &zone, err, errlen);
	if (!ret)
		ret = expect(&p, ':', "the pool address", err, errlen);
	if (!ret)
		ret = parse_addr(&p, &family, lo, err, errlen);
	if (ret)
		return ret;
	memcpy(hi, lo, 16);
	if (*p == '-') {
		p++;
		ret = parse_addr(&p, &family, hi, err, errlen);
		if (ret)
			return ret;
	}
	if (*p == ':') {
		p++;
		ret = parse_num(&p, "-", 1, 65535, "a port", &plo, err, errlen);
		if (!ret)
			ret = expect(&p, '-', "the last port", err, errlen);
		if (!ret)
			ret = parse_num(&p, "@", 1, 65535, "a port", &phi, err, errlen);
		if (ret)
			return ret;
		if (phi < plo)
			return nat_err(err, errlen, "port range %u-%u ends before it starts", plo, phi);
	}
	if (*p == '@') {
		p++;
		sfam = family;
		ret = parse_addr(&p, &sfam, e->pool.src, err, errlen);
		if (!ret)
			ret = expect(&p, '/', "the prefix length", err, errlen);
		if (!ret)
			ret = parse_num(&p, "", 0, family == FERRY_AF_INET6 ? 128 : 32,
					"a prefix length", &plen, err, errlen);
		if (ret)
			return ret;
	}
	if (*p)
		return nat_err(err, errlen, "'%s': unexpected text", p);
	ret = pool_range(&e->pool, family, lo, hi, err, errlen);
	if (ret)
		return ret;
	e->key.zone = zone;
	e->key.family = family;
	e->pool.port_lo = plo;
	e->pool.port_hi = phi;
	e->pool.src_plen = plen;
	return 0;
}

static __u8 proto_of(const char *s)
{
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	return 0;
}

int ferry_nat_parse_dnat(const char *text, struct ferry_nat_fwd_entry *e,
			 char *err, size_t errlen)
{
	char buf[NAT_TEXT_MAX], *p = buf, *colon;
	__u32 zone, port;
	__u8 family = 0;
	int ret;

	memset(e, 0, sizeof(*e));
	if (strlen(text) >= sizeof(buf))
		return nat_err(err, errlen, "--dnat '%.64s...': too long", text);
	strcpy(buf, text);
	ret = parse_num(&p, ":", 0, FERRY_ZONE_ANY - 1, "a zone", &zone, err, errlen);
	if (!ret)
		ret = expect(&p, ':', "the protocol", err, errlen);
	if (ret)
		return ret;
	colon = strchr(p, ':');
	if (!colon)
		return nat_err(err, errlen, "'%s': expected PROTO:ADDR:PORT=...", p);
	*colon = 0;
	e->key.proto = proto_of(p);
	if (!e->key.proto)
		return nat_err(err, errlen, "'%s': protocol must be tcp or udp", p);
	p = colon + 1;
	ret = parse_addr(&p, &family, e->key.addr, err, errlen);
	if (!ret)
		ret = expect(&p, ':', "the port", err, errlen);
	if (!ret)
		ret = parse_num(&p, "=", 1, 65535, "a port", &port, err, errlen);
	if (!ret)
		ret = expect(&p, '=', "the backends", err, errlen);
	if (ret)
		return ret;
	e->key.port = htons(port);
	for (;;) {
		struct ferry_nat_backend *b;

		if (e->fwd.nbackends == FERRY_NAT_BACKENDS_MAX)
			return nat_err(err, errlen, "more than %d backends", FERRY_NAT_BACKENDS_MAX);
		b = &e->fwd.be[e->fwd.nbackends];
		ret = parse_addr(&p, &family, b->addr, err, errlen);
		if (!ret)
			ret = expect(&p, ':', "the backend's port", err, errlen);
		if (!ret)
			ret = parse_num(&p, ",", 1, 65535, "a port", &port, err, errlen);
		if (ret)
			return ret;
		b->port = htons(port);
		e->fwd.nbackends++;
		if (!*p)
			break;
		p++;	/* ',' */
	}
	e->key.zone = zone;
	e->key.family = family;
	return 0;
}

int ferry_nat_pool_from_soa(const struct ferry_soa_pool *sp,
			    struct ferry_nat_pool_entry *e, char *err,
			    size_t errlen)
{
	memset(e, 0, sizeof(*e));
	if (sp->nranges != 1) {
		snprintf(err, errlen, "pool %s: the datapath takes one address range per pool (has %u)",
			 sp->name, sp->nranges);
		return -EINVAL;
	}
	e->key.zone = sp->zone;
	e->key.family = sp->ranges[0].family;
	e->pool.port_lo = sp->port_lo;
	e->pool.port_hi = sp->port_hi;
	if (sp->has_sources) {
		memcpy(e->pool.src, sp->src, 16);
		e->pool.src_plen = sp->src_plen;
	}
	return pool_range(&e->pool, sp->ranges[0].family, sp->ranges[0].lo,
			  sp->ranges[0].hi, err, errlen);
}

int ferry_nat_fwd_from_soa(const struct ferry_soa_forward *sf,
			   struct ferry_nat_fwd_entry *e, char *err,
			   size_t errlen)
{
	__u32 i;

	memset(e, 0, sizeof(*e));
	if (!sf->ntargets || sf->ntargets > FERRY_NAT_BACKENDS_MAX) {
		snprintf(err, errlen, "forward %s: 1..%u targets", sf->name,
			 FERRY_NAT_BACKENDS_MAX);
		return -EINVAL;
	}
	e->key.zone = sf->zone;
	e->key.proto = sf->proto;
	e->key.family = sf->external.family;
	memcpy(e->key.addr, sf->external.addr, 16);
	e->key.port = htons(sf->external.port);
	for (i = 0; i < sf->ntargets; i++) {
		if (sf->targets[i].family != sf->external.family) {
			snprintf(err, errlen, "forward %s: targets and external of one family",
				 sf->name);
			return -EINVAL;
		}
		memcpy(e->fwd.be[i].addr, sf->targets[i].addr, 16);
		e->fwd.be[i].port = htons(sf->targets[i].port);
	}
	e->fwd.nbackends = sf->ntargets;
	return 0;
}

int ferry_nat_pool_write(int fd, const struct ferry_nat_pool_entry *e)
{
	if (bpf_map_update_elem(fd, &e->key, &e->pool, 0)) {
		pr_warn("writing a SNAT pool: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int ferry_nat_fwd_write(int fd, const struct ferry_nat_fwd_entry *e)
{
	if (bpf_map_update_elem(fd, &e->key, &e->fwd, 0)) {
		pr_warn("writing a DNAT forward: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int ferry_nat_xlat_key(const struct ferry_flow_key *k,
		       const struct ferry_flow *f, struct ferry_flow_key *out)
{
	const struct ferry_nat *n = &f->nat;
	int cmp, lo;

	if (!n->kind)
		return -ENOENT;
	cmp = memcmp(n->saddr, n->daddr, 16);
	lo = cmp < 0 || (cmp == 0 && ntohs(n->sport) <= ntohs(n->dport));
	memset(out, 0, sizeof(*out));
	out->zone = k->zone;
	out->proto = k->proto;
	out->family = k->family;
	memcpy(out->addr_lo, lo ? n->saddr : n->daddr, 16);
	memcpy(out->addr_hi, lo ? n->daddr : n->saddr, 16);
	out->port_lo = lo ? n->sport : n->dport;
	out->port_hi = lo ? n->dport : n->sport;
	return 0;
}

int ferry_nat_pool_has(const struct ferry_nat_pool_key *pk,
		       const struct ferry_nat_pool *p, __u8 family,
		       const __u8 *addr)
{
	int last = family == FERRY_AF_INET6 ? 12 : 0;
	__u32 a, b;

	if (family != pk->family || memcmp(addr, p->addr, last))
		return 0;
	memcpy(&a, addr + last, 4);
	memcpy(&b, p->addr + last, 4);
	return ntohl(a) - ntohl(b) < p->naddrs;
}
