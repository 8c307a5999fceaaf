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

struct sweep_ctx {
	struct ferry_stateops *ops;
	__u64 now;
	__u32 staged;
	struct ferry_sweep *st;
};

/* The expired flows staged so far, to the kernel. */
static int sweep_flush(struct sweep_ctx *s)
{
	__u32 i;
	int err;

	if (!s->staged)
		return 0;
	s->ops->ctl->now_ns = s->now;
	err = ferry_st_run(s->ops, FERRY_ST_EXPIRE, s->staged);
	for (i = 0; i < s->staged; i++) {
		if (s->ops->stage[i].result == FERRY_ST_EXPIRED)
			s->st->removed++;
		else if (s->ops->stage[i].result == FERRY_ST_KEPT)
			s->st->spared++;
	}
	s->staged = 0;
	return err;
}

static int sweep_cb(const struct ferry_flow_key *k, const struct ferry_flow *f,
		    void *ctx)
{
	struct sweep_ctx *s = ctx;

	s->st->visited++;
	if (f->expires_ns >= s->now)
		return 0;
	ferry_st_stage_flow(&s->ops->stage[s->staged++], k, f);
	return s->staged == s->ops->stage_max ? sweep_flush(s) : 0;
}

int ferry_ct_sweep(struct ferry_stateops *ops, __u64 now_ns, struct ferry_sweep *st)
{
	struct sweep_ctx s = { .ops = ops, .now = now_ns, .st = st };
	int err;

	memset(st, 0, sizeof(*st));
	err = ferry_ct_foreach(ops->m.ct, sweep_cb, &s);
	return err ?: sweep_flush(&s);
}
