// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A connection: frames, handshake, channel; see wiresession.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>
#include "wiresession.h"

static int s_fail(struct ferry_session *s, int ret, int reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int s_fail(struct ferry_session *s, int ret, int reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->failed = true;
	s->reason = reason;
	return ret;
}

/* Room for n more output bytes. */
static int out_reserve(struct ferry_session *s, size_t n)
{
	size_t cap;
	__u8 *p;

	if (s->out_off && s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (s->out_cap - s->out_len >= n)
		return 0;
	if (s->out_len - s->out_off + n > s->out_max)
		return -ENOBUFS;
	if (s->out_off) {	/* reclaim what was written */
		memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
		s->out_len -= s->out_off;
		s->out_off = 0;
		if (s->out_cap - s->out_len >= n)
			return 0;
	}
	cap = s->out_cap ? s->out_cap : 4096;
	while (cap - s->out_len < n)
		cap *= 2;
	p = realloc(s->out, cap);
	if (!p)
		return -ENOMEM;
	s->out = p;
	s->out_cap = cap;
	return 0;
}

/* Move the handshake's output to ours. */
static int pull_hs(struct ferry_session *s)
{
	const __u8 *p;
	size_t len;
	int ret;

	p = ferry_hs_output(&s->hs, &len);
	if (!len)
		return 0;
	ret = out_reserve(s, len);
	if (ret)
		return ret;
	memcpy(s->out + s->out_len, p, len);
	s->out_len += len;
	ferry_hs_output_done(&s->hs, len);
	return 0;
}

int ferry_session_init(struct ferry_session *s, const struct ferry_hs_config *cfg,
		       bool initiator)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->out_max = FERRY_SESSION_OUT_MAX;
	ferry_frame_rx_init(&s->rx, FERRY_WIRE_HS_FRAME_MAX);
	ret = ferry_hs_init(&s->hs, cfg, initiator);
	if (ret)
		return s_fail(s, ret, FERRY_REASON_INTERNAL, "%s", ferry_hs_error(&s->hs));
	return pull_hs(s);
}

void ferry_session_free(struct ferry_session *s)
{
	ferry_frame_rx_free(&s->rx);
	free(s->out);
	ferry_hs_wipe(&s->hs);
	ferry_channel_wipe(&s->ch);
	s->out = NULL;
}

/* A handshake frame; on success the channel takes over. */
static int hs_frame(struct ferry_session *s, const __u8 *body, size_t len)
{
	struct ferry_session_keys keys;
	int ret;

	ret = ferry_hs_recv(&s->hs, body, len);
	if (pull_hs(s))
		return s_fail(s, -ENOBUFS, FERRY_REASON_INTERNAL, "output full");
	if (ret < 0)
		return s_fail(s, ret, ferry_hs_reason(&s->hs), "handshake: %s",
			      ferry_hs_error(&s->hs));
	if (ret == 0)
		return 0;
	ferry_hs_keys(&s->hs, &keys);
	ferry_channel_init(&s->ch, &keys);
	sodium_memzero(&keys, sizeof(keys));
	s->peer = *ferry_hs_peer(&s->hs);
	ferry_hs_wipe(&s->hs);
	ferry_frame_rx_set_max(&s->rx, FERRY_WIRE_FRAME_MAX);
	s->up = true;
	return 0;
}

/* A record: 0, 1 (CLOSE), < 0, or on_msg's value. */
static int record(struct ferry_session *s, __u8 *body, size_t len,
		  ferry_session_msg_fn on_msg, void *ctx)
{
	char err[FERRY_CHANNEL_ERR_MAX];
	const __u8 *msg;
	size_t mlen;
	__u8 type;
	int ret;

	ret = ferry_channel_open(&s->ch, body, len, &type, &msg, &mlen, err, sizeof(err));
	if (ret)
		return s_fail(s, ret, FERRY_REASON_PROTOCOL, "%s", err);
	if (type == FERRY_MSG_CLOSE) {
		s->peer_closed = true;
		s->reason = msg[0];
		return 1;
	}
	if (type < FERRY_MSG_APP_MIN)
		return s_fail(s, -EBADMSG, FERRY_REASON_PROTOCOL,
			      "record of type %u, not an application message", type);
	return on_msg ? on_msg(ctx, type, msg, mlen) : 0;
}

int ferry_session_feed(struct ferry_session *s, const void *data, size_t len,
		       ferry_session_msg_fn on_msg, void *ctx)
{
	char err[FERRY_CHANNEL_ERR_MAX];
	const __u8 *p = data;
	size_t used, blen;
	__u8 *body;
	int ret;

	if (s->failed)
		return -EPROTO;
	if (s->peer_closed)
		return 1;
	while (len) {
		ret = ferry_frame_rx_feed(&s->rx, p, len, &used, err, sizeof(err));
		if (ret < 0)
			return s_fail(s, ret, FERRY_REASON_LIMIT, "%s", err);
		p += used;
		len -= used;
		if (!ret)
			continue;
		body = ferry_frame_rx_body_mut(&s->rx, &blen);
		if (!s->up)
			ret = hs_frame(s, body, blen);
		else
			ret = record(s, body, blen, on_msg, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int ferry_session_eof(struct ferry_session *s)
{
	if (s->peer_closed)
		return 0;
	if (!s->failed)
		s_fail(s, -EPIPE, FERRY_REASON_PROTOCOL,
		       s->up ? "connection ended without CLOSE (truncated)" :
		       "connection ended during the handshake");
	return -EPIPE;
}

int ferry_session_send(struct ferry_session *s, __u8 type, const void *msg,
		       size_t len)
{
	size_t n;
	int ret;

	if (!s->up || s->failed)
		return s->failed ? -EPIPE : -EAGAIN;
	if (len > FERRY_CHANNEL_MSG_MAX)
		return -EMSGSIZE;
	ret = out_reserve(s, len + FERRY_CHANNEL_OVERHEAD);
	if (ret)
		return ret;
	ret = ferry_channel_seal(&s->ch, type, msg, len, s->out + s->out_len,
				 s->out_cap - s->out_len, &n);
	if (ret)
		return ret;
	s->out_len += n;
	return 0;
}

int ferry_session_close(struct ferry_session *s, __u8 reason)
{
	return ferry_session_send(s, FERRY_MSG_CLOSE, &reason, 1);
}

const __u8 *ferry_session_output(const struct ferry_session *s, size_t *len)
{
	*len = s->out_len - s->out_off;
	return s->out + s->out_off;
}

void ferry_session_output_done(struct ferry_session *s, size_t n)
{
	s->out_off += n;
	if (s->out_off >= s->out_len)
		s->out_off = s->out_len = 0;
}

ssize_t ferry_session_write(struct ferry_session *s, int fd)
{
	const __u8 *p;
	size_t len;
	ssize_t n;

	for (;;) {
		p = ferry_session_output(s, &len);
		if (!len)
			return 0;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n <= 0)
			return (ssize_t)len;
		ferry_session_output_done(s, (size_t)n);
	}
}

bool ferry_session_up(const struct ferry_session *s)
{
	return s->up && !s->failed;
}

const struct ferry_hs_peer *ferry_session_peer(const struct ferry_session *s)
{
	return s->up ? &s->peer : ferry_hs_peer(&s->hs);
}

bool ferry_session_partial(const struct ferry_session *s)
{
	return ferry_frame_rx_partial(&s->rx);
}

const char *ferry_session_error(const struct ferry_session *s)
{
	return s->err;
}

int ferry_session_reason(const struct ferry_session *s)
{
	return s->reason;
}
