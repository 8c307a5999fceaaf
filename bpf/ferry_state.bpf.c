// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * State operations: many flows moved in or out of the datapath's maps by
 * one BPF_PROG_TEST_RUN, where a system call per flow costs ten times the
 * map operation itself (include/ferry/stateops.h, user/lib/stateops.c).
 *
 * These programs never see a packet. They are XDP programs run on a dummy
 * frame because that is a program type which is not sleepable: taking a
 * flow's bpf_spin_lock (to read it whole while the datapath updates it)
 * is refused in sleepable programs before Linux 6.2 or so, and SYSCALL
 * programs are always sleepable. The datapath's maps are reused from the
 * loader (bpf_map__reuse_fd); ferry_st_ctl and ferry_st_stage are this
 * process's own, mmap()ed by it.
 */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include "ferry/layout.h"
#include "ferry/stateops.h"
#include "lib/maps.h"
#include "lib/vmindex.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ferry_st_ctl);
	__uint(max_entries, 1);
} ferry_st_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ferry_st_rec);
	__uint(max_entries, FERRY_ST_STAGE_DEFAULT);	/* set by the loader */
} ferry_st_stage SEC(".maps");

/* The stage's size, set by the loader with the map's. */
const volatile __u32 ferry_st_stage_max = FERRY_ST_STAGE_DEFAULT;

/* The kernel's own count of a map's elements (Linux 6.6 and later); the
 * walk below serves older kernels. Only the program's type is needed. */
struct bpf_map {
	__u32 id;
};
extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym __weak;

static __always_inline struct ferry_st_ctl *ctl(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ferry_st_ctl, &zero);
}

static __always_inline struct ferry_st_rec *rec(__u64 i)
{
	__u32 idx = i;

	return bpf_map_lookup_elem(&ferry_st_stage, &idx);
}

static __always_inline struct ferry_work *work(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ferry_work, &zero);
}

/*
 * Map operations' errors are compared as int: before 6.4 the verifier
 * calls the map's own update/delete, which return int, so the upper half
 * of the helper's 64-bit result is not the sign (-EEXIST reads 4294967279).
 */

/* The loop count as the helper wants it: a u32 zero-extended in its
 * register (clang may leave the upper half of a u32 argument undefined,
 * and the inlined bpf_loop compares all 64 bits against its limit). */
static __always_inline __u64 nrecs(const struct ferry_st_ctl *c)
{
	__u64 n = c->n;

	return n > ferry_st_stage_max ? ferry_st_stage_max : n;
}

/* fn over the records [0, ctl->n) of the stage. */
static __always_inline int each_record(long (*fn)(__u64 i, void *unused))
{
	struct ferry_st_ctl *c = ctl();

	if (c)
		bpf_loop(nrecs(c), fn, NULL, 0);
	return XDP_PASS;
}

static __always_inline void failed(struct ferry_st_rec *r, int err)
{
	struct ferry_st_ctl *c = ctl();

	r->result = FERRY_ST_FAILED;
	if (c && !c->err)
		c->err = err;
}

/* Copy flow f into the record, under the flow's lock (all but the lock). */
static __always_inline void read_flow(struct ferry_st_rec *r, struct ferry_flow *f)
{
	struct ferry_flow *out = (struct ferry_flow *)r->flow;

	bpf_spin_lock(&f->lock);
	out->state = f->state;
	out->orig_lo = f->orig_lo;
	out->flags = f->flags;
	out->pad = f->pad;
	out->created_ns = f->created_ns;
	out->last_seen_ns = f->last_seen_ns;
	out->expires_ns = f->expires_ns;
	out->packets[0] = f->packets[0];
	out->packets[1] = f->packets[1];
	out->bytes[0] = f->bytes[0];
	out->bytes[1] = f->bytes[1];
	out->tcp[0] = f->tcp[0];
	out->tcp[1] = f->tcp[1];
	out->rule_id = f->rule_id;
	out->import_gen = f->import_gen;
	out->nat = f->nat;
	bpf_spin_unlock(&f->lock);
}

enum index_op {
	INDEX_NOTE,	/* a new flow: its key into its VMs' sets */
	INDEX_FORGET,	/* a deleted flow: out of them */
	INDEX_LATER,	/* a new flow noted later: counted missing meanwhile */
	INDEX_NOTE_LATE, /* the note of an INDEX_LATER flow */
	INDEX_FORGET_LATE, /* an INDEX_LATER flow removed before its note */
};

/* A VM's flows are missing from its set, delta more or fewer: each of
 * flow r's endpoints and its DNAT target. */
static __always_inline void index_missing(struct ferry_work *w,
					  const struct ferry_st_rec *r, long delta)
{
	const struct ferry_nat *nat = &((const struct ferry_flow *)r->flow)->nat;

	ferry_vm_missing(w, r->key.addr_lo, delta);
	ferry_vm_missing(w, r->key.addr_hi, delta);
	if (nat->kind & FERRY_NAT_DNAT)
		ferry_vm_missing(w, nat->daddr, delta);
}

/* Flow r->key in the per-VM index. */
static __always_inline void index_op(const struct ferry_st_rec *r, enum index_op op)
{
	const struct ferry_nat *nat = &((const struct ferry_flow *)r->flow)->nat;
	const struct ferry_config *cfg;
	struct ferry_work *w = work();
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&ferry_config, &zero);
	if (!w || !cfg || !(cfg->flags & FERRY_CFG_F_VM_INDEX))
		return;
	w->key = r->key;
	w->cfg_flags = cfg->flags;
	w->vm.zone = r->key.zone;
	w->vm.family = r->key.family;
	w->vm.pad[0] = w->vm.pad[1] = w->vm.pad[2] = 0;
	switch (op) {
	case INDEX_NOTE:
		ferry_vm_note(w, nat);
		break;
	case INDEX_FORGET:
		ferry_vm_forget(w, nat);
		break;
	case INDEX_LATER:
		index_missing(w, r, 1);
		break;
	case INDEX_NOTE_LATE:
	case INDEX_FORGET_LATE:
		if (op == INDEX_NOTE_LATE)
			ferry_vm_note(w, nat);
		index_missing(w, r, -1);
		break;
	}
}

static __always_inline int same_key(const struct ferry_flow_key *a,
				    const struct ferry_flow_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	int i;

#pragma unroll
	for (i = 0; i < (int)(sizeof(*a) / 4); i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

/* Give back r's claim on its translated key, if the claim is r's (and not
 * another flow's binding now). */
static __always_inline void unbind(const struct ferry_st_rec *r)
{
	struct ferry_flow_key *named;

	if (!(r->flags & FERRY_ST_F_RKEY))
		return;
	named = bpf_map_lookup_elem(&ferry_nat_rev, &r->rkey);
	if (named && same_key(named, &r->key))
		bpf_map_delete_elem(&ferry_nat_rev, &r->rkey);
}

/* Insert: the binding claimed first (never over another's), then the
 * entry (never over an entry), then its keys in the VM index. */
static long insert_one(__u64 i, void *unused)
{
	struct ferry_st_rec *r = rec(i);
	struct ferry_st_ctl *c;
	int err;	/* int: see "Map operations' errors" above */

	if (!r)
		return 1;
	if (r->flags & FERRY_ST_F_RKEY) {
		err = bpf_map_update_elem(&ferry_nat_rev, &r->rkey, &r->key,
					  BPF_NOEXIST);
		if (err == -EEXIST) {
			r->result = FERRY_ST_NAT_TAKEN;
			return 0;
		}
		if (err) {
			failed(r, err);
			return 0;
		}
	}
	err = bpf_map_update_elem(&ferry_ct, &r->key, r->flow, BPF_NOEXIST);
	if (err) {
		if (r->flags & FERRY_ST_F_RKEY)
			bpf_map_delete_elem(&ferry_nat_rev, &r->rkey);
		if (err == -EEXIST)
			r->result = FERRY_ST_EXISTS;
		else
			failed(r, err);
		return 0;
	}
	r->result = FERRY_ST_OK;
	c = ctl();
	index_op(r, c && (c->flags & FERRY_ST_C_INDEX_LATER) ? INDEX_LATER : INDEX_NOTE);
	return 0;
}

SEC("xdp")
int ferry_st_insert(struct xdp_md *x)
{
	return each_record(insert_one);
}

/* Remove: the entry, its binding if the binding still names it, its keys
 * in the VM index (a rollback, or leftovers of an import that died). */
static long remove_one(__u64 i, void *unused)
{
	struct ferry_st_rec *r = rec(i);
	struct ferry_st_ctl *c = ctl();
	int err;	/* int: see "Map operations' errors" above */

	if (!r || !c)
		return 1;
	err = bpf_map_delete_elem(&ferry_ct, &r->key);
	if (err && err != -ENOENT)
		failed(r, err);
	else
		r->result = FERRY_ST_OK;
	unbind(r);
	index_op(r, c->flags & FERRY_ST_C_INDEX_LATER ? INDEX_FORGET_LATE :
							 INDEX_FORGET);
	return 0;
}

SEC("xdp")
int ferry_st_remove(struct xdp_md *x)
{
	return each_record(remove_one);
}

/* Note: the flows an INDEX_LATER insert installed join their VMs' sets. */
static long note_one(__u64 i, void *unused)
{
	struct ferry_st_rec *r = rec(i);

	if (!r)
		return 1;
	index_op(r, INDEX_NOTE_LATE);
	r->result = FERRY_ST_OK;
	return 0;
}

SEC("xdp")
int ferry_st_note(struct xdp_md *x)
{
	return each_record(note_one);
}

/* Lookup: the flow read whole, and whether its translated key is claimed. */
static long lookup_one(__u64 i, void *unused)
{
	struct ferry_st_rec *r = rec(i);
	struct ferry_flow *f;

	if (!r)
		return 1;
	r->flags &= FERRY_ST_F_RKEY;
	f = bpf_map_lookup_elem(&ferry_ct, &r->key);
	if (f) {
		read_flow(r, f);
		r->flags |= FERRY_ST_F_FOUND;
	}
	if ((r->flags & FERRY_ST_F_RKEY) &&
	    bpf_map_lookup_elem(&ferry_nat_rev, &r->rkey))
		r->flags |= FERRY_ST_F_RKEY_FOUND;
	r->result = FERRY_ST_OK;
	return 0;
}

SEC("xdp")
int ferry_st_lookup(struct xdp_md *x)
{
	return each_record(lookup_one);
}

/*
 * Expire: delete the flow the sweep saw expired (r->flow, its copy), if
 * it still is: not renewed since (expiry moved) nor replaced (another
 * creation time) by the datapath, which treats an expired entry as absent
 * and may create a new flow under its key. Decided under the flow's lock;
 * what remains is the moment between that and the delete. Its index keys
 * go first, so that a flow the datapath creates anew under the key after
 * the delete is noted again; its binding goes last, and only if no flow
 * holds the key by then (a new one may have claimed the same tuple).
 */
static long expire_one(__u64 i, void *unused)
{
	const struct ferry_flow *seen;
	struct ferry_st_ctl *c = ctl();
	struct ferry_st_rec *r = rec(i);
	struct ferry_flow *f;
	int still;
	int err;	/* int: see "Map operations' errors" above */

	if (!r || !c)
		return 1;
	seen = (const struct ferry_flow *)r->flow;
	f = bpf_map_lookup_elem(&ferry_ct, &r->key);
	if (!f) {
		r->result = FERRY_ST_GONE;
		return 0;
	}
	bpf_spin_lock(&f->lock);
	still = f->created_ns == seen->created_ns && f->expires_ns < c->now_ns;
	bpf_spin_unlock(&f->lock);
	if (!still) {
		r->result = FERRY_ST_KEPT;
		return 0;
	}
	index_op(r, INDEX_FORGET);
	err = bpf_map_delete_elem(&ferry_ct, &r->key);
	if (err == -ENOENT) {
		r->result = FERRY_ST_GONE;
		return 0;
	}
	if (err) {
		failed(r, err);
		return 0;
	}
	r->result = FERRY_ST_EXPIRED;
	if (!bpf_map_lookup_elem(&ferry_ct, &r->key))
		unbind(r);
	return 0;
}

SEC("xdp")
int ferry_st_expire(struct xdp_md *x)
{
	return each_record(expire_one);
}

/*
 * VM_READ: a walk of one VM's set, resumed after a key across calls. The
 * walk's state lives in the control block, not on the stack: before Linux
 * 6.7 the verifier checked a callback as if it ran once, and pruned as
 * dead what only a later run reaches ("the stage is full").
 */
static long vm_read_one(void *set, struct ferry_flow_key *k, __u32 *val,
			void *unused)
{
	struct ferry_st_ctl *c = ctl();
	struct ferry_st_rec *r;
	struct ferry_flow *f;

	if (!c)
		return 1;
	c->count++;
	if (c->flags & FERRY_ST_C_RESUME) {
		if (same_key(k, &c->resume))
			c->flags &= ~FERRY_ST_C_RESUME;
		return 0;
	}
	if (c->n >= ferry_st_stage_max) {
		c->flags |= FERRY_ST_C_MORE;
		return 1;
	}
	f = bpf_map_lookup_elem(&ferry_ct, k);
	if (!f)
		return 0;	/* noted, and gone since */
	r = rec(c->n);
	if (!r)
		return 1;
	r->key = *k;
	r->flags = 0;
	r->result = FERRY_ST_OK;
	read_flow(r, f);
	c->resume = *k;
	c->n++;
	return 0;
}

SEC("xdp")
int ferry_st_vm_read(struct xdp_md *x)
{
	struct ferry_st_ctl *c = ctl();
	void *set;

	if (!c)
		return XDP_PASS;
	c->count = 0;
	c->n = 0;
	c->flags &= FERRY_ST_C_RESUME;
	set = bpf_map_lookup_elem(&ferry_vm_index, &c->vm);
	if (!set) {
		c->flags = FERRY_ST_C_NOSET;
		return XDP_PASS;
	}
	bpf_for_each_map_elem(set, vm_read_one, NULL, 0);
	/* still looking for the key to resume after: it is gone */
	if (c->flags & FERRY_ST_C_RESUME)
		c->flags = FERRY_ST_C_LOST;
	return XDP_PASS;
}

/* COUNT: the kernel keeps the number of a map's elements (6.6 and later). */
SEC("xdp")
int ferry_st_count(struct xdp_md *x)
{
	struct ferry_st_ctl *c = ctl();

	if (c)
		c->count = bpf_map_sum_elem_count((const struct bpf_map *)&ferry_ct);
	return XDP_PASS;
}

static long count_one(void *map, void *k, void *v, void *unused)
{
	struct ferry_st_ctl *c = ctl();

	if (c)
		c->count++;
	return 0;
}

/* COUNT on older kernels: a walk, in the kernel. */
SEC("xdp")
int ferry_st_count_walk(struct xdp_md *x)
{
	struct ferry_st_ctl *c = ctl();

	if (c) {
		c->count = 0;
		bpf_for_each_map_elem(&ferry_ct, count_one, NULL, 0);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
