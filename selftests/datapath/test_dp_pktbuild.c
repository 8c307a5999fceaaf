// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The packet builder itself: layout, lengths and checksums. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "pktbuild.h"

static void test_tcp4_syn_layout(void **state)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		.tcp_flags = PKT_TCP_SYN, .seq = 1000,
		.tcp_opts = PKT_OPT_MSS | PKT_OPT_WSCALE, .wscale = 7,
	};
	struct pkt_layout lay;
	__u8 buf[256];
	int len;

	len = pkt_build_layout(&s, buf, sizeof(buf), &lay);
	assert_int_equal(len, 14 + 20 + 28);
	assert_int_equal(lay.l3, 14);
	assert_int_equal(lay.l4, 34);
	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[13], 0x00);
	assert_int_equal(buf[lay.l4 + 12] >> 4, 7);	/* doff */
	assert_int_equal(buf[lay.l4 + 13], PKT_TCP_SYN);
	assert_int_equal(buf[lay.l4 + 27], 7);		/* wscale */
	assert_true(pkt_csum_ok(buf, &lay));
	pkt_corrupt(buf, lay.payload - 1, 0x01);
	assert_false(pkt_csum_ok(buf, &lay));
}

static void test_udp6_ext_vlan(void **state)
{
	struct pkt_spec s = {
		.nvlan = 2, .vlan = { 100, 200 }, .vlan_tpid = { 0x88a8, 0 },
		.saddr = "2001:db8::1", .daddr = "2001:db8::2",
		.next = 3, .ext = {
			{ .type = IPPROTO_HOPOPTS },
			{ .type = IPPROTO_ROUTING, .len = 24 },
			{ .type = IPPROTO_DSTOPTS, .len = 16 },
		},
		.proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		.payload_len = 33,
	};
	struct pkt_layout lay;
	__u8 buf[512];
	int len;

	len = pkt_build_layout(&s, buf, sizeof(buf), &lay);
	assert_int_equal(lay.l3, 22);
	assert_int_equal(lay.l4, 22 + 40 + 8 + 24 + 16);
	assert_int_equal(len, lay.l4 + 8 + 33);
	assert_int_equal(buf[12], 0x88);
	assert_int_equal(buf[15], 100);		/* outer id */
	assert_int_equal(buf[16], 0x81);	/* inner 802.1Q */
	assert_int_equal(buf[19], 200);		/* inner id */
	assert_int_equal(buf[20], 0x86);	/* IPv6 */
	assert_int_equal(buf[lay.l3 + 6], IPPROTO_HOPOPTS);
	assert_true(pkt_csum_ok(buf, &lay));
}

static void test_icmp_error_quotes_inner(void **state)
{
	struct pkt_spec in = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_UDP, .sport = 1, .dport = 2,
	};
	__u8 quote[128], buf[256];
	struct pkt_layout lay;
	int qlen, len;
	struct pkt_spec s = {
		.saddr = "198.18.0.9", .daddr = "198.18.0.1",
		.proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 3,
	};

	qlen = pkt_build_l3(&in, quote, sizeof(quote));
	assert_int_equal(qlen, 28);
	s.payload = quote;
	s.payload_len = qlen;
	len = pkt_build_layout(&s, buf, sizeof(buf), &lay);
	assert_int_equal(len, 14 + 20 + 8 + 28);
	assert_memory_equal(buf + lay.payload, quote, qlen);
	assert_true(pkt_csum_ok(buf, &lay));
}

static void test_bad_specs(void **state)
{
	struct pkt_spec s = { .saddr = "198.18.0.1", .daddr = "2001:db8::1" };
	__u8 buf[64];

	assert_int_equal(pkt_build(&s, buf, sizeof(buf)), -EINVAL);
	s.daddr = "198.18.0.2";
	s.ip_opt_len = 3;
	assert_int_equal(pkt_build(&s, buf, sizeof(buf)), -EINVAL);
	s.ip_opt_len = 0;
	s.payload_len = 100;
	assert_int_equal(pkt_build(&s, buf, sizeof(buf)), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_syn_layout),
		cmocka_unit_test(test_udp6_ext_vlan),
		cmocka_unit_test(test_icmp_error_quotes_inner),
		cmocka_unit_test(test_bad_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
