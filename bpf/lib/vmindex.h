/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Noting a new flow in the per-VM index of each endpoint registered there
 * (and of its DNAT target), and forgetting a deleted one (the state
 * operations, ferry_state.bpf.c). */
#ifndef FERRY_BPF_VMINDEX_H
#define FERRY_BPF_VMINDEX_H

#include "lib/maps.h"

static __always_inline void ferry_vm_note_end(struct ferry_work *w,
					      const __u8 *addr)
{
	__u64 one64 = 1, *overflow;
	__u32 one = 1;
	void *set;

	__builtin_memcpy(w->vm.addr, addr, 16);
	set = bpf_map_lookup_elem(&ferry_vm_index, &w->vm);
	if (!set || !bpf_map_update_elem(set, &w->key, &one, BPF_ANY))
		return;
	overflow = bpf_map_lookup_elem(&ferry_vm_overflow, &w->vm);
	if (overflow)
		__sync_fetch_and_add(overflow, 1);
	else
		bpf_map_update_elem(&ferry_vm_overflow, &w->vm, &one64, BPF_NOEXIST);
}

/* The flow w->key (binding nat) was just created: into the sets of its
 * endpoints and of the VM its DNAT sends it to. */
static __always_inline void ferry_vm_note(struct ferry_work *w,
					  const struct ferry_nat *nat)
{
	if (!(w->cfg_flags & FERRY_CFG_F_VM_INDEX))
		return;
	w->vm.zone = w->key.zone;
	w->vm.family = w->key.family;
	w->vm.pad[0] = w->vm.pad[1] = w->vm.pad[2] = 0;
	ferry_vm_note_end(w, w->key.addr_lo);
	ferry_vm_note_end(w, w->key.addr_hi);
	if (nat->kind & FERRY_NAT_DNAT)
		ferry_vm_note_end(w, nat->daddr);
}

/*
 * Flows missing from w->vm's set (ferry_vm_overflow): delta more, or fewer
 * (never below 0). An export of a VM with flows missing walks the table.
 */
static __always_inline void ferry_vm_missing(struct ferry_work *w, const __u8 *addr,
					     long delta)
{
	__u64 one64 = 1, *missing;

	__builtin_memcpy(w->vm.addr, addr, 16);
	if (!bpf_map_lookup_elem(&ferry_vm_index, &w->vm))
		return;		/* not registered */
	missing = bpf_map_lookup_elem(&ferry_vm_overflow, &w->vm);
	if (missing && (delta > 0 || *missing))
		__sync_fetch_and_add(missing, delta);
	else if (delta > 0)
		bpf_map_update_elem(&ferry_vm_overflow, &w->vm, &one64, BPF_NOEXIST);
}

static __always_inline void ferry_vm_forget_end(struct ferry_work *w,
						const __u8 *addr)
{
	void *set;

	__builtin_memcpy(w->vm.addr, addr, 16);
	set = bpf_map_lookup_elem(&ferry_vm_index, &w->vm);
	if (set)
		bpf_map_delete_elem(set, &w->key);
}

/* The flow w->key (binding nat) was deleted. */
static __always_inline void ferry_vm_forget(struct ferry_work *w,
					    const struct ferry_nat *nat)
{
	w->vm.zone = w->key.zone;
	w->vm.family = w->key.family;
	w->vm.pad[0] = w->vm.pad[1] = w->vm.pad[2] = 0;
	ferry_vm_forget_end(w, w->key.addr_lo);
	ferry_vm_forget_end(w, w->key.addr_hi);
	if (nat->kind & FERRY_NAT_DNAT)
		ferry_vm_forget_end(w, nat->daddr);
}

#endif
