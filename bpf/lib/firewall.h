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
#include "lib/nat.h"

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

/*
 * An ICMP error passes if the packet it quotes belongs to a tracked flow,
 * quoted as seen on either side of the flow's translation.
 */
static __always_inline int ferry_related(struct ferry_pkt *pkt,
					 struct ferry_work *w,
					 const struct ferry_config *cfg, __u32 zone,
					 __u64 now)
{
	struct ferry_flow_key *k = &w->key;
	struct ferry_flow *f;
	int src_lo, dir;

	src_lo = ferry_ct_key(&w->key, &pkt->inner, zone);
	f = bpf_map_lookup_elem(&ferry_ct, &w->key);
	if (!f) {
		f = ferry_nat_find(w, &w->key);
		if (!f)
			return FERRY_DROP_UNRELATED_ICMP;
		k = &w->okey;
		dir = ferry_nat_dir_x(f, &pkt->inner);
	} else {
		dir = src_lo == f->orig_lo ? FERRY_DIR_ORIG : FERRY_DIR_REPLY;
	}
	if (now > f->expires_ns || ferry_ct_pending(f, cfg))
		return FERRY_DROP_UNRELATED_ICMP;
	if (f->nat.kind) {
		ferry_nat_plan_error(pkt, w, f, k, dir, k == &w->okey);
		pkt->nat = FERRY_NAT_PLANNED;
	}
	return FERRY_PASS_RELATED;
}

/* ferry_decide(): a new flow is allowed, ferry_commit() creates it. */
#define FERRY_NEW_COMMIT	0x100
/* ferry_decide(): an imported flow's side to resynchronise first. */
#define FERRY_NEED_RESYNC	0x200

/* A packet that no live flow knows: the rules decide. */
static __always_inline int ferry_new_flow(struct ferry_pkt *pkt,
					  struct ferry_work *w, int src_lo,
					  __u32 zone, __u32 ifindex,
					  const struct ferry_config *cfg,
					  __u64 now, int replace)
{
	struct ferry_policy_ctx pc = { .pkt = pkt, .zone = zone };
	struct ferry_flow *f = (struct ferry_flow *)w->flow;

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
	w->zone = zone;
	w->replace = replace;
	w->cfg_flags = cfg->flags;
	return FERRY_NEW_COMMIT;
}

/*
 * The second half of a new flow allowed by ferry_decide(): its NAT binding
 * (policy saw the destination the client addressed, pre-DNAT) and its
 * entry. A global function of its own, called from the entry program, so
 * that its stack does not add to ferry_decide()'s.
 */
__attribute__((noinline))
int ferry_commit(struct ferry_pkt *pkt)
{
	struct ferry_work *w;
	struct ferry_flow *f;
	__u32 zero = 0;
	int err, ret;	/* int: before 6.4, map updates' upper 32 bits are not the sign */

	w = bpf_map_lookup_elem(&ferry_work, &zero);
	if (!pkt || !w)
		return FERRY_DROP_INVALID;
	f = (struct ferry_flow *)w->flow;
	ret = ferry_nat_bind(pkt, w, w->zone);
	if (ret != FERRY_PASS_NEW)
		return ret;
	err = bpf_map_update_elem(&ferry_ct, &w->key, f,
				  w->replace ? BPF_ANY : BPF_NOEXIST);
	if (err && f->nat.kind)	/* give the claimed translation back */
		bpf_map_delete_elem(&ferry_nat_rev, &w->rkey);
	/* -EEXIST: another CPU created it just now; its first packet won
	 * (with a translation, ours is void: drop, the next packet finds
	 * the flow). Any other failure (-E2BIG when full) means no state. */
	if (err == -EEXIST)
		return f->nat.kind ? FERRY_DROP_INVALID : FERRY_PASS_NEW;
	if (err)
		return FERRY_DROP_TABLE_FULL;
	ferry_vm_note(w, &f->nat);
	if (f->nat.kind) {
		ferry_nat_plan(&w->xo, f, &w->key, FERRY_DIR_ORIG, 0);
		pkt->nat = FERRY_NAT_PLANNED;
	}
	return FERRY_PASS_NEW;
}

/*
 * The first segment from one side of an imported TCP flow, after
 * ferry_decide() found it (lib/tcp.h ferry_tcp_resync()): the side takes
 * its position from it, and ferry_decide() then checks it as any other.
 * A global function of its own, off ferry_decide()'s stack, which 6.1
 * counts with the entry's and the rule loop's against 512 bytes.
 */
__attribute__((noinline))
int ferry_resync(struct ferry_pkt *pkt)
{
	struct ferry_work *w;
	struct ferry_flow *f;
	__u32 zero = 0;

	w = bpf_map_lookup_elem(&ferry_work, &zero);
	if (!pkt || !w)
		return 0;
	f = bpf_map_lookup_elem(&ferry_ct, w->resync_xside ? &w->okey : &w->key);
	if (!f)
		return 0;
	bpf_spin_lock(&f->lock);
	if (ferry_tcp_wants_resync(f, w->resync_dir, pkt))
		ferry_tcp_resync(f, w->resync_dir, pkt);
	bpf_spin_unlock(&f->lock);
	return 0;
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
	struct ferry_flow_key *k;
	struct ferry_flow *f;
	__u32 zero = 0, zone;
	int src_lo, xside, dir;
	__u64 now;

	if (!pkt)
		return FERRY_DROP_INVALID;
	cfg = bpf_map_lookup_elem(&ferry_config, &zero);
	w = bpf_map_lookup_elem(&ferry_work, &zero);
	if (!cfg || !w)
		return FERRY_DROP_INVALID;
	zone = ferry_zone_of(cfg, ifindex, pkt->vlan);
	now = ferry_now();

	src_lo = ferry_ct_key(&w->key, &pkt->t, zone);
	f = bpf_map_lookup_elem(&ferry_ct, &w->key);
	xside = 0;
	k = &w->key;
	if (!f) {
		/* the translated side of a NAT flow? */
		f = ferry_nat_find(w, &w->key);
		if (!f)
			return ferry_new_flow(pkt, w, src_lo, zone, ifindex, cfg,
					      now, 0);
		xside = 1;
		k = &w->okey;
	}
	/* Part of an import not yet complete: as if absent, but its key is
	 * taken, so nothing may be created in its place either. */
	if (ferry_ct_pending(f, cfg))
		return FERRY_DROP_INVALID;

	if (xside)
		dir = ferry_nat_dir_x(f, &pkt->t);
	else
		dir = src_lo == f->orig_lo ? FERRY_DIR_ORIG : FERRY_DIR_REPLY;
	/* An imported side's first segment (read without the lock: ferry_resync()
	 * looks again under it). */
	if (pkt->t.proto == IPPROTO_TCP && ferry_tcp_wants_resync(f, dir, pkt)) {
		w->resync_dir = dir;
		w->resync_xside = xside;
		return FERRY_NEED_RESYNC;
	}
	switch (ferry_ct_update(f, dir == FERRY_DIR_ORIG ? f->orig_lo : !f->orig_lo,
				pkt, cfg, now)) {
	case FERRY_CT_OK:
		if (f->nat.kind) {
			/* planned by the rewrite: less stack here */
			w->nat_dir = dir;
			w->nat_xside = xside;
			pkt->nat = FERRY_NAT_FROM_FLOW;
		}
		return FERRY_PASS_ESTABLISHED;
	case FERRY_CT_OUT_OF_WINDOW:
		return FERRY_DROP_OUT_OF_WINDOW;
	case FERRY_CT_EXPIRED:
	case FERRY_CT_REOPEN:
		/* The old flow goes with its translation; the packet starts
		 * a flow of its own key. */
		ferry_nat_forget(w, f, k);
		if (xside)
			bpf_map_delete_elem(&ferry_ct, &w->okey);
		return ferry_new_flow(pkt, w, src_lo, zone, ifindex, cfg, now,
				      !xside);
	default:
		return FERRY_DROP_INVALID;
	}
}

/*
 * An ICMP error: its own global function, called from the entry, so that
 * the NAT lookup of its quote adds nothing to ferry_decide()'s stack
 * (which 6.1 counts with the entry's and bpf_loop's against 512 bytes).
 */
__attribute__((noinline))
int ferry_decide_related(struct ferry_pkt *pkt, __u32 ifindex)
{
	const struct ferry_config *cfg;
	struct ferry_work *w;
	__u32 zero = 0;

	if (!pkt)
		return FERRY_DROP_INVALID;
	cfg = bpf_map_lookup_elem(&ferry_config, &zero);
	w = bpf_map_lookup_elem(&ferry_work, &zero);
	if (!cfg || !w)
		return FERRY_DROP_INVALID;
	return ferry_related(pkt, w, cfg, ferry_zone_of(cfg, ifindex, pkt->vlan),
			     ferry_now());
}

/* The verdict reason for a frame; pkt (zeroed by the caller) gets what was
 * parsed of it. */
static __always_inline int ferry_firewall(void *data, void *data_end,
					  __u32 frame_len, __u32 ifindex,
					  struct ferry_pkt *pkt)
{
	int ret;

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
	if (pkt->icmp_error)
		return ferry_decide_related(pkt, ifindex);
	ret = ferry_decide(pkt, ifindex);
	if (ret == FERRY_NEED_RESYNC) {
		ferry_resync(pkt);
		ret = ferry_decide(pkt, ifindex);
	}
	if (ret == FERRY_NEW_COMMIT)
		ret = ferry_commit(pkt);
	return ret;
}

#endif
