/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Run-time configuration and metadata maps. */
#ifndef FERRY_CONFIG_H
#define FERRY_CONFIG_H

#include <linux/types.h>

/* ferry_config.flags */
#define FERRY_CFG_F_FAST_FORWARD	0x01	/* XDP: route established flows' packets */
#define FERRY_CFG_F_ZONES		0x02	/* ferry_ifzones has entries: look zones up */
#define FERRY_CFG_F_VM_INDEX		0x04	/* ferry_vm_index has entries: note new flows */

/*
 * The single entry of the config map. Timeouts are indexed by
 * enum ferry_ct_state, in nanoseconds.
 */
struct ferry_config {
	__u64 timeout_ns[16];
	__u32 flags;
	__u32 import_gen;	/* the last import batch made visible */
};

/*
 * The single entry of ferry_import: the batch an import is installing
 * (0: none) and the process installing it. Set before the first flow of
 * the batch is inserted and cleared after the commit, so a batch left
 * behind by an import that died on the way is known to the next one
 * without a walk of the table, and one still being installed (a migration
 * arriving bundle by bundle) is not taken for such.
 */
struct ferry_import_state {
	__u32 pending_gen;
	__u32 owner;		/* its process id (0: not known) */
};

/* Key of the interface map: the zone of an interface, optionally per VLAN. */
struct ferry_if_key {
	__u32 ifindex;
	__u16 vlan;	/* 0: untagged or any VLAN without its own entry */
	__u16 pad;
};

struct ferry_if_zone {
	__u32 zone;
	__u32 pad;
};

/* The single entry of the pinned metadata map. */
struct ferry_meta {
	__u32 magic;		/* FERRY_META_MAGIC */
	__u32 layout_version;	/* FERRY_LAYOUT_VERSION of the creator */
	__u64 created_ns;	/* CLOCK_MONOTONIC at creation */
	__u32 ct_max;		/* table size chosen at load */
	__u32 pad;
};

#endif
