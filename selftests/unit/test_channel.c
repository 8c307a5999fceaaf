// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The encrypted channel: records round trip through the frame reassembler
 * in pieces; forged, altered, replayed, reordered, dropped, reflected and
 * truncated records are detected and end the channel; CLOSE; a known
 * answer for one record (docs/protocol.md).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "channel.h"
#include "wireframe.h"

/* The session keys of the handshake test vector. */
#define KAT_K_I2R	"8da3f440c9e4a40720027dd431fa4791fc1a05f87618885dca9af7233a20652f"
#define KAT_K_R2I	"c32d357072c2804a209ef489e759bd410348137115ee9280fc87bd01fa801511"
/* initiator's records 0 and 1: type 32 "ping", then CLOSE with reason 0 */
#define KAT_REC0	"00000015bf7f08a79bf2b78df123be1ea1c176702971051490"
#define KAT_REC1	"00000012db7b0c83210434f7cb326c4bf62c1e581bc6"

static void unhex(const char *s, __u8 *out)
{
	size_t i;

	for (i = 0; s[2 * i]; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
}

static void tohex(const __u8 *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* A pair of channels, as the two ends of one session. */
static void pair(struct ferry_channel *a, struct ferry_channel *b)
{
	struct ferry_session_keys ka = {}, kb = {};

	unhex(KAT_K_I2R, ka.tx);
	unhex(KAT_K_R2I, ka.rx);
	memcpy(kb.tx, ka.rx, 32);
	memcpy(kb.rx, ka.tx, 32);
	ferry_channel_init(a, &ka);
	ferry_channel_init(b, &kb);
}

struct rec {
	__u8 buf[256];
	size_t len;
};

static void seal(struct ferry_channel *ch, struct rec *r, const char *msg)
{
	assert_int_equal(ferry_channel_seal(ch, FERRY_MSG_APP_MIN, msg, strlen(msg),
					    r->buf, sizeof(r->buf), &r->len), 0);
	assert_int_equal(r->len, strlen(msg) + FERRY_CHANNEL_OVERHEAD);
}

/* Open a copy of a sealed record; the message must be msg if 0. */
static int open_rec(struct ferry_channel *ch, const struct rec *r, const char *msg)
{
	__u8 body[256], type;
	const __u8 *m;
	size_t mlen;
	char err[FERRY_CHANNEL_ERR_MAX];
	int ret;

	memcpy(body, r->buf + 4, r->len - 4);
	ret = ferry_channel_open(ch, body, r->len - 4, &type, &m, &mlen, err,
				 sizeof(err));
	if (ret)
		return ret;
	assert_int_equal(type, FERRY_MSG_APP_MIN);
	assert_int_equal(mlen, strlen(msg));
	assert_memory_equal(m, msg, mlen);
	return 0;
}

static void test_round_trip_stream(void **state)
{
	static const size_t sizes[] = { 0, 1, 100, 65536, FERRY_CHANNEL_MSG_MAX };
	struct ferry_channel a, b;
	struct ferry_frame_rx rx;
	__u8 *stream, *msg, *body, type;
	size_t i, len = 0, n, used, blen, mlen, piece, got = 0;
	const __u8 *m;
	char err[FERRY_CHANNEL_ERR_MAX];
	int ret;

	pair(&a, &b);
	stream = malloc(8 << 20);
	msg = malloc(FERRY_CHANNEL_MSG_MAX);
	assert_non_null(stream);
	assert_non_null(msg);
	for (i = 0; i < FERRY_CHANNEL_MSG_MAX; i++)
		msg[i] = i * 7;
	for (i = 0; i < 5; i++) {
		assert_int_equal(ferry_channel_seal(&a, FERRY_MSG_APP_MIN + i, msg,
						    sizes[i], stream + len,
						    (8 << 20) - len, &n), 0);
		len += n;
	}
	/* in-place: the message already where the record wants it */
	memcpy(stream + len + FERRY_CHANNEL_MSG_OFF, "inplace", 7);
	assert_int_equal(ferry_channel_seal(&a, FERRY_MSG_APP_MIN + 5,
					    stream + len + FERRY_CHANNEL_MSG_OFF, 7,
					    stream + len, 64, &n), 0);
	len += n;
	/* fed in odd pieces: 1, 2, 3, ... bytes */
	ferry_frame_rx_init(&rx, FERRY_WIRE_FRAME_MAX);
	for (i = 0, piece = 1; i < len; i += used, piece = piece % 7919 + 1) {
		n = len - i < piece ? len - i : piece;
		ret = ferry_frame_rx_feed(&rx, stream + i, n, &used, err, sizeof(err));
		assert_true(ret >= 0);
		if (!ret)
			continue;
		body = ferry_frame_rx_body_mut(&rx, &blen);
		assert_int_equal(ferry_channel_open(&b, body, blen, &type, &m, &mlen, err,
						    sizeof(err)), 0);
		assert_int_equal(type, FERRY_MSG_APP_MIN + got);
		if (got < 5) {
			assert_int_equal(mlen, sizes[got]);
			if (mlen)
				assert_memory_equal(m, msg, mlen);
		} else {
			assert_memory_equal(m, "inplace", 7);
		}
		got++;
	}
	assert_int_equal(got, 6);
	assert_false(ferry_frame_rx_partial(&rx));
	ferry_frame_rx_free(&rx);
	/* too big for a record */
	assert_int_equal(ferry_channel_seal(&a, FERRY_MSG_APP_MIN, msg,
					    FERRY_CHANNEL_MSG_MAX + 1, stream,
					    8 << 20, &n), -EMSGSIZE);
	assert_int_equal(ferry_channel_seal(&a, FERRY_MSG_APP_MIN, msg, 10, stream,
					    10, &n), -ENOBUFS);
	free(stream);
	free(msg);
}

static void test_forged_and_altered(void **state)
{
	struct ferry_channel a, b;
	struct rec r, bad;
	size_t bit;

	pair(&a, &b);
	seal(&a, &r, "open the pinhole");
	for (bit = 0; bit < (r.len - 4) * 8; bit++) {
		pair(&a, &b);
		bad = r;
		bad.buf[4 + bit / 8] ^= 1 << (bit % 8);
		assert_int_equal(open_rec(&b, &bad, "open the pinhole"), -EBADMSG);
		/* the channel is dead after that */
		assert_int_equal(open_rec(&b, &r, "open the pinhole"), -EPROTO);
	}
	/* a forgery: random bytes of a plausible size */
	pair(&a, &b);
	bad = r;
	for (bit = 4; bit < bad.len; bit++)
		bad.buf[bit] = rand();
	assert_int_equal(open_rec(&b, &bad, "open the pinhole"), -EBADMSG);
	/* too short to be a record */
	pair(&a, &b);
	bad.len = 4 + FERRY_WIRE_TAG_LEN;
	assert_int_equal(open_rec(&b, &bad, ""), -EBADMSG);
	/* the right record, shortened (truncated frame) */
	pair(&a, &b);
	bad = r;
	bad.len--;
	assert_int_equal(open_rec(&b, &bad, "open the pinhole"), -EBADMSG);
}

static void test_replay_reorder_drop_reflect(void **state)
{
	struct ferry_channel a, b;
	struct rec r0, r1, r2;

	pair(&a, &b);
	seal(&a, &r0, "zero");
	seal(&a, &r1, "one");
	seal(&a, &r2, "two");
	/* in order: fine */
	assert_int_equal(open_rec(&b, &r0, "zero"), 0);
	assert_int_equal(open_rec(&b, &r1, "one"), 0);
	/* replayed */
	assert_int_equal(open_rec(&b, &r1, "one"), -EBADMSG);
	/* reordered */
	pair(&a, &b);
	assert_int_equal(open_rec(&b, &r1, "one"), -EBADMSG);
	/* dropped */
	pair(&a, &b);
	assert_int_equal(open_rec(&b, &r0, "zero"), 0);
	assert_int_equal(open_rec(&b, &r2, "two"), -EBADMSG);
	/* reflected back to its sender */
	pair(&a, &b);
	assert_int_equal(open_rec(&a, &r0, "zero"), -EBADMSG);
	/* the same record under a new session's keys */
	pair(&a, &b);
	b.rx_key[0] ^= 1;
	assert_int_equal(open_rec(&b, &r0, "zero"), -EBADMSG);
}

static void test_close(void **state)
{
	struct ferry_channel a, b;
	struct rec r0, c, r1;
	__u8 body[64], type;
	const __u8 *m;
	size_t mlen;
	char err[FERRY_CHANNEL_ERR_MAX];

	pair(&a, &b);
	seal(&a, &r0, "last words");
	assert_int_equal(ferry_channel_seal_close(&a, FERRY_REASON_OK, c.buf,
						  sizeof(c.buf), &c.len), 0);
	/* nothing goes after our CLOSE */
	assert_int_equal(ferry_channel_seal(&a, FERRY_MSG_APP_MIN, "x", 1, r1.buf,
					    sizeof(r1.buf), &r1.len), -EPIPE);
	/* a stream cut before the CLOSE is not a clean end */
	assert_int_equal(open_rec(&b, &r0, "last words"), 0);
	assert_false(ferry_channel_peer_closed(&b));
	memcpy(body, c.buf + 4, c.len - 4);
	assert_int_equal(ferry_channel_open(&b, body, c.len - 4, &type, &m, &mlen,
					    err, sizeof(err)), 0);
	assert_int_equal(type, FERRY_MSG_CLOSE);
	assert_int_equal(mlen, 1);
	assert_int_equal(m[0], FERRY_REASON_OK);
	assert_true(ferry_channel_peer_closed(&b));
	/* and nothing is accepted after the peer's CLOSE */
	assert_int_equal(open_rec(&b, &r0, "last words"), -EPIPE);
}

/* Known answer: the vector's keys, sequence 0 and 1 of the initiator. */
static void test_known_answer(void **state)
{
	struct ferry_channel a, b;
	struct rec r, c;
	char hex[2 * sizeof(r.buf) + 1];

	pair(&a, &b);
	seal(&a, &r, "ping");
	assert_int_equal(ferry_channel_seal_close(&a, 0, c.buf, sizeof(c.buf), &c.len), 0);
	tohex(r.buf, r.len, hex);
	if (getenv("FERRY_KAT_PRINT"))
		printf("record 0\n%s\n", hex);
	else
		assert_string_equal(hex, KAT_REC0);
	tohex(c.buf, c.len, hex);
	if (getenv("FERRY_KAT_PRINT"))
		printf("record 1\n%s\n", hex);
	else
		assert_string_equal(hex, KAT_REC1);
	assert_int_equal(open_rec(&b, &r, "ping"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_stream),
		cmocka_unit_test(test_forged_and_altered),
		cmocka_unit_test(test_replay_reorder_drop_reflect),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_known_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
