// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A full connection table refuses new flows and keeps the tracked ones. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "dpt_assert.h"

#define CT_MAX	8

static int setup_small(void **state)
{
	static struct dpt d;

	if (dpt_open(&d, CT_MAX))
		return -1;
	if (dpt_allow_all(&d)) {
		dpt_close(&d);
		return -1;
	}
	*state = &d;
	return 0;
}

static struct pkt_spec udp(__u16 sport)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_UDP, .sport = sport, .dport = 53,
	};

	return s;
}

static void test_table_full(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s, tcp = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.3",
		.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
	};
	struct ferry_flow f;
	int i;

	/* one TCP connection, then UDP flows up to the limit */
	assert_int_equal(dpt_handshake(d, &tcp, 10, 20), 0);
	for (i = 1; i < CT_MAX; i++) {
		s = udp(1000 + i);
		assert_pass(d, &s, FERRY_PASS_NEW);
	}
	assert_int_equal(dpt_flow_count(d), CT_MAX);
	s = udp(2000);
	assert_drop(d, &s, FERRY_DROP_TABLE_FULL);
	assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), -ENOENT);
	s = dpt_seg(&tcp, 0, PKT_TCP_SYN, 10, 0, 0);
	s.sport = 40001;
	assert_drop(d, &s, FERRY_DROP_TABLE_FULL);
	assert_int_equal(dpt_reason_count(d, FERRY_DROP_TABLE_FULL), 2);

	/* tracked flows keep passing, both ways */
	s = udp(1001);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	pkt_reverse(&s, &s);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = dpt_seg(&tcp, 1, PKT_TCP_ACK | PKT_TCP_PSH, 21, 11, 100);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = dpt_seg(&tcp, 0, PKT_TCP_ACK, 11, 121, 0);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &tcp, &f, FERRY_TCP_ESTABLISHED);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 2);

	/* an expired entry may be replaced even when full */
	dpt_advance(d, DPT_SEC(121));
	s = udp(1002);
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow_count(d), CT_MAX);

	/* room again once the agent's GC has removed an entry */
	s = udp(1003);
	assert_int_equal(dpt_flow_delete(d, 0, &s), 0);
	s = udp(2000);
	assert_pass(d, &s, FERRY_PASS_NEW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_full, setup_small,
						dpt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
