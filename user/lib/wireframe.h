/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Length-prefixed frames: a 4-byte big-endian body length (1..max), then
 * the body. The reassembler is fed whatever a read returned, in pieces of
 * any size, and yields whole frames; it never touches a socket.
 *
 *	while (len) {
 *		ret = ferry_frame_rx_feed(&rx, p, len, &used, err, sizeof(err));
 *		if (ret < 0)
 *			goto drop_peer;		// oversize or zero frame
 *		p += used, len -= used;
 *		if (ret == 1) {
 *			body = ferry_frame_rx_body(&rx, &blen);
 *			... handle body ...
 *			ferry_frame_rx_next(&rx);
 *		}
 *	}
 */
#ifndef FERRY_WIREFRAME_H
#define FERRY_WIREFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <ferry/wire.h>

struct ferry_frame_rx {		/* fields are private */
	__u8 hdr[FERRY_WIRE_HDR_LEN];
	unsigned int hdr_have;
	__u8 *buf;
	size_t cap;
	size_t want;		/* body length, once the header is in */
	size_t have;
	__u32 max;
	bool ready;
	bool failed;
};

/* An empty reassembler accepting bodies of 1..max bytes. */
void ferry_frame_rx_init(struct ferry_frame_rx *rx, __u32 max);
/* Change the maximum (e.g. to FERRY_WIRE_FRAME_MAX after the handshake). */
void ferry_frame_rx_set_max(struct ferry_frame_rx *rx, __u32 max);
void ferry_frame_rx_free(struct ferry_frame_rx *rx);

/*
 * Consume bytes from data[0..len) into the frame being built; *used says
 * how many. 1: a whole frame is ready (nothing after it was consumed);
 * 0: all consumed, no frame yet; -EMSGSIZE (over max), -EBADMSG (zero
 * length), -ENOMEM, with a message in err. After an error the reassembler
 * refuses everything: the peer must be dropped.
 */
int ferry_frame_rx_feed(struct ferry_frame_rx *rx, const void *data, size_t len,
			size_t *used, char *err, size_t errlen);
/* The ready frame's body (valid until the next call of _next or _feed). */
const __u8 *ferry_frame_rx_body(const struct ferry_frame_rx *rx, size_t *len);
__u8 *ferry_frame_rx_body_mut(struct ferry_frame_rx *rx, size_t *len);
/* Drop the ready frame and start the next. */
void ferry_frame_rx_next(struct ferry_frame_rx *rx);
/* Whether part of a frame is held (for a slow-sender timeout). */
bool ferry_frame_rx_partial(const struct ferry_frame_rx *rx);

/* The 4-byte header of a body of len bytes. */
void ferry_frame_put_header(__u8 out[FERRY_WIRE_HDR_LEN], __u32 len);

#endif
