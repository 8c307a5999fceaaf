// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>
#include <netinet/in.h>
#include "policy.h"

static int addr_matches(const __u8 *addr, const __u32 *net, const __u32 *mask)
{
	__u32 a[4];
	int i;

	memcpy(a, addr, sizeof(a));
	for (i = 0; i < 4; i++)
		if ((a[i] & mask[i]) != net[i])
			return 0;
	return 1;
}

int ferry_rule_matches(const struct ferry_rule *r,
		       const struct ferry_policy_pkt *p)
{
	if (r->zone != FERRY_ZONE_ANY && r->zone != p->zone)
		return 0;
	if (r->family && r->family != p->family)
		return 0;
	if (r->proto && r->proto != p->proto)
		return 0;
	if (!addr_matches(p->saddr, r->src, r->src_mask) ||
	    !addr_matches(p->daddr, r->dst, r->dst_mask))
		return 0;
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)
		return p->sport >= r->sport_lo && p->sport <= r->sport_hi &&
		       p->dport >= r->dport_lo && p->dport <= r->dport_hi;
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		if ((r->flags & FERRY_RULE_F_ICMP_TYPE) && r->icmp_type != p->icmp_type)
			return 0;
		if ((r->flags & FERRY_RULE_F_ICMP_CODE) && r->icmp_code != p->icmp_code)
			return 0;
	}
	return 1;
}

const struct ferry_rule *ferry_policy_first(const struct ferry_rule *rules,
					    __u32 n,
					    const struct ferry_policy_pkt *p)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (ferry_rule_matches(&rules[i], p))
			return &rules[i];
	return NULL;
}

int ferry_policy_allows(const struct ferry_rule *rules, __u32 n,
			const struct ferry_policy_pkt *p)
{
	const struct ferry_rule *r = ferry_policy_first(rules, n, p);

	return r && r->action == FERRY_ACT_ALLOW;
}
