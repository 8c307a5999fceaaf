/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The TDE's decision: which State Host serves each VM, and when a change
 * of it is a move worth one notification. Pure logic on host ids and a
 * clock given by the caller (CLOCK_MONOTONIC ns in ferry-tde, a fake one
 * in the tests); ferry-tde feeds it what it reads from netlink.
 *
 * Rules (docs/tde.md):
 * - The first host seen for a VM is learnt, not notified: there is no
 *   "from" yet.
 * - A different host becomes a candidate; it is notified once it has been
 *   observed without interruption for the debounce interval, and becomes
 *   the VM's host. One move gives one notification.
 * - Observing the current host again, or no host (0: no evidence, or the
 *   evidence disagrees), drops the candidate: a flap that returns within
 *   the interval gives none; A->B->C within it gives one, A->C, once C has
 *   been stable for the interval.
 */
#ifndef FERRY_TDEDETECT_H
#define FERRY_TDEDETECT_H

#include <stdbool.h>
#include <linux/types.h>
#include "tdenotify.h"

struct ferry_tde_vm_state {
	__u32 host;			/* current serving host id, 0: not known yet */
	__u32 cand;			/* candidate host id, 0: none */
	__u64 cand_since;		/* when cand was first observed */
	enum ferry_tde_reason cand_reason;
};

struct ferry_tde_detect {
	__u32 nvms;
	__u64 debounce_ns;
	struct ferry_tde_vm_state *vms;
};

/* A move that is due: the caller fills and sends the notification. */
typedef void (*ferry_tde_emit_fn)(void *ctx, __u32 vm, __u32 from, __u32 to,
				  enum ferry_tde_reason reason);

/* 0 or -ENOMEM. */
int ferry_tde_detect_init(struct ferry_tde_detect *d, __u32 nvms,
			  __u64 debounce_ns);
void ferry_tde_detect_free(struct ferry_tde_detect *d);

/* What is observed now for vm: host id, or 0 for no (agreed) evidence. */
void ferry_tde_detect_observe(struct ferry_tde_detect *d, __u32 vm,
			      __u32 host, enum ferry_tde_reason reason,
			      __u64 now_ns);

/*
 * Emit the moves due at now_ns. Returns the time of the next one due if
 * nothing changes before (for a timer), or 0 when none is pending.
 */
__u64 ferry_tde_detect_tick(struct ferry_tde_detect *d, __u64 now_ns,
			    ferry_tde_emit_fn emit, void *ctx);

/*
 * The host serving a VM from its evidence: route[] has, for each of the
 * VM's addresses at each watch point, the host the route toward it goes
 * through (0: no route, or one through no known host); neigh is the host
 * behind which the VM's address or MAC appeared last (0: none). Routes win
 * when any of them names a host, and must all agree; else the neighbour.
 * Returns the host id, or 0 when there is none or the routes disagree;
 * *by_route (if not NULL) says whether the routes decided.
 */
__u32 ferry_tde_vote(const __u32 *route, __u32 n, __u32 neigh, bool *by_route);

#endif
