// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * State bundle codec cost: encode and decode ns per flow over N synthetic
 * flows (default 1M), plain and zlib, and the decoder's peak RSS. The
 * bundle is streamed through a pipe-like callback that keeps nothing: the
 * encoder writes to a byte counter, the decoder reads from a generator
 * that re-encodes chunk by chunk, so memory is the codec's own.
 * zlib at level 1, the fastest. The plain figures are the median of 5
 * runs. Usage: bench_codec [flows]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include "numparse.h"
#include "statecodec.h"

#define NOW_NS	(3600ull * 1000000000ull)

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A realistic mix: 70% TCP, 20% UDP, 10% ICMP; a tenth IPv6. */
static void make_entry(__u64 i, struct ferry_flow_key *k, struct ferry_flow *f)
{
	struct ferry_sc_flow r = {};
	int v6 = i % 10 == 3;

	r.family = v6 ? FERRY_AF_INET6 : FERRY_AF_INET;
	r.proto = i % 10 < 7 ? IPPROTO_TCP : i % 10 < 9 ? IPPROTO_UDP :
		  IPPROTO_ICMP;
	if (r.proto == IPPROTO_ICMP && v6)
		r.proto = IPPROTO_ICMPV6;
	r.zone = i & 3;
	r.src[0] = 198;
	r.src[1] = 18;
	r.src[2] = i >> 8;
	r.src[3] = i;
	r.dst[0] = 198;
	r.dst[1] = 19;
	r.dst[2] = i >> 16;
	r.dst[3] = 1;
	if (r.proto == IPPROTO_TCP || r.proto == IPPROTO_UDP) {
		r.sport = 1024 + i % 60000;
		r.dport = 443;
	} else {
		r.sport = r.dport = i & 0xffff;
	}
	switch (r.proto) {
	case IPPROTO_TCP:
		r.state = FERRY_TCP_ESTABLISHED;
		r.tcp[0] = (struct ferry_sc_tcp){ 0x10000000u + i, 0x20000000u, 64240,
						  0x30000000u, 7, 7 };
		r.tcp[1] = (struct ferry_sc_tcp){ 0x30000000u, 0x10001000u + i, 65535,
						  0x10000000u + i, 7, 7 };
		break;
	case IPPROTO_UDP:
		r.state = FERRY_UDP_REPLIED;
		break;
	default:
		r.state = FERRY_ICMP_REPLIED;
	}
	r.flags = FERRY_FLOW_F_SEEN_REPLY | FERRY_FLOW_F_ASSURED;
	r.remaining_ms = 432000000 - i % 1000000;
	r.age_ms = 60000 + i % 3000000;
	r.idle_ms = i % 60000;
	r.packets[0] = 10 + i % 100000;
	r.packets[1] = 8 + i % 90000;
	r.bytes[0] = r.packets[0] * 700;
	r.bytes[1] = r.packets[1] * 1100;
	r.rule_id = i % 50;
	ferry_sc_flow_to_entry(&r, NOW_NS, k, f);
}

/* ---- Output: count bytes, keep none ---- */

static int count_write(void *ctx, const void *buf, size_t len)
{
	*(__u64 *)ctx += len;
	return 0;
}

static struct ferry_sc_enc *new_enc(__u64 flows, int zlib, ferry_sc_write_fn w,
				    void *ctx)
{
	struct ferry_sc_enc_opts o = {
		.host = "bench", .flow_count = flows, .zlib_level = zlib,
		.write = w, .ctx = ctx,
	};
	char err[FERRY_SC_ERR_MAX];
	struct ferry_sc_enc *e = ferry_sc_enc_new(&o, err, sizeof(err));

	if (!e) {
		fprintf(stderr, "bench_codec: %s\n", err);
		exit(1);
	}
	return e;
}

/* Encode ns per flow: (make + add) minus make alone, whole loops timed. */
static double bench_encode(__u64 flows, int zlib, __u64 *bytes)
{
	struct ferry_flow_key k;
	struct ferry_flow f;
	struct ferry_sc_enc *e;
	__u64 i, t_make, t_all;

	t_make = now_ns();
	for (i = 0; i < flows; i++) {
		make_entry(i, &k, &f);
		__asm__ __volatile__("" : : "r"(&k), "r"(&f) : "memory");
	}
	t_make = now_ns() - t_make;
	*bytes = 0;
	e = new_enc(flows, zlib, count_write, bytes);
	t_all = now_ns();
	for (i = 0; i < flows; i++) {
		make_entry(i, &k, &f);
		if (ferry_sc_enc_add_entry(e, &k, &f, NOW_NS)) {
			fprintf(stderr, "bench_codec: %s\n", ferry_sc_enc_error(e));
			exit(1);
		}
	}
	t_all = now_ns() - t_all;
	if (ferry_sc_enc_finish(e))
		exit(1);
	ferry_sc_enc_free(e);
	return (double)(t_all - t_make) / flows;
}

/* ---- Input: a generator encoding the bundle one chunk at a time ---- */

struct gen {
	struct ferry_sc_enc *e;
	__u64 flows;
	__u64 next;	/* next flow to encode */
	__u8 *buf;	/* bytes encoded, not yet read */
	size_t len, off, cap;
	__u64 gen_ns;	/* time spent generating, not decoding */
};

static int gen_write(void *ctx, const void *p, size_t len)
{
	struct gen *g = ctx;

	if (g->len + len > g->cap) {
		g->cap = (g->len + len) * 2;
		g->buf = realloc(g->buf, g->cap);
		if (!g->buf)
			return -ENOMEM;
	}
	memcpy(g->buf + g->len, p, len);
	g->len += len;
	return 0;
}

static ssize_t gen_read(void *ctx, void *p, size_t len)
{
	struct gen *g = ctx;
	struct ferry_flow_key k;
	struct ferry_flow f;
	__u64 t = now_ns();

	if (g->off == g->len) {
		g->off = g->len = 0;
		while (!g->len && g->next < g->flows) {
			make_entry(g->next++, &k, &f);
			ferry_sc_enc_add_entry(g->e, &k, &f, NOW_NS);
		}
	}
	if (len > g->len - g->off)
		len = g->len - g->off;
	memcpy(p, g->buf + g->off, len);
	g->off += len;
	g->gen_ns += now_ns() - t;
	return len;
}

static __u64 decoded;

static int count_entry(void *ctx, const struct ferry_flow_key *k,
		       const struct ferry_flow *f)
{
	decoded++;
	return 0;
}

static double bench_decode(__u64 flows, int zlib)
{
	struct gen g = { .flows = flows };
	struct ferry_sc_dec_ops ops = {
		.read = gen_read, .entry = count_entry, .ctx = &g,
	};
	char err[FERRY_SC_ERR_MAX];
	__u64 t;
	int ret;

	g.e = new_enc(flows, zlib, gen_write, &g);	/* header now in g.buf */
	decoded = 0;
	t = now_ns();
	ret = ferry_sc_decode(&ops, NULL, NOW_NS, err, sizeof(err));
	t = now_ns() - t;
	if (ret || decoded != flows) {
		fprintf(stderr, "bench_codec: decode %d: %s\n", ret, err);
		exit(1);
	}
	ferry_sc_enc_free(g.e);
	free(g.buf);
	return (double)(t - g.gen_ns) / flows;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of ROUNDS runs of the plain codec: one run on this shared
 * VM lands a third off now and then. */
#define ROUNDS	5

static double median(double ns[ROUNDS])
{
	qsort(ns, ROUNDS, sizeof(ns[0]), dbl_cmp);
	return ns[ROUNDS / 2];
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	__u64 flows = 1000000, bytes;
	double ns, runs[ROUNDS];
	long rss0;
	int i;

	if (argc > 2 || (argc == 2 && (ferry_parse_u64(argv[1], 1ull << 30, &flows) ||
				       !flows))) {
		fprintf(stderr, "usage: bench_codec [flows 1..2^30]\n");
		return 2;
	}
	rss0 = peak_rss_kib();
	for (i = 0; i < ROUNDS; i++)
		runs[i] = bench_decode(flows, 0);
	ns = median(runs);
	printf("bench: codec_decode_ns_per_entry %.0f ns\n", ns);
	ns = bench_decode(flows, 1);
	printf("bench: codec_decode_zlib_ns_per_entry %.0f ns\n", ns);
	printf("bench: codec_decode_peak_rss_kib %ld KiB (%ld KiB at start, %llu flows)\n",
	       peak_rss_kib(), rss0, (unsigned long long)flows);
	for (i = 0; i < ROUNDS; i++)
		runs[i] = bench_encode(flows, 0, &bytes);
	ns = median(runs);
	printf("bench: codec_encode_ns_per_entry %.0f ns\n", ns);
	printf("bench: codec_bytes_per_entry %.1f B\n", (double)bytes / flows);
	ns = bench_encode(flows, 1, &bytes);
	printf("bench: codec_encode_zlib_ns_per_entry %.0f ns\n", ns);
	printf("bench: codec_zlib_bytes_per_entry %.1f B\n", (double)bytes / flows);
	return 0;
}
