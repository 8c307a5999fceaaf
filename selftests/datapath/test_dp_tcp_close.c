// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TCP connection closing: FIN either way, half-close, TIME_WAIT, RST. */
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
#define FA	(PKT_TCP_FIN | PKT_TCP_ACK)
#define A	PKT_TCP_ACK

static const struct pkt_spec c2s = {
	.saddr = "198.18.0.1", .daddr = "198.18.0.2",
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
};

/* One segment, asserted to pass as established, leaving the flow in st. */
static void step(struct dpt *d, int reply, __u8 flags, __u32 seq, __u32 ack,
		 size_t len, __u8 st)
{
	struct pkt_spec s = dpt_seg(&c2s, reply, flags, seq, ack, len);
	struct ferry_flow f;

	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, st);
}

static void established(struct dpt *d)
{
	assert_int_equal(dpt_handshake(d, &c2s, CSEQ, SSEQ), 0);
}

static void test_client_closes_first(void **state)
{
	struct dpt *d = *state;
	struct ferry_flow f;

	established(d);
	step(d, 0, FA, C1, S1, 0, FERRY_TCP_FIN_WAIT);
	step(d, 1, A, S1, C1 + 1, 0, FERRY_TCP_CLOSE_WAIT);
	step(d, 1, FA, S1, C1 + 1, 0, FERRY_TCP_LAST_ACK);
	step(d, 0, A, C1 + 1, S1 + 1, 0, FERRY_TCP_TIME_WAIT);
	assert_int_equal(dpt_flow(d, 0, &c2s, &f, NULL), 0);
	assert_int_equal(f.expires_ns, DPT_T0 + DPT_SEC(120));
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 4);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 3);
}

static void test_server_closes_first(void **state)
{
	struct dpt *d = *state;

	established(d);
	step(d, 1, FA, S1, C1, 0, FERRY_TCP_FIN_WAIT);
	step(d, 0, A, C1, S1 + 1, 0, FERRY_TCP_CLOSE_WAIT);
	step(d, 0, FA, C1, S1 + 1, 0, FERRY_TCP_LAST_ACK);
	step(d, 1, A, S1 + 1, C1 + 1, 0, FERRY_TCP_TIME_WAIT);
}

/* FIN answered by FIN/ACK, then the last ACK. */
static void test_close_to_time_wait(void **state)
{
	struct dpt *d = *state;

	established(d);
	step(d, 0, FA, C1, S1, 0, FERRY_TCP_FIN_WAIT);
	step(d, 1, FA, S1, C1 + 1, 0, FERRY_TCP_LAST_ACK);
	step(d, 0, A, C1 + 1, S1 + 1, 0, FERRY_TCP_TIME_WAIT);
	/* late retransmitted ACK in TIME_WAIT still passes */
	step(d, 0, A, C1 + 1, S1 + 1, 0, FERRY_TCP_TIME_WAIT);
}

/* After the client's FIN the server keeps sending; the client ACKs. */
static void test_half_close(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;

	established(d);
	step(d, 0, FA, C1, S1, 0, FERRY_TCP_FIN_WAIT);
	step(d, 1, A, S1, C1 + 1, 0, FERRY_TCP_CLOSE_WAIT);
	step(d, 1, A | PKT_TCP_PSH, S1, C1 + 1, 500, FERRY_TCP_CLOSE_WAIT);
	step(d, 0, A, C1 + 1, S1 + 500, 0, FERRY_TCP_CLOSE_WAIT);
	step(d, 1, A, S1 + 500, C1 + 1, 1000, FERRY_TCP_CLOSE_WAIT);
	step(d, 0, A, C1 + 1, S1 + 1500, 0, FERRY_TCP_CLOSE_WAIT);
	/* the closed side sending new data far beyond its FIN: refused */
	s = dpt_seg(&c2s, 0, A, C1 + 200000, S1 + 1500, 100);
	assert_drop(d, &s, FERRY_DROP_OUT_OF_WINDOW);
	step(d, 1, FA, S1 + 1500, C1 + 1, 0, FERRY_TCP_LAST_ACK);
	step(d, 0, A, C1 + 1, S1 + 1501, 0, FERRY_TCP_TIME_WAIT);
}

static void test_time_wait_reused_by_syn(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;

	established(d);
	step(d, 0, FA, C1, S1, 0, FERRY_TCP_FIN_WAIT);
	step(d, 1, FA, S1, C1 + 1, 0, FERRY_TCP_LAST_ACK);
	step(d, 0, A, C1 + 1, S1 + 1, 0, FERRY_TCP_TIME_WAIT);
	dpt_advance(d, DPT_SEC(5));
	s = dpt_seg(&c2s, 0, PKT_TCP_SYN, CSEQ + 100000, 0, 0);
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT);
	assert_int_equal(f.created_ns, DPT_T0 + DPT_SEC(5));
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 1);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 0);
	assert_int_equal(f.flags, 0);
	assert_int_equal(dpt_flow_count(d), 1);
	/* and the new connection proceeds from scratch */
	s = dpt_seg(&c2s, 1, PKT_TCP_SYN | A, SSEQ, CSEQ + 100001, 0);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_RECV);
}

static void test_rst_in_window_closes(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;

	established(d);
	step(d, 0, A | PKT_TCP_PSH, C1, S1, 100, FERRY_TCP_ESTABLISHED);
	step(d, 1, PKT_TCP_RST, S1, 0, 0, FERRY_TCP_CLOSE);
	assert_int_equal(dpt_flow(d, 0, &c2s, &f, NULL), 0);
	assert_int_equal(f.expires_ns, DPT_T0 + DPT_SEC(10));
	/* as in netfilter, stray ACKs pass in CLOSE until it expires... */
	step(d, 0, A, C1 + 100, S1, 0, FERRY_TCP_CLOSE);
	/* ...and a new SYN opens a new connection */
	s = dpt_seg(&c2s, 0, PKT_TCP_SYN, CSEQ + 5000, 0, 0);
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT);
}

static void test_rst_out_of_window_dropped(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;

	established(d);
	s = dpt_seg(&c2s, 1, PKT_TCP_RST, S1 + 3000000, 0, 0);
	assert_drop(d, &s, FERRY_DROP_OUT_OF_WINDOW);
	s = dpt_seg(&c2s, 0, PKT_TCP_RST | A, C1 - 3000000, S1, 0);
	assert_drop(d, &s, FERRY_DROP_OUT_OF_WINDOW);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
	assert_int_equal(dpt_reason_count(d, FERRY_DROP_OUT_OF_WINDOW), 2);
	/* the flow is intact */
	step(d, 0, A, C1, S1, 10, FERRY_TCP_ESTABLISHED);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_client_closes_first),
		T(test_server_closes_first),
		T(test_close_to_time_wait),
		T(test_half_close),
		T(test_time_wait_reused_by_syn),
		T(test_rst_in_window_closes),
		T(test_rst_out_of_window_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
