// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The rule language: parsing, masks, formatting, round trips, errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "rules.h"

#define EXAMPLE_RULES	"docs/examples/rules.conf"

static void parse_ok(const char *text, struct ferry_rule *r)
{
	char err[FERRY_RULES_ERR_MAX] = "";

	memset(r, 0xaa, sizeof(*r));
	if (ferry_rule_parse(text, r, err, sizeof(err)))
		fail_msg("'%s' rejected: %s", text, err);
}

/* Parse text as the file "rules.conf"; expect failure ret with msg. */
static void file_err(const char *text, int ret, const char *msg)
{
	struct ferry_rule rules[8];
	char err[FERRY_RULES_ERR_MAX] = "";
	__u32 n = 99;
	int got;

	got = ferry_rules_parse(text, "rules.conf", rules, 8, &n, err,
				sizeof(err));
	if (got != ret || strcmp(err, msg))
		fail_msg("'%s':\n  want %d '%s'\n  got  %d '%s'", text, ret, msg,
			 got, err);
	assert_int_equal(n, 0);
}

static void assert_bytes(const void *p, const char *hex16)
{
	char got[33];
	unsigned int i;

	for (i = 0; i < 16; i++)
		sprintf(got + 2 * i, "%02x", ((const __u8 *)p)[i]);
	assert_string_equal(got, hex16);
}

static void assert_any_ports(const struct ferry_rule *r)
{
	assert_int_equal(r->sport_lo, 0);
	assert_int_equal(r->sport_hi, 65535);
	assert_int_equal(r->dport_lo, 0);
	assert_int_equal(r->dport_hi, 65535);
}

/* format(r) is want, and parsing it gives r back. */
static void assert_format(const struct ferry_rule *r, const char *want)
{
	char text[FERRY_RULE_TEXT_MAX];
	struct ferry_rule back;
	int len;

	len = ferry_rule_format(r, text, sizeof(text));
	if (len < 0)
		fail_msg("format failed %d: %s", len, text);
	assert_int_equal(len, strlen(text));
	assert_string_equal(text, want);
	parse_ok(text, &back);
	assert_memory_equal(&back, r, sizeof(back));
}

static void test_action(void **state)
{
	struct ferry_rule r;

	parse_ok("allow", &r);
	assert_int_equal(r.action, FERRY_ACT_ALLOW);
	assert_int_equal(r.id, 0);
	assert_int_equal(r.zone, FERRY_ZONE_ANY);
	assert_int_equal(r.family, 0);
	assert_int_equal(r.proto, 0);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.icmp_type, 0);
	assert_int_equal(r.icmp_code, 0);
	assert_bytes(r.src, "00000000000000000000000000000000");
	assert_bytes(r.src_mask, "00000000000000000000000000000000");
	assert_bytes(r.dst, "00000000000000000000000000000000");
	assert_bytes(r.dst_mask, "00000000000000000000000000000000");
	assert_any_ports(&r);
	assert_true(r.pad[0] == 0 && r.pad[5] == 0);

	parse_ok("  deny\t ", &r);
	assert_int_equal(r.action, FERRY_ACT_DENY);
	parse_ok("deny # with a comment", &r);
	assert_int_equal(r.action, FERRY_ACT_DENY);
}

static void test_log_zone_id(void **state)
{
	struct ferry_rule r;

	parse_ok("allow log", &r);
	assert_int_equal(r.flags, FERRY_RULE_F_LOG);
	parse_ok("deny zone 0", &r);
	assert_int_equal(r.zone, 0);
	parse_ok("deny zone 7", &r);
	assert_int_equal(r.zone, 7);
	parse_ok("deny zone 4294967294", &r);
	assert_int_equal(r.zone, 4294967294u);
	parse_ok("deny zone any", &r);
	assert_int_equal(r.zone, FERRY_ZONE_ANY);
	parse_ok("deny id 1", &r);
	assert_int_equal(r.id, 1);
	parse_ok("deny id 4294967295", &r);
	assert_int_equal(r.id, 4294967295u);
	parse_ok("deny id 007", &r);
	assert_int_equal(r.id, 7);
}

static void test_family_proto(void **state)
{
	static const struct { const char *text; __u8 proto, family; } t[] = {
		{ "allow ip", 0, FERRY_AF_INET },
		{ "allow ip6", 0, FERRY_AF_INET6 },
		{ "allow proto tcp", 6, 0 },
		{ "allow proto udp", 17, 0 },
		{ "allow proto icmp", 1, FERRY_AF_INET },
		{ "allow proto icmpv6", 58, FERRY_AF_INET6 },
		{ "allow proto gre", 47, 0 },
		{ "allow proto esp", 50, 0 },
		{ "allow proto ah", 51, 0 },
		{ "allow proto sctp", 132, 0 },
		{ "allow proto 6", 6, 0 },
		{ "allow proto 1", 1, FERRY_AF_INET },
		{ "allow proto 58 ip6", 58, FERRY_AF_INET6 },
		{ "allow proto 255", 255, 0 },
		{ "allow proto any", 0, 0 },
		{ "allow ip proto icmp", 1, FERRY_AF_INET },
		{ "allow ip6 proto tcp", 6, FERRY_AF_INET6 },
	};
	struct ferry_rule r;
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i].text, &r);
		assert_int_equal(r.proto, t[i].proto);
		assert_int_equal(r.family, t[i].family);
		assert_any_ports(&r);
	}
	assert_string_equal(ferry_proto_name(6), "tcp");
	assert_null(ferry_proto_name(99));
}

static void test_prefix_v4(void **state)
{
	struct ferry_rule r;

	parse_ok("allow from 198.18.0.0/15 to 198.19.255.7", &r);
	assert_int_equal(r.family, FERRY_AF_INET);
	assert_bytes(r.src, "c6120000000000000000000000000000");
	assert_bytes(r.src_mask, "fffe0000000000000000000000000000");
	assert_bytes(r.dst, "c613ff07000000000000000000000000");
	assert_bytes(r.dst_mask, "ffffffff000000000000000000000000");
	assert_int_equal(r.src[0], htonl(0xc6120000));
	assert_int_equal(r.src_mask[0], htonl(0xfffe0000));

	parse_ok("allow to 198.18.0.7/32", &r);
	assert_bytes(r.dst_mask, "ffffffff000000000000000000000000");
	assert_bytes(r.src_mask, "00000000000000000000000000000000");

	/* /0 matches everything but still says IPv4 */
	parse_ok("allow from 0.0.0.0/0", &r);
	assert_int_equal(r.family, FERRY_AF_INET);
	assert_bytes(r.src, "00000000000000000000000000000000");
	assert_bytes(r.src_mask, "00000000000000000000000000000000");

	parse_ok("allow from any to any", &r);
	assert_int_equal(r.family, 0);
	assert_bytes(r.src_mask, "00000000000000000000000000000000");
	assert_bytes(r.dst_mask, "00000000000000000000000000000000");
}

static void test_prefix_v4_every_length(void **state)
{
	struct ferry_rule r;
	char text[64];
	unsigned int len;
	__u32 mask;

	for (len = 0; len <= 32; len++) {
		mask = len ? 0xffffffffu << (32 - len) : 0;
		snprintf(text, sizeof(text), "deny from %u.%u.%u.%u/%u",
			 0xc6 & (mask >> 24), 0x12 & (mask >> 16),
			 0xff & (mask >> 8), 0x81 & mask, len);
		parse_ok(text, &r);
		assert_int_equal(ntohl(r.src_mask[0]), mask);
		assert_int_equal(ntohl(r.src[0]), 0xc612ff81 & mask);
		assert_int_equal(r.src[1] | r.src[2] | r.src[3], 0);
		assert_int_equal(r.src_mask[1] | r.src_mask[2] | r.src_mask[3], 0);
		assert_int_equal(ferry_rule_check(&(struct ferry_rule){
			.id = 1, .zone = r.zone, .family = r.family,
			.src = { r.src[0] }, .src_mask = { r.src_mask[0] },
			.sport_hi = 65535, .dport_hi = 65535 }, NULL, 0), 0);
	}
}

static void test_prefix_v6(void **state)
{
	struct ferry_rule r;

	parse_ok("allow from 2001:db8::/32 to 2001:db8:1:2::5", &r);
	assert_int_equal(r.family, FERRY_AF_INET6);
	assert_bytes(r.src, "20010db8000000000000000000000000");
	assert_bytes(r.src_mask, "ffffffff000000000000000000000000");
	assert_bytes(r.dst, "20010db8000100020000000000000005");
	assert_bytes(r.dst_mask, "ffffffffffffffffffffffffffffffff");

	parse_ok("allow to 2001:db8:ab:cd80::/57", &r);
	assert_bytes(r.dst, "20010db800abcd800000000000000000");
	assert_bytes(r.dst_mask, "ffffffffffffff800000000000000000");

	parse_ok("allow from ::/0", &r);
	assert_int_equal(r.family, FERRY_AF_INET6);
	assert_bytes(r.src_mask, "00000000000000000000000000000000");

	parse_ok("allow to ::1", &r);
	assert_bytes(r.dst, "00000000000000000000000000000001");
	assert_bytes(r.dst_mask, "ffffffffffffffffffffffffffffffff");

	parse_ok("allow to ::ffff:198.18.0.1/128", &r);
	assert_int_equal(r.family, FERRY_AF_INET6);
	assert_bytes(r.dst, "00000000000000000000ffffc6120001");
}

static void test_prefix_v6_every_length(void **state)
{
	struct ferry_rule r;
	char text[96], addr[INET6_ADDRSTRLEN];
	__u8 a[16], m[16];
	unsigned int len, i;

	for (len = 0; len <= 128; len++) {
		memset(m, 0, sizeof(m));
		for (i = 0; i < len; i++)
			m[i / 8] |= 0x80 >> (i % 8);
		for (i = 0; i < 16; i++)
			a[i] = (0x5a + 37 * i) & m[i];
		inet_ntop(AF_INET6, a, addr, sizeof(addr));
		snprintf(text, sizeof(text), "deny to %s/%u", addr, len);
		parse_ok(text, &r);
		assert_memory_equal(r.dst_mask, m, 16);
		assert_memory_equal(r.dst, a, 16);
		assert_int_equal(r.family, FERRY_AF_INET6);
	}
}

static void test_ports(void **state)
{
	struct ferry_rule r;

	parse_ok("allow proto tcp dport 22", &r);
	assert_int_equal(r.dport_lo, 22);
	assert_int_equal(r.dport_hi, 22);
	assert_int_equal(r.sport_lo, 0);
	assert_int_equal(r.sport_hi, 65535);

	parse_ok("allow proto udp sport 1024-65535 dport 0", &r);
	assert_int_equal(r.sport_lo, 1024);
	assert_int_equal(r.sport_hi, 65535);
	assert_int_equal(r.dport_lo, 0);
	assert_int_equal(r.dport_hi, 0);

	parse_ok("allow proto tcp dport 80-80 sport 0-65535", &r);
	assert_int_equal(r.dport_lo, 80);
	assert_int_equal(r.dport_hi, 80);
	assert_int_equal(r.sport_lo, 0);
	assert_int_equal(r.sport_hi, 65535);

	/* options in any order: ports before proto */
	parse_ok("allow dport 443 proto tcp", &r);
	assert_int_equal(r.proto, 6);
	assert_int_equal(r.dport_lo, 443);
}

static void test_icmp(void **state)
{
	struct ferry_rule r;
	unsigned int t;
	const char *name;
	char text[96];

	parse_ok("allow proto icmp icmp-type echo-request", &r);
	assert_int_equal(r.icmp_type, 8);
	assert_int_equal(r.flags, FERRY_RULE_F_ICMP_TYPE);
	assert_int_equal(r.family, FERRY_AF_INET);

	parse_ok("allow proto icmpv6 icmp-type echo-request", &r);
	assert_int_equal(r.icmp_type, 128);
	assert_int_equal(r.family, FERRY_AF_INET6);

	parse_ok("allow log icmp-type 3 code 4 proto icmp", &r);
	assert_int_equal(r.icmp_type, 3);
	assert_int_equal(r.icmp_code, 4);
	assert_int_equal(r.flags, FERRY_RULE_F_LOG | FERRY_RULE_F_ICMP_TYPE |
				  FERRY_RULE_F_ICMP_CODE);

	parse_ok("allow proto icmpv6 icmp-type packet-too-big code 0", &r);
	assert_int_equal(r.icmp_type, 2);
	assert_int_equal(r.icmp_code, 0);
	assert_true(r.flags & FERRY_RULE_F_ICMP_CODE);

	parse_ok("allow proto icmpv6 icmp-type nd-neighbor-solicit", &r);
	assert_int_equal(r.icmp_type, 135);
	parse_ok("allow proto icmp icmp-type 255", &r);
	assert_int_equal(r.icmp_type, 255);

	/* every name resolves to its number, and only for its protocol */
	for (t = 0; t < 256; t++) {
		name = ferry_icmp_type_name(58, t);
		if (!name)
			continue;
		snprintf(text, sizeof(text), "deny proto icmpv6 icmp-type %s", name);
		parse_ok(text, &r);
		assert_int_equal(r.icmp_type, t);
	}
	for (t = 0; t < 256; t++) {
		name = ferry_icmp_type_name(1, t);
		if (!name)
			continue;
		snprintf(text, sizeof(text), "deny proto icmp icmp-type %s", name);
		parse_ok(text, &r);
		assert_int_equal(r.icmp_type, t);
	}
	assert_null(ferry_icmp_type_name(6, 8));
}

static void test_file(void **state)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"allow proto tcp dport 22   # ssh\n"
		"   \t\n"
		"deny log from 198.18.0.0/15 id 100\r\n"
		"allow proto icmp\n"
		"#allow everything\n"
		"deny";		/* no final newline */
	struct ferry_rule rules[4];
	char err[FERRY_RULES_ERR_MAX] = "";
	__u32 n = 0;

	assert_int_equal(ferry_rules_parse(text, "t", rules, 4, &n, err,
					   sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(rules[0].id, 3);
	assert_int_equal(rules[0].dport_lo, 22);
	assert_int_equal(rules[1].id, 100);
	assert_int_equal(rules[1].action, FERRY_ACT_DENY);
	assert_int_equal(rules[1].flags, FERRY_RULE_F_LOG);
	assert_int_equal(rules[2].id, 6);
	assert_int_equal(rules[3].id, 8);

	/* an empty file or only comments: no rules (default deny) */
	assert_int_equal(ferry_rules_parse("", "t", rules, 4, &n, err,
					   sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ferry_rules_parse("# x\n\n", "t", NULL, 0, &n, err,
					   sizeof(err)), 0);
	assert_int_equal(n, 0);
}

static void test_alloc(void **state)
{
	struct ferry_rule *rules = (void *)1;
	char err[FERRY_RULES_ERR_MAX];
	__u32 n = 7;

	assert_int_equal(ferry_rules_parse_alloc("allow\ndeny\n", NULL, &rules,
						 &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_non_null(rules);
	assert_int_equal(rules[1].action, FERRY_ACT_DENY);
	assert_int_equal(rules[1].id, 2);
	free(rules);

	assert_int_equal(ferry_rules_parse_alloc("# none\n", NULL, &rules, &n,
						 err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(rules);

	assert_int_equal(ferry_rules_parse_alloc("allow\nallw\n", NULL, &rules,
						 &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(n, 0);
	assert_null(rules);
	assert_string_equal(err, "<rules>:2: a rule starts with 'allow' or 'deny', not 'allw'");
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/ferry-test-rules.XXXXXX";
	struct ferry_rule rules[4], *all;
	char err[FERRY_RULES_ERR_MAX], want[FERRY_RULES_ERR_MAX];
	static const char bad[] = "allow\nallow proto tcp\0 dport 1\n";
	__u32 n;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("allow proto udp dport 53\n# x\ndeny zone 3\n", f);
	fclose(f);

	assert_int_equal(ferry_rules_read(path, rules, 4, &n, err,
					  sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rules[0].proto, 17);
	assert_int_equal(rules[1].zone, 3);
	assert_int_equal(rules[1].id, 3);

	assert_int_equal(ferry_rules_read_alloc(path, &all, &n, err,
						sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(all, rules, 2 * sizeof(*all));
	free(all);

	/* too many for the caller's array */
	assert_int_equal(ferry_rules_read(path, rules, 1, &n, err,
					  sizeof(err)), -E2BIG);
	snprintf(want, sizeof(want), "%s:3: too many rules: at most 1", path);
	assert_string_equal(err, want);

	/* a NUL byte inside a line */
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(bad, 1, sizeof(bad) - 1, f);
	fclose(f);
	assert_int_equal(ferry_rules_read(path, rules, 4, &n, err,
					  sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: NUL byte in the line", path);
	assert_string_equal(err, want);
	unlink(path);

	assert_int_equal(ferry_rules_read(path, rules, 4, &n, err,
					  sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(n, 0);
}

static void test_example_file(void **state)
{
	struct ferry_rule *rules;
	char err[FERRY_RULES_ERR_MAX] = "";
	__u32 n, i;

	if (ferry_rules_read_alloc(EXAMPLE_RULES, &rules, &n, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(n >= 10);
	for (i = 0; i < n; i++)
		assert_int_equal(ferry_rule_check(&rules[i], NULL, 0), 0);
	free(rules);
}

/* Canonical text: fixed option order, defaults left out, id always. */
static void test_format(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "allow", "allow id 1" },
		{ "deny id 9", "deny id 9" },
		{ "deny log zone any", "deny log id 1" },
		{ "allow zone 0", "allow zone 0 id 1" },
		{ "allow ip", "allow ip id 1" },
		{ "allow ip6 proto tcp", "allow ip6 proto tcp id 1" },
		{ "allow from 0.0.0.0/0", "allow ip id 1" },
		{ "allow to ::/0 proto udp", "allow ip6 proto udp id 1" },
		{ "allow ip from 198.18.0.0/15", "allow from 198.18.0.0/15 id 1" },
		{ "allow to 198.18.0.1/32", "allow to 198.18.0.1 id 1" },
		{ "allow to 2001:DB8:0:0::0/64", "allow to 2001:db8::/64 id 1" },
		{ "allow proto 6 dport 22-22", "allow proto tcp dport 22 id 1" },
		{ "allow proto tcp sport 0-65535", "allow proto tcp id 1" },
		{ "allow proto 99", "allow proto 99 id 1" },
		{ "allow proto any", "allow id 1" },
		{ "allow ip proto icmp", "allow proto icmp id 1" },
		{ "allow proto icmp icmp-type 8 code 0",
		  "allow proto icmp icmp-type echo-request code 0 id 1" },
		{ "allow proto icmpv6 icmp-type 200",
		  "allow proto icmpv6 icmp-type 200 id 1" },
		{ "allow id 5 dport 1-2 to 198.18.1.0/24 from 198.18.0.0/24 proto udp zone 3 log sport 7",
		  "allow log zone 3 proto udp from 198.18.0.0/24 to 198.18.1.0/24 sport 7 dport 1-2 id 5" },
	};
	struct ferry_rule r;
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i].in, &r);
		if (!r.id)
			r.id = 1;
		assert_format(&r, t[i].out);
	}
}

/* Many rules written in text: parse, format, parse gives the same. */
static void test_roundtrip_text(void **state)
{
	static const char *const t[] = {
		"allow",
		"deny log",
		"allow zone 4294967294 ip6",
		"allow proto tcp from 198.18.0.0/15 to 198.19.0.1 dport 22",
		"deny log zone 12 proto udp sport 53 dport 1024-65535",
		"allow proto tcp from 2001:db8::/32 to 2001:db8:ffff::/48 sport 1-1",
		"allow proto icmp icmp-type destination-unreachable code 4",
		"allow proto icmpv6 icmp-type nd-router-advert",
		"allow proto icmpv6 from fe80::/10",
		"allow proto 132 from 198.18.3.0/24",
		"allow ip6 proto 47",
		"deny from 0.0.0.0/1 to 128.0.0.0/1",
		"deny from ::/1 to 8000::/1 proto tcp dport 65535",
		"allow from 198.18.0.0/31 to 198.18.0.0/32 proto udp dport 0",
		"allow to 2001:db8::1:0:0:1 proto icmpv6 icmp-type 1 code 255",
		"allow id 4294967295 proto tcp",
		"deny zone 0 from 198.18.255.255",
	};
	char text[FERRY_RULE_TEXT_MAX];
	struct ferry_rule r, back;
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i], &r);
		if (!r.id)
			r.id = 1000 + i;
		assert_int_equal(ferry_rule_check(&r, NULL, 0), 0);
		assert_true(ferry_rule_format(&r, text, sizeof(text)) > 0);
		parse_ok(text, &back);
		assert_memory_equal(&back, &r, sizeof(r));
	}
}

static __u32 xorshift(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void random_prefix(__u32 *seed, __u8 family, __u32 addr[4],
			  __u32 mask[4])
{
	unsigned int bits = family == FERRY_AF_INET6 ? 128 : 32;
	unsigned int len = xorshift(seed) % (bits + 1), i;
	__u8 *a = (__u8 *)addr, *m = (__u8 *)mask;

	for (i = 0; i < len; i++)
		m[i / 8] |= 0x80 >> (i % 8);
	for (i = 0; i < 16; i++)
		a[i] = xorshift(seed) & m[i];
}

static void random_ports(__u32 *seed, __u16 *lo, __u16 *hi)
{
	__u16 a = xorshift(seed), b = xorshift(seed);

	switch (xorshift(seed) % 3) {
	case 0:
		*lo = 0;
		*hi = 65535;
		break;
	case 1:
		*lo = *hi = a;
		break;
	default:
		*lo = a < b ? a : b;
		*hi = a < b ? b : a;
	}
}

/* A random rule of the kind the parser makes. */
static void random_rule(__u32 *seed, struct ferry_rule *r)
{
	static const __u8 protos[] = { 0, 0, 6, 17, 1, 58, 47, 132, 99 };

	memset(r, 0, sizeof(*r));
	r->id = 1 + xorshift(seed) % 0xfffffffe;
	r->action = xorshift(seed) & 1;
	r->flags = xorshift(seed) & FERRY_RULE_F_LOG;
	r->zone = xorshift(seed) % 2 ? FERRY_ZONE_ANY : xorshift(seed) % 5;
	r->proto = protos[xorshift(seed) % sizeof(protos)];
	r->family = (__u8[]){ 0, FERRY_AF_INET, FERRY_AF_INET6 }[xorshift(seed) % 3];
	if (r->proto == 1)
		r->family = FERRY_AF_INET;
	if (r->proto == 58)
		r->family = FERRY_AF_INET6;
	if (r->family) {
		random_prefix(seed, r->family, r->src, r->src_mask);
		random_prefix(seed, r->family, r->dst, r->dst_mask);
	}
	r->sport_hi = r->dport_hi = 65535;
	if (r->proto == 6 || r->proto == 17) {
		random_ports(seed, &r->sport_lo, &r->sport_hi);
		random_ports(seed, &r->dport_lo, &r->dport_hi);
	}
	if ((r->proto == 1 || r->proto == 58) && xorshift(seed) % 2) {
		r->flags |= FERRY_RULE_F_ICMP_TYPE;
		r->icmp_type = xorshift(seed) % 2 ? xorshift(seed) : 3;
		if (xorshift(seed) % 2) {
			r->flags |= FERRY_RULE_F_ICMP_CODE;
			r->icmp_code = xorshift(seed);
		}
	}
}

static void test_roundtrip_random(void **state)
{
	char text[FERRY_RULE_TEXT_MAX], err[FERRY_RULES_ERR_MAX];
	struct ferry_rule r, back;
	__u32 seed = 0x5eed1234;
	size_t longest = 0;
	unsigned int i;
	int len;

	for (i = 0; i < 20000; i++) {
		random_rule(&seed, &r);
		if (ferry_rule_check(&r, err, sizeof(err)))
			fail_msg("generated rule rejected: %s", err);
		len = ferry_rule_format(&r, text, sizeof(text));
		assert_true(len > 0);
		if ((size_t)len > longest)
			longest = len;
		if (ferry_rule_parse(text, &back, err, sizeof(err)))
			fail_msg("'%s': %s", text, err);
		if (memcmp(&back, &r, sizeof(r)))
			fail_msg("'%s' does not parse back to the same rule", text);
	}
	print_message("longest canonical rule: %zu characters\n", longest);
}

/* The whole file form: write rules, read them back. */
static void test_roundtrip_file(void **state)
{
	struct ferry_rule rules[64], *back;
	char *buf = NULL;
	size_t size = 0;
	__u32 seed = 77, n, i;
	FILE *f;

	for (i = 0; i < 64; i++) {
		random_rule(&seed, &rules[i]);
		rules[i].id = 500 + i;
	}
	f = open_memstream(&buf, &size);
	assert_non_null(f);
	assert_int_equal(ferry_rules_write(f, rules, 64), 0);
	fclose(f);
	assert_int_equal(ferry_rules_parse_alloc(buf, "mem", &back, &n, NULL, 0), 0);
	assert_int_equal(n, 64);
	assert_memory_equal(back, rules, sizeof(rules));
	free(back);
	free(buf);
}

static void test_errors(void **state)
{
	static const struct { const char *in, *msg; } t[] = {
		/* the action */
		{ "log proto tcp", "a rule starts with 'allow' or 'deny', not 'log'" },
		{ "permit", "a rule starts with 'allow' or 'deny', not 'permit'" },
		{ "Allow", "a rule starts with 'allow' or 'deny', not 'Allow'" },
		{ "allow deny", "'deny': the action is already given" },
		/* keywords */
		{ "allow frm 198.18.0.0/15", "unknown keyword 'frm'" },
		{ "allow proto tcp dport 22 garbage", "unknown keyword 'garbage'" },
		{ "allow proto tcp dport 22 23", "unknown keyword '23'" },
		{ "allow proto tcp,udp", "bad proto 'tcp,udp': must be 1-255, 'any' or a name (tcp, udp, icmp, icmpv6, ...)" },
		/* truncated */
		{ "allow proto", "'proto' needs a value" },
		{ "allow proto tcp dport", "'dport' needs a value" },
		{ "allow from", "'from' needs a value" },
		{ "allow zone   # later", "'zone' needs a value" },
		{ "allow proto icmp icmp-type", "'icmp-type' needs a value" },
		/* duplicates */
		{ "allow proto tcp proto udp", "duplicate 'proto'" },
		{ "allow log log", "duplicate 'log'" },
		{ "allow from any from 198.18.0.1", "duplicate 'from'" },
		{ "allow id 1 id 1", "duplicate 'id'" },
		{ "allow ip ip6", "'ip6': the address family is already given" },
		{ "allow ip ip", "'ip': the address family is already given" },
		/* numbers */
		{ "allow proto tcp dport 70000", "bad port '70000': must be 0-65535" },
		{ "allow proto tcp dport 99999999999999999999", "bad port '99999999999999999999': must be 0-65535" },
		{ "allow proto tcp sport 1-65536", "bad port '65536': must be 0-65535" },
		{ "allow proto tcp dport 22x", "bad port '22x': not a number" },
		{ "allow proto tcp dport +22", "bad port '+22': not a number" },
		{ "allow proto tcp dport 0x16", "bad port '0x16': not a number" },
		{ "allow proto tcp dport 90-80", "port range 90-80 is empty" },
		{ "allow proto tcp sport 80-", "bad port range '80-': must be P or P-Q" },
		{ "allow proto tcp sport -80", "bad port range '-80': must be P or P-Q" },
		{ "allow proto tcp sport 1-2-3", "bad port '2-3': not a number" },
		{ "allow proto 256", "bad proto '256': must be 1-255, 'any' or a name (tcp, udp, icmp, icmpv6, ...)" },
		{ "allow proto 0", "bad proto '0': must be 1-255, 'any' or a name (tcp, udp, icmp, icmpv6, ...)" },
		{ "allow zone 4294967295", "bad zone '4294967295': must be 0-4294967294 or 'any'" },
		{ "allow zone -1", "bad zone '-1': must be 0-4294967294 or 'any'" },
		{ "allow id 0", "bad id '0': must be 1-4294967295" },
		{ "allow id 4294967296", "bad id '4294967296': must be 1-4294967295" },
		{ "allow id seven", "bad id 'seven': must be 1-4294967295" },
		{ "allow proto icmp icmp-type 256", "bad icmp-type '256': must be 0-255 or a name" },
		{ "allow proto icmp icmp-type 3 code 256", "bad icmp code '256': must be 0-255" },
		{ "allow proto icmpv6 icmp-type echo-requst", "unknown icmpv6 type 'echo-requst'" },
		{ "allow proto icmp icmp-type nd-neighbor-solicit", "unknown icmp type 'nd-neighbor-solicit'" },
		/* prefixes */
		{ "allow from 198.18.0.0/33", "bad prefix '198.18.0.0/33': length must be 0-32" },
		{ "allow to 2001:db8::/129", "bad prefix '2001:db8::/129': length must be 0-128" },
		{ "allow from 198.18.0.0/", "bad prefix '198.18.0.0/': length '' is not a number" },
		{ "allow from 198.18.0.0/1x", "bad prefix '198.18.0.0/1x': length '1x' is not a number" },
		{ "allow from 198.18.0.0/-1", "bad prefix '198.18.0.0/-1': length '-1' is not a number" },
		{ "allow from 198.18.0.300", "bad prefix '198.18.0.300': '198.18.0.300' is not an IPv4 address" },
		{ "allow from 198.18.0", "bad prefix '198.18.0': '198.18.0' is not an IPv4 address" },
		{ "allow to 2001:db8::g/64", "bad prefix '2001:db8::g/64': '2001:db8::g' is not an IPv6 address" },
		{ "allow to fe80::1%eth0", "bad prefix 'fe80::1%eth0': 'fe80::1%eth0' is not an IPv6 address" },
		{ "allow from 198.18.0.1/24", "bad prefix '198.18.0.1/24': host bits set (the network is 198.18.0.0/24)" },
		{ "allow from 2001:db8::1/64", "bad prefix '2001:db8::1/64': host bits set (the network is 2001:db8::/64)" },
		{ "allow from 1111:2222:3333:4444:5555:6666:7777:8888:9999/128", "bad prefix '1111:2222:3333:4444:5555:6666:7777:8888:9999/128': '1111:2222:3333:4444:5555:6666:7777:8888:9999' is not an IPv6 address" },
		{ "allow from 1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8:1:2:3:4:5:6/1", "bad prefix '1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8:1:2:3:4:5:6/1': too long for an address" },
		/* families */
		{ "allow from 198.18.0.1 to 2001:db8::1", "family conflict: 'from 198.18.0.1' is IPv4 but 'to 2001:db8::1' is IPv6" },
		{ "allow ip to 2001:db8::/32", "family conflict: 'ip' is IPv4 but 'to 2001:db8::/32' is IPv6" },
		{ "allow to 198.18.0.0/15 ip6", "family conflict: 'to 198.18.0.0/15' is IPv4 but 'ip6' is IPv6" },
		{ "allow ip6 proto icmp", "family conflict: 'ip6' is IPv6 but 'proto icmp' is IPv4" },
		{ "allow from 198.18.0.0/15 proto 58", "family conflict: 'from 198.18.0.0/15' is IPv4 but 'proto 58' is IPv6" },
		/* options that need others */
		{ "allow sport 53", "'sport' needs proto tcp or udp" },
		{ "allow proto icmp dport 22", "'dport' needs proto tcp or udp" },
		{ "allow proto any dport 22", "'dport' needs proto tcp or udp" },
		{ "allow proto tcp icmp-type echo-request", "'icmp-type' needs proto icmp or icmpv6" },
		{ "allow icmp-type 8", "'icmp-type' needs proto icmp or icmpv6" },
		{ "allow proto icmp code 3", "'code' needs 'icmp-type'" },
	};
	char in[256], msg[FERRY_RULES_ERR_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(in, sizeof(in), "%s\n", t[i].in);
		snprintf(msg, sizeof(msg), "rules.conf:1: %s", t[i].msg);
		file_err(in, -EINVAL, msg);
		/* the same without a file: the bare message */
		struct ferry_rule r;
		char err[FERRY_RULES_ERR_MAX] = "";

		assert_int_equal(ferry_rule_parse(t[i].in, &r, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, t[i].msg);
	}
	print_message("%u malformed rules rejected with their message\n", i);
}

static void test_errors_in_file(void **state)
{
	char long_tok[200], in[300], msg[FERRY_RULES_ERR_MAX];
	struct ferry_rule r;
	char err[FERRY_RULES_ERR_MAX];

	/* the line number counts blank and comment lines */
	file_err("allow\n\n# comment\nallow frm x\n", -EINVAL,
		 "rules.conf:4: unknown keyword 'frm'");
	file_err("allow\r\ndeny proto tcp dport 90-80\r\n", -EINVAL,
		 "rules.conf:2: port range 90-80 is empty");
	file_err("allow id 7\ndeny id 7\n", -EINVAL,
		 "rules.conf:2: duplicate id 7: line 1 has it too");
	file_err("allow id 3\nallow\nallow\n", -EINVAL,
		 "rules.conf:3: duplicate id 3 (this rule's line number): line 1 has it too; give this rule an explicit 'id'");
	file_err("allow\nallow\nallow id 2\n", -EINVAL,
		 "rules.conf:3: duplicate id 2: line 2 has it too");
	file_err("allow\nallow\nallow\nallow\nallow\nallow\nallow\nallow\nallow\n",
		 -E2BIG, "rules.conf:9: too many rules: at most 8");

	/* a long token is cut in the message */
	memset(long_tok, 'a', sizeof(long_tok) - 1);
	long_tok[sizeof(long_tok) - 1] = '\0';
	snprintf(in, sizeof(in), "allow %s", long_tok);
	snprintf(msg, sizeof(msg), "rules.conf:1: unknown keyword '%.64s'", long_tok);
	file_err(in, -EINVAL, msg);

	/* an empty single rule */
	assert_int_equal(ferry_rule_parse("  # nothing", &r, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "empty rule");

	/* no buffer: logged, still refused */
	assert_int_equal(ferry_rule_parse("allow frm", &r, NULL, 0), -EINVAL);
	assert_int_equal(ferry_rules_parse("deny\nallow to 198.18.0.0/33\n",
					   "rules.conf", &r, 1, &(__u32){ 0 },
					   NULL, 0), -EINVAL);
}

static void test_too_many_rules(void **state)
{
	size_t size = (FERRY_MAX_RULES + 1) * 7 + 1, i;
	char *text = malloc(size), err[FERRY_RULES_ERR_MAX] = "";
	struct ferry_rule *rules;
	__u32 n;

	assert_non_null(text);
	for (i = 0; i < FERRY_MAX_RULES + 1; i++)
		memcpy(text + 7 * i, "allow \n", 7);
	text[7 * FERRY_MAX_RULES] = '\0';
	assert_int_equal(ferry_rules_parse_alloc(text, "rules.conf", &rules, &n,
						 err, sizeof(err)), 0);
	assert_int_equal(n, FERRY_MAX_RULES);
	assert_int_equal(rules[FERRY_MAX_RULES - 1].id, FERRY_MAX_RULES);
	free(rules);

	memcpy(text + 7 * FERRY_MAX_RULES, "allow \n", 8);
	assert_int_equal(ferry_rules_parse_alloc(text, "rules.conf", &rules, &n,
						 err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "rules.conf:4097: too many rules: at most 4096");
	assert_null(rules);
	assert_int_equal(n, 0);
	free(text);
}

static struct ferry_rule base_rule(void)
{
	return (struct ferry_rule){ .id = 1, .zone = FERRY_ZONE_ANY,
				    .sport_hi = 65535, .dport_hi = 65535 };
}

static void check_rejects(const struct ferry_rule *r, const char *msg)
{
	char err[FERRY_RULES_ERR_MAX] = "", text[FERRY_RULE_TEXT_MAX];

	assert_int_equal(ferry_rule_check(r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	assert_int_equal(ferry_rule_format(r, text, sizeof(text)), -EINVAL);
	assert_string_equal(text, msg);
}

static void test_check(void **state)
{
	struct ferry_rule r;

	r = base_rule();
	assert_int_equal(ferry_rule_check(&r, NULL, 0), 0);
	r.id = 0;
	check_rejects(&r, "id 0 is reserved");
	r = base_rule();
	r.action = 2;
	check_rejects(&r, "unknown action 2");
	r = base_rule();
	r.flags = 0x80;
	check_rejects(&r, "unknown flags 0x80");
	r = base_rule();
	r.family = 7;
	check_rejects(&r, "unknown family 7");
	r = base_rule();
	r.pad[3] = 1;
	check_rejects(&r, "padding is not zero");
	r = base_rule();
	r.family = FERRY_AF_INET;
	r.src_mask[0] = htonl(0xff00ff00);
	check_rejects(&r, "'from' mask is not a prefix mask");
	r.src_mask[0] = htonl(0xffffff00);
	r.src[0] = htonl(0xc6120001);
	check_rejects(&r, "'from' address has bits outside its mask");
	r = base_rule();
	r.dst_mask[0] = htonl(0xff000000);
	check_rejects(&r, "'to' prefix but no family");
	r.family = FERRY_AF_INET;
	r.dst_mask[1] = 0xffffffff;
	r.dst_mask[0] = 0xffffffff;
	check_rejects(&r, "'to' prefix longer than 32 bits in an IPv4 rule");
	r = base_rule();
	r.dport_lo = 80;
	check_rejects(&r, "ports need proto tcp or udp");
	r.proto = 6;
	r.dport_hi = 79;
	check_rejects(&r, "empty port range");
	r = base_rule();
	r.proto = 1;
	check_rejects(&r, "proto icmp needs family ip");
	r.proto = 58;
	check_rejects(&r, "proto icmpv6 needs family ip6");
	r = base_rule();
	r.flags = FERRY_RULE_F_ICMP_TYPE;
	check_rejects(&r, "icmp type needs proto icmp or icmpv6");
	r.proto = 1;
	r.family = FERRY_AF_INET;
	r.flags = FERRY_RULE_F_ICMP_CODE;
	check_rejects(&r, "icmp code needs a type");
	r.flags = 0;
	r.icmp_type = 3;
	check_rejects(&r, "icmp type or code set without its flag");
}

static void test_format_space(void **state)
{
	struct ferry_rule r;
	char text[FERRY_RULE_TEXT_MAX];

	parse_ok("allow proto tcp dport 22 id 12", &r);
	assert_int_equal(ferry_rule_format(&r, text, sizeof(text)), 30);
	assert_int_equal(ferry_rule_format(&r, text, 31), 30);
	assert_int_equal(ferry_rule_format(&r, text, 30), -ENOSPC);
	assert_int_equal(ferry_rule_format(&r, text, 1), -ENOSPC);
	assert_int_equal(ferry_rule_format(&r, NULL, 0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action),
		cmocka_unit_test(test_log_zone_id),
		cmocka_unit_test(test_family_proto),
		cmocka_unit_test(test_prefix_v4),
		cmocka_unit_test(test_prefix_v4_every_length),
		cmocka_unit_test(test_prefix_v6),
		cmocka_unit_test(test_prefix_v6_every_length),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_roundtrip_text),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_roundtrip_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_in_file),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_format_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
