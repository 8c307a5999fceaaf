/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The state operations (include/ferry/stateops.h): the datapath's maps of
 * an instance, and a loaded copy of bpf/ferry_state.bpf.c working on them,
 * which reads, inserts and deletes up to a stage of flows per system
 * call. Fill ops->stage, run an operation, read the results back from it.
 */
#ifndef FERRY_USER_STATEOPS_H
#define FERRY_USER_STATEOPS_H

#include <stdbool.h>
#include "ferry/layout.h"
#include "ferry/stateops.h"

struct ferry_state;
struct bpf_object;

/* The datapath's maps the operations work on (file descriptors). */
struct ferry_state_maps {
	int ct;			/* ferry_ct */
	int config;		/* ferry_config */
	int import;		/* ferry_import */
	int nat_rev;		/* ferry_nat_rev */
	int vm_index;		/* ferry_vm_index */
	int vm_overflow;	/* ferry_vm_overflow */
};

struct ferry_stateops {
	struct ferry_state_maps m;
	__u64 ct_max;		/* the table's size */
	bool own_fds;		/* m's fds are ours to close */
	bool kernel_count;	/* the kernel counts ct's elements (6.6+) */
	struct ferry_state *skel;
	struct ferry_st_ctl *ctl;	/* mmap()ed control block */
	struct ferry_st_rec *stage;	/* mmap()ed, stage_max records */
	__u32 stage_max;
	bool import_open;	/* an import (ferry_import_begin) is open */
};

enum ferry_st_op {
	FERRY_ST_INSERT,	/* records: claim rkey, insert, note in the index */
	FERRY_ST_REMOVE,	/* records: delete with binding and index keys */
	FERRY_ST_LOOKUP,	/* records: read under the flow's lock */
	FERRY_ST_NOTE,		/* records: into the index, after an INDEX_LATER insert */
	FERRY_ST_EXPIRE,	/* records: delete if still expired at ctl->now_ns */
	FERRY_ST_VM_READ,	/* ctl->vm's flows into the stage (ctl->n) */
	FERRY_ST_COUNT,		/* ct's entries into ctl->count */
	FERRY_ST_COUNT_WALK,	/* the same by a walk (what COUNT does before 6.6) */
	FERRY_ST_OP_MAX,
};

/*
 * Load the operations over the maps m (borrowed: the caller keeps them
 * open while ops lives), with a stage of stage records (0: the default;
 * at most FERRY_ST_STAGE_MAX): 248 bytes of locked kernel memory each, and
 * the most one call moves. 0 or -errno with a message logged.
 */
int ferry_stateops_open(struct ferry_stateops *ops, const struct ferry_state_maps *m,
			__u32 stage);
/* The same over the maps of a loaded datapath object (its skeleton's obj). */
int ferry_stateops_open_obj(struct ferry_stateops *ops, struct bpf_object *obj,
			    __u32 stage);
/* The same over instance's pinned maps (opened and closed by ops). */
int ferry_stateops_open_instance(struct ferry_stateops *ops, const char *instance,
				 __u32 stage);
void ferry_stateops_close(struct ferry_stateops *ops);

/* Run op over records [0, n) of the stage (n ≤ stage_max; 0 for
 * VM_READ and COUNT). 0, or -errno: the run failed, or (ctl->err) a map
 * operation on a record failed unexpectedly (its result: FAILED). */
int ferry_st_run(struct ferry_stateops *ops, enum ferry_st_op op, __u32 n);

/* Flow (k, f) into stage record r: its key, its translated key if it has
 * a binding, its bytes (the lock's zeroed). */
void ferry_st_stage_flow(struct ferry_st_rec *r, const struct ferry_flow_key *k,
			 const struct ferry_flow *f);

/* The number of entries in the table (the kernel's count, else a walk). */
int ferry_st_count(struct ferry_stateops *ops, __u64 *n);

#endif
