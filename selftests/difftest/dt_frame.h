/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Frames for the conntrack differential test: Ethernet + IPv4/IPv6 + TCP,
 * UDP, ICMP echo or ICMP error, with valid checksums (nf_conntrack checks
 * them; Ferry does not). A small adapter over the shared packet builder
 * (selftests/lib/pktbuild.h) that adds what the test needs: binary
 * addresses and chosen MAC addresses (the router namespace only accepts
 * frames sent to its own port's MAC).
 */
#ifndef DT_FRAME_H
#define DT_FRAME_H

#include <stddef.h>
#include <linux/types.h>

#define DT_FRAME_MAX	1600

/* One endpoint: address family (AF_INET/AF_INET6), address, MAC. */
struct dt_host {
	int family;
	__u8 ip[16];	/* IPv4 in the first 4 bytes */
	__u8 mac[6];
};

/* The L4 part of a packet. */
struct dt_l4 {
	__u8  proto;		/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	__u16 sport;		/* host order; ICMP echo: the identifier */
	__u16 dport;
	__u8  tcp_flags;
	__u32 seq;
	__u32 ack;
	__u16 win;
	__u8  icmp_type;
	__u8  icmp_code;
	__u16 icmp_seq;
	__u16 payload_len;	/* bytes of payload (a fixed pattern) */
	const __u8 *quote;	/* ICMP error: the quoted IP packet */
	__u16 quote_len;
};

/*
 * Build the IP packet src -> dst carrying l4 into buf. Returns its length,
 * or -EINVAL/-ENOSPC.
 */
int dt_build_ip(__u8 *buf, size_t cap, const struct dt_host *src,
		const struct dt_host *dst, const struct dt_l4 *l4);

/*
 * The same with an Ethernet header in front, from MAC smac to dmac.
 * Returns the frame's length or -errno.
 */
int dt_build_frame(__u8 *buf, size_t cap, const __u8 *smac, const __u8 *dmac,
		   const struct dt_host *src, const struct dt_host *dst,
		   const struct dt_l4 *l4);

#endif
