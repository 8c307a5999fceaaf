// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The harness: load, run a frame, read counters and the flow back. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <cmocka.h>
#include "dptest.h"

static int setup(void **state)
{
	static struct dpt d;

	if (dpt_open(&d, 0))
		return -1;
	*state = &d;
	return 0;
}

static int teardown(void **state)
{
	dpt_close(*state);
	return 0;
}

static void test_default_deny_then_allow(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_UDP, .sport = 1000, .dport = 53,
	};
	struct ferry_flow f;
	int reason;

	assert_int_equal(dpt_send(d, &s, &reason), XDP_DROP);
	assert_int_equal(reason, FERRY_DROP_NO_RULE);
	assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), -ENOENT);
	assert_int_equal(dpt_allow_all(d), 0);
	assert_int_equal(dpt_send(d, &s, &reason), XDP_PASS);
	assert_int_equal(reason, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), 0);
	assert_int_equal(f.state, FERRY_UDP_UNREPLIED);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 1);
	assert_int_equal(dpt_reason_count(d, FERRY_PASS_NEW), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_deny_then_allow),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
