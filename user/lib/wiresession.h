/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One connection of the protocol, sans-IO: frames + handshake + channel
 * behind "feed me what you read, send what I give you". The daemon keeps
 * the socket and the epoll loop:
 *
 *	ferry_session_init(&s, &cfg, initiator);
 *	on readable:	n = read(fd, buf, ...);
 *			n == 0:  ret = ferry_session_eof(&s) (0 clean, -EPIPE cut)
 *			ret = ferry_session_feed(&s, buf, n, on_msg, ctx);
 *			ret < 0: log ferry_session_error(), flush, close
 *			ret == 1: the peer closed cleanly
 *	to send:	ferry_session_send(&s, type, msg, len);
 *	on writable / after each call: p = ferry_session_output(&s, &len);
 *			n = write(fd, p, len); ferry_session_output_done(&s, n);
 *
 * The responder's config names an authorize callback; its ctx is where the
 * daemon puts the connection's source address (see authkeys.h).
 */
#ifndef FERRY_WIRESESSION_H
#define FERRY_WIRESESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "channel.h"
#include "handshake.h"
#include "wireframe.h"

#define FERRY_SESSION_ERR_MAX	320
/* Default cap on output waiting to be written: more is -ENOBUFS. */
#define FERRY_SESSION_OUT_MAX	(16u << 20)

/* An application record: 0 to go on, else stop feeding with that value. */
typedef int (*ferry_session_msg_fn)(void *ctx, __u8 type, const __u8 *msg,
				    size_t len);

struct ferry_session {		/* fields are private */
	struct ferry_frame_rx rx;
	struct ferry_hs hs;
	struct ferry_channel ch;
	struct ferry_hs_peer peer;
	bool up;
	bool failed;
	bool peer_closed;
	int reason;
	__u8 *out;
	size_t out_len, out_off, out_cap, out_max;
	char err[FERRY_SESSION_ERR_MAX];
};

/* Start; an initiator has its HELLO in the output at once. */
int ferry_session_init(struct ferry_session *s, const struct ferry_hs_config *cfg,
		       bool initiator);
void ferry_session_free(struct ferry_session *s);

/*
 * Received bytes, any amount. on_msg gets each application record
 * (type >= FERRY_MSG_APP_MIN) in order. 0: go on; 1: the peer's CLOSE
 * came (bytes after it are ignored); < 0: failed, for good (-EACCES
 * refused, -EBADMSG not authentic or malformed, -EMSGSIZE, ...), or
 * on_msg's own non-zero value.
 */
int ferry_session_feed(struct ferry_session *s, const void *data, size_t len,
		       ferry_session_msg_fn on_msg, void *ctx);
/* The connection reached EOF: 0 after the peer's CLOSE, else -EPIPE. */
int ferry_session_eof(struct ferry_session *s);

/* Queue an application record (-EAGAIN before the handshake is done). */
int ferry_session_send(struct ferry_session *s, __u8 type, const void *msg,
		       size_t len);
/* Queue our CLOSE; nothing can be sent after it. */
int ferry_session_close(struct ferry_session *s, __u8 reason);

/* Bytes waiting to be written, and how many were. */
const __u8 *ferry_session_output(const struct ferry_session *s, size_t *len);
void ferry_session_output_done(struct ferry_session *s, size_t n);
/*
 * Both, on a socket: write what waits to fd, without blocking, as far as
 * it takes it. The bytes still waiting, or -errno if the socket failed.
 */
ssize_t ferry_session_write(struct ferry_session *s, int fd);

bool ferry_session_up(const struct ferry_session *s);
/* The peer (valid once up): identity key, role, host id. */
const struct ferry_hs_peer *ferry_session_peer(const struct ferry_session *s);
/* Whether a frame is partly received (for a slow-sender timeout). */
bool ferry_session_partial(const struct ferry_session *s);
const char *ferry_session_error(const struct ferry_session *s);
/* FERRY_REASON_* of a failure (sent or received), or of the peer's CLOSE. */
int ferry_session_reason(const struct ferry_session *s);

#endif
