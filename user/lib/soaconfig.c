// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's configuration file. libinih splits the lines into sections
 * and "key = value"; everything else is checked here. inih's handler gets
 * no line number (Debian builds it without INI_HANDLER_LINENO) and is not
 * called for a section without keys, so the reader we give it counts the
 * lines and notes every section header as it passes: that is how errors
 * name their line and how empty or repeated sections are seen.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ini.h>
#include <sodium.h>
#include "ctconfig.h"
#include "numparse.h"
#include "rules.h"
#include "inifile.h"
#include "soaconfig.h"

#define LINE_MAX_LEN	4096
#define SEC_TEXT_MAX	64
#define KEYS_MAX	16	/* per section; timeouts use the state index */
#define NS_PER_SEC	1000000000ull

enum sec_kind {
	SEC_NONE = 0,
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

struct soa_parse;

struct key_def {
	const char *name;
	int (*set)(struct soa_parse *p, const char *val);
	bool required;
	bool repeat;		/* may appear more than once */
};

struct sec_def {
	const char *name;
	bool named;		/* [interface NAME] */
	const struct key_def *keys;
};

struct soa_parse {
	struct ferry_ini ini;		/* file, line, first error */
	struct ferry_soa_config *cfg;
	/* the current section */
	enum sec_kind kind;
	const struct sec_def *sec;
	char sec_text[SEC_TEXT_MAX];	/* "interface eth0" */
	char sec_raw[LINE_MAX_LEN];	/* between the brackets, as inih sees it */
	__u32 sec_line;
	__u32 key_line[KEYS_MAX];	/* 0: not seen in this section */
	struct ferry_soa_iface *iface;
	struct ferry_soa_pool *pool;
	struct ferry_soa_forward *fwd;
	struct ferry_soa_vm *vm;
	__u32 vlan_line[FERRY_SOA_VLANS_MAX];
	__u32 ext_line[FERRY_SOA_FORWARDS_MAX];	/* of each forward's 'external' */
	/* whole file */
	__u32 single_line[SEC_MAX];	/* line of each unnamed section */
	__u32 *rule_line;		/* of each inline rule */
	__u32 rule_cap;
};

/* ---- messages ------------------------------------------------------------ */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Levenshtein distance of short words, case ignored; big when too long. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int row[FERRY_SOA_NAME_MAX + 1], i, j, diag, up;
	size_t la = strlen(a), lb = strlen(b);

	if (la > FERRY_SOA_NAME_MAX || lb > FERRY_SOA_NAME_MAX)
		return UINT_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (lower(a[i - 1]) != lower(b[j - 1]));
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

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

static int split_list(struct soa_parse *p, const char *v, void *obj,
		      int (*item)(struct soa_parse *p, char *tok, void *obj))
{
	char *buf = strdup(v);
	int err;

	if (!buf)
		return ferry_ini_oom(&p->ini);
	err = for_each_item(p, buf, obj, item);
	free(buf);
	return err;
}

/* ---- [agent] [table] [timeouts] ------------------------------------------ */

static int set_instance(struct soa_parse *p, const char *v)
{
	if (!ferry_ini_name_ok(v, FERRY_SOA_NAME_MAX))
		return ferry_ini_key_err(&p->ini, "bad name '%s': use 1-32 of [A-Za-z0-9_-]", v);
	strcpy(p->cfg->instance, v);
	return 0;
}

static int set_host_id(struct soa_parse *p, const char *v)
{
	return ferry_ini_u32(&p->ini, v, 1, UINT32_MAX, &p->cfg->host_id);
}

static int set_control_socket(struct soa_parse *p, const char *v)
{
	return ferry_ini_path(&p->ini, v, p->cfg->control_socket,
			sizeof(p->cfg->control_socket));
}

static int set_ct_max(struct soa_parse *p, const char *v)
{
	return ferry_ini_u32(&p->ini, v, 1, FERRY_SOA_CT_MAX, &p->cfg->ct_max);
}

static int set_gc_interval(struct soa_parse *p, const char *v)
{
	return ferry_ini_u32(&p->ini, v, 1, FERRY_SOA_GC_MAX, &p->cfg->gc_interval);
}

static int set_fast_forward(struct soa_parse *p, const char *v)
{
	bool on = false;
	int err = get_bool(p, v, &on);

	if (!err && on)
		p->cfg->dp.flags |= FERRY_CFG_F_FAST_FORWARD;
	else if (!err)
		p->cfg->dp.flags &= ~FERRY_CFG_F_FAST_FORWARD;
	return err;
}

/* [timeouts]: the key is a state name; its index is the state. */
static int set_timeout(struct soa_parse *p, const char *v)
{
	int state = ferry_state_parse(p->ini.key);
	__u32 secs;
	int err;

	err = ferry_ini_u32(&p->ini, v, 1, FERRY_SOA_TIMEOUT_MAX, &secs);
	if (!err)
		p->cfg->dp.timeout_ns[state] = secs * NS_PER_SEC;
	return err;
}

static const struct key_def agent_keys[] = {
	{ .name = "instance", .set = set_instance, .required = true },
	{ .name = "host_id", .set = set_host_id, .required = true },
	{ .name = "control_socket", .set = set_control_socket },
	{ .name = NULL },
};

static const struct key_def table_keys[] = {
	{ .name = "ct_max", .set = set_ct_max },
	{ .name = "gc_interval", .set = set_gc_interval },
	{ .name = "fast_forward", .set = set_fast_forward },
	{ .name = NULL },
};

/* ---- [interface NAME] ----------------------------------------------------- */

static int set_hook(struct soa_parse *p, const char *v)
{
	enum ferry_soa_hook h;

	for (h = FERRY_SOA_HOOK_XDP; h <= FERRY_SOA_HOOK_TC_EGRESS; h++) {
		if (!strcmp(v, ferry_soa_hook_name(h))) {
			p->iface->hook = h;
			return 0;
		}
	}
	return ferry_ini_key_err(&p->ini, "'%s' is not xdp, tc-ingress or tc-egress", v);
}

static int set_xdp_mode(struct soa_parse *p, const char *v)
{
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

static int set_iface_zone(struct soa_parse *p, const char *v)
{
	return set_zone(p, v, &p->iface->zone);
}

/* vlan.ID = ZONE */
static int set_vlan(struct soa_parse *p, const char *v)
{
	struct ferry_soa_iface *ifc = p->iface;
	struct ferry_soa_vlan *vl;
	__u32 id, i;

	if (ferry_parse_u32(p->ini.key + 5, 4094, &id) || !id)
		return ferry_ini_err(&p->ini, "[%s] bad key '%s': VLAN must be 1-4094",
				p->sec_text, p->ini.key);
	for (i = 0; i < ifc->nvlans; i++)
		if (ifc->vlans[i].vlan == id)
			return ferry_ini_err(&p->ini, "[%s] duplicate key '%s' (first at line %u)",
					p->sec_text, p->ini.key, p->vlan_line[i]);
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

static const struct key_def iface_keys[] = {
	{ .name = "hook", .set = set_hook, .required = true },
	{ .name = "xdp_mode", .set = set_xdp_mode },
	{ .name = "zone", .set = set_iface_zone },
	{ .name = "vlan.ID", .set = set_vlan, .repeat = true },	/* matched by prefix */
	{ .name = NULL },
};
#define IFACE_KEY_XDP_MODE	1
#define IFACE_KEY_VLAN		3

/* ---- [rules] ---------------------------------------------------------------- */

static int set_rules_file(struct soa_parse *p, const char *v)
{
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
static int set_rule(struct soa_parse *p, const char *v)
{
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

static const struct key_def rules_keys[] = {
	{ .name = "file", .set = set_rules_file },
	{ .name = "rule", .set = set_rule, .repeat = true },
	{ .name = NULL },
};

/* ---- [snat-pool NAME] --------------------------------------------------------- */

static int set_pool_zone(struct soa_parse *p, const char *v)
{
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

static int set_pool_addresses(struct soa_parse *p, const char *v)
{
	return split_list(p, v, p->pool, pool_range);
}

/* PORT or PORT-PORT */
static int set_pool_ports(struct soa_parse *p, const char *v)
{
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

static const struct key_def pool_keys[] = {
	{ .name = "zone", .set = set_pool_zone, .required = true },
	{ .name = "addresses", .set = set_pool_addresses, .required = true },
	{ .name = "ports", .set = set_pool_ports },
	{ .name = NULL },
};
#define POOL_KEY_ADDRESSES	1
#define POOL_KEY_PORTS		2

/* ---- [forward NAME] ----------------------------------------------------------- */

static int set_fwd_zone(struct soa_parse *p, const char *v)
{
	return set_zone(p, v, &p->fwd->zone);
}

static int set_fwd_proto(struct soa_parse *p, const char *v)
{
	if (!strcmp(v, "tcp"))
		p->fwd->proto = IPPROTO_TCP;
	else if (!strcmp(v, "udp"))
		p->fwd->proto = IPPROTO_UDP;
	else
		return ferry_ini_key_err(&p->ini, "'%s' is not tcp or udp", v);
	return 0;
}

static int set_fwd_external(struct soa_parse *p, const char *v)
{
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

static int set_fwd_internal(struct soa_parse *p, const char *v)
{
	return split_list(p, v, p->fwd, fwd_target);
}

static const struct key_def fwd_keys[] = {
	{ .name = "zone", .set = set_fwd_zone, .required = true },
	{ .name = "proto", .set = set_fwd_proto, .required = true },
	{ .name = "external", .set = set_fwd_external, .required = true },
	{ .name = "internal", .set = set_fwd_internal, .required = true },
	{ .name = NULL },
};
#define FWD_KEY_EXTERNAL	2
#define FWD_KEY_INTERNAL	3

/* ---- [vm NAME] ------------------------------------------------------------------- */

static int set_vm_zone(struct soa_parse *p, const char *v)
{
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

static int set_vm_addresses(struct soa_parse *p, const char *v)
{
	return split_list(p, v, p->vm, vm_address);
}

static int set_vm_max_flows(struct soa_parse *p, const char *v)
{
	return ferry_ini_u32(&p->ini, v, 1, FERRY_VM_FLOWS_MAX, &p->vm->max_flows);
}

static const struct key_def vm_keys[] = {
	{ .name = "zone", .set = set_vm_zone, .required = true },
	{ .name = "addresses", .set = set_vm_addresses, .required = true },
	{ .name = "max_flows", .set = set_vm_max_flows },
	{ .name = NULL },
};

/* A VM address in a zone belongs to one VM. */
static int end_vm(struct soa_parse *p)
{
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
					return ferry_ini_line_err(&p->ini, p->key_line[1],
						"[%s] addresses: address %u is vm '%s''s already",
						p->sec_text, i + 1, o->name);
	}
	return 0;
}

/* ---- [security] ----------------------------------------------------------------- */

static int set_identity_key(struct soa_parse *p, const char *v)
{
	return ferry_ini_path(&p->ini, v, p->cfg->identity_key,
			sizeof(p->cfg->identity_key));
}

static int set_som_address(struct soa_parse *p, const char *v)
{
	return parse_endpoint(p, v, &p->cfg->som);
}

static int set_som_public_key(struct soa_parse *p, const char *v)
{
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

static const struct key_def security_keys[] = {
	{ .name = "identity_key", .set = set_identity_key, .required = true },
	{ .name = "som_address", .set = set_som_address, .required = true },
	{ .name = "som_public_key", .set = set_som_public_key, .required = true },
	{ .name = NULL },
};

static const struct sec_def sections[SEC_MAX] = {
	[SEC_AGENT] = { "agent", false, agent_keys },
	[SEC_TABLE] = { "table", false, table_keys },
	[SEC_TIMEOUTS] = { "timeouts", false, NULL },
	[SEC_INTERFACE] = { "interface", true, iface_keys },
	[SEC_RULES] = { "rules", false, rules_keys },
	[SEC_POOL] = { "snat-pool", true, pool_keys },
	[SEC_FORWARD] = { "forward", true, fwd_keys },
	[SEC_SECURITY] = { "security", false, security_keys },
	[SEC_VM] = { "vm", true, vm_keys },
};

/* ---- sections -------------------------------------------------------------- */

static int check_required(struct soa_parse *p)
{
	const struct key_def *k;
	unsigned int i;

	for (i = 0, k = p->sec->keys; k && k->name; k++, i++)
		if (k->required && !p->key_line[i])
			return ferry_ini_line_err(&p->ini, p->sec_line, "[%s] missing key '%s'",
					p->sec_text, k->name);
	return 0;
}

static int end_interface(struct soa_parse *p)
{
	__u32 line = p->key_line[IFACE_KEY_XDP_MODE];

	if (line && p->iface->hook != FERRY_SOA_HOOK_XDP)
		return ferry_ini_line_err(&p->ini, line, "[%s] xdp_mode: only with hook = xdp",
				p->sec_text);
	return 0;
}

/* Pools overlap when an address and a port could be handed out by both. */
static int end_pool(struct soa_parse *p)
{
	struct ferry_soa_pool *pool = p->pool, *o;
	char a[2 * INET6_ADDRSTRLEN + 2], b[2 * INET6_ADDRSTRLEN + 2];
	__u32 i, j, k;

	if (!p->key_line[POOL_KEY_PORTS]) {
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
				k = p->key_line[POOL_KEY_ADDRESSES];
				return ferry_ini_line_err(&p->ini, k, "[%s] addresses: %s overlaps pool '%s' (%s)",
						p->sec_text, a, o->name, b);
			}
		}
	}
	return 0;
}

static int end_forward(struct soa_parse *p)
{
	struct ferry_soa_forward *fwd = p->fwd, *o;
	char ext[INET6_ADDRSTRLEN + 8];

	p->ext_line[fwd - p->cfg->forwards] = p->key_line[FWD_KEY_EXTERNAL];
	endpoint_format(&fwd->external, ext, sizeof(ext));
	if (fwd->targets[0].family != fwd->external.family)
		return ferry_ini_line_err(&p->ini, p->key_line[FWD_KEY_INTERNAL],
				"[%s] internal: not of the family of external %s",
				p->sec_text, ext);
	for (o = p->cfg->forwards; o < fwd; o++)
		if (o->zone == fwd->zone && o->proto == fwd->proto &&
		    endpoint_equal(&o->external, &fwd->external))
			return ferry_ini_line_err(&p->ini, p->key_line[FWD_KEY_EXTERNAL],
					"[%s] external: %s is forward '%s''s already",
					p->sec_text, ext, o->name);
	return 0;
}

static int end_section(struct soa_parse *p)
{
	if (p->kind == SEC_NONE || check_required(p))
		return p->ini.ret;
	switch (p->kind) {
	case SEC_INTERFACE:
		return end_interface(p);
	case SEC_RULES:
		if (!p->cfg->rules_file[0] && !p->cfg->nrules)
			return ferry_ini_line_err(&p->ini, p->sec_line, "[rules] missing key 'file' or 'rule'");
		return 0;
	case SEC_POOL:
		return end_pool(p);
	case SEC_FORWARD:
		return end_forward(p);
	case SEC_SECURITY:
		p->cfg->has_security = true;
		return 0;
	case SEC_VM:
		return end_vm(p);
	default:
		return 0;
	}
}

static int begin_named(struct soa_parse *p, const char *name)
{
	struct ferry_soa_config *cfg = p->cfg;
	__u32 i, n, max;
	const char *what;

	if (p->kind == SEC_INTERFACE) {
		n = cfg->nifaces, max = FERRY_SOA_IFACES_MAX, what = "interfaces";
		if (!ferry_ini_ifname_ok(name))
			return ferry_ini_err(&p->ini, "[%s] bad interface name '%s'",
					p->sec_text, name);
		for (i = 0; i < n; i++)
			if (!strcmp(cfg->ifaces[i].name, name))
				goto duplicate;
	} else {
		if (p->kind == SEC_POOL)
			n = cfg->npools, max = FERRY_SOA_POOLS_MAX, what = "pools";
		else if (p->kind == SEC_VM)
			n = cfg->nvms, max = FERRY_SOA_VMS_MAX, what = "VMs";
		else
			n = cfg->nforwards, max = FERRY_SOA_FORWARDS_MAX, what = "forwards";
		if (!ferry_ini_name_ok(name, FERRY_SOA_NAME_MAX))
			return ferry_ini_err(&p->ini, "[%s] bad name '%s': use 1-32 of [A-Za-z0-9_-]",
					p->sec_text, name);
		for (i = 0; i < n; i++)
			if (!strcmp(p->kind == SEC_POOL ? cfg->pools[i].name :
				    p->kind == SEC_VM ? cfg->vms[i].name :
				    cfg->forwards[i].name, name))
				goto duplicate;
	}
	if (n == max)
		return ferry_ini_err(&p->ini, "[%s] too many %s (at most %u)",
				p->sec_text, what, max);
	if (p->kind == SEC_INTERFACE) {
		p->iface = &cfg->ifaces[cfg->nifaces++];
		strcpy(p->iface->name, name);
		p->iface->line = p->ini.line;
	} else if (p->kind == SEC_POOL) {
		p->pool = &cfg->pools[cfg->npools++];
		strcpy(p->pool->name, name);
		p->pool->line = p->ini.line;
	} else if (p->kind == SEC_VM) {
		p->vm = &cfg->vms[cfg->nvms++];
		strcpy(p->vm->name, name);
		p->vm->line = p->ini.line;
	} else {
		p->fwd = &cfg->forwards[cfg->nforwards++];
		strcpy(p->fwd->name, name);
		p->fwd->line = p->ini.line;
	}
	return 0;
duplicate:
	return ferry_ini_err(&p->ini, "duplicate section [%s] (first at line %u)",
			p->sec_text, p->kind == SEC_INTERFACE ? cfg->ifaces[i].line :
			p->kind == SEC_POOL ? cfg->pools[i].line :
			p->kind == SEC_VM ? cfg->vms[i].line :
			cfg->forwards[i].line);
}

/* inner: what is between the brackets: "TYPE" or "TYPE NAME". */
static int begin_section(struct soa_parse *p, char *inner)
{
	char *type, *name, *extra, *save;
	enum sec_kind k;

	if (end_section(p))
		return p->ini.ret;
	p->kind = SEC_NONE;
	memset(p->key_line, 0, sizeof(p->key_line));
	type = strtok_r(inner, " \t", &save);
	name = type ? strtok_r(NULL, " \t", &save) : NULL;
	extra = name ? strtok_r(NULL, " \t", &save) : NULL;
	if (!type)
		return ferry_ini_err(&p->ini, "empty section name []");
	for (k = SEC_AGENT; k < SEC_MAX; k++)
		if (!strcmp(type, sections[k].name))
			break;
	if (k == SEC_MAX)
		return ferry_ini_err(&p->ini, "unknown section [%s] (known: agent, table, timeouts, interface NAME, rules, snat-pool NAME, forward NAME, security, vm NAME)",
				type);
	snprintf(p->sec_text, sizeof(p->sec_text), "%s%s%.32s", type,
		 name ? " " : "", name ? name : "");
	if (extra)
		return ferry_ini_err(&p->ini, "[%s %s %s]: too many words in a section name",
				type, name, extra);
	if (sections[k].named && !name)
		return ferry_ini_err(&p->ini, "section [%s] needs a name: [%s NAME]",
				type, type);
	if (!sections[k].named && name)
		return ferry_ini_err(&p->ini, "section [%s] takes no name, not '%s'",
				type, name);
	p->kind = k;
	p->sec = &sections[k];
	p->sec_line = p->ini.line;
	if (sections[k].named)
		return begin_named(p, name);
	if (p->single_line[k])
		return ferry_ini_err(&p->ini, "duplicate section [%s] (first at line %u)",
				type, p->single_line[k]);
	p->single_line[k] = p->ini.line;
	return 0;
}

/* A line that is a section header: check it and begin the section. */
static int header_line(struct soa_parse *p, const char *line)
{
	const char *s = line + strspn(line, " \t"), *end;
	char inner[LINE_MAX_LEN];

	if (*s != '[')
		return 0;
	end = strchr(s, ']');
	if (!end)
		return ferry_ini_err(&p->ini, "section header without ']'");
	if (end[1 + strspn(end + 1, " \t\r\n")])
		return ferry_ini_err(&p->ini, "text after the section header");
	memcpy(p->sec_raw, s + 1, (size_t)(end - s - 1));
	p->sec_raw[end - s - 1] = '\0';
	strcpy(inner, p->sec_raw);
	return begin_section(p, inner);
}

static int peek(void *parser, const char *line)
{
	return header_line(parser, line);
}

/* ---- keys ---------------------------------------------------------------------- */

/* Index of key in the current section's table (a state for [timeouts]). */
static int key_index(struct soa_parse *p, const char *key)
{
	const struct key_def *k;
	int state;

	if (p->kind == SEC_TIMEOUTS) {
		state = ferry_state_parse(key);
		return state > FERRY_CT_NONE ? state : -1;
	}
	if (p->kind == SEC_INTERFACE && !strncmp(key, "vlan.", 5))
		return IFACE_KEY_VLAN;
	for (k = p->sec->keys; k->name; k++)
		if (!strcmp(k->name, key))
			return (int)(k - p->sec->keys);
	return -1;
}

static const char *key_name(struct soa_parse *p, unsigned int i, char *buf,
			    size_t size)
{
	const char *s;
	size_t j;

	if (p->kind != SEC_TIMEOUTS)
		return p->sec->keys[i].name;
	s = ferry_state_name(i);
	for (j = 0; s[j] && j + 1 < size; j++)
		buf[j] = (char)lower(s[j]);
	buf[j] = '\0';
	return buf;
}

static int unknown_key(struct soa_parse *p, const char *key)
{
	unsigned int i, n, d, best = UINT_MAX;
	char buf[FERRY_SOA_NAME_MAX], hint[FERRY_SOA_NAME_MAX + 32] = "";
	const char *name;

	if (p->kind == SEC_TIMEOUTS)
		n = FERRY_CT_STATE_MAX;
	else
		for (n = 0; p->sec->keys[n].name; n++)
			;
	for (i = p->kind == SEC_TIMEOUTS ? 1 : 0; i < n; i++) {
		name = key_name(p, i, buf, sizeof(buf));
		d = distance(key, name);
		if (d < best && d <= 2 && d < strlen(key)) {
			best = d;
			snprintf(hint, sizeof(hint), " (did you mean '%s'?)", name);
		}
	}
	return ferry_ini_err(&p->ini, "[%s] unknown key '%s'%s", p->sec_text, key,
			hint);
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct soa_parse *p = user;
	const struct key_def *def;
	int i;

	if (p->kind == SEC_NONE) {
		ferry_ini_err(&p->ini, "key '%s' outside any section", key);
		return 0;
	}
	if (strcmp(section, p->sec_raw)) {	/* reader and inih disagree */
		ferry_ini_err(&p->ini, "internal error: section '%s' is not '%s'",
			 section, p->sec_raw);
		return 0;
	}
	i = key_index(p, key);
	if (i < 0) {
		unknown_key(p, key);
		return 0;
	}
	def = p->kind == SEC_TIMEOUTS ? NULL : &p->sec->keys[i];
	if (p->key_line[i] && !(def && def->repeat)) {
		ferry_ini_err(&p->ini, "[%s] duplicate key '%s' (first at line %u)",
			 p->sec_text, key, p->key_line[i]);
		return 0;
	}
	p->key_line[i] = p->ini.line;
	p->ini.key = key;
	if (!*value)
		ferry_ini_key_err(&p->ini, "empty value");
	else if (def)
		def->set(p, value);
	else
		set_timeout(p, value);
	return !p->ini.ret;
}

/* ini_reader: one line of p->ini.text per call, counted; headers noted. */
/* ---- the whole file ------------------------------------------------------------- */

static int end_of_file(struct soa_parse *p)
{
	struct ferry_soa_config *cfg = p->cfg;
	static const enum sec_kind required[] = { SEC_AGENT, SEC_RULES };
	__u32 line = p->ini.line ? p->ini.line : 1;
	unsigned int i;
	int len;

	if (end_section(p))
		return p->ini.ret;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!p->single_line[required[i]])
			return ferry_ini_line_err(&p->ini, line, "end of file: missing section [%s]",
					sections[required[i]].name);
	if (!cfg->nifaces)
		return ferry_ini_line_err(&p->ini, line, "end of file: missing section [interface NAME]");
	if (!cfg->control_socket[0]) {
		len = snprintf(cfg->control_socket, sizeof(cfg->control_socket),
			       "/run/ferry/%s.sock", cfg->instance);
		if (len < 0 || (size_t)len >= sizeof(cfg->control_socket))
			return ferry_ini_line_err(&p->ini, p->single_line[SEC_AGENT],
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

	p->ini.peek = peek;
	p->ini.parser = p;
	p->ini.section = p->sec_text;
	ret = ferry_ini_parse(&p->ini, handler, p, LINE_MAX_LEN);
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
