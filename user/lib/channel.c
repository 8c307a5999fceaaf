// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* AEAD records with implicit strict sequence numbers; see channel.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "channel.h"
#include "wireframe.h"

#define AD_LEN	(FERRY_WIRE_HDR_LEN + 8)

void ferry_channel_init(struct ferry_channel *ch, const struct ferry_session_keys *keys)
{
	memset(ch, 0, sizeof(*ch));
	memcpy(ch->tx_key, keys->tx, sizeof(ch->tx_key));
	memcpy(ch->rx_key, keys->rx, sizeof(ch->rx_key));
}

void ferry_channel_wipe(struct ferry_channel *ch)
{
	sodium_memzero(ch, sizeof(*ch));
}

static void put_be64(__u8 *p, __u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (56 - 8 * i);
}

/* nonce = 0^4 || seq; ad = header || seq */
static void nonce_ad(__u64 seq, __u32 body_len, __u8 nonce[12], __u8 ad[AD_LEN])
{
	memset(nonce, 0, 4);
	put_be64(nonce + 4, seq);
	ferry_frame_put_header(ad, body_len);
	put_be64(ad + FERRY_WIRE_HDR_LEN, seq);
}

int ferry_channel_seal(struct ferry_channel *ch, __u8 type, const void *msg,
		       size_t len, __u8 *out, size_t cap, size_t *outlen)
{
	__u8 nonce[12], ad[AD_LEN], *pt = out + FERRY_WIRE_HDR_LEN;
	size_t body = 1 + len + FERRY_WIRE_TAG_LEN;

	if (ch->tx_closed || ch->failed)
		return -EPIPE;
	if (len > FERRY_CHANNEL_MSG_MAX)
		return -EMSGSIZE;
	if (cap < FERRY_WIRE_HDR_LEN + body)
		return -ENOBUFS;
	if (ch->tx_seq == ~0ull)
		return -EOVERFLOW;
	memmove(pt + 1, msg, len);
	pt[0] = type;
	nonce_ad(ch->tx_seq, body, nonce, ad);
	memcpy(out, ad, FERRY_WIRE_HDR_LEN);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(pt, pt + 1 + len, NULL,
							   pt, 1 + len, ad, AD_LEN,
							   NULL, nonce, ch->tx_key);
	ch->tx_seq++;
	if (type == FERRY_MSG_CLOSE)
		ch->tx_closed = true;
	*outlen = FERRY_WIRE_HDR_LEN + body;
	return 0;
}

int ferry_channel_seal_close(struct ferry_channel *ch, __u8 reason, __u8 *out,
			     size_t cap, size_t *outlen)
{
	return ferry_channel_seal(ch, FERRY_MSG_CLOSE, &reason, 1, out, cap, outlen);
}

int ferry_channel_open(struct ferry_channel *ch, __u8 *body, size_t len,
		       __u8 *type, const __u8 **msg, size_t *msglen,
		       char *err, size_t errlen)
{
	__u8 nonce[12], ad[AD_LEN];
	size_t ptlen;

	if (ch->failed) {
		snprintf(err, errlen, "channel already failed");
		return -EPROTO;
	}
	if (ch->rx_closed) {
		ch->failed = true;
		snprintf(err, errlen, "record %llu after the peer's CLOSE",
			 (unsigned long long)ch->rx_seq);
		return -EPIPE;
	}
	if (len < 1 + FERRY_WIRE_TAG_LEN || len > FERRY_WIRE_FRAME_MAX ||
	    ch->rx_seq == ~0ull) {
		ch->failed = true;
		snprintf(err, errlen, "record %llu: %zu bytes, too short for a record",
			 (unsigned long long)ch->rx_seq, len);
		return -EBADMSG;
	}
	ptlen = len - FERRY_WIRE_TAG_LEN;
	nonce_ad(ch->rx_seq, len, nonce, ad);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(body, NULL, body, ptlen,
							       body + ptlen, ad, AD_LEN,
							       nonce, ch->rx_key)) {
		ch->failed = true;
		snprintf(err, errlen, "record %llu does not authenticate (forged, "
			 "altered, replayed, reordered or after a dropped record)",
			 (unsigned long long)ch->rx_seq);
		return -EBADMSG;
	}
	ch->rx_seq++;
	*type = body[0];
	*msg = body + 1;
	*msglen = ptlen - 1;
	if (*type == FERRY_MSG_CLOSE) {
		if (*msglen != 1) {
			ch->failed = true;
			snprintf(err, errlen, "CLOSE of %zu bytes, expected 1", *msglen);
			return -EBADMSG;
		}
		ch->rx_closed = true;
	}
	return 0;
}

bool ferry_channel_peer_closed(const struct ferry_channel *ch)
{
	return ch->rx_closed;
}
