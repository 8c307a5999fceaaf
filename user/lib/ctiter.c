// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "ctiter.h"
#include "natconfig.h"
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
	struct ferry_flow_key *rkeys;	/* translated keys; zone ~0: none */
	__u32 n, cap;
	int nat;
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
		if (s->nat) {
			p = realloc(s->rkeys, cap * sizeof(*s->rkeys));
			if (!p)
				return -ENOMEM;
			s->rkeys = p;
		}
		s->cap = cap;
	}
	if (s->nat && ferry_nat_xlat_key(k, f, &s->rkeys[s->n]))
		s->rkeys[s->n].zone = FERRY_ZONE_ANY;
	s->keys[s->n++] = *k;
	return 0;
}

/*
 * The reverse entries of the deleted flows: only those that still name
 * their flow, and whose flow was not created anew meanwhile (by the
 * datapath, with the same key and translation).
 */
static void sweep_rev(int ct_fd, int rev_fd, const struct sweep_ctx *s)
{
	struct ferry_flow_key v, again;
	struct ferry_flow f;
	__u32 i;

	for (i = 0; i < s->n; i++) {
		if (s->rkeys[i].zone == FERRY_ZONE_ANY)
			continue;
		if (bpf_map_lookup_elem(rev_fd, &s->rkeys[i], &v) ||
		    memcmp(&v, &s->keys[i], sizeof(v)))
			continue;
		if (!bpf_map_lookup_elem(ct_fd, &s->keys[i], &f) &&
		    !ferry_nat_xlat_key(&s->keys[i], &f, &again) &&
		    !memcmp(&again, &s->rkeys[i], sizeof(again)))
			continue;
		bpf_map_delete_elem(rev_fd, &s->rkeys[i]);
	}
}

int ferry_ct_sweep(int ct_fd, __u64 now_ns, __u32 *removed)
{
	return ferry_ct_sweep_nat(ct_fd, -1, now_ns, removed);
}

int ferry_ct_sweep_nat(int ct_fd, int rev_fd, __u64 now_ns, __u32 *removed)
{
	struct sweep_ctx s = { .now = now_ns, .nat = rev_fd >= 0 };
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
	if (rev_fd >= 0)
		sweep_rev(ct_fd, rev_fd, &s);
out_free:
	free(s.keys);
	free(s.rkeys);
	return err;
}
