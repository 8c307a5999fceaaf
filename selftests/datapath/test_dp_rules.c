// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The policy for new flows: every rule field, order, default deny, swaps. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "dpt_assert.h"

static const struct pkt_spec udp4 = {
	.saddr = "198.18.1.10", .daddr = "198.18.2.20",
	.proto = IPPROTO_UDP, .sport = 5000, .dport = 53,
};
static const struct pkt_spec tcp6 = {
	.saddr = "2001:db8:1::10", .daddr = "2001:db8:2::20",
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
	.tcp_flags = PKT_TCP_SYN, .seq = 1,
};
static const struct pkt_spec ping4 = {
	.saddr = "198.18.1.10", .daddr = "198.18.2.20",
	.proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 9,
};

/* Install the one rule r (allow unless set), flush flows, send s. */
#define assert_rule(d, r, s, why) do {					\
	assert_int_equal(dpt_set_rules((d), (r), 1), 0);		\
	assert_int_equal(dpt_flow_flush(d), 0);				\
	assert_send((d), (s), (why) < FERRY_DROP_NO_RULE ? XDP_PASS : XDP_DROP, (why)); \
} while (0)

static struct ferry_rule allow(void)
{
	struct ferry_rule r;

	dpt_rule_init(&r, 42, FERRY_ACT_ALLOW);
	return r;
}

static void test_default_deny(void **state)
{
	struct dpt *d = *state;
	struct ferry_flow f;

	assert_drop(d, &udp4, FERRY_DROP_NO_RULE);
	assert_drop(d, &tcp6, FERRY_DROP_NO_RULE);
	assert_drop(d, &ping4, FERRY_DROP_NO_RULE);
	/* an empty rule set denies as well */
	assert_int_equal(dpt_set_rules(d, NULL, 0), 0);
	assert_drop(d, &udp4, FERRY_DROP_NO_RULE);
	assert_int_equal(dpt_flow(d, 0, &udp4, &f, NULL), -ENOENT);
	assert_int_equal(dpt_reason_count(d, FERRY_DROP_NO_RULE), 4);
}

static void test_allow_records_rule_id(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();
	struct ferry_flow f;

	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow(d, 0, &udp4, &f, NULL), 0);
	assert_int_equal(f.rule_id, 42);
}

static void test_deny_action(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();

	r.action = FERRY_ACT_DENY;
	assert_rule(d, &r, &udp4, FERRY_DROP_RULE);
	assert_int_equal(dpt_flow_count(d), 0);
}

static void test_zone(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();

	r.zone = 7;
	assert_rule(d, &r, &udp4, FERRY_DROP_NO_RULE);	/* lo: zone 0 */
	assert_int_equal(dpt_set_zone(d, d->ifindex, 0, 7), 0);
	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
	r.zone = FERRY_ZONE_ANY;
	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
}

static void test_family(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();

	r.family = FERRY_AF_INET6;
	assert_rule(d, &r, &udp4, FERRY_DROP_NO_RULE);
	assert_rule(d, &r, &tcp6, FERRY_PASS_NEW);
	r.family = FERRY_AF_INET;
	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
	assert_rule(d, &r, &tcp6, FERRY_DROP_NO_RULE);
}

static void test_proto(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();

	r.proto = IPPROTO_TCP;
	assert_rule(d, &r, &udp4, FERRY_DROP_NO_RULE);
	assert_rule(d, &r, &tcp6, FERRY_PASS_NEW);
	r.proto = IPPROTO_UDP;
	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
	assert_rule(d, &r, &ping4, FERRY_DROP_NO_RULE);
}

static void test_prefix_v4(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();

	assert_int_equal(dpt_rule_prefix(&r, 1, "198.18.1.0/24"), 0);
	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
	assert_int_equal(dpt_rule_prefix(&r, 1, "198.18.1.11/32"), 0);
	assert_rule(d, &r, &udp4, FERRY_DROP_NO_RULE);
	r = allow();
	assert_int_equal(dpt_rule_prefix(&r, 0, "198.18.2.16/28"), 0);
	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
	assert_int_equal(dpt_rule_prefix(&r, 0, "198.18.2.32/28"), 0);
	assert_rule(d, &r, &udp4, FERRY_DROP_NO_RULE);
	/* a v4 prefix never matches v6 */
	assert_int_equal(dpt_rule_prefix(&r, 0, "0.0.0.0/0"), 0);
	assert_rule(d, &r, &tcp6, FERRY_DROP_NO_RULE);
}

static void test_prefix_v6(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();

	assert_int_equal(dpt_rule_prefix(&r, 1, "2001:db8:1::/48"), 0);
	assert_rule(d, &r, &tcp6, FERRY_PASS_NEW);
	assert_int_equal(dpt_rule_prefix(&r, 1, "2001:db8:3::/48"), 0);
	assert_rule(d, &r, &tcp6, FERRY_DROP_NO_RULE);
	r = allow();
	assert_int_equal(dpt_rule_prefix(&r, 0, "2001:db8:2::20/128"), 0);
	assert_rule(d, &r, &tcp6, FERRY_PASS_NEW);
	/* a bit set past the first 64: /127 excludes ::21 but not ::20 */
	assert_int_equal(dpt_rule_prefix(&r, 0, "2001:db8:2::22/127"), 0);
	assert_rule(d, &r, &tcp6, FERRY_DROP_NO_RULE);
	assert_rule(d, &r, &udp4, FERRY_DROP_NO_RULE);
}

static void test_port_ranges(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();

	r.proto = IPPROTO_UDP;
	r.dport_lo = 53;
	r.dport_hi = 53;
	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
	r.dport_lo = 54;
	r.dport_hi = 100;
	assert_rule(d, &r, &udp4, FERRY_DROP_NO_RULE);
	r = allow();
	r.proto = IPPROTO_UDP;
	r.sport_lo = 4000;
	r.sport_hi = 5000;	/* inclusive */
	assert_rule(d, &r, &udp4, FERRY_PASS_NEW);
	r.sport_hi = 4999;
	assert_rule(d, &r, &udp4, FERRY_DROP_NO_RULE);
	r.proto = IPPROTO_TCP;
	r.sport_lo = 40000;
	r.sport_hi = 40000;
	assert_rule(d, &r, &tcp6, FERRY_PASS_NEW);
	/* Ports mean nothing to ICMP: a port rule without a protocol would
	 * let every ICMP packet through, so such a rule is refused whole and
	 * the rule set in force stays. */
	r.proto = 0;
	assert_int_equal(dpt_set_rules(d, &r, 1), -EINVAL);
	assert_drop(d, &ping4, FERRY_DROP_NO_RULE);
}

static void test_icmp_type_code(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();
	struct pkt_spec ts = ping4;

	r.family = FERRY_AF_INET;
	r.proto = IPPROTO_ICMP;
	r.flags = FERRY_RULE_F_ICMP_TYPE;
	r.icmp_type = 8;
	assert_rule(d, &r, &ping4, FERRY_PASS_NEW);
	ts.icmp_type = 13;	/* timestamp request */
	assert_rule(d, &r, &ts, FERRY_DROP_NO_RULE);
	r.flags |= FERRY_RULE_F_ICMP_CODE;
	r.icmp_code = 1;
	assert_rule(d, &r, &ping4, FERRY_DROP_NO_RULE);
	r.icmp_code = 0;
	assert_rule(d, &r, &ping4, FERRY_PASS_NEW);
	/* without the flags, any type and code match */
	r.flags = 0;
	r.icmp_type = 0;
	r.icmp_code = 0;
	assert_rule(d, &r, &ts, FERRY_PASS_NEW);
}

static void test_first_match_wins(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r[3];
	struct ferry_flow f;

	dpt_rule_init(&r[0], 1, FERRY_ACT_DENY);
	r[0].proto = IPPROTO_TCP;
	dpt_rule_init(&r[1], 2, FERRY_ACT_ALLOW);
	r[1].proto = IPPROTO_UDP;
	r[1].dport_lo = r[1].dport_hi = 53;
	dpt_rule_init(&r[2], 3, FERRY_ACT_DENY);
	assert_int_equal(dpt_set_rules(d, r, 3), 0);
	assert_drop(d, &tcp6, FERRY_DROP_RULE);
	assert_pass(d, &udp4, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow(d, 0, &udp4, &f, NULL), 0);
	assert_int_equal(f.rule_id, 2);
	assert_drop(d, &ping4, FERRY_DROP_RULE);
	/* the same rules in another order */
	r[0].action = FERRY_ACT_ALLOW;
	r[2].action = FERRY_ACT_ALLOW;
	r[1].action = FERRY_ACT_DENY;
	assert_int_equal(dpt_set_rules(d, r, 3), 0);
	assert_int_equal(dpt_flow_flush(d), 0);
	assert_drop(d, &udp4, FERRY_DROP_RULE);
	assert_pass(d, &ping4, FERRY_PASS_NEW);
}

/* A new rule set applies to new flows at once; tracked flows stay. */
static void test_ruleset_replacement(void **state)
{
	struct dpt *d = *state;
	struct ferry_rule r = allow();
	struct pkt_spec other = udp4, reply;

	assert_int_equal(dpt_set_rules(d, &r, 1), 0);
	assert_pass(d, &udp4, FERRY_PASS_NEW);
	r.action = FERRY_ACT_DENY;
	assert_int_equal(dpt_set_rules(d, &r, 1), 0);
	other.sport = 5001;
	assert_drop(d, &other, FERRY_DROP_RULE);
	pkt_reverse(&udp4, &reply);
	assert_pass(d, &reply, FERRY_PASS_ESTABLISHED);
	assert_int_equal(dpt_set_rules(d, NULL, 0), 0);
	assert_drop(d, &other, FERRY_DROP_NO_RULE);
	r.action = FERRY_ACT_ALLOW;
	assert_int_equal(dpt_set_rules(d, &r, 1), 0);
	assert_pass(d, &other, FERRY_PASS_NEW);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup_norules, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_default_deny),
		T(test_allow_records_rule_id),
		T(test_deny_action),
		T(test_zone),
		T(test_family),
		T(test_proto),
		T(test_prefix_v4),
		T(test_prefix_v6),
		T(test_port_ranges),
		T(test_icmp_type_code),
		T(test_first_match_wins),
		T(test_ruleset_replacement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
