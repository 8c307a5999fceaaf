// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TCP connection opening: handshakes, retransmissions, refusals. */
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

static const struct pkt_spec c2s = {
	.saddr = "198.18.0.1", .daddr = "198.18.0.2",
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
};

static struct pkt_spec seg(int reply, __u8 flags, __u32 seq, __u32 ack)
{
	return dpt_seg(&c2s, reply, flags, seq, ack, 0);
}

static void test_three_way_handshake(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;
	int src_lo;

	s = seg(0, PKT_TCP_SYN, CSEQ, 0);
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT);
	assert_int_equal(dpt_flow(d, 0, &s, &f, &src_lo), 0);
	assert_int_equal(f.orig_lo, src_lo);	/* the client opened it */
	assert_int_equal(f.flags, 0);
	assert_int_equal(f.rule_id, 1);
	assert_int_equal(f.tcp[FERRY_DIR_ORIG].end, CSEQ + 1);

	s = seg(1, PKT_TCP_SYN | PKT_TCP_ACK, SSEQ, CSEQ + 1);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_RECV);
	assert_int_equal(f.flags, FERRY_FLOW_F_SEEN_REPLY);
	assert_int_equal(f.tcp[FERRY_DIR_REPLY].end, SSEQ + 1);

	s = seg(0, PKT_TCP_ACK, CSEQ + 1, SSEQ + 1);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
	assert_int_equal(f.flags, FERRY_FLOW_F_SEEN_REPLY | FERRY_FLOW_F_ASSURED);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 2);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 1);
	assert_int_equal(f.bytes[FERRY_DIR_ORIG], 2 * 40);
	assert_int_equal(dpt_reason_count(d, FERRY_PASS_NEW), 1);
	assert_int_equal(dpt_reason_count(d, FERRY_PASS_ESTABLISHED), 2);
	assert_int_equal(dpt_flow_count(d), 1);
}

static void test_simultaneous_open(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;

	s = seg(0, PKT_TCP_SYN, CSEQ, 0);
	assert_pass(d, &s, FERRY_PASS_NEW);
	s = seg(1, PKT_TCP_SYN, SSEQ, 0);	/* the server's own SYN */
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT2);
	s = seg(0, PKT_TCP_SYN | PKT_TCP_ACK, CSEQ, SSEQ + 1);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_RECV);
	s = seg(1, PKT_TCP_SYN | PKT_TCP_ACK, SSEQ, CSEQ + 1);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = seg(0, PKT_TCP_ACK, CSEQ + 1, SSEQ + 1);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
	assert_true(f.flags & FERRY_FLOW_F_ASSURED);
	assert_int_equal(dpt_flow_count(d), 1);
}

static void test_retransmitted_syn(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = seg(0, PKT_TCP_SYN, CSEQ, 0);
	struct ferry_flow f;

	assert_pass(d, &s, FERRY_PASS_NEW);
	dpt_advance(d, DPT_SEC(1));
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 2);
	assert_int_equal(f.created_ns, DPT_T0);
	assert_int_equal(f.last_seen_ns, DPT_T0 + DPT_SEC(1));
	/* the handshake still completes */
	s = seg(1, PKT_TCP_SYN | PKT_TCP_ACK, SSEQ, CSEQ + 1);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	s = seg(0, PKT_TCP_ACK, CSEQ + 1, SSEQ + 1);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
}

static void test_synack_with_wrong_ack(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = seg(0, PKT_TCP_SYN, CSEQ, 0);
	struct ferry_flow f;

	assert_pass(d, &s, FERRY_PASS_NEW);
	s = seg(1, PKT_TCP_SYN | PKT_TCP_ACK, SSEQ, CSEQ + 5000);
	assert_drop(d, &s, FERRY_DROP_OUT_OF_WINDOW);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 0);
}

static void test_rst_answering_syn(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = seg(0, PKT_TCP_SYN, CSEQ, 0);
	struct ferry_flow f;

	assert_pass(d, &s, FERRY_PASS_NEW);
	/* RST/ACK not acknowledging the SYN: not an answer to it */
	s = seg(1, PKT_TCP_RST | PKT_TCP_ACK, 0, CSEQ + 7);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(1, PKT_TCP_RST, 0, 0);		/* no ACK at all */
	assert_drop(d, &s, FERRY_DROP_INVALID);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_SYN_SENT);
	/* the refusal a real stack sends: seq 0, ack of the SYN */
	s = seg(1, PKT_TCP_RST | PKT_TCP_ACK, 0, CSEQ + 1);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_CLOSE);
	assert_int_equal(f.expires_ns, DPT_T0 + DPT_SEC(10));
}

static void test_midstream_ack_without_state(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = seg(0, PKT_TCP_ACK, CSEQ, SSEQ);
	struct ferry_flow f;

	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, PKT_TCP_ACK | PKT_TCP_PSH, CSEQ, SSEQ);
	s.payload_len = 100;
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(1, PKT_TCP_SYN | PKT_TCP_ACK, SSEQ, CSEQ);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, PKT_TCP_FIN | PKT_TCP_ACK, CSEQ, SSEQ);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, PKT_TCP_RST, CSEQ, 0);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), -ENOENT);
	assert_int_equal(dpt_reason_count(d, FERRY_DROP_INVALID), 5);
}

static void test_invalid_flags_new(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;

	s = seg(0, PKT_TCP_SYN | PKT_TCP_FIN, CSEQ, 0);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, PKT_TCP_SYN | PKT_TCP_RST, CSEQ, 0);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, 0, CSEQ, 0);			/* null scan */
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, PKT_TCP_FIN, CSEQ, 0);	/* FIN without ACK */
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, PKT_TCP_SYN | PKT_TCP_URG, CSEQ, 0);	/* valid, odd */
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow_count(d), 1);
}

/* netfilter's tcp_valid_flags applies to every packet, not only new ones */
static void test_invalid_flags_established(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	struct ferry_flow f;

	assert_int_equal(dpt_handshake(d, &c2s, CSEQ, SSEQ), 0);
	s = seg(0, PKT_TCP_FIN, CSEQ + 1, 0);	/* FIN without ACK */
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, PKT_TCP_SYN | PKT_TCP_FIN | PKT_TCP_ACK, CSEQ + 1, SSEQ + 1);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(1, PKT_TCP_SYN | PKT_TCP_RST, SSEQ + 1, 0);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(1, PKT_TCP_RST | PKT_TCP_FIN | PKT_TCP_ACK, SSEQ + 1, CSEQ + 1);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = seg(0, 0, CSEQ + 1, 0);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	assert_flow_state(d, 0, &s, &f, FERRY_TCP_ESTABLISHED);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 2);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_three_way_handshake),
		T(test_simultaneous_open),
		T(test_retransmitted_syn),
		T(test_synack_with_wrong_ack),
		T(test_rst_answering_syn),
		T(test_midstream_ack_without_state),
		T(test_invalid_flags_new),
		T(test_invalid_flags_established),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
