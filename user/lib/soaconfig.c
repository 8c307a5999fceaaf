// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's configuration file: its sections and keys as inifile.c's
 * table, each key's value checked here, and what the whole file must hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include "ctconfig.h"
#include "numparse.h"
#include "rules.h"
#include "inifile.h"
#include "soaconfig.h"

#define LINE_MAX_LEN	4096
#define NS_PER_SEC	1000000000ull
#define U32(f, lo, hi)	FERRY_INI_U32(struct ferry_soa_config, f, lo, hi)
#define PATH(f)		FERRY_INI_PATH(struct ferry_soa_config, f)

enum {
	SEC_AGENT,
	SEC_TABLE,
	SEC_TIMEOUTS,
	SEC_INTERFACE,
	SEC_RULES,
	SEC_POOL,
	SEC_FORWARD,
	SEC_SECURITY,
	SEC_VM,
	SEC_MAX,
};

struct soa_parse {
	struct ferry_ini ini;		/* file, line, section, first error */
	struct ferry_soa_config *cfg;
	/* the current named section */
	struct ferry_soa_iface *iface;
	struct ferry_soa_pool *pool;
	struct ferry_soa_forward *fwd;
	struct ferry_soa_vm *vm;
	__u32 vlan_line[FERRY_SOA_VLANS_MAX];
	__u32 ext_line[FERRY_SOA_FORWARDS_MAX];	/* of each forward's 'external' */
	/* whole file */
	__u32 *rule_line;		/* of each inline rule */
	__u32 rule_cap;
};

/* ---- values -------------------------------------------------------------- */

static int get_bool(struct soa_parse *p, const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return ferry_ini_key_err(&p->ini, "'%s' is not yes or no", v);
}

static size_t addr_len(__u8 family)
{
	return family == FERRY_AF_INET ? 4 : 16;
}

static int parse_addr(const char *s, __u8 *family, __u8 addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		*family = FERRY_AF_INET;
	else if (inet_pton(AF_INET6, s, addr) == 1)
		*family = FERRY_AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static void addr_format(__u8 family, const __u8 addr[16], char *buf,
			size_t size)
{
	inet_ntop(family == FERRY_AF_INET ? AF_INET : AF_INET6, addr, buf, size);
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

	addr_format(r->family, r->lo, lo, sizeof(lo));
	addr_format(r->family, r->hi, hi, sizeof(hi));
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
	if (parse_addr(tok, &r->family, r->lo))
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
		addr_format(r->family, r->hi, want, sizeof(want));
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
	if (parse_addr(tok, &r->family, r->lo) ||
	    parse_addr(dash + 1, &family, r->hi))
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
	if (parse_addr(tok, &r->family, r->lo))
		return ferry_ini_key_err(&p->ini, "'%s' is not an address, prefix or range",
			       tok);
	memcpy(r->hi, r->lo, 16);
	return 0;
}

static int parse_port(struct soa_parse *p, const char *s, __u16 *port)
{
	__u32 v;

	if (ferry_parse_u32(s, 65535, &v) || !v)
		return ferry_ini_key_err(&p->ini, "bad port '%s': must be 1-65535", s);
	*port = (__u16)v;
	return 0;
}

/* A.B.C.D:PORT or [IPV6]:PORT */
static int parse_endpoint(struct soa_parse *p, const char *v,
			  struct ferry_soa_endpoint *ep)
{
	char buf[INET6_ADDRSTRLEN + 8], *addr = buf, *colon;

	memset(ep, 0, sizeof(*ep));
	if (strlen(v) >= sizeof(buf))
		return ferry_ini_key_err(&p->ini, "'%s' is not ADDR:PORT", v);
	strcpy(buf, v);
	if (buf[0] == '[') {
		colon = strchr(buf, ']');
		if (!colon || colon[1] != ':')
			return ferry_ini_key_err(&p->ini, "'%s' has no port: expected [ADDR6]:PORT",
				       v);
		*colon++ = '\0';
		addr++;
		if (parse_addr(addr, &ep->family, ep->addr) ||
		    ep->family != FERRY_AF_INET6)
			return ferry_ini_key_err(&p->ini, "'%s': '%s' is not an IPv6 address",
				       v, addr);
		return parse_port(p, colon + 1, &ep->port);
	}
	colon = strchr(buf, ':');
	if (!colon)
		return ferry_ini_key_err(&p->ini, "'%s' has no port: expected ADDR:PORT or [ADDR6]:PORT",
			       v);
	if (strchr(colon + 1, ':'))
		return ferry_ini_key_err(&p->ini, "'%s': an IPv6 address needs brackets: [ADDR6]:PORT",
			       v);
	*colon = '\0';
	if (parse_addr(addr, &ep->family, ep->addr) ||
	    ep->family != FERRY_AF_INET)
		return ferry_ini_key_err(&p->ini, "'%s': '%s' is not an IPv4 address", v, addr);
	return parse_port(p, colon + 1, &ep->port);
}

static void endpoint_format(const struct ferry_soa_endpoint *ep, char *buf,
			    size_t size)
{
	char a[INET6_ADDRSTRLEN];

	addr_format(ep->family, ep->addr, a, sizeof(a));
	snprintf(buf, size, ep->family == FERRY_AF_INET6 ? "[%s]:%u" : "%s:%u",
		 a, ep->port);
}

static bool endpoint_equal(const struct ferry_soa_endpoint *a,
			   const struct ferry_soa_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, 16);
}

/*
 * Split a comma-separated list in buf (modified) and call item on each
 * element, blanks around it removed. Empty elements are errors.
 */
static int for_each_item(struct soa_parse *p, char *buf, void *obj,
			 int (*item)(struct soa_parse *p, char *tok, void *obj))
{
	char *tok, *next, *end;
	int err;

	for (tok = buf; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		tok += strspn(tok, " \t");
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*tok)
			return ferry_ini_key_err(&p->ini, "empty element in the list");
		err = item(p, tok, obj);
		if (err)
			return err;
	}
	return 0;
}

/* ---- [agent] [table] [timeouts] ------------------------------------------ */

static int set_instance(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	if (!ferry_ini_name_ok(v, FERRY_SOA_NAME_MAX))
		return ferry_ini_key_err(&p->ini, "bad name '%s': use 1-32 of [A-Za-z0-9_-]", v);
	strcpy(p->cfg->instance, v);
	return 0;
}

static int set_fast_forward(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	bool on = false;
	int err = get_bool(p, v, &on);

	if (!err && on)
		p->cfg->dp.flags |= FERRY_CFG_F_FAST_FORWARD;
	else if (!err)
		p->cfg->dp.flags &= ~FERRY_CFG_F_FAST_FORWARD;
	return err;
}

/* [timeouts]: the key is a state's name. */
static int set_timeout(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	int state = ferry_state_parse(p->ini.key);
	__u32 secs;
	int err;

	err = ferry_ini_u32(&p->ini, v, 1, FERRY_SOA_TIMEOUT_MAX, &secs);
	if (!err)
		p->cfg->dp.timeout_ns[state] = secs * NS_PER_SEC;
	return err;
}

static const struct ferry_ini_key agent_keys[] = {
	{ .name = "instance", .set = set_instance, .required = true },
	{ .name = "host_id", .set = ferry_ini_set_u32, .data = U32(host_id, 1, UINT32_MAX),
	  .required = true },
	{ .name = "control_socket", .set = ferry_ini_set_path, .data = PATH(control_socket) },
	{ .name = NULL },
};

static const struct ferry_ini_key table_keys[] = {
	{ .name = "ct_max", .set = ferry_ini_set_u32, .data = U32(ct_max, 1, FERRY_SOA_CT_MAX) },
	{ .name = "gc_interval", .set = ferry_ini_set_u32,
	  .data = U32(gc_interval, 1, FERRY_SOA_GC_MAX) },
	{ .name = "fast_forward", .set = set_fast_forward },
	{ .name = NULL },
};

/* Every state but NONE, as ferry_state_name() prints them, in any case. */
_Static_assert(FERRY_CT_STATE_MAX == 16, "a [timeouts] key for every state");
static const struct ferry_ini_key timeout_keys[] = {
	{ .name = "syn_sent", .set = set_timeout },
	{ .name = "syn_recv", .set = set_timeout },
	{ .name = "established", .set = set_timeout },
	{ .name = "fin_wait", .set = set_timeout },
	{ .name = "close_wait", .set = set_timeout },
	{ .name = "last_ack", .set = set_timeout },
	{ .name = "time_wait", .set = set_timeout },
	{ .name = "close", .set = set_timeout },
	{ .name = "syn_sent2", .set = set_timeout },
	{ .name = "udp_unreplied", .set = set_timeout },
	{ .name = "udp_replied", .set = set_timeout },
	{ .name = "icmp_unreplied", .set = set_timeout },
	{ .name = "icmp_replied", .set = set_timeout },
	{ .name = "other_unreplied", .set = set_timeout },
	{ .name = "other_replied", .set = set_timeout },
	{ .name = NULL },
};

/* ---- [interface NAME] ----------------------------------------------------- */

static int set_hook(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	enum ferry_soa_hook h;

	for (h = FERRY_SOA_HOOK_XDP; h <= FERRY_SOA_HOOK_TC_EGRESS; h++) {
		if (!strcmp(v, ferry_soa_hook_name(h))) {
			p->iface->hook = h;
			return 0;
		}
	}
	return ferry_ini_key_err(&p->ini, "'%s' is not xdp, tc-ingress or tc-egress", v);
}

static int set_xdp_mode(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	if (!strcmp(v, "auto"))
		p->iface->xdp_mode = FERRY_XDP_AUTO;
	else if (!strcmp(v, "native"))
		p->iface->xdp_mode = FERRY_XDP_NATIVE;
	else if (!strcmp(v, "generic"))
		p->iface->xdp_mode = FERRY_XDP_GENERIC;
	else
		return ferry_ini_key_err(&p->ini, "'%s' is not auto, native or generic", v);
	return 0;
}

static int set_zone(struct soa_parse *p, const char *v, __u32 *zone)
{
	return ferry_ini_u32(&p->ini, v, 0, FERRY_ZONE_ANY - 1, zone);
}

static int set_iface_zone(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return set_zone(p, v, &p->iface->zone);
}

/* vlan.ID = ZONE */
static int set_vlan(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_iface *ifc = p->iface;
	struct ferry_soa_vlan *vl;
	__u32 id, i;

	if (ferry_parse_u32(p->ini.key + 5, 4094, &id) || !id)
		return ferry_ini_err(&p->ini, "[%s] bad key '%s': VLAN must be 1-4094",
				p->ini.section, p->ini.key);
	for (i = 0; i < ifc->nvlans; i++)
		if (ifc->vlans[i].vlan == id)
			return ferry_ini_err(&p->ini, "[%s] duplicate key '%s' (first at line %u)",
					p->ini.section, p->ini.key, p->vlan_line[i]);
	if (ifc->nvlans == FERRY_SOA_VLANS_MAX)
		return ferry_ini_key_err(&p->ini, "too many VLANs (at most %u)",
			       FERRY_SOA_VLANS_MAX);
	vl = &ifc->vlans[ifc->nvlans];
	vl->vlan = (__u16)id;
	p->vlan_line[ifc->nvlans] = p->ini.line;
	if (set_zone(p, v, &vl->zone))
		return p->ini.ret;
	ifc->nvlans++;
	return 0;
}

static const struct ferry_ini_key iface_keys[] = {
	{ .name = "hook", .set = set_hook, .required = true },
	{ .name = "xdp_mode", .set = set_xdp_mode },
	{ .name = "zone", .set = set_iface_zone },
	{ .name = "vlan.ID", .prefix = "vlan.", .set = set_vlan, .repeat = true },
	{ .name = NULL },
};
#define IFACE_KEY_XDP_MODE	1

/* ---- [rules] ---------------------------------------------------------------- */

static int set_rules_file(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_config *cfg = p->cfg;
	char msg[FERRY_RULES_ERR_MAX];
	const char *slash = strrchr(p->ini.name, '/');
	int len, err;

	if (cfg->nrules)
		return ferry_ini_key_err(&p->ini, "'file' and 'rule' exclude each other");
	if (v[0] == '/' || !slash)
		len = snprintf(cfg->rules_file, sizeof(cfg->rules_file), "%s", v);
	else
		len = snprintf(cfg->rules_file, sizeof(cfg->rules_file), "%.*s/%s",
			       (int)(slash - p->ini.name), p->ini.name, v);
	if (len < 0 || (size_t)len >= sizeof(cfg->rules_file))
		return ferry_ini_key_err(&p->ini, "path longer than %zu characters",
			       sizeof(cfg->rules_file) - 1);
	err = ferry_rules_read_alloc(cfg->rules_file, &cfg->rules, &cfg->nrules,
				     msg, sizeof(msg));
	if (err == -ENOMEM)
		return ferry_ini_oom(&p->ini);
	if (err) {
		ferry_ini_key_err(&p->ini, "%s", msg);
		p->ini.ret = err;
	}
	return err;
}

static int rule_room(struct soa_parse *p)
{
	struct ferry_soa_config *cfg = p->cfg;
	struct ferry_rule *rules;
	__u32 *lines, cap;

	if (cfg->nrules < p->rule_cap)
		return 0;
	if (cfg->nrules == FERRY_MAX_RULES)
		return ferry_ini_key_err(&p->ini, "too many rules (at most %u)", FERRY_MAX_RULES);
	cap = p->rule_cap ? p->rule_cap * 2 : 64;
	rules = realloc(cfg->rules, cap * sizeof(*rules));
	if (!rules)
		return ferry_ini_oom(&p->ini);
	cfg->rules = rules;
	lines = realloc(p->rule_line, cap * sizeof(*lines));
	if (!lines)
		return ferry_ini_oom(&p->ini);
	p->rule_line = lines;
	p->rule_cap = cap;
	return 0;
}

/* One rule per 'rule' line; as in a rule file, no 'id' means the line's. */
static int set_rule(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_config *cfg = p->cfg;
	char msg[FERRY_RULES_ERR_MAX];
	struct ferry_rule r;
	bool explicit_id;
	__u32 i;
	int err;

	if (cfg->rules_file[0])
		return ferry_ini_key_err(&p->ini, "'file' and 'rule' exclude each other");
	err = ferry_rule_parse(v, &r, msg, sizeof(msg));
	if (err == -ENOMEM)
		return ferry_ini_oom(&p->ini);
	if (err)
		return ferry_ini_key_err(&p->ini, "%s", msg);
	explicit_id = r.id != 0;
	if (!explicit_id)
		r.id = p->ini.line;
	for (i = 0; i < cfg->nrules; i++)
		if (cfg->rules[i].id == r.id)
			return ferry_ini_key_err(&p->ini, "duplicate id %u%s: line %u has it too",
				       r.id, explicit_id ? "" : " (this rule's line number)",
				       p->rule_line[i]);
	if (rule_room(p))
		return p->ini.ret;
	p->rule_line[cfg->nrules] = p->ini.line;
	cfg->rules[cfg->nrules++] = r;
	return 0;
}

static const struct ferry_ini_key rules_keys[] = {
	{ .name = "file", .set = set_rules_file },
	{ .name = "rule", .set = set_rule, .repeat = true },
	{ .name = NULL },
};

/* ---- [snat-pool NAME] --------------------------------------------------------- */

static int set_pool_zone(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return set_zone(p, v, &p->pool->zone);
}

static int pool_range(struct soa_parse *p, char *tok, void *obj)
{
	struct ferry_soa_pool *pool = obj;
	struct ferry_soa_range r;
	char a[2 * INET6_ADDRSTRLEN + 2], b[2 * INET6_ADDRSTRLEN + 2];
	__u32 i;

	if (parse_range(p, tok, &r))
		return p->ini.ret;
	for (i = 0; i < pool->nranges; i++) {
		if (!ranges_overlap(&r, &pool->ranges[i]))
			continue;
		range_format(&r, a, sizeof(a));
		range_format(&pool->ranges[i], b, sizeof(b));
		return ferry_ini_key_err(&p->ini, "%s overlaps %s in the same list", a, b);
	}
	if (pool->nranges == FERRY_SOA_RANGES_MAX)
		return ferry_ini_key_err(&p->ini, "too many ranges (at most %u)",
			       FERRY_SOA_RANGES_MAX);
	pool->ranges[pool->nranges++] = r;
	return 0;
}

static int set_pool_addresses(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return for_each_item(p, v, p->pool, pool_range);
}

/* PORT or PORT-PORT */
static int set_pool_ports(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_pool *pool = p->pool;
	char buf[16], *dash;

	if (strlen(v) >= sizeof(buf))
		return ferry_ini_key_err(&p->ini, "'%s' is not PORT or PORT-PORT", v);
	strcpy(buf, v);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_port(p, buf, &pool->port_lo) ||
	    parse_port(p, dash ? dash : buf, &pool->port_hi))
		return p->ini.ret;
	if (pool->port_lo > pool->port_hi)
		return ferry_ini_key_err(&p->ini, "'%s': first port above last", v);
	return 0;
}

static const struct ferry_ini_key pool_keys[] = {
	{ .name = "zone", .set = set_pool_zone, .required = true },
	{ .name = "addresses", .set = set_pool_addresses, .required = true },
	{ .name = "ports", .set = set_pool_ports },
	{ .name = NULL },
};
#define POOL_KEY_ADDRESSES	1
#define POOL_KEY_PORTS		2

/* ---- [forward NAME] ----------------------------------------------------------- */

static int set_fwd_zone(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return set_zone(p, v, &p->fwd->zone);
}

static int set_fwd_proto(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	if (!strcmp(v, "tcp"))
		p->fwd->proto = IPPROTO_TCP;
	else if (!strcmp(v, "udp"))
		p->fwd->proto = IPPROTO_UDP;
	else
		return ferry_ini_key_err(&p->ini, "'%s' is not tcp or udp", v);
	return 0;
}

static int set_fwd_external(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return parse_endpoint(p, v, &p->fwd->external);
}

static int fwd_target(struct soa_parse *p, char *tok, void *obj)
{
	struct ferry_soa_forward *fwd = obj;
	struct ferry_soa_endpoint ep;
	__u32 i;

	if (parse_endpoint(p, tok, &ep))
		return p->ini.ret;
	for (i = 0; i < fwd->ntargets; i++)
		if (endpoint_equal(&ep, &fwd->targets[i]))
			return ferry_ini_key_err(&p->ini, "'%s' is listed twice", tok);
	if (fwd->ntargets && ep.family != fwd->targets[0].family)
		return ferry_ini_key_err(&p->ini, "'%s': IPv4 and IPv6 mixed", tok);
	if (fwd->ntargets == FERRY_SOA_TARGETS_MAX)
		return ferry_ini_key_err(&p->ini, "too many targets (at most %u)",
			       FERRY_SOA_TARGETS_MAX);
	fwd->targets[fwd->ntargets++] = ep;
	return 0;
}

static int set_fwd_internal(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return for_each_item(p, v, p->fwd, fwd_target);
}

static const struct ferry_ini_key fwd_keys[] = {
	{ .name = "zone", .set = set_fwd_zone, .required = true },
	{ .name = "proto", .set = set_fwd_proto, .required = true },
	{ .name = "external", .set = set_fwd_external, .required = true },
	{ .name = "internal", .set = set_fwd_internal, .required = true },
	{ .name = NULL },
};
#define FWD_KEY_EXTERNAL	2
#define FWD_KEY_INTERNAL	3

/* ---- [vm NAME] ------------------------------------------------------------------- */

static int set_vm_zone(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return set_zone(p, v, &p->vm->zone);
}

static int vm_address(struct soa_parse *p, char *tok, void *obj)
{
	struct ferry_soa_vm *vm = obj;
	__u8 family, addr[16];
	__u32 i;

	if (parse_addr(tok, &family, addr))
		return ferry_ini_key_err(&p->ini, "'%s' is not an IPv4 or IPv6 address", tok);
	for (i = 0; i < vm->naddrs; i++)
		if (vm->addrs[i].family == family && !memcmp(vm->addrs[i].addr, addr, 16))
			return ferry_ini_key_err(&p->ini, "'%s' is listed twice", tok);
	if (vm->naddrs == FERRY_SOA_VM_ADDRS_MAX)
		return ferry_ini_key_err(&p->ini, "too many addresses (at most %u)",
					 FERRY_SOA_VM_ADDRS_MAX);
	vm->addrs[vm->naddrs].family = family;
	memcpy(vm->addrs[vm->naddrs].addr, addr, 16);
	vm->naddrs++;
	return 0;
}

static int set_vm_addresses(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return for_each_item(p, v, p->vm, vm_address);
}

static int set_vm_max_flows(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return ferry_ini_u32(&p->ini, v, 1, FERRY_VM_FLOWS_MAX, &p->vm->max_flows);
}

static const struct ferry_ini_key vm_keys[] = {
	{ .name = "zone", .set = set_vm_zone, .required = true },
	{ .name = "addresses", .set = set_vm_addresses, .required = true },
	{ .name = "max_flows", .set = set_vm_max_flows },
	{ .name = NULL },
};
#define VM_KEY_ADDRESSES	1

/* A VM address in a zone belongs to one VM. */
static int end_vm(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;
	const struct ferry_soa_config *cfg = p->cfg;
	const struct ferry_soa_vm *vm = p->vm, *o;
	__u32 i, j;

	for (o = cfg->vms; o < vm; o++) {
		if (o->zone != vm->zone)
			continue;
		for (i = 0; i < vm->naddrs; i++)
			for (j = 0; j < o->naddrs; j++)
				if (vm->addrs[i].family == o->addrs[j].family &&
				    !memcmp(vm->addrs[i].addr, o->addrs[j].addr, 16))
					return ferry_ini_line_err(&p->ini, p->ini.key_line[VM_KEY_ADDRESSES],
						"[%s] addresses: address %u is vm '%s''s already",
						p->ini.section, i + 1, o->name);
	}
	return 0;
}

/* ---- [security] ----------------------------------------------------------------- */

static int set_som_address(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return parse_endpoint(p, v, &p->cfg->som);
}

static int set_som_public_key(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	unsigned char bin[LINE_MAX_LEN];
	size_t n;

	if (sodium_base642bin(bin, sizeof(bin), v, strlen(v), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return ferry_ini_key_err(&p->ini, "not valid base64");
	if (n != FERRY_SOA_KEY_LEN)
		return ferry_ini_key_err(&p->ini, "decodes to %zu bytes; an Ed25519 public key has %u",
			       n, FERRY_SOA_KEY_LEN);
	memcpy(p->cfg->som_public_key, bin, n);
	return 0;
}

static const struct ferry_ini_key security_keys[] = {
	{ .name = "identity_key", .set = ferry_ini_set_path, .data = PATH(identity_key),
	  .required = true },
	{ .name = "som_address", .set = set_som_address, .required = true },
	{ .name = "som_public_key", .set = set_som_public_key, .required = true },
	{ .name = NULL },
};

/* ---- sections ------------------------------------------------------------- */

static int end_iface(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;
	__u32 line = p->ini.key_line[IFACE_KEY_XDP_MODE];

	if (line && p->iface->hook != FERRY_SOA_HOOK_XDP)
		return ferry_ini_line_err(&p->ini, line, "[%s] xdp_mode: only with hook = xdp",
				p->ini.section);
	return 0;
}

static int end_rules(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;

	if (!p->cfg->rules_file[0] && !p->cfg->nrules)
		return ferry_ini_line_err(&p->ini, p->ini.sec_line, "[rules] missing key 'file' or 'rule'");
	return 0;
}

/* Pools overlap when an address and a port could be handed out by both. */
static int end_pool(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_pool *pool = p->pool, *o;
	char a[2 * INET6_ADDRSTRLEN + 2], b[2 * INET6_ADDRSTRLEN + 2];
	__u32 i, j, k;

	if (!p->ini.key_line[POOL_KEY_PORTS]) {
		pool->port_lo = 1024;
		pool->port_hi = 65535;
	}
	for (o = p->cfg->pools; o < pool; o++) {
		if (o->port_lo > pool->port_hi || pool->port_lo > o->port_hi)
			continue;
		for (i = 0; i < pool->nranges; i++) {
			for (j = 0; j < o->nranges; j++) {
				if (!ranges_overlap(&pool->ranges[i], &o->ranges[j]))
					continue;
				range_format(&pool->ranges[i], a, sizeof(a));
				range_format(&o->ranges[j], b, sizeof(b));
				k = p->ini.key_line[POOL_KEY_ADDRESSES];
				return ferry_ini_line_err(&p->ini, k, "[%s] addresses: %s overlaps pool '%s' (%s)",
						p->ini.section, a, o->name, b);
			}
		}
	}
	return 0;
}

static int end_fwd(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_forward *fwd = p->fwd, *o;
	char ext[INET6_ADDRSTRLEN + 8];

	p->ext_line[fwd - p->cfg->forwards] = p->ini.key_line[FWD_KEY_EXTERNAL];
	endpoint_format(&fwd->external, ext, sizeof(ext));
	if (fwd->targets[0].family != fwd->external.family)
		return ferry_ini_line_err(&p->ini, p->ini.key_line[FWD_KEY_INTERNAL],
				"[%s] internal: not of the family of external %s",
				p->ini.section, ext);
	for (o = p->cfg->forwards; o < fwd; o++)
		if (o->zone == fwd->zone && o->proto == fwd->proto &&
		    endpoint_equal(&o->external, &fwd->external))
			return ferry_ini_line_err(&p->ini, p->ini.key_line[FWD_KEY_EXTERNAL],
					"[%s] external: %s is forward '%s''s already",
					p->ini.section, ext, o->name);
	return 0;
}

static int end_security(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;

	p->cfg->has_security = true;
	return 0;
}

/* A named section begins: the next element of its array in the config. */
static int begin_named(struct ferry_ini *ini, unsigned int sec, const char *name)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_config *c = p->cfg;

	switch (sec) {
	case SEC_INTERFACE:
		p->iface = &c->ifaces[c->nifaces++];
		strcpy(p->iface->name, name);
		p->iface->line = p->ini.line;
		break;
	case SEC_POOL:
		p->pool = &c->pools[c->npools++];
		strcpy(p->pool->name, name);
		p->pool->line = p->ini.line;
		break;
	case SEC_FORWARD:
		p->fwd = &c->forwards[c->nforwards++];
		strcpy(p->fwd->name, name);
		p->fwd->line = p->ini.line;
		break;
	default:
		p->vm = &c->vms[c->nvms++];
		strcpy(p->vm->name, name);
		p->vm->line = p->ini.line;
	}
	return 0;
}

static const struct ferry_ini_section sections[SEC_MAX] = {
	[SEC_AGENT] = { .name = "agent", .keys = agent_keys },
	[SEC_TABLE] = { .name = "table", .keys = table_keys },
	[SEC_TIMEOUTS] = { .name = "timeouts", .keys = timeout_keys, .nocase = true },
	[SEC_INTERFACE] = { .name = "interface", .keys = iface_keys, .end = end_iface,
			    .named = true, .ifname = true, .max = FERRY_SOA_IFACES_MAX,
			    .many = "interfaces" },
	[SEC_RULES] = { .name = "rules", .keys = rules_keys, .end = end_rules },
	[SEC_POOL] = { .name = "snat-pool", .keys = pool_keys, .end = end_pool,
		       .named = true, .max = FERRY_SOA_POOLS_MAX, .many = "pools" },
	[SEC_FORWARD] = { .name = "forward", .keys = fwd_keys, .end = end_fwd,
			  .named = true, .max = FERRY_SOA_FORWARDS_MAX, .many = "forwards" },
	[SEC_SECURITY] = { .name = "security", .keys = security_keys, .end = end_security },
	[SEC_VM] = { .name = "vm", .keys = vm_keys, .end = end_vm,
		     .named = true, .max = FERRY_SOA_VMS_MAX, .many = "VMs" },
};

static const struct ferry_ini_format format = {
	.secs = sections,
	.nsecs = SEC_MAX,
	.line_max = LINE_MAX_LEN,
	.begin = begin_named,
};

/* ---- the whole file ------------------------------------------------------------- */

static int end_of_file(struct soa_parse *p)
{
	struct ferry_soa_config *cfg = p->cfg;
	int len;

	if (ferry_ini_need(&p->ini, SEC_AGENT) || ferry_ini_need(&p->ini, SEC_RULES) ||
	    ferry_ini_need(&p->ini, SEC_INTERFACE))
		return p->ini.ret;
	if (!cfg->control_socket[0]) {
		len = snprintf(cfg->control_socket, sizeof(cfg->control_socket),
			       "/run/ferry/%s.sock", cfg->instance);
		if (len < 0 || (size_t)len >= sizeof(cfg->control_socket))
			return ferry_ini_line_err(&p->ini, p->ini.first[SEC_AGENT],
					"[agent] control_socket: default too long");
	}
	return 0;
}

/* A forward's external address must not be one a pool hands out. */
static int check_forwards(struct soa_parse *p)
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

static int parse_all(struct soa_parse *p)
{
	int ret;

	ret = ferry_ini_parse(&p->ini, &format, p);
	if (ret)
		return ret;
	if (end_of_file(p))
		return p->ini.ret;
	return check_forwards(p);
}

int ferry_soa_config_parse(const char *text, const char *name,
			   struct ferry_soa_config **cfg, char *err,
			   size_t errlen)
{
	struct soa_parse *p;
	int ret;

	*cfg = NULL;
	if (errlen)
		err[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ini.name = name;
	p->ini.text = text;
	p->ini.err = err;
	p->ini.errlen = errlen;
	p->cfg = calloc(1, sizeof(*p->cfg));
	if (!p->cfg) {
		ret = ferry_ini_oom(&p->ini);
		goto out_free_parse;
	}
	p->ini.cfg = p->cfg;
	ferry_config_defaults(&p->cfg->dp);
	p->cfg->gc_interval = FERRY_SOA_GC_DEFAULT;
	ret = parse_all(p);
	if (ret)
		ferry_soa_config_free(p->cfg);
	else
		*cfg = p->cfg;
out_free_parse:
	free(p->rule_line);
	free(p);
	return ret;
}

static int read_text(const char *path, char **text, char *err, size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	FILE *f;
	int ret = 0;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		goto out_msg;
	}
	do {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 16384;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				ret = -ENOMEM;
				goto out_close;
			}
			buf = nbuf;
		}
		len += fread(buf + len, 1, cap - len, f);
	} while (!feof(f) && !ferror(f));
	if (ferror(f))
		ret = -EIO;
	else if (memchr(buf, '\0', len))
		ret = -EILSEQ;
	buf[len] = '\0';
out_close:
	fclose(f);
out_msg:
	if (ret == -EILSEQ)
		snprintf(err, errlen, "%s: NUL byte in the file", path);
	else if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	if (ret) {
		free(buf);
		buf = NULL;
	}
	*text = buf;
	return ret == -EILSEQ ? -EINVAL : ret;
}

int ferry_soa_config_read(const char *path, struct ferry_soa_config **cfg,
			  char *err, size_t errlen)
{
	char *text;
	int ret;

	*cfg = NULL;
	ret = read_text(path, &text, err, errlen);
	if (ret)
		return ret;
	ret = ferry_soa_config_parse(text, path, cfg, err, errlen);
	free(text);
	return ret;
}

void ferry_soa_config_free(struct ferry_soa_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->rules);
	free(cfg);
}

const char *ferry_soa_hook_name(enum ferry_soa_hook hook)
{
	switch (hook) {
	case FERRY_SOA_HOOK_XDP:
		return "xdp";
	case FERRY_SOA_HOOK_TC_INGRESS:
		return "tc-ingress";
	case FERRY_SOA_HOOK_TC_EGRESS:
		return "tc-egress";
	}
	return "?";
}
