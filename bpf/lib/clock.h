/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The datapath's clock: CLOCK_MONOTONIC at jiffy resolution, which is all
 * that timeouts of seconds need and much cheaper than the precise clock.
 * Tests build the datapath with FERRY_FAKE_CLOCK and drive time through a
 * global variable set via the skeleton.
 */
#ifndef FERRY_BPF_CLOCK_H
#define FERRY_BPF_CLOCK_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#ifdef FERRY_FAKE_CLOCK
volatile __u64 ferry_fake_now_ns;

static __always_inline __u64 ferry_now(void)
{
	return ferry_fake_now_ns;
}
#else
static __always_inline __u64 ferry_now(void)
{
	return bpf_ktime_get_coarse_ns();
}
#endif

#endif
