// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TCP window tracking: data both ways, out-of-window segments, scaling. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "dpt_assert.h"

#define CSEQ	1000u
#define SSEQ	5000u
#define C1	(CSEQ + 1)
#define S1	(SSEQ + 1)
#define A	PKT_TCP_ACK
#define PA	(PKT_TCP_PSH | PKT_TCP_ACK)

static const struct pkt_spec c2s = {
	.saddr = "198.18.0.1", .daddr = "198.18.0.2",
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
};

static struct pkt_spec seg(int reply, __u8 flags, __u32 seq, __u32 ack,
			   size_t len, __u16 win)
{
	struct pkt_spec s = dpt_seg(&c2s, reply, flags, seq, ack, len);

	s.win = win;
	return s;
}

static void test_data_both_ways(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;

	assert_int_equal(dpt_handshake(d, &c2s, CSEQ, SSEQ), 0);
	s = seg(0, PA, C1, S1, 1000, 0);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = seg(1, PA, S1, C1 + 1000, 3000, 0);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = seg(0, A, C1 + 1000, S1 + 3000, 0, 0);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
	assert_int_equal(f.tcp[FERRY_DIR_ORIG].end, C1 + 1000);
	assert_int_equal(f.tcp[FERRY_DIR_REPLY].end, S1 + 3000);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 4);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 2);
	assert_int_equal(f.bytes[FERRY_DIR_ORIG], 3 * 40 + 1040);
	assert_int_equal(f.bytes[FERRY_DIR_REPLY], 40 + 3040);
	/* a retransmission of old data is fine */
	s = seg(0, PA, C1, S1 + 3000, 1000, 0);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
}

static void test_out_of_window_data(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;

	assert_int_equal(dpt_handshake(d, &c2s, CSEQ, SSEQ), 0);
	/* beyond what the server's 65535-byte window allows */
	s = seg(0, PA, C1 + 70000, S1, 100, 0);
	assert_drop(d, &s, FERRY_DROP_OUT_OF_WINDOW);
	/* far behind (more than a window old) */
	s = seg(1, PA, S1 - 200000, C1, 100, 0);
	assert_drop(d, &s, FERRY_DROP_OUT_OF_WINDOW);
	/* acknowledging data never sent */
	s = seg(1, A, S1, C1 + 50000, 0, 0);
	assert_drop(d, &s, FERRY_DROP_OUT_OF_WINDOW);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
	assert_int_equal(f.tcp[FERRY_DIR_ORIG].end, C1);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 2);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 1);
	assert_int_equal(dpt_reason_count(d, FERRY_DROP_OUT_OF_WINDOW), 3);
	/* in window: still fine */
	s = seg(0, PA, C1 + 60000, S1, 100, 0);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
}

/*
 * Both sides announce scale 7; the server then advertises a window of
 * 1000 << 7 = 128000 bytes: data 100000 bytes ahead is inside it, though
 * far beyond any unscaled window.
 */
static void scaled_exchange(struct dpt *d, int server_scales, int verdict,
			    int reason)
{
	struct pkt_spec s;
	struct ferry_flow f;

	s = seg(0, PKT_TCP_SYN, CSEQ, 0, 0, 0);
	s.tcp_opts = PKT_OPT_MSS | PKT_OPT_WSCALE;
	s.wscale = 7;
	assert_pass(d, &s, FERRY_PASS_NEW);
	s = seg(1, PKT_TCP_SYN | A, SSEQ, C1, 0, 0);
	s.tcp_opts = PKT_OPT_MSS | (server_scales ? PKT_OPT_WSCALE : 0);
	s.wscale = 7;
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_RECV);
	assert_int_equal(f.tcp[FERRY_DIR_ORIG].wscale, server_scales ? 7 : 0);
	assert_int_equal(f.tcp[FERRY_DIR_REPLY].wscale, server_scales ? 7 : 0);
	s = seg(0, A, C1, S1, 0, 1000);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = seg(1, A, S1, C1, 0, 1000);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = seg(0, PA, C1 + 100000, S1, 1000, 1000);
	assert_send(d, &s, verdict, reason);
}

static void test_window_scaling_honoured(void **state)
{
	scaled_exchange(*state, 1, XDP_PASS, FERRY_PASS_ESTABLISHED);
}

/* Scaling counts only if both sides announce it (RFC 7323). */
static void test_window_scaling_needs_both(void **state)
{
	scaled_exchange(*state, 0, XDP_DROP, FERRY_DROP_OUT_OF_WINDOW);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_data_both_ways),
		T(test_out_of_window_data),
		T(test_window_scaling_honoured),
		T(test_window_scaling_needs_both),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
