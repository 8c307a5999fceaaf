/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Network address translation: the binding kept in a flow, the reverse map
 * that finds a flow from its translated side, and the SNAT pools and DNAT
 * forwards configured by userspace. docs/nat.md describes the design.
 */
#ifndef FERRY_NAT_H
#define FERRY_NAT_H

#include <linux/types.h>

/* ferry_nat.kind: which endpoints of the original direction are rewritten. */
#define FERRY_NAT_SNAT		0x01	/* source: address and port from a pool */
#define FERRY_NAT_DNAT		0x02	/* destination: a forward's backend */

/*
 * A flow's translation, part of struct ferry_flow. The flow stays keyed by
 * its original tuple (as the originator sent it); here is the original
 * direction's tuple as it leaves the firewall. Endpoint "s" (the
 * originator) is seen as saddr:sport on the translated side, endpoint "d"
 * as daddr:dport; every packet of the flow gets one side's endpoints
 * replaced by the other side's. For ICMP echo both ports are the
 * (translated) identifier. kind 0: no translation, the rest is zero.
 */
struct ferry_nat {
	__u8  kind;		/* FERRY_NAT_* bits */
	__u8  pad[3];
	__be16 sport;
	__be16 dport;
	__u8  saddr[16];
	__u8  daddr[16];
};

/*
 * ferry_nat_rev: canonical key (struct ferry_flow_key) of a flow's
 * translated tuple -> its ferry_ct key. Inserted with BPF_NOEXIST, so an
 * entry is also the claim on a pool port. An entry whose flow is gone or
 * does not point back is an orphan, ignored and deleted when met.
 */

/* ferry_nat_pools key: one SNAT pool per zone and family. */
struct ferry_nat_pool_key {
	__u32 zone;
	__u8  family;		/* FERRY_AF_INET or FERRY_AF_INET6 */
	__u8  pad[3];
};

/*
 * naddrs consecutive addresses from addr (counted in the address's last 32
 * bits) x ports port_lo..port_hi. New flows of the zone whose source is in
 * src/src_plen (and not a pool address) are translated.
 */
struct ferry_nat_pool {
	__u8  addr[16];
	__u8  src[16];
	__u32 naddrs;		/* 1.. */
	__u16 port_lo;		/* host order, inclusive, 1..65535 */
	__u16 port_hi;
	__u8  src_plen;		/* 0: every source */
	__u8  pad[7];
};

#define FERRY_NAT_BACKENDS_MAX	16

/* ferry_nat_fwds key: what the client addresses. */
struct ferry_nat_fwd_key {
	__u32 zone;
	__u8  addr[16];
	__be16 port;
	__u8  proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8  family;
};

struct ferry_nat_backend {
	__u8  addr[16];
	__be16 port;
	__u8  pad[2];
};

/* A forward: each new flow gets one backend, by hash of its source. */
struct ferry_nat_fwd {
	__u32 nbackends;	/* 1..FERRY_NAT_BACKENDS_MAX */
	__u32 pad;
	struct ferry_nat_backend be[FERRY_NAT_BACKENDS_MAX];
};

/* SNAT port search: this many tries before the pool counts as exhausted. */
#define FERRY_NAT_TRIES		32

#endif
