// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Differential test of Ferry's connection tracking against Linux's own
 * nf_conntrack. Every sequence of packets below is replayed through a
 * router namespace running nf_conntrack + nftables (dt_nf.c) and through
 * ferry_xdp with BPF_PROG_TEST_RUN (dt_ferry.c), with the same allow rules.
 * After every step the verdicts (passed or dropped) and the states of the
 * flow under test must agree, unless the difference is listed in
 * known_diffs[] below, each with its explanation in
 * docs/conntrack-differences.md.
 *
 * Exit: 0 all agree, 1 an unexplained difference or an error, 77 skipped
 * (nftables or nf_conntrack unavailable).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "log.h"
#include "ctconfig.h"
#include "dt_frame.h"
#include "dt_nf.h"
#include "dt_ferry.h"

#define DT_MAX_STEPS	20
#define DT_WIN		64240
#define DT_STEP_NS	1000000ull	/* fake clock per step: 1 ms */
#define DT_CLIENT_ISN	0x10000000u
#define DT_SERVER_ISN	0xffffff80u	/* the server's data wraps around 0 */
#define DT_ALT_PORT	1000		/* client port offset of "alt" steps */

enum dt_kind {
	K_END = 0,
	K_TCP,		/* TCP segment */
	K_UDP,		/* UDP datagram */
	K_ECHO,		/* ICMP echo: request client->server, reply the other way */
	K_ERR,		/* ICMP destination unreachable quoting a packet of the
			 * flow sent the other way (to the error's sender) */
};

enum dt_dir {
	C2S = DT_SIDE_CLIENT,	/* sent by the client, injected on its side */
	S2C = DT_SIDE_SERVER,
};

/* TCP flags as in the header's byte 13. */
#define F	0x01
#define S	0x02
#define R	0x04
#define P	0x08
#define A	0x10

struct dt_step {
	__u8  kind;
	__u8  dir;
	__u8  flags;
	__u8  alt;	/* 1: use another client port (a flow nobody tracks) */
	__s32 seq;	/* TCP: relative to the sender's ISN */
	__s32 ack;	/* TCP: relative to the receiver's ISN */
	__u16 len;	/* payload bytes */
	__u16 win;	/* 0: DT_WIN */
};

struct dt_seq {
	const char *name;
	int family;		/* 4 or 6 */
	__u8 proto;		/* of the flow whose state is compared */
	__u16 dport;		/* server port */
	struct dt_step steps[DT_MAX_STEPS];
};

/* Step builders, only to keep the table below readable. */
#define C(fl, s, a, l)	{ K_TCP, C2S, (fl), 0, (s), (a), (l), 0 }
#define SV(fl, s, a, l)	{ K_TCP, S2C, (fl), 0, (s), (a), (l), 0 }
#define UC(l)		{ K_UDP, C2S, 0, 0, 0, 0, (l), 0 }
#define US(l)		{ K_UDP, S2C, 0, 0, 0, 0, (l), 0 }
#define EC		{ K_ECHO, C2S, 0, 0, 0, 0, 0, 0 }
#define ES		{ K_ECHO, S2C, 0, 0, 0, 0, 0, 0 }
#define ERR_S		{ K_ERR, S2C, 0, 0, 0, 0, 0, 0 }
#define ERR_S_ALT	{ K_ERR, S2C, 0, 1, 0, 0, 0, 0 }
#define HANDSHAKE	C(S, 0, 0, 0), SV(S | A, 0, 1, 0), C(A, 1, 1, 0)
#define FIN_CLOSE(c, s)	C(F | A, (c), (s), 0), SV(A, (s), (c) + 1, 0),	\
			SV(F | A, (s), (c) + 1, 0), C(A, (c) + 1, (s) + 1, 0)

static const struct dt_seq seqs[] = {
	{ "tcp4-handshake-data-fin", 4, IPPROTO_TCP, 80, {
		HANDSHAKE,
		C(P | A, 1, 1, 100), SV(A, 1, 101, 0),
		SV(P | A, 1, 101, 200), C(A, 101, 201, 0),
		FIN_CLOSE(101, 201) } },
	{ "tcp4-rst-exact", 4, IPPROTO_TCP, 80, {
		HANDSHAKE, C(P | A, 1, 1, 100), SV(A, 1, 101, 0),
		C(R | A, 101, 1, 0), SV(P | A, 1, 101, 10) } },
	{ "tcp4-rst-in-window-inexact", 4, IPPROTO_TCP, 80, {
		HANDSHAKE, C(P | A, 1, 1, 100), SV(A, 1, 101, 0),
		C(R | A, 1101, 1, 0), SV(P | A, 1, 101, 10),
		C(A, 101, 11, 0) } },
	{ "tcp4-rst-out-of-window", 4, IPPROTO_TCP, 80, {
		HANDSHAKE, C(R | A, 100001, 1, 0), SV(R, 5000000, 0, 0),
		C(P | A, 1, 1, 50), SV(A, 1, 51, 0) } },
	{ "tcp4-rst-bad-ack-syn-sent", 4, IPPROTO_TCP, 80, {
		C(S, 0, 0, 0), SV(R | A, 0, 5, 0), SV(R, 0, 0, 0),
		SV(R | A, 0, 1, 0) } },
	{ "tcp4-rst-refused", 4, IPPROTO_TCP, 80, {
		C(S, 0, 0, 0), SV(R | A, 0, 1, 0), C(S, 0, 0, 0) } },
	{ "tcp4-rst-in-syn-recv", 4, IPPROTO_TCP, 80, {
		C(S, 0, 0, 0), SV(S | A, 0, 1, 0), C(R, 1, 0, 0) } },
	{ "tcp4-simultaneous-open", 4, IPPROTO_TCP, 80, {
		C(S, 0, 0, 0), SV(S, 0, 0, 0), C(S | A, 0, 1, 0),
		SV(S | A, 0, 1, 0), C(A, 1, 1, 0), SV(A, 1, 1, 0),
		C(P | A, 1, 1, 10) } },
	{ "tcp4-syn-retransmit", 4, IPPROTO_TCP, 80, {
		C(S, 0, 0, 0), C(S, 0, 0, 0), SV(S | A, 0, 1, 0),
		C(A, 1, 1, 0) } },
	{ "tcp4-synack-retransmit", 4, IPPROTO_TCP, 80, {
		C(S, 0, 0, 0), SV(S | A, 0, 1, 0), SV(S | A, 0, 1, 0),
		C(A, 1, 1, 0), SV(S | A, 0, 1, 0), C(P | A, 1, 1, 10) } },
	{ "tcp4-synack-bad-ack", 4, IPPROTO_TCP, 80, {
		C(S, 0, 0, 0), SV(S | A, 0, 5, 0), SV(S | A, 0, 1, 0),
		C(A, 1, 1, 0) } },
	{ "tcp4-data-out-of-window", 4, IPPROTO_TCP, 80, {
		HANDSHAKE, C(P | A, 200001, 1, 100), SV(A, 1, 300001, 0),
		C(P | A, 1, 1, 100), C(P | A, -99999, 1, 10),
		SV(A, 1, 101, 0) } },
	{ "tcp4-ack-before-handshake", 4, IPPROTO_TCP, 80, {
		C(S, 0, 0, 0), C(A, 1, 1, 0), SV(S | A, 0, 1, 0),
		C(A, 1, 1, 0) } },
	{ "tcp4-midstream-no-state", 4, IPPROTO_TCP, 80, {
		C(A, 1, 1, 0), SV(P | A, 1, 1, 10), C(P | A, 1, 1, 10),
		C(S, 0, 0, 0) } },
	{ "tcp4-syn-fin", 4, IPPROTO_TCP, 80, {
		C(S | F, 0, 0, 0), C(S, 0, 0, 0), SV(S | A | F, 0, 1, 0),
		SV(S | A, 0, 1, 0), C(A, 1, 1, 0) } },
	{ "tcp4-fin-without-ack", 4, IPPROTO_TCP, 80, {
		HANDSHAKE, C(F, 1, 0, 0), C(P | A, 1, 1, 10),
		SV(A, 1, 11, 0) } },
	{ "tcp4-bad-flags-established", 4, IPPROTO_TCP, 80, {
		HANDSHAKE, C(0, 1, 1, 0), C(R | F | A, 1, 1, 0),
		C(S | R, 1, 0, 0), C(P | A, 1, 1, 10), SV(A, 1, 11, 0) } },
	{ "tcp4-time-wait-reuse", 4, IPPROTO_TCP, 80, {
		HANDSHAKE, FIN_CLOSE(1, 1),
		C(S, 100000, 0, 0), SV(S | A, 200000, 100001, 0),
		C(A, 100001, 200001, 0), C(P | A, 100001, 200001, 10) } },
	{ "tcp4-half-close", 4, IPPROTO_TCP, 80, {
		HANDSHAKE, C(F | A, 1, 1, 0), SV(A, 1, 2, 0),
		SV(P | A, 1, 2, 100), C(A, 2, 101, 0),
		SV(F | A, 101, 2, 0), C(A, 2, 102, 0) } },
	{ "tcp4-denied-port", 4, IPPROTO_TCP, 81, {
		C(S, 0, 0, 0), SV(S | A, 0, 1, 0), C(A, 1, 1, 0) } },
	{ "udp4-request-response", 4, IPPROTO_UDP, 53, {
		UC(20), US(40), US(40), UC(20) } },
	{ "udp4-reply-first", 4, IPPROTO_UDP, 53, {
		US(40), UC(20), US(40) } },
	{ "icmp4-echo", 4, IPPROTO_ICMP, 0, {
		EC, ES, ES, EC } },
	{ "icmp4-reply-first", 4, IPPROTO_ICMP, 0, {
		ES, EC, ES } },
	{ "icmp4-error-related-tcp", 4, IPPROTO_TCP, 80, {
		ERR_S, HANDSHAKE, ERR_S, ERR_S_ALT, C(P | A, 1, 1, 10) } },
	{ "icmp4-error-related-udp", 4, IPPROTO_UDP, 53, {
		ERR_S, UC(20), ERR_S, ERR_S_ALT } },
	{ "tcp6-handshake-data-fin", 6, IPPROTO_TCP, 80, {
		HANDSHAKE,
		C(P | A, 1, 1, 100), SV(A, 1, 101, 0),
		SV(P | A, 1, 101, 200), C(A, 101, 201, 0),
		FIN_CLOSE(101, 201) } },
	{ "tcp6-rst-out-of-window", 6, IPPROTO_TCP, 80, {
		HANDSHAKE, C(R | A, 100001, 1, 0), C(P | A, 1, 1, 50),
		SV(R | A, 1, 51, 0), C(P | A, 51, 1, 10) } },
	{ "tcp6-midstream-no-state", 6, IPPROTO_TCP, 80, {
		C(A, 1, 1, 0), C(F | A, 1, 1, 0), C(S, 0, 0, 0) } },
	{ "tcp6-fin-without-ack", 6, IPPROTO_TCP, 80, {
		HANDSHAKE, C(F, 1, 0, 0), C(F | A, 1, 1, 0) } },
	{ "udp6-request-response", 6, IPPROTO_UDP, 53, {
		US(40), UC(20), US(40), US(40) } },
	{ "icmp6-echo", 6, IPPROTO_ICMPV6, 0, {
		ES, EC, ES, EC } },
	{ "icmp6-error-related-tcp", 6, IPPROTO_TCP, 80, {
		ERR_S, HANDSHAKE, ERR_S, ERR_S_ALT } },
	{ "icmp6-error-related-udp", 6, IPPROTO_UDP, 53, {
		UC(20), ERR_S, ERR_S_ALT, US(20) } },
};

/*
 * Known differences: each is explained in docs/conntrack-differences.md
 * under the heading named in .doc. A difference not listed here fails the
 * test. step is 1-based; what is DIFF_VERDICT and/or DIFF_STATE.
 */
#define DIFF_VERDICT	0x1
#define DIFF_STATE	0x2

struct dt_known {
	const char *seq;
	int step;
	unsigned int what;
	const char *doc;
};

static const struct dt_known known_diffs[] = {
	/* D2: a RST|ACK above the receive window passes netfilter (6.x) and
	 * moves its window data; Ferry drops it. In the IPv6 sequence the
	 * moved window then makes netfilter ignore the exact RST of step 6,
	 * so it stays ESTABLISHED where Ferry closes (steps 6-7). */
	{ "tcp4-rst-out-of-window", 4, DIFF_VERDICT, "D2" },
	{ "tcp6-rst-out-of-window", 4, DIFF_VERDICT, "D2" },
	{ "tcp6-rst-out-of-window", 6, DIFF_STATE, "D2" },
	{ "tcp6-rst-out-of-window", 7, DIFF_STATE, "D2" },
	/* D3: a RST as the only reply to a SYN deletes netfilter's entry at
	 * once, with or without ACK; Ferry wants the ACK of the SYN (RFC
	 * 793) and keeps the flow in CLOSE until its timeout. Step 4 of the
	 * bad-ack sequence follows from step 3 (netfilter has no entry any
	 * more). */
	{ "tcp4-rst-bad-ack-syn-sent", 3, DIFF_VERDICT | DIFF_STATE, "D3" },
	{ "tcp4-rst-bad-ack-syn-sent", 4, DIFF_VERDICT | DIFF_STATE, "D3" },
	{ "tcp4-rst-refused", 2, DIFF_STATE, "D3" },
	/* D4: data below the window (retransmission of acknowledged data)
	 * and overly delayed ACKs are ignored, i.e. passed without a state
	 * update, by netfilter since Linux 6.0; Ferry drops them. */
	{ "tcp4-data-out-of-window", 7, DIFF_VERDICT, "D4" },
};

/* The allow rules, the same for both sides. */
struct dt_allow {
	int family;
	__u8 proto;
	const char *src, *dst;
	int src_len, dst_len;
	__u16 dport;		/* TCP/UDP */
	__u8 icmp_type;		/* ICMP */
	const char *icmp_name;
};

static const struct dt_allow allow[] = {
	{ 4, IPPROTO_TCP, "198.18.1.0", "198.18.2.0", 24, 24, 80, 0, NULL },
	{ 4, IPPROTO_UDP, "198.18.1.0", "198.18.2.0", 24, 24, 53, 0, NULL },
	{ 4, IPPROTO_ICMP, "198.18.1.0", "198.18.2.0", 24, 24, 0, 8,
	  "icmp type echo-request" },
	{ 6, IPPROTO_TCP, "2001:db8:1::", "2001:db8:2::", 64, 64, 80, 0, NULL },
	{ 6, IPPROTO_UDP, "2001:db8:1::", "2001:db8:2::", 64, 64, 53, 0, NULL },
	{ 6, IPPROTO_ICMPV6, "2001:db8:1::", "2001:db8:2::", 64, 64, 0, 128,
	  "icmpv6 type echo-request" },
};
#define N_ALLOW	(sizeof(allow) / sizeof(allow[0]))
#define N_SEQS	(sizeof(seqs) / sizeof(seqs[0]))

static const char *const client_ip[2] = { "198.18.1.2", "2001:db8:1::2" };
static const char *const server_ip[2] = { "198.18.2.2", "2001:db8:2::2" };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void prefix_mask(__u32 *mask, int bits)
{
	__u8 *b = (__u8 *)mask;
	int i;

	memset(mask, 0, 16);
	for (i = 0; i < 16 && bits > 0; i++, bits -= 8)
		b[i] = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
}

static int make_rules(struct ferry_rule *rules, char *nft, size_t cap)
{
	size_t i, off = 0;

	nft[0] = 0;
	for (i = 0; i < N_ALLOW; i++) {
		const struct dt_allow *a = &allow[i];
		struct ferry_rule *r = &rules[i];
		int af = a->family == 4 ? AF_INET : AF_INET6;
		const char *ipk = a->family == 4 ? "ip" : "ip6";
		int n;

		memset(r, 0, sizeof(*r));
		r->id = i + 1;
		r->zone = FERRY_ZONE_ANY;
		r->family = af;
		r->proto = a->proto;
		r->action = FERRY_ACT_ALLOW;
		if (inet_pton(af, a->src, r->src) != 1 ||
		    inet_pton(af, a->dst, r->dst) != 1) {
			pr_warn("allow rule %zu: bad address\n", i);
			return -EINVAL;
		}
		prefix_mask(r->src_mask, a->src_len);
		prefix_mask(r->dst_mask, a->dst_len);
		r->sport_hi = 65535;
		r->dport_lo = a->dport;
		r->dport_hi = a->dport;
		if (a->icmp_name) {
			/* ports mean nothing to ICMP: "any" */
			r->dport_lo = 0;
			r->dport_hi = 65535;
			r->flags = FERRY_RULE_F_ICMP_TYPE;
			r->icmp_type = a->icmp_type;
		}
		if (a->icmp_name)
			n = snprintf(nft + off, cap - off,
				     "    %s saddr %s/%d %s daddr %s/%d %s accept\n",
				     ipk, a->src, a->src_len, ipk, a->dst,
				     a->dst_len, a->icmp_name);
		else
			n = snprintf(nft + off, cap - off,
				     "    %s saddr %s/%d %s daddr %s/%d %s dport %u accept\n",
				     ipk, a->src, a->src_len, ipk, a->dst,
				     a->dst_len, a->proto == IPPROTO_TCP ? "tcp" : "udp",
				     a->dport);
		if (n < 0 || (size_t)n >= cap - off)
			return -ENOSPC;
		off += n;
	}
	return 0;
}

/* Everything one sequence needs to build its frames. */
struct dt_ctx {
	const struct dt_seq *seq;
	int idx;
	struct dt_host host[2];		/* client, server */
	__u16 cport;
	__u8 l4proto;			/* ICMP becomes ICMPv6 for family 6 */
};

static __u32 isn_of(int side)
{
	return side == DT_SIDE_CLIENT ? DT_CLIENT_ISN : DT_SERVER_ISN;
}

/* The L4 part of step st, sent from side dir. */
static void step_l4(const struct dt_ctx *c, const struct dt_step *st,
		    struct dt_l4 *l4)
{
	__u16 cport = c->cport + (st->alt ? DT_ALT_PORT : 0);
	int v6 = c->seq->family == 6;

	memset(l4, 0, sizeof(*l4));
	l4->payload_len = st->len;
	switch (st->kind) {
	case K_TCP:
	case K_UDP:
		l4->proto = st->kind == K_TCP ? IPPROTO_TCP : IPPROTO_UDP;
		l4->sport = st->dir == C2S ? cport : c->seq->dport;
		l4->dport = st->dir == C2S ? c->seq->dport : cport;
		l4->tcp_flags = st->flags;
		l4->seq = isn_of(st->dir) + st->seq;
		l4->ack = (st->flags & A) ? isn_of(!st->dir) + st->ack : 0;
		l4->win = st->win ? st->win : DT_WIN;
		break;
	case K_ECHO:
		l4->proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		l4->sport = cport;	/* the echo identifier */
		l4->icmp_seq = 1;
		if (st->dir == C2S)
			l4->icmp_type = v6 ? 128 : 8;
		else
			l4->icmp_type = v6 ? 129 : 0;
		l4->payload_len = 16;
		break;
	default:
		break;
	}
}

/* An ICMP error sent from side dir about a packet of the flow going the
 * other way: a TCP ACK or a UDP datagram. */
static int build_error(const struct dt_ctx *c, const struct dt_step *st,
		       __u8 *frame)
{
	struct dt_step inner_st = { .kind = c->seq->proto == IPPROTO_TCP ?
					    K_TCP : K_UDP,
				    .dir = !st->dir, .alt = st->alt,
				    .flags = A, .seq = 1, .ack = 1, .len = 0 };
	int v6 = c->seq->family == 6, qlen;
	struct dt_l4 inner, l4 = {
		.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
		.icmp_type = v6 ? 1 : 3,	/* destination unreachable */
		.icmp_code = v6 ? 3 : 1,	/* address / host unreachable */
	};
	__u8 quote[256];

	step_l4(c, &inner_st, &inner);
	qlen = dt_build_ip(quote, sizeof(quote), &c->host[!st->dir],
			   &c->host[st->dir], &inner);
	if (qlen < 0)
		return qlen;
	l4.quote = quote;
	l4.quote_len = qlen;
	return dt_build_frame(frame, DT_FRAME_MAX, dt_host_mac[st->dir],
			      dt_router_mac[st->dir], &c->host[st->dir],
			      &c->host[!st->dir], &l4);
}

static int build_step(const struct dt_ctx *c, const struct dt_step *st,
		      __u8 *frame)
{
	struct dt_l4 l4;

	if (st->kind == K_ERR)
		return build_error(c, st, frame);
	step_l4(c, st, &l4);
	return dt_build_frame(frame, DT_FRAME_MAX, dt_host_mac[st->dir],
			      dt_router_mac[st->dir], &c->host[st->dir],
			      &c->host[!st->dir], &l4);
}

static void describe(const struct dt_step *st, char *buf, size_t cap)
{
	const char *dir = st->dir == C2S ? "C>S" : "S>C";
	char fl[8];
	int n = 0;

	switch (st->kind) {
	case K_TCP:
		if (st->flags & S)
			fl[n++] = 'S';
		if (st->flags & A)
			fl[n++] = 'A';
		if (st->flags & P)
			fl[n++] = 'P';
		if (st->flags & F)
			fl[n++] = 'F';
		if (st->flags & R)
			fl[n++] = 'R';
		if (!n)
			fl[n++] = '-';
		fl[n] = 0;
		snprintf(buf, cap, "%s %-3s seq=%d ack=%d len=%u", dir, fl,
			 st->seq, st->ack, st->len);
		break;
	case K_UDP:
		snprintf(buf, cap, "%s udp len=%u", dir, st->len);
		break;
	case K_ECHO:
		snprintf(buf, cap, "%s echo-%s", dir,
			 st->dir == C2S ? "request" : "reply");
		break;
	default:
		snprintf(buf, cap, "%s icmp-unreach%s", dir,
			 st->alt ? " (other flow)" : "");
		break;
	}
}

static const struct dt_known *find_known(const char *seq, int step,
					 unsigned int what)
{
	size_t i;

	for (i = 0; i < sizeof(known_diffs) / sizeof(known_diffs[0]); i++) {
		const struct dt_known *k = &known_diffs[i];

		if (k->seq && !strcmp(k->seq, seq) &&
		    (k->step == 0 || k->step == step) &&
		    (k->what & what) == what)
			return k;
	}
	return NULL;
}

static const char *state_str(int st)
{
	return st < 0 ? "error" : ferry_state_name(st);
}

struct dt_totals {
	int steps, agree, known, unexpected;
};

/* Replay one sequence on both sides; -errno only on a broken test. */
static int run_seq(struct dt_nf *nf, struct dpt *fe, struct dt_ctx *c,
		   struct dt_totals *tot)
{
	const struct dt_seq *sq = c->seq;
	int fam = sq->family == 4 ? AF_INET : AF_INET6, v = sq->family == 6;
	__u8 frame[DT_FRAME_MAX];
	__u16 fport_c, fport_s;
	int i, err;

	err = dt_nf_ct_flush();
	if (!err)
		err = dt_ferry_flush(fe);
	if (err)
		return err;
	fport_c = c->cport;
	fport_s = sq->proto == IPPROTO_TCP || sq->proto == IPPROTO_UDP ?
		  sq->dport : c->cport;

	for (i = 0; i < DT_MAX_STEPS && sq->steps[i].kind != K_END; i++) {
		const struct dt_step *st = &sq->steps[i];
		const struct dt_known *k = NULL;
		int len, nfv, fev, nfs, fes;
		unsigned int diff = 0;
		char desc[64];
		const char *mark = "";

		if (stop)
			return -EINTR;
		len = build_step(c, st, frame);
		if (len < 0)
			return len;
		nfv = dt_nf_inject(nf, st->dir, frame, len);
		if (nfv < 0)
			return nfv;
		fev = dt_ferry_run(fe, frame, len, DT_STEP_NS);
		if (fev < 0)
			return fev;
		nfs = dt_nf_ct_state(sq->proto, client_ip[v], server_ip[v]);
		fes = dt_ferry_state(fe, fam, sq->proto, c->host[0].ip, fport_c,
				     c->host[1].ip, fport_s);
		if (nfs < 0 || fes < 0)
			return nfs < 0 ? nfs : fes;
		if (nfv != fev)
			diff |= DIFF_VERDICT;
		if (nfs != fes)
			diff |= DIFF_STATE;
		tot->steps++;
		if (!diff) {
			tot->agree++;
		} else {
			k = find_known(sq->name, i + 1, diff);
			if (k) {
				tot->known++;
				mark = "known";
			} else {
				tot->unexpected++;
				mark = "DIFFERENT";
			}
		}
		describe(st, desc, sizeof(desc));
		printf("%-28s %2d  %-32s %-5s %-5s %-14s %-14s %s%s%s\n",
		       i ? "" : sq->name, i + 1, desc,
		       nfv ? "pass" : "drop", fev ? "pass" : "drop",
		       state_str(nfs), state_str(fes), mark,
		       k ? ": " : "", k ? k->doc : "");
	}
	return 0;
}

static int setup_ctx(struct dt_ctx *c, int idx)
{
	const struct dt_seq *sq = &seqs[idx];
	int af = sq->family == 4 ? AF_INET : AF_INET6, v = sq->family == 6;
	int i;

	memset(c, 0, sizeof(*c));
	c->seq = sq;
	c->idx = idx;
	c->cport = 20000 + idx;
	for (i = 0; i < 2; i++) {
		c->host[i].family = af;
		memcpy(c->host[i].mac, dt_host_mac[i], 6);
	}
	if (inet_pton(af, client_ip[v], c->host[0].ip) != 1 ||
	    inet_pton(af, server_ip[v], c->host[1].ip) != 1)
		return -EINVAL;
	return 0;
}

int main(void)
{
	struct ferry_rule rules[N_ALLOW];
	struct dt_totals tot = { 0 };
	struct dt_nf nf = { .sock = { -1, -1 } };
	struct dpt fe;
	struct dt_ctx c;
	char nft[4096];
	size_t i;
	int err, rc = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ferry_log_libbpf();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	err = make_rules(rules, nft, sizeof(nft));
	if (err)
		return 1;
	err = dt_ferry_open(&fe, rules, N_ALLOW);
	if (err)
		return 1;
	err = dt_nf_setup(&nf, nft);
	if (err == -EOPNOTSUPP) {
		rc = 77;
		printf("skip: nftables or nf_conntrack is not available\n");
		goto out_teardown;
	}
	if (err) {
		pr_warn("cannot set up the netfilter router: %s\n", strerror(-err));
		goto out_teardown;
	}

	printf("%-28s %-3s %-32s %-5s %-5s %-14s %-14s\n", "sequence", "#",
	       "packet", "nf", "ferry", "nf state", "ferry state");
	for (i = 0; i < N_SEQS; i++) {
		err = setup_ctx(&c, i);
		if (!err)
			err = run_seq(&nf, &fe, &c, &tot);
		if (err) {
			pr_warn("sequence %s: %s\n", seqs[i].name, strerror(-err));
			goto out_teardown;
		}
	}
	printf("\n%zu sequences, %d steps: %d agree, %d known differences, "
	       "%d unexplained differences\n", N_SEQS, tot.steps, tot.agree,
	       tot.known, tot.unexpected);
	rc = tot.unexpected ? 1 : 0;

out_teardown:
	dt_nf_teardown(&nf);
	dpt_close(&fe);
	return rc;
}
