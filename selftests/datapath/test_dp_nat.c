// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * NAT in the datapath, over hand-built frames. Every translated frame is
 * compared byte for byte with the frame pkt_build() makes for the expected
 * tuple, and its checksums are verified by this file's own from-scratch
 * Internet checksum (not the builder's). Both directions, TCP/UDP/ICMP
 * echo, v4 and v6, ICMP errors about translated flows, the reverse map's
 * life (expiry, orphans), pool exhaustion, port collisions, hairpin, and
 * the policy order (rules see the pre-DNAT destination).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "ferry/layout.h"
#include "ferry_fw_test.skel.h"
#include "stateops.h"
#include "cthandover.h"
#include "statecodec.h"
#include "ctiter.h"
#include "dpt_assert.h"

#define CLIENT4	"198.18.0.2"
#define CLIENT4B "198.18.0.3"
#define SERVER4	"198.18.1.2"
#define POOL4	"198.18.1.100"
#define VIP4	"198.18.1.50"
#define BACK4	"198.18.2.10"
#define BACK4B	"198.18.2.11"
#define CLIENT6	"2001:db8::2"
#define SERVER6	"2001:db8:1::2"
#define POOL6	"2001:db8:1::100"
#define VIP6	"2001:db8:1::50"
#define BACK6	"2001:db8:2::10"

/* --- an independent checksum (RFC 1071), summed byte pair by byte pair --- */

static __u32 sum_bytes(const __u8 *p, size_t len, __u32 sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The L4 checksum verifies: sum over pseudo header (if any) and segment. */
static int l4_ok(const __u8 *ip, int v6, __u8 proto, const __u8 *l4,
		 size_t l4_len)
{
	__u32 sum = 0;

	if (proto != IPPROTO_ICMP) {
		if (v6) {
			sum = sum_bytes(ip + 8, 32, 0);
		} else {
			sum = sum_bytes(ip + 12, 8, 0);
		}
		sum += proto + (__u32)l4_len;
	}
	if (proto == IPPROTO_UDP && !v6 && l4[6] == 0 && l4[7] == 0)
		return 1;	/* no checksum */
	if (proto == IPPROTO_UDP && l4[6] == 0 && l4[7] == 0)
		return 0;	/* IPv6 UDP must have one */
	return fold(sum_bytes(l4, l4_len, sum)) == 0xffff;
}

/*
 * Verify every checksum of an Ethernet frame without VLAN tags or IPv6
 * extension headers: IPv4 header, L4, and in an ICMP error the quoted
 * IPv4 header (and the quoted L4 when the whole quoted packet is there).
 */
static int frame_csums_ok(const __u8 *f, size_t len)
{
	int v6 = f[12] == 0x86 && f[13] == 0xdd;
	const __u8 *ip = f + 14, *l4, *in, *in4;
	size_t hl, l3_len, in_hl, in_len;
	__u8 proto, type;

	if (v6) {
		hl = 40;
		l3_len = 40 + ((ip[4] << 8) | ip[5]);
		proto = ip[6];
	} else {
		hl = (ip[0] & 15) * 4;
		l3_len = (ip[2] << 8) | ip[3];
		proto = ip[9];
		if (fold(sum_bytes(ip, hl, 0)) != 0xffff)
			return 0;
	}
	if (14 + l3_len > len)
		return 0;
	l4 = ip + hl;
	if (!l4_ok(ip, v6, proto, l4, l3_len - hl))
		return 0;
	if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6)
		return 1;
	type = l4[0];
	if ((proto == IPPROTO_ICMP && type != 3 && type != 11) ||
	    (proto == IPPROTO_ICMPV6 && type >= 128))
		return 1;
	in = l4 + 8;
	if (!v6) {
		in_hl = (in[0] & 15) * 4;
		in_len = (in[2] << 8) | in[3];
		if (fold(sum_bytes(in, in_hl, 0)) != 0xffff)
			return 0;
	} else {
		in_hl = 40;
		in_len = 40 + ((in[4] << 8) | in[5]);
	}
	if (in + in_len > ip + l3_len)
		return 1;	/* quote cut short: its L4 sum cannot be checked */
	in4 = in + in_hl;
	return l4_ok(in, v6, v6 ? in[6] : in[9], in4, in_len - in_hl);
}

/* --- maps --- */

static int fd_of(struct dpt *d, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(d->skel->obj, name));
}

static void set_pool(struct dpt *d, const char *addr, __u32 n, __u16 lo,
		     __u16 hi, const char *src, __u8 plen)
{
	struct ferry_nat_pool_key k = {};
	struct ferry_nat_pool p = {};
	int fam = pkt_parse_addr(addr, p.addr);

	k.zone = 0;
	k.family = fam == AF_INET ? FERRY_AF_INET : FERRY_AF_INET6;
	p.naddrs = n;
	p.port_lo = lo;
	p.port_hi = hi;
	if (src)
		pkt_parse_addr(src, p.src);
	p.src_plen = plen;
	assert_int_equal(bpf_map_update_elem(fd_of(d, "ferry_nat_pools"), &k, &p, 0), 0);
}

static void set_fwd(struct dpt *d, __u8 proto, const char *vip, __u16 port,
		    const char *const *be, const __u16 *be_port, __u32 n)
{
	struct ferry_nat_fwd_key k = {};
	struct ferry_nat_fwd v = {};
	int fam = pkt_parse_addr(vip, k.addr);
	__u32 i;

	k.family = fam == AF_INET ? FERRY_AF_INET : FERRY_AF_INET6;
	k.port = htons(port);
	k.proto = proto;
	v.nbackends = n;
	for (i = 0; i < n; i++) {
		pkt_parse_addr(be[i], v.be[i].addr);
		v.be[i].port = htons(be_port[i]);
	}
	assert_int_equal(bpf_map_update_elem(fd_of(d, "ferry_nat_fwds"), &k, &v, 0), 0);
}

static int rev_count(struct dpt *d)
{
	int fd = fd_of(d, "ferry_nat_rev"), n = 0;
	struct ferry_flow_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* The reverse entry of spec s's flow (translated key t) names its key. */
static void assert_rev(struct dpt *d, const struct pkt_spec *orig,
		       const struct pkt_spec *xlat)
{
	struct ferry_flow_key ok, tk, v;

	dpt_flow_key(0, orig, &ok, NULL);
	dpt_flow_key(0, xlat, &tk, NULL);
	assert_int_equal(bpf_map_lookup_elem(fd_of(d, "ferry_nat_rev"), &tk, &v), 0);
	assert_memory_equal(&v, &ok, sizeof(ok));
}

/* --- sending --- */

static void dump_diff(const __u8 *a, const __u8 *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			fprintf(stderr, "  byte %zu: got %02x, want %02x\n", i, a[i], b[i]);
}

/*
 * Send s through XDP (or TC); it must pass for reason why and come out
 * exactly as the frame of spec e, every checksum verifying.
 */
static void expect_out(struct dpt *d, int tc, const struct pkt_spec *s,
		       const struct pkt_spec *e, int why)
{
	__u8 in[PKT_MAX_LEN], out[PKT_MAX_LEN], want[PKT_MAX_LEN];
	size_t out_len = sizeof(out);
	int len, wlen, reason, ret;

	len = pkt_build(s, in, sizeof(in));
	wlen = pkt_build(e, want, sizeof(want));
	assert_true(len > 0 && wlen > 0);
	ret = dpt_run_out(d, tc, in, len, d->ifindex, out, &out_len, &reason);
	assert_string_equal(dpt_reason_str(reason), dpt_reason_str(why));
	assert_int_equal(ret, tc ? TC_ACT_OK : XDP_PASS);
	assert_int_equal(out_len, wlen);
	if (memcmp(out, want, wlen))
		dump_diff(out, want, wlen);
	assert_memory_equal(out, want, wlen);
	assert_true(frame_csums_ok(out, out_len));
}

/* Same, for frames given as bytes (edited after building). */
static void expect_out_raw(struct dpt *d, const __u8 *in, size_t len,
			   const __u8 *want, size_t wlen, int why)
{
	__u8 out[PKT_MAX_LEN];
	size_t out_len = sizeof(out);
	int reason;

	assert_int_equal(dpt_run_out(d, 0, in, len, d->ifindex, out, &out_len,
				     &reason), XDP_PASS);
	assert_string_equal(dpt_reason_str(reason), dpt_reason_str(why));
	assert_int_equal(out_len, wlen);
	if (memcmp(out, want, wlen))
		dump_diff(out, want, wlen);
	assert_memory_equal(out, want, wlen);
	assert_true(frame_csums_ok(out, out_len));
}

/* The translated source port the flow of s got. */
static __u16 snat_port(struct dpt *d, const struct pkt_spec *s)
{
	struct ferry_flow f;

	assert_int_equal(dpt_flow(d, 0, s, &f, NULL), 0);
	assert_true(f.nat.kind & FERRY_NAT_SNAT);
	return ntohs(f.nat.sport);
}

static struct pkt_spec tcp(const char *sa, const char *da, __u16 sp, __u16 dp,
			   __u8 flags, __u32 seq, __u32 ack)
{
	struct pkt_spec s = {
		.saddr = sa, .daddr = da, .proto = IPPROTO_TCP,
		.sport = sp, .dport = dp, .tcp_flags = flags,
		.seq = seq, .ack = ack, .tcp_opts = PKT_OPT_MSS,
	};

	return s;
}

/*
 * A TCP connection client:cport -> dst:dport translated to
 * xsrc:xsport -> xdst:xdport: handshake and data both ways, each frame
 * checked on the way out. 
 */
static void tcp_conn(struct dpt *d, int tc, const char *client, __u16 cport,
		     const char *dst, __u16 dport, const char *xsrc,
		     __u16 xsport, const char *xdst, __u16 xdport, int first)
{
	struct pkt_spec s, e;

	s = tcp(client, dst, cport, dport, PKT_TCP_SYN, 1000, 0);
	e = tcp(xsrc, xdst, xsport, xdport, PKT_TCP_SYN, 1000, 0);
	if (first)
		expect_out(d, tc, &s, &e, FERRY_PASS_NEW);
	/* the reply arrives on the translated side */
	s = tcp(xdst, xsrc, xdport, xsport, PKT_TCP_SYN | PKT_TCP_ACK, 5000, 1001);
	e = tcp(dst, client, dport, cport, PKT_TCP_SYN | PKT_TCP_ACK, 5000, 1001);
	expect_out(d, tc, &s, &e, FERRY_PASS_ESTABLISHED);
	s = tcp(client, dst, cport, dport, PKT_TCP_ACK, 1001, 5001);
	e = tcp(xsrc, xdst, xsport, xdport, PKT_TCP_ACK, 1001, 5001);
	s.tcp_opts = e.tcp_opts = 0;
	s.payload_len = e.payload_len = 333;	/* odd: checksum of a tail byte */
	expect_out(d, tc, &s, &e, FERRY_PASS_ESTABLISHED);
	s = tcp(xdst, xsrc, xdport, xsport, PKT_TCP_ACK, 5001, 1334);
	e = tcp(dst, client, dport, cport, PKT_TCP_ACK, 5001, 1334);
	s.tcp_opts = e.tcp_opts = 0;
	s.payload_len = e.payload_len = 1000;
	expect_out(d, tc, &s, &e, FERRY_PASS_ESTABLISHED);
}

/* --- tests --- */

static void test_snat_tcp_v4(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = tcp(CLIENT4, SERVER4, 40000, 80, PKT_TCP_SYN, 1000, 0);
	struct pkt_spec e, x;
	__u8 in[PKT_MAX_LEN], out[PKT_MAX_LEN];
	size_t out_len = sizeof(out);
	int len, reason;
	__u16 p;

	set_pool(d, POOL4, 1, 20000, 20099, "198.18.0.0", 24);
	/* 40000 is outside the pool's ports: one from the range */
	len = pkt_build(&s, in, sizeof(in));
	assert_int_equal(dpt_run_out(d, 0, in, len, 1, out, &out_len, &reason),
			 XDP_PASS);
	assert_int_equal(reason, FERRY_PASS_NEW);
	p = snat_port(d, &s);
	assert_true(p >= 20000 && p <= 20099);
	e = tcp(POOL4, SERVER4, p, 80, PKT_TCP_SYN, 1000, 0);
	len = pkt_build(&e, in, sizeof(in));
	assert_int_equal(out_len, len);
	assert_memory_equal(out, in, len);
	assert_true(frame_csums_ok(out, out_len));
	x = e;
	assert_rev(d, &s, &x);
	tcp_conn(d, 0, CLIENT4, 40000, SERVER4, 80, POOL4, p, SERVER4, 80, 0);
	assert_int_equal(dpt_flow_count(d), 1);
	assert_int_equal(rev_count(d), 1);
}

static void test_snat_keeps_port_and_tc(void **state)
{
	struct dpt *d = *state;

	set_pool(d, POOL4, 1, 1024, 65535, NULL, 0);
	tcp_conn(d, 0, CLIENT4, 40000, SERVER4, 80, POOL4, 40000, SERVER4, 80, 1);
	/* the same through the TC entry */
	tcp_conn(d, 1, CLIENT4, 40001, SERVER4, 80, POOL4, 40001, SERVER4, 80, 1);
}

static void test_snat_tcp_v6(void **state)
{
	struct dpt *d = *state;

	set_pool(d, POOL6, 1, 1024, 65535, "2001:db8::", 64);
	tcp_conn(d, 0, CLIENT6, 40000, SERVER6, 443, POOL6, 40000, SERVER6, 443, 1);
}

static void udp_both_ways(struct dpt *d, const char *c, const char *srv,
			  const char *pool)
{
	struct pkt_spec s = {
		.saddr = c, .daddr = srv, .proto = IPPROTO_UDP,
		.sport = 5353, .dport = 53, .payload_len = 37,
	};
	struct pkt_spec e = s, r, re;

	e.saddr = pool;
	expect_out(d, 0, &s, &e, FERRY_PASS_NEW);
	pkt_reverse(&e, &r);
	r.payload_len = 100;
	pkt_reverse(&s, &re);
	re.payload_len = 100;
	expect_out(d, 0, &r, &re, FERRY_PASS_ESTABLISHED);
}

static void test_snat_udp(void **state)
{
	struct dpt *d = *state;

	set_pool(d, POOL4, 1, 1024, 65535, NULL, 0);
	set_pool(d, POOL6, 1, 1024, 65535, NULL, 0);
	udp_both_ways(d, CLIENT4, SERVER4, POOL4);
	udp_both_ways(d, CLIENT6, SERVER6, POOL6);
}

/* IPv4 UDP without checksum (0) stays without one after translation. */
static void test_snat_udp_zero_csum(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = CLIENT4, .daddr = SERVER4, .proto = IPPROTO_UDP,
		.sport = 5353, .dport = 53, .payload_len = 20,
	};
	struct pkt_spec e = s;
	__u8 in[PKT_MAX_LEN], want[PKT_MAX_LEN];
	struct pkt_layout li, lw;
	int len, wlen;

	set_pool(d, POOL4, 1, 1024, 65535, NULL, 0);
	e.saddr = POOL4;
	len = pkt_build_layout(&s, in, sizeof(in), &li);
	wlen = pkt_build_layout(&e, want, sizeof(want), &lw);
	pkt_put_be16(in, li.l4 + 6, 0);
	pkt_put_be16(want, lw.l4 + 6, 0);
	expect_out_raw(d, in, len, want, wlen, FERRY_PASS_NEW);
}

static void echo_both_ways(struct dpt *d, const char *c, const char *srv,
			   const char *pool, __u8 proto, __u8 req, __u8 rep)
{
	struct pkt_spec s = {
		.saddr = c, .daddr = srv, .proto = proto, .icmp_type = req,
		.icmp_id = 777, .icmp_seq = 1, .payload_len = 56,
	};
	struct pkt_spec e = s, r, re;
	struct ferry_flow f;
	__u16 id;

	/* the id is a port of the pool: 777 is outside 30000-30009 */
	assert_int_equal(dpt_send(d, &s, NULL), XDP_PASS);
	assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), 0);
	id = ntohs(f.nat.sport);
	assert_int_equal(f.nat.sport, f.nat.dport);
	assert_true(id >= 30000 && id <= 30009);
	e.saddr = pool;
	e.icmp_id = id;
	s.icmp_seq = e.icmp_seq = 2;
	expect_out(d, 0, &s, &e, FERRY_PASS_ESTABLISHED);
	pkt_reverse(&e, &r);
	r.icmp_type = rep;
	pkt_reverse(&s, &re);
	re.icmp_type = rep;
	expect_out(d, 0, &r, &re, FERRY_PASS_ESTABLISHED);
}

static void test_snat_icmp_echo(void **state)
{
	struct dpt *d = *state;

	set_pool(d, POOL4, 1, 30000, 30009, NULL, 0);
	set_pool(d, POOL6, 1, 30000, 30009, NULL, 0);
	echo_both_ways(d, CLIENT4, SERVER4, POOL4, IPPROTO_ICMP, 8, 0);
	echo_both_ways(d, CLIENT6, SERVER6, POOL6, IPPROTO_ICMPV6, 128, 129);
}

static void test_dnat_tcp_v4_v6(void **state)
{
	struct dpt *d = *state;
	const char *be4[] = { BACK4 }, *be6[] = { BACK6 };
	const __u16 bp[] = { 8080 };

	set_fwd(d, IPPROTO_TCP, VIP4, 80, be4, bp, 1);
	set_fwd(d, IPPROTO_TCP, VIP6, 80, be6, bp, 1);
	tcp_conn(d, 0, CLIENT4, 40000, VIP4, 80, CLIENT4, 40000, BACK4, 8080, 1);
	tcp_conn(d, 0, CLIENT6, 40000, VIP6, 80, CLIENT6, 40000, BACK6, 8080, 1);
	assert_int_equal(rev_count(d), 2);
}

/* DNAT and SNAT on one flow (how a hairpin works): both ends change. */
static void test_dnat_and_snat(void **state)
{
	struct dpt *d = *state;
	const char *be4[] = { BACK4 };
	const __u16 bp[] = { 8080 };
	struct ferry_flow f;
	struct pkt_spec s = tcp(CLIENT4, VIP4, 40000, 80, PKT_TCP_SYN, 1000, 0);

	set_fwd(d, IPPROTO_TCP, VIP4, 80, be4, bp, 1);
	set_pool(d, POOL4, 1, 1024, 65535, NULL, 0);
	tcp_conn(d, 0, CLIENT4, 40000, VIP4, 80, POOL4, 40000, BACK4, 8080, 1);
	assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), 0);
	assert_int_equal(f.nat.kind, FERRY_NAT_SNAT | FERRY_NAT_DNAT);
}

/* Backends by hash of the flow, fixed for its life. */
static void test_dnat_backends_fixed(void **state)
{
	struct dpt *d = *state;
	const char *be[] = { BACK4, BACK4B };
	const __u16 bp[] = { 8080, 8081 };
	int used[2] = { 0, 0 }, i;

	set_fwd(d, IPPROTO_TCP, VIP4, 80, be, bp, 2);
	for (i = 0; i < 16; i++) {
		struct pkt_spec s = tcp(CLIENT4, VIP4, 41000 + i, 80,
					PKT_TCP_SYN, 1000, 0);
		struct ferry_flow f;
		__u8 a[16];
		int b;

		assert_int_equal(dpt_send(d, &s, NULL), XDP_PASS);
		assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), 0);
		pkt_parse_addr(BACK4, a);
		b = memcmp(f.nat.daddr, a, 4) ? 1 : 0;
		assert_int_equal(ntohs(f.nat.dport), bp[b]);
		used[b]++;
		/* a retransmitted SYN keeps the backend */
		tcp_conn(d, 0, CLIENT4, 41000 + i, VIP4, 80, CLIENT4,
			 41000 + i, be[b], bp[b], 0);
	}
	assert_true(used[0] > 0 && used[1] > 0);
}

/* Rules see the destination the client addressed, not the backend. */
static void test_policy_pre_dnat(void **state)
{
	struct dpt *d = *state;
	const char *be4[] = { BACK4 };
	const __u16 bp[] = { 8080 };
	struct ferry_rule r;
	struct pkt_spec s = tcp(CLIENT4, VIP4, 40000, 80, PKT_TCP_SYN, 1000, 0);

	set_fwd(d, IPPROTO_TCP, VIP4, 80, be4, bp, 1);
	dpt_rule_init(&r, 7, FERRY_ACT_ALLOW);
	assert_int_equal(dpt_rule_prefix(&r, 0, BACK4 "/32"), 0);
	assert_int_equal(dpt_set_rules(d, &r, 1), 0);
	assert_drop(d, &s, FERRY_DROP_NO_RULE);
	assert_int_equal(rev_count(d), 0);
	dpt_rule_init(&r, 8, FERRY_ACT_ALLOW);
	assert_int_equal(dpt_rule_prefix(&r, 0, VIP4 "/32"), 0);
	assert_int_equal(dpt_set_rules(d, &r, 1), 0);
	tcp_conn(d, 0, CLIENT4, 40000, VIP4, 80, CLIENT4, 40000, BACK4, 8080, 1);
}

/* Two clients with the same source port get different pool ports. */
static void test_port_collision(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec a = tcp(CLIENT4, SERVER4, 40000, 80, PKT_TCP_SYN, 1000, 0);
	struct pkt_spec b = tcp(CLIENT4B, SERVER4, 40000, 80, PKT_TCP_SYN, 1000, 0);
	__u16 pa, pb;

	set_pool(d, POOL4, 1, 1024, 65535, NULL, 0);
	assert_pass(d, &a, FERRY_PASS_NEW);
	assert_pass(d, &b, FERRY_PASS_NEW);
	pa = snat_port(d, &a);
	pb = snat_port(d, &b);
	assert_int_equal(pa, 40000);
	assert_int_not_equal(pb, 40000);
	tcp_conn(d, 0, CLIENT4, 40000, SERVER4, 80, POOL4, pa, SERVER4, 80, 0);
	tcp_conn(d, 0, CLIENT4B, 40000, SERVER4, 80, POOL4, pb, SERVER4, 80, 0);
	assert_int_equal(rev_count(d), 2);
}

/* A pool of 2 ports holds 2 flows to one server; the third is refused. */
static void test_pool_exhausted(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s;
	int i;

	set_pool(d, POOL4, 1, 20000, 20001, NULL, 0);
	for (i = 0; i < 3; i++) {
		s = tcp(CLIENT4, SERVER4, 40000 + i, 80, PKT_TCP_SYN, 1, 0);
		if (i < 2)
			assert_pass(d, &s, FERRY_PASS_NEW);
		else
			assert_drop(d, &s, FERRY_DROP_NAT_EXHAUSTED);
	}
	assert_int_equal(dpt_flow_count(d), 2);
	assert_int_equal(rev_count(d), 2);
	/* another server: the same pool ports are free for it */
	s = tcp(CLIENT4, "198.18.1.3", 40002, 80, PKT_TCP_SYN, 1, 0);
	assert_pass(d, &s, FERRY_PASS_NEW);
}

/* Sweeping expired flows removes their reverse entries too; a flow that
 * expired in the datapath gives its binding up when its tuple returns. */
static void test_expiry(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = CLIENT4, .daddr = SERVER4, .proto = IPPROTO_UDP,
		.sport = 5353, .dport = 53,
	};
	struct pkt_spec r = {
		.saddr = SERVER4, .daddr = POOL4, .proto = IPPROTO_UDP,
		.sport = 53, .dport = 5353,
	};
	struct ferry_stateops ops;
	struct ferry_sweep st;

	set_pool(d, POOL4, 1, 1024, 65535, "198.18.0.0", 24);
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_int_equal(rev_count(d), 1);
	dpt_advance(d, DPT_SEC(31));
	/* the reply of an expired flow is not the flow's any more: the old
	 * flow and its binding go, the reply is a new flow of its own */
	assert_pass(d, &r, FERRY_PASS_NEW);
	assert_int_equal(rev_count(d), 0);
	assert_int_equal(dpt_flow_count(d), 1);
	assert_int_equal(dpt_flow_delete(d, 0, &r), 0);

	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_int_equal(rev_count(d), 1);
	dpt_advance(d, DPT_SEC(31));
	assert_int_equal(ferry_stateops_open_obj(&ops, d->skel->obj, 0), 0);
	assert_int_equal(ferry_ct_sweep(&ops, dpt_now(d), &st), 0);
	ferry_stateops_close(&ops);
	assert_int_equal(st.removed, 1);
	assert_int_equal(dpt_flow_count(d), 0);
	assert_int_equal(rev_count(d), 0);

	/* expired and met again from the inside: a fresh binding */
	assert_pass(d, &s, FERRY_PASS_NEW);
	dpt_advance(d, DPT_SEC(31));
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow_count(d), 1);
	assert_int_equal(rev_count(d), 1);
}

/* A reverse entry whose flow is gone is an orphan: not found, deleted. */
static void test_orphan(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = CLIENT4, .daddr = SERVER4, .proto = IPPROTO_UDP,
		.sport = 5353, .dport = 53,
	};
	struct pkt_spec r = {
		.saddr = SERVER4, .daddr = POOL4, .proto = IPPROTO_UDP,
		.sport = 53, .dport = 5353,
	};
	struct ferry_rule rule;

	set_pool(d, POOL4, 1, 1024, 65535, NULL, 0);
	assert_pass(d, &s, FERRY_PASS_NEW);
	assert_int_equal(dpt_flow_delete(d, 0, &s), 0);
	assert_int_equal(rev_count(d), 1);
	dpt_rule_init(&rule, 1, FERRY_ACT_DENY);
	assert_int_equal(dpt_set_rules(d, &rule, 1), 0);
	assert_drop(d, &r, FERRY_DROP_RULE);
	assert_int_equal(rev_count(d), 0);
}

/* A backend reaching its own forward, without SNAT, is refused. */
static void test_hairpin_refused(void **state)
{
	struct dpt *d = *state;
	const char *be4[] = { CLIENT4 };
	const __u16 bp[] = { 8080 };
	struct pkt_spec s = tcp(CLIENT4, VIP4, 40000, 80, PKT_TCP_SYN, 1, 0);

	set_fwd(d, IPPROTO_TCP, VIP4, 80, be4, bp, 1);
	assert_drop(d, &s, FERRY_DROP_NAT_HAIRPIN);
	assert_int_equal(dpt_flow_count(d), 0);
	assert_int_equal(rev_count(d), 0);
}

/*
 * ICMP errors about a translated flow: the quote and the outer addresses
 * are translated back, every checksum still right; quoted TCP cut after
 * its ports (as routers do) keeps its checksum field untouched.
 */
static void icmp_error_case(struct dpt *d, int v6, __u8 proto, size_t cut,
			    int tc)
{
	const char *client = v6 ? CLIENT6 : CLIENT4, *srv = v6 ? SERVER6 : SERVER4;
	const char *pool = v6 ? POOL6 : POOL4;
	struct pkt_spec s = {
		.saddr = client, .daddr = srv, .proto = proto,
		.sport = 40000, .dport = 53, .payload_len = 12,
	};
	struct pkt_spec qx = s, qo = s, err = {}, want;
	__u8 quote_x[256], quote_o[256];
	int qlx, qlo;

	if (proto == IPPROTO_TCP) {
		s.tcp_flags = qx.tcp_flags = qo.tcp_flags = PKT_TCP_SYN;
		s.payload_len = qx.payload_len = qo.payload_len = 0;
	}
	assert_pass(d, &s, FERRY_PASS_NEW);
	qx.saddr = pool;
	qx.sport = snat_port(d, &s);
	qlx = pkt_build_l3(&qx, quote_x, sizeof(quote_x));
	qlo = pkt_build_l3(&qo, quote_o, sizeof(quote_o));
	assert_true(qlx > 0 && qlx == qlo);
	if (cut) {
		qlx = cut;
		qlo = cut;
	}
	err.saddr = srv;
	err.daddr = pool;
	err.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	err.icmp_type = v6 ? 1 : 3;
	err.icmp_code = v6 ? 4 : 3;
	err.payload = quote_x;
	err.payload_len = qlx;
	want = err;
	want.daddr = client;
	want.payload = quote_o;
	want.payload_len = qlo;
	expect_out(d, tc, &err, &want, FERRY_PASS_RELATED);
}

static void test_icmp_error_about_snat(void **state)
{
	struct dpt *d = *state;

	set_pool(d, POOL4, 1, 20000, 20099, NULL, 0);
	set_pool(d, POOL6, 1, 20000, 20099, NULL, 0);
	icmp_error_case(d, 0, IPPROTO_UDP, 0, 0);
	icmp_error_case(d, 1, IPPROTO_UDP, 0, 0);
	dpt_flow_flush(d);
	icmp_error_case(d, 0, IPPROTO_TCP, 0, 0);
	dpt_flow_flush(d);
	icmp_error_case(d, 1, IPPROTO_TCP, 0, 0);
	dpt_flow_flush(d);
	icmp_error_case(d, 0, IPPROTO_TCP, 20 + 8, 0);	/* quote: IP + 8 bytes */
	dpt_flow_flush(d);
	icmp_error_case(d, 1, IPPROTO_UDP, 0, 1);	/* through TC */
}

/* An error from the backend about a DNAT flow: its source becomes the VIP. */
static void test_icmp_error_about_dnat(void **state)
{
	struct dpt *d = *state;
	const char *be4[] = { BACK4 };
	const __u16 bp[] = { 5353 };
	struct pkt_spec s = {
		.saddr = CLIENT4, .daddr = VIP4, .proto = IPPROTO_UDP,
		.sport = 40000, .dport = 53, .payload_len = 10,
	};
	struct pkt_spec qx = s, err = {}, want;
	__u8 quote_x[256], quote_o[256];
	int ql;

	set_fwd(d, IPPROTO_UDP, VIP4, 53, be4, bp, 1);
	assert_pass(d, &s, FERRY_PASS_NEW);
	qx.daddr = BACK4;
	qx.dport = 5353;
	ql = pkt_build_l3(&qx, quote_x, sizeof(quote_x));
	assert_int_equal(pkt_build_l3(&s, quote_o, sizeof(quote_o)), ql);
	err.saddr = BACK4;
	err.daddr = CLIENT4;
	err.proto = IPPROTO_ICMP;
	err.icmp_type = 3;
	err.icmp_code = 3;
	err.payload = quote_x;
	err.payload_len = ql;
	want = err;
	want.saddr = VIP4;
	want.payload = quote_o;
	expect_out(d, 0, &err, &want, FERRY_PASS_RELATED);
}

/*
 * Headers at other offsets: a VLAN tag (IPv4) and IPv6 extension headers.
 * The frame must equal the expected one byte for byte; its checksums are
 * checked by the builder's verifier (ours reads untagged frames only).
 */
static void expect_out_layout(struct dpt *d, const struct pkt_spec *s,
			      const struct pkt_spec *e, int why)
{
	__u8 in[PKT_MAX_LEN], out[PKT_MAX_LEN], want[PKT_MAX_LEN];
	size_t out_len = sizeof(out);
	struct pkt_layout lay;
	int len, wlen, reason;

	len = pkt_build(s, in, sizeof(in));
	wlen = pkt_build_layout(e, want, sizeof(want), &lay);
	assert_int_equal(dpt_run_out(d, 0, in, len, 1, out, &out_len, &reason),
			 XDP_PASS);
	assert_string_equal(dpt_reason_str(reason), dpt_reason_str(why));
	assert_int_equal(out_len, wlen);
	if (memcmp(out, want, wlen))
		dump_diff(out, want, wlen);
	assert_memory_equal(out, want, wlen);
	assert_true(pkt_csum_ok(out, &lay));
}

static void test_offsets_vlan_ext(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = CLIENT4, .daddr = SERVER4, .proto = IPPROTO_UDP,
		.sport = 5353, .dport = 53, .payload_len = 9,
		.nvlan = 1, .vlan = { 100 },
	};
	struct pkt_spec e = s, r, re;

	set_pool(d, POOL4, 1, 1024, 65535, NULL, 0);
	set_pool(d, POOL6, 1, 1024, 65535, NULL, 0);
	e.saddr = POOL4;
	expect_out_layout(d, &s, &e, FERRY_PASS_NEW);
	pkt_reverse(&e, &r);
	pkt_reverse(&s, &re);
	expect_out_layout(d, &r, &re, FERRY_PASS_ESTABLISHED);

	s.saddr = CLIENT6;
	s.daddr = SERVER6;
	s.nvlan = 0;
	s.next = 2;
	s.ext[0].type = IPPROTO_HOPOPTS;
	s.ext[1].type = IPPROTO_DSTOPTS;
	s.ext[1].len = 16;
	e = s;
	e.saddr = POOL6;
	expect_out_layout(d, &s, &e, FERRY_PASS_NEW);
	pkt_reverse(&e, &r);
	pkt_reverse(&s, &re);
	expect_out_layout(d, &r, &re, FERRY_PASS_ESTABLISHED);
}

/* Malformed frames of a translated flow are dropped, never rewritten. */
static void test_malformed(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec s = {
		.saddr = CLIENT4, .daddr = SERVER4, .proto = IPPROTO_UDP,
		.sport = 5353, .dport = 53,
	};
	struct pkt_spec err = {
		.saddr = SERVER4, .daddr = POOL4, .proto = IPPROTO_ICMP,
		.icmp_type = 3, .icmp_code = 3,
	};
	__u8 quote[256], buf[PKT_MAX_LEN];
	struct pkt_layout lay;
	int len, ql;
	struct pkt_spec q = s;

	set_pool(d, POOL4, 1, 1024, 65535, NULL, 0);
	assert_pass(d, &s, FERRY_PASS_NEW);
	q.saddr = POOL4;
	ql = pkt_build_l3(&q, quote, sizeof(quote));
	/* quote cut inside its IP header */
	err.payload = quote;
	err.payload_len = 12;
	assert_drop(d, &err, FERRY_DROP_MALFORMED);
	/* UDP header claiming more than the IP packet has */
	len = pkt_build_layout(&s, buf, sizeof(buf), &lay);
	pkt_put_be16(buf, lay.l3 + 2, 20 + 4);	/* IPv4 total length */
	pkt_ipv4_fix_csum(buf, lay.l3);
	assert_int_equal(dpt_run_xdp(d, buf, len, 1, &ql), XDP_DROP);
	assert_int_equal(ql, FERRY_DROP_MALFORMED);
	assert_int_equal(rev_count(d), 1);
}

static int setup(void **state)
{
	return dpt_setup(state);
}

/*
 * A SNAT flow's binding travels with it (schema 2): the destination takes
 * it only with the same pool of its own, claims the translated tuple, and
 * then translates the flow's packets as the source did; a flow whose
 * binding another flow holds there is refused.
 */
static void test_binding_migrates(void **state)
{
	struct dpt *d = *state, d2;
	struct pkt_spec s = tcp(CLIENT4, SERVER4, 40000, 80, PKT_TCP_SYN, 1000, 0);
	struct pkt_spec x, e;
	struct ferry_import_nat nat;
	struct ferry_import_opts io = { .nrules = 1, .nat = &nat };
	struct ferry_stateops ops2;
	struct ferry_import_report rep;
	struct ferry_flow_key k, k2;
	struct ferry_flow f, f2;
	struct ferry_sc_flow r;
	struct ferry_rule allow;
	char err[256];
	int reason;
	__u16 p;

	set_pool(d, POOL4, 1, 20000, 20099, "198.18.0.0", 24);
	assert_int_equal(dpt_send(d, &s, &reason), XDP_PASS);
	assert_int_equal(reason, FERRY_PASS_NEW);
	p = snat_port(d, &s);
	tcp_conn(d, 0, CLIENT4, 40000, SERVER4, 80, POOL4, p, SERVER4, 80, 0);

	/* Out of d as a bundle record, into the entry d2 would get. */
	dpt_flow_key(0, &s, &k, NULL);
	assert_int_equal(dpt_flow(d, 0, &s, &f, NULL), 0);
	assert_int_equal(ferry_sc_flow_from_entry(&k, &f, dpt_now(d), &r), 0);
	assert_int_equal(r.nat_kind, FERRY_NAT_SNAT);
	assert_int_equal(r.nat_sport, p);

	assert_int_equal(dpt_open(&d2, 0), 0);
	dpt_rule_init(&allow, 1, FERRY_ACT_ALLOW);
	io.rules = &allow;
	assert_int_equal(dpt_set_rules(&d2, &allow, 1), 0);
	assert_int_equal(ferry_stateops_open_obj(&ops2, d2.skel->obj, 0), 0);
	nat.pools_fd = fd_of(&d2, "ferry_nat_pools");
	nat.fwds_fd = fd_of(&d2, "ferry_nat_fwds");

	/* d2 has no such pool: the binding is not its to take. */
	ferry_sc_flow_to_entry(&r, dpt_now(&d2), &k2, &f2);
	assert_int_equal(ferry_import(&ops2, &k2, &f2, 1, &io, &rep, err,
				      sizeof(err)), 0);
	assert_int_equal(rep.count[FERRY_IMPORT_NAT_FOREIGN], 1);
	assert_int_equal(dpt_flow_count(&d2), 0);
	assert_int_equal(rev_count(&d2), 0);

	/* With the pool it is: the flow and its claim are installed. */
	set_pool(&d2, POOL4, 1, 20000, 20099, "198.18.0.0", 24);
	ferry_sc_flow_to_entry(&r, dpt_now(&d2), &k2, &f2);
	assert_int_equal(ferry_import(&ops2, &k2, &f2, 1, &io, &rep, err,
				      sizeof(err)), 0);
	assert_int_equal(rep.count[FERRY_IMPORT_ACCEPTED], 1);
	assert_int_equal(rev_count(&d2), 1);

	/* The server's next segment, to the pool address, reaches the client. */
	x = tcp(SERVER4, POOL4, 80, p, PKT_TCP_ACK, 6001, 1334);
	e = tcp(SERVER4, CLIENT4, 80, 40000, PKT_TCP_ACK, 6001, 1334);
	x.tcp_opts = e.tcp_opts = 0;
	x.payload_len = e.payload_len = 100;
	expect_out(&d2, 0, &x, &e, FERRY_PASS_ESTABLISHED);

	/* Another client's flow claiming the same translation: refused. */
	r.src[3] = 3;
	ferry_sc_flow_to_entry(&r, dpt_now(&d2), &k2, &f2);
	assert_int_equal(ferry_import(&ops2, &k2, &f2, 1, &io, &rep, err,
				      sizeof(err)), 0);
	assert_int_equal(rep.count[FERRY_IMPORT_NAT_TAKEN], 1);
	assert_int_equal(dpt_flow_count(&d2), 1);
	assert_int_equal(rev_count(&d2), 1);
	ferry_stateops_close(&ops2);
	dpt_close(&d2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snat_tcp_v4, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_snat_keeps_port_and_tc, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_snat_tcp_v6, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_snat_udp, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_snat_udp_zero_csum, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_snat_icmp_echo, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_dnat_tcp_v4_v6, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_dnat_and_snat, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_dnat_backends_fixed, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_policy_pre_dnat, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_port_collision, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_pool_exhausted, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_orphan, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_hairpin_refused, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_about_snat, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_about_dnat, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_offsets_vlan_ext, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_binding_migrates, setup, dpt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
