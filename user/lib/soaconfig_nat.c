// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * [snat-pool NAME] and [forward NAME] of the agent's configuration, and
 * what they must not share: pools an address and port, forwards an
 * external endpoint, a forward's external endpoint and a pool.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "numparse.h"
#include "soaconfig_parse.h"

#define POOL_KEY_ADDRESSES	1
#define POOL_KEY_PORTS		2
#define POOL_KEY_SOURCES	3
#define FWD_KEY_EXTERNAL	2
#define FWD_KEY_INTERNAL	3

/* ---- addresses, ranges, endpoints ------------------------------------------ */

static size_t addr_len(__u8 family)
{
	return family == FERRY_AF_INET ? 4 : 16;
}

/* mask of a prefix of len bits */
static void prefix_mask(unsigned int len, __u8 mask[16])
{
	unsigned int i;

	for (i = 0; i < 16; i++, len -= len >= 8 ? 8 : len)
		mask[i] = len >= 8 ? 0xff : (__u8)(0xff00 >> len);
}

/* Is [lo, hi] the block of a prefix? Its length, or -1. */
static int range_prefix(const struct ferry_soa_range *r)
{
	size_t n = addr_len(r->family);
	unsigned int len, i;
	__u8 mask[16];

	for (len = 0; len <= n * 8; len++) {
		prefix_mask(len, mask);
		for (i = 0; i < n; i++)
			if ((r->lo[i] & ~mask[i]) ||
			    r->hi[i] != (r->lo[i] | (__u8)~mask[i]))
				break;
		if (i == n)
			return (int)len;
	}
	return -1;
}

static void range_format(const struct ferry_soa_range *r, char *buf,
			 size_t size)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int len = range_prefix(r);

	soacf_addr_format(r->family, r->lo, lo, sizeof(lo));
	soacf_addr_format(r->family, r->hi, hi, sizeof(hi));
	if (len == (int)addr_len(r->family) * 8)
		snprintf(buf, size, "%s", lo);
	else if (len >= 0)
		snprintf(buf, size, "%s/%d", lo, len);
	else
		snprintf(buf, size, "%s-%s", lo, hi);
}

static bool ranges_overlap(const struct ferry_soa_range *a,
			   const struct ferry_soa_range *b)
{
	size_t n = addr_len(a->family);

	return a->family == b->family && memcmp(a->lo, b->hi, n) <= 0 &&
	       memcmp(b->lo, a->hi, n) <= 0;
}

static int parse_prefix(struct soa_parse *p, char *tok, char *slash,
			struct ferry_soa_range *r)
{
	char want[INET6_ADDRSTRLEN];
	__u8 mask[16];
	__u32 len, bits;
	unsigned int i;

	*slash = '\0';
	if (soacf_addr_parse(tok, &r->family, r->lo))
		return ferry_ini_key_err(&p->ini, "bad prefix '%s/%s': '%s' is not an address",
			       tok, slash + 1, tok);
	bits = (__u32)addr_len(r->family) * 8;
	if (ferry_parse_u32(slash + 1, bits, &len))
		return ferry_ini_key_err(&p->ini, "bad prefix '%s/%s': length must be 0-%u",
			       tok, slash + 1, bits);
	prefix_mask(len, mask);
	for (i = 0; i < 16; i++)
		r->hi[i] = r->lo[i] & mask[i];
	if (memcmp(r->hi, r->lo, 16)) {
		soacf_addr_format(r->family, r->hi, want, sizeof(want));
		return ferry_ini_key_err(&p->ini, "bad prefix '%s/%s': host bits set (%s/%u?)",
			       tok, slash + 1, want, len);
	}
	for (i = 0; i < addr_len(r->family); i++)
		r->hi[i] = r->lo[i] | (__u8)~mask[i];
	return 0;
}

static int parse_span(struct soa_parse *p, char *tok, char *dash,
		      struct ferry_soa_range *r)
{
	__u8 family;

	*dash = '\0';
	if (soacf_addr_parse(tok, &r->family, r->lo) ||
	    soacf_addr_parse(dash + 1, &family, r->hi))
		return ferry_ini_key_err(&p->ini, "bad range '%s-%s': expected ADDR-ADDR",
			       tok, dash + 1);
	if (family != r->family)
		return ferry_ini_key_err(&p->ini, "bad range '%s-%s': IPv4 and IPv6 mixed",
			       tok, dash + 1);
	if (memcmp(r->lo, r->hi, addr_len(family)) > 0)
		return ferry_ini_key_err(&p->ini, "bad range '%s-%s': first above last",
			       tok, dash + 1);
	return 0;
}

/* ADDR, PREFIX/LEN or ADDR-ADDR */
static int parse_range(struct soa_parse *p, char *tok,
		       struct ferry_soa_range *r)
{
	char *sep;

	memset(r, 0, sizeof(*r));
	if ((sep = strchr(tok, '/')))
		return parse_prefix(p, tok, sep, r);
	if ((sep = strchr(tok, '-')))
		return parse_span(p, tok, sep, r);
	if (soacf_addr_parse(tok, &r->family, r->lo))
		return ferry_ini_key_err(&p->ini, "'%s' is not an address, prefix or range",
			       tok);
	memcpy(r->hi, r->lo, 16);
	return 0;
}

static void endpoint_format(const struct ferry_soa_endpoint *ep, char *buf,
			    size_t size)
{
	char a[INET6_ADDRSTRLEN];

	soacf_addr_format(ep->family, ep->addr, a, sizeof(a));
	snprintf(buf, size, ep->family == FERRY_AF_INET6 ? "[%s]:%u" : "%s:%u",
		 a, ep->port);
}

static bool endpoint_equal(const struct ferry_soa_endpoint *a,
			   const struct ferry_soa_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, 16);
}

/* ---- [snat-pool NAME] --------------------------------------------------------- */

static int pool_range(struct ferry_ini *ini, char *tok)
{
	struct ferry_soa_pool *pool = ini->obj;
	struct ferry_soa_range r;
	char a[2 * INET6_ADDRSTRLEN + 2], b[2 * INET6_ADDRSTRLEN + 2];
	__u32 i;

	if (parse_range(ini->parser, tok, &r))
		return ini->ret;
	for (i = 0; i < pool->nranges; i++) {
		if (!ranges_overlap(&r, &pool->ranges[i]))
			continue;
		range_format(&r, a, sizeof(a));
		range_format(&pool->ranges[i], b, sizeof(b));
		return ferry_ini_key_err(ini, "%s overlaps %s in the same list", a, b);
	}
	if (pool->nranges == FERRY_SOA_RANGES_MAX)
		return ferry_ini_key_err(ini, "too many ranges (at most %u)",
					 FERRY_SOA_RANGES_MAX);
	pool->ranges[pool->nranges++] = r;
	return 0;
}

/* PORT or PORT-PORT */
static int set_pool_ports(struct ferry_ini *ini, char *v)
{
	struct ferry_soa_pool *pool = ini->obj;
	char buf[16], *dash;

	if (strlen(v) >= sizeof(buf))
		return ferry_ini_key_err(ini, "'%s' is not PORT or PORT-PORT", v);
	strcpy(buf, v);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (soacf_port_parse(ini->parser, buf, &pool->port_lo) ||
	    soacf_port_parse(ini->parser, dash ? dash : buf, &pool->port_hi))
		return ini->ret;
	if (pool->port_lo > pool->port_hi)
		return ferry_ini_key_err(ini, "'%s': first port above last", v);
	return 0;
}

/* sources = PREFIX/LEN: the datapath takes one prefix per pool */
static int set_pool_sources(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_pool *pool = ini->obj;
	struct ferry_soa_range r;
	char *slash = strchr(v, '/');
	int len;

	if (!slash)
		return ferry_ini_key_err(ini, "'%s' is not PREFIX/LEN", v);
	if (parse_prefix(p, v, slash, &r))
		return ini->ret;
	len = range_prefix(&r);
	pool->has_sources = true;
	pool->src_family = r.family;
	memcpy(pool->src, r.lo, 16);
	pool->src_plen = (__u8)len;
	return 0;
}

const struct ferry_ini_key soacf_pool_keys[] = {
	{ .name = "zone", .set = ferry_ini_set_u32, .data = SOACF_ZONE(struct ferry_soa_pool),
	  .required = true },
	{ .name = "addresses", .set = pool_range, .list = true, .required = true },
	{ .name = "ports", .set = set_pool_ports },
	{ .name = "sources", .set = set_pool_sources },
	{ .name = NULL },
};

/* Pools overlap when an address and a port could be handed out by both. */
int soacf_pool_end(struct ferry_ini *ini)
{
	struct ferry_soa_config *cfg = ini->cfg;
	struct ferry_soa_pool *pool = ini->obj, *o;
	char a[2 * INET6_ADDRSTRLEN + 2], b[2 * INET6_ADDRSTRLEN + 2];
	__u32 i, j, k;

	if (!ini->key_line[POOL_KEY_PORTS]) {
		pool->port_lo = 1024;
		pool->port_hi = 65535;
	}
	for (i = 0; pool->has_sources && i < pool->nranges; i++)
		if (pool->ranges[i].family != pool->src_family)
			return ferry_ini_line_err(ini, ini->key_line[POOL_KEY_SOURCES],
						  "[%s] sources: IPv4 and IPv6 mixed with the addresses",
						  ini->section);
	for (o = cfg->pools; o < pool; o++) {
		if (o->port_lo > pool->port_hi || pool->port_lo > o->port_hi)
			continue;
		for (i = 0; i < pool->nranges; i++) {
			for (j = 0; j < o->nranges; j++) {
				if (!ranges_overlap(&pool->ranges[i], &o->ranges[j]))
					continue;
				range_format(&pool->ranges[i], a, sizeof(a));
				range_format(&o->ranges[j], b, sizeof(b));
				k = ini->key_line[POOL_KEY_ADDRESSES];
				return ferry_ini_line_err(ini, k, "[%s] addresses: %s overlaps pool '%s' (%s)",
							  ini->section, a, o->name, b);
			}
		}
	}
	return 0;
}

/* ---- [forward NAME] ----------------------------------------------------------- */

static int set_fwd_proto(struct ferry_ini *ini, char *v)
{
	struct ferry_soa_forward *fwd = ini->obj;

	if (!strcmp(v, "tcp"))
		fwd->proto = IPPROTO_TCP;
	else if (!strcmp(v, "udp"))
		fwd->proto = IPPROTO_UDP;
	else
		return ferry_ini_key_err(ini, "'%s' is not tcp or udp", v);
	return 0;
}

static int set_fwd_external(struct ferry_ini *ini, char *v)
{
	struct ferry_soa_forward *fwd = ini->obj;

	return soacf_endpoint_parse(ini->parser, v, &fwd->external);
}

static int fwd_target(struct ferry_ini *ini, char *tok)
{
	struct ferry_soa_forward *fwd = ini->obj;
	struct ferry_soa_endpoint ep;
	__u32 i;

	if (soacf_endpoint_parse(ini->parser, tok, &ep))
		return ini->ret;
	for (i = 0; i < fwd->ntargets; i++)
		if (endpoint_equal(&ep, &fwd->targets[i]))
			return ferry_ini_key_err(ini, "'%s' is listed twice", tok);
	if (fwd->ntargets && ep.family != fwd->targets[0].family)
		return ferry_ini_key_err(ini, "'%s': IPv4 and IPv6 mixed", tok);
	if (fwd->ntargets == FERRY_SOA_TARGETS_MAX)
		return ferry_ini_key_err(ini, "too many targets (at most %u)",
					 FERRY_SOA_TARGETS_MAX);
	fwd->targets[fwd->ntargets++] = ep;
	return 0;
}

const struct ferry_ini_key soacf_fwd_keys[] = {
	{ .name = "zone", .set = ferry_ini_set_u32, .data = SOACF_ZONE(struct ferry_soa_forward),
	  .required = true },
	{ .name = "proto", .set = set_fwd_proto, .required = true },
	{ .name = "external", .set = set_fwd_external, .required = true },
	{ .name = "internal", .set = fwd_target, .list = true, .required = true },
	{ .name = NULL },
};

int soacf_fwd_end(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_forward *fwd = ini->obj, *o;
	char ext[INET6_ADDRSTRLEN + 8];

	p->ext_line[fwd - p->cfg->forwards] = ini->key_line[FWD_KEY_EXTERNAL];
	endpoint_format(&fwd->external, ext, sizeof(ext));
	if (fwd->targets[0].family != fwd->external.family)
		return ferry_ini_line_err(ini, ini->key_line[FWD_KEY_INTERNAL],
					  "[%s] internal: not of the family of external %s",
					  ini->section, ext);
	for (o = p->cfg->forwards; o < fwd; o++)
		if (o->zone == fwd->zone && o->proto == fwd->proto &&
		    endpoint_equal(&o->external, &fwd->external))
			return ferry_ini_line_err(ini, ini->key_line[FWD_KEY_EXTERNAL],
						  "[%s] external: %s is forward '%s''s already",
						  ini->section, ext, o->name);
	return 0;
}

/* ---- the whole file ------------------------------------------------------------- */

/* A forward's external address must not be one a pool hands out. */
int soacf_check_forwards(struct soa_parse *p)
{
	const struct ferry_soa_config *cfg = p->cfg;
	const struct ferry_soa_forward *f;
	const struct ferry_soa_pool *pool;
	struct ferry_soa_range r = {};
	char ext[INET6_ADDRSTRLEN + 8];
	__u32 i;

	for (f = cfg->forwards; f < cfg->forwards + cfg->nforwards; f++) {
		r.family = f->external.family;
		memcpy(r.lo, f->external.addr, 16);
		memcpy(r.hi, f->external.addr, 16);
		for (pool = cfg->pools; pool < cfg->pools + cfg->npools; pool++) {
			if (f->external.port < pool->port_lo ||
			    f->external.port > pool->port_hi)
				continue;
			for (i = 0; i < pool->nranges; i++) {
				if (!ranges_overlap(&r, &pool->ranges[i]))
					continue;
				endpoint_format(&f->external, ext, sizeof(ext));
				return ferry_ini_line_err(&p->ini, p->ext_line[f - cfg->forwards],
						"[forward %s] external: %s is in pool '%s'",
						f->name, ext, pool->name);
			}
		}
	}
	return 0;
}
