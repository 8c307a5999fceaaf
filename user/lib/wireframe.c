// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Frame reassembly from partial reads; see wireframe.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wireframe.h"

void ferry_frame_rx_init(struct ferry_frame_rx *rx, __u32 max)
{
	memset(rx, 0, sizeof(*rx));
	rx->max = max;
}

void ferry_frame_rx_set_max(struct ferry_frame_rx *rx, __u32 max)
{
	rx->max = max;
}

void ferry_frame_rx_free(struct ferry_frame_rx *rx)
{
	free(rx->buf);
	rx->buf = NULL;
	rx->cap = 0;
}

void ferry_frame_put_header(__u8 out[FERRY_WIRE_HDR_LEN], __u32 len)
{
	out[0] = len >> 24;
	out[1] = len >> 16;
	out[2] = len >> 8;
	out[3] = len;
}

/* The header is complete: check the length, make room for the body. */
static int start_body(struct ferry_frame_rx *rx, char *err, size_t errlen)
{
	size_t len = (size_t)rx->hdr[0] << 24 | rx->hdr[1] << 16 |
		     rx->hdr[2] << 8 | rx->hdr[3];
	__u8 *p;

	if (!len) {
		snprintf(err, errlen, "frame of length 0");
		return -EBADMSG;
	}
	if (len > rx->max) {
		snprintf(err, errlen, "frame of %zu bytes over the limit of %u",
			 len, rx->max);
		return -EMSGSIZE;
	}
	if (len > rx->cap) {
		p = realloc(rx->buf, len);
		if (!p) {
			snprintf(err, errlen, "no memory for a frame of %zu bytes", len);
			return -ENOMEM;
		}
		rx->buf = p;
		rx->cap = len;
	}
	rx->want = len;
	rx->have = 0;
	return 0;
}

int ferry_frame_rx_feed(struct ferry_frame_rx *rx, const void *data, size_t len,
			size_t *used, char *err, size_t errlen)
{
	const __u8 *p = data;
	size_t n, off = 0;
	int ret;

	*used = 0;
	if (rx->failed) {
		snprintf(err, errlen, "stream already failed");
		return -EPROTO;
	}
	if (rx->ready)
		ferry_frame_rx_next(rx);
	while (rx->hdr_have < FERRY_WIRE_HDR_LEN && off < len)
		rx->hdr[rx->hdr_have++] = p[off++];
	if (rx->hdr_have < FERRY_WIRE_HDR_LEN) {
		*used = off;
		return 0;
	}
	if (!rx->want) {
		ret = start_body(rx, err, errlen);
		if (ret) {
			rx->failed = true;
			*used = off;
			return ret;
		}
	}
	n = rx->want - rx->have;
	if (n > len - off)
		n = len - off;
	memcpy(rx->buf + rx->have, p + off, n);
	rx->have += n;
	*used = off + n;
	rx->ready = rx->have == rx->want;
	return rx->ready;
}

const __u8 *ferry_frame_rx_body(const struct ferry_frame_rx *rx, size_t *len)
{
	*len = rx->ready ? rx->want : 0;
	return rx->ready ? rx->buf : NULL;
}

__u8 *ferry_frame_rx_body_mut(struct ferry_frame_rx *rx, size_t *len)
{
	*len = rx->ready ? rx->want : 0;
	return rx->ready ? rx->buf : NULL;
}

void ferry_frame_rx_next(struct ferry_frame_rx *rx)
{
	rx->hdr_have = 0;
	rx->want = 0;
	rx->have = 0;
	rx->ready = false;
}

bool ferry_frame_rx_partial(const struct ferry_frame_rx *rx)
{
	return !rx->ready && rx->hdr_have > 0;
}
