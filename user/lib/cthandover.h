/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Moving flows out of and into a live connection table: selecting the
 * flows to export, and importing untrusted ones so that the datapath sees
 * the whole batch at once or nothing of it.
 */
#ifndef FERRY_CTHANDOVER_H
#define FERRY_CTHANDOVER_H

#include <stdbool.h>
#include <sys/types.h>
#include "ferry/layout.h"
#include "stateops.h"

/* Which flows to export: all, a zone, or those of some VMs. */
struct ferry_export_sel {
	int all_zones;		/* 0: only zone */
	__u32 zone;
	/* VMs: a flow belongs to one if either endpoint is its address in
	 * its zone (then zone/all_zones do not apply). */
	__u32 n_vms;
	__u32 vm_zone[64];
	__u8  vm_family[64];
	__u8  vm_addr[64][16];
	/* VMs whose addresses are registered in the per-VM index are read
	 * from their sets; others, or all with no_index, by a table walk. */
	bool no_index;
};

/*
 * Does the flow (k, f) belong to the selection? A VM's flows: those with
 * an endpoint at its address, and those whose DNAT sends them to it (f
 * NULL: the key's endpoints only).
 */
int ferry_export_selects(const struct ferry_export_sel *sel,
			 const struct ferry_flow_key *k, const struct ferry_flow *f);

/*
 * The live flows of ops' table that sel selects (not expired at now, not
 * part of an import still in progress): keys and flows get arrays
 * allocated for them (free() both), n their count. 0 or -errno.
 */
int ferry_export_collect(struct ferry_stateops *ops,
			 const struct ferry_export_sel *sel, __u64 now_ns,
			 struct ferry_flow_key **keys, struct ferry_flow **flows,
			 __u64 *n);

/* One exported flow. */
struct ferry_export_rec {
	struct ferry_flow_key key;
	struct ferry_flow flow;
};

/* Take n records (the buffer is reused after the call); non-zero stops. */
typedef int (*ferry_export_batch_fn)(void *ctx, const struct ferry_export_rec *r,
				     __u32 n);

/*
 * As ferry_export_collect, but the flows handed to batch as they are read,
 * batch_max at a time (fewer in the last batch; no call for no flows):
 * memory is the batch and 40 bytes a flow (the keys handed over, so that
 * a walk after the per-VM index fails part way hands each flow over once).
 * *n: the flows handed over. 0, batch's error, or -errno.
 */
int ferry_export_stream(struct ferry_stateops *ops,
			const struct ferry_export_sel *sel, __u64 now_ns,
			__u32 batch_max, ferry_export_batch_fn batch, void *ctx,
			__u64 *n);

enum ferry_import_reason {
	FERRY_IMPORT_ACCEPTED = 0,
	FERRY_IMPORT_DENIED,	/* the local rules would not allow it as new */
	FERRY_IMPORT_EXISTS,	/* the table already holds a flow with its key */
	FERRY_IMPORT_EXPIRED,	/* no lifetime left */
	FERRY_IMPORT_NAT_FOREIGN, /* its binding uses a pool or forward not ours */
	FERRY_IMPORT_NAT_TAKEN,	/* its translated tuple is bound to another flow */
	FERRY_IMPORT_REASON_MAX,
};

struct ferry_import_report {
	__u64 offered;
	__u64 count[FERRY_IMPORT_REASON_MAX];
};

/* ferry_import's flags */
#define FERRY_IMPORT_DRY_RUN	0x01	/* check, write nothing */
#define FERRY_IMPORT_INDEX_LATER 0x02	/* note in the per-VM index later */

const char *ferry_import_reason_name(unsigned int reason);

/* The local NAT maps an import checks bindings against. */
struct ferry_import_nat {
	int pools_fd;	/* ferry_nat_pools */
	int fwds_fd;	/* ferry_nat_fwds */
};

struct ferry_import_opts {
	const struct ferry_rule *rules;	/* the local rules, */
	__u32 nrules;			/* each flow is checked against */
	const struct ferry_import_nat *nat; /* NULL: bindings are not ours */
	unsigned int flags;		/* FERRY_IMPORT_* */
	__u8 *verdict;			/* NULL, or room for each flow's
					 * enum ferry_import_reason */
};

/*
 * Import flows[0..n) (keys[i] their keys) into ops' table, treating them
 * as untrusted: each is checked against o->rules as if it were a new
 * flow, and refused if its key is taken; the report counts each
 * reason. A flow's NAT binding is accepted only if its SNAT address and
 * port lie in this host's pool of the flow's zone and its DNAT target is
 * a backend of this host's forward for the address the client used
 * (o->nat NULL: every flow with a binding is refused, nat-not-owned); its
 * translated tuple is claimed in ferry_nat_rev with BPF_NOEXIST, never
 * over another flow's binding. If the accepted ones do not fit the
 * table's free room, the import is refused whole (-ENOSPC). Accepted
 * flows are inserted as batch N, invisible to the datapath, and noted in
 * the per-VM index, then made visible together by one update of the
 * config map; any failure before that removes what was inserted, leaving
 * the table as it was. FERRY_IMPORT_DRY_RUN checks without writing.
 * FERRY_IMPORT_INDEX_LATER (needs o->verdict) leaves the noting, about
 * a microsecond a flow, to ferry_import_index after the commit: until
 * then the flows count as missing from their VMs' sets, so that an export
 * of those VMs walks the table meanwhile. 0 or -errno with a message in
 * err.
 */
int ferry_import(struct ferry_stateops *ops, struct ferry_flow_key *keys,
		 struct ferry_flow *flows, __u64 n, const struct ferry_import_opts *o,
		 struct ferry_import_report *rep, char *err, size_t errlen);

/*
 * An import in parts (a migration's bundles as they come): begin, add each
 * part, then commit, or abort. One at a time per ops (-EBUSY). Each part's
 * flows are checked as by ferry_import (begin reads the rules and NAT in
 * o; o->verdict is not used: each add gets room for its part's verdicts)
 * and its accepted flows inserted at once, invisible to the datapath, if
 * the accepted flows of all parts so far fit the table's free room
 * (else -ENOSPC). Commit makes them all visible together; after any
 * failure, abort removes every flow the parts inserted, leaving the table
 * as it was. An add modifies its flows (batch number, flags).
 */
struct ferry_import_tx {
	struct ferry_stateops *ops;
	struct ferry_import_opts o;
	__u32 gen;		/* the batch number of its flows */
	__u64 entries;		/* the table's, at begin */
	__u64 n;		/* flows added */
	__u8 *inserted;		/* per flow added: 1 if inserted */
	__u64 cap;
	bool open;		/* holds ops (not a dry run) */
	struct ferry_import_report rep;	/* the parts' counts */
};

int ferry_import_begin(struct ferry_import_tx *tx, struct ferry_stateops *ops,
		       const struct ferry_import_opts *o, char *err, size_t errlen);
int ferry_import_add(struct ferry_import_tx *tx, struct ferry_flow_key *keys,
		     struct ferry_flow *flows, __u64 n, __u8 *verdict,
		     char *err, size_t errlen);
int ferry_import_commit(struct ferry_import_tx *tx, char *err, size_t errlen);
/* keys, flows: every flow added, the parts in order. */
void ferry_import_abort(struct ferry_import_tx *tx, const struct ferry_flow_key *keys,
			const struct ferry_flow *flows);

/* The flows a FERRY_IMPORT_INDEX_LATER import accepted (verdict: its
 * o->verdict) into their VMs' sets. 0 or -errno. */
int ferry_import_index(struct ferry_stateops *ops, const struct ferry_flow_key *keys,
		       const struct ferry_flow *flows, const __u8 *verdict, __u64 n);

#endif
