/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Noting a new flow in the per-VM index of each endpoint registered there. */
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

/* The flow w->key was just created. */
static __always_inline void ferry_vm_note(struct ferry_work *w)
{
	if (!(w->cfg_flags & FERRY_CFG_F_VM_INDEX))
		return;
	w->vm.zone = w->key.zone;
	w->vm.family = w->key.family;
	w->vm.pad[0] = w->vm.pad[1] = w->vm.pad[2] = 0;
	ferry_vm_note_end(w, w->key.addr_lo);
	ferry_vm_note_end(w, w->key.addr_hi);
}

#endif
