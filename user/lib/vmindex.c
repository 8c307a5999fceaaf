// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "ctiter.h"
#include "datapath.h"
#include "numparse.h"
#include "vmindex.h"

#define KEY_BATCH	8192

int ferry_vm_index_open(struct ferry_vm_index *ix, const char *instance)
{
	ix->index_fd = ferry_dp_map_fd(instance, "ferry_vm_index");
	ix->overflow_fd = ferry_dp_map_fd(instance, "ferry_vm_overflow");
	if (ix->index_fd >= 0 && ix->overflow_fd >= 0)
		return 0;
	ferry_vm_index_close(ix);
	return -ENOENT;
}

void ferry_vm_index_close(struct ferry_vm_index *ix)
{
	if (ix->index_fd >= 0)
		close(ix->index_fd);
	if (ix->overflow_fd >= 0)
		close(ix->overflow_fd);
	ix->index_fd = ix->overflow_fd = -1;
}

void ferry_vm_key_make(struct ferry_vm_key *vk, __u32 zone, __u8 family,
		       const __u8 addr[16])
{
	memset(vk, 0, sizeof(*vk));
	vk->zone = zone;
	vk->family = family;
	memcpy(vk->addr, addr, family == FERRY_AF_INET ? 4 : 16);
}

int ferry_vm_key_parse(const char *spec, struct ferry_vm_key *vk)
{
	const char *colon = strchr(spec, ':');
	__u8 addr[16] = { 0 };
	char zone[16];
	__u32 z;

	if (!colon || (size_t)(colon - spec) >= sizeof(zone))
		return -EINVAL;
	memcpy(zone, spec, colon - spec);
	zone[colon - spec] = '\0';
	if (ferry_parse_u32(zone, FERRY_ZONE_ANY - 1, &z))
		return -EINVAL;
	if (inet_pton(AF_INET, colon + 1, addr) == 1)
		ferry_vm_key_make(vk, z, FERRY_AF_INET, addr);
	else if (inet_pton(AF_INET6, colon + 1, addr) == 1)
		ferry_vm_key_make(vk, z, FERRY_AF_INET6, addr);
	else
		return -EINVAL;
	return 0;
}

/* The set of vk, as an fd, or -ENOENT. */
static int set_fd(const struct ferry_vm_index *ix, const struct ferry_vm_key *vk)
{
	__u32 id;
	int fd;

	if (bpf_map_lookup_elem(ix->index_fd, vk, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

/* BTF of the datapath's flow key for the set, so bpftool prints it. */
static void set_btf(int ct_fd, struct bpf_map_create_opts *opts)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf;
	int key, val;

	if (bpf_obj_get_info_by_fd(ct_fd, &info, &len) || !info.btf_id)
		return;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return;
	key = btf__find_by_name_kind(btf, "ferry_flow_key", BTF_KIND_STRUCT);
	val = btf__find_by_name_kind(btf, "__u32", BTF_KIND_TYPEDEF);
	btf__free(btf);
	if (key <= 0 || val <= 0)
		return;
	opts->btf_fd = bpf_btf_get_fd_by_id(info.btf_id);
	if ((int)opts->btf_fd < 0) {
		opts->btf_fd = 0;
		return;
	}
	opts->btf_key_type_id = key;
	opts->btf_value_type_id = val;
}

static int enable_noting(int config_fd)
{
	struct ferry_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(config_fd, &zero, &cfg))
		return -errno;
	if (cfg.flags & FERRY_CFG_F_VM_INDEX)
		return 0;
	cfg.flags |= FERRY_CFG_F_VM_INDEX;
	return bpf_map_update_elem(config_fd, &zero, &cfg, 0) ? -errno : 0;
}

struct backfill_ctx {
	const struct ferry_vm_key *vk;
	int set_fd;
	__u64 found;
};

/* Is the VM an endpoint of flow (k, f): in its key, or as its DNAT target? */
static int has_end(const struct ferry_flow_key *k, const struct ferry_flow *f,
		   const struct ferry_vm_key *vk)
{
	size_t len = vk->family == FERRY_AF_INET ? 4 : 16;

	return k->zone == vk->zone && k->family == vk->family &&
	       (!memcmp(k->addr_lo, vk->addr, len) ||
		!memcmp(k->addr_hi, vk->addr, len) ||
		((f->nat.kind & FERRY_NAT_DNAT) && !memcmp(f->nat.daddr, vk->addr, len)));
}

static int backfill_one(const struct ferry_flow_key *k, const struct ferry_flow *f,
			void *data)
{
	struct backfill_ctx *b = data;
	__u32 one = 1;

	if (!has_end(k, f, b->vk))
		return 0;
	if (bpf_map_update_elem(b->set_fd, k, &one, BPF_ANY))
		return -errno;
	b->found++;
	return 0;
}

int ferry_vm_index_add(const struct ferry_vm_index *ix, int ct_fd, int config_fd,
		       const struct ferry_vm_key *vk, __u32 max_flows, __u64 *found)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	struct backfill_ctx b = { .vk = vk };
	__u32 id;
	int fd, err;

	if (max_flows > FERRY_VM_FLOWS_MAX)
		return -E2BIG;
	if (!bpf_map_lookup_elem(ix->index_fd, vk, &id))
		return -EEXIST;
	set_btf(ct_fd, &opts);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ferry_vm_flows",
			    sizeof(struct ferry_flow_key), sizeof(__u32),
			    max_flows ?: FERRY_VM_FLOWS_DEFAULT, &opts);
	if (opts.btf_fd)
		close(opts.btf_fd);
	if (fd < 0)
		return -errno;
	/* Linked first, then filled: flows made meanwhile are noted by the
	 * datapath, those from before by the walk. */
	if (bpf_map_update_elem(ix->index_fd, vk, &fd, BPF_NOEXIST)) {
		err = -errno;
		goto out;
	}
	bpf_map_delete_elem(ix->overflow_fd, vk);
	err = enable_noting(config_fd);
	if (!err) {
		b.set_fd = fd;
		err = ferry_ct_foreach(ct_fd, backfill_one, &b);
	}
	if (err)
		bpf_map_delete_elem(ix->index_fd, vk);
	*found = b.found;
out:
	close(fd);
	return err;
}

int ferry_vm_index_del(const struct ferry_vm_index *ix,
		       const struct ferry_vm_key *vk)
{
	if (bpf_map_delete_elem(ix->index_fd, vk))
		return -errno;
	bpf_map_delete_elem(ix->overflow_fd, vk);
	return 0;
}

/* Apply op to the set of each endpoint of k that is registered. */
static int each_end_set(const struct ferry_vm_index *ix,
			const struct ferry_flow_key *k, int add)
{
	const __u8 *ends[2] = { k->addr_lo, k->addr_hi };
	struct ferry_vm_key vk;
	__u32 one = 1;
	int i, fd, err = 0;

	for (i = 0; i < 2 && !err; i++) {
		if (i == 1 && !memcmp(ends[0], ends[1], 16))
			break;
		ferry_vm_key_make(&vk, k->zone, k->family, ends[i]);
		fd = set_fd(ix, &vk);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		if (add)
			err = bpf_map_update_elem(fd, k, &one, BPF_ANY) ? -errno : 0;
		else if (bpf_map_delete_elem(fd, k) && errno != ENOENT)
			err = -errno;
		close(fd);
	}
	return err;
}

int ferry_vm_index_note(const struct ferry_vm_index *ix,
			const struct ferry_flow_key *k)
{
	return each_end_set(ix, k, 1);
}

int ferry_vm_index_forget(const struct ferry_vm_index *ix,
			  const struct ferry_flow_key *k)
{
	return each_end_set(ix, k, 0);
}

/* Every key of the set fd, in batches. */
static int read_keys(int fd, struct ferry_flow_key **keys, __u64 *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct ferry_flow_key *k = NULL;
	__u32 *vals, batch, count;
	__u64 have = 0, cap = 0;
	void *in = NULL, *p;
	int ret, err = 0;

	vals = calloc(KEY_BATCH, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (;;) {
		if (cap - have < KEY_BATCH) {
			cap += cap > KEY_BATCH ? cap : KEY_BATCH;
			p = realloc(k, cap * sizeof(*k));
			if (!p) {
				err = -ENOMEM;
				break;
			}
			k = p;
		}
		count = KEY_BATCH;
		ret = bpf_map_lookup_batch(fd, in, &batch, k + have, vals, &count,
					   &opts);
		if (ret && errno != ENOENT) {
			err = -errno;
			break;
		}
		have += count;
		if (ret)
			break;
		in = &batch;
	}
	free(vals);
	if (err) {
		free(k);
		return err;
	}
	*keys = k;
	*n = have;
	return 0;
}

int ferry_vm_index_keys(const struct ferry_vm_index *ix,
			const struct ferry_vm_key *vk,
			struct ferry_flow_key **keys, __u64 *n)
{
	__u64 missed;
	int fd, err;

	fd = set_fd(ix, vk);
	if (fd < 0)
		return fd;
	if (!bpf_map_lookup_elem(ix->overflow_fd, vk, &missed) && missed) {
		close(fd);
		return -EOVERFLOW;
	}
	err = read_keys(fd, keys, n);
	close(fd);
	return err;
}

static int count_keys(int fd, __u64 *n)
{
	struct ferry_flow_key *keys;
	int err = read_keys(fd, &keys, n);

	if (!err)
		free(keys);
	return err;
}

int ferry_vm_index_foreach(const struct ferry_vm_index *ix, ferry_vm_cb cb,
			   void *ctx)
{
	struct ferry_vm_key vk, next, *prev = NULL;
	__u64 keys, missed;
	int fd, err;

	while (!bpf_map_get_next_key(ix->index_fd, prev, &next)) {
		vk = next;
		prev = &vk;
		fd = set_fd(ix, &vk);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		err = count_keys(fd, &keys);
		close(fd);
		if (err)
			return err;
		if (bpf_map_lookup_elem(ix->overflow_fd, &vk, &missed))
			missed = 0;
		err = cb(&vk, keys, missed, ctx);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}
