/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The source's side of a migration payload (docs/migration.md): export
 * exactly the order's VM's flows as state bundles back to back, one per
 * batch of bundle_flows flows as the export reads them, cut their bytes
 * into chunks, each a signed envelope {CHUNK, origin host, migration id,
 * seq 0..n-1}, then a signed COMMIT (seq n) with the counts and a hash over
 * the chunks. Pipelined: the first chunk leaves once the first batch is
 * read, and each envelope is handed to the emit callback as soon as it is
 * made. Memory: one batch (about 200 bytes a flow), the keys handed over
 * (40 bytes a flow, ferry_export_stream), one codec chunk, one transport
 * chunk and its envelope; never the whole payload.
 */
#ifndef FERRY_MIGSOURCE_H
#define FERRY_MIGSOURCE_H

#include <stddef.h>
#include <linux/types.h>
#include "identity.h"
#include "cthandover.h"
#include "migorder.h"

/* Default and largest bundle bytes per chunk. */
#define FERRY_MIG_CHUNK_DEFAULT		(256u << 10)
#define FERRY_MIG_CHUNK_MAX		(FERRY_ENVELOPE_BODY_MAX - 64)
/* Default flows per bundle of the payload. */
#define FERRY_MIG_BUNDLE_FLOWS		8192

/* Take one sealed envelope (type FERRY_MSG_MIG_CHUNK or _COMMIT); the
 * buffer is reused after the call. 0 or -errno (which stops the export). */
typedef int (*ferry_mig_emit_fn)(void *ctx, __u32 type, __u64 seq,
				 const __u8 *env, size_t len);

struct ferry_mig_source {
	const struct ferry_mig_order *order;	/* verified (ferry_mig_order_open) */
	const struct ferry_identity *id;	/* this host's identity: signs */
	__u32 host_id;				/* this host: must be the order's source */
	struct ferry_stateops *ops;		/* the datapath's table */
	__u64 mono_now_ns;	/* the datapath's clock; 0: ferry_now_ns() */
	__u64 real_now_ms;	/* envelope timestamps; 0: CLOCK_REALTIME */
	__u32 chunk_bytes;	/* 0: FERRY_MIG_CHUNK_DEFAULT */
	__u32 bundle_flows;	/* 0: FERRY_MIG_BUNDLE_FLOWS */
	int zlib_level;		/* 0: none */
	ferry_mig_emit_fn emit;
	void *ctx;
};

/*
 * Run the source's side of the migration s->order. Checks that the order
 * names this host and key as its source and is not expired at real now;
 * stops without a COMMIT (FERRY_MIG_TOO_LARGE; nothing emitted if it shows
 * in the first batch) if the VM has more flows than the order allows, or
 * if the payload grows past the order's max_bytes. res gets the outcome (reason, counts, time per
 * phase). Returns 0 when the COMMIT was emitted, else -errno: -EACCES
 * (order not for this source), -ETIME (expired), -E2BIG (limits), the
 * emit callback's error, or another -errno.
 */
int ferry_mig_source_run(const struct ferry_mig_source *s, struct ferry_mig_result *res);

#endif
