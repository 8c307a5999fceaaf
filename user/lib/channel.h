/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The encrypted channel after the handshake. Every record is one frame:
 *
 *	4-byte big-endian body length L
 *	body: ChaCha20-Poly1305 (IETF) of (1-byte type || message), 16-byte tag
 *
 * with a key per direction (from the handshake), the nonce 4 zero bytes ||
 * the 64-bit big-endian sequence number of the record in its direction
 * (0, 1, 2, ... never sent: both sides count), and the associated data the
 * frame header || that sequence number. So a forged, altered, replayed,
 * reordered or dropped frame fails to open, and the session must end. A
 * clean end is an authenticated CLOSE record; a stream that stops without
 * one was truncated. Sans-IO: sealing writes into a buffer, opening works
 * on a frame body from ferry_frame_rx, in place.
 */
#ifndef FERRY_CHANNEL_H
#define FERRY_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <ferry/wire.h>
#include "handshake.h"

#define FERRY_CHANNEL_ERR_MAX	128
/* Bytes a record adds to its message: header, type, tag. */
#define FERRY_CHANNEL_OVERHEAD	(FERRY_WIRE_HDR_LEN + 1 + FERRY_WIRE_TAG_LEN)
/* The largest message a record carries. */
#define FERRY_CHANNEL_MSG_MAX	(FERRY_WIRE_FRAME_MAX - 1 - FERRY_WIRE_TAG_LEN)
/* Where the message starts in a sealed frame (for sealing in place). */
#define FERRY_CHANNEL_MSG_OFF	(FERRY_WIRE_HDR_LEN + 1)

struct ferry_channel {		/* fields are private */
	__u8 tx_key[32];
	__u8 rx_key[32];
	__u64 tx_seq;
	__u64 rx_seq;
	bool failed;		/* a record failed to open: nothing more */
	bool rx_closed;		/* the peer's CLOSE came */
	bool tx_closed;		/* our CLOSE went */
};

void ferry_channel_init(struct ferry_channel *ch, const struct ferry_session_keys *keys);
void ferry_channel_wipe(struct ferry_channel *ch);

/*
 * Seal a record of type (FERRY_MSG_APP_MIN.. or FERRY_MSG_CLOSE) carrying
 * msg[0..len) as a whole frame into out[0..cap); *outlen = len +
 * FERRY_CHANNEL_OVERHEAD. msg may already sit at out + FERRY_CHANNEL_MSG_OFF.
 * -EMSGSIZE (len over FERRY_CHANNEL_MSG_MAX), -ENOBUFS (cap), -EPIPE
 * (after CLOSE), -EOVERFLOW (sequence space exhausted).
 */
int ferry_channel_seal(struct ferry_channel *ch, __u8 type, const void *msg,
		       size_t len, __u8 *out, size_t cap, size_t *outlen);
/* A CLOSE record carrying reason (enum ferry_wire_reason). */
int ferry_channel_seal_close(struct ferry_channel *ch, __u8 reason, __u8 *out,
			     size_t cap, size_t *outlen);

/*
 * Open a received frame body in place: *type and the message
 * (*msg, *msglen, pointing into body). 0, or -EBADMSG (forged, altered,
 * replayed, reordered, dropped: it does not authenticate), -EPIPE (a
 * record after the peer's CLOSE), -EPROTO (after a failure); with a message.
 * A failure is final. For a CLOSE, the reason is msg[0].
 */
int ferry_channel_open(struct ferry_channel *ch, __u8 *body, size_t len,
		       __u8 *type, const __u8 **msg, size_t *msglen,
		       char *err, size_t errlen);

/* The peer closed cleanly (its CLOSE was opened). */
bool ferry_channel_peer_closed(const struct ferry_channel *ch);

#endif
