/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Walking and sweeping the connection table in batches. */
#ifndef FERRY_CTITER_H
#define FERRY_CTITER_H

#include "ferry/layout.h"

/* Called for each flow; a non-zero return stops the walk and is returned. */
typedef int (*ferry_ct_cb)(const struct ferry_flow_key *k,
			   const struct ferry_flow *f, void *ctx);

/* Visit every flow of the table ct_fd (batch reads, entries read under
 * their lock). Returns 0, the callback's value, or -errno. */
int ferry_ct_foreach(int ct_fd, ferry_ct_cb cb, void *ctx);

struct ferry_sweep {
	int ct_fd;
	__u64 now_ns;
	ferry_ct_cb on_delete;	/* after each delete, if set */
	void *ctx;
	__u64 visited;	/* entries read */
	__u64 removed;	/* expired ones deleted */
	__u64 spared;	/* expired when read, renewed or replaced since */
};

/*
 * Delete the flows that expired before now_ns, walking the table in
 * batches and deleting each expired flow only if it still is the one the
 * walk read; on_delete (may be NULL) is told of each, to remove what
 * hangs on the flow (its keys in the VM index). *st gets the counts.
 * Returns 0 or -errno.
 */
int ferry_ct_sweep(int ct_fd, __u64 now_ns, ferry_ct_cb on_delete, void *ctx,
		   struct ferry_sweep *st);

/* CLOCK_MONOTONIC now, the datapath's clock. */
__u64 ferry_now_ns(void);

#endif
