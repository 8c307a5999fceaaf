/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Policy for new flows: the ordered rules of the active rule set, first
 * match wins, default deny. The rule set is an inner map of
 * ferry_rulesets; userspace swaps in a complete new one, so a packet sees
 * either the old rules or the new ones, never a mix.
 */
#ifndef FERRY_BPF_POLICY_H
#define FERRY_BPF_POLICY_H

#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ferry/layout.h"
#include "lib/maps.h"
#include "lib/parse.h"

struct ferry_policy_ctx {
	const struct ferry_pkt *pkt;
	__u32 zone;
	__u32 count;
	/* result: the first matching rule, if matched */
	__u32 matched;
	__u32 rule_id;
	__u8  action;
	__u8  flags;
};

static __always_inline int ferry_addr_match(const __u32 *addr, const __u32 *net,
					    const __u32 *mask)
{
	return (addr[0] & mask[0]) == net[0] && (addr[1] & mask[1]) == net[1] &&
	       (addr[2] & mask[2]) == net[2] && (addr[3] & mask[3]) == net[3];
}

static __always_inline int ferry_rule_match(const struct ferry_rule *r,
					    const struct ferry_pkt *pkt,
					    __u32 zone)
{
	const struct ferry_tuple *t = &pkt->t;
	__u16 port;

	if (r->zone != FERRY_ZONE_ANY && r->zone != zone)
		return 0;
	if (r->family && r->family != t->family)
		return 0;
	if (r->proto && r->proto != t->proto)
		return 0;
	if (!ferry_addr_match(t->saddr, r->src, r->src_mask) ||
	    !ferry_addr_match(t->daddr, r->dst, r->dst_mask))
		return 0;
	if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) {
		port = bpf_ntohs(t->sport);
		if (port < r->sport_lo || port > r->sport_hi)
			return 0;
		port = bpf_ntohs(t->dport);
		if (port < r->dport_lo || port > r->dport_hi)
			return 0;
	} else if (t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6) {
		if ((r->flags & FERRY_RULE_F_ICMP_TYPE) &&
		    r->icmp_type != pkt->icmp_type)
			return 0;
		if ((r->flags & FERRY_RULE_F_ICMP_CODE) &&
		    r->icmp_code != pkt->icmp_code)
			return 0;
	}
	return 1;
}

static long ferry_policy_step(__u32 i, void *data)
{
	struct ferry_policy_ctx *ctx = data;
	__u32 zero = 0, idx = i + 1;
	const struct ferry_rule *r;
	void *rules;

	if (idx > ctx->count)
		return 1;
	rules = bpf_map_lookup_elem(&ferry_rulesets, &zero);
	if (!rules)
		return 1;
	r = bpf_map_lookup_elem(rules, &idx);
	if (!r)
		return 1;
	if (!ferry_rule_match(r, ctx->pkt, ctx->zone))
		return 0;
	ctx->matched = 1;
	ctx->rule_id = r->id;
	ctx->action = r->action;
	ctx->flags = r->flags;
	return 1;
}

/* Evaluate the rules for pkt; ctx->matched is 0 when none matched. */
static __always_inline void ferry_policy_eval(struct ferry_policy_ctx *ctx)
{
	const struct ferry_ruleset_hdr *hdr;
	__u32 zero = 0;
	void *rules;

	ctx->matched = 0;
	rules = bpf_map_lookup_elem(&ferry_rulesets, &zero);
	if (!rules)
		return;
	hdr = bpf_map_lookup_elem(rules, &zero);
	if (!hdr || !hdr->count)
		return;
	ctx->count = hdr->count;
	bpf_loop(FERRY_MAX_RULES, ferry_policy_step, ctx, 0);
}

#endif
