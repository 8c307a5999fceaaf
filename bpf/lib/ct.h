/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Connection tracking: canonical keys, lookup, creation, per-packet update. */
#ifndef FERRY_BPF_CT_H
#define FERRY_BPF_CT_H

#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ferry/layout.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/tcp.h"

/*
 * Order of two endpoints: address bytes compared lexicographically, then
 * the port as a number. Returns 1 if (a, ap) sorts after (b, bp).
 */
static __always_inline int ferry_endpoint_after(const __u32 *a, __be16 ap,
						const __u32 *b, __be16 bp)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		__u32 x = bpf_ntohl(a[i]), y = bpf_ntohl(b[i]);

		if (x != y)
			return x > y;
	}
	return bpf_ntohs(ap) > bpf_ntohs(bp);
}

/*
 * Canonical key of a tuple. Returns 1 if the tuple's source is the key's
 * lower endpoint.
 */
static __always_inline int ferry_ct_key(struct ferry_flow_key *k,
					const struct ferry_tuple *t, __u32 zone)
{
	int src_lo = !ferry_endpoint_after(t->saddr, t->sport, t->daddr, t->dport);

	k->zone = zone;
	k->proto = t->proto;
	k->family = t->family;
	k->pad[0] = 0;
	k->pad[1] = 0;
	if (src_lo) {
		__builtin_memcpy(k->addr_lo, t->saddr, 16);
		__builtin_memcpy(k->addr_hi, t->daddr, 16);
		k->port_lo = t->sport;
		k->port_hi = t->dport;
	} else {
		__builtin_memcpy(k->addr_lo, t->daddr, 16);
		__builtin_memcpy(k->addr_hi, t->saddr, 16);
		k->port_lo = t->dport;
		k->port_hi = t->sport;
	}
	return src_lo;
}

static __always_inline __u64 ferry_timeout(const struct ferry_config *cfg,
					   __u8 state)
{
	return cfg->timeout_ns[state & 15];
}

/* Pseudo-state of connectionless protocols. */
static __always_inline __u8 ferry_ct_initial_state(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return FERRY_TCP_SYN_SENT;
	case IPPROTO_UDP:
		return FERRY_UDP_UNREPLIED;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return FERRY_ICMP_UNREPLIED;
	default:
		return FERRY_OTHER_UNREPLIED;
	}
}

/* May this packet open a flow? TCP: a bare SYN; ICMP: a query. */
static __always_inline int ferry_ct_may_create(const struct ferry_pkt *pkt)
{
	__u8 type = pkt->icmp_type;

	switch (pkt->t.proto) {
	case IPPROTO_TCP:
		return (pkt->tcp_flags & (FERRY_TCP_SYN | FERRY_TCP_ACK |
					  FERRY_TCP_RST | FERRY_TCP_FIN)) ==
		       FERRY_TCP_SYN;
	case IPPROTO_ICMP:
		return type == ICMP_ECHO || type == ICMP_TIMESTAMP ||
		       type == ICMP_INFO_REQUEST || type == ICMP_ADDRESS;
	case IPPROTO_ICMPV6:
		return type == 128 /* echo request */ || type == 139 /* node info */;
	default:
		return 1;
	}
}

/* A reply to an ICMP query must be the matching reply type. */
static __always_inline int ferry_icmp_reply_ok(const struct ferry_pkt *pkt,
					       int dir)
{
	__u8 type = pkt->icmp_type;

	if (pkt->t.proto == IPPROTO_ICMP) {
		if (dir == FERRY_DIR_ORIG)
			return ferry_ct_may_create(pkt);
		return type == ICMP_ECHOREPLY || type == ICMP_TIMESTAMPREPLY ||
		       type == ICMP_INFO_REPLY || type == ICMP_ADDRESSREPLY;
	}
	if (dir == FERRY_DIR_ORIG)
		return ferry_ct_may_create(pkt);
	return type == 129 /* echo reply */ || type == 140 /* node info reply */;
}

static __always_inline int ferry_ct_unreplied(__u8 state)
{
	return state == FERRY_UDP_UNREPLIED || state == FERRY_ICMP_UNREPLIED ||
	       state == FERRY_OTHER_UNREPLIED;
}

/*
 * An entry of an import batch that is not complete yet: the datapath acts
 * as if it did not exist until the importer makes the whole batch visible
 * at once (ferry_config.import_gen), so it never uses half a batch.
 */
static __always_inline int ferry_ct_pending(const struct ferry_flow *f,
					    const struct ferry_config *cfg)
{
	return f->import_gen > cfg->import_gen;
}

enum ferry_ct_result {
	FERRY_CT_OK = 0,
	FERRY_CT_INVALID,
	FERRY_CT_OUT_OF_WINDOW,
	FERRY_CT_EXPIRED,	/* entry is stale: treat the packet as new */
	FERRY_CT_REOPEN,	/* TCP tuple reused after close: new flow */
};

/* Account pkt to the tracked flow f, moving its state. */
static __always_inline int ferry_ct_update(struct ferry_flow *f, int src_lo,
					   const struct ferry_pkt *pkt,
					   const struct ferry_config *cfg,
					   __u64 now)
{
	int ret = FERRY_CT_OK, dir;
	__u8 state;

	bpf_spin_lock(&f->lock);
	dir = src_lo == f->orig_lo ? FERRY_DIR_ORIG : FERRY_DIR_REPLY;
	if (now > f->expires_ns) {
		ret = FERRY_CT_EXPIRED;
		goto out_unlock;
	}
	state = f->state;
	switch (pkt->t.proto) {
	case IPPROTO_TCP:
		switch (ferry_tcp_update(f, dir, pkt)) {
		case FERRY_TCP_ACCEPT:
			break;
		case FERRY_TCP_REOPEN:
			ret = FERRY_CT_REOPEN;
			goto out_unlock;
		case FERRY_TCP_OUT_OF_WINDOW:
			ret = FERRY_CT_OUT_OF_WINDOW;
			goto out_unlock;
		default:
			ret = FERRY_CT_INVALID;
			goto out_unlock;
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!ferry_icmp_reply_ok(pkt, dir)) {
			ret = FERRY_CT_INVALID;
			goto out_unlock;
		}
		/* fall through */
	default:
		if (dir == FERRY_DIR_REPLY && ferry_ct_unreplied(state)) {
			f->state = state + 1;	/* X_UNREPLIED -> X_REPLIED */
			f->flags |= FERRY_FLOW_F_SEEN_REPLY | FERRY_FLOW_F_ASSURED;
		}
		break;
	}
	f->packets[dir & 1]++;
	f->bytes[dir & 1] += pkt->l3_len;
	f->last_seen_ns = now;
	f->expires_ns = now + ferry_timeout(cfg, f->state);
out_unlock:
	bpf_spin_unlock(&f->lock);
	return ret;
}

/* Fill a new flow for pkt, whose source is the originator. */
static __always_inline void ferry_ct_init(struct ferry_flow *f, int src_lo,
					  const struct ferry_pkt *pkt,
					  const struct ferry_config *cfg,
					  __u64 now, __u32 rule_id)
{
	f->orig_lo = src_lo;
	f->state = ferry_ct_initial_state(pkt->t.proto);
	if (pkt->t.proto == IPPROTO_TCP)
		ferry_tcp_new(f, pkt);
	f->created_ns = now;
	f->last_seen_ns = now;
	f->expires_ns = now + ferry_timeout(cfg, f->state);
	f->packets[FERRY_DIR_ORIG] = 1;
	f->bytes[FERRY_DIR_ORIG] = pkt->l3_len;
	f->rule_id = rule_id;
}

#endif
