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
	__u64 now;
	struct ferry_flow_key *keys;
	__u32 n, cap;
};

static int collect_expired(const struct ferry_flow_key *k,
			   const struct ferry_flow *f, void *data)
{
	struct sweep_ctx *s = data;

	if (f->expires_ns >= s->now)
		return 0;
	if (s->n == s->cap) {
		__u32 cap = s->cap ? s->cap * 2 : 1024;
		void *p = realloc(s->keys, cap * sizeof(*s->keys));

		if (!p)
			return -ENOMEM;
		s->keys = p;
		s->cap = cap;
	}
	s->keys[s->n++] = *k;
	return 0;
}

int ferry_ct_sweep(int ct_fd, __u64 now_ns, __u32 *removed)
{
	struct sweep_ctx s = { .now = now_ns };
	__u32 done = 0, count, i;
	int err;

	*removed = 0;
	err = ferry_ct_foreach(ct_fd, collect_expired, &s);
	if (err)
		goto out_free;
	/* One by one: a key may vanish meanwhile (datapath replaced it). */
	for (i = 0; i < s.n; i += count) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);

		count = s.n - i < CT_BATCH ? s.n - i : CT_BATCH;
		if (!bpf_map_delete_batch(ct_fd, &s.keys[i], &count, &opts)) {
			done += count;
			continue;
		}
		done += count;	/* deleted before the failing key */
		if (errno != ENOENT) {
			err = -errno;
			break;
		}
		count++;	/* skip the key that vanished */
	}
	*removed = done;
out_free:
	free(s.keys);
	return err;
}
