// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * State bundle codec: round trips of every field, records <-> table
 * entries, and every kind of malformed input (bundles built by hand with
 * msgpack-c, independently of the encoder under test).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <msgpack.h>
#include <zlib.h>
#include "statecodec.h"

#define NOW_NS	(1000000ull * 1000000000ull)	/* 1e6 s of uptime */
#define MAXF	20000

struct obuf {
	__u8 *data;
	size_t len;
	size_t cap;
};

static int obuf_write(void *ctx, const void *p, size_t len)
{
	struct obuf *o = ctx;

	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		o->data = realloc(o->data, o->cap);
		assert_non_null(o->data);
	}
	memcpy(o->data + o->len, p, len);
	o->len += len;
	return 0;
}

/* A flow with every field set, distinct per i. */
static void make_flow(struct ferry_sc_flow *r, unsigned int i, __u8 proto,
		      __u8 family)
{
	int alen = family == FERRY_AF_INET ? 4 : 16, d;

	memset(r, 0, sizeof(*r));
	r->zone = 0xfffffff0u + (i & 7);
	r->family = family;
	r->proto = proto;
	memset(r->src, 0x11, alen);
	memset(r->dst, 0x22, alen);
	r->src[0] = 198;
	r->dst[0] = i & 1 ? 199 : 197;
	r->src[alen - 1] = i;
	r->dst[alen - 2] = i >> 8;
	switch (proto) {
	case IPPROTO_TCP:
		r->state = FERRY_TCP_SYN_SENT + i % 9;
		break;
	case IPPROTO_UDP:
		r->state = FERRY_UDP_UNREPLIED + (i & 1);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		r->state = FERRY_ICMP_UNREPLIED + (i & 1);
		break;
	default:
		r->state = FERRY_OTHER_UNREPLIED + (i & 1);
	}
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		r->sport = 40000 + i;
		r->dport = 65535 - (i & 3);
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		r->sport = r->dport = 0x1234 + i;
	}
	r->flags = i & 7;
	r->remaining_ms = i == 0 ? FERRY_SC_MAX_REMAINING_MS : 1000 + i;
	r->age_ms = 123456789 + i;
	r->idle_ms = i == 1 ? r->age_ms : 4567 + i;
	r->packets[0] = ~0ull - i;
	r->packets[1] = 1ull << 40 | i;
	r->bytes[0] = 0xdeadbeefcafeull + i;
	r->bytes[1] = i;
	for (d = 0; proto == IPPROTO_TCP && d < 2; d++) {
		r->tcp[d].end = 0xffffffffu - i - d;
		r->tcp[d].maxend = 0x80000000u + i + d;
		r->tcp[d].maxwin = 65535u << d;
		r->tcp[d].maxack = 0x12345678u + d;
		r->tcp[d].wscale = d ? 14 : i % 15;
		r->tcp[d].flags = (i + d) & 7;
	}
	r->rule_id = 0xfffffffeu - i;
	/* Every fourth flow (from the second) of a protocol NAT translates
	 * carries a binding, of each kind in turn. */
	if (i % 4 == 1 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
			   proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)) {
		r->nat_kind = 1 + (i / 4) % 3;
		memset(r->nat_src, 0x33, alen);
		memset(r->nat_dst, 0x44, alen);
		r->nat_src[alen - 1] = i;
		r->nat_sport = 20000 + i;
		r->nat_dport = 8080 - i;
	}
}

static const struct {
	__u8 proto;
	__u8 family;
} kinds[] = {
	{ IPPROTO_TCP, FERRY_AF_INET }, { IPPROTO_TCP, FERRY_AF_INET6 },
	{ IPPROTO_UDP, FERRY_AF_INET }, { IPPROTO_UDP, FERRY_AF_INET6 },
	{ IPPROTO_ICMP, FERRY_AF_INET }, { IPPROTO_ICMPV6, FERRY_AF_INET6 },
	{ IPPROTO_GRE, FERRY_AF_INET }, { 132 /* SCTP */, FERRY_AF_INET6 },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void make_mixed(struct ferry_sc_flow *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		make_flow(&r[i], i, kinds[i % NKINDS].proto, kinds[i % NKINDS].family);
}

static void encode(const struct ferry_sc_flow *r, unsigned int n,
		   __u32 chunk_entries, int zlib, struct obuf *o)
{
	struct ferry_sc_enc_opts opts = {
		.host = "host-a.example", .created_ms = 1767225600000ull,
		.flow_count = n, .chunk_entries = chunk_entries,
		.zlib_level = zlib, .write = obuf_write, .ctx = o,
	};
	char err[FERRY_SC_ERR_MAX] = "";
	struct ferry_sc_enc *e;
	unsigned int i;

	memset(o, 0, sizeof(*o));
	e = ferry_sc_enc_new(&opts, err, sizeof(err));
	if (!e)
		fail_msg("encoder: %s", err);
	for (i = 0; i < n; i++)
		if (ferry_sc_enc_add(e, &r[i]))
			fail_msg("add %u: %s", i, ferry_sc_enc_error(e));
	if (ferry_sc_enc_finish(e))
		fail_msg("finish: %s", ferry_sc_enc_error(e));
	ferry_sc_enc_free(e);
}

struct got {
	struct ferry_flow_key k[MAXF];
	struct ferry_flow f[MAXF];
	unsigned int n;
	struct ferry_sc_header h;
	int stop_at;		/* entry callback returns 99 at this entry; -1 never */
};

static struct got got;

static int got_header(void *ctx, const struct ferry_sc_header *h)
{
	got.h = *h;
	return 0;
}

static int got_entry(void *ctx, const struct ferry_flow_key *k,
		     const struct ferry_flow *f)
{
	if ((int)got.n == got.stop_at)
		return 99;
	assert_true(got.n < MAXF);
	got.k[got.n] = *k;
	got.f[got.n] = *f;
	got.n++;
	return 0;
}

static const struct ferry_sc_dec_ops got_ops = {
	.header = got_header, .entry = got_entry,
};

static int decode(const void *buf, size_t len, const struct ferry_sc_limits *lim,
		  char *err)
{
	got.n = 0;
	got.stop_at = -1;
	return ferry_sc_decode_buf(buf, len, &got_ops, lim, NOW_NS, err,
				   FERRY_SC_ERR_MAX);
}

/* The decoded entries, converted back, are the records r. */
static void assert_records(const struct ferry_sc_flow *r, unsigned int n)
{
	struct ferry_sc_flow back;
	unsigned int i;

	assert_int_equal(got.n, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(ferry_sc_flow_from_entry(&got.k[i], &got.f[i],
							  NOW_NS, &back), 0);
		if (memcmp(&back, &r[i], sizeof(back)))
			fail_msg("record %u differs after the round trip", i);
	}
}

static void round_trip(unsigned int n, __u32 chunk_entries, int zlib)
{
	static struct ferry_sc_flow r[MAXF];
	char err[FERRY_SC_ERR_MAX] = "";
	struct obuf o;
	int ret;

	make_mixed(r, n);
	encode(r, n, chunk_entries, zlib, &o);
	ret = decode(o.data, o.len, NULL, err);
	if (ret)
		fail_msg("decode: %d %s", ret, err);
	assert_string_equal(got.h.host, "host-a.example");
	assert_int_equal(got.h.version, FERRY_SC_VERSION);
	assert_int_equal(got.h.created_ms, 1767225600000ull);
	assert_int_equal(got.h.flow_count, n);
	assert_int_equal(got.h.chunk_count,
			 (n + (chunk_entries ?: 1024) - 1) / (chunk_entries ?: 1024));
	assert_int_equal(got.h.flags, zlib ? FERRY_SC_F_ZLIB : 0);
	assert_records(r, n);
	free(o.data);
}

static void test_round_trip_kinds(void **state)
{
	round_trip(NKINDS * 3, 0, 0);
	round_trip(NKINDS * 3, 0, 6);
}

static void test_round_trip_chunks(void **state)
{
	round_trip(0, 0, 0);
	round_trip(0, 0, 1);
	round_trip(1, 1, 0);
	round_trip(MAXF, 7, 0);
	round_trip(MAXF, 7, 9);
	round_trip(MAXF, 1024, 1);
	round_trip(1000, 1000, 0);
	round_trip(1001, 1000, 1);
}

/* The stream decoder over reads of 1..13 bytes gives what the buffer gives. */
struct slow_reader {
	const __u8 *p;
	size_t left;
	unsigned int step;
};

static ssize_t slow_read(void *ctx, void *buf, size_t len)
{
	struct slow_reader *s = ctx;
	size_t n = s->step++ % 13 + 1;

	if (n > len)
		n = len;
	if (n > s->left)
		n = s->left;
	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return n;
}

static void test_stream_decode(void **state)
{
	static struct ferry_sc_flow r[500];
	struct ferry_sc_dec_ops ops = got_ops;
	char err[FERRY_SC_ERR_MAX] = "";
	struct slow_reader s;
	struct obuf o;
	int z, ret;

	make_mixed(r, 500);
	for (z = 0; z <= 1; z++) {
		encode(r, 500, 33, z, &o);
		s = (struct slow_reader){ .p = o.data, .left = o.len };
		ops.read = slow_read;
		ops.ctx = &s;
		got.n = 0;
		got.stop_at = -1;
		ret = ferry_sc_decode(&ops, NULL, NOW_NS, err, sizeof(err));
		if (ret)
			fail_msg("decode: %d %s", ret, err);
		assert_records(r, 500);

		/* trailing bytes seen through the stream too */
		obuf_write(&o, "xyz", 3);
		s = (struct slow_reader){ .p = o.data, .left = o.len };
		ret = ferry_sc_decode(&ops, NULL, NOW_NS, err, sizeof(err));
		assert_int_equal(ret, -EBADMSG);
		assert_non_null(strstr(err, "bundle: "));
		assert_non_null(strstr(err, "trailing bytes after the last chunk"));
		free(o.data);
	}
}

static void test_callback_stops(void **state)
{
	struct ferry_sc_flow r[10];
	char err[FERRY_SC_ERR_MAX] = "";
	struct obuf o;

	make_mixed(r, 10);
	encode(r, 10, 3, 0, &o);
	got.n = 0;
	got.stop_at = 4;
	assert_int_equal(ferry_sc_decode_buf(o.data, o.len, &got_ops, NULL, NOW_NS,
					     err, sizeof(err)), 99);
	assert_int_equal(got.n, 4);
	free(o.data);
}

/* ---- Records and table entries ---- */

static void v4(__u8 *a, const char *s)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static void v6(__u8 *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static void to_entry(struct ferry_sc_flow *r, __u64 now, struct ferry_flow_key *k,
		     struct ferry_flow *f)
{
	char err[FERRY_SC_ERR_MAX];

	if (ferry_sc_flow_check(r, err, sizeof(err)))
		fail_msg("record invalid: %s", err);
	ferry_sc_flow_to_entry(r, now, k, f);
}

/* Each bundle's end, seen by the streamed sequence decoder. */
static __u64 ends_flows[8];
static unsigned int n_ends;
static int stop_at_end = -1;

static int got_end(void *ctx, const struct ferry_sc_header *h)
{
	if ((int)n_ends == stop_at_end)
		return 98;
	assert_true(n_ends < 8);
	/* every entry of the bundle came before its end */
	assert_int_equal(got.n, (n_ends ? ends_flows[n_ends - 1] : 0) + h->flow_count);
	ends_flows[n_ends++] = got.n;
	return 0;
}

static int decode_seq_stream(const void *buf, size_t len, char *err)
{
	struct slow_reader s = { .p = buf, .left = len };
	struct ferry_sc_dec_ops ops = got_ops;

	ops.read = slow_read;
	ops.ctx = &s;
	ops.bundle_end = got_end;
	got.n = 0;
	got.stop_at = -1;
	n_ends = 0;
	return ferry_sc_decode_seq(&ops, NULL, NOW_NS, err, FERRY_SC_ERR_MAX);
}

/* `ferryctl export | ferryctl import`: bundles back to back through a
 * stream read a few bytes at a time, each ended once it is whole. */
static void test_stream_sequence(void **state)
{
	static struct ferry_sc_flow r[100];
	char err[FERRY_SC_ERR_MAX] = "";
	struct obuf o, b;
	size_t first;
	int ret;

	make_mixed(r, 100);
	encode(r, 60, 7, 0, &o);
	first = o.len;
	encode(r + 60, 40, 9, 1, &b);
	obuf_write(&o, b.data, b.len);
	free(b.data);
	encode(r, 0, 9, 0, &b);
	obuf_write(&o, b.data, b.len);
	free(b.data);

	ret = decode_seq_stream(o.data, o.len, err);
	if (ret)
		fail_msg("decode: %d %s", ret, err);
	assert_int_equal(n_ends, 3);
	assert_int_equal(ends_flows[0], 60);
	assert_int_equal(ends_flows[1], 100);
	assert_int_equal(ends_flows[2], 100);
	assert_records(r, 100);

	/* one bundle is a sequence too */
	assert_int_equal(decode_seq_stream(o.data, first, err), 0);
	assert_int_equal(n_ends, 1);

	/* cut inside the second: the first was ended, the second never */
	assert_int_equal(decode_seq_stream(o.data, first + 10, err), -EBADMSG);
	assert_int_equal(n_ends, 1);
	assert_non_null(strstr(err, "bundle 1 "));
	assert_non_null(strstr(err, "truncated"));

	/* bytes after the last that are not a bundle */
	obuf_write(&o, "\xc1", 1);
	assert_int_equal(decode_seq_stream(o.data, o.len, err), -EBADMSG);
	assert_int_equal(n_ends, 3);
	assert_non_null(strstr(err, "bundle 3 header: header is the never-used byte 0xc1"));

	/* nothing at all is not a sequence */
	assert_int_equal(decode_seq_stream(o.data, 0, err), -EBADMSG);
	assert_string_equal(err, "bundle 0 header: truncated");

	/* the end callback's error stops the decoder before the next bundle */
	stop_at_end = 1;
	assert_int_equal(decode_seq_stream(o.data, o.len - 1, err), 98);
	assert_int_equal(got.n, 100);
	stop_at_end = -1;
	free(o.data);
}

/* Each bundle's range in the array, as the stream into it hands them. */
static __u64 range_first[8], range_n[8];
static unsigned int n_ranges;

static int got_range(void *ctx, __u64 first, __u64 n)
{
	assert_true(n_ranges < 8);
	range_first[n_ranges] = first;
	range_n[n_ranges++] = n;
	return 0;
}

/* The same stream into an array (what `ferryctl import` reads). */
static void test_stream_into_array(void **state)
{
	static struct ferry_flow_key keys[100];
	static struct ferry_flow flows[100];
	static struct ferry_sc_flow r[100];
	struct ferry_sc_array a = { .keys = keys, .flows = flows, .cap = 100 };
	char err[FERRY_SC_ERR_MAX] = "";
	struct slow_reader s;
	struct obuf o, b;
	unsigned int i;
	int ret;

	make_mixed(r, 100);
	encode(r, 60, 7, 0, &o);
	encode(r + 60, 40, 9, 1, &b);
	obuf_write(&o, b.data, b.len);
	free(b.data);

	s = (struct slow_reader){ .p = o.data, .left = o.len };
	n_ranges = 0;
	ret = ferry_sc_decode_seq_stream(slow_read, &s, NULL, NOW_NS, &a, got_range,
					 NULL, err, sizeof(err));
	if (ret)
		fail_msg("decode: %d %s", ret, err);
	assert_int_equal(a.n, 100);
	assert_int_equal(n_ranges, 2);
	assert_int_equal(range_first[0], 0);
	assert_int_equal(range_n[0], 60);
	assert_int_equal(range_first[1], 60);
	assert_int_equal(range_n[1], 40);
	for (i = 0; i < 100; i++) {
		struct ferry_flow_key k;
		struct ferry_flow f;

		to_entry(&r[i], NOW_NS, &k, &f);
		assert_memory_equal(&keys[i], &k, sizeof(k));
	}

	/* no room for the second: refused at its header, named; a->n kept */
	a.n = 1;
	s = (struct slow_reader){ .p = o.data, .left = o.len };
	n_ranges = 0;
	ret = ferry_sc_decode_seq_stream(slow_read, &s, NULL, NOW_NS, &a, got_range,
					 NULL, err, sizeof(err));
	assert_int_equal(ret, -ENOSPC);
	assert_string_equal(err, "bundle 1 header: 40 flows, room for 39");
	assert_int_equal(n_ranges, 1);
	assert_int_equal(a.n, 1);

	/* cut inside the second: an error naming it, a->n kept */
	a.n = 0;
	s = (struct slow_reader){ .p = o.data, .left = o.len - 1 };
	n_ranges = 0;
	ret = ferry_sc_decode_seq_stream(slow_read, &s, NULL, NOW_NS, &a, got_range,
					 NULL, err, sizeof(err));
	assert_int_equal(ret, -EBADMSG);
	assert_non_null(strstr(err, "bundle 1 "));
	assert_int_equal(n_ranges, 1);
	assert_int_equal(a.n, 0);
	free(o.data);
}

/* A migration's payload: bundles back to back, decoded as one sequence. */
static void test_decode_sequence(void **state)
{
	static struct ferry_flow_key keys[100];
	static struct ferry_flow flows[100];
	static struct ferry_sc_flow r[100];
	struct ferry_sc_array a = { .keys = keys, .flows = flows, .cap = 100 };
	char err[FERRY_SC_ERR_MAX] = "";
	struct obuf o1, o2, o3;
	__u8 *seq;
	size_t len;
	unsigned int i;
	int ret;

	make_mixed(r, 100);
	encode(r, 60, 7, 0, &o1);
	encode(r + 60, 40, 9, 1, &o2);
	encode(r, 0, 9, 0, &o3);
	len = o1.len + o2.len + o3.len;
	seq = malloc(len + 1);
	assert_non_null(seq);
	memcpy(seq, o1.data, o1.len);
	memcpy(seq + o1.len, o2.data, o2.len);
	memcpy(seq + o1.len + o2.len, o3.data, o3.len);
	ret = ferry_sc_decode_seq_into(seq, len, NULL, NOW_NS, &a, err, sizeof(err));
	if (ret)
		fail_msg("decode: %d %s", ret, err);
	assert_int_equal(a.n, 100);
	for (i = 0; i < 100; i++) {
		struct ferry_flow_key k;
		struct ferry_flow f;

		to_entry(&r[i], NOW_NS, &k, &f);
		assert_memory_equal(&keys[i], &k, sizeof(k));
		assert_int_equal(flows[i].bytes[0], f.bytes[0]);
	}

	/* where each bundle ends, found without decoding; never inside one */
	{
		__u64 nf;
		size_t cut;

		assert_int_equal(ferry_sc_bundle_len(seq, len, &nf), (ssize_t)o1.len);
		assert_int_equal(nf, 60);
		assert_int_equal(ferry_sc_bundle_len(seq + o1.len, len - o1.len, &nf),
				 (ssize_t)o2.len);
		assert_int_equal(nf, 40);
		assert_int_equal(ferry_sc_bundle_len(o3.data, o3.len, &nf),
				 (ssize_t)o3.len);
		assert_int_equal(nf, 0);
		for (cut = 0; cut < o1.len; cut++)
			assert_int_equal(ferry_sc_bundle_len(seq, cut, &nf), 0);
		assert_int_equal(ferry_sc_bundle_len("\x93\x01\x02\x03", 4, &nf),
				 -EBADMSG);
		assert_int_equal(ferry_sc_bundle_len("\x81\x03\x05", 3, &nf),
				 -EBADMSG);	/* no chunk_count */
		assert_int_equal(ferry_sc_bundle_len("\xc1", 1, &nf), -EBADMSG);
	}

	/* one bundle alone is a sequence too; a single-bundle decode refuses
	 * the second as trailing bytes */
	assert_int_equal(ferry_sc_decode_seq_into(o1.data, o1.len, NULL, NOW_NS, &a,
						  err, sizeof(err)), 0);
	assert_int_equal(a.n, 60);
	assert_int_equal(decode(seq, o1.len + o2.len, NULL, err), -EBADMSG);
	assert_non_null(strstr(err, "trailing bytes after the last chunk"));

	/* no room for the second bundle: refused at its header */
	a.cap = 99;
	ret = ferry_sc_decode_seq_into(seq, len, NULL, NOW_NS, &a, err, sizeof(err));
	assert_int_equal(ret, -ENOSPC);
	assert_string_equal(err, "header: 40 flows, room for 39");
	assert_int_equal(a.n, 0);
	a.cap = 100;

	/* errors name the bundle; nothing is kept */
	seq[len] = 0xc1;
	ret = ferry_sc_decode_seq_into(seq, len + 1, NULL, NOW_NS, &a, err, sizeof(err));
	assert_true(ret < 0);
	assert_non_null(strstr(err, "bundle 3 header: "));
	assert_int_equal(a.n, 0);
	ret = ferry_sc_decode_seq_into(seq, o1.len + o2.len - 1, NULL, NOW_NS, &a, err,
				       sizeof(err));
	assert_true(ret < 0);
	assert_non_null(strstr(err, "bundle 1 chunk "));
	assert_int_equal(a.n, 0);
	assert_true(ferry_sc_decode_seq_into(seq, 0, NULL, NOW_NS, &a, err,
					     sizeof(err)) < 0);
	assert_non_null(strstr(err, "bundle 0 header: "));
	free(seq);
	free(o1.data);
	free(o2.data);
	free(o3.data);
}

static void test_canonical_key(void **state)
{
	struct ferry_sc_flow r;
	struct ferry_flow_key k;
	struct ferry_flow f;
	__u8 a[16];

	make_flow(&r, 0, IPPROTO_TCP, FERRY_AF_INET);
	/* the higher address opened it: the key's lower endpoint is dst */
	v4(r.src, "198.18.0.2");
	v4(r.dst, "198.18.0.1");
	r.sport = 80;
	r.dport = 5000;
	to_entry(&r, NOW_NS, &k, &f);
	assert_int_equal(f.orig_lo, 0);
	v4(a, "198.18.0.1");
	assert_memory_equal(k.addr_lo, a, 16);
	v4(a, "198.18.0.2");
	assert_memory_equal(k.addr_hi, a, 16);
	assert_int_equal(k.port_lo, htons(5000));
	assert_int_equal(k.port_hi, htons(80));
	assert_int_equal(k.zone, r.zone);
	assert_int_equal(k.proto, IPPROTO_TCP);
	assert_int_equal(k.family, FERRY_AF_INET);
	assert_int_equal(k.pad[0] | k.pad[1], 0);

	/* bytes compare unsigned: 9.x is below 10.x, 10.x below 200.x */
	v4(r.src, "10.0.0.1");
	v4(r.dst, "200.0.0.1");
	to_entry(&r, NOW_NS, &k, &f);
	assert_int_equal(f.orig_lo, 1);

	/* same address: the port decides, as a number (256 > 255) */
	v4(r.src, "198.18.0.1");
	v4(r.dst, "198.18.0.1");
	r.sport = 256;
	r.dport = 255;
	to_entry(&r, NOW_NS, &k, &f);
	assert_int_equal(f.orig_lo, 0);
	assert_int_equal(k.port_lo, htons(255));
	r.sport = 255;
	to_entry(&r, NOW_NS, &k, &f);
	assert_int_equal(f.orig_lo, 1);	/* equal endpoints: source is lower */

	make_flow(&r, 0, IPPROTO_UDP, FERRY_AF_INET6);
	v6(r.src, "2001:db8::1:0");
	v6(r.dst, "2001:db8::ff");
	to_entry(&r, NOW_NS, &k, &f);
	assert_int_equal(f.orig_lo, 0);
	assert_memory_equal(k.addr_lo, r.dst, 16);
	assert_memory_equal(k.addr_hi, r.src, 16);
}

static void test_times(void **state)
{
	struct ferry_sc_flow r, back;
	struct ferry_flow_key k;
	struct ferry_flow f;

	make_flow(&r, 2, IPPROTO_UDP, FERRY_AF_INET);
	r.remaining_ms = 30000;
	r.age_ms = 5000;
	r.idle_ms = 2000;
	to_entry(&r, NOW_NS, &k, &f);
	assert_int_equal(f.expires_ns, NOW_NS + 30000000000ull);
	assert_int_equal(f.created_ns, NOW_NS - 5000000000ull);
	assert_int_equal(f.last_seen_ns, NOW_NS - 2000000000ull);

	/* a host up for less than the flow's age: times floor at 0 */
	to_entry(&r, 3000000000ull, &k, &f);
	assert_int_equal(f.created_ns, 0);
	assert_int_equal(f.last_seen_ns, 1000000000ull);
	assert_int_equal(f.expires_ns, 33000000000ull);

	/* out: an expired flow has 0 left; a far expiry is clamped */
	to_entry(&r, NOW_NS, &k, &f);
	f.expires_ns = NOW_NS - 1;
	assert_int_equal(ferry_sc_flow_from_entry(&k, &f, NOW_NS, &back), 0);
	assert_int_equal(back.remaining_ms, 0);
	f.expires_ns = NOW_NS + 40ull * 24 * 3600 * 1000000000ull;
	assert_int_equal(ferry_sc_flow_from_entry(&k, &f, NOW_NS, &back), 0);
	assert_int_equal(back.remaining_ms, FERRY_SC_MAX_REMAINING_MS);
	/* sub-millisecond parts are cut, never rounded up */
	f.expires_ns = NOW_NS + 1999999;
	f.created_ns = NOW_NS - 1999999;
	f.last_seen_ns = NOW_NS + 5;	/* seen "after" now: idle 0 */
	assert_int_equal(ferry_sc_flow_from_entry(&k, &f, NOW_NS, &back), 0);
	assert_int_equal(back.remaining_ms, 1);
	assert_int_equal(back.age_ms, 1);
	assert_int_equal(back.idle_ms, 0);
}

/* Entry -> record -> entry is the identity for entries the datapath makes. */
static void test_entry_round_trip(void **state)
{
	struct ferry_sc_flow r, back;
	struct ferry_flow_key k, k2;
	struct ferry_flow f, f2;
	unsigned int i;

	for (i = 0; i < NKINDS * 4; i++) {
		make_flow(&r, i, kinds[i % NKINDS].proto, kinds[i % NKINDS].family);
		to_entry(&r, NOW_NS, &k, &f);
		assert_int_equal(ferry_sc_flow_from_entry(&k, &f, NOW_NS, &back), 0);
		assert_memory_equal(&back, &r, sizeof(r));
		to_entry(&back, NOW_NS, &k2, &f2);
		assert_memory_equal(&k2, &k, sizeof(k));
		assert_memory_equal(&f2, &f, sizeof(f));
	}
	/* keys the datapath never makes are refused */
	k.family = 7;
	assert_int_equal(ferry_sc_flow_from_entry(&k, &f, NOW_NS, &back), -EINVAL);
	k.family = FERRY_AF_INET;
	k.addr_hi[15] = 1;
	assert_int_equal(ferry_sc_flow_from_entry(&k, &f, NOW_NS, &back), -EINVAL);
}

static void test_encoder_errors(void **state)
{
	struct obuf o = {};
	struct ferry_sc_enc_opts opts = {
		.host = "h", .flow_count = 2, .write = obuf_write, .ctx = &o,
	};
	char err[FERRY_SC_ERR_MAX] = "";
	struct ferry_sc_enc *e;
	struct ferry_sc_flow r;
	struct ferry_flow_key k;
	struct ferry_flow f;

	opts.host = "a b";
	assert_null(ferry_sc_enc_new(&opts, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "bad options"));
	opts.host = "h";

	e = ferry_sc_enc_new(&opts, err, sizeof(err));
	assert_non_null(e);
	make_flow(&r, 0, IPPROTO_UDP, FERRY_AF_INET);
	assert_int_equal(ferry_sc_enc_add(e, &r), 0);
	assert_int_equal(ferry_sc_enc_finish(e), -EINVAL);
	assert_string_equal(ferry_sc_enc_error(e), "1 flows added, the header declared 2");
	ferry_sc_enc_free(e);

	e = ferry_sc_enc_new(&opts, err, sizeof(err));
	r.state = FERRY_TCP_ESTABLISHED;
	assert_int_equal(ferry_sc_enc_add(e, &r), -EBADMSG);
	assert_string_equal(ferry_sc_enc_error(e), "flow 0: state 3 is not a UDP state");
	/* errors stick */
	make_flow(&r, 0, IPPROTO_UDP, FERRY_AF_INET);
	assert_int_equal(ferry_sc_enc_add(e, &r), -EBADMSG);
	ferry_sc_enc_free(e);

	e = ferry_sc_enc_new(&opts, err, sizeof(err));
	to_entry(&r, NOW_NS, &k, &f);
	assert_int_equal(ferry_sc_enc_add_entry(e, &k, &f, NOW_NS), 0);
	assert_int_equal(ferry_sc_enc_add_entry(e, &k, &f, NOW_NS), 0);
	assert_int_equal(ferry_sc_enc_add_entry(e, &k, &f, NOW_NS), -EINVAL);
	assert_string_equal(ferry_sc_enc_error(e), "flow 3: the header declared 2 flows");
	ferry_sc_enc_free(e);
	free(o.data);
}

/* ---- Malformed input, built with msgpack-c ---- */

enum vkind {
	VK_UINT, VK_INT8,	/* a signed format holding a non-negative value */
	VK_NEG, VK_STR, VK_BIN, VK_NIL, VK_BOOL, VK_FLOAT, VK_MAP, VK_ARR,
	VK_TCP, VK_RAW,		/* v.raw packed as is (a bin's body) */
};

struct fld {
	int key;		/* < 0: the key is the string "k" */
	enum vkind vk;
	__u64 u;
	const void *raw;
	size_t len;		/* VK_STR/VK_BIN/VK_RAW bytes; VK_TCP/VK_ARR elements */
	struct ferry_sc_tcp t;
};

static void pack_fld(msgpack_packer *k, const struct fld *f)
{
	size_t i;

	if (f->key < 0) {
		msgpack_pack_str(k, 1);
		msgpack_pack_str_body(k, "k", 1);
	} else {
		msgpack_pack_uint32(k, f->key);
	}
	switch (f->vk) {
	case VK_UINT:	msgpack_pack_uint64(k, f->u); break;
	case VK_INT8: {
		char b[2] = { (char)0xd0, (char)f->u };

		k->callback(k->data, b, 2);
		break;
	}
	case VK_NEG:	msgpack_pack_int64(k, -5); break;
	case VK_STR:	msgpack_pack_str(k, f->len); msgpack_pack_str_body(k, f->raw, f->len); break;
	case VK_BIN:	msgpack_pack_bin(k, f->len); msgpack_pack_bin_body(k, f->raw, f->len); break;
	case VK_NIL:	msgpack_pack_nil(k); break;
	case VK_BOOL:	msgpack_pack_true(k); break;
	case VK_FLOAT:	msgpack_pack_double(k, 1.5); break;
	case VK_MAP:	msgpack_pack_map(k, 1); msgpack_pack_uint8(k, 0); msgpack_pack_uint8(k, 0); break;
	case VK_ARR:
		msgpack_pack_array(k, f->len);
		for (i = 0; i < f->len; i++)
			msgpack_pack_uint8(k, 1);
		break;
	case VK_TCP:
		msgpack_pack_array(k, f->len);
		msgpack_pack_uint32(k, f->t.end);
		msgpack_pack_uint32(k, f->t.maxend);
		msgpack_pack_uint32(k, f->t.maxwin);
		msgpack_pack_uint32(k, f->t.maxack);
		msgpack_pack_uint8(k, f->t.wscale);
		if (f->len > 5)
			msgpack_pack_uint8(k, f->t.flags);
		break;
	case VK_RAW:	msgpack_pack_bin(k, f->len); msgpack_pack_bin_body(k, f->raw, f->len); break;
	}
}

static void pack_map(msgpack_packer *k, const struct fld *f, int n)
{
	int i;

	msgpack_pack_map(k, n);
	for (i = 0; i < n; i++)
		pack_fld(k, &f[i]);
}

static __u8 flow_src[16], flow_dst[16];

/* The fields of a valid record; returns their count. */
static int flow_fields(struct fld *f, const struct ferry_sc_flow *r)
{
	int n = 0, alen = r->family == FERRY_AF_INET ? 4 : 16;

	memcpy(flow_src, r->src, 16);
	memcpy(flow_dst, r->dst, 16);
	f[n++] = (struct fld){ .key = FERRY_SC_E_ZONE, .vk = VK_UINT, .u = r->zone };
	f[n++] = (struct fld){ .key = FERRY_SC_E_FAMILY, .vk = VK_UINT, .u = r->family };
	f[n++] = (struct fld){ .key = FERRY_SC_E_PROTO, .vk = VK_UINT, .u = r->proto };
	f[n++] = (struct fld){ .key = FERRY_SC_E_SRC, .vk = VK_BIN, .u = 0, .raw = flow_src, .len = alen };
	f[n++] = (struct fld){ .key = FERRY_SC_E_DST, .vk = VK_BIN, .u = 0, .raw = flow_dst, .len = alen };
	f[n++] = (struct fld){ .key = FERRY_SC_E_SPORT, .vk = VK_UINT, .u = r->sport };
	f[n++] = (struct fld){ .key = FERRY_SC_E_DPORT, .vk = VK_UINT, .u = r->dport };
	f[n++] = (struct fld){ .key = FERRY_SC_E_STATE, .vk = VK_UINT, .u = r->state };
	f[n++] = (struct fld){ .key = FERRY_SC_E_FLAGS, .vk = VK_UINT, .u = r->flags };
	f[n++] = (struct fld){ .key = FERRY_SC_E_REMAINING_MS, .vk = VK_UINT, .u = r->remaining_ms };
	f[n++] = (struct fld){ .key = FERRY_SC_E_AGE_MS, .vk = VK_UINT, .u = r->age_ms };
	f[n++] = (struct fld){ .key = FERRY_SC_E_IDLE_MS, .vk = VK_UINT, .u = r->idle_ms };
	f[n++] = (struct fld){ .key = FERRY_SC_E_ORIG_PACKETS, .vk = VK_UINT, .u = r->packets[0] };
	f[n++] = (struct fld){ .key = FERRY_SC_E_ORIG_BYTES, .vk = VK_UINT, .u = r->bytes[0] };
	f[n++] = (struct fld){ .key = FERRY_SC_E_REPLY_PACKETS, .vk = VK_UINT, .u = r->packets[1] };
	f[n++] = (struct fld){ .key = FERRY_SC_E_REPLY_BYTES, .vk = VK_UINT, .u = r->bytes[1] };
	if (r->proto == IPPROTO_TCP) {
		f[n++] = (struct fld){ .key = FERRY_SC_E_TCP_ORIG, .vk = VK_TCP, .len = 6, .t = r->tcp[0] };
		f[n++] = (struct fld){ .key = FERRY_SC_E_TCP_REPLY, .vk = VK_TCP, .len = 6, .t = r->tcp[1] };
	}
	f[n++] = (struct fld){ .key = FERRY_SC_E_RULE_ID, .vk = VK_UINT, .u = r->rule_id };
	return n;
}

/* Schema version of the bundles built below. */
static unsigned int hdr_version = 1;

static int header_fields(struct fld *f, __u64 flows, __u64 chunks, __u64 flags)
{
	static const char host[] = "h1";

	f[0] = (struct fld){ .key = FERRY_SC_H_VERSION, .vk = VK_UINT, .u = hdr_version };
	f[1] = (struct fld){ .key = FERRY_SC_H_HOST, .vk = VK_STR, .u = 0, .raw = host, .len = 2 };
	f[2] = (struct fld){ .key = FERRY_SC_H_CREATED_MS, .vk = VK_UINT, .u = 1767225600000ull };
	f[3] = (struct fld){ .key = FERRY_SC_H_FLOW_COUNT, .vk = VK_UINT, .u = flows };
	f[4] = (struct fld){ .key = FERRY_SC_H_CHUNK_COUNT, .vk = VK_UINT, .u = chunks };
	f[5] = (struct fld){ .key = FERRY_SC_H_FLAGS, .vk = VK_UINT, .u = flags };
	return 6;
}

/* A payload of n copies of the record fields f (array count acount). */
static void payload(msgpack_sbuffer *sb, const struct fld *f, int nf,
		    unsigned int acount, unsigned int n)
{
	msgpack_packer k;
	unsigned int i;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&k, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&k, acount);
	for (i = 0; i < n; i++)
		pack_map(&k, f, nf);
}

/* Chunk fields carrying payload p (raw or zlib-compressed at level z). */
static int chunk_fields(struct fld *c, __u64 seq, __u64 count,
			const msgpack_sbuffer *p, int z, __u8 *zbuf, size_t zcap)
{
	uLongf zlen = zcap;

	c[0] = (struct fld){ .key = FERRY_SC_C_SEQ, .vk = VK_UINT, .u = seq };
	c[1] = (struct fld){ .key = FERRY_SC_C_COUNT, .vk = VK_UINT, .u = count };
	if (!z) {
		c[2] = (struct fld){ .key = FERRY_SC_C_PAYLOAD, .vk = VK_BIN, .u = 0, .raw = p->data, .len = p->size };
		return 3;
	}
	assert_int_equal(compress2(zbuf, &zlen, (const Bytef *)p->data, p->size, z), Z_OK);
	c[2] = (struct fld){ .key = FERRY_SC_C_PAYLOAD, .vk = VK_BIN, .u = 0, .raw = zbuf, .len = zlen };
	c[3] = (struct fld){ .key = FERRY_SC_C_RAW_LEN, .vk = VK_UINT, .u = p->size };
	return 4;
}

static void expect(const msgpack_sbuffer *b, const struct ferry_sc_limits *lim,
		   int ret, const char *msg)
{
	char err[FERRY_SC_ERR_MAX] = "";
	int got_ret;

	got_ret = decode(b->data, b->size, lim, err);
	if (got_ret != ret || !strstr(err, msg))
		fail_msg("want %d '%s'\n      got  %d '%s'", ret, msg, got_ret, err);
}

/* A bundle: header fields h, one chunk of fields c. */
static void bundle(msgpack_sbuffer *b, const struct fld *h, int nh,
		   const struct fld *c, int nc)
{
	msgpack_packer k;

	msgpack_sbuffer_init(b);
	msgpack_packer_init(&k, b, msgpack_sbuffer_write);
	pack_map(&k, h, nh);
	if (c)
		pack_map(&k, c, nc);
}

/* One chunk holding one record of fields f: the decoder says ret, msg. */
static void bad_flow(const struct fld *f, int nf, int ret, const char *msg)
{
	struct fld h[6], c[4];
	msgpack_sbuffer p, b;
	int nh, nc;

	nh = header_fields(h, 1, 1, 0);
	payload(&p, f, nf, 1, 1);
	nc = chunk_fields(c, 0, 1, &p, 0, NULL, 0);
	bundle(&b, h, nh, c, nc);
	expect(&b, NULL, ret, msg);
	msgpack_sbuffer_destroy(&p);
	msgpack_sbuffer_destroy(&b);
}

static int valid_fields(struct fld *f, __u8 proto, __u8 family)
{
	struct ferry_sc_flow r;

	make_flow(&r, 3, proto, family);
	return flow_fields(f, &r);
}

static void test_builder_valid(void **state)
{
	struct fld f[24];
	int n;

	/* the hand-built bundle is valid before it is broken */
	n = valid_fields(f, IPPROTO_TCP, FERRY_AF_INET6);
	bad_flow(f, n, 0, "");
	n = valid_fields(f, IPPROTO_ICMP, FERRY_AF_INET);
	bad_flow(f, n, 0, "");
	/* any order of keys, any integer format for a non-negative value */
	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[0] = f[n - 1];
	f[n - 1] = (struct fld){ .key = FERRY_SC_E_ZONE, .vk = VK_INT8, .u = 100 };
	bad_flow(f, n, 0, "");
	assert_int_equal(got.k[0].zone, 100);
}

static const char *const key_names[] = {
	"zone", "family", "proto", "src", "dst", "sport", "dport", "state",
	"flags", "remaining_ms", "age_ms", "idle_ms", "orig_packets",
	"orig_bytes", "reply_packets", "reply_bytes", "tcp_orig", "tcp_reply",
	"rule_id",
};

static const char *expected_type(int key)
{
	if (key == FERRY_SC_E_SRC || key == FERRY_SC_E_DST)
		return "expected a binary";
	if (key == FERRY_SC_E_TCP_ORIG || key == FERRY_SC_E_TCP_REPLY)
		return "expected an array";
	return "expected an unsigned integer";
}

static void test_flow_wrong_types(void **state)
{
	static const struct {
		enum vkind vk;
		const char *name;
	} wrong[] = {
		{ VK_STR, "a string" }, { VK_NIL, "nil" }, { VK_BOOL, "a boolean" },
		{ VK_FLOAT, "a float" }, { VK_MAP, "a map" }, { VK_NEG, "a negative integer" },
	};
	struct fld f[24];
	char msg[128];
	unsigned int w;
	int n, i;

	for (w = 0; w < sizeof(wrong) / sizeof(wrong[0]); w++) {
		for (i = 0; i < 19; i++) {
			n = valid_fields(f, IPPROTO_TCP, FERRY_AF_INET);
			f[i].vk = wrong[w].vk;
			f[i].raw = "abc";
			f[i].len = 3;
			snprintf(msg, sizeof(msg),
				 "chunk 0 entry 0: key %d (%s) is %s, %s", f[i].key,
				 key_names[f[i].key], wrong[w].name,
				 expected_type(f[i].key));
			bad_flow(f, n, -EBADMSG, msg);
		}
	}
	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[7].vk = VK_STR;
	f[7].raw = "ESTABLISHED";
	f[7].len = 11;
	bad_flow(f, n, -EBADMSG,
		 "chunk 0 entry 0: key 7 (state) is a string, expected an unsigned integer");
	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[3].vk = VK_STR;
	bad_flow(f, n, -EBADMSG, "key 3 (src) is a string, expected a binary");
	/* a nested value where a number is expected: no recursion, an error */
	n = valid_fields(f, IPPROTO_TCP, FERRY_AF_INET);
	f[16].vk = VK_ARR;
	f[16].len = 6;
	bad_flow(f, n, 0, "");	/* six 1s: a valid window */
	f[16].vk = VK_MAP;
	bad_flow(f, n, -EBADMSG, "key 16 (tcp_orig) is a map, expected an array");
	/* the key itself */
	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[2].key = -1;
	bad_flow(f, n, -EBADMSG, "entry 0: map key is a string, expected an unsigned integer");
}

static void test_flow_keys(void **state)
{
	struct fld f[24];
	char msg[64];
	int n, i;

	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[n - 1] = f[5];
	bad_flow(f, n, -EBADMSG, "chunk 0 entry 0: duplicate key 5");

	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[n++] = (struct fld){ .key = 25, .vk = VK_UINT, .u = 1 };
	bad_flow(f, n, -EBADMSG, "chunk 0 entry 0: unknown key 25");

	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[n++] = (struct fld){ .key = FERRY_SC_E_NAT, .vk = VK_MAP };
	bad_flow(f, n, -EOPNOTSUPP, "key 19 (nat) holds NAT bindings");

	/* Version 2 carries bindings; malformed ones are refused. */
	hdr_version = 2;
	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[n++] = (struct fld){ .key = FERRY_SC_E_NAT, .vk = VK_MAP };
	bad_flow(f, n, -EBADMSG, "key 19 (nat)");
	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[n++] = (struct fld){ .key = FERRY_SC_E_NAT, .vk = VK_ARR, .len = 4 };
	bad_flow(f, n, -EBADMSG, "is an array of 4, expected 5");
	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[n++] = (struct fld){ .key = FERRY_SC_E_NAT, .vk = VK_ARR, .len = 5 };
	bad_flow(f, n, -EBADMSG, "key 19 (nat)");
	hdr_version = 1;

	/* every required key missing in turn */
	for (i = 0; i < 19; i++) {
		n = valid_fields(f, IPPROTO_TCP, FERRY_AF_INET6);
		snprintf(msg, sizeof(msg), "chunk 0 entry 0: missing key %d (", f[i].key);
		f[i] = f[--n];
		bad_flow(f, n, -EBADMSG, msg);
	}
	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	f[n++] = (struct fld){ .key = FERRY_SC_E_TCP_REPLY, .vk = VK_TCP, .len = 6 };
	bad_flow(f, n, -EBADMSG, "key 17 (tcp_reply) in a flow of proto 17, not TCP");

	/* more pairs than the schema has keys */
	n = valid_fields(f, IPPROTO_TCP, FERRY_AF_INET);
	f[n++] = (struct fld){ .key = 19, .vk = VK_UINT };
	f[n++] = (struct fld){ .key = 20, .vk = VK_UINT };
	bad_flow(f, n, -EBADMSG, "entry 0: map of 21 pairs, the schema has 20 keys");
}

/* Replace the value of key i by u and expect ret, msg. */
static void bad_value(__u8 proto, __u8 family, int i, __u64 u, int ret,
		      const char *msg)
{
	struct fld f[24];
	int n = valid_fields(f, proto, family), j;

	for (j = 0; j < n; j++)
		if (f[j].key == i)
			f[j].u = u;
	bad_flow(f, n, ret, msg);
}

static void test_flow_values(void **state)
{
	struct fld f[24];
	__u8 addr[17] = {};
	int n;

	bad_value(IPPROTO_TCP, 2, FERRY_SC_E_STATE, 42, -EBADMSG,
		  "chunk 0 entry 0: state 42 is not a TCP state");
	bad_value(IPPROTO_TCP, 2, FERRY_SC_E_STATE, FERRY_UDP_REPLIED, -EBADMSG,
		  "state 11 is not a TCP state");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_STATE, FERRY_TCP_ESTABLISHED, -EBADMSG,
		  "state 3 is not a UDP state");
	bad_value(IPPROTO_ICMP, 2, FERRY_SC_E_STATE, FERRY_OTHER_REPLIED, -EBADMSG,
		  "state 15 is not a ICMP state");
	bad_value(IPPROTO_GRE, 2, FERRY_SC_E_STATE, FERRY_CT_NONE, -EBADMSG,
		  "state 0 is not a other-protocol state");
	bad_value(IPPROTO_GRE, 2, FERRY_SC_E_STATE, FERRY_CT_STATE_MAX, -EBADMSG,
		  "state 16 is not a other-protocol state");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_STATE, 300, -ERANGE,
		  "key 7 (state): 300 over 255");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_FAMILY, 3, -EBADMSG,
		  "family 3 is not IPv4 (2) or IPv6 (10)");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_FAMILY, FERRY_AF_INET6, -EBADMSG,
		  "key 3 (src) is 4 bytes, family 10 has 16");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_PROTO, 256, -ERANGE,
		  "key 2 (proto): 256 over 255");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_SPORT, 70000, -ERANGE,
		  "key 5 (sport): 70000 over 65535");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_ZONE, 1ull << 32, -ERANGE,
		  "key 0 (zone): 4294967296 over 4294967295");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_RULE_ID, 1ull << 32, -ERANGE,
		  "key 18 (rule_id): 4294967296 over");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_FLAGS, 0x0c, -EBADMSG,
		  "flags 0xc has unknown bits 0x8");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_REMAINING_MS,
		  FERRY_SC_MAX_REMAINING_MS + 1, -ERANGE,
		  "remaining lifetime 2592000001 ms over 30 days");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_AGE_MS, FERRY_SC_MAX_AGE_MS + 1,
		  -ERANGE, "age 316224000001 ms over");
	bad_value(IPPROTO_UDP, 2, FERRY_SC_E_IDLE_MS, 1ull << 40, -ERANGE,
		  "idle time 1099511627776 ms longer than the age");
	bad_value(IPPROTO_ICMP, 2, FERRY_SC_E_SPORT, 1, -EBADMSG,
		  "ICMP identifier: sport 1 differs from dport");
	bad_value(IPPROTO_GRE, 2, FERRY_SC_E_DPORT, 1, -EBADMSG,
		  "proto 47 has no ports: sport 0 dport 1");
	bad_value(IPPROTO_ICMP, 2, FERRY_SC_E_PROTO, IPPROTO_ICMPV6, -EBADMSG,
		  "proto 58 (ICMPv6) in an IPv4 flow");
	bad_value(IPPROTO_ICMPV6, 10, FERRY_SC_E_PROTO, IPPROTO_ICMP, -EBADMSG,
		  "proto 1 (ICMP) in an IPv6 flow");

	n = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET6);
	f[4].raw = addr;
	f[4].len = 4;
	bad_flow(f, n, -EBADMSG, "key 4 (dst) is 4 bytes, family 10 has 16");
	f[4].len = 17;
	bad_flow(f, n, -EBADMSG, "key 4 (dst) is 17 bytes, expected 4 or 16");
	f[4].len = 0;
	bad_flow(f, n, -EBADMSG, "key 4 (dst) is 0 bytes, expected 4 or 16");

	/* TCP window data */
	n = valid_fields(f, IPPROTO_TCP, FERRY_AF_INET);
	f[16].t.wscale = 15;
	bad_flow(f, n, -ERANGE, "tcp_orig: window scale 15 over 14");
	f[16].t.wscale = 14;
	f[17].t.flags = 0x18;
	bad_flow(f, n, -EBADMSG, "tcp_reply: flags 0x18 has unknown bits 0x18");
	f[17].t.flags = 0;
	f[17].len = 5;
	bad_flow(f, n, -EBADMSG, "key 17 (tcp_reply) is an array of 5, expected 6");
	f[17].len = 6;
	f[16].t.wscale = 0;
	bad_flow(f, n, 0, "");
}

/* ---- Header ---- */

/* A bundle of header fields h and a valid chunk of one UDP flow. */
static void bad_header(struct fld *h, int nh, const struct ferry_sc_limits *lim,
		       int ret, const char *msg)
{
	struct fld f[24], c[4];
	msgpack_sbuffer p, b;
	__u8 zbuf[512];
	int nf, nc;

	nf = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	payload(&p, f, nf, 1, 1);
	nc = chunk_fields(c, 0, 1, &p, 0, zbuf, sizeof(zbuf));
	bundle(&b, h, nh, c, nc);
	expect(&b, lim, ret, msg);
	msgpack_sbuffer_destroy(&p);
	msgpack_sbuffer_destroy(&b);
}

/* The encoder refuses a binding of an unknown kind or on a protocol
 * NAT does not translate; a decoder of version 2 reads both versions. */
static void test_nat_binding(void **state)
{
	struct ferry_sc_flow r;
	struct ferry_sc_enc_opts opts = { .host = "h", .flow_count = 1,
					  .write = obuf_write };
	char err[FERRY_SC_ERR_MAX];
	struct ferry_sc_enc *e;
	struct obuf o = { 0 };

	opts.ctx = &o;
	make_flow(&r, 1, IPPROTO_TCP, FERRY_AF_INET);
	assert_int_equal(r.nat_kind, 1);
	r.nat_kind = 4;
	assert_int_equal(ferry_sc_flow_check(&r, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "nat kind 4"));
	make_flow(&r, 1, IPPROTO_GRE, FERRY_AF_INET);
	r.nat_kind = FERRY_NAT_SNAT;
	assert_int_equal(ferry_sc_flow_check(&r, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "a NAT binding on proto 47"));
	e = ferry_sc_enc_new(&opts, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(ferry_sc_enc_add(e, &r), -EBADMSG);
	ferry_sc_enc_free(e);
	free(o.data);
}

static void test_header(void **state)
{
	struct ferry_sc_limits lim;
	char long_host[300];
	struct fld h[8];
	int n;

	n = header_fields(h, 1, 1, 0);
	bad_header(h, n, NULL, 0, "");
	h[0].u = 2;
	bad_header(h, n, NULL, 0, "");
	h[0].u = 3;
	bad_header(h, n, NULL, -EPROTONOSUPPORT, "header: unknown schema version 3 (this decoder reads 1..2)");
	h[0].u = 0;
	bad_header(h, n, NULL, -EPROTONOSUPPORT, "header: unknown schema version 0");
	h[0].vk = VK_STR;
	h[0].raw = "1";
	h[0].len = 1;
	bad_header(h, n, NULL, -EBADMSG,
		   "header: key 0 (version) is a string, expected an unsigned integer");

	n = header_fields(h, 1, 1, 0);
	h[1] = h[--n];
	bad_header(h, n, NULL, -EBADMSG, "header: missing key 1 (host)");
	n = header_fields(h, 1, 1, 0);
	h[n++] = h[3];
	bad_header(h, n, NULL, -EBADMSG, "header: map of 7 pairs, the schema has 6 keys");
	h[5] = h[3];
	bad_header(h, 6, NULL, -EBADMSG, "header: duplicate key 3");
	n = header_fields(h, 1, 1, 0);
	h[5].key = 9;
	bad_header(h, n, NULL, -EBADMSG, "header: unknown key 9");

	n = header_fields(h, 1, 1, 0);
	h[1].len = 0;
	bad_header(h, n, NULL, -EBADMSG, "header: host id of 0 bytes, expected 1..255");
	memset(long_host, 'x', sizeof(long_host));
	h[1].raw = long_host;
	h[1].len = 256;
	bad_header(h, n, NULL, -EBADMSG, "header: host id of 256 bytes");
	h[1].len = 255;
	bad_header(h, n, NULL, 0, "");
	h[1].raw = "a\nb";
	h[1].len = 3;
	bad_header(h, n, NULL, -EBADMSG, "header: host id byte 1 is 0x0a, not printable");
	h[1].vk = VK_BIN;
	bad_header(h, n, NULL, -EBADMSG, "key 1 (host) is a binary, expected a string");

	n = header_fields(h, 1, 1, 0x2);
	bad_header(h, n, NULL, -EBADMSG, "header: flags 0x2 has unknown bits 0x2");
	n = header_fields(h, 1, 1, 0);
	h[2].vk = VK_NEG;
	bad_header(h, n, NULL, -EBADMSG, "key 2 (created_ms) is a negative integer");

	/* oversized and inconsistent counts */
	ferry_sc_limits_default(&lim);
	lim.max_flows = 1000;
	n = header_fields(h, 1001, 1, 0);
	bad_header(h, n, &lim, -E2BIG, "header: flow count 1001 over the limit 1000");
	n = header_fields(h, ~0ull, 1, 0);
	bad_header(h, n, NULL, -E2BIG, "header: flow count 18446744073709551615 over");
	n = header_fields(h, 1, 0, 0);
	bad_header(h, n, NULL, -EBADMSG, "header: 0 chunks cannot hold 1 flows");
	n = header_fields(h, 1, 2, 0);
	bad_header(h, n, NULL, -EBADMSG, "header: 2 chunks cannot hold 1 flows");
	n = header_fields(h, 65537, 1, 0);
	bad_header(h, n, NULL, -E2BIG, "65537 flows in 1 chunks: over the limit of 65536");
	n = header_fields(h, 2, 1, 0);
	bad_header(h, n, NULL, -EBADMSG, "bundle: chunks hold 1 flows, the header says 2");
	n = header_fields(h, 0, 0, 0);
	bad_header(h, n, NULL, -EBADMSG, "bundle: ");	/* the chunk is trailing */

	/* not a map at all */
	{
		msgpack_sbuffer b;
		msgpack_packer k;

		msgpack_sbuffer_init(&b);
		msgpack_packer_init(&k, &b, msgpack_sbuffer_write);
		msgpack_pack_array(&k, 6);
		expect(&b, NULL, -EBADMSG, "header: header is an array, expected a map");
		b.size = 0;
		expect(&b, NULL, -EBADMSG, "header: truncated");
		msgpack_sbuffer_destroy(&b);
	}
}

/* ---- Chunks ---- */

/* A bundle of one header and chunks c[i] of nc[i] fields. */
static void chunks(msgpack_sbuffer *b, struct fld *h, int nh, struct fld c[][5],
		   const int *nc, int n)
{
	msgpack_packer k;
	int i;

	bundle(b, h, nh, NULL, 0);
	msgpack_packer_init(&k, b, msgpack_sbuffer_write);
	for (i = 0; i < n; i++)
		pack_map(&k, c[i], nc[i]);
}

static void test_chunks(void **state)
{
	struct ferry_sc_limits lim;
	struct fld f[24], h[6], c[3][5];
	msgpack_sbuffer p, p2, b;
	int nf, nh, nc[3];

	nf = valid_fields(f, IPPROTO_UDP, FERRY_AF_INET);
	payload(&p, f, nf, 1, 1);

	/* sequence numbers: from 0, no gap, no repeat */
	nh = header_fields(h, 2, 2, 0);
	nc[0] = chunk_fields(c[0], 0, 1, &p, 0, NULL, 0);
	nc[1] = chunk_fields(c[1], 1, 1, &p, 0, NULL, 0);
	chunks(&b, h, nh, c, nc, 2);
	expect(&b, NULL, 0, "");
	msgpack_sbuffer_destroy(&b);
	c[1][0].u = 0;
	chunks(&b, h, nh, c, nc, 2);
	expect(&b, NULL, -EBADMSG, "chunk 1: duplicate sequence number 0");
	msgpack_sbuffer_destroy(&b);
	c[1][0].u = 2;
	chunks(&b, h, nh, c, nc, 2);
	expect(&b, NULL, -EBADMSG, "chunk 1: sequence number 2, expected 1: a gap");
	msgpack_sbuffer_destroy(&b);
	c[0][0].u = 1;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: sequence number 1, expected 0");
	msgpack_sbuffer_destroy(&b);
	/* fewer chunks than the header says */
	c[0][0].u = 0;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 1: truncated");
	msgpack_sbuffer_destroy(&b);

	/* counts */
	nh = header_fields(h, 1, 1, 0);
	c[0][1].u = 0;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: count 0: a chunk holds at least one flow");
	msgpack_sbuffer_destroy(&b);
	c[0][1].u = 2;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: count 2: more flows than the header's 1");
	msgpack_sbuffer_destroy(&b);
	nh = header_fields(h, 70000, 2, 0);
	c[0][1].u = 70000;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -E2BIG, "chunk 0: count 70000 over the limit 65536");
	msgpack_sbuffer_destroy(&b);
	nh = header_fields(h, 2, 1, 0);
	c[0][1].u = 2;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: count 2 but the payload holds 1 entries");
	msgpack_sbuffer_destroy(&b);
	/* the array says 2, the bytes hold 1 */
	payload(&p2, f, nf, 2, 1);
	nc[0] = chunk_fields(c[0], 0, 2, &p2, 0, NULL, 0);
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0 entry 1: truncated");
	msgpack_sbuffer_destroy(&b);
	msgpack_sbuffer_destroy(&p2);
	/* trailing bytes inside the payload */
	nh = header_fields(h, 1, 1, 0);
	payload(&p2, f, nf, 1, 1);
	msgpack_sbuffer_write(&p2, "\x01\x02\x03", 3);
	nc[0] = chunk_fields(c[0], 0, 1, &p2, 0, NULL, 0);
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: 3 trailing bytes after the entries");
	msgpack_sbuffer_destroy(&b);
	msgpack_sbuffer_destroy(&p2);

	/* keys and types of the chunk map */
	nc[0] = chunk_fields(c[0], 0, 1, &p, 0, NULL, 0);
	c[0][2].vk = VK_STR;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: key 2 (payload) is a string, expected a binary");
	msgpack_sbuffer_destroy(&b);
	c[0][2].vk = VK_BIN;
	c[0][3] = (struct fld){ .key = FERRY_SC_C_RAW_LEN, .vk = VK_UINT, .u = 5 };
	nc[0] = 4;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: key 3 (raw_len) in an uncompressed bundle");
	msgpack_sbuffer_destroy(&b);
	c[0][3] = (struct fld){ .key = 4, .vk = VK_UINT, .u = 5 };
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: unknown key 4");
	msgpack_sbuffer_destroy(&b);
	c[0][3] = c[0][1];
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: duplicate key 1");
	msgpack_sbuffer_destroy(&b);
	nc[0] = 2;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: missing key 2 (payload)");
	msgpack_sbuffer_destroy(&b);

	/* a payload over the limit is refused before it is read */
	nc[0] = chunk_fields(c[0], 0, 1, &p, 0, NULL, 0);
	ferry_sc_limits_default(&lim);
	lim.max_chunk_bytes = p.size - 1;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, &lim, -E2BIG, "chunk 0: payload of");
	msgpack_sbuffer_destroy(&b);
	/* a payload that is not an array */
	msgpack_sbuffer_destroy(&p);
	msgpack_sbuffer_init(&p);
	msgpack_sbuffer_write(&p, "\x81\x00\x00", 3);
	nc[0] = chunk_fields(c[0], 0, 1, &p, 0, NULL, 0);
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: payload is a map, expected an array");
	msgpack_sbuffer_destroy(&b);
	msgpack_sbuffer_destroy(&p);
}

static void test_zlib(void **state)
{
	static __u8 zbuf[1 << 20];
	struct ferry_sc_limits lim;
	struct fld f[24], h[6], c[1][5];
	msgpack_sbuffer p, b;
	int nf, nh, nc[1];

	nf = valid_fields(f, IPPROTO_TCP, FERRY_AF_INET6);
	payload(&p, f, nf, 3, 3);
	nh = header_fields(h, 3, 1, FERRY_SC_F_ZLIB);
	nc[0] = chunk_fields(c[0], 0, 3, &p, 6, zbuf, sizeof(zbuf));
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, 0, "");
	msgpack_sbuffer_destroy(&b);

	nc[0] = 3;	/* no raw_len */
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: missing key 3 (raw_len)");
	msgpack_sbuffer_destroy(&b);
	nc[0] = 4;
	c[0][3].u = p.size - 1;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: payload decompresses to more than raw_len");
	msgpack_sbuffer_destroy(&b);
	c[0][3].u = p.size + 1;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "decompresses to");
	expect(&b, NULL, -EBADMSG, "bytes, raw_len says");
	msgpack_sbuffer_destroy(&b);
	c[0][3].u = p.size;
	c[0][2].len--;	/* cut the stream short */
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: payload is not a complete zlib stream");
	msgpack_sbuffer_destroy(&b);
	c[0][2].raw = "not zlib at all";
	c[0][2].len = 15;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: payload is not a complete zlib stream");
	msgpack_sbuffer_destroy(&b);
	/* trailing bytes after the zlib stream */
	nc[0] = chunk_fields(c[0], 0, 3, &p, 6, zbuf, sizeof(zbuf) - 8);
	memcpy(zbuf + c[0][2].len, "junk", 4);
	c[0][2].len += 4;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: 4 trailing bytes after the zlib stream");
	msgpack_sbuffer_destroy(&b);
	msgpack_sbuffer_destroy(&p);

	/* zip bomb: 64 MiB of zeros in a few KiB; raw_len honest or not */
	msgpack_sbuffer_init(&p);
	p.size = 64u << 20;
	p.data = calloc(1, p.size);
	assert_non_null(p.data);
	p.alloc = p.size;
	nc[0] = chunk_fields(c[0], 0, 1, &p, 9, zbuf, sizeof(zbuf));
	assert_true(c[0][2].len < 100000);
	nh = header_fields(h, 1, 1, FERRY_SC_F_ZLIB);
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -E2BIG, "chunk 0: decompressed size 67108864 over the limit 16777216");
	msgpack_sbuffer_destroy(&b);
	c[0][3].u = 1000;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, NULL, -EBADMSG, "chunk 0: payload decompresses to more than raw_len 1000");
	msgpack_sbuffer_destroy(&b);
	ferry_sc_limits_default(&lim);
	lim.max_raw_bytes = 999;
	chunks(&b, h, nh, c, nc, 1);
	expect(&b, &lim, -E2BIG, "chunk 0: decompressed size 1000 over the limit 999");
	msgpack_sbuffer_destroy(&b);
	msgpack_sbuffer_destroy(&p);
}

/* ---- Byte level: truncation, trailing bytes, corruption ---- */

static void test_truncated_everywhere(void **state)
{
	struct ferry_sc_flow r[5];
	char err[FERRY_SC_ERR_MAX];
	struct obuf o;
	size_t len;
	int z, ret;

	make_mixed(r, 5);
	for (z = 0; z <= 1; z++) {
		encode(r, 5, 2, z, &o);
		assert_int_equal(decode(o.data, o.len, NULL, err), 0);
		for (len = 0; len < o.len; len++) {
			err[0] = '\0';
			ret = decode(o.data, len, NULL, err);
			if (ret != -EBADMSG || !strstr(err, "truncated"))
				fail_msg("cut at %zu of %zu: %d '%s'", len, o.len, ret, err);
		}
		obuf_write(&o, "\0\1\2", 3);
		ret = decode(o.data, o.len, NULL, err);
		assert_int_equal(ret, -EBADMSG);
		assert_string_equal(err, "bundle: 3 trailing bytes after the last chunk");
		free(o.data);
	}
}

/* Any byte changed to any of a few values: accepted or a clean error. */
static void test_corrupt_everywhere(void **state)
{
	static const __u8 vals[] = { 0x00, 0x01, 0x7f, 0x80, 0x9f, 0xa1, 0xc1,
				     0xc4, 0xcf, 0xd3, 0xdc, 0xdd, 0xde, 0xdf, 0xff };
	struct ferry_sc_flow r[4];
	char err[FERRY_SC_ERR_MAX];
	struct obuf o;
	unsigned int v, fails = 0;
	size_t i;
	int z, ret;
	__u8 keep;

	make_mixed(r, 4);
	for (z = 0; z <= 1; z++) {
		encode(r, 4, 3, z, &o);
		for (i = 0; i < o.len; i++) {
			keep = o.data[i];
			for (v = 0; v < sizeof(vals); v++) {
				o.data[i] = vals[v];
				err[0] = '\0';
				ret = decode(o.data, o.len, NULL, err);
				if (ret > 0 || (ret < 0 && !err[0]))
					fail_msg("byte %zu = 0x%02x: %d '%s'", i, vals[v],
						 ret, err);
				fails += ret < 0;
			}
			o.data[i] = keep;
		}
		free(o.data);
	}
	assert_true(fails > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_kinds),
		cmocka_unit_test(test_round_trip_chunks),
		cmocka_unit_test(test_stream_decode),
		cmocka_unit_test(test_decode_sequence),
		cmocka_unit_test(test_stream_sequence),
		cmocka_unit_test(test_stream_into_array),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_canonical_key),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_entry_round_trip),
		cmocka_unit_test(test_encoder_errors),
		cmocka_unit_test(test_builder_valid),
		cmocka_unit_test(test_flow_wrong_types),
		cmocka_unit_test(test_flow_keys),
		cmocka_unit_test(test_flow_values),
		cmocka_unit_test(test_nat_binding),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_zlib),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_corrupt_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
