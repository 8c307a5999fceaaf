// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* UDP pseudo-state, ICMP echo tracking, ICMP errors as RELATED. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "dpt_assert.h"

static const struct pkt_spec udp4 = {
	.saddr = "198.18.0.1", .daddr = "198.18.0.2",
	.proto = IPPROTO_UDP, .sport = 33000, .dport = 53, .payload_len = 20,
};

static const struct pkt_spec tcp6 = {
	.saddr = "2001:db8::1", .daddr = "2001:db8::2",
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
};

static void test_udp_unreplied_then_replied(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec r;
	struct ferry_flow f;

	assert_pass(d, &udp4, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &udp4, &f, FERRY_UDP_UNREPLIED);
	assert_int_equal(f.flags, 0);
	assert_int_equal(f.expires_ns, DPT_T0 + DPT_SEC(30));
	assert_pass(d, &udp4, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &udp4, &f, FERRY_UDP_UNREPLIED);
	pkt_reverse(&udp4, &r);
	assert_pass(d, &r, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &udp4, &f, FERRY_UDP_REPLIED);
	assert_int_equal(f.flags, FERRY_FLOW_F_SEEN_REPLY | FERRY_FLOW_F_ASSURED);
	assert_int_equal(f.expires_ns, DPT_T0 + DPT_SEC(120));
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 2);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 1);
	assert_int_equal(f.bytes[FERRY_DIR_REPLY], 20 + 8 + 20);
	assert_int_equal(dpt_flow_count(d), 1);
}

static struct pkt_spec echo(const char *src, const char *dst, int v6,
			    int reply, __u16 id)
{
	struct pkt_spec s = {
		.saddr = src, .daddr = dst,
		.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
		.icmp_type = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8),
		.icmp_id = id, .icmp_seq = 1, .payload_len = 56,
	};

	return s;
}

static void echo_by_id(struct dpt *d, const char *a, const char *b, int v6)
{
	struct pkt_spec s = echo(a, b, v6, 0, 77);
	struct ferry_flow f;

	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_flow_state(d, 0, &s, &f, FERRY_ICMP_UNREPLIED);
	/* a reply with another identifier belongs to no flow */
	s = echo(b, a, v6, 1, 78);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), -ENOENT);
	/* an echo request from the other side is no answer either */
	s = echo(b, a, v6, 0, 77);
	assert_drop(d, &s, FERRY_DROP_INVALID);
	s = echo(b, a, v6, 1, 77);
	assert_pass(d, &s, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &s, &f, FERRY_ICMP_REPLIED);
	assert_int_equal(f.packets[FERRY_DIR_REPLY], 1);
	assert_int_equal(dpt_flow_count(d), 1);
}

static void test_icmp_echo_by_id(void **state)
{
	echo_by_id(*state, "198.18.0.1", "198.18.0.2", 0);
}

static void test_icmpv6_echo_by_id(void **state)
{
	echo_by_id(*state, "2001:db8::1", "2001:db8::2", 1);
}

/* An ICMP error from a router, quoting first bytes of the packet p. */
static struct pkt_spec icmp_error(const struct pkt_spec *p, const char *from,
				  __u8 type, __u8 code, __u8 *quote,
				  size_t qcap, size_t qlen)
{
	int v6 = strchr(p->saddr, ':') != NULL;
	struct pkt_spec e = {
		.saddr = from, .daddr = p->saddr,
		.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
		.icmp_type = type, .icmp_code = code,
		.payload = quote,
	};
	int len = pkt_build_l3(p, quote, qcap);

	assert_true(len > 0);
	e.payload_len = qlen && qlen < (size_t)len ? qlen : (size_t)len;
	return e;
}

static void test_icmp_error_related(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec e;
	__u8 quote[256];

	assert_pass(d, &udp4, FERRY_PASS_NEW);
	/* port unreachable from the server, quoting the whole datagram */
	e = icmp_error(&udp4, "198.18.0.2", 3, 3, quote, sizeof(quote), 0);
	assert_pass(d, &e, FERRY_PASS_RELATED);
	/* time exceeded from a router, quoting IP header + 8 bytes */
	e = icmp_error(&udp4, "198.18.0.254", 11, 0, quote, sizeof(quote), 28);
	assert_pass(d, &e, FERRY_PASS_RELATED);
	assert_int_equal(dpt_reason_count(d, FERRY_PASS_RELATED), 2);
	assert_int_equal(dpt_flow_count(d), 1);
}

static void test_icmpv6_error_related(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec e;
	__u8 quote[256];

	assert_int_equal(dpt_handshake(d, &tcp6, 100, 900), 0);
	/* packet too big from a router on the way */
	e = icmp_error(&tcp6, "2001:db8::fe", 2, 0, quote, sizeof(quote), 0);
	e.icmp_seq = 1280;	/* the MTU */
	assert_pass(d, &e, FERRY_PASS_RELATED);
	e = icmp_error(&tcp6, "2001:db8::fe", 1, 4, quote, sizeof(quote), 48);
	assert_pass(d, &e, FERRY_PASS_RELATED);
}

static void test_icmp_error_unrelated(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec e, other = udp4;
	__u8 quote[256];

	assert_pass(d, &udp4, FERRY_PASS_NEW);
	other.sport = 33001;		/* a flow never seen */
	e = icmp_error(&other, "198.18.0.2", 3, 3, quote, sizeof(quote), 0);
	assert_drop(d, &e, FERRY_DROP_UNRELATED_ICMP);
	e = icmp_error(&tcp6, "2001:db8::fe", 1, 0, quote, sizeof(quote), 0);
	assert_drop(d, &e, FERRY_DROP_UNRELATED_ICMP);
	assert_int_equal(dpt_flow_count(d), 1);
}

/* An error about an expired flow is no longer related. */
static void test_icmp_error_about_expired_flow(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec e;
	__u8 quote[256];

	assert_pass(d, &udp4, FERRY_PASS_NEW);
	dpt_advance(d, DPT_SEC(31));
	e = icmp_error(&udp4, "198.18.0.2", 3, 3, quote, sizeof(quote), 0);
	assert_drop(d, &e, FERRY_DROP_UNRELATED_ICMP);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_udp_unreplied_then_replied),
		T(test_icmp_echo_by_id),
		T(test_icmpv6_echo_by_id),
		T(test_icmp_error_related),
		T(test_icmpv6_error_related),
		T(test_icmp_error_unrelated),
		T(test_icmp_error_about_expired_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
