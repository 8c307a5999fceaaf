// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Flow expiry per state, with the fake clock and configurable timeouts. */
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
#define A	PKT_TCP_ACK
#define FA	(PKT_TCP_FIN | PKT_TCP_ACK)
#define SA	(PKT_TCP_SYN | PKT_TCP_ACK)

struct step {
	int reply;
	__u8 flags;
	__u32 seq, ack;
};

/* How to reach each TCP state from nothing. */
static const struct {
	__u8 state;
	int n;
	struct step steps[6];
} tcp_paths[] = {
	{ FERRY_TCP_SYN_SENT, 1, { { 0, PKT_TCP_SYN, CSEQ, 0 } } },
	{ FERRY_TCP_SYN_SENT2, 2, { { 0, PKT_TCP_SYN, CSEQ, 0 },
				    { 1, PKT_TCP_SYN, SSEQ, 0 } } },
	{ FERRY_TCP_SYN_RECV, 2, { { 0, PKT_TCP_SYN, CSEQ, 0 },
				   { 1, SA, SSEQ, CSEQ + 1 } } },
	{ FERRY_TCP_ESTABLISHED, 3, { { 0, PKT_TCP_SYN, CSEQ, 0 },
				      { 1, SA, SSEQ, CSEQ + 1 },
				      { 0, A, CSEQ + 1, SSEQ + 1 } } },
	{ FERRY_TCP_FIN_WAIT, 4, { { 0, PKT_TCP_SYN, CSEQ, 0 },
				   { 1, SA, SSEQ, CSEQ + 1 },
				   { 0, A, CSEQ + 1, SSEQ + 1 },
				   { 0, FA, CSEQ + 1, SSEQ + 1 } } },
	{ FERRY_TCP_CLOSE_WAIT, 5, { { 0, PKT_TCP_SYN, CSEQ, 0 },
				     { 1, SA, SSEQ, CSEQ + 1 },
				     { 0, A, CSEQ + 1, SSEQ + 1 },
				     { 0, FA, CSEQ + 1, SSEQ + 1 },
				     { 1, A, SSEQ + 1, CSEQ + 2 } } },
	{ FERRY_TCP_LAST_ACK, 5, { { 0, PKT_TCP_SYN, CSEQ, 0 },
				   { 1, SA, SSEQ, CSEQ + 1 },
				   { 0, A, CSEQ + 1, SSEQ + 1 },
				   { 0, FA, CSEQ + 1, SSEQ + 1 },
				   { 1, FA, SSEQ + 1, CSEQ + 2 } } },
	{ FERRY_TCP_TIME_WAIT, 6, { { 0, PKT_TCP_SYN, CSEQ, 0 },
				    { 1, SA, SSEQ, CSEQ + 1 },
				    { 0, A, CSEQ + 1, SSEQ + 1 },
				    { 0, FA, CSEQ + 1, SSEQ + 1 },
				    { 1, FA, SSEQ + 1, CSEQ + 2 },
				    { 0, A, CSEQ + 2, SSEQ + 2 } } },
	{ FERRY_TCP_CLOSE, 4, { { 0, PKT_TCP_SYN, CSEQ, 0 },
				{ 1, SA, SSEQ, CSEQ + 1 },
				{ 0, A, CSEQ + 1, SSEQ + 1 },
				{ 1, PKT_TCP_RST, SSEQ + 1, 0 } } },
};

static struct pkt_spec c2s(__u16 sport)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_TCP, .sport = sport, .dport = 80,
	};

	return s;
}

/*
 * For each TCP state: the flow's expiry is now + the configured timeout;
 * past it, a mid-stream ACK is dropped as invalid and a SYN opens anew.
 */
static void tcp_expiry_all_states(struct dpt *d, const struct ferry_config *cfg)
{
	unsigned int i;
	int j;

	for (i = 0; i < sizeof(tcp_paths) / sizeof(tcp_paths[0]); i++) {
		struct pkt_spec c = c2s(41000 + i), s;
		struct ferry_flow f;
		__u64 t;

		for (j = 0; j < tcp_paths[i].n; j++) {
			const struct step *st = &tcp_paths[i].steps[j];

			s = dpt_seg(&c, st->reply, st->flags, st->seq, st->ack, 0);
			assert_send(d, &s, XDP_PASS, j ? FERRY_PASS_ESTABLISHED :
						       FERRY_PASS_NEW);
		}
		assert_flow_state(d, 0, &c, &f, tcp_paths[i].state);
		t = cfg->timeout_ns[tcp_paths[i].state];
		assert_int_equal(f.expires_ns, dpt_now(d) + t);
		dpt_advance(d, t + 1);
		s = dpt_seg(&c, 0, A, CSEQ + 1, SSEQ + 1, 10);
		assert_drop(d, &s, FERRY_DROP_INVALID);
		s = dpt_seg(&c, 1, A, SSEQ + 1, CSEQ + 1, 10);
		assert_drop(d, &s, FERRY_DROP_INVALID);
		s = dpt_seg(&c, 0, PKT_TCP_SYN, CSEQ + 99, 0, 0);
		assert_pass(d, &s, FERRY_PASS_NEW);
		assert_flow_state(d, 0, &c, &f, FERRY_TCP_SYN_SENT);
		assert_int_equal(f.created_ns, dpt_now(d));
		assert_int_equal(f.packets[FERRY_DIR_ORIG], 1);
	}
}

static void test_tcp_expiry_default_timeouts(void **state)
{
	struct dpt *d = *state;
	struct ferry_config cfg;

	assert_int_equal(dpt_config_read(d, &cfg), 0);
	assert_int_equal(cfg.timeout_ns[FERRY_TCP_ESTABLISHED], DPT_SEC(432000));
	tcp_expiry_all_states(d, &cfg);
}

static void test_tcp_expiry_configured_timeouts(void **state)
{
	struct dpt *d = *state;
	struct ferry_config cfg;
	int i;

	assert_int_equal(dpt_config_read(d, &cfg), 0);
	for (i = 1; i < FERRY_CT_STATE_MAX; i++)
		cfg.timeout_ns[i] = DPT_SEC(i) + 7;
	assert_int_equal(dpt_config_write(d, &cfg), 0);
	tcp_expiry_all_states(d, &cfg);
}

/* UDP: alive up to and including expires_ns, new one nanosecond later. */
static void test_udp_expiry_boundary(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_UDP, .sport = 1000, .dport = 2000,
	};
	struct pkt_spec r;
	struct ferry_flow f;

	pkt_reverse(&s, &r);
	assert_pass(d, &s, FERRY_PASS_NEW);
	dpt_advance(d, DPT_SEC(30));
	assert_pass(d, &r, FERRY_PASS_ESTABLISHED);	/* just in time */
	assert_flow_state(d, 0, &s, &f, FERRY_UDP_REPLIED);
	assert_int_equal(f.expires_ns, dpt_now(d) + DPT_SEC(120));
	dpt_advance(d, DPT_SEC(120) + 1);
	/* the old reply direction now opens a flow of its own */
	assert_pass(d, &r, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &s, &f, FERRY_UDP_UNREPLIED);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 1);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 0);
	assert_int_equal(f.flags, 0);
	assert_int_equal(dpt_flow_count(d), 1);
}

/* An unreplied UDP flow whose reply comes too late: the rules decide. */
static void test_udp_late_reply_needs_a_rule(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_UDP, .sport = 1000, .dport = 53,
	};
	struct ferry_config cfg;
	struct ferry_rule rule;
	struct pkt_spec r;

	assert_int_equal(dpt_config_read(d, &cfg), 0);
	cfg.timeout_ns[FERRY_UDP_UNREPLIED] = DPT_SEC(5);
	assert_int_equal(dpt_config_write(d, &cfg), 0);
	dpt_rule_init(&rule, 1, FERRY_ACT_ALLOW);
	rule.proto = IPPROTO_UDP;
	rule.dport_lo = rule.dport_hi = 53;
	assert_int_equal(dpt_set_rules(d, &rule, 1), 0);
	pkt_reverse(&s, &r);
	assert_pass(d, &s, FERRY_PASS_NEW);
	dpt_advance(d, DPT_SEC(5) + 1);
	assert_drop(d, &r, FERRY_DROP_NO_RULE);
}

static void test_icmp_and_other_expiry(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec ping = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 5,
	};
	struct pkt_spec gre = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = 47, .payload_len = 4,
	};
	struct pkt_spec pong, gre_r;
	struct ferry_flow f;

	pong = ping;
	pong.saddr = ping.daddr;
	pong.daddr = ping.saddr;
	pong.icmp_type = 0;
	assert_pass(d, &ping, FERRY_PASS_NEW);
	dpt_advance(d, DPT_SEC(30) + 1);
	assert_drop(d, &pong, FERRY_DROP_INVALID);	/* a reply opens nothing */
	assert_pass(d, &gre, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &gre, &f, FERRY_OTHER_UNREPLIED);
	assert_int_equal(f.expires_ns, dpt_now(d) + DPT_SEC(600));
	pkt_reverse(&gre, &gre_r);
	assert_pass(d, &gre_r, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &gre, &f, FERRY_OTHER_REPLIED);
	dpt_advance(d, DPT_SEC(601));
	assert_pass(d, &gre_r, FERRY_PASS_NEW);		/* now new, other way */
	assert_flow_state(d, 0, &gre, &f, FERRY_OTHER_UNREPLIED);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tcp_expiry_default_timeouts),
		T(test_tcp_expiry_configured_timeouts),
		T(test_udp_expiry_boundary),
		T(test_udp_late_reply_needs_a_rule),
		T(test_icmp_and_other_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
