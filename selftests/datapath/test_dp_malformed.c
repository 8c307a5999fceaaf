// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Malformed, truncated and special frames: one test per kind. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "dpt_assert.h"

static const struct pkt_spec tcp4 = {
	.saddr = "198.18.0.1", .daddr = "198.18.0.2",
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
	.tcp_flags = PKT_TCP_SYN, .seq = 1,
};
static const struct pkt_spec udp6 = {
	.saddr = "2001:db8::1", .daddr = "2001:db8::2",
	.proto = IPPROTO_UDP, .sport = 1000, .dport = 2000, .payload_len = 8,
};

struct frame {
	__u8 buf[PKT_MAX_LEN];
	struct pkt_layout lay;
	size_t len;
};

static void build(const struct pkt_spec *s, struct frame *f)
{
	int len = pkt_build_layout(s, f->buf, sizeof(f->buf), &f->lay);

	assert_true(len > 0);
	f->len = len;
}

/* Run f (its first len bytes) through XDP: verdict and reason. */
static void assert_frame(struct dpt *d, const struct frame *f, size_t len,
			 int verdict, int why)
{
	int reason = DPT_NO_REASON;

	assert_int_equal(dpt_run_xdp(d, f->buf, len, d->ifindex, &reason),
			 verdict);
	assert_string_equal(dpt_reason_str(reason), dpt_reason_str(why));
}

#define assert_malformed(d, f, len) do {				\
	assert_frame((d), (f), (len), XDP_DROP, FERRY_DROP_MALFORMED);	\
	assert_int_equal(dpt_flow_count(d), 0);				\
} while (0)

/* Cut an IPv4 packet to l4 bytes of upper layer, its header saying so. */
static size_t cut_ipv4(struct frame *f, size_t l4_bytes)
{
	pkt_put_be16(f->buf, f->lay.l3 + 2, f->lay.l4 - f->lay.l3 + l4_bytes);
	pkt_ipv4_fix_csum(f->buf, f->lay.l3);
	return f->lay.l4 + l4_bytes;
}

static const __u8 arp_req[28] = {
	0, 1, 8, 0, 6, 4, 0, 1,		/* Ethernet/IPv4 request */
};
static const struct pkt_spec arp = {
	.ethertype = 0x0806, .payload = arp_req, .payload_len = sizeof(arp_req),
};

/* Cut before the EtherType is complete (an ARP frame passes when whole). */
static void test_short_ethernet(void **state)
{
	struct frame f;

	build(&arp, &f);
	assert_frame(*state, &f, f.len, XDP_PASS, FERRY_PASS_NON_IP);
	assert_malformed(*state, &f, 13);
	assert_malformed(*state, &f, 12);
	assert_malformed(*state, &f, 1);
}

static void test_short_ipv4_header(void **state)
{
	struct frame f;

	build(&tcp4, &f);
	assert_malformed(*state, &f, f.lay.l3 + 19);
}

static void test_ipv4_ihl_below_5(void **state)
{
	struct frame f;

	build(&tcp4, &f);
	pkt_put_u8(f.buf, f.lay.l3, 0x44);
	pkt_ipv4_fix_csum(f.buf, f.lay.l3);
	assert_malformed(*state, &f, f.len);
}

static void test_ipv4_wrong_version(void **state)
{
	struct frame f;

	build(&tcp4, &f);
	pkt_put_u8(f.buf, f.lay.l3, 0x65);
	assert_malformed(*state, &f, f.len);
}

static void test_ipv4_tot_len_beyond_frame(void **state)
{
	struct frame f;

	build(&tcp4, &f);
	pkt_put_be16(f.buf, f.lay.l3 + 2, f.len - f.lay.l3 + 1);
	pkt_ipv4_fix_csum(f.buf, f.lay.l3);
	assert_malformed(*state, &f, f.len);
	/* and a frame cut short of what the header says */
	build(&tcp4, &f);
	assert_malformed(*state, &f, f.len - 1);
}

static void test_ipv4_tot_len_below_header(void **state)
{
	struct frame f;

	build(&tcp4, &f);
	pkt_put_be16(f.buf, f.lay.l3 + 2, 16);
	pkt_ipv4_fix_csum(f.buf, f.lay.l3);
	assert_malformed(*state, &f, f.len);
}

static void test_short_tcp_header(void **state)
{
	struct frame f;

	build(&tcp4, &f);
	assert_malformed(*state, &f, cut_ipv4(&f, 19));
	build(&tcp4, &f);
	assert_malformed(*state, &f, cut_ipv4(&f, 4));
}

static void test_tcp_doff_below_5(void **state)
{
	struct frame f;

	build(&tcp4, &f);
	pkt_put_u8(f.buf, f.lay.l4 + 12, 4 << 4);
	assert_malformed(*state, &f, f.len);
	/* and a doff beyond the segment */
	pkt_put_u8(f.buf, f.lay.l4 + 12, 6 << 4);
	assert_malformed(*state, &f, f.len);
}

static void test_short_udp(void **state)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_UDP, .sport = 1, .dport = 2,
	};
	struct frame f;

	build(&s, &f);
	assert_malformed(*state, &f, cut_ipv4(&f, 6));
}

static void test_short_icmp(void **state)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 1,
	};
	struct frame f;

	build(&s, &f);
	assert_malformed(*state, &f, cut_ipv4(&f, 4));
}

/*
 * The IP header says 4 bytes of ICMP, the frame is padded to Ethernet's
 * 60-byte minimum: padding is not an ICMP header.
 */
static void test_short_icmp_in_padded_frame(void **state)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 1,
	};
	struct frame f;

	build(&s, &f);
	cut_ipv4(&f, 4);
	memset(f.buf + f.lay.l4 + 4, 0, 60 - (f.lay.l4 + 4));
	assert_malformed(*state, &f, 60);
}

/* Ethernet padding after a complete packet is fine and not counted. */
static void test_padded_frame_passes(void **state)
{
	struct dpt *d = *state;
	struct ferry_flow fl;
	struct frame f;

	build(&tcp4, &f);
	assert_int_equal(f.len, 54);
	memset(f.buf + f.len, 0xee, 6);
	assert_frame(d, &f, 60, XDP_PASS, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow(d, 0, &tcp4, &fl, NULL), 0);
	assert_int_equal(fl.bytes[FERRY_DIR_ORIG], 40);
}

static void test_ipv6_truncated_ext_header(void **state)
{
	struct pkt_spec s = udp6;
	struct frame f;

	s.next = 2;
	s.ext[0].type = IPPROTO_HOPOPTS;
	s.ext[1].type = IPPROTO_DSTOPTS;
	s.ext[1].len = 32;
	build(&s, &f);
	/* the frame ends inside the first extension header */
	assert_malformed(*state, &f, f.lay.l3 + 40 + 6);
	/* the second one says 32 bytes, the frame has 16 of them */
	pkt_put_be16(f.buf, f.lay.l3 + 4, 8 + 16);
	assert_malformed(*state, &f, f.lay.l3 + 40 + 8 + 16);
}

static void test_ipv6_ext_chain_too_long(void **state)
{
	struct pkt_spec s = udp6;
	struct frame f;
	int i;

	s.next = 7;
	for (i = 0; i < 7; i++)
		s.ext[i].type = IPPROTO_DSTOPTS;
	build(&s, &f);
	assert_malformed(*state, &f, f.len);
}

static void test_too_many_vlan_tags(void **state)
{
	struct pkt_spec s = tcp4;
	struct frame f;

	s.nvlan = 3;
	s.vlan[0] = 1;
	s.vlan[1] = 2;
	s.vlan[2] = 3;
	build(&s, &f);
	assert_malformed(*state, &f, f.len);
	/* a truncated tag */
	s.nvlan = 1;
	build(&s, &f);
	assert_malformed(*state, &f, 16);
}

static void test_ipv4_fragments(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = tcp4;

	s.frag = PKT_IP_MF;			/* first fragment */
	assert_drop(d, &s, FERRY_DROP_FRAGMENT);
	s.frag = 100;				/* last fragment */
	assert_drop(d, &s, FERRY_DROP_FRAGMENT);
	s.frag = PKT_IP_MF | 3;			/* middle one */
	assert_drop(d, &s, FERRY_DROP_FRAGMENT);
	assert_int_equal(dpt_flow_count(d), 0);
	s.frag = PKT_IP_DF;			/* not a fragment */
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_int_equal(dpt_reason_count(d, FERRY_DROP_FRAGMENT), 3);
}

static void test_ipv6_fragments(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = udp6;

	s.next = 1;
	s.ext[0].type = IPPROTO_FRAGMENT;
	s.ext[0].more = 1;
	assert_drop(d, &s, FERRY_DROP_FRAGMENT);
	s.ext[0].more = 0;
	s.ext[0].frag_off = 185;
	assert_drop(d, &s, FERRY_DROP_FRAGMENT);
	assert_int_equal(dpt_flow_count(d), 0);
	s.ext[0].frag_off = 0;			/* atomic fragment: whole */
	assert_pass(d, &s, FERRY_PASS_NEW);
}

static void test_arp_passes(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = arp;

	assert_pass(d, &s, FERRY_PASS_NON_IP);
	s.nvlan = 1;
	s.vlan[0] = 5;
	assert_pass(d, &s, FERRY_PASS_NON_IP);
	assert_int_equal(dpt_flow_count(d), 0);
}

static void test_ndp_passes(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = "fe80::1", .daddr = "ff02::1:ff00:2",
		.proto = IPPROTO_ICMPV6, .ttl = 255, .payload_len = 16,
	};
	static const __u8 types[] = { 133, 134, 135, 136, 137 };
	unsigned int i;

	assert_int_equal(dpt_set_rules(d, NULL, 0), 0);	/* default deny */
	for (i = 0; i < sizeof(types); i++) {
		s.icmp_type = types[i];
		assert_pass(d, &s, FERRY_PASS_NDP);
	}
	/* MLD report behind a hop-by-hop header (router alert) */
	s.icmp_type = 143;
	s.next = 1;
	s.ext[0].type = IPPROTO_HOPOPTS;
	assert_pass(d, &s, FERRY_PASS_NDP);
	assert_int_equal(dpt_reason_count(d, FERRY_PASS_NDP), 6);
	assert_int_equal(dpt_flow_count(d), 0);
}

static void test_icmp_error_with_truncated_quote(void **state)
{
	struct dpt *d = *state;
	__u8 quote[128];
	struct pkt_spec e = {
		.saddr = "198.18.0.2", .daddr = "198.18.0.1",
		.proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 1,
		.payload = quote,
	};

	assert_true(pkt_build_l3(&tcp4, quote, sizeof(quote)) > 0);
	e.payload_len = 22;	/* inner IP header and 2 bytes: no ports */
	assert_drop(d, &e, FERRY_DROP_MALFORMED);
	e.payload_len = 12;	/* not even an IP header */
	assert_drop(d, &e, FERRY_DROP_MALFORMED);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dpt_setup, dpt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_short_ethernet),
		T(test_short_ipv4_header),
		T(test_ipv4_ihl_below_5),
		T(test_ipv4_wrong_version),
		T(test_ipv4_tot_len_beyond_frame),
		T(test_ipv4_tot_len_below_header),
		T(test_short_tcp_header),
		T(test_tcp_doff_below_5),
		T(test_short_udp),
		T(test_short_icmp),
		T(test_short_icmp_in_padded_frame),
		T(test_padded_frame_passes),
		T(test_ipv6_truncated_ext_header),
		T(test_ipv6_ext_chain_too_long),
		T(test_too_many_vlan_tags),
		T(test_ipv4_fragments),
		T(test_ipv6_fragments),
		T(test_arp_passes),
		T(test_ndp_passes),
		T(test_icmp_error_with_truncated_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
