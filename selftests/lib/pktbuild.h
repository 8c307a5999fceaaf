/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A packet builder for datapath tests: Ethernet frames with optional VLAN
 * tags, IPv4 (options, fragment fields) or IPv6 (extension headers),
 * carrying TCP, UDP, ICMP/ICMPv6 or any other protocol, with correct IP and
 * L4 checksums. Describe the packet in a struct pkt_spec (zero means a
 * sensible default) and call pkt_build():
 *
 *	struct pkt_spec s = {
 *		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
 *		.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
 *		.tcp_flags = PKT_TCP_SYN, .seq = 1000,
 *	};
 *	int len = pkt_build(&s, buf, sizeof(buf));
 *
 * An ICMP error quotes a packet built with pkt_build_l3() as its payload.
 */
#ifndef FERRY_PKTBUILD_H
#define FERRY_PKTBUILD_H

#include <stddef.h>
#include <linux/types.h>

#define PKT_MAX_VLAN	4
#define PKT_MAX_EXT	8
#define PKT_MAX_LEN	4096

/* TCP flags (byte 13 of the header). */
#define PKT_TCP_FIN	0x01
#define PKT_TCP_SYN	0x02
#define PKT_TCP_RST	0x04
#define PKT_TCP_PSH	0x08
#define PKT_TCP_ACK	0x10
#define PKT_TCP_URG	0x20

/* TCP options to emit (pkt_spec.tcp_opts), in this order. */
#define PKT_OPT_MSS	0x01	/* pkt_spec.mss, 1460 if 0 */
#define PKT_OPT_WSCALE	0x02	/* pkt_spec.wscale */
#define PKT_OPT_SACKOK	0x04
#define PKT_OPT_TS	0x08	/* timestamps, 10 bytes */

/* IPv4 fragment field (pkt_spec.frag), host order; offset in 8-byte units. */
#define PKT_IP_DF	0x4000
#define PKT_IP_MF	0x2000

/* One IPv6 extension header. */
struct pkt_ext6 {
	__u8  type;	/* IPPROTO_HOPOPTS, _DSTOPTS, _ROUTING or _FRAGMENT */
	__u8  len;	/* bytes, multiple of 8 (0: 8); fragment: always 8 */
	__u16 frag_off;	/* fragment: offset in 8-byte units */
	__u8  more;	/* fragment: more fragments follow */
};

struct pkt_spec {
	/* Ethernet: tags outermost first; tpid 0 means 802.1Q (0x8100). */
	__u8  nvlan;
	__u16 vlan[PKT_MAX_VLAN];
	__u16 vlan_tpid[PKT_MAX_VLAN];
	__u16 ethertype;	/* non-IP frame (saddr NULL): its EtherType */

	/* IP: the family follows from the address text ("198.18.0.1", "2001:db8::1"). */
	const char *saddr;
	const char *daddr;
	__u8  ttl;		/* 0: 64 */
	__u8  ip_opt_len;	/* IPv4 options, bytes (multiple of 4, <= 40) */
	__u16 frag;		/* IPv4 flags and fragment offset (PKT_IP_*) */
	__u8  next;		/* IPv6: number of extension headers in ext[] */
	struct pkt_ext6 ext[PKT_MAX_EXT];
	__u8  proto;		/* IPPROTO_* of the upper layer */

	/* TCP and UDP */
	__u16 sport;
	__u16 dport;
	/* TCP */
	__u8  tcp_flags;	/* PKT_TCP_* */
	__u8  tcp_opts;		/* PKT_OPT_* */
	__u8  wscale;
	__u16 mss;
	__u32 seq;
	__u32 ack;
	__u16 win;		/* 0: 65535 unless win_zero */
	__u8  win_zero;		/* really send a zero window */
	/* ICMP and ICMPv6: for echo, id and seq; for errors, id and seq are
	 * the 4 "unused" bytes (zero) and the payload is the quoted packet. */
	__u8  icmp_type;
	__u8  icmp_code;
	__u16 icmp_id;
	__u16 icmp_seq;

	/* Payload after the L4 header (after the IP header for other
	 * protocols): payload_len bytes of payload, or of a pattern if NULL. */
	const void *payload;
	size_t payload_len;
};

/* Where the layers of a built packet start. */
struct pkt_layout {
	size_t l3;		/* IP header (or non-IP payload) */
	size_t l4;		/* upper-layer header, after extension headers */
	size_t payload;		/* after the upper-layer header */
	size_t len;		/* whole frame */
};

/*
 * Build the frame described by s into buf (cap bytes). Returns its length,
 * or -EINVAL (bad spec, with a message on stderr) or -ENOSPC.
 */
int pkt_build(const struct pkt_spec *s, void *buf, size_t cap);
/* The same, also telling where each layer starts (lay may be NULL). */
int pkt_build_layout(const struct pkt_spec *s, void *buf, size_t cap,
		     struct pkt_layout *lay);
/* Only the IP packet, without Ethernet header: the quote of an ICMP error. */
int pkt_build_l3(const struct pkt_spec *s, void *buf, size_t cap);

/* The spec of the answer: addresses, ports and VLANs swapped/kept. TCP
 * fields, ICMP type and payload are left for the caller to set. */
void pkt_reverse(const struct pkt_spec *s, struct pkt_spec *r);

/* Address of a spec's text: family (AF_INET/AF_INET6) or -EINVAL. */
int pkt_parse_addr(const char *text, __u8 addr[16]);

/* Damage: flip bits at off (xor), or write a byte / a big-endian u16. */
void pkt_corrupt(void *buf, size_t off, __u8 xor);
void pkt_put_u8(void *buf, size_t off, __u8 v);
void pkt_put_be16(void *buf, size_t off, __u16 v);
/* Recompute the IPv4 header checksum after editing the header at l3. */
void pkt_ipv4_fix_csum(void *buf, size_t l3);

/* Internet checksum (RFC 1071) of len bytes, folded, not inverted. */
__u16 pkt_csum_fold(const void *data, size_t len, __u32 sum);
/* 1 if the IP header and L4 checksums of a built frame verify, else 0. */
int pkt_csum_ok(const void *buf, const struct pkt_layout *lay);

#endif
