/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Ferry's side of the conntrack differential test, over the shared harness
 * (selftests/lib/dptest.h): ferry_fw_test loaded unpinned, default
 * timeouts, one zone, frames run through ferry_xdp with BPF_PROG_TEST_RUN,
 * states read from the ct map.
 */
#ifndef DT_FERRY_H
#define DT_FERRY_H

#include <linux/types.h>
#include "ferry/layout.h"
#include "dptest.h"

/* Load the datapath with default timeouts and rules[0..n). 0 or -errno. */
int dt_ferry_open(struct dpt *d, const struct ferry_rule *rules, __u32 n);

/* Run one frame; returns 1 (XDP_PASS), 0 (XDP_DROP) or -errno. The fake
 * clock moves on by step_ns first. */
int dt_ferry_run(struct dpt *d, const __u8 *frame, int len, __u64 step_ns);

/*
 * State of the flow between (a, ap) and (b, bp) (addresses as 16 bytes,
 * IPv4 in the first 4; ports in host order, both the echo id for ICMP),
 * FERRY_CT_NONE if untracked, or -errno. An expired entry counts as none.
 */
int dt_ferry_state(struct dpt *d, int family, __u8 proto,
		   const __u8 *a, __u16 ap, const __u8 *b, __u16 bp);

/* Remove every flow. */
int dt_ferry_flush(struct dpt *d);

#endif
