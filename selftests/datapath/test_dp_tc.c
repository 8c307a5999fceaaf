// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ferry_tc gives the verdicts ferry_xdp gives, on a __sk_buff. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/pkt_cls.h>
#include <cmocka.h>
#include "dpt_assert.h"

static __u32 ifx[1];

static const struct pkt_spec c2s = {
	.saddr = "198.18.0.1", .daddr = "198.18.0.2",
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
};

/* Build s, run it through TC on ifindex: verdict and reason. With doff,
 * the TCP header's data offset is overwritten. */
static void tc(struct dpt *d, const struct pkt_spec *s, __u32 ifindex,
	       __u8 doff, int verdict, int why)
{
	__u8 buf[PKT_MAX_LEN];
	struct pkt_layout lay;
	int len, reason = DPT_NO_REASON;

	len = pkt_build_layout(s, buf, sizeof(buf), &lay);
	assert_true(len > 0);
	if (doff)
		pkt_put_u8(buf, lay.l4 + 12, doff << 4);
	assert_int_equal(dpt_run_tc(d, buf, len, ifindex, &reason), verdict);
	assert_string_equal(dpt_reason_str(reason), dpt_reason_str(why));
}

static void test_tc_tcp_conversation(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;

	s = dpt_seg(&c2s, 0, PKT_TCP_SYN, 100, 0, 0);
	tc(d, &s, 1, 0, TC_ACT_OK, FERRY_PASS_NEW);
	s = dpt_seg(&c2s, 1, PKT_TCP_SYN | PKT_TCP_ACK, 900, 101, 0);
	tc(d, &s, 1, 0, TC_ACT_OK, FERRY_PASS_ESTABLISHED);
	s = dpt_seg(&c2s, 0, PKT_TCP_ACK, 101, 901, 200);
	tc(d, &s, 1, 0, TC_ACT_OK, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
	assert_int_equal(f.bytes[FERRY_DIR_ORIG], 40 + 240);
	/* the same flow seen by XDP */
	s = dpt_seg(&c2s, 1, PKT_TCP_ACK, 901, 301, 0);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = dpt_seg(&c2s, 1, PKT_TCP_ACK, 901 + 300000, 301, 10);
	tc(d, &s, 1, 0, TC_ACT_SHOT, FERRY_DROP_OUT_OF_WINDOW);
}

static void test_tc_drops(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = dpt_seg(&c2s, 0, PKT_TCP_ACK, 100, 900, 0);

	tc(d, &s, 1, 0, TC_ACT_SHOT, FERRY_DROP_INVALID);
	tc(d, &s, 1, 4, TC_ACT_SHOT, FERRY_DROP_MALFORMED);
	s = dpt_seg(&c2s, 0, PKT_TCP_SYN, 100, 0, 0);
	s.frag = PKT_IP_MF;
	tc(d, &s, 1, 0, TC_ACT_SHOT, FERRY_DROP_FRAGMENT);
	assert_int_equal(dpt_set_rules(d, NULL, 0), 0);
	s.frag = 0;
	tc(d, &s, 1, 0, TC_ACT_SHOT, FERRY_DROP_NO_RULE);
	assert_int_equal(dpt_flow_count(d), 0);
}

static void test_tc_zone_of_ifindex(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = dpt_seg(&c2s, 0, PKT_TCP_SYN, 100, 0, 0);
	struct ferry_rule r;
	struct ferry_flow f;

	dpt_rule_init(&r, 1, FERRY_ACT_ALLOW);
	r.zone = 4;
	assert_int_equal(dpt_set_rules(d, &r, 1), 0);
	assert_int_equal(dpt_set_zone(d, ifx[0], 0, 4), 0);
	tc(d, &s, 1, 0, TC_ACT_SHOT, FERRY_DROP_NO_RULE);
	tc(d, &s, ifx[0], 0, TC_ACT_OK, FERRY_PASS_NEW);
	assert_flow_state(d, 4, &s, &f, FERRY_TCP_SYN_SENT);
}

static void test_tc_non_ip_and_ndp(void **state)
{
	struct dpt *d = *state;
	static const __u8 arp_req[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	struct pkt_spec arp = {
		.ethertype = 0x0806, .payload = arp_req,
		.payload_len = sizeof(arp_req),
	};
	struct pkt_spec ns = {
		.saddr = "fe80::1", .daddr = "ff02::1:ff00:2",
		.proto = IPPROTO_ICMPV6, .icmp_type = 135, .ttl = 255,
		.payload_len = 16,
	};

	tc(d, &arp, 1, 0, TC_ACT_OK, FERRY_PASS_NON_IP);
	tc(d, &ns, 1, 0, TC_ACT_OK, FERRY_PASS_NDP);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tc_tcp_conversation),
		T(test_tc_drops),
		T(test_tc_zone_of_ifindex),
		T(test_tc_non_ip_and_ndp),
	};

	if (dpt_netns_setup(1, ifx)) {
		printf("cannot set up a network namespace with a veth interface\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
