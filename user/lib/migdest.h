/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The destination's side of a migration payload (docs/migration.md): a
 * receiver made from the SOM's signed order takes the source's signed
 * chunks and commit one by one, in order, checks everything, and installs
 * the VM's flows all at once or not at all.
 *
 * Checks, in this order (the first failure ends the migration, with its
 * reason, enum ferry_mig_reason):
 *  order:  signature by the pinned SOM key (bad-signature), decodes
 *          (malformed), names this host as destination (wrong-destination),
 *          not finished already (already-done: nothing is touched), not
 *          expired (expired).
 *  chunk:  signature by the source key named IN THE ORDER (bad-signature),
 *          envelope and body migration id are the order's (wrong-migration),
 *          type CHUNK or COMMIT (protocol), seq exactly the next one
 *          (chunk-duplicate for an old seq; a jump is chunk-missing, and
 *          becomes chunk-out-of-order if the skipped chunk turns up later),
 *          bundle bytes within the order's max_bytes (too-large).
 *  commit: seq = its chunk count, all chunks in (chunk-missing), not
 *          expired (expired), byte count and BLAKE2b-256 of the chunks
 *          (hash-mismatch), flow count within max_flows (too-large) and
 *          the table's size (table-full), the
 *          whole bundle decodes (malformed), EVERY flow has an endpoint that
 *          is one of the VM's addresses in its zone (foreign-flow), then
 *          ferry_import: each flow checked against the destination's own
 *          rules and table (counted: accepted, denied, exists, expired),
 *          the accepted ones must fit (table-full), installed invisible and
 *          made visible by one commit.
 * A failed migration leaves the table exactly as it was: nothing is
 * written before the commit's checks all pass, and ferry_import rolls back.
 *
 * Memory: the bundle's bytes (bounded by the order's max_bytes and by
 * max_bytes below), then the decoded flows (bounded by max_flows).
 */
#ifndef FERRY_MIGDEST_H
#define FERRY_MIGDEST_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "cthandover.h"
#include "migorder.h"

/*
 * The ids of finished migrations, so that a replayed order answers
 * "already done". In memory, at most cap ids: when full, ids whose order
 * has expired go first (a replay of those is refused as expired anyway),
 * then the one expiring first. Persistence is migdonefile.h's: the agent
 * appends (id, expires_s) of every finished migration to a file and syncs
 * it before confirming to the SOM, and reloads the unexpired ones at start.
 */
struct ferry_mig_done;

#define FERRY_MIG_DONE_DEFAULT	4096

struct ferry_mig_done *ferry_mig_done_new(__u32 cap);
void ferry_mig_done_free(struct ferry_mig_done *d);
int ferry_mig_done_has(const struct ferry_mig_done *d, const __u8 id[FERRY_MIG_ID_LEN]);
/* Record id as finished (its order valid until expires_s). */
void ferry_mig_done_add(struct ferry_mig_done *d, const __u8 id[FERRY_MIG_ID_LEN],
			__u64 expires_s, __u64 now_s);
__u32 ferry_mig_done_count(const struct ferry_mig_done *d);
/* Entry i (< count) of the set, in no particular order. */
void ferry_mig_done_get(const struct ferry_mig_done *d, __u32 i,
			__u8 id[FERRY_MIG_ID_LEN], __u64 *expires_s);

struct ferry_mig_dest {
	const __u8 *som_pk;		/* pinned SOM public key (32 bytes) */
	__u32 host_id;			/* this host */
	struct ferry_mig_done *done;	/* finished migrations */
	struct ferry_stateops *ops;	/* the datapath's table, and the import */
	int rulesets_fd;		/* ferry_rulesets: the local rules */
	const struct ferry_import_nat *nat;	/* NULL: flows with bindings refused */
	__u64 max_bytes;		/* local cap on a bundle; 0: the order's */
};

struct ferry_mig_recv;

/*
 * A receiver for the order envelope order[0..len), at CLOCK_REALTIME
 * second now_s. NULL if the order is refused (errno set, res->reason and
 * res->msg say why; already-done is such a refusal), else the receiver
 * (d and its done set must outlive it).
 */
struct ferry_mig_recv *ferry_mig_recv_new(const struct ferry_mig_dest *d,
					  const __u8 *order, size_t len, __u64 now_s,
					  struct ferry_mig_result *res);

/*
 * Take the next envelope from the source. Each bundle of the payload is
 * decoded, checked and its flows inserted invisibly (an import open on the
 * table, ferry_import_begin) as soon as its bytes are in, unless another
 * migration's import is open: then the flows wait, decoded. Returns 0 (a
 * chunk taken, more to come; or the COMMIT while another import holds the
 * table: ferry_mig_recv_retry installs it later), 1 (the COMMIT: the
 * flows are visible, the migration id is recorded as done), or -errno: the
 * migration failed (reason in the result), whatever it inserted is
 * removed, and every later call fails too.
 */
int ferry_mig_recv_feed(struct ferry_mig_recv *r, const __u8 *env, size_t len,
			__u64 now_s);

/* The outcome so far (final once settled). */
const struct ferry_mig_result *ferry_mig_recv_result(const struct ferry_mig_recv *r);
/*
 * Is the outcome final? After 1 it is; after a failure too, except a jump
 * in seq (chunk-missing) before the commit came: the skipped chunk may
 * still turn up and make it chunk-out-of-order. A caller that reports the
 * reason goes on feeding until then (the SOM's deadline bounds the wait).
 */
bool ferry_mig_recv_settled(const struct ferry_mig_recv *r);
/*
 * Install a migration whose commit came while another migration's import
 * held the table (feed returned 0 for the commit): 1 installed, < 0
 * failed, 0 still waiting (call again once that one has ended).
 */
int ferry_mig_recv_retry(struct ferry_mig_recv *r, __u64 now_s);
bool ferry_mig_recv_waiting(const struct ferry_mig_recv *r);
const struct ferry_mig_order *ferry_mig_recv_order(const struct ferry_mig_recv *r);
/* Free r; flows it inserted and did not make visible are removed. */
void ferry_mig_recv_free(struct ferry_mig_recv *r);
/*
 * After an install (and after confirming it: it takes about a microsecond
 * a flow), add the installed flows to their VMs' sets in the per-VM index;
 * until then an export of the VM walks the table. 0 or -errno.
 */
int ferry_mig_recv_index(struct ferry_mig_recv *r);

#endif
