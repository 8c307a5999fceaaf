// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Migration payload cost: one VM's flows (1k, 10k, 100k) exported by the
 * source, chunked and signed, verified by the destination and installed,
 * in tables that also hold other VMs' flows (1M by default on each side).
 * In one process, the source's emit callback feeding the destination's
 * receiver directly (pipelined, no network, no session encryption). Prints
 * the total and the time per phase: export (the source's table walk),
 * sign (encode and sign), verify (signatures, hash, decode, VM check),
 * install (rule checks, capacity, insert, commit: ferry_import).
 * Usage: bench_mig [other_flows]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dptest.h"
#include "ferry_fw_test.skel.h"
#include "ctiter.h"
#include "stateops.h"
#include "vmindex.h"
#include "migdest.h"
#include "migsource.h"
#include "numparse.h"
#include "statecodec.h"

#define SRC_HOST	1
#define DST_HOST	2
#define N_SIZES		3

static const __u64 sizes[N_SIZES] = { 1000, 10000, 100000 };

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Flow i of a VM at v4 address 198.18.vm.1 in zone, or of the others. */
static void make_entry(__u32 zone, __u8 vm, __u64 i, __u64 now,
		       struct ferry_flow_key *k, struct ferry_flow *f)
{
	struct ferry_sc_flow r = {};

	r.zone = zone;
	r.family = FERRY_AF_INET;
	r.proto = i % 10 < 8 ? IPPROTO_TCP : IPPROTO_UDP;
	r.src[0] = 198;
	r.src[1] = 18;
	r.src[2] = vm;
	r.src[3] = vm ? 1 : i >> 16;
	r.dst[0] = 198;
	r.dst[1] = 19;
	r.dst[2] = i >> 8;
	r.dst[3] = i;
	r.sport = 1024 + (i >> 16);
	r.dport = 443;
	if (r.proto == IPPROTO_TCP) {
		r.state = FERRY_TCP_ESTABLISHED;
		r.tcp[0] = (struct ferry_sc_tcp){ 0x10000000u + i, 0x20000000u, 64240,
						  0x30000000u, 7, 7 };
		r.tcp[1] = (struct ferry_sc_tcp){ 0x30000000u, 0x10001000u + i, 65535,
						  0x10000000u + i, 7, 7 };
	} else {
		r.state = FERRY_UDP_REPLIED;
	}
	r.flags = FERRY_FLOW_F_SEEN_REPLY | FERRY_FLOW_F_ASSURED;
	r.remaining_ms = 3600000;
	r.age_ms = 60000;
	r.idle_ms = 100;
	r.packets[0] = r.packets[1] = 10;
	r.bytes[0] = r.bytes[1] = 7000;
	r.rule_id = 1;
	ferry_sc_flow_to_entry(&r, now, k, f);
}

/* Insert n flows of (zone, vm) with batch updates. */
static int fill(int fd, __u32 zone, __u8 vm, __u64 n, __u64 now)
{
	enum { BATCH = 4096 };
	static struct ferry_flow_key k[BATCH];
	static struct ferry_flow f[BATCH];
	__u64 i = 0;

	while (i < n) {
		__u32 m = 0, cnt;

		while (m < BATCH && i < n)
			make_entry(zone, vm, i++, now, &k[m], &f[m]), m++;
		cnt = m;
		if (bpf_map_update_batch(fd, k, f, &cnt, NULL)) {
			fprintf(stderr, "bench_mig: filling the table: %s\n",
				strerror(errno));
			return -errno;
		}
	}
	return 0;
}

struct pipe_ctx {
	struct ferry_mig_recv *r;
	int last;
};

/* The source's envelopes go straight to the destination. */
static int to_dest(void *ctx, __u32 type, __u64 seq, const __u8 *env, size_t len)
{
	struct pipe_ctx *p = ctx;

	p->last = ferry_mig_recv_feed(p->r, env, len, (__u64)time(NULL));
	return p->last < 0 ? p->last : 0;
}

static struct ferry_identity som, src_id;

static struct ferry_stateops src_ops, dst_ops;

/* VM vm's address in both hosts' per-VM index, as their agents' [vm]
 * sections do; the source's set filled from its table. */
static int register_vm(struct dpt *src, struct dpt *dst, __u8 vm, __u64 n)
{
	__u8 addr[16] = { 198, 18, vm, 1 };
	struct ferry_vm_index six = { src_ops.m.vm_index, src_ops.m.vm_overflow };
	struct ferry_vm_index dix = { dst_ops.m.vm_index, dst_ops.m.vm_overflow };
	struct ferry_vm_key vk;
	__u64 found;

	ferry_vm_key_make(&vk, 1, FERRY_AF_INET, addr);
	if (ferry_vm_index_add(&six, src_ops.m.ct, src_ops.m.config, &vk, 2 * n,
			       &found) ||
	    ferry_vm_index_add(&dix, dst_ops.m.ct, dst_ops.m.config, &vk, 2 * n,
			       &found)) {
		fprintf(stderr, "bench_mig: registering VM %u: %s\n", vm,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int migrate(struct dpt *src, struct dpt *dst, struct ferry_mig_done *done,
		   __u8 vm, __u64 n)
{
	struct ferry_mig_order o = { 0 };
	struct ferry_mig_dest dest = {
		.som_pk = som.pk, .host_id = DST_HOST, .done = done,
		.ops = &dst_ops, .rulesets_fd = dst->rulesets_fd,
	};
	struct ferry_mig_source s = {
		.order = &o, .id = &src_id, .host_id = SRC_HOST, .ops = &src_ops,
		.emit = to_dest,
	};
	struct ferry_mig_result sres;
	const struct ferry_mig_result *dres;
	__u8 env[FERRY_MIG_ORDER_MAX];
	struct pipe_ctx p = { 0 };
	__u64 now = time(NULL), t0, total, index_ns;
	size_t len;
	int ret;

	ferry_mig_id_random(o.id);
	o.vm.zone = 1;
	o.vm.n_addrs = 1;
	o.vm.family[0] = FERRY_AF_INET;
	o.vm.addr[0][0] = 198;
	o.vm.addr[0][1] = 18;
	o.vm.addr[0][2] = vm;
	o.vm.addr[0][3] = 1;
	o.src_host = SRC_HOST;
	memcpy(o.src_pk, src_id.pk, 32);
	o.dst_host = DST_HOST;
	o.issued_s = now;
	o.expires_s = now + 60;
	o.max_flows = n;
	o.max_bytes = FERRY_MIG_MAX_BYTES;
	if (ferry_mig_order_seal(&o, &som, now * 1000, env, sizeof(env), &len))
		return -EINVAL;
	s.ctx = &p;
	t0 = mono_ns();
	p.r = ferry_mig_recv_new(&dest, env, len, now, &sres);
	if (!p.r) {
		fprintf(stderr, "bench_mig: order refused: %s\n", sres.msg);
		return -EINVAL;
	}
	ret = ferry_mig_source_run(&s, &sres);
	total = mono_ns() - t0;
	t0 = mono_ns();
	if (!ret && p.last == 1 && ferry_mig_recv_index(p.r))
		ret = -EIO;
	index_ns = mono_ns() - t0;
	dres = ferry_mig_recv_result(p.r);
	if (ret || p.last != 1 || dres->count[FERRY_IMPORT_ACCEPTED] != n) {
		fprintf(stderr, "bench_mig: %llu flows: source %s (%s), destination %s (%s)\n",
			(unsigned long long)n, ferry_mig_reason_name(sres.reason), sres.msg,
			ferry_mig_reason_name(dres->reason), dres->msg);
		ferry_mig_recv_free(p.r);
		return -EIO;
	}
	printf("bench: mig_payload_vm_%lluk_ms %.2f ms\n", (unsigned long long)n / 1000,
	       total / 1e6);
	printf("bench: mig_payload_vm_%lluk_export_ms %.2f ms\n",
	       (unsigned long long)n / 1000, sres.export_ns / 1e6);
	printf("bench: mig_payload_vm_%lluk_sign_ms %.2f ms\n",
	       (unsigned long long)n / 1000, sres.sign_ns / 1e6);
	printf("bench: mig_payload_vm_%lluk_verify_ms %.2f ms\n",
	       (unsigned long long)n / 1000, dres->verify_ns / 1e6);
	printf("bench: mig_payload_vm_%lluk_install_ms %.2f ms\n",
	       (unsigned long long)n / 1000, dres->install_ns / 1e6);
	printf("bench: mig_payload_vm_%lluk_index_after_ms %.2f ms\n",
	       (unsigned long long)n / 1000, index_ns / 1e6);
	printf("bench: mig_payload_vm_%lluk_bytes %llu bytes\n",
	       (unsigned long long)n / 1000, (unsigned long long)sres.bytes);
	ferry_mig_recv_free(p.r);
	return 0;
}

int main(int argc, char **argv)
{
	__u64 others = 1000000, room, now;
	struct ferry_mig_done *done;
	struct dpt src, dst;
	__u8 seed[32];
	int i, ret = 1;

	if (argc > 1 && ferry_parse_u64(argv[1], 16000000, &others)) {
		fprintf(stderr, "usage: bench_mig [other_flows (0..16000000)]\n");
		return 2;
	}
	memset(seed, 0x61, sizeof(seed));
	ferry_identity_from_seed(&som, seed);
	memset(seed, 0x62, sizeof(seed));
	ferry_identity_from_seed(&src_id, seed);
	room = others + 111000 + 1024;
	if (dpt_open(&src, room) || dpt_open(&dst, room) || dpt_allow_all(&dst)) {
		fprintf(stderr, "bench_mig: cannot load the datapath (root?)\n");
		return 1;
	}
	done = ferry_mig_done_new(0);
	now = ferry_now_ns();
	if (fill(bpf_map__fd(src.skel->maps.ferry_ct), 2, 0, others, now) ||
	    fill(bpf_map__fd(dst.skel->maps.ferry_ct), 2, 0, others, now))
		goto out;
	for (i = 0; i < N_SIZES; i++)
		if (fill(bpf_map__fd(src.skel->maps.ferry_ct), 1, 100 + i, sizes[i], now))
			goto out;
	/* the agent's stage */
	if (ferry_stateops_open_obj(&src_ops, src.skel->obj, FERRY_ST_STAGE_MAX) ||
	    ferry_stateops_open_obj(&dst_ops, dst.skel->obj, FERRY_ST_STAGE_MAX))
		goto out;
	for (i = 0; i < N_SIZES; i++)
		if (register_vm(&src, &dst, 100 + i, sizes[i]))
			goto out;
	printf("bench: mig_payload_other_flows %llu flows\n", (unsigned long long)others);
	for (i = 0; i < N_SIZES; i++)
		if (migrate(&src, &dst, done, 100 + i, sizes[i]))
			goto out;
	ret = 0;
out:
	ferry_mig_done_free(done);
	ferry_stateops_close(&src_ops);
	ferry_stateops_close(&dst_ops);
	dpt_close(&src);
	dpt_close(&dst);
	return ret;
}
