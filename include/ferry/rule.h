/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Policy rules for new flows, compiled by userspace. */
#ifndef FERRY_RULE_H
#define FERRY_RULE_H

#include <linux/types.h>

#define FERRY_MAX_RULES		4096

enum ferry_action {
	FERRY_ACT_DENY = 0,
	FERRY_ACT_ALLOW = 1,
};

#define FERRY_RULE_F_LOG	0x01	/* emit an event when the rule matches */
#define FERRY_RULE_F_ICMP_TYPE	0x02	/* icmp_type must match */
#define FERRY_RULE_F_ICMP_CODE	0x04	/* icmp_code must match */

/*
 * One rule. Addresses are network order with a precomputed mask (a zero
 * mask matches everything); ports are host order, inclusive ranges, and
 * apply to TCP and UDP only. family and proto of 0 match everything.
 */
struct ferry_rule {
	__u32 id;
	__u32 zone;		/* FERRY_ZONE_ANY matches every zone */
	__u32 src[4];
	__u32 src_mask[4];
	__u32 dst[4];
	__u32 dst_mask[4];
	__u16 sport_lo;
	__u16 sport_hi;
	__u16 dport_lo;
	__u16 dport_hi;
	__u8  family;
	__u8  proto;
	__u8  action;		/* enum ferry_action */
	__u8  flags;		/* FERRY_RULE_F_* */
	__u8  icmp_type;
	__u8  icmp_code;
	__u8  pad[6];
};

/* Entry 0 of every rule-set map: how many rules follow it. */
struct ferry_ruleset_hdr {
	__u32 count;
	__u32 generation;
};

#endif
