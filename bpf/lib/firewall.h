/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The stateful firewall, independent of the hook: takes a frame and the
 * interface it was seen on, returns the verdict reason (enum ferry_reason).
 * Packets of tracked flows and ICMP errors about them pass; new flows are
 * decided by the rules; everything else is dropped and counted.
 */
#ifndef FERRY_BPF_FIREWALL_H
#define FERRY_BPF_FIREWALL_H

#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include "ferry/layout.h"
#include "lib/maps.h"
#include "lib/clock.h"
#include "lib/parse.h"
#include "lib/ct.h"
#include "lib/policy.h"
#include "lib/vmindex.h"

/* The zone of a packet; with no zone configured (one tenant), no lookup. */
static __always_inline __u32 ferry_zone_of(const struct ferry_config *cfg,
					   __u32 ifindex, __u16 vlan)
{
	struct ferry_if_key k = { .ifindex = ifindex, .vlan = vlan };
	struct ferry_if_zone *z;

	if (!(cfg->flags & FERRY_CFG_F_ZONES))
		return FERRY_ZONE_DEFAULT;
	z = bpf_map_lookup_elem(&ferry_ifzones, &k);
	if (!z && vlan) {
		k.vlan = 0;
		z = bpf_map_lookup_elem(&ferry_ifzones, &k);
	}
	return z ? z->zone : FERRY_ZONE_DEFAULT;
}

static __always_inline void ferry_log_rule(const struct ferry_pkt *pkt,
					   const struct ferry_policy_ctx *pc,
					   __u32 ifindex, __u64 now)
{
	struct ferry_log_event *ev;

	ev = bpf_ringbuf_reserve(&ferry_log, sizeof(*ev), 0);
	if (!ev)
		return;
	ev->time_ns = now;
	ev->rule_id = pc->rule_id;
	ev->ifindex = ifindex;
	ev->zone = pc->zone;
	__builtin_memcpy(ev->saddr, pkt->t.saddr, 16);
	__builtin_memcpy(ev->daddr, pkt->t.daddr, 16);
	ev->sport = pkt->t.sport;
	ev->dport = pkt->t.dport;
	ev->family = pkt->t.family;
	ev->proto = pkt->t.proto;
	ev->action = pc->action;
	ev->pad = 0;
	bpf_ringbuf_submit(ev, 0);
}

/* An ICMP error passes if the packet it quotes belongs to a tracked flow. */
static __always_inline int ferry_related(const struct ferry_pkt *pkt,
					 struct ferry_work *w,
					 const struct ferry_config *cfg, __u32 zone,
					 __u64 now)
{
	struct ferry_flow *f;

	ferry_ct_key(&w->key, &pkt->inner, zone);
	f = bpf_map_lookup_elem(&ferry_ct, &w->key);
	if (!f || now > f->expires_ns || ferry_ct_pending(f, cfg))
		return FERRY_DROP_UNRELATED_ICMP;
	return FERRY_PASS_RELATED;
}

/* A packet that no live flow knows: the rules decide. */
static __always_inline int ferry_new_flow(struct ferry_pkt *pkt,
					  struct ferry_work *w, int src_lo,
					  __u32 zone, __u32 ifindex,
					  const struct ferry_config *cfg,
					  __u64 now, int replace)
{
	struct ferry_policy_ctx pc = { .pkt = pkt, .zone = zone };
	struct ferry_flow *f = (struct ferry_flow *)w->flow;
	long err;

	if (!ferry_ct_may_create(pkt))	/* a bare SYN, an ICMP query, ... */
		return FERRY_DROP_INVALID;

	ferry_policy_eval(&pc);
	if (pc.matched && (pc.flags & FERRY_RULE_F_LOG))
		ferry_log_rule(pkt, &pc, ifindex, now);
	if (!pc.matched)
		return FERRY_DROP_NO_RULE;
	if (pc.action != FERRY_ACT_ALLOW)
		return FERRY_DROP_RULE;

	__builtin_memset(f, 0, sizeof(*f));
	ferry_ct_init(f, src_lo, pkt, cfg, now, pc.rule_id);
	err = bpf_map_update_elem(&ferry_ct, &w->key, f,
				  replace ? BPF_ANY : BPF_NOEXIST);
	/* -EEXIST: another CPU created it just now; its first packet won.
	 * Any other failure (-E2BIG when full) means no state: drop. */
	if (err && err != -EEXIST)
		return FERRY_DROP_TABLE_FULL;
	if (!err)
		ferry_vm_note(w, cfg);
	return FERRY_PASS_NEW;
}

/*
 * Everything after parsing works on the parsed packet only. As a global
 * function it is verified once, independently of the parser's many paths
 * (VLANs, IPv4 options, IPv6 extension headers), which keeps the verifier's
 * work linear instead of multiplying the two.
 */
__attribute__((noinline))
int ferry_decide(struct ferry_pkt *pkt, __u32 ifindex)
{
	const struct ferry_config *cfg;
	struct ferry_work *w;
	struct ferry_flow *f;
	__u32 zero = 0, zone;
	__u64 now;
	int src_lo;

	if (!pkt)
		return FERRY_DROP_INVALID;
	cfg = bpf_map_lookup_elem(&ferry_config, &zero);
	w = bpf_map_lookup_elem(&ferry_work, &zero);
	if (!cfg || !w)
		return FERRY_DROP_INVALID;
	zone = ferry_zone_of(cfg, ifindex, pkt->vlan);
	now = ferry_now();

	if (pkt->icmp_error)
		return ferry_related(pkt, w, cfg, zone, now);

	src_lo = ferry_ct_key(&w->key, &pkt->t, zone);
	f = bpf_map_lookup_elem(&ferry_ct, &w->key);
	if (!f)
		return ferry_new_flow(pkt, w, src_lo, zone, ifindex, cfg, now, 0);
	/* Part of an import not yet complete: as if absent, but its key is
	 * taken, so nothing may be created in its place either. */
	if (ferry_ct_pending(f, cfg))
		return FERRY_DROP_INVALID;

	switch (ferry_ct_update(f, src_lo, pkt, cfg, now)) {
	case FERRY_CT_OK:
		return FERRY_PASS_ESTABLISHED;
	case FERRY_CT_OUT_OF_WINDOW:
		return FERRY_DROP_OUT_OF_WINDOW;
	case FERRY_CT_EXPIRED:
	case FERRY_CT_REOPEN:
		return ferry_new_flow(pkt, w, src_lo, zone, ifindex, cfg, now, 1);
	default:
		return FERRY_DROP_INVALID;
	}
}

/* The verdict reason for a frame; pkt (zeroed by the caller) gets what was
 * parsed of it. */
static __always_inline int ferry_firewall(void *data, void *data_end,
					  __u32 frame_len, __u32 ifindex,
					  struct ferry_pkt *pkt)
{
	switch (ferry_parse(data, data_end, frame_len, pkt)) {
	case FERRY_PARSE_OK:
		break;
	case FERRY_PARSE_NON_IP:
		return FERRY_PASS_NON_IP;
	case FERRY_PARSE_FRAGMENT:
		return FERRY_DROP_FRAGMENT;
	default:
		return FERRY_DROP_MALFORMED;
	}
	if (pkt->ndp)
		return FERRY_PASS_NDP;
	return ferry_decide(pkt, ifindex);
}

#endif
