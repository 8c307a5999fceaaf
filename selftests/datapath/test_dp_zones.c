// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* IPv6 extension headers, VLAN tags, zones per interface and VLAN. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "dpt_assert.h"

static __u32 ifx[2];	/* veth interfaces dpt0, dpt1 */

static const struct pkt_spec tcp4 = {
	.saddr = "198.18.0.1", .daddr = "198.18.0.2",
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
};

static void test_ipv6_extension_headers(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = "2001:db8::1", .daddr = "2001:db8::2",
		.next = 4, .ext = {
			{ .type = IPPROTO_HOPOPTS },
			{ .type = IPPROTO_DSTOPTS, .len = 16 },
			{ .type = IPPROTO_ROUTING, .len = 24 },
			{ .type = IPPROTO_FRAGMENT },	/* atomic: offset 0, M 0 */
		},
		.proto = IPPROTO_TCP, .sport = 40000, .dport = 22,
	};
	struct pkt_spec r;
	struct ferry_flow f;

	s = dpt_seg(&s, 0, PKT_TCP_SYN, 100, 0, 0);
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT);
	/* l3_len counts the extension headers: 40 + 8 + 16 + 24 + 8 + 20 */
	assert_int_equal(f.bytes[FERRY_DIR_ORIG], 116);
	r = dpt_seg(&s, 1, PKT_TCP_SYN | PKT_TCP_ACK, 900, 101, 0);
	r.next = 0;	/* the answer without extension headers */
	assert_pass(d, &r, FERRY_PASS_ESTABLISHED);
	s = dpt_seg(&s, 0, PKT_TCP_ACK, 101, 901, 10);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
}

static void test_ipv6_udp_with_hop_by_hop(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = "2001:db8::1", .daddr = "2001:db8::2",
		.next = 1, .ext = { { .type = IPPROTO_HOPOPTS, .len = 8 } },
		.proto = IPPROTO_UDP, .sport = 1000, .dport = 2000,
		.payload_len = 10,
	};
	struct ferry_flow f;

	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &s, &f, FERRY_UDP_UNREPLIED);
	assert_int_equal(f.bytes[FERRY_DIR_ORIG], 40 + 8 + 8 + 10);
}

/* Zone of (interface, VLAN); a VLAN without its own entry takes the
 * interface's; an interface without any entry is zone 0. */
static void test_vlan_zones(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = dpt_seg(&tcp4, 0, PKT_TCP_SYN, 1, 0, 0);
	struct ferry_flow f;

	assert_int_equal(dpt_set_zone(d, ifx[0], 0, 3), 0);
	assert_int_equal(dpt_set_zone(d, ifx[0], 100, 5), 0);
	s.nvlan = 1;
	s.vlan[0] = 100;
	assert_send_on(d, &s, ifx[0], XDP_PASS, FERRY_PASS_NEW);
	assert_flow_state(d, 5, &s, &f, FERRY_TCP_SYN_SENT);
	s.vlan[0] = 200;
	assert_send_on(d, &s, ifx[0], XDP_PASS, FERRY_PASS_NEW);
	assert_flow_state(d, 3, &s, &f, FERRY_TCP_SYN_SENT);
	s.nvlan = 0;
	assert_send_on(d, &s, ifx[0], XDP_PASS, FERRY_PASS_ESTABLISHED);
	assert_int_equal(dpt_flow(d, 3, &s, &f, NULL), 0);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 2);
	assert_send_on(d, &s, ifx[1], XDP_PASS, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT);
	assert_int_equal(dpt_flow_count(d), 3);
}

/* QinQ: the inner (customer) tag decides. */
static void test_double_tag(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = dpt_seg(&tcp4, 0, PKT_TCP_SYN, 1, 0, 0);
	struct ferry_flow f;

	assert_int_equal(dpt_set_zone(d, ifx[0], 10, 9), 0);
	s.nvlan = 2;
	s.vlan_tpid[0] = 0x88a8;
	s.vlan[0] = 300;
	s.vlan[1] = 10;
	assert_send_on(d, &s, ifx[0], XDP_PASS, FERRY_PASS_NEW);
	assert_flow_state(d, 9, &s, &f, FERRY_TCP_SYN_SENT);
}

/* The same tuple in two zones: two flows that know nothing of each other. */
static void test_overlapping_addresses(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = dpt_seg(&tcp4, 0, PKT_TCP_SYN, 1000, 0, 0);
	struct ferry_flow f;

	assert_int_equal(dpt_set_zone(d, ifx[0], 0, 1), 0);
	assert_int_equal(dpt_set_zone(d, ifx[1], 0, 2), 0);
	assert_send_on(d, &s, ifx[0], XDP_PASS, FERRY_PASS_NEW);
	assert_send_on(d, &s, ifx[1], XDP_PASS, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow_count(d), 2);
	/* the handshake completes in zone 2 only */
	s = dpt_seg(&tcp4, 1, PKT_TCP_SYN | PKT_TCP_ACK, 5000, 1001, 0);
	assert_send_on(d, &s, ifx[1], XDP_PASS, FERRY_PASS_ESTABLISHED);
	s = dpt_seg(&tcp4, 0, PKT_TCP_ACK, 1001, 5001, 0);
	assert_send_on(d, &s, ifx[1], XDP_PASS, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 2, &s, &f, FERRY_TCP_ESTABLISHED);
	assert_flow_state(d, 1, &s, &f, FERRY_TCP_SYN_SENT);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 0);
	/* zone 2's data is no packet of zone 1's flow */
	s = dpt_seg(&tcp4, 0, PKT_TCP_ACK, 1001, 5001, 100);
	assert_send_on(d, &s, ifx[0], XDP_DROP, FERRY_DROP_INVALID);
	/* a zone rule applies to its zone only */
	{
		struct ferry_rule r;

		dpt_rule_init(&r, 5, FERRY_ACT_ALLOW);
		r.zone = 2;
		assert_int_equal(dpt_set_rules(d, &r, 1), 0);
	}
	s = dpt_seg(&tcp4, 0, PKT_TCP_SYN, 1000, 0, 0);
	s.sport = 40001;
	assert_send_on(d, &s, ifx[0], XDP_DROP, FERRY_DROP_NO_RULE);
	assert_send_on(d, &s, ifx[1], XDP_PASS, FERRY_PASS_NEW);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ipv6_extension_headers),
		T(test_ipv6_udp_with_hop_by_hop),
		T(test_vlan_zones),
		T(test_double_tag),
		T(test_overlapping_addresses),
	};

	if (dpt_netns_setup(2, ifx)) {
		printf("cannot set up a network namespace with veth interfaces\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
