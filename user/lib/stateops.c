// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "ferry_state.skel.h"
#include "datapath.h"
#include "log.h"
#include "natconfig.h"
#include "stateops.h"

/* An array's values are laid out at a stride of 8 bytes. */
_Static_assert(sizeof(struct ferry_st_rec) % 8 == 0, "stage stride");
_Static_assert(sizeof(struct ferry_st_ctl) % 8 == 0, "ctl stride");

/* The frame the programs run on: its content is never looked at. */
#define DUMMY_FRAME	64

static int prog_fd(const struct ferry_stateops *ops, enum ferry_st_op op)
{
	struct ferry_state *s = ops->skel;

	switch (op) {
	case FERRY_ST_INSERT:	return bpf_program__fd(s->progs.ferry_st_insert);
	case FERRY_ST_REMOVE:	return bpf_program__fd(s->progs.ferry_st_remove);
	case FERRY_ST_LOOKUP:	return bpf_program__fd(s->progs.ferry_st_lookup);
	case FERRY_ST_NOTE:	return bpf_program__fd(s->progs.ferry_st_note);
	case FERRY_ST_EXPIRE:	return bpf_program__fd(s->progs.ferry_st_expire);
	case FERRY_ST_VM_READ:	return bpf_program__fd(s->progs.ferry_st_vm_read);
	case FERRY_ST_COUNT:
		return ops->kernel_count ? bpf_program__fd(s->progs.ferry_st_count) :
					   bpf_program__fd(s->progs.ferry_st_count_walk);
	case FERRY_ST_COUNT_WALK:
		return bpf_program__fd(s->progs.ferry_st_count_walk);
	default:		return -EINVAL;
	}
}

/* Does the running kernel have kfunc name? */
static bool kernel_has_kfunc(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool has;

	if (!vmlinux)
		return false;
	has = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return has;
}

/* The datapath's maps given, ours created, every other one left out. */
static int bind_maps(struct ferry_state *s, const struct ferry_state_maps *m)
{
	const struct { struct bpf_map *map; int fd; } reuse[] = {
		{ s->maps.ferry_ct, m->ct },
		{ s->maps.ferry_config, m->config },
		{ s->maps.ferry_import, m->import },
		{ s->maps.ferry_nat_rev, m->nat_rev },
		{ s->maps.ferry_vm_index, m->vm_index },
		{ s->maps.ferry_vm_overflow, m->vm_overflow },
	};
	const size_t nreuse = sizeof(reuse) / sizeof(reuse[0]);
	struct bpf_map *map;
	bool ours;
	size_t i;
	int err;

	bpf_object__for_each_map(map, s->obj) {
		bpf_map__set_pin_path(map, NULL);
		ours = map == s->maps.ferry_st_ctl || map == s->maps.ferry_st_stage ||
		       map == s->maps.ferry_work || bpf_map__is_internal(map);
		for (i = 0; i < nreuse && !ours; i++)
			ours = map == reuse[i].map;
		if (!ours)
			bpf_map__set_autocreate(map, false);
	}
	for (i = 0; i < nreuse; i++) {
		err = bpf_map__reuse_fd(reuse[i].map, reuse[i].fd);
		if (err)
			return err;
	}
	return 0;
}

static void *map_mmap(struct bpf_map *map, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(map), 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The table's size, for the room an import checks. */
static int table_size(int ct_fd, __u64 *n)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(ct_fd, &info, &len))
		return -errno;
	*n = info.max_entries;
	return 0;
}

int ferry_stateops_open(struct ferry_stateops *ops, const struct ferry_state_maps *m,
			__u32 stage)
{
	struct ferry_state *s;
	int err;

	memset(ops, 0, sizeof(*ops));
	ops->m = *m;
	ops->stage_max = stage ?: FERRY_ST_STAGE_DEFAULT;
	if (ops->stage_max > FERRY_ST_STAGE_MAX)
		return -EINVAL;
	err = table_size(m->ct, &ops->ct_max);
	if (err) {
		pr_warn("cannot read the connection table's size: %s\n", strerror(-err));
		return err;
	}
	s = ops->skel = ferry_state__open();
	if (!s) {
		err = -errno;
		pr_warn("cannot open the state operations: %s\n", strerror(-err));
		return err;
	}
	ops->kernel_count = kernel_has_kfunc("bpf_map_sum_elem_count");
	bpf_program__set_autoload(s->progs.ferry_st_count, ops->kernel_count);
	s->rodata->ferry_st_stage_max = ops->stage_max;
	err = bpf_map__set_max_entries(s->maps.ferry_st_stage, ops->stage_max) ?:
	      bind_maps(s, m) ?: ferry_state__load(s);
	if (err) {
		pr_warn("cannot load the state operations: %s\n", strerror(-err));
		goto out_destroy;
	}
	ops->ctl = map_mmap(s->maps.ferry_st_ctl, sizeof(*ops->ctl));
	ops->stage = map_mmap(s->maps.ferry_st_stage,
			      ops->stage_max * sizeof(*ops->stage));
	if (!ops->ctl || !ops->stage) {
		err = -errno;
		pr_warn("cannot map the state operations' stage: %s\n", strerror(-err));
		goto out_unmap;
	}
	return 0;
out_unmap:
	if (ops->ctl)
		munmap(ops->ctl, sizeof(*ops->ctl));
out_destroy:
	ferry_state__destroy(s);
	ops->skel = NULL;
	return err;
}

/* The datapath's maps the operations take, by name. */
static const struct {
	const char *name;
	size_t off;
} map_names[] = {
	{ "ferry_ct", offsetof(struct ferry_state_maps, ct) },
	{ "ferry_config", offsetof(struct ferry_state_maps, config) },
	{ "ferry_import", offsetof(struct ferry_state_maps, import) },
	{ "ferry_nat_rev", offsetof(struct ferry_state_maps, nat_rev) },
	{ "ferry_vm_index", offsetof(struct ferry_state_maps, vm_index) },
	{ "ferry_vm_overflow", offsetof(struct ferry_state_maps, vm_overflow) },
};
#define N_MAPS	(sizeof(map_names) / sizeof(map_names[0]))

static int *map_slot(struct ferry_state_maps *m, size_t i)
{
	return (int *)((char *)m + map_names[i].off);
}

static void close_maps(struct ferry_state_maps *m)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++) {
		if (*map_slot(m, i) >= 0)
			close(*map_slot(m, i));
		*map_slot(m, i) = -1;
	}
}

int ferry_stateops_open_obj(struct ferry_stateops *ops, struct bpf_object *obj,
			    __u32 stage)
{
	struct ferry_state_maps m;
	size_t i;

	for (i = 0; i < N_MAPS; i++)
		*map_slot(&m, i) = bpf_object__find_map_fd_by_name(obj, map_names[i].name);
	return ferry_stateops_open(ops, &m, stage);
}

int ferry_stateops_open_instance(struct ferry_stateops *ops, const char *instance,
				 __u32 stage)
{
	struct ferry_state_maps m;
	int err = 0, fd;
	size_t i;

	for (i = 0; i < N_MAPS; i++) {
		fd = ferry_dp_map_fd(instance, map_names[i].name);
		*map_slot(&m, i) = fd;
		if (fd < 0 && !err) {
			err = fd;
			pr_warn("instance '%s': cannot open its pinned map %s: %s\n",
				instance, map_names[i].name, strerror(-err));
		}
	}
	if (!err)
		err = ferry_stateops_open(ops, &m, stage);
	if (err) {
		close_maps(&m);
		return err;
	}
	ops->own_fds = true;
	return 0;
}

void ferry_stateops_close(struct ferry_stateops *ops)
{
	if (!ops->skel)
		return;
	munmap(ops->stage, ops->stage_max * sizeof(*ops->stage));
	munmap(ops->ctl, sizeof(*ops->ctl));
	ferry_state__destroy(ops->skel);
	ops->skel = NULL;
	if (ops->own_fds)
		close_maps(&ops->m);
}

int ferry_st_run(struct ferry_stateops *ops, enum ferry_st_op op, __u32 n)
{
	__u8 frame[DUMMY_FRAME] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1);
	int fd = prog_fd(ops, op);

	if (fd < 0 || n > ops->stage_max)
		return -EINVAL;
	ops->ctl->n = n;
	ops->ctl->err = 0;
	if (bpf_prog_test_run_opts(fd, &run))
		return -errno;
	return ops->ctl->err;
}

void ferry_st_stage_flow(struct ferry_st_rec *r, const struct ferry_flow_key *k,
			 const struct ferry_flow *f)
{
	r->key = *k;
	r->flags = 0;
	if (f->nat.kind && !ferry_nat_xlat_key(k, f, &r->rkey))
		r->flags = FERRY_ST_F_RKEY;
	memcpy(r->flow, f, sizeof(*f));
	memset(r->flow, 0, sizeof(struct bpf_spin_lock));
}

int ferry_st_count(struct ferry_stateops *ops, __u64 *n)
{
	int err = ferry_st_run(ops, FERRY_ST_COUNT, 0);

	if (!err)
		*n = ops->ctl->count;
	return err;
}
