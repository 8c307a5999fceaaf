// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "ctiter.h"
#include "log.h"

#define CT_BATCH	4096

__u64 ferry_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int ferry_ct_foreach(int ct_fd, ferry_ct_cb cb, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_F_LOCK);
	struct ferry_flow_key *keys;
	struct ferry_flow *vals;
	__u32 batch, count, i;
	void *in = NULL;
	int err = 0, ret;

	keys = calloc(CT_BATCH, sizeof(*keys));
	vals = calloc(CT_BATCH, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out_free;
	}
	for (;;) {
		count = CT_BATCH;
		ret = bpf_map_lookup_batch(ct_fd, in, &batch, keys, vals, &count,
					   &opts);
		if (ret && errno != ENOENT) {
			err = -errno;
			pr_warn("reading the connection table: %s\n", strerror(-err));
			break;
		}
		for (i = 0; i < count; i++) {
			err = cb(&keys[i], &vals[i], ctx);
			if (err)
				goto out_free;
		}
		if (ret)	/* ENOENT: that was the last batch */
			break;
		in = &batch;
	}
out_free:
	free(keys);
	free(vals);
	return err;
}

/*
 * Delete k if it is still the expired flow f that the walk saw. The
 * datapath treats an expired entry as absent and may have put a new flow
 * under the same key since: re-read it, and leave it if it was renewed
 * (expiry moved) or replaced (another creation time). What remains is the
 * moment between that read and the delete, a few microseconds.
 */
static int sweep_one(int ct_fd, const struct ferry_flow_key *k,
		     const struct ferry_flow *f, __u64 now, struct ferry_sweep *st)
{
	struct ferry_flow cur;

	if (bpf_map_lookup_elem_flags(ct_fd, k, &cur, BPF_F_LOCK))
		return errno == ENOENT ? 0 : -errno;
	if (cur.created_ns != f->created_ns || cur.expires_ns >= now) {
		st->spared++;
		return 0;
	}
	if (bpf_map_delete_elem(ct_fd, k))
		return errno == ENOENT ? 0 : -errno;
	st->removed++;
	return st->on_delete ? st->on_delete(k, &cur, st->ctx) : 0;
}

static int sweep_cb(const struct ferry_flow_key *k, const struct ferry_flow *f,
		    void *ctx)
{
	struct ferry_sweep *st = ctx;

	st->visited++;
	if (f->expires_ns >= st->now_ns)
		return 0;
	return sweep_one(st->ct_fd, k, f, st->now_ns, st);
}

int ferry_ct_sweep(int ct_fd, __u64 now_ns, ferry_ct_cb on_delete, void *ctx,
		   struct ferry_sweep *st)
{
	memset(st, 0, sizeof(*st));
	st->ct_fd = ct_fd;
	st->now_ns = now_ns;
	st->on_delete = on_delete;
	st->ctx = ctx;
	return ferry_ct_foreach(ct_fd, sweep_cb, st);
}
