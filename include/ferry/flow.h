/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Connection tracking: flow key, per-direction TCP window state, entry. */
#ifndef FERRY_FLOW_H
#define FERRY_FLOW_H

#include <linux/types.h>
#include <linux/bpf.h>
#include "ferry/nat.h"

/*
 * One entry per connection, found from either direction: the key is
 * canonical, its lower endpoint (address, then port, compared as bytes) is
 * stored first. Which of the two endpoints opened the connection is kept in
 * the entry (ferry_flow.orig_lo). IPv4 addresses use the first 4 bytes of
 * the 16-byte fields, the rest is zero. For ICMP echo both ports hold the
 * echo identifier; for protocols without ports both are zero.
 */
struct ferry_flow_key {
	__u32 zone;
	__u8  addr_lo[16];
	__u8  addr_hi[16];
	__be16 port_lo;
	__be16 port_hi;
	__u8  proto;
	__u8  family;
	__u8  pad[2];
};

/* Connection states; TCP ones follow netfilter's nf_conntrack_tcp. */
enum ferry_ct_state {
	FERRY_CT_NONE = 0,
	FERRY_TCP_SYN_SENT,
	FERRY_TCP_SYN_RECV,
	FERRY_TCP_ESTABLISHED,
	FERRY_TCP_FIN_WAIT,
	FERRY_TCP_CLOSE_WAIT,
	FERRY_TCP_LAST_ACK,
	FERRY_TCP_TIME_WAIT,
	FERRY_TCP_CLOSE,
	FERRY_TCP_SYN_SENT2,	/* simultaneous open: SYN seen both ways */
	FERRY_UDP_UNREPLIED,
	FERRY_UDP_REPLIED,
	FERRY_ICMP_UNREPLIED,
	FERRY_ICMP_REPLIED,
	FERRY_OTHER_UNREPLIED,
	FERRY_OTHER_REPLIED,
	FERRY_CT_STATE_MAX,
};

/* Direction of a packet relative to the connection's originator. */
enum ferry_dir {
	FERRY_DIR_ORIG = 0,
	FERRY_DIR_REPLY = 1,
};

/* Window tracking of one side (the sender of a direction), as in
 * "Real Stateful TCP Packet Filtering in IP Filter" (Rooij). */
struct ferry_tcp_peer {
	__u32 end;	/* highest seq + len sent */
	__u32 maxend;	/* highest ack + window seen from the peer */
	__u32 maxwin;	/* largest (scaled) window advertised */
	__u32 maxack;	/* highest ack this side sent, if F_MAXACK */
	__u8  wscale;	/* window scale this side announced */
	__u8  flags;	/* FERRY_TCP_F_* */
	__u8  pad[2];
};

#define FERRY_TCP_F_WSCALE	0x01	/* this side announced a window scale */
#define FERRY_TCP_F_SEEN	0x02	/* this side has sent a packet */
#define FERRY_TCP_F_MAXACK	0x04	/* maxack is set */
#define FERRY_TCP_F_RESYNC	0x08	/* installed from a copy: this side's next
					 * segment re-learns its position */

/* ferry_flow.flags */
#define FERRY_FLOW_F_SEEN_REPLY	0x01	/* a packet went the reply way */
#define FERRY_FLOW_F_ASSURED	0x02	/* established in both directions */
#define FERRY_FLOW_F_IMPORTED	0x04	/* installed by an import */

struct ferry_flow {
	struct bpf_spin_lock lock;	/* guards everything below */
	__u8  state;		/* enum ferry_ct_state */
	__u8  orig_lo;		/* 1: the key's lower endpoint opened it */
	__u8  flags;		/* FERRY_FLOW_F_* */
	__u8  pad;
	__u64 created_ns;	/* CLOCK_MONOTONIC */
	__u64 last_seen_ns;	/* CLOCK_MONOTONIC */
	__u64 expires_ns;	/* CLOCK_MONOTONIC; last_seen + timeout(state) */
	__u64 packets[2];	/* indexed by enum ferry_dir */
	__u64 bytes[2];
	struct ferry_tcp_peer tcp[2];	/* indexed by enum ferry_dir */
	__u32 rule_id;		/* rule that allowed the first packet */
	__u32 import_gen;	/* imported in batch N: invisible to the datapath
				 * until ferry_config.import_gen reaches N */
	struct ferry_nat nat;	/* translation; set at creation, then fixed */
};

#endif
