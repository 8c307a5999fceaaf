// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `ferryctl export | ferryctl import` between two real datapaths: the
 * export writes a bundle per batch as it reads the table, the import
 * installs each bundle invisibly as it reads it and commits at the end.
 * Flows made by packets on the source arrive whole across several
 * bundles and work on the destination; two exports back to back import
 * as one; a dry run writes nothing; and a bad second or last bundle, one
 * that does not fit, a read error or an empty input each leave the
 * destination's table exactly as it was, nothing of it ever visible.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "bundleio.h"
#include "ctiter.h"
#include "dpt_assert.h"
#include "ferry_fw_test.skel.h"
#include "stateops.h"

#define N_SRC		10	/* the source's flows: 3 bundles of 4, 4, 2 */
#define PER_BUNDLE	4
#define N_DST_OWN	3
#define SNAP_MAX	64

/* The datapaths, loaded once (a load takes seconds under vmtest's TCG):
 * each test starts from the same flows. */
struct fix {
	struct dpt src, dst, small;
	struct ferry_stateops src_ops, dst_ops, small_ops;
	struct dpt *to;			/* the destination: dst or small */
	struct ferry_stateops *to_ops;
	__u8 *out;		/* the export's bytes */
	size_t len, cap;
	size_t bundle_end[8];	/* where each bundle of out ends */
	unsigned int bundles;
};

static struct pkt_spec tcp_spec(const char *client, __u16 sport)
{
	struct pkt_spec s = { .saddr = client, .daddr = "198.18.9.9",
			      .proto = IPPROTO_TCP, .sport = sport, .dport = 80 };
	return s;
}

static void make_flows(struct dpt *d, const char *client, unsigned int n,
		       __u16 port0)
{
	struct pkt_spec s;
	unsigned int i;

	for (i = 0; i < n; i++) {
		s = tcp_spec(client, port0 + i);
		assert_int_equal(dpt_handshake(d, &s, 1000 + i, 5000 + i), 0);
	}
}

static int open_dp(struct dpt *d, struct ferry_stateops *ops, __u32 ct_max)
{
	return dpt_open(d, ct_max) || dpt_allow_all(d) ||
	       ferry_stateops_open_obj(ops, d->skel->obj, 0);
}

static int group_setup(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));

	/* the small one: room for its own flows and two bundles */
	if (!x || open_dp(&x->src, &x->src_ops, 0) ||
	    open_dp(&x->dst, &x->dst_ops, 0) ||
	    open_dp(&x->small, &x->small_ops, N_DST_OWN + 2 * PER_BUNDLE))
		return -1;
	*state = x;
	return 0;
}

static int group_teardown(void **state)
{
	struct fix *x = *state;

	free(x->out);
	ferry_stateops_close(&x->src_ops);
	ferry_stateops_close(&x->dst_ops);
	ferry_stateops_close(&x->small_ops);
	dpt_close(&x->src);
	dpt_close(&x->dst);
	dpt_close(&x->small);
	free(x);
	return 0;
}

/* The source's flows, and the destination's own (into dst or small). */
static int setup_into(void **state, bool small)
{
	struct fix *x = *state;

	x->to = small ? &x->small : &x->dst;
	x->to_ops = small ? &x->small_ops : &x->dst_ops;
	if (dpt_flow_flush(&x->src) || dpt_flow_flush(x->to))
		return -1;
	/* The import converts lifetimes at CLOCK_MONOTONIC: so do both. */
	dpt_set_now(&x->src, ferry_now_ns());
	dpt_set_now(x->to, ferry_now_ns());
	make_flows(&x->src, "198.18.1.1", N_SRC, 40000);
	make_flows(x->to, "198.18.3.1", N_DST_OWN, 44000);
	return 0;
}

static int setup(void **state)
{
	return setup_into(state, false);
}

static int setup_small(void **state)
{
	return setup_into(state, true);
}

static int out_write(void *ctx, const void *p, size_t len)
{
	struct fix *x = ctx;

	if (x->len + len > x->cap) {
		x->cap = (x->len + len) * 2;
		x->out = realloc(x->out, x->cap);
		if (!x->out)
			return -ENOMEM;
	}
	memcpy(x->out + x->len, p, len);
	x->len += len;
	return 0;
}

/* Export the source (all of it: n flows) into x->out; where each of its
 * bundles ends. */
static void export_src(struct fix *x, __u64 expect, unsigned int bundles)
{
	struct ferry_export_sel all = { .all_zones = 1 };
	struct ferry_sc_enc_opts o = { .host = "src", .write = out_write, .ctx = x };
	char err[FERRY_SC_ERR_MAX];
	size_t off = 0;
	ssize_t blen;
	__u64 n, flows;

	x->len = 0;
	assert_int_equal(ferry_export_bundles(&x->src_ops, &all, ferry_now_ns(), &o,
					      PER_BUNDLE, &n, err, sizeof(err)), 0);
	assert_int_equal(n, expect);
	for (x->bundles = 0; off < x->len; x->bundles++) {
		blen = ferry_sc_bundle_len(x->out + off, x->len - off, &flows);
		assert_true(blen > 0);
		off += blen;
		x->bundle_end[x->bundles] = off;
	}
	assert_int_equal(x->bundles, bundles);
}

/* Reading x->out from off to end, at most step bytes a read; a read
 * error at fail_at if set. */
struct reader {
	const __u8 *p;
	size_t off, end, step, fail_at;
};

/* The export's bytes, step at a time. */
static struct reader reader_of(const struct fix *x, size_t step)
{
	return (struct reader){ .p = x->out, .end = x->len, .step = step };
}

static ssize_t reader_read(void *ctx, void *buf, size_t len)
{
	struct reader *r = ctx;

	if (r->fail_at && r->off >= r->fail_at)
		return -EIO;
	if (len > r->step)
		len = r->step;
	if (len > r->end - r->off)
		len = r->end - r->off;
	memcpy(buf, r->p + r->off, len);
	r->off += len;
	return len;
}

static int import_from(struct fix *x, struct reader *r, unsigned int flags,
		       struct ferry_import_report *rep, char *err, size_t errlen)
{
	struct ferry_import_opts o = { .rules = NULL, .flags = flags };
	struct ferry_rule allow;
	struct ferry_sc_array a = { .cap = x->to_ops->ct_max };
	int ret;

	dpt_rule_init(&allow, 1, FERRY_ACT_ALLOW);
	o.rules = &allow;
	o.nrules = 1;
	a.keys = calloc(a.cap, sizeof(*a.keys));
	a.flows = calloc(a.cap, sizeof(*a.flows));
	assert_non_null(a.keys);
	assert_non_null(a.flows);
	ret = ferry_import_bundles(x->to_ops, reader_read, r, NULL, &a, &o, rep,
				   err, errlen);
	free(a.keys);
	free(a.flows);
	return ret;
}

static int import_bytes(struct fix *x, const __u8 *p, size_t len,
			struct ferry_import_report *rep, char *err, size_t errlen)
{
	struct reader r = { .p = p, .end = len, .step = 4096 };

	return import_from(x, &r, 0, rep, err, errlen);
}

/* The table, sorted by key, and the committed batch. */
struct snap {
	struct ferry_export_rec r[SNAP_MAX];
	unsigned int n;
	__u32 import_gen;
};

static int snap_one(const struct ferry_flow_key *k, const struct ferry_flow *f,
		    void *ctx)
{
	struct snap *s = ctx;

	if (s->n == SNAP_MAX)
		return -ENOBUFS;
	s->r[s->n].key = *k;
	s->r[s->n].flow = *f;
	s->n++;
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct ferry_export_rec *)a)->key,
		      &((const struct ferry_export_rec *)b)->key,
		      sizeof(struct ferry_flow_key));
}

static void take_snap(struct dpt *d, struct snap *s)
{
	struct ferry_config cfg;

	memset(s, 0, sizeof(*s));
	assert_int_equal(ferry_ct_foreach(bpf_map__fd(d->skel->maps.ferry_ct),
					  snap_one, s), 0);
	qsort(s->r, s->n, sizeof(s->r[0]), rec_cmp);
	assert_int_equal(dpt_config_read(d, &cfg), 0);
	s->import_gen = cfg.import_gen;
}

static void assert_same(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->n, b->n);
	assert_memory_equal(a->r, b->r, a->n * sizeof(a->r[0]));
	assert_int_equal(a->import_gen, b->import_gen);
}

/* The source's flow i passes on the destination (it is installed, live). */
static void assert_flow_works(struct fix *x, unsigned int i)
{
	struct pkt_spec c = tcp_spec("198.18.1.1", 40000 + i);
	struct pkt_spec seg = dpt_seg(&c, 0, PKT_TCP_ACK, 1001 + i, 5001 + i, 10);

	assert_pass(x->to, &seg, FERRY_PASS_ESTABLISHED);
}

/* Every flow arrives over three bundles, read a few bytes at a time. */
static void test_round_trip(void **state)
{
	struct fix *x = *state;
	struct reader r;
	struct ferry_import_report rep;
	char err[512];
	unsigned int i;

	export_src(x, N_SRC, 3);
	r = reader_of(x, 7);
	assert_int_equal(import_from(x, &r, 0, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.offered, N_SRC);
	assert_int_equal(rep.count[FERRY_IMPORT_ACCEPTED], N_SRC);
	assert_int_equal(dpt_flow_count(x->to), N_DST_OWN + N_SRC);
	for (i = 0; i < N_SRC; i++)
		assert_flow_works(x, i);
}

/* Two exports back to back (`cat a b | ferryctl import`): one import,
 * in which the second's flows exist already. */
static void test_two_exports_concatenated(void **state)
{
	struct fix *x = *state;
	struct ferry_import_report rep;
	char err[512];
	__u8 *two;

	make_flows(&x->src, "198.18.2.1", 2, 41000);
	export_src(x, N_SRC + 2, 3);
	two = malloc(2 * x->len);
	assert_non_null(two);
	memcpy(two, x->out, x->len);
	memcpy(two + x->len, x->out, x->len);
	assert_int_equal(import_bytes(x, two, 2 * x->len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.offered, 2 * (N_SRC + 2));
	assert_int_equal(rep.count[FERRY_IMPORT_ACCEPTED], N_SRC + 2);
	assert_int_equal(rep.count[FERRY_IMPORT_EXISTS], N_SRC + 2);
	assert_int_equal(dpt_flow_count(x->to), N_DST_OWN + N_SRC + 2);
	free(two);
}

static void test_dry_run_writes_nothing(void **state)
{
	struct fix *x = *state;
	struct ferry_import_report rep;
	struct snap before, after;
	struct reader r;
	char err[512];

	export_src(x, N_SRC, 3);
	take_snap(x->to, &before);
	r = reader_of(x, 4096);
	assert_int_equal(import_from(x, &r, FERRY_IMPORT_DRY_RUN, &rep, err,
				     sizeof(err)), 0);
	assert_int_equal(rep.count[FERRY_IMPORT_ACCEPTED], N_SRC);
	take_snap(x->to, &after);
	assert_same(&before, &after);
}

/*
 * A byte of the last bundle altered, the input cut inside the second, or
 * junk after the last: the bundles before were installed, and are gone
 * again; the destination never saw them.
 */
static void test_bad_later_bundle_leaves_table(void **state)
{
	struct fix *x = *state;
	struct ferry_import_report rep;
	struct snap before, after;
	char err[512];
	__u8 *bad;

	export_src(x, N_SRC, 3);
	take_snap(x->to, &before);
	bad = malloc(x->len + 1);
	assert_non_null(bad);

	memcpy(bad, x->out, x->len);
	bad[x->bundle_end[1]] = 0xc1;	/* the third bundle's first byte */
	assert_int_equal(import_bytes(x, bad, x->len, &rep, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "bundle refused, nothing imported: bundle 2 header:"));
	take_snap(x->to, &after);
	assert_same(&before, &after);

	assert_int_equal(import_bytes(x, x->out, x->bundle_end[1] - 5, &rep, err,
				      sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "bundle 1 "));
	assert_non_null(strstr(err, "truncated"));
	take_snap(x->to, &after);
	assert_same(&before, &after);

	memcpy(bad, x->out, x->len);
	bad[x->len] = 0x90;		/* an empty array: not a bundle */
	assert_int_equal(import_bytes(x, bad, x->len + 1, &rep, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "bundle 3 header: header is an array"));
	take_snap(x->to, &after);
	assert_same(&before, &after);
	free(bad);

	/* and each was refused for the input, not the table: it imports */
	assert_int_equal(import_bytes(x, x->out, x->len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.count[FERRY_IMPORT_ACCEPTED], N_SRC);
}

static void test_read_error_leaves_table(void **state)
{
	struct fix *x = *state;
	struct ferry_import_report rep;
	struct snap before, after;
	struct reader r;
	char err[512];

	export_src(x, N_SRC, 3);
	take_snap(x->to, &before);
	r = reader_of(x, 100);
	r.fail_at = x->bundle_end[1] + 10;
	assert_int_equal(import_from(x, &r, 0, &rep, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "bundle 2 "));
	take_snap(x->to, &after);
	assert_same(&before, &after);
}

static void test_empty_input_refused(void **state)
{
	struct fix *x = *state;
	static const __u8 nothing[1];
	struct ferry_import_report rep;
	char err[512];

	assert_int_equal(import_bytes(x, nothing, 0, &rep, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "bundle 0 header: truncated"));
	assert_int_equal(dpt_flow_count(x->to), N_DST_OWN);
}

/* Nothing selected: one empty bundle, which imports as nothing. */
static void test_empty_export(void **state)
{
	struct fix *x = *state;
	struct ferry_export_sel none = { .zone = 7 };
	struct ferry_sc_enc_opts o = { .host = "src", .write = out_write, .ctx = x };
	struct ferry_import_report rep;
	char err[512];
	__u64 n, flows;

	x->len = 0;
	assert_int_equal(ferry_export_bundles(&x->src_ops, &none, ferry_now_ns(), &o,
					      PER_BUNDLE, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ferry_sc_bundle_len(x->out, x->len, &flows), (ssize_t)x->len);
	assert_int_equal(flows, 0);
	assert_int_equal(import_bytes(x, x->out, x->len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.offered, 0);
	assert_int_equal(dpt_flow_count(x->to), N_DST_OWN);
}

/* Room for two bundles of the three: the third is refused before it is
 * written, the two before it removed. */
static void test_too_many_leaves_table(void **state)
{
	struct fix *x = *state;
	struct ferry_import_report rep;
	struct snap before, after;
	char err[512];

	export_src(x, N_SRC, 3);
	take_snap(x->to, &before);
	assert_int_equal(import_bytes(x, x->out, x->len, &rep, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "do not fit"));
	take_snap(x->to, &after);
	assert_same(&before, &after);
	/* the first two alone fit */
	assert_int_equal(import_bytes(x, x->out, x->bundle_end[1], &rep, err,
				      sizeof(err)), 0);
	assert_int_equal(rep.count[FERRY_IMPORT_ACCEPTED], 2 * PER_BUNDLE);
}

#define T(fn)	cmocka_unit_test_setup(fn, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_two_exports_concatenated),
		T(test_dry_run_writes_nothing),
		T(test_bad_later_bundle_leaves_table),
		T(test_read_error_leaves_table),
		T(test_empty_input_refused),
		T(test_empty_export),
		cmocka_unit_test_setup(test_too_many_leaves_table, setup_small),
	};

	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
