/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The state operations (bpf/ferry_state.bpf.c) and their callers in
 * userspace (user/lib/stateops.c): programs that move many flows in and
 * out of the datapath's maps in one BPF_PROG_TEST_RUN instead of one
 * system call per flow. Arguments and results pass through two private,
 * mmap()ed arrays of the loading process: the control block and the stage
 * of records. These maps are never pinned, so their layout is not part of
 * FERRY_LAYOUT_VERSION; the maps the programs work on are the datapath's
 * own (include/ferry/layout.h).
 */
#ifndef FERRY_STATEOPS_H
#define FERRY_STATEOPS_H

#include <linux/types.h>
#include "ferry/flow.h"
#include "ferry/vmindex.h"

/* Records one run handles: the stage's size, chosen by the loader. */
#define FERRY_ST_STAGE_DEFAULT	8192
#define FERRY_ST_STAGE_MAX	65536

/* ferry_st_rec.flags */
#define FERRY_ST_F_RKEY		0x01	/* rkey is the flow's translated key */
#define FERRY_ST_F_FOUND	0x02	/* lookup: the flow exists (flow holds it) */
#define FERRY_ST_F_RKEY_FOUND	0x04	/* lookup: rkey is claimed */

/* ferry_st_rec.result of an insert */
enum ferry_st_result {
	FERRY_ST_OK = 0,
	FERRY_ST_EXISTS,	/* the table holds the key already */
	FERRY_ST_NAT_TAKEN,	/* the translated key is claimed already */
	FERRY_ST_FAILED,	/* another error: ferry_st_ctl.err has it */
	FERRY_ST_EXPIRED,	/* expire: the flow went, with its links */
	FERRY_ST_KEPT,		/* expire: renewed or replaced since: kept */
	FERRY_ST_GONE,		/* expire: deleted by someone else already */
};

/*
 * One flow in the stage. flow is a struct ferry_flow as bytes: an
 * mmap()able map may not hold a bpf_spin_lock; its first 4 bytes (the
 * lock) are neither read nor written by the programs.
 */
struct ferry_st_rec {
	struct ferry_flow_key key;
	struct ferry_flow_key rkey;
	__u8  flow[sizeof(struct ferry_flow)];
	__u32 flags;		/* FERRY_ST_F_* */
	__u32 result;		/* enum ferry_st_result */
};

/* ferry_st_ctl.flags */
#define FERRY_ST_C_RESUME	0x01	/* VM_READ: continue after key resume */
#define FERRY_ST_C_MORE		0x02	/* VM_READ: the stage filled: call again */
#define FERRY_ST_C_LOST		0x04	/* VM_READ: resume is no longer in the set */
#define FERRY_ST_C_NOSET	0x08	/* VM_READ: vm is not registered */
#define FERRY_ST_C_INDEX_LATER	0x10	/* INSERT: count the flows as missing from
					 * their VMs' sets; NOTE adds them later */

/* The control block: the call's arguments, then its results. */
struct ferry_st_ctl {
	__u32 n;		/* records given, or (VM_READ) written */
	__u32 flags;		/* FERRY_ST_C_* */
	__s32 err;		/* the first unexpected error, -errno */
	__u32 pad;
	__u64 now_ns;		/* EXPIRE: the sweep's time */
	__u64 count;		/* COUNT: entries; VM_READ: keys visited */
	struct ferry_vm_key vm;		/* VM_READ */
	struct ferry_flow_key resume;	/* VM_READ: the last key written */
};

#endif
