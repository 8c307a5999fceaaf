/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Verdict reasons, counted per CPU in the stats map. */
#ifndef FERRY_STATS_H
#define FERRY_STATS_H

#include <linux/types.h>

enum ferry_reason {
	FERRY_PASS_ESTABLISHED = 0,	/* packet of a tracked flow */
	FERRY_PASS_NEW,			/* new flow allowed by a rule */
	FERRY_PASS_RELATED,		/* ICMP error about a tracked flow */
	FERRY_PASS_NON_IP,		/* ARP and other non-IP frames */
	FERRY_PASS_NDP,			/* IPv6 neighbour discovery / MLD */
	FERRY_DROP_NO_RULE,		/* new flow, no rule matched: default deny */
	FERRY_DROP_RULE,		/* new flow, a deny rule matched */
	FERRY_DROP_INVALID,		/* not valid for the flow's state */
	FERRY_DROP_OUT_OF_WINDOW,	/* TCP sequence/ack outside the window */
	FERRY_DROP_TABLE_FULL,		/* new flow, no room in the table */
	FERRY_DROP_MALFORMED,		/* truncated or inconsistent headers */
	FERRY_DROP_FRAGMENT,		/* IP fragment (not reassembled) */
	FERRY_DROP_UNRELATED_ICMP,	/* ICMP error about no tracked flow */
	FERRY_DROP_NAT_EXHAUSTED,	/* new flow, no free SNAT port (or DNAT tuple taken) */
	FERRY_DROP_NAT_HAIRPIN,		/* new flow to a DNAT forward from its own inside */
	FERRY_REASON_MAX,
};

struct ferry_stat {
	__u64 packets;
	__u64 bytes;
};

/* Ring buffer record for rules with FERRY_RULE_F_LOG. */
struct ferry_log_event {
	__u64 time_ns;
	__u32 rule_id;
	__u32 ifindex;
	__u32 zone;
	__u8  saddr[16];
	__u8  daddr[16];
	__be16 sport;
	__be16 dport;
	__u8  family;
	__u8  proto;
	__u8  action;
	__u8  pad;
};

#endif
