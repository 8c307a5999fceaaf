/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The per-VM flow index (include/ferry/vmindex.h) from userspace:
 * registering a VM address (its set is created, then filled once from the
 * table, so no flow is missed), removing one, keeping sets in step with
 * flows the sweep deletes or an import adds, and reading a VM's flows at a
 * cost that grows with its flows, not with the table.
 */
#ifndef FERRY_USER_VMINDEX_H
#define FERRY_USER_VMINDEX_H

#include <stdbool.h>
#include "ferry/layout.h"

/* The index's maps of an instance: opened by ferry_vm_index_open. */
struct ferry_vm_index {
	int index_fd;		/* ferry_vm_index */
	int overflow_fd;	/* ferry_vm_overflow */
};

/* Open instance's index maps; 0 or -errno. */
int ferry_vm_index_open(struct ferry_vm_index *ix, const char *instance);
void ferry_vm_index_close(struct ferry_vm_index *ix);

/*
 * Register VM address vk: create its set for max_flows flows (0: the
 * default, FERRY_VM_FLOWS_DEFAULT), link it into the index, turn on
 * noting in the datapath (config_fd), then add the flows the table holds
 * already (a walk of ct_fd, once). *found gets their number. -EEXIST if
 * vk is registered. 0 or -errno.
 */
int ferry_vm_index_add(const struct ferry_vm_index *ix, int ct_fd, int config_fd,
		       const struct ferry_vm_key *vk, __u32 max_flows, __u64 *found);
int ferry_vm_index_del(const struct ferry_vm_index *ix,
		       const struct ferry_vm_key *vk);

/* Add k to / remove k from the set of each of its endpoints registered. */
int ferry_vm_index_note(const struct ferry_vm_index *ix,
			const struct ferry_flow_key *k);
int ferry_vm_index_forget(const struct ferry_vm_index *ix,
			  const struct ferry_flow_key *k);

/*
 * The keys noted for vk (some may belong to flows gone since): an array
 * allocated for them (free() it) and their count. -ENOENT if vk is not
 * registered, -EOVERFLOW if its set was full once (flows are missing from
 * it: walk the table instead). 0 or -errno.
 */
int ferry_vm_index_keys(const struct ferry_vm_index *ix,
			const struct ferry_vm_key *vk,
			struct ferry_flow_key **keys, __u64 *n);

/* Each registered VM address with the number of keys in its set and the
 * flows its full set missed. Returns 0, the callback's value or -errno. */
typedef int (*ferry_vm_cb)(const struct ferry_vm_key *vk, __u64 keys,
			   __u64 missed, void *ctx);
int ferry_vm_index_foreach(const struct ferry_vm_index *ix, ferry_vm_cb cb,
			   void *ctx);

/* "ZONE:ADDRESS" (IPv4 or IPv6): 0 or -EINVAL. */
int ferry_vm_key_parse(const char *spec, struct ferry_vm_key *vk);

void ferry_vm_key_make(struct ferry_vm_key *vk, __u32 zone, __u8 family,
		       const __u8 addr[16]);

#endif
