// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The userspace policy (user/lib/policy.c, which an import uses to re-check
 * flows against the local rules) decides exactly as the datapath does:
 * random rule sets, written as text and parsed by the rule language, and
 * random first packets, through both; every verdict and rule id must agree.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "dpt_assert.h"
#include "policy.h"
#include "rules.h"

#define RULE_SETS	40
#define PACKETS		150
#define MAX_RULES	24

static unsigned int seed = 20261125;

static unsigned int rnd(unsigned int n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

/* Addresses come from small pools so that rules and packets meet. */
static const char *const addr4[] = { "198.18.0.1", "198.18.0.2", "198.18.1.1",
				     "198.18.1.200", "198.19.255.1" };
static const char *const addr6[] = { "2001:db8::1", "2001:db8::2", "2001:db8:1::1",
				     "2001:db8:1:0:8000::1", "2001:db8:ffff::1" };
static const char *const net4[] = { "198.18.0.0/24", "198.18.0.2", "198.18.0.0/15",
				    "198.18.1.128/25", "0.0.0.0/0" };
static const char *const net6[] = { "2001:db8::/64", "2001:db8::2", "2001:db8::/32",
				    "2001:db8:1::/48", "2001:db8:1:0:8000::/65" };
static const __u16 ports[] = { 22, 53, 80, 443, 1024, 40000, 65535 };

static void port_range(char *buf, size_t len)
{
	__u16 a = ports[rnd(7)], b = ports[rnd(7)];

	if (a > b) {
		__u16 t = a;

		a = b;
		b = t;
	}
	if (a == b)
		snprintf(buf, len, "%u", a);
	else
		snprintf(buf, len, "%u-%u", a, b);
}

/* One random rule as text. */
static void rule_text(char *buf, size_t len)
{
	int v6 = rnd(2), proto = rnd(4);	/* any, tcp, udp, icmp */
	char range[32];
	size_t off;

	off = snprintf(buf, len, "%s", rnd(3) ? "allow" : "deny");
	if (rnd(3) == 0)
		off += snprintf(buf + off, len - off, " zone %u", rnd(3));
	if (proto == 1 || proto == 2)
		off += snprintf(buf + off, len - off, " proto %s",
				proto == 1 ? "tcp" : "udp");
	else if (proto == 3)
		off += snprintf(buf + off, len - off, " proto %s",
				v6 ? "icmpv6" : "icmp");
	if (rnd(2))
		off += snprintf(buf + off, len - off, " from %s",
				v6 ? net6[rnd(5)] : net4[rnd(5)]);
	if (rnd(2))
		off += snprintf(buf + off, len - off, " to %s",
				v6 ? net6[rnd(5)] : net4[rnd(5)]);
	if ((proto == 1 || proto == 2) && rnd(2)) {
		port_range(range, sizeof(range));
		off += snprintf(buf + off, len - off, " dport %s", range);
	}
	if ((proto == 1 || proto == 2) && rnd(3) == 0) {
		port_range(range, sizeof(range));
		off += snprintf(buf + off, len - off, " sport %s", range);
	}
	if (proto == 3 && rnd(2))
		off += snprintf(buf + off, len - off, " icmp-type %u",
				v6 ? 128 : 8);
	if (proto == 0 && rnd(4) == 0)
		snprintf(buf + off, len - off, " %s", v6 ? "ip6" : "ip");
}

/* A random first packet: a SYN, a UDP datagram or an echo request. */
static void packet(struct pkt_spec *s, struct ferry_policy_pkt *p, int i)
{
	int v6 = rnd(2), kind = rnd(3);
	const char *src = v6 ? addr6[rnd(5)] : addr4[rnd(5)];
	const char *dst = v6 ? addr6[rnd(5)] : addr4[rnd(5)];
	int af = v6 ? AF_INET6 : AF_INET;

	memset(s, 0, sizeof(*s));
	memset(p, 0, sizeof(*p));
	s->saddr = src;
	s->daddr = dst;
	p->family = v6 ? FERRY_AF_INET6 : FERRY_AF_INET;
	inet_pton(af, src, p->saddr);
	inet_pton(af, dst, p->daddr);
	if (kind == 0 || kind == 1) {
		s->proto = kind == 0 ? IPPROTO_TCP : IPPROTO_UDP;
		s->sport = rnd(2) ? ports[rnd(7)] : 30000 + i;
		s->dport = ports[rnd(7)];
		s->tcp_flags = PKT_TCP_SYN;
		s->seq = 1000;
		p->sport = s->sport;
		p->dport = s->dport;
	} else {
		s->proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		s->icmp_type = v6 ? 128 : 8;
		s->icmp_id = 100 + i;
		p->icmp_type = s->icmp_type;
	}
	p->proto = s->proto;
}

static void test_policy_equivalence(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule rules[MAX_RULES];
	unsigned int set, i, checked = 0, allowed = 0, denied = 0, none = 0;
	char text[MAX_RULES * 160], line[160], err[FERRY_RULES_ERR_MAX];

	for (set = 0; set < RULE_SETS; set++) {
		unsigned int n = 1 + rnd(MAX_RULES);
		size_t off = 0;
		__u32 count;

		for (i = 0; i < n; i++) {
			rule_text(line, sizeof(line));
			off += snprintf(text + off, sizeof(text) - off, "%s\n", line);
		}
		assert_int_equal(ferry_rules_parse(text, "random", rules, MAX_RULES,
						   &count, err, sizeof(err)), 0);
		assert_int_equal(dpt_set_rules(d, rules, count), 0);
		for (i = 0; i < PACKETS; i++) {
			struct ferry_policy_pkt p;
			const struct ferry_rule *r;
			struct pkt_spec s;
			int reason, want;

			packet(&s, &p, i);
			p.zone = 0;
			assert_int_equal(dpt_flow_flush(d), 0);
			dpt_send(d, &s, &reason);
			r = ferry_policy_first(rules, count, &p);
			want = !r ? FERRY_DROP_NO_RULE :
			       r->action == FERRY_ACT_ALLOW ? FERRY_PASS_NEW :
							      FERRY_DROP_RULE;
			if (reason != want)
				fail_msg("rule set %u packet %u (%s -> %s proto %u): "
					 "datapath %s, userspace %s\n%s", set, i,
					 s.saddr, s.daddr, s.proto,
					 ferry_reason_name(reason),
					 ferry_reason_name(want), text);
			if (want == FERRY_PASS_NEW) {
				struct ferry_flow f;

				assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), 0);
				assert_int_equal(f.rule_id, r->id);
			}
			allowed += want == FERRY_PASS_NEW;
			denied += want == FERRY_DROP_RULE;
			none += want == FERRY_DROP_NO_RULE;
			checked++;
		}
	}
	printf("%u first packets: %u allowed, %u denied by a rule, %u by default\n",
	       checked, allowed, denied, none);
	/* the random sets must exercise all three outcomes */
	assert_true(allowed > 100 && denied > 100 && none > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy_equivalence,
						dpt_setup_norules, dpt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
