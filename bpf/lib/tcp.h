/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP connection tracking: netfilter's state machine (nf_conntrack_proto_tcp)
 * and Rooij's window tracking, enough to refuse out-of-window data, ACKs and
 * RSTs. Runs under the flow's spin lock, so it calls no helper.
 */
#ifndef FERRY_BPF_TCP_H
#define FERRY_BPF_TCP_H

#include "ferry/layout.h"
#include "lib/parse.h"

/* Packet kinds, the columns of the transition table. */
enum ferry_tcp_kind {
	FERRY_TK_SYN = 0,
	FERRY_TK_SYNACK,
	FERRY_TK_FIN,
	FERRY_TK_ACK,
	FERRY_TK_RST,
	FERRY_TK_NONE,
	FERRY_TK_MAX,
};

/* Table entries beyond the real states. */
#define sIV	0xfe	/* invalid: drop */
#define sIG	0xff	/* ignore: pass without touching the state */
#define sNO	FERRY_CT_NONE
#define sSS	FERRY_TCP_SYN_SENT
#define sSR	FERRY_TCP_SYN_RECV
#define sES	FERRY_TCP_ESTABLISHED
#define sFW	FERRY_TCP_FIN_WAIT
#define sCW	FERRY_TCP_CLOSE_WAIT
#define sLA	FERRY_TCP_LAST_ACK
#define sTW	FERRY_TCP_TIME_WAIT
#define sCL	FERRY_TCP_CLOSE
#define sS2	FERRY_TCP_SYN_SENT2

/*
 * next state = ferry_tcp_next[direction][packet kind][current state], with
 * the states in enum order: NONE SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT
 * CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE SYN_SENT2. NONE is never current for
 * a tracked flow (a flow is created by its first SYN); midstream pickup is
 * refused: that is what state migration is for.
 */
static const volatile __u8 ferry_tcp_next[2][FERRY_TK_MAX][10] = {
	[FERRY_DIR_ORIG] = {
/*           sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
/* syn */  { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
/* synack */{ sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
/* fin */  { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/* ack */  { sIV, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
/* rst */  { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/* none */ { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
	[FERRY_DIR_REPLY] = {
/*           sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
/* syn */  { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
/* synack */{ sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
/* fin */  { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/* ack */  { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
/* rst */  { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/* none */ { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
};

/* Outcome of a TCP packet for its flow. */
enum ferry_tcp_verdict {
	FERRY_TCP_ACCEPT = 0,
	FERRY_TCP_INVALID,
	FERRY_TCP_OUT_OF_WINDOW,
	FERRY_TCP_REOPEN,	/* SYN reusing a closed flow's tuple: new flow */
	FERRY_TCP_KEEP,		/* pass, but keep the state (inexact RST) */
};

static __always_inline int ferry_tcp_kind(__u8 flags)
{
	if (flags & FERRY_TCP_RST)
		return FERRY_TK_RST;
	if (flags & FERRY_TCP_SYN)
		return (flags & FERRY_TCP_ACK) ? FERRY_TK_SYNACK : FERRY_TK_SYN;
	if (flags & FERRY_TCP_FIN)
		return FERRY_TK_FIN;
	if (flags & FERRY_TCP_ACK)
		return FERRY_TK_ACK;
	return FERRY_TK_NONE;
}

/*
 * The flag combinations a TCP sends, PSH aside (netfilter's
 * tcp_valid_flags): everything else (SYN+FIN, FIN without ACK, RST+FIN,
 * no flag at all, ...) is invalid whatever the flow's state.
 */
static __always_inline int ferry_tcp_flags_valid(__u8 flags)
{
	switch (flags & (FERRY_TCP_FIN | FERRY_TCP_SYN | FERRY_TCP_RST |
			 FERRY_TCP_ACK | FERRY_TCP_URG)) {
	case FERRY_TCP_SYN:
	case FERRY_TCP_SYN | FERRY_TCP_URG:
	case FERRY_TCP_SYN | FERRY_TCP_ACK:
	case FERRY_TCP_RST:
	case FERRY_TCP_RST | FERRY_TCP_ACK:
	case FERRY_TCP_FIN | FERRY_TCP_ACK:
	case FERRY_TCP_FIN | FERRY_TCP_ACK | FERRY_TCP_URG:
	case FERRY_TCP_ACK:
	case FERRY_TCP_ACK | FERRY_TCP_URG:
		return 1;
	default:
		return 0;
	}
}

static __always_inline int ferry_seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __always_inline int ferry_seq_after(__u32 a, __u32 b)
{
	return (__s32)(b - a) < 0;
}

/* First segment seen from a side (its SYN or SYN/ACK). */
static __always_inline void ferry_tcp_init_peer(struct ferry_tcp_peer *s,
						const struct ferry_pkt *pkt,
						__u32 end)
{
	s->end = end;
	s->maxend = end;
	s->maxwin = pkt->win ? pkt->win : 1;
	s->wscale = pkt->has_wscale ? pkt->wscale : 0;
	s->flags = FERRY_TCP_F_SEEN | (pkt->has_wscale ? FERRY_TCP_F_WSCALE : 0);
}

/*
 * The first segment from sender s of a flow installed from a copy (an
 * import: the copy was taken at the source while the flow still ran
 * there, so both sides may have moved on since): its position is taken
 * from the segment, as netfilter picks up a connection mid-stream, and the
 * checks that follow hold the side again. s's sequence may now run to one
 * window past this segment; what it acknowledges of r's data, r had sent.
 * Called, with the flow's lock held, for a segment that is no SYN and no
 * RST (ferry_tcp_wants_resync): those never resynchronise.
 */
static __always_inline void ferry_tcp_resync(struct ferry_flow *f, int dir,
					     const struct ferry_pkt *pkt)
{
	struct ferry_tcp_peer *s = &f->tcp[dir & 1], *r = &f->tcp[!dir];
	__u32 end = pkt->seq + pkt->payload_len + !!(pkt->tcp_flags & FERRY_TCP_FIN);
	__u32 room = (__u32)pkt->win << s->wscale;

	if (room < r->maxwin)
		room = r->maxwin;
	s->flags &= ~FERRY_TCP_F_RESYNC;
	s->end = end;
	if (ferry_seq_after(end + room, s->maxend))
		s->maxend = end + (room ? room : 1);
	if ((pkt->tcp_flags & FERRY_TCP_ACK) && ferry_seq_after(pkt->ack, r->end))
		r->end = pkt->ack;
}

static __always_inline int ferry_tcp_wants_resync(const struct ferry_flow *f,
						  int dir, const struct ferry_pkt *pkt)
{
	return (f->tcp[dir & 1].flags & FERRY_TCP_F_RESYNC) &&
	       !(pkt->tcp_flags & (FERRY_TCP_SYN | FERRY_TCP_RST));
}

/*
 * Window check of a segment from sender s to receiver r (Rooij, as in
 * netfilter's tcp_in_window). Updates the window data if it passes.
 */
static __always_inline int ferry_tcp_in_window(struct ferry_flow *f, int dir,
					       const struct ferry_pkt *pkt,
					       __u8 old_state)
{
	struct ferry_tcp_peer *s = &f->tcp[dir & 1];
	struct ferry_tcp_peer *r = &f->tcp[!dir];
	__u8 fl = pkt->tcp_flags;
	__u32 seq = pkt->seq, ack = pkt->ack, end, win = pkt->win, maxackwin;

	end = seq + pkt->payload_len;
	if (fl & FERRY_TCP_SYN)
		end++;
	if (fl & FERRY_TCP_FIN)
		end++;

	if (fl & FERRY_TCP_SYN) {
		if (!(s->flags & FERRY_TCP_F_SEEN) ||
		    (((old_state == FERRY_TCP_SYN_SENT && dir == FERRY_DIR_ORIG) ||
		      (old_state == FERRY_TCP_SYN_RECV && dir == FERRY_DIR_REPLY)) &&
		     ferry_seq_after(end, s->end))) {
			ferry_tcp_init_peer(s, pkt, end);
			/* Scaling is on only if both sides announce it. */
			if ((fl & FERRY_TCP_ACK) &&
			    !((s->flags & FERRY_TCP_F_WSCALE) &&
			      (r->flags & FERRY_TCP_F_WSCALE))) {
				s->wscale = 0;
				r->wscale = 0;
			}
			if (!(fl & FERRY_TCP_ACK))
				return 1;	/* a SYN acknowledges nothing */
		}
	} else {
		win <<= s->wscale;
	}

	if (!(fl & FERRY_TCP_ACK) ||
	    ((fl & (FERRY_TCP_ACK | FERRY_TCP_RST)) ==
	     (FERRY_TCP_ACK | FERRY_TCP_RST) && ack == 0))
		ack = r->end;

	/* An empty segment (pure ACK, window probe) carries no sequence. */
	if (seq == end && !(fl & FERRY_TCP_RST)) {
		seq = s->end;
		end = s->end;
	}

	maxackwin = s->maxwin > 66000 ? s->maxwin : 66000;
	if (!(!ferry_seq_after(seq, s->maxend) &&
	      ferry_seq_after(end, s->end - r->maxwin - 1) &&
	      !ferry_seq_after(ack, r->end) &&
	      ferry_seq_after(ack, r->end - maxackwin - 1)))
		return 0;

	if (s->maxwin < win)
		s->maxwin = win;
	if ((fl & FERRY_TCP_ACK) &&
	    (!(s->flags & FERRY_TCP_F_MAXACK) || ferry_seq_after(ack, s->maxack))) {
		s->maxack = ack;
		s->flags |= FERRY_TCP_F_MAXACK;
	}
	if (ferry_seq_after(end, s->end))
		s->end = end;
	if (r->maxwin && ferry_seq_after(end, s->maxend))
		r->maxwin += end - s->maxend;
	if (ferry_seq_after(ack + win, r->maxend - 1))
		r->maxend = ack + (win ? win : 1);
	return 1;
}

/*
 * A RST on an established flow closes it only at the exact sequence the
 * receiver expects next (its highest ack), or right after the sender's last
 * segment (a RST ending a train of data, sequence = the sender's end). One
 * elsewhere in the window passes but leaves the flow established, so that
 * the receiver can answer with a challenge ACK (RFC 5961 §3, as netfilter
 * does); one below what the receiver acknowledged is out of window. Blind RSTs
 * then cannot make the firewall forget a live flow.
 */
static __always_inline int ferry_tcp_rst_check(const struct ferry_flow *f,
					       int dir, const struct ferry_pkt *pkt)
{
	const struct ferry_tcp_peer *s = &f->tcp[dir & 1];
	const struct ferry_tcp_peer *r = &f->tcp[!dir];

	if (!(r->flags & FERRY_TCP_F_MAXACK))
		return FERRY_TCP_ACCEPT;
	if (ferry_seq_before(pkt->seq, r->maxack))
		return FERRY_TCP_OUT_OF_WINDOW;
	if (pkt->seq == r->maxack || pkt->seq == s->end)
		return FERRY_TCP_ACCEPT;
	return FERRY_TCP_KEEP;
}

/*
 * Advance flow f for a TCP packet going direction dir (state, window data,
 * flags); returns an enum ferry_tcp_verdict. Ignored packets pass and
 * change nothing.
 */
static __always_inline int ferry_tcp_update(struct ferry_flow *f, int dir,
					    const struct ferry_pkt *pkt)
{
	__u8 old = f->state, next;
	int kind = ferry_tcp_kind(pkt->tcp_flags);

	if (old < FERRY_TCP_SYN_SENT || old > FERRY_TCP_SYN_SENT2)
		return FERRY_TCP_INVALID;
	/* As netfilter's tcp_error: no flow accepts an impossible segment. */
	if (!ferry_tcp_flags_valid(pkt->tcp_flags))
		return FERRY_TCP_INVALID;
	next = ferry_tcp_next[dir & 1][kind][old];

	if (next == sIV)
		return FERRY_TCP_INVALID;
	if (next == sIG)
		return FERRY_TCP_ACCEPT;
	if (kind == FERRY_TK_SYN &&
	    (old == FERRY_TCP_TIME_WAIT || old == FERRY_TCP_CLOSE))
		return FERRY_TCP_REOPEN;
	/* A RST answering our SYN must acknowledge it (RFC 793). */
	if (kind == FERRY_TK_RST && old == FERRY_TCP_SYN_SENT &&
	    dir == FERRY_DIR_REPLY &&
	    (!(pkt->tcp_flags & FERRY_TCP_ACK) ||
	     pkt->ack != f->tcp[FERRY_DIR_ORIG].end))
		return FERRY_TCP_INVALID;
	if (kind == FERRY_TK_RST && old == FERRY_TCP_ESTABLISHED) {
		switch (ferry_tcp_rst_check(f, dir, pkt)) {
		case FERRY_TCP_OUT_OF_WINDOW:
			return FERRY_TCP_OUT_OF_WINDOW;
		case FERRY_TCP_KEEP:
			next = old;
			break;
		}
	}
	if (!ferry_tcp_in_window(f, dir, pkt, old))
		return FERRY_TCP_OUT_OF_WINDOW;

	if (dir == FERRY_DIR_REPLY)
		f->flags |= FERRY_FLOW_F_SEEN_REPLY;
	if (next == FERRY_TCP_ESTABLISHED && (f->flags & FERRY_FLOW_F_SEEN_REPLY))
		f->flags |= FERRY_FLOW_F_ASSURED;
	f->state = next;
	return FERRY_TCP_ACCEPT;
}

/* Start the window data of a flow created by the SYN in pkt. */
static __always_inline void ferry_tcp_new(struct ferry_flow *f,
					  const struct ferry_pkt *pkt)
{
	__u32 end = pkt->seq + pkt->payload_len + 1;

	ferry_tcp_init_peer(&f->tcp[FERRY_DIR_ORIG], pkt, end);
	f->state = FERRY_TCP_SYN_SENT;
}

#undef sIV
#undef sIG
#undef sNO
#undef sSS
#undef sSR
#undef sES
#undef sFW
#undef sCW
#undef sLA
#undef sTW
#undef sCL
#undef sS2

#endif
