// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The rule language (docs/rules.md): a line is an action followed by
 * options in any order, each at most once. Options that depend on others
 * (ports on the protocol, the ICMP type name on icmp or icmpv6) are checked
 * once the whole line is read, so their order does not matter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "log.h"
#include "rules.h"

#define PORT_ANY_LO	0
#define PORT_ANY_HI	65535
#define ZONE_MAX	(FERRY_ZONE_ANY - 1)
#define TOKW		64	/* at most this much of a token in a message */
#define SPACE		" \t\r\n\v\f"

struct name_num {
	const char *name;
	__u8 num;
};

static const struct name_num proto_names[] = {
	{ "icmp", IPPROTO_ICMP },
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "gre", IPPROTO_GRE },
	{ "esp", IPPROTO_ESP },
	{ "ah", IPPROTO_AH },
	{ "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP },
	{ NULL, 0 },
};

/* The names nft uses. */
static const struct name_num icmp_names[] = {
	{ "echo-reply", 0 },
	{ "destination-unreachable", 3 },
	{ "source-quench", 4 },
	{ "redirect", 5 },
	{ "echo-request", 8 },
	{ "router-advertisement", 9 },
	{ "router-solicitation", 10 },
	{ "time-exceeded", 11 },
	{ "parameter-problem", 12 },
	{ "timestamp-request", 13 },
	{ "timestamp-reply", 14 },
	{ "info-request", 15 },
	{ "info-reply", 16 },
	{ "address-mask-request", 17 },
	{ "address-mask-reply", 18 },
	{ NULL, 0 },
};

static const struct name_num icmpv6_names[] = {
	{ "destination-unreachable", 1 },
	{ "packet-too-big", 2 },
	{ "time-exceeded", 3 },
	{ "parameter-problem", 4 },
	{ "echo-request", 128 },
	{ "echo-reply", 129 },
	{ "mld-listener-query", 130 },
	{ "mld-listener-report", 131 },
	{ "mld-listener-done", 132 },
	{ "nd-router-solicit", 133 },
	{ "nd-router-advert", 134 },
	{ "nd-neighbor-solicit", 135 },
	{ "nd-neighbor-advert", 136 },
	{ "nd-redirect", 137 },
	{ "router-renumbering", 138 },
	{ "ind-neighbor-solicit", 141 },
	{ "ind-neighbor-advert", 142 },
	{ "mld2-listener-report", 143 },
	{ NULL, 0 },
};

static const char *name_of(const struct name_num *t, __u8 num)
{
	for (; t->name; t++)
		if (t->num == num)
			return t->name;
	return NULL;
}

static int num_of(const struct name_num *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t->num;
	return -ENOENT;
}

const char *ferry_proto_name(__u8 proto)
{
	return name_of(proto_names, proto);
}

const char *ferry_icmp_type_name(__u8 proto, __u8 type)
{
	if (proto == IPPROTO_ICMP)
		return name_of(icmp_names, type);
	if (proto == IPPROTO_ICMPV6)
		return name_of(icmpv6_names, type);
	return NULL;
}

static bool is_icmp(__u8 proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static bool has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static const char *family_name(__u8 family)
{
	return family == FERRY_AF_INET6 ? "IPv6" : "IPv4";
}

/* Put a message in err, or log it if err is NULL. Returns ret. */
static int __attribute__((format(printf, 4, 5)))
report(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	char msg[FERRY_RULES_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!err)
		pr_warn("%s\n", msg);
	else if (errlen)
		snprintf(err, errlen, "%s", msg);
	return ret;
}

/*
 * A decimal number of len characters at s, at most max. -EINVAL if it is
 * not one (empty, sign, other characters), -ERANGE if above max.
 */
static int parse_num(const char *s, size_t len, __u32 max, __u32 *out)
{
	unsigned long long v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	for (i = 0; i < len; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

/* The first len bits set, in network order. */
static void prefix_mask(__u8 mask[16], unsigned int len)
{
	unsigned int i;

	memset(mask, 0, 16);
	for (i = 0; i < len / 8; i++)
		mask[i] = 0xff;
	if (len % 8)
		mask[i] = 0xff << (8 - len % 8);
}

/* Leading one bits of a mask in network order. */
static unsigned int mask_len(const __u32 mask[4])
{
	const __u8 *m = (const __u8 *)mask;
	unsigned int len = 0, i;
	__u8 b;

	for (i = 0; i < 16 && m[i] == 0xff; i++)
		len += 8;
	for (b = i < 16 ? m[i] : 0; b & 0x80; b <<= 1)
		len++;
	return len;
}

static bool all_zero(const void *p, size_t len)
{
	const __u8 *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

/* ---- one line ---------------------------------------------------------- */

enum kw_slot {
	KW_LOG,
	KW_ZONE,
	KW_FAMILY,
	KW_PROTO,
	KW_FROM,
	KW_TO,
	KW_SPORT,
	KW_DPORT,
	KW_ICMP_TYPE,
	KW_CODE,
	KW_ID,
};

struct rule_parse {
	struct ferry_rule r;
	unsigned int seen;		/* 1 << enum kw_slot */
	char family_src[TOKW + 16];	/* what stated the family first */
	const char *icmp_type;		/* resolved once proto is known */
	char msg[FERRY_RULES_ERR_MAX];
};

static int __attribute__((format(printf, 2, 3)))
fail(struct rule_parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Record what says the rule is IPv4 or IPv6; val may be NULL. */
static int set_family(struct rule_parse *p, __u8 family, const char *kw,
		      const char *val)
{
	char what[sizeof(p->family_src)];

	if (val)
		snprintf(what, sizeof(what), "%s %.*s", kw, TOKW, val);
	else
		snprintf(what, sizeof(what), "%s", kw);
	if (!p->r.family) {
		p->r.family = family;
		memcpy(p->family_src, what, sizeof(what));
		return 0;
	}
	if (p->r.family == family)
		return 0;
	return fail(p, "family conflict: '%s' is %s but '%s' is %s",
		    p->family_src, family_name(p->r.family), what,
		    family_name(family));
}

static int kw_log(struct rule_parse *p, const char *kw, const char *val)
{
	p->r.flags |= FERRY_RULE_F_LOG;
	return 0;
}

static int kw_zone(struct rule_parse *p, const char *kw, const char *val)
{
	__u32 zone;

	if (!strcmp(val, "any")) {
		p->r.zone = FERRY_ZONE_ANY;
		return 0;
	}
	if (parse_num(val, strlen(val), ZONE_MAX, &zone))
		return fail(p, "bad zone '%.*s': must be 0-%u or 'any'",
			    TOKW, val, ZONE_MAX);
	p->r.zone = zone;
	return 0;
}

static int kw_family(struct rule_parse *p, const char *kw, const char *val)
{
	return set_family(p, kw[2] == '6' ? FERRY_AF_INET6 : FERRY_AF_INET,
			  kw, NULL);
}

static int kw_proto(struct rule_parse *p, const char *kw, const char *val)
{
	__u32 proto;
	int num;

	if (!strcmp(val, "any"))
		return 0;
	num = num_of(proto_names, val);
	if (num >= 0)
		proto = num;
	else if (parse_num(val, strlen(val), 255, &proto) || !proto)
		return fail(p, "bad proto '%.*s': must be 1-255, 'any' or a name (tcp, udp, icmp, icmpv6, ...)",
			    TOKW, val);
	p->r.proto = proto;
	if (proto == IPPROTO_ICMP)
		return set_family(p, FERRY_AF_INET, kw, val);
	if (proto == IPPROTO_ICMPV6)
		return set_family(p, FERRY_AF_INET6, kw, val);
	return 0;
}

/* Split "addr[/len]" into buf (the address) and the length in bits. */
static int prefix_split(struct rule_parse *p, const char *tok, char *buf,
			size_t size, unsigned int bits, unsigned int *len)
{
	char *slash;
	__u32 v;
	int err;

	*len = bits;
	if (strlen(tok) >= size)
		return fail(p, "bad prefix '%.*s': too long for an address",
			    TOKW, tok);
	strcpy(buf, tok);
	slash = strchr(buf, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	err = parse_num(slash + 1, strlen(slash + 1), bits, &v);
	if (err == -ERANGE)
		return fail(p, "bad prefix '%s': length must be 0-%u", tok, bits);
	if (err)
		return fail(p, "bad prefix '%s': length '%s' is not a number",
			    tok, slash + 1);
	*len = v;
	return 0;
}

static int parse_prefix(struct rule_parse *p, const char *kw, const char *tok,
			__u32 addr[4], __u32 mask[4])
{
	char buf[INET6_ADDRSTRLEN + 8], net[INET6_ADDRSTRLEN];
	__u8 a[16] = {}, m[16];
	unsigned int bits, len, i;
	__u8 family;
	int af, err;

	family = strchr(tok, ':') ? FERRY_AF_INET6 : FERRY_AF_INET;
	af = family == FERRY_AF_INET6 ? AF_INET6 : AF_INET;
	bits = family == FERRY_AF_INET6 ? 128 : 32;
	err = prefix_split(p, tok, buf, sizeof(buf), bits, &len);
	if (err)
		return err;
	if (inet_pton(af, buf, a) != 1)
		return fail(p, "bad prefix '%s': '%s' is not an %s address",
			    tok, buf, family_name(family));
	prefix_mask(m, len);
	for (i = 0; i < 16; i++) {
		if (!(a[i] & ~m[i]))
			continue;
		for (i = 0; i < 16; i++)
			a[i] &= m[i];
		inet_ntop(af, a, net, sizeof(net));
		return fail(p, "bad prefix '%s': host bits set (the network is %s/%u)",
			    tok, net, len);
	}
	memcpy(addr, a, 16);
	memcpy(mask, m, 16);
	return set_family(p, family, kw, tok);
}

static int kw_from(struct rule_parse *p, const char *kw, const char *val)
{
	if (!strcmp(val, "any"))
		return 0;
	return parse_prefix(p, kw, val, p->r.src, p->r.src_mask);
}

static int kw_to(struct rule_parse *p, const char *kw, const char *val)
{
	if (!strcmp(val, "any"))
		return 0;
	return parse_prefix(p, kw, val, p->r.dst, p->r.dst_mask);
}

static int parse_port(struct rule_parse *p, const char *s, size_t len,
		      __u16 *port)
{
	__u32 v;
	int err;

	err = parse_num(s, len, PORT_ANY_HI, &v);
	if (err == -ERANGE)
		return fail(p, "bad port '%.*s': must be 0-65535",
			    (int)(len < TOKW ? len : TOKW), s);
	if (err)
		return fail(p, "bad port '%.*s': not a number",
			    (int)(len < TOKW ? len : TOKW), s);
	*port = v;
	return 0;
}

/* "P" or "P-Q" */
static int parse_ports(struct rule_parse *p, const char *tok, __u16 *lo,
		       __u16 *hi)
{
	const char *dash = strchr(tok, '-');
	int err;

	if (!dash) {
		err = parse_port(p, tok, strlen(tok), lo);
		*hi = *lo;
		return err;
	}
	if (dash == tok || !dash[1])
		return fail(p, "bad port range '%.*s': must be P or P-Q",
			    TOKW, tok);
	err = parse_port(p, tok, dash - tok, lo);
	if (!err)
		err = parse_port(p, dash + 1, strlen(dash + 1), hi);
	if (err)
		return err;
	if (*lo > *hi)
		return fail(p, "port range %u-%u is empty", *lo, *hi);
	return 0;
}

static int kw_sport(struct rule_parse *p, const char *kw, const char *val)
{
	return parse_ports(p, val, &p->r.sport_lo, &p->r.sport_hi);
}

static int kw_dport(struct rule_parse *p, const char *kw, const char *val)
{
	return parse_ports(p, val, &p->r.dport_lo, &p->r.dport_hi);
}

static int kw_icmp_type(struct rule_parse *p, const char *kw, const char *val)
{
	p->icmp_type = val;
	return 0;
}

static int kw_code(struct rule_parse *p, const char *kw, const char *val)
{
	__u32 code;

	if (parse_num(val, strlen(val), 255, &code))
		return fail(p, "bad icmp code '%.*s': must be 0-255", TOKW, val);
	p->r.icmp_code = code;
	p->r.flags |= FERRY_RULE_F_ICMP_CODE;
	return 0;
}

static int kw_id(struct rule_parse *p, const char *kw, const char *val)
{
	__u32 id;

	if (parse_num(val, strlen(val), 0xffffffffu, &id) || !id)
		return fail(p, "bad id '%.*s': must be 1-4294967295", TOKW, val);
	p->r.id = id;
	return 0;
}

struct keyword {
	const char *name;
	enum kw_slot slot;
	bool has_value;
	int (*parse)(struct rule_parse *p, const char *kw, const char *val);
};

static const struct keyword keywords[] = {
	{ "log", KW_LOG, false, kw_log },
	{ "zone", KW_ZONE, true, kw_zone },
	{ "ip", KW_FAMILY, false, kw_family },
	{ "ip6", KW_FAMILY, false, kw_family },
	{ "proto", KW_PROTO, true, kw_proto },
	{ "from", KW_FROM, true, kw_from },
	{ "to", KW_TO, true, kw_to },
	{ "sport", KW_SPORT, true, kw_sport },
	{ "dport", KW_DPORT, true, kw_dport },
	{ "icmp-type", KW_ICMP_TYPE, true, kw_icmp_type },
	{ "code", KW_CODE, true, kw_code },
	{ "id", KW_ID, true, kw_id },
	{ NULL, 0, false, NULL },
};

static const struct keyword *keyword_find(const char *tok)
{
	const struct keyword *k;

	for (k = keywords; k->name; k++)
		if (!strcmp(k->name, tok))
			return k;
	return NULL;
}

static char *next_token(char **cur)
{
	char *tok = *cur + strspn(*cur, SPACE);
	size_t len;

	if (!*tok)
		return NULL;
	len = strcspn(tok, SPACE);
	*cur = tok + len;
	if (**cur)
		*(*cur)++ = '\0';
	return tok;
}

/* One option and, if it takes one, its value from *cur. */
static int parse_option(struct rule_parse *p, const char *tok, char **cur)
{
	const struct keyword *k = keyword_find(tok);
	const char *val = NULL;

	if (!k && (!strcmp(tok, "allow") || !strcmp(tok, "deny")))
		return fail(p, "'%s': the action is already given", tok);
	if (!k)
		return fail(p, "unknown keyword '%.*s'", TOKW, tok);
	if (p->seen & (1u << k->slot) && k->slot == KW_FAMILY)
		return fail(p, "'%s': the address family is already given", tok);
	if (p->seen & (1u << k->slot))
		return fail(p, "duplicate '%s'", tok);
	p->seen |= 1u << k->slot;
	if (k->has_value) {
		val = next_token(cur);
		if (!val)
			return fail(p, "'%s' needs a value", tok);
	}
	return k->parse(p, k->name, val);
}

static int resolve_icmp_type(struct rule_parse *p)
{
	const char *tok = p->icmp_type;
	bool v6 = p->r.proto == IPPROTO_ICMPV6;
	__u32 type;
	int err;

	err = parse_num(tok, strlen(tok), 255, &type);
	if (err == -ERANGE)
		return fail(p, "bad icmp-type '%.*s': must be 0-255 or a name",
			    TOKW, tok);
	if (err) {
		err = num_of(v6 ? icmpv6_names : icmp_names, tok);
		if (err < 0)
			return fail(p, "unknown %s type '%.*s'",
				    v6 ? "icmpv6" : "icmp", TOKW, tok);
		type = err;
	}
	p->r.icmp_type = type;
	p->r.flags |= FERRY_RULE_F_ICMP_TYPE;
	return 0;
}

/* What one option requires of the others, once the line is read. */
static int parse_finish(struct rule_parse *p)
{
	if (p->seen & (1u << KW_SPORT) && !has_ports(p->r.proto))
		return fail(p, "'sport' needs proto tcp or udp");
	if (p->seen & (1u << KW_DPORT) && !has_ports(p->r.proto))
		return fail(p, "'dport' needs proto tcp or udp");
	if (p->seen & (1u << KW_ICMP_TYPE) && !is_icmp(p->r.proto))
		return fail(p, "'icmp-type' needs proto icmp or icmpv6");
	if (p->seen & (1u << KW_CODE) && !(p->seen & (1u << KW_ICMP_TYPE)))
		return fail(p, "'code' needs 'icmp-type'");
	if (p->icmp_type)
		return resolve_icmp_type(p);
	return 0;
}

/*
 * Parse line (modified in place) into p->r. Returns 1 if it holds no rule
 * (blank or comment), 0 for a rule, -EINVAL with p->msg.
 */
static int parse_line(struct rule_parse *p, char *line)
{
	char *cur = line, *tok;
	int err;

	memset(p, 0, sizeof(*p));
	p->r.zone = FERRY_ZONE_ANY;
	p->r.sport_hi = PORT_ANY_HI;
	p->r.dport_hi = PORT_ANY_HI;
	line[strcspn(line, "#")] = '\0';
	tok = next_token(&cur);
	if (!tok)
		return 1;
	if (!strcmp(tok, "allow"))
		p->r.action = FERRY_ACT_ALLOW;
	else if (strcmp(tok, "deny"))
		return fail(p, "a rule starts with 'allow' or 'deny', not '%.*s'",
			    TOKW, tok);
	while ((tok = next_token(&cur))) {
		err = parse_option(p, tok, &cur);
		if (err)
			return err;
	}
	return parse_finish(p);
}

int ferry_rule_parse(const char *text, struct ferry_rule *rule,
		     char *err, size_t errlen)
{
	struct rule_parse *p;
	char *line;
	int ret;

	p = malloc(sizeof(*p));
	line = strdup(text);
	if (!p || !line) {
		ret = report(err, errlen, -ENOMEM, "out of memory");
		goto out_free;
	}
	ret = parse_line(p, line);
	if (ret > 0)
		ret = report(err, errlen, -EINVAL, "empty rule");
	else if (ret < 0)
		report(err, errlen, ret, "%s", p->msg);
	else
		*rule = p->r;
out_free:
	free(line);
	free(p);
	return ret;
}

/* ---- a whole file ------------------------------------------------------ */

struct rule_origin {
	__u32 line;
	bool explicit_id;
};

struct rules_sink {
	const char *name;
	struct ferry_rule *rules;
	struct rule_origin *origin;	/* of each rule, for duplicate ids */
	__u32 n;
	__u32 max;
	struct rule_parse parse;
	char *err;
	size_t errlen;
};

static int sink_init(struct rules_sink *s, const char *name,
		     struct ferry_rule *rules, __u32 max, char *err,
		     size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->name = name ? name : "<rules>";
	s->rules = rules;
	s->max = max < FERRY_MAX_RULES ? max : FERRY_MAX_RULES;
	s->err = err;
	s->errlen = errlen;
	s->origin = calloc(s->max ? s->max : 1, sizeof(*s->origin));
	if (!s->origin)
		return report(err, errlen, -ENOMEM, "%s: out of memory", s->name);
	return 0;
}

static int sink_check_id(struct rules_sink *s, __u32 id, __u32 line,
			 bool explicit_id)
{
	__u32 i;

	for (i = 0; i < s->n; i++) {
		if (s->rules[i].id != id)
			continue;
		if (explicit_id)
			return report(s->err, s->errlen, -EINVAL,
				      "%s:%u: duplicate id %u: line %u has it too",
				      s->name, line, id, s->origin[i].line);
		return report(s->err, s->errlen, -EINVAL,
			      "%s:%u: duplicate id %u (this rule's line number): line %u has it too; give this rule an explicit 'id'",
			      s->name, line, id, s->origin[i].line);
	}
	return 0;
}

static int sink_line(struct rules_sink *s, char *text, __u32 line)
{
	struct ferry_rule *r = &s->parse.r;
	bool explicit_id;
	int err;

	err = parse_line(&s->parse, text);
	if (err > 0)
		return 0;
	if (err)
		return report(s->err, s->errlen, err, "%s:%u: %s", s->name,
			      line, s->parse.msg);
	if (s->n == s->max)
		return report(s->err, s->errlen, -E2BIG,
			      "%s:%u: too many rules: at most %u", s->name,
			      line, s->max);
	explicit_id = r->id != 0;
	if (!explicit_id)
		r->id = line;
	err = sink_check_id(s, r->id, line, explicit_id);
	if (err)
		return err;
	s->origin[s->n].line = line;
	s->origin[s->n].explicit_id = explicit_id;
	s->rules[s->n++] = *r;
	return 0;
}

static int sink_text(struct rules_sink *s, const char *text)
{
	char *copy, *line, *nl;
	__u32 lineno = 0;
	int err = 0;

	copy = strdup(text);
	if (!copy)
		return report(s->err, s->errlen, -ENOMEM, "%s: out of memory",
			      s->name);
	for (line = copy; line && !err; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (!nl && !*line)
			break;	/* nothing after the last newline */
		err = sink_line(s, line, ++lineno);
	}
	free(copy);
	return err;
}

static int sink_file(struct rules_sink *s, FILE *f)
{
	char *line = NULL;
	__u32 lineno = 0;
	size_t cap = 0;
	ssize_t len;
	int err = 0;

	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (strlen(line) != (size_t)len)
			err = report(s->err, s->errlen, -EINVAL,
				     "%s:%u: NUL byte in the line", s->name,
				     lineno);
		else
			err = sink_line(s, line, lineno);
	}
	if (!err && ferror(f))
		err = report(s->err, s->errlen, -EIO, "%s: read error",
			     s->name);
	free(line);
	return err;
}

/* Parse what feed gives the sink (text or a FILE *) into rules. */
static int parse_with(int (*feed)(struct rules_sink *, const void *),
		      const void *src, const char *name, struct ferry_rule *rules,
		      __u32 max, __u32 *n, char *err, size_t errlen)
{
	struct rules_sink *s;
	int ret;

	*n = 0;
	s = malloc(sizeof(*s));
	if (!s)
		return report(err, errlen, -ENOMEM, "out of memory");
	ret = sink_init(s, name, rules, max, err, errlen);
	if (ret)
		goto out_free_sink;
	ret = feed(s, src);
	if (!ret)
		*n = s->n;
	free(s->origin);
out_free_sink:
	free(s);
	return ret;
}

static int feed_text(struct rules_sink *s, const void *text)
{
	return sink_text(s, text);
}

static int feed_file(struct rules_sink *s, const void *f)
{
	return sink_file(s, (FILE *)f);
}

int ferry_rules_parse(const char *text, const char *name,
		      struct ferry_rule *rules, __u32 max, __u32 *n,
		      char *err, size_t errlen)
{
	return parse_with(feed_text, text, name, rules, max, n, err, errlen);
}

static int read_fp(FILE *f, const char *name, struct ferry_rule *rules,
		   __u32 max, __u32 *n, char *err, size_t errlen)
{
	return parse_with(feed_file, f, name, rules, max, n, err, errlen);
}

int ferry_rules_read(const char *path, struct ferry_rule *rules, __u32 max,
		     __u32 *n, char *err, size_t errlen)
{
	FILE *f;
	int ret;

	*n = 0;
	if (!strcmp(path, "-"))
		return read_fp(stdin, "<stdin>", rules, max, n, err, errlen);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		return report(err, errlen, ret, "%s: %s", path, strerror(-ret));
	}
	ret = read_fp(f, path, rules, max, n, err, errlen);
	fclose(f);
	return ret;
}

/* Hand over the array of an _alloc call, trimmed to its rules. */
static int alloc_finish(int ret, struct ferry_rule *all, __u32 n,
			struct ferry_rule **rules)
{
	struct ferry_rule *trimmed;

	*rules = NULL;
	if (ret || !n) {
		free(all);
		return ret;
	}
	trimmed = realloc(all, n * sizeof(*all));
	*rules = trimmed ? trimmed : all;
	return 0;
}

int ferry_rules_parse_alloc(const char *text, const char *name,
			    struct ferry_rule **rules, __u32 *n,
			    char *err, size_t errlen)
{
	struct ferry_rule *all;
	int ret;

	*n = 0;
	*rules = NULL;
	all = calloc(FERRY_MAX_RULES, sizeof(*all));
	if (!all)
		return report(err, errlen, -ENOMEM, "out of memory");
	ret = ferry_rules_parse(text, name, all, FERRY_MAX_RULES, n, err,
				errlen);
	return alloc_finish(ret, all, *n, rules);
}

int ferry_rules_read_alloc(const char *path, struct ferry_rule **rules,
			   __u32 *n, char *err, size_t errlen)
{
	struct ferry_rule *all;
	int ret;

	*n = 0;
	*rules = NULL;
	all = calloc(FERRY_MAX_RULES, sizeof(*all));
	if (!all)
		return report(err, errlen, -ENOMEM, "out of memory");
	ret = ferry_rules_read(path, all, FERRY_MAX_RULES, n, err, errlen);
	return alloc_finish(ret, all, *n, rules);
}

/* ---- checking and formatting ------------------------------------------- */

/* Does the text state the family through a prefix or the protocol? */
static bool family_implied(const struct ferry_rule *r)
{
	return !all_zero(r->src_mask, sizeof(r->src_mask)) ||
	       !all_zero(r->dst_mask, sizeof(r->dst_mask)) ||
	       is_icmp(r->proto);
}

static int check_prefix(const struct ferry_rule *r, const char *kw,
			const __u32 addr[4], const __u32 mask[4],
			char *err, size_t errlen)
{
	unsigned int len = mask_len(mask), i;
	const __u8 *a = (const __u8 *)addr;
	__u8 m[16];

	prefix_mask(m, len);
	if (memcmp(m, mask, sizeof(m)))
		return report(err, errlen, -EINVAL,
			      "'%s' mask is not a prefix mask", kw);
	for (i = 0; i < 16; i++)
		if (a[i] & ~m[i])
			return report(err, errlen, -EINVAL,
				      "'%s' address has bits outside its mask", kw);
	if (len && !r->family)
		return report(err, errlen, -EINVAL,
			      "'%s' prefix but no family", kw);
	if (r->family == FERRY_AF_INET && len > 32)
		return report(err, errlen, -EINVAL,
			      "'%s' prefix longer than 32 bits in an IPv4 rule", kw);
	return 0;
}

static int check_ports(const struct ferry_rule *r, char *err, size_t errlen)
{
	if (r->sport_lo > r->sport_hi || r->dport_lo > r->dport_hi)
		return report(err, errlen, -EINVAL, "empty port range");
	if (has_ports(r->proto))
		return 0;
	if (r->sport_lo != PORT_ANY_LO || r->sport_hi != PORT_ANY_HI ||
	    r->dport_lo != PORT_ANY_LO || r->dport_hi != PORT_ANY_HI)
		return report(err, errlen, -EINVAL,
			      "ports need proto tcp or udp");
	return 0;
}

static int check_icmp(const struct ferry_rule *r, char *err, size_t errlen)
{
	if (r->proto == IPPROTO_ICMP && r->family != FERRY_AF_INET)
		return report(err, errlen, -EINVAL, "proto icmp needs family ip");
	if (r->proto == IPPROTO_ICMPV6 && r->family != FERRY_AF_INET6)
		return report(err, errlen, -EINVAL,
			      "proto icmpv6 needs family ip6");
	if (r->flags & FERRY_RULE_F_ICMP_TYPE && !is_icmp(r->proto))
		return report(err, errlen, -EINVAL,
			      "icmp type needs proto icmp or icmpv6");
	if (r->flags & FERRY_RULE_F_ICMP_CODE &&
	    !(r->flags & FERRY_RULE_F_ICMP_TYPE))
		return report(err, errlen, -EINVAL, "icmp code needs a type");
	if ((r->icmp_type && !(r->flags & FERRY_RULE_F_ICMP_TYPE)) ||
	    (r->icmp_code && !(r->flags & FERRY_RULE_F_ICMP_CODE)))
		return report(err, errlen, -EINVAL,
			      "icmp type or code set without its flag");
	return 0;
}

int ferry_rule_check(const struct ferry_rule *r, char *err, size_t errlen)
{
	const __u8 flags = FERRY_RULE_F_LOG | FERRY_RULE_F_ICMP_TYPE |
			   FERRY_RULE_F_ICMP_CODE;
	int ret;

	if (!r->id)
		return report(err, errlen, -EINVAL, "id 0 is reserved");
	if (r->action != FERRY_ACT_ALLOW && r->action != FERRY_ACT_DENY)
		return report(err, errlen, -EINVAL, "unknown action %u",
			      r->action);
	if (r->flags & ~flags)
		return report(err, errlen, -EINVAL, "unknown flags 0x%x",
			      r->flags & ~flags);
	if (r->family && r->family != FERRY_AF_INET &&
	    r->family != FERRY_AF_INET6)
		return report(err, errlen, -EINVAL, "unknown family %u",
			      r->family);
	if (!all_zero(r->pad, sizeof(r->pad)))
		return report(err, errlen, -EINVAL, "padding is not zero");
	ret = check_prefix(r, "from", r->src, r->src_mask, err, errlen);
	if (!ret)
		ret = check_prefix(r, "to", r->dst, r->dst_mask, err, errlen);
	if (!ret)
		ret = check_ports(r, err, errlen);
	if (!ret)
		ret = check_icmp(r, err, errlen);
	return ret;
}

struct textbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void __attribute__((format(printf, 2, 3)))
tb_add(struct textbuf *tb, const char *fmt, ...)
{
	size_t at = tb->len < tb->size ? tb->len : tb->size;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tb->buf + at, tb->size - at, fmt, ap);
	va_end(ap);
	if (n > 0)
		tb->len += n;
}

static void tb_prefix(struct textbuf *tb, const char *kw, __u8 family,
		      const __u32 addr[4], const __u32 mask[4])
{
	unsigned int len = mask_len(mask);
	char text[INET6_ADDRSTRLEN];
	int af = family == FERRY_AF_INET6 ? AF_INET6 : AF_INET;

	if (!len)
		return;
	inet_ntop(af, addr, text, sizeof(text));
	if (len == (af == AF_INET6 ? 128u : 32u))
		tb_add(tb, " %s %s", kw, text);
	else
		tb_add(tb, " %s %s/%u", kw, text, len);
}

static void tb_ports(struct textbuf *tb, const char *kw, __u16 lo, __u16 hi)
{
	if (lo == PORT_ANY_LO && hi == PORT_ANY_HI)
		return;
	if (lo == hi)
		tb_add(tb, " %s %u", kw, lo);
	else
		tb_add(tb, " %s %u-%u", kw, lo, hi);
}

static void tb_l4(struct textbuf *tb, const struct ferry_rule *r)
{
	const char *name = ferry_proto_name(r->proto);

	if (name)
		tb_add(tb, " proto %s", name);
	else if (r->proto)
		tb_add(tb, " proto %u", r->proto);
	tb_prefix(tb, "from", r->family, r->src, r->src_mask);
	tb_prefix(tb, "to", r->family, r->dst, r->dst_mask);
	tb_ports(tb, "sport", r->sport_lo, r->sport_hi);
	tb_ports(tb, "dport", r->dport_lo, r->dport_hi);
	if (!(r->flags & FERRY_RULE_F_ICMP_TYPE))
		return;
	name = ferry_icmp_type_name(r->proto, r->icmp_type);
	if (name)
		tb_add(tb, " icmp-type %s", name);
	else
		tb_add(tb, " icmp-type %u", r->icmp_type);
	if (r->flags & FERRY_RULE_F_ICMP_CODE)
		tb_add(tb, " code %u", r->icmp_code);
}

int ferry_rule_format(const struct ferry_rule *r, char *buf, size_t size)
{
	struct textbuf tb = { .buf = buf, .size = size };
	int err;

	err = ferry_rule_check(r, buf, size);
	if (err)
		return err;
	if (!size)
		return -ENOSPC;
	tb_add(&tb, "%s", r->action == FERRY_ACT_ALLOW ? "allow" : "deny");
	if (r->flags & FERRY_RULE_F_LOG)
		tb_add(&tb, " log");
	if (r->zone != FERRY_ZONE_ANY)
		tb_add(&tb, " zone %u", r->zone);
	if (r->family && !family_implied(r))
		tb_add(&tb, " %s", r->family == FERRY_AF_INET6 ? "ip6" : "ip");
	tb_l4(&tb, r);
	tb_add(&tb, " id %u", r->id);
	return tb.len < size ? (int)tb.len : -ENOSPC;
}

int ferry_rules_write(FILE *f, const struct ferry_rule *rules, __u32 n)
{
	char text[FERRY_RULE_TEXT_MAX];
	__u32 i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = ferry_rule_format(&rules[i], text, sizeof(text));
		if (ret < 0)
			return ret;
		if (fprintf(f, "%s\n", text) < 0)
			return -EIO;
	}
	return 0;
}
