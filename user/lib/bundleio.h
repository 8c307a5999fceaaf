/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flows in and out as bundles back to back (what `ferryctl export` writes
 * and `ferryctl import` reads): the export encodes each batch as a whole
 * bundle as soon as the table gives it, the import checks and installs
 * each bundle as soon as it has been read, so that both ends of a pipe
 * work at once and neither holds more than a batch it does not need.
 */
#ifndef FERRY_BUNDLEIO_H
#define FERRY_BUNDLEIO_H

#include "cthandover.h"
#include "statecodec.h"

/* Flows a bundle of ferry_export_bundles holds at most by default: about
 * 430 KB, small enough that a few fit in a grown pipe. */
#define FERRY_EXPORT_BUNDLE_FLOWS	4096
/* A pipe's buffer for a bundle stream (the kernel's default is 64 KiB). */
#define FERRY_BUNDLE_PIPE_BYTES		(1 << 20)

/*
 * If fd is a pipe, grow its buffer to FERRY_BUNDLE_PIPE_BYTES (as far as
 * fs.pipe-max-size lets this process; else it stays as it is): the
 * export can then run a few bundles ahead of an import that stops reading
 * while it installs one, instead of the two taking turns.
 */
void ferry_bundle_pipe_grow(int fd);

/* r[0..n) encoded as one bundle through o (o->flow_count is ignored: n).
 * 0 or -errno with a message in err. */
int ferry_export_encode_bundle(const struct ferry_sc_enc_opts *o,
			       const struct ferry_export_rec *r, __u32 n,
			       __u64 now_ns, char *err, size_t errlen);

/*
 * The flows sel selects (as ferry_export_stream reads them) written
 * through o->write as bundles of at most bundle_flows flows (0: the
 * default), each encoded as soon as its batch is read; one empty bundle
 * if there are none. o gives the host, zlib level and creation time.
 * Memory: one batch. *n: the flows written (after an error: handed to
 * the encoder). 0 or -errno with a message in err.
 */
int ferry_export_bundles(struct ferry_stateops *ops,
			 const struct ferry_export_sel *sel, __u64 now_ns,
			 const struct ferry_sc_enc_opts *o, __u32 bundle_flows,
			 __u64 *n, char *err, size_t errlen);

/*
 * Import the bundles read from read (at least one, as ferry_sc_decode_seq
 * reads them) as one import (struct ferry_import_tx): each bundle decoded
 * into a after the flows of those before it and checked whole (a->cap:
 * the most flows all bundles may hold), then its flows checked and
 * inserted invisibly as a part; once the input has ended where a bundle
 * does, the commit makes them all visible together. A malformed bundle
 * ("bundle refused, nothing imported: bundle 1 chunk 0: ..."), flows that
 * do not fit the table's free room, or any other failure removes every
 * flow inserted: the table is as it was, and the datapath never saw any
 * of them. o as for ferry_import (no verdict, no FERRY_IMPORT_INDEX_LATER).
 * 0 or -errno with a message in err; rep counts every bundle's flows.
 */
int ferry_import_bundles(struct ferry_stateops *ops, ferry_sc_read_fn read,
			 void *rctx, const struct ferry_sc_limits *lim,
			 struct ferry_sc_array *a, const struct ferry_import_opts *o,
			 struct ferry_import_report *rep, char *err, size_t errlen);

#endif
