/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The policy for new flows, evaluated in userspace exactly as the datapath
 * does (bpf/lib/policy.h): first matching rule wins, no match is deny. An
 * import re-checks every flow it is handed against the local rules with it,
 * as if the flow were new.
 */
#ifndef FERRY_POLICY_H
#define FERRY_POLICY_H

#include "ferry/layout.h"

/* The first packet of a flow, as the rules see it. */
struct ferry_policy_pkt {
	__u32 zone;
	__u8  family;		/* FERRY_AF_INET / FERRY_AF_INET6 */
	__u8  proto;
	__u8  icmp_type;	/* ICMP/ICMPv6 only */
	__u8  icmp_code;
	__u8  saddr[16];	/* network order; IPv4 in the first 4 bytes */
	__u8  daddr[16];
	__u16 sport;		/* host order; TCP/UDP only */
	__u16 dport;
};

/* Does rule r match the new flow p? */
int ferry_rule_matches(const struct ferry_rule *r,
		       const struct ferry_policy_pkt *p);

/* The first of rules[0..n) that matches p, or NULL (default deny). */
const struct ferry_rule *ferry_policy_first(const struct ferry_rule *rules,
					    __u32 n,
					    const struct ferry_policy_pkt *p);

/* 1 if the rules allow a new flow p, 0 if they deny it. */
int ferry_policy_allows(const struct ferry_rule *rules, __u32 n,
			const struct ferry_policy_pkt *p);

#endif
