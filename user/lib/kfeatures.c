// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kfeatures.h"

enum probe_kind {
	PROBE_PROG,
	PROBE_MAP,
	PROBE_HELPER,
	PROBE_SPIN_LOCK_HASH,
};

struct probe {
	struct ferry_kfeature f;
	enum probe_kind kind;
	enum bpf_prog_type prog;	/* PROBE_PROG, PROBE_HELPER */
	int id;				/* map type or helper id */
};

static const struct probe probes[] = {
	{ { "prog_type_xdp", "4.8", 0 }, PROBE_PROG, BPF_PROG_TYPE_XDP, 0 },
	{ { "prog_type_sched_cls", "4.1", 0 }, PROBE_PROG, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ { "map_hash", "3.19", 0 }, PROBE_MAP, 0, BPF_MAP_TYPE_HASH },
	{ { "map_percpu_array", "4.6", 0 }, PROBE_MAP, 0, BPF_MAP_TYPE_PERCPU_ARRAY },
	{ { "map_array_of_maps", "4.12", 0 }, PROBE_MAP, 0, BPF_MAP_TYPE_ARRAY_OF_MAPS },
	{ { "map_ringbuf", "5.8", 0 }, PROBE_MAP, 0, BPF_MAP_TYPE_RINGBUF },
	{ { "spin_lock_in_hash_value", "5.1", 0 }, PROBE_SPIN_LOCK_HASH, 0, 0 },
	{ { "helper_spin_lock(sched_cls)", "5.1", 0 }, PROBE_HELPER,
	  BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_spin_lock },
	{ { "helper_ringbuf_reserve(xdp)", "5.8", 0 }, PROBE_HELPER,
	  BPF_PROG_TYPE_XDP, BPF_FUNC_ringbuf_reserve },
	{ { "helper_ktime_get_coarse_ns(xdp)", "5.11", 0 }, PROBE_HELPER,
	  BPF_PROG_TYPE_XDP, BPF_FUNC_ktime_get_coarse_ns },
	{ { "helper_ktime_get_coarse_ns(sched_cls)", "5.11", 0 }, PROBE_HELPER,
	  BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_ktime_get_coarse_ns },
	{ { "helper_loop(xdp)", "5.17", 0 }, PROBE_HELPER,
	  BPF_PROG_TYPE_XDP, BPF_FUNC_loop },
	{ { "helper_loop(sched_cls)", "5.17", 0 }, PROBE_HELPER,
	  BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_loop },
	{ { "helper_skb_pull_data(sched_cls)", "4.9", 0 }, PROBE_HELPER,
	  BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_skb_pull_data },
	{ { "helper_fib_lookup(xdp)", "4.18", 1 }, PROBE_HELPER,
	  BPF_PROG_TYPE_XDP, BPF_FUNC_fib_lookup },
	{ { "helper_redirect(xdp)", "4.14", 1 }, PROBE_HELPER,
	  BPF_PROG_TYPE_XDP, BPF_FUNC_redirect },
};

/*
 * A hash map whose value holds a struct bpf_spin_lock, described by BTF
 * made here: the kernel refuses the map if it cannot lock such values.
 */
static int probe_spin_lock_hash(void)
{
	int int_id, lock_id, val_id, map_fd, ret;
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct btf *btf;

	btf = btf__new_empty();
	if (!btf)
		return -errno;
	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	lock_id = btf__add_struct(btf, "bpf_spin_lock", 4);
	btf__add_field(btf, "val", int_id, 0, 0);
	val_id = btf__add_struct(btf, "val", 8);
	btf__add_field(btf, "lock", lock_id, 0, 0);
	btf__add_field(btf, "cnt", int_id, 32, 0);
	ret = btf__load_into_kernel(btf);
	if (ret) {
		ret = 0;	/* no BTF at all: no spin locks either */
		goto free_btf;
	}
	opts.btf_fd = btf__fd(btf);
	opts.btf_key_type_id = int_id;
	opts.btf_value_type_id = val_id;
	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ferry_probe", 4, 8, 1,
				&opts);
	ret = map_fd >= 0;
	if (map_fd >= 0)
		close(map_fd);
free_btf:
	btf__free(btf);
	return ret;
}

static int probe_one(const struct probe *p)
{
	switch (p->kind) {
	case PROBE_PROG:
		return libbpf_probe_bpf_prog_type(p->prog, NULL);
	case PROBE_MAP:
		return libbpf_probe_bpf_map_type(p->id, NULL);
	case PROBE_HELPER:
		return libbpf_probe_bpf_helper(p->prog, p->id, NULL);
	case PROBE_SPIN_LOCK_HASH:
		return probe_spin_lock_hash();
	}
	return -EINVAL;
}

int ferry_kfeatures_probe(ferry_kfeature_cb cb, void *ctx, int *fast_path)
{
	size_t i;
	int missing = 0, ok;

	*fast_path = 1;
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		ok = probe_one(&probes[i]) == 1;
		if (cb)
			cb(&probes[i].f, ok, ctx);
		if (ok)
			continue;
		if (probes[i].f.optional)
			*fast_path = 0;
		else
			missing++;
	}
	return missing;
}
