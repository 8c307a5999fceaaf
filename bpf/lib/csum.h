/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Incremental Internet checksum updates (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m')), usable from XDP and TC alike. Changes are
 * accumulated as a 64-bit sum of (~old + new) over the changed words, in
 * the packet's byte order (the one's complement sum does not care, RFC
 * 1071), and applied to a checksum field once.
 */
#ifndef FERRY_BPF_CSUM_H
#define FERRY_BPF_CSUM_H

#include <linux/types.h>

static __always_inline __u64 ferry_csum_diff16(__u16 old, __u16 new)
{
	return (__u16)~old + (__u64)new;
}

static __always_inline __u64 ferry_csum_diff32(__u32 old, __u32 new)
{
	return (__u32)~old + (__u64)new;
}

/* old and new are 4 words (an IPv6 address, or IPv4 in word 0). */
static __always_inline __u64 ferry_csum_diff_addr(const __u32 *old,
						  const __u32 *new, int v6)
{
	__u64 acc = ferry_csum_diff32(old[0], new[0]);

	if (v6) {
		acc += ferry_csum_diff32(old[1], new[1]);
		acc += ferry_csum_diff32(old[2], new[2]);
		acc += ferry_csum_diff32(old[3], new[3]);
	}
	return acc;
}

static __always_inline __u16 ferry_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The checksum field check after the changes summed in acc. */
static __always_inline __u16 ferry_csum_apply(__u16 check, __u64 acc)
{
	return ~ferry_csum_fold((__u16)~check + acc);
}

#endif
