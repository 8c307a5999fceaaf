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

/* Delete flows that expired before now_ns; *removed gets the count. */
int ferry_ct_sweep(int ct_fd, __u64 now_ns, __u32 *removed);
/* The same, and the NAT reverse entries (map rev_fd) of the flows deleted. */
int ferry_ct_sweep_nat(int ct_fd, int rev_fd, __u64 now_ns, __u32 *removed);

/* CLOCK_MONOTONIC now, the datapath's clock. */
__u64 ferry_now_ns(void);

#endif
