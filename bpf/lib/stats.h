/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef FERRY_BPF_STATS_H
#define FERRY_BPF_STATS_H

#include <bpf/bpf_helpers.h>
#include "ferry/layout.h"
#include "lib/maps.h"

static __always_inline int ferry_is_pass(int reason)
{
	return reason < FERRY_DROP_NO_RULE;
}

static __always_inline void ferry_count(__u32 reason, __u32 bytes)
{
	struct ferry_stat *st = bpf_map_lookup_elem(&ferry_stats, &reason);

	if (st) {
		st->packets++;
		st->bytes += bytes;
	}
}

#endif
