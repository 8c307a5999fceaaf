// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A migration payload between two real datapaths: flows made by packets on
 * the source for two VMs, the source's signed chunks and commit, the
 * destination's receiver. Exactly VM1's flows arrive and work; every
 * failure (dropped, duplicated, reordered, altered, foreign chunks; orders
 * for another host, expired or replayed; a forged bundle with another VM's
 * flow; a table too small; local rules that deny) ends with its reason and
 * the destination's table exactly as it was.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "dpt_assert.h"
#include "ferry_fw_test.skel.h"
#include "ctiter.h"
#include "stateops.h"
#include "envelope.h"
#include "migdest.h"
#include "migsource.h"

#define SRC_HOST	11
#define DST_HOST	12
#define NOW_S		1767225600ull		/* the order's clock */
#define N_TCP4		24	/* VM1's flows: TCP over IPv4 and IPv6, UDP */
#define N_TCP6		6
#define N_UDP		6
#define N_VM1		(N_TCP4 + N_TCP6 + N_UDP)
#define N_VM2		10
#define N_DST_OWN	5	/* the destination's own flows (VM3) */
#define CHUNK		512	/* small chunks: several per migration */
#define MAX_ENV		64

static struct ferry_identity som, src_id, other_id;

/* The rules of an import opened beside a migration's. */
static const struct ferry_rule allow_all = {
	.id = 1, .zone = FERRY_ZONE_ANY, .action = FERRY_ACT_ALLOW,
	.sport_hi = 65535, .dport_hi = 65535,
};

struct env {
	__u32 type;
	__u64 seq;
	__u8 *buf;
	size_t len;
};

struct fix {
	struct dpt src, dst;
	struct ferry_stateops src_ops, dst_ops;
	struct ferry_mig_order order;
	__u8 order_env[FERRY_MIG_ORDER_MAX];
	size_t order_len;
	struct env env[MAX_ENV];
	unsigned int n_env;
	__u32 bundle_flows;	/* 0: the default */
	struct ferry_mig_done *done;
	struct ferry_mig_dest dest;
	struct ferry_mig_result res;
	int settled_at;		/* the feed after which the outcome was final, or -1 */
};

static int emit(void *ctx, __u32 type, __u64 seq, const __u8 *buf, size_t len)
{
	struct fix *x = ctx;
	struct env *e;

	if (x->n_env == MAX_ENV)
		return -ENOBUFS;
	e = &x->env[x->n_env++];
	e->type = type;
	e->seq = seq;
	e->buf = malloc(len);
	if (!e->buf)
		return -ENOMEM;
	memcpy(e->buf, buf, len);
	e->len = len;
	return 0;
}

static struct pkt_spec tcp_spec(const char *vm, const char *peer, __u16 sport)
{
	struct pkt_spec s = { .saddr = vm, .daddr = peer, .proto = IPPROTO_TCP,
			      .sport = sport, .dport = 80 };
	return s;
}

static struct pkt_spec udp_spec(const char *vm, const char *peer, __u16 sport)
{
	struct pkt_spec s = { .saddr = peer, .daddr = vm, .proto = IPPROTO_UDP,
			      .sport = sport, .dport = 53 };
	return s;
}

/* VM1: 198.18.1.1 and 2001:db8:1::1; VM2: 198.18.2.1; VM3: 198.18.3.1. */
static void vm1_flow(unsigned int i, struct pkt_spec *s)
{
	if (i < N_TCP4)
		*s = tcp_spec("198.18.1.1", "198.18.9.9", 40000 + i);
	else if (i < N_TCP4 + N_TCP6)
		*s = tcp_spec("2001:db8:1::1", "2001:db8:9::9", 41000 + i);
	else
		*s = udp_spec("198.18.1.1", "198.18.9.8", 42000 + i);
}

static void make_flows(struct dpt *d, const char *vm, unsigned int n, __u16 port0)
{
	struct pkt_spec s;
	unsigned int i;

	for (i = 0; i < n; i++) {
		s = tcp_spec(vm, "198.18.9.9", port0 + i);
		assert_int_equal(dpt_handshake(d, &s, 1000 + i, 5000 + i), 0);
	}
}

static void make_vm1_flows(struct dpt *d)
{
	struct pkt_spec s;
	unsigned int i;
	int why;

	for (i = 0; i < N_VM1; i++) {
		vm1_flow(i, &s);
		if (s.proto == IPPROTO_TCP)
			assert_int_equal(dpt_handshake(d, &s, 1000 + i, 7000 + i), 0);
		else
			assert_int_equal(dpt_send(d, &s, &why), XDP_PASS);
	}
}

static void base_order(struct fix *x)
{
	struct ferry_mig_order *o = &x->order;

	memset(o, 0, sizeof(*o));
	ferry_mig_id_random(o->id);
	o->vm.zone = 0;
	o->vm.n_addrs = 2;
	o->vm.family[0] = FERRY_AF_INET;
	memcpy(o->vm.addr[0], "\xc6\x12\x01\x01", 4);
	o->vm.family[1] = FERRY_AF_INET6;
	memcpy(o->vm.addr[1], "\x20\x01\x0d\xb8\x00\x01\0\0\0\0\0\0\0\0\0\x01", 16);
	o->src_host = SRC_HOST;
	memcpy(o->src_pk, src_id.pk, 32);
	o->dst_host = DST_HOST;
	o->issued_s = NOW_S;
	o->expires_s = NOW_S + 30;
	o->max_flows = 1000;
	o->max_bytes = 1 << 20;
}

static void seal_order(struct fix *x)
{
	assert_int_equal(ferry_mig_order_seal(&x->order, &som, NOW_S * 1000, x->order_env,
					      sizeof(x->order_env), &x->order_len), 0);
}

static int setup_sized(void **state, __u32 dst_max)
{
	struct fix *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	if (dpt_open(&x->src, 0) || dpt_allow_all(&x->src) ||
	    dpt_open(&x->dst, dst_max) || dpt_allow_all(&x->dst) ||
	    ferry_stateops_open_obj(&x->src_ops, x->src.skel->obj, 0) ||
	    ferry_stateops_open_obj(&x->dst_ops, x->dst.skel->obj, 0))
		return -1;
	make_vm1_flows(&x->src);
	make_flows(&x->src, "198.18.2.1", N_VM2, 43000);
	/* The destination's clock is ferry_import's (CLOCK_MONOTONIC). */
	dpt_set_now(&x->dst, ferry_now_ns());
	make_flows(&x->dst, "198.18.3.1", N_DST_OWN, 44000);
	x->done = ferry_mig_done_new(16);
	x->dest = (struct ferry_mig_dest){
		.som_pk = som.pk, .host_id = DST_HOST, .done = x->done,
		.ops = &x->dst_ops, .rulesets_fd = x->dst.rulesets_fd,
	};
	base_order(x);
	seal_order(x);
	*state = x;
	return 0;
}

static int setup(void **state)
{
	return setup_sized(state, 0);
}

/* Room for the destination's own flows and all but 2 of VM1's. */
static int setup_small(void **state)
{
	return setup_sized(state, N_DST_OWN + N_VM1 - 2);
}

/* A table smaller than VM1's flows. */
static int setup_tiny(void **state)
{
	return setup_sized(state, N_VM1 - 6);
}

static void clear_envs(struct fix *x)
{
	unsigned int i;

	for (i = 0; i < x->n_env; i++)
		free(x->env[i].buf);
	x->n_env = 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;

	clear_envs(x);
	ferry_mig_done_free(x->done);
	ferry_stateops_close(&x->src_ops);
	ferry_stateops_close(&x->dst_ops);
	dpt_close(&x->src);
	dpt_close(&x->dst);
	free(x);
	return 0;
}

/* Run the source for order o (not necessarily the signed one). */
static int run_source(struct fix *x, const struct ferry_mig_order *o,
		      const struct ferry_identity *id, struct ferry_mig_result *res)
{
	struct ferry_mig_source s = {
		.order = o, .id = id, .host_id = o->src_host,
		.ops = &x->src_ops,
		.mono_now_ns = dpt_now(&x->src),
		.real_now_ms = NOW_S * 1000 + 1000,
		.chunk_bytes = CHUNK, .bundle_flows = x->bundle_flows,
		.emit = emit, .ctx = x,
	};

	clear_envs(x);
	return ferry_mig_source_run(&s, res);
}

static void source_ok(struct fix *x)
{
	struct ferry_mig_result res;

	assert_int_equal(run_source(x, &x->order, &src_id, &res), 0);
	assert_int_equal(res.reason, FERRY_MIG_OK);
	assert_int_equal(res.flows, N_VM1);
	assert_true(res.chunks >= 4);
	assert_int_equal(x->n_env, res.chunks + 1);
	assert_int_equal(x->env[x->n_env - 1].type, FERRY_MSG_MIG_COMMIT);
}

/* The table, sorted, for before/after comparisons. */
struct snap {
	struct ferry_flow_key k[256];
	struct ferry_flow f[256];
	unsigned int n;
	__u32 import_gen;
};

static int snap_one(const struct ferry_flow_key *k, const struct ferry_flow *f, void *ctx)
{
	struct snap *s = ctx;

	if (s->n == 256)
		return -ENOBUFS;
	s->k[s->n] = *k;
	s->f[s->n] = *f;
	s->n++;
	return 0;
}

static void take_snap(struct dpt *d, struct snap *s)
{
	struct ferry_config cfg;
	unsigned int i, j;

	s->n = 0;
	assert_int_equal(ferry_ct_foreach(bpf_map__fd(d->skel->maps.ferry_ct),
					  snap_one, s), 0);
	/* insertion sort by key: few entries */
	for (i = 1; i < s->n; i++)
		for (j = i; j > 0 && memcmp(&s->k[j - 1], &s->k[j], sizeof(s->k[0])) > 0; j--) {
			struct ferry_flow_key tk = s->k[j];
			struct ferry_flow tf = s->f[j];

			s->k[j] = s->k[j - 1];
			s->f[j] = s->f[j - 1];
			s->k[j - 1] = tk;
			s->f[j - 1] = tf;
		}
	assert_int_equal(dpt_config_read(d, &cfg), 0);
	s->import_gen = cfg.import_gen;
}

static void assert_same(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->n, b->n);
	assert_memory_equal(a->k, b->k, a->n * sizeof(a->k[0]));
	assert_memory_equal(a->f, b->f, a->n * sizeof(a->f[0]));
	assert_int_equal(a->import_gen, b->import_gen);
}

/*
 * Feed envelopes in the order idx[0..n) (NULL: all, in order) to a new
 * receiver; the last feed's return value.
 */
static int deliver(struct fix *x, const int *idx, unsigned int n, __u64 now_s)
{
	struct ferry_mig_recv *r;
	unsigned int i;
	int ret = 0;

	r = ferry_mig_recv_new(&x->dest, x->order_env, x->order_len, NOW_S + 1, &x->res);
	if (!r)
		return -errno;
	if (!idx)
		n = x->n_env;
	x->settled_at = -1;
	for (i = 0; i < n; i++) {
		const struct env *e = &x->env[idx ? idx[i] : (int)i];

		ret = ferry_mig_recv_feed(r, e->buf, e->len, now_s);
		if (x->settled_at < 0 && ferry_mig_recv_settled(r))
			x->settled_at = (int)i;
	}
	x->res = *ferry_mig_recv_result(r);
	ferry_mig_recv_free(r);
	return ret;
}

static void expect_failure(struct fix *x, const int *idx, unsigned int n, int reason)
{
	struct snap before, after;
	int ret;

	take_snap(&x->dst, &before);
	ret = deliver(x, idx, n, NOW_S + 2);
	print_message("result: %s: %s\n", ferry_mig_reason_name(x->res.reason), x->res.msg);
	assert_true(ret < 0);
	assert_string_equal(ferry_mig_reason_name(x->res.reason),
			    ferry_mig_reason_name(reason));
	take_snap(&x->dst, &after);
	assert_same(&before, &after);
}

static void test_exactly_vm1(void **state)
{
	struct fix *x = *state;
	struct snap src_before, src_after;
	struct ferry_flow f;
	struct pkt_spec s, ack;
	unsigned int i;

	take_snap(&x->src, &src_before);
	assert_int_equal(src_before.n, N_VM1 + N_VM2);
	source_ok(x);
	assert_int_equal(deliver(x, NULL, 0, NOW_S + 2), 1);
	print_message("result: %s\n", x->res.msg);
	assert_int_equal(x->res.reason, FERRY_MIG_OK);
	assert_int_equal(x->res.flows, N_VM1);
	assert_int_equal(x->res.count[FERRY_IMPORT_ACCEPTED], N_VM1);
	/* Destination: its own flows and VM1's, no VM2's. */
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_VM1);
	for (i = 0; i < N_VM1; i++) {
		vm1_flow(i, &s);
		assert_int_equal(dpt_flow(&x->dst, 0, &s, &f, NULL), 0);
		assert_true(f.flags & FERRY_FLOW_F_IMPORTED);
	}
	for (i = 0; i < N_VM2; i++) {
		s = tcp_spec("198.18.2.1", "198.18.9.9", 43000 + i);
		assert_int_equal(dpt_flow(&x->dst, 0, &s, &f, NULL), -ENOENT);
	}
	/* The source is untouched. */
	take_snap(&x->src, &src_after);
	assert_same(&src_before, &src_after);
	/* A migrated flow carries on at the destination. */
	vm1_flow(0, &s);
	ack = dpt_seg(&s, 0, PKT_TCP_ACK, 1001, 7001, 10);
	assert_pass(&x->dst, &ack, FERRY_PASS_ESTABLISHED);
	/* The VM2 flow's next packet is unknown there. */
	s = tcp_spec("198.18.2.1", "198.18.9.9", 43000);
	ack = dpt_seg(&s, 0, PKT_TCP_ACK, 1001, 5001, 10);
	assert_drop(&x->dst, &ack, FERRY_DROP_INVALID);
}

/* A migrated flow's next segment at the destination: ok, or dropped. */
static void expect_vm1_flow(struct fix *x, bool visible)
{
	struct pkt_spec s, ack;

	vm1_flow(0, &s);
	ack = dpt_seg(&s, 0, PKT_TCP_ACK, 1001, 7001, 10);
	if (visible)
		assert_pass(&x->dst, &ack, FERRY_PASS_ESTABLISHED);
	else
		assert_drop(&x->dst, &ack, FERRY_DROP_INVALID);
}

/*
 * The payload as several bundles (8 flows each): each bundle's flows are
 * inserted as it comes, invisible to the datapath until the commit.
 */
static void test_several_bundles(void **state)
{
	struct fix *x = *state;
	struct ferry_mig_result res;
	struct snap before, after;
	struct ferry_mig_order o;
	struct ferry_mig_recv *r;
	unsigned int i;

	x->bundle_flows = 8;
	source_ok(x);
	r = ferry_mig_recv_new(&x->dest, x->order_env, x->order_len, NOW_S + 1, &res);
	assert_non_null(r);
	for (i = 0; i + 1 < x->n_env; i++)
		assert_int_equal(ferry_mig_recv_feed(r, x->env[i].buf, x->env[i].len,
						     NOW_S + 2), 0);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_VM1);
	expect_vm1_flow(x, false);
	assert_int_equal(ferry_mig_recv_feed(r, x->env[i].buf, x->env[i].len,
					     NOW_S + 2), 1);
	print_message("result: %s\n", ferry_mig_recv_result(r)->msg);
	assert_int_equal(ferry_mig_recv_result(r)->count[FERRY_IMPORT_ACCEPTED], N_VM1);
	ferry_mig_recv_free(r);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_VM1);
	expect_vm1_flow(x, true);

	/* More flows than the order allows, seen after the first bundles
	 * left: they went, the commit does not; nothing is installed. */
	teardown(state);
	assert_int_equal(setup(state), 0);
	x = *state;
	x->bundle_flows = 8;
	o = x->order;
	o.max_flows = N_VM1 - 1;
	assert_int_equal(run_source(x, &o, &src_id, &res), -E2BIG);
	assert_int_equal(res.reason, FERRY_MIG_TOO_LARGE);
	print_message("source: %s\n", res.msg);
	assert_true(x->n_env > 0);
	for (i = 0; i < x->n_env; i++)
		assert_int_equal(x->env[i].type, FERRY_MSG_MIG_CHUNK);
	take_snap(&x->dst, &before);
	assert_int_equal(deliver(x, NULL, 0, NOW_S + 2), 0);
	take_snap(&x->dst, &after);
	assert_same(&before, &after);
}

/* Envelopes of the source's last run, taken over (x->env emptied). */
static unsigned int take_envs(struct fix *x, struct env *out)
{
	unsigned int n = x->n_env;

	memcpy(out, x->env, n * sizeof(*out));
	x->n_env = 0;
	return n;
}

static unsigned int feed_all(struct ferry_mig_recv *r, const struct env *e,
			     unsigned int n, int last)
{
	unsigned int i;

	for (i = 0; i + 1 < n; i++)
		assert_int_equal(ferry_mig_recv_feed(r, e[i].buf, e[i].len, NOW_S + 2), 0);
	return last < 0 ? 0 : ferry_mig_recv_feed(r, e[i].buf, e[i].len, NOW_S + 2);
}

/*
 * Two migrations into one table at once (VM1's and VM2's): the first
 * holds the table's import; the second decodes, and installs when its
 * commit has come and the first has ended.
 */
static void test_two_at_once(void **state)
{
	struct fix *x = *state;
	struct ferry_mig_order o2 = x->order;
	struct ferry_mig_recv *r1, *r2;
	struct ferry_mig_result res;
	struct env e1[MAX_ENV], e2[MAX_ENV];
	unsigned int n1, n2, i;
	__u8 env2[FERRY_MIG_ORDER_MAX];
	size_t len2;

	x->bundle_flows = 8;
	source_ok(x);
	n1 = take_envs(x, e1);
	ferry_mig_id_random(o2.id);
	o2.vm.n_addrs = 1;
	memcpy(o2.vm.addr[0], "\xc6\x12\x02\x01", 4);
	assert_int_equal(ferry_mig_order_seal(&o2, &som, NOW_S * 1000, env2,
					      sizeof(env2), &len2), 0);
	assert_int_equal(run_source(x, &o2, &src_id, &res), 0);
	assert_int_equal(res.flows, N_VM2);
	n2 = take_envs(x, e2);

	r1 = ferry_mig_recv_new(&x->dest, x->order_env, x->order_len, NOW_S + 1, &res);
	r2 = ferry_mig_recv_new(&x->dest, env2, len2, NOW_S + 1, &res);
	assert_non_null(r1);
	assert_non_null(r2);
	feed_all(r1, e1, n1, -1);		/* all but its commit */
	assert_true(x->dst_ops.import_open);
	assert_int_equal(feed_all(r2, e2, n2, 0), 0);
	assert_true(ferry_mig_recv_waiting(r2));
	assert_false(ferry_mig_recv_settled(r2));
	assert_int_equal(ferry_mig_recv_retry(r2, NOW_S + 2), 0);
	/* VM2's flows wait outside the table */
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_VM1);
	/* writes are refused while the first is open */
	{
		struct ferry_import_tx tx;
		struct ferry_import_opts io = { 0 };
		char err[128];

		assert_int_equal(ferry_import_begin(&tx, &x->dst_ops, &io, err,
						    sizeof(err)), -EBUSY);
	}
	assert_int_equal(ferry_mig_recv_feed(r1, e1[n1 - 1].buf, e1[n1 - 1].len,
					     NOW_S + 2), 1);
	assert_int_equal(ferry_mig_recv_retry(r2, NOW_S + 2), 1);
	print_message("second: %s\n", ferry_mig_recv_result(r2)->msg);
	assert_int_equal(ferry_mig_recv_result(r2)->count[FERRY_IMPORT_ACCEPTED], N_VM2);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_VM1 + N_VM2);
	assert_false(x->dst_ops.import_open);
	expect_vm1_flow(x, true);
	ferry_mig_recv_free(r1);
	ferry_mig_recv_free(r2);
	for (i = 0; i < n1; i++)
		free(e1[i].buf);
	for (i = 0; i < n2; i++)
		free(e2[i].buf);
}

/*
 * Another process's import (`ferryctl --direct import`, here another
 * handle on the table) holds it: the migration waits for it rather than
 * failing, nothing of it in the table meanwhile, then installs.
 */
static void test_waits_for_another_import(void **state)
{
	struct fix *x = *state;
	struct ferry_import_opts io = { .rules = &allow_all, .nrules = 1 };
	struct ferry_stateops other;
	struct ferry_import_tx tx;
	struct ferry_mig_result res;
	struct ferry_mig_recv *r;
	char err[160];

	x->bundle_flows = 8;
	source_ok(x);
	assert_int_equal(ferry_stateops_open_obj(&other, x->dst.skel->obj, 0), 0);
	assert_int_equal(ferry_import_begin(&tx, &other, &io, err, sizeof(err)), 0);
	r = ferry_mig_recv_new(&x->dest, x->order_env, x->order_len, NOW_S + 1, &res);
	assert_non_null(r);
	assert_int_equal(feed_all(r, x->env, x->n_env, 0), 0);
	assert_true(ferry_mig_recv_waiting(r));
	assert_false(ferry_mig_recv_settled(r));
	assert_int_equal(ferry_mig_recv_retry(r, NOW_S + 2), 0);	/* still held */
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN);
	expect_vm1_flow(x, false);

	assert_int_equal(ferry_import_commit(&tx, err, sizeof(err)), 0);
	assert_int_equal(ferry_mig_recv_retry(r, NOW_S + 2), 1);
	print_message("after the other: %s\n", ferry_mig_recv_result(r)->msg);
	assert_int_equal(ferry_mig_recv_result(r)->count[FERRY_IMPORT_ACCEPTED], N_VM1);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_VM1);
	expect_vm1_flow(x, true);
	ferry_mig_recv_free(r);
	ferry_stateops_close(&other);
}

/* A migration abandoned after some bundles went in: they go out again. */
static void test_abandoned_part_way(void **state)
{
	struct fix *x = *state;
	struct ferry_mig_result res;
	struct snap before, after;
	struct ferry_mig_recv *r;
	unsigned int i;

	x->bundle_flows = 8;
	source_ok(x);
	take_snap(&x->dst, &before);
	r = ferry_mig_recv_new(&x->dest, x->order_env, x->order_len, NOW_S + 1, &res);
	assert_non_null(r);
	for (i = 0; i + 2 < x->n_env; i++)
		assert_int_equal(ferry_mig_recv_feed(r, x->env[i].buf, x->env[i].len,
						     NOW_S + 2), 0);
	assert_true(dpt_flow_count(&x->dst) > N_DST_OWN);
	ferry_mig_recv_free(r);		/* ABORT, or the link to the SOM lost */
	take_snap(&x->dst, &after);
	assert_same(&before, &after);
	assert_false(x->dst_ops.import_open);
	/* and the same for a failure part way: a chunk skipped */
	r = ferry_mig_recv_new(&x->dest, x->order_env, x->order_len, NOW_S + 1, &res);
	assert_non_null(r);
	for (i = 0; i + 2 < x->n_env; i++)
		assert_int_equal(ferry_mig_recv_feed(r, x->env[i].buf, x->env[i].len,
						     NOW_S + 2), 0);
	assert_true(ferry_mig_recv_feed(r, x->env[i + 1].buf, x->env[i + 1].len,
					NOW_S + 2) < 0);
	take_snap(&x->dst, &after);
	assert_same(&before, &after);
	ferry_mig_recv_free(r);
}

/* VIP:80 forwarded (DNAT) to VM1's 198.18.1.1:8080 on host d. */
static void fwd_to_vm1(struct dpt *d)
{
	struct ferry_nat_fwd_key k = { .family = FERRY_AF_INET, .proto = IPPROTO_TCP,
				       .port = htons(80) };
	struct ferry_nat_fwd v = { .nbackends = 1 };

	pkt_parse_addr("198.18.9.200", k.addr);
	pkt_parse_addr("198.18.1.1", v.be[0].addr);
	v.be[0].port = htons(8080);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(d->skel->maps.ferry_nat_fwds),
					     &k, &v, 0), 0);
}

/*
 * A client's flow to a forward whose backend is VM1 is VM1's: it moves
 * with VM1's, its binding accepted where the same forward exists.
 */
static void test_dnat_flow_moves(void **state)
{
	struct fix *x = *state;
	struct ferry_import_nat nat = {
		.pools_fd = bpf_map__fd(x->dst.skel->maps.ferry_nat_pools),
		.fwds_fd = bpf_map__fd(x->dst.skel->maps.ferry_nat_fwds),
	};
	struct pkt_spec c = tcp_spec("198.18.7.7", "198.18.9.200", 3000);
	struct ferry_mig_result res;

	fwd_to_vm1(&x->src);
	fwd_to_vm1(&x->dst);
	x->dest.nat = &nat;
	c.tcp_flags = PKT_TCP_SYN;
	c.seq = 1000;
	assert_pass(&x->src, &c, FERRY_PASS_NEW);
	assert_int_equal(run_source(x, &x->order, &src_id, &res), 0);
	assert_int_equal(res.flows, N_VM1 + 1);
	assert_int_equal(deliver(x, NULL, 0, NOW_S + 2), 1);
	print_message("result: %s\n", x->res.msg);
	assert_int_equal(x->res.count[FERRY_IMPORT_ACCEPTED], N_VM1 + 1);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_VM1 + 1);
}

/*
 * The table's import marker names the process installing: while it runs,
 * an import of another process (here: other state operations over the
 * same maps) is refused; once it is gone, what it left is removed by the
 * next import.
 */
static void test_import_owner(void **state)
{
	struct fix *x = *state;
	struct ferry_import_opts io = { .rules = &allow_all, .nrules = 1 };
	struct ferry_import_state st;
	struct ferry_stateops other;
	struct ferry_import_tx tx, tx2;
	struct ferry_flow_key k;
	struct snap before, after;
	struct ferry_flow f;
	struct pkt_spec s;
	char err[160], want[64];
	__u8 verdict;
	__u32 zero = 0;
	pid_t gone;

	assert_int_equal(ferry_stateops_open_obj(&other, x->dst.skel->obj, 0), 0);
	take_snap(&x->dst, &before);
	/* one flow of VM1 inserted, invisibly, by an import left open */
	vm1_flow(0, &s);
	assert_int_equal(dpt_flow(&x->src, 0, &s, &f, NULL), 0);
	dpt_flow_key(0, &s, &k, NULL);
	f.expires_ns = ferry_now_ns() + 60ull * 1000000000ull;
	assert_int_equal(ferry_import_begin(&tx, &x->dst_ops, &io, err, sizeof(err)), 0);
	assert_int_equal(ferry_import_add(&tx, &k, &f, 1, &verdict, err, sizeof(err)), 0);
	assert_int_equal(verdict, FERRY_IMPORT_ACCEPTED);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + 1);

	assert_int_equal(ferry_import_begin(&tx2, &other, &io, err, sizeof(err)), -EBUSY);
	snprintf(want, sizeof(want), "process %d is installing", (int)getpid());
	print_message("refused: %s\n", err);
	assert_non_null(strstr(err, want));

	/* its process died: the marker names one that is gone */
	gone = fork();
	assert_true(gone >= 0);
	if (!gone)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	assert_int_equal(bpf_map_lookup_elem(x->dst_ops.m.import, &zero, &st), 0);
	st.owner = (__u32)gone;
	assert_int_equal(bpf_map_update_elem(x->dst_ops.m.import, &zero, &st, 0), 0);
	free(tx.inserted);
	x->dst_ops.import_open = false;
	assert_int_equal(ferry_import_begin(&tx2, &other, &io, err, sizeof(err)), 0);
	assert_int_equal(ferry_import_commit(&tx2, err, sizeof(err)), 0);
	take_snap(&x->dst, &after);
	assert_same(&before, &after);
	ferry_stateops_close(&other);
}

static void test_dropped_chunk(void **state)
{
	struct fix *x = *state;
	int idx[MAX_ENV];
	unsigned int i, n = 0;

	source_ok(x);
	for (i = 0; i < x->n_env; i++)
		if (i != 1)
			idx[n++] = i;
	expect_failure(x, idx, n, FERRY_MIG_CHUNK_MISSING);
	/* final only at the commit: chunk 1 might have come late */
	assert_int_equal(x->settled_at, n - 1);
	/* the last chunk dropped: the commit tells */
	for (i = 0, n = 0; i < x->n_env; i++)
		if (i != x->n_env - 2)
			idx[n++] = i;
	expect_failure(x, idx, n, FERRY_MIG_CHUNK_MISSING);
	assert_int_equal(x->settled_at, n - 1);
	/* no commit at all: nothing happens (the caller's deadline aborts) */
	for (i = 0; i < x->n_env - 1; i++)
		idx[i] = i;
	assert_int_equal(deliver(x, idx, x->n_env - 1, NOW_S + 2), 0);
	assert_int_equal(x->settled_at, -1);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN);
}

static void test_duplicated_chunk(void **state)
{
	struct fix *x = *state;
	int idx[MAX_ENV];
	unsigned int i, n = 0;

	source_ok(x);
	for (i = 0; i < x->n_env; i++) {
		idx[n++] = i;
		if (i == 2)
			idx[n++] = i;
	}
	expect_failure(x, idx, n, FERRY_MIG_CHUNK_DUPLICATE);
	assert_int_equal(x->settled_at, 3);	/* at once: the second chunk 2 */
}

static void test_reordered_chunks(void **state)
{
	struct fix *x = *state;
	int idx[MAX_ENV];
	unsigned int i;

	source_ok(x);
	for (i = 0; i < x->n_env; i++)
		idx[i] = i;
	idx[1] = 2;
	idx[2] = 1;
	expect_failure(x, idx, x->n_env, FERRY_MIG_CHUNK_OUT_OF_ORDER);
	/* chunk-missing at chunk 2, final when chunk 1 turns up */
	assert_int_equal(x->settled_at, 2);
}

static void test_altered_chunk(void **state)
{
	struct fix *x = *state;
	struct env *e;

	source_ok(x);
	e = &x->env[1];
	e->buf[e->len / 2] ^= 0x01;	/* a byte of the bundle data */
	expect_failure(x, NULL, 0, FERRY_MIG_BAD_SIGNATURE);
}

/* Chunk 1 re-signed by another host: as itself, then claiming the source. */
static void test_wrong_signer(void **state)
{
	struct fix *x = *state;
	struct ferry_envelope e;
	char err[FERRY_ENVELOPE_ERR_MAX];
	__u8 buf[CHUNK + 256];
	size_t len;

	source_ok(x);
	assert_int_equal(ferry_envelope_open(x->env[1].buf, x->env[1].len, src_id.pk, &e,
					     err, sizeof(err)), 0);
	e.origin = 13;
	assert_int_equal(ferry_envelope_seal(&e, &other_id, buf, sizeof(buf), &len), 0);
	memcpy(x->env[1].buf, buf, len);
	x->env[1].len = len;
	expect_failure(x, NULL, 0, FERRY_MIG_BAD_SIGNATURE);
	e.origin = SRC_HOST;
	assert_int_equal(ferry_envelope_seal(&e, &other_id, buf, sizeof(buf), &len), 0);
	memcpy(x->env[1].buf, buf, len);
	x->env[1].len = len;
	expect_failure(x, NULL, 0, FERRY_MIG_BAD_SIGNATURE);
	print_message("%s\n", x->res.msg);
}

static void test_wrong_destination(void **state)
{
	struct fix *x = *state;

	x->order.dst_host = DST_HOST + 1;
	seal_order(x);
	source_ok(x);
	expect_failure(x, NULL, 0, FERRY_MIG_WRONG_DESTINATION);
}

static void test_order_signed_by_other(void **state)
{
	struct fix *x = *state;

	assert_int_equal(ferry_mig_order_seal(&x->order, &other_id, NOW_S * 1000,
					      x->order_env, sizeof(x->order_env),
					      &x->order_len), 0);
	source_ok(x);
	expect_failure(x, NULL, 0, FERRY_MIG_BAD_SIGNATURE);
}

static void test_expired_order(void **state)
{
	struct fix *x = *state;
	struct snap before, after;
	struct ferry_mig_result res;
	int ret;

	source_ok(x);
	take_snap(&x->dst, &before);
	/* expired before it reached the destination */
	assert_null(ferry_mig_recv_new(&x->dest, x->order_env, x->order_len,
				       x->order.expires_s, &x->res));
	assert_string_equal(ferry_mig_reason_name(x->res.reason), "expired");
	/* expired at the commit */
	ret = deliver(x, NULL, 0, x->order.expires_s);
	assert_true(ret < 0);
	assert_string_equal(ferry_mig_reason_name(x->res.reason), "expired");
	take_snap(&x->dst, &after);
	assert_same(&before, &after);
	/* and the source refuses to start on an expired order */
	x->order.expires_s = NOW_S + 1;
	assert_int_equal(run_source(x, &x->order, &src_id, &res), -ETIME);
	assert_int_equal(res.reason, FERRY_MIG_EXPIRED);
	assert_int_equal(x->n_env, 0);
}

static void test_replayed_order(void **state)
{
	struct fix *x = *state;
	struct snap before, after;
	struct pkt_spec s;

	source_ok(x);
	assert_int_equal(deliver(x, NULL, 0, NOW_S + 2), 1);
	/* VM1's first flow closes at the destination and is gone. */
	vm1_flow(0, &s);
	assert_int_equal(dpt_flow_delete(&x->dst, 0, &s), 0);
	take_snap(&x->dst, &before);
	/* The whole migration replayed: already done, nothing resurrected. */
	assert_true(deliver(x, NULL, 0, NOW_S + 3) < 0);
	assert_string_equal(ferry_mig_reason_name(x->res.reason), "already-done");
	take_snap(&x->dst, &after);
	assert_same(&before, &after);
	assert_int_equal(dpt_flow(&x->dst, 0, &s, NULL, NULL), -ENOENT);
}

/* A source that puts a VM2 flow in VM1's migration. */
static void test_foreign_flow(void **state)
{
	struct fix *x = *state;
	struct ferry_mig_order wide = x->order;
	struct ferry_mig_result res;

	wide.vm.n_addrs = 3;
	wide.vm.family[2] = FERRY_AF_INET;
	memcpy(wide.vm.addr[2], "\xc6\x12\x02\x01", 4);
	assert_int_equal(run_source(x, &wide, &src_id, &res), 0);
	assert_int_equal(res.flows, N_VM1 + N_VM2);
	expect_failure(x, NULL, 0, FERRY_MIG_FOREIGN_FLOW);
	assert_non_null(strstr(x->res.msg, "198.18.2.1"));
}

static void test_table_full(void **state)
{
	struct fix *x = *state;

	source_ok(x);
	expect_failure(x, NULL, 0, FERRY_MIG_TABLE_FULL);
	assert_int_equal(x->res.count[FERRY_IMPORT_ACCEPTED], N_VM1);
}

static void test_table_too_small(void **state)
{
	struct fix *x = *state;

	source_ok(x);
	expect_failure(x, NULL, 0, FERRY_MIG_TABLE_FULL);
	assert_non_null(strstr(x->res.msg, "never fit"));
}

static void test_rules_deny(void **state)
{
	struct fix *x = *state;
	struct ferry_rule r;
	struct pkt_spec s;
	unsigned int i;

	/* the destination allows TCP only */
	dpt_rule_init(&r, 1, FERRY_ACT_ALLOW);
	r.proto = IPPROTO_TCP;
	assert_int_equal(dpt_set_rules(&x->dst, &r, 1), 0);
	source_ok(x);
	assert_int_equal(deliver(x, NULL, 0, NOW_S + 2), 1);
	print_message("result: %s\n", x->res.msg);
	assert_int_equal(x->res.count[FERRY_IMPORT_ACCEPTED], N_TCP4 + N_TCP6);
	assert_int_equal(x->res.count[FERRY_IMPORT_DENIED], N_UDP);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_TCP4 + N_TCP6);
	for (i = N_TCP4 + N_TCP6; i < N_VM1; i++) {
		vm1_flow(i, &s);
		assert_int_equal(dpt_flow(&x->dst, 0, &s, NULL, NULL), -ENOENT);
	}
}

static void test_limits(void **state)
{
	struct fix *x = *state;
	struct ferry_mig_order wide = x->order;
	struct ferry_mig_result res;

	/* the source refuses more flows than the order allows, sends nothing */
	wide.max_flows = N_VM1 - 1;
	assert_int_equal(run_source(x, &wide, &src_id, &res), -E2BIG);
	assert_int_equal(res.reason, FERRY_MIG_TOO_LARGE);
	assert_int_equal(x->n_env, 0);
	/* a source ignoring the byte limit: the destination stops it */
	x->order.max_bytes = CHUNK * 2;
	seal_order(x);
	wide = x->order;
	wide.max_bytes = 1 << 20;
	assert_int_equal(run_source(x, &wide, &src_id, &res), 0);
	expect_failure(x, NULL, 0, FERRY_MIG_TOO_LARGE);
	/* and one ignoring the flow limit */
	x->order.max_bytes = 1 << 20;
	x->order.max_flows = N_VM1 - 1;
	seal_order(x);
	wide = x->order;
	wide.max_flows = 1000;
	assert_int_equal(run_source(x, &wide, &src_id, &res), 0);
	expect_failure(x, NULL, 0, FERRY_MIG_TOO_LARGE);
}

static void test_not_for_this_source(void **state)
{
	struct fix *x = *state;
	struct ferry_mig_result res;

	assert_int_equal(run_source(x, &x->order, &other_id, &res), -EACCES);
	assert_int_equal(res.reason, FERRY_MIG_WRONG_SOURCE);
	assert_int_equal(x->n_env, 0);
}

/* Chunks of another migration by the same source: refused. */
static void test_other_migration(void **state)
{
	struct fix *x = *state;
	struct ferry_mig_order other = x->order;
	struct ferry_mig_result res;

	ferry_mig_id_random(other.id);
	assert_int_equal(run_source(x, &other, &src_id, &res), 0);
	expect_failure(x, NULL, 0, FERRY_MIG_WRONG_MIGRATION);
	/* the same first 8 bytes, another id: the body tells */
	memcpy(other.id, x->order.id, 8);
	assert_int_equal(run_source(x, &other, &src_id, &res), 0);
	expect_failure(x, NULL, 0, FERRY_MIG_WRONG_MIGRATION);
}

/* Properly signed by the source, but a body that does not decode. */
static void test_malformed_body(void **state)
{
	struct fix *x = *state;
	struct ferry_envelope e;
	char err[FERRY_ENVELOPE_ERR_MAX];
	__u8 buf[CHUNK + 256], junk[8] = "garbage";
	size_t len;

	source_ok(x);
	assert_int_equal(ferry_envelope_open(x->env[1].buf, x->env[1].len, src_id.pk, &e,
					     err, sizeof(err)), 0);
	e.body = junk;
	e.body_len = sizeof(junk);
	assert_int_equal(ferry_envelope_seal(&e, &src_id, buf, sizeof(buf), &len), 0);
	memcpy(x->env[1].buf, buf, len);
	x->env[1].len = len;
	expect_failure(x, NULL, 0, FERRY_MIG_MALFORMED);
}

/* Anything after the commit is refused; the installed flows stay. */
static void test_after_commit(void **state)
{
	struct fix *x = *state;
	struct ferry_mig_recv *r;
	unsigned int i;

	source_ok(x);
	r = ferry_mig_recv_new(&x->dest, x->order_env, x->order_len, NOW_S + 1, &x->res);
	assert_non_null(r);
	for (i = 0; i < x->n_env; i++)
		assert_int_equal(ferry_mig_recv_feed(r, x->env[i].buf, x->env[i].len,
						     NOW_S + 2), i + 1 == x->n_env);
	assert_true(ferry_mig_recv_feed(r, x->env[0].buf, x->env[0].len, NOW_S + 2) < 0);
	assert_string_equal(ferry_mig_reason_name(ferry_mig_recv_result(r)->reason),
			    "protocol");
	ferry_mig_recv_free(r);
	assert_int_equal(dpt_flow_count(&x->dst), N_DST_OWN + N_VM1);
}

/* Every byte of a chunk and of the commit altered in turn: always refused,
 * never a change to the table. */
static void test_every_byte(void **state)
{
	struct fix *x = *state;
	struct snap before, after;
	unsigned int which[2], w;
	size_t i;

	source_ok(x);
	which[0] = 1;
	which[1] = x->n_env - 1;
	take_snap(&x->dst, &before);
	for (w = 0; w < 2; w++) {
		struct env *e = &x->env[which[w]];

		for (i = 0; i < e->len; i++) {
			e->buf[i] ^= 0x20;
			if (deliver(x, NULL, 0, NOW_S + 2) >= 0)
				fail_msg("envelope %u byte %zu altered: accepted", which[w], i);
			e->buf[i] ^= 0x20;
		}
	}
	take_snap(&x->dst, &after);
	assert_same(&before, &after);
	assert_int_equal(deliver(x, NULL, 0, NOW_S + 2), 1);
}

static int global_setup(void **state)
{
	__u8 seed[32];

	memset(seed, 0x51, sizeof(seed));
	if (ferry_identity_from_seed(&som, seed))
		return -1;
	memset(seed, 0x52, sizeof(seed));
	if (ferry_identity_from_seed(&src_id, seed))
		return -1;
	memset(seed, 0x53, sizeof(seed));
	return ferry_identity_from_seed(&other_id, seed);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exactly_vm1),
		T(test_several_bundles),
		T(test_two_at_once),
		T(test_waits_for_another_import),
		T(test_abandoned_part_way),
		T(test_dnat_flow_moves),
		T(test_import_owner),
		T(test_dropped_chunk),
		T(test_duplicated_chunk),
		T(test_reordered_chunks),
		T(test_altered_chunk),
		T(test_wrong_signer),
		T(test_wrong_destination),
		T(test_order_signed_by_other),
		T(test_expired_order),
		T(test_replayed_order),
		T(test_foreign_flow),
		cmocka_unit_test_setup_teardown(test_table_full, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_table_too_small, setup_tiny, teardown),
		T(test_rules_deny),
		T(test_limits),
		T(test_not_for_this_source),
		T(test_other_migration),
		T(test_malformed_body),
		T(test_after_commit),
		T(test_every_byte),
	};

	return cmocka_run_group_tests(tests, global_setup, NULL);
}
