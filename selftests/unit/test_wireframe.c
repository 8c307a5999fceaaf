// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Frames: reassembly from partial reads, limits, zero length; and the
 * strict msgpack reader the messages use. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "mpk.h"
#include "wireframe.h"

static int feed_all(struct ferry_frame_rx *rx, const __u8 *p, size_t len,
		    size_t piece, int *frames, char *err)
{
	size_t used, n, blen;
	const __u8 *body;
	int ret;

	while (len) {
		n = len < piece ? len : piece;
		ret = ferry_frame_rx_feed(rx, p, n, &used, err, 128);
		if (ret < 0)
			return ret;
		assert_true(used <= n);
		p += used;
		len -= used;
		if (ret == 1) {
			body = ferry_frame_rx_body(rx, &blen);
			assert_int_equal(blen, (size_t)(*frames + 1));
			assert_int_equal(body[0], *frames);
			(*frames)++;
		}
	}
	return 0;
}

/* Frames of 1, 2, 3, ... 40 bytes, fed in every piece size from 1 up. */
static void test_partial_reads(void **state)
{
	__u8 stream[4096];
	size_t len = 0, piece;
	struct ferry_frame_rx rx;
	char err[128];
	int i, frames;

	for (i = 0; i < 40; i++) {
		ferry_frame_put_header(stream + len, i + 1);
		memset(stream + len + 4, i, i + 1);
		len += 4 + i + 1;
	}
	for (piece = 1; piece <= len; piece++) {
		ferry_frame_rx_init(&rx, 64);
		frames = 0;
		assert_int_equal(feed_all(&rx, stream, len, piece, &frames, err), 0);
		assert_int_equal(frames, 40);
		assert_false(ferry_frame_rx_partial(&rx));
		ferry_frame_rx_free(&rx);
	}
	/* a frame held open half way is seen as partial */
	ferry_frame_rx_init(&rx, 64);
	frames = 0;
	assert_int_equal(feed_all(&rx, stream, 6, 6, &frames, err), 0);
	assert_int_equal(frames, 1);
	assert_true(ferry_frame_rx_partial(&rx));
	ferry_frame_rx_free(&rx);
}

static void test_limits(void **state)
{
	static const __u8 zero[] = { 0, 0, 0, 0, 1 };
	static const __u8 big[] = { 0, 0, 0, 65 };
	static const __u8 huge[] = { 0xff, 0xff, 0xff, 0xff };
	static const __u8 ok[] = { 0, 0, 0, 64 };
	struct ferry_frame_rx rx;
	char err[128];
	size_t used;

	ferry_frame_rx_init(&rx, 64);
	assert_int_equal(ferry_frame_rx_feed(&rx, zero, sizeof(zero), &used, err,
					     sizeof(err)), -EBADMSG);
	assert_string_equal(err, "frame of length 0");
	/* and the stream is dead */
	assert_int_equal(ferry_frame_rx_feed(&rx, ok, sizeof(ok), &used, err,
					     sizeof(err)), -EPROTO);
	ferry_frame_rx_free(&rx);

	ferry_frame_rx_init(&rx, 64);
	assert_int_equal(ferry_frame_rx_feed(&rx, big, sizeof(big), &used, err,
					     sizeof(err)), -EMSGSIZE);
	assert_string_equal(err, "frame of 65 bytes over the limit of 64");
	ferry_frame_rx_free(&rx);

	/* the oversize header is refused before any body byte is buffered */
	ferry_frame_rx_init(&rx, FERRY_WIRE_FRAME_MAX);
	assert_int_equal(ferry_frame_rx_feed(&rx, huge, 4, &used, err, sizeof(err)),
			 -EMSGSIZE);
	assert_null(rx.buf);
	ferry_frame_rx_free(&rx);

	/* exactly the limit is fine; raising it after the handshake works */
	ferry_frame_rx_init(&rx, 64);
	assert_int_equal(ferry_frame_rx_feed(&rx, ok, sizeof(ok), &used, err,
					     sizeof(err)), 0);
	assert_int_equal(used, 4);
	assert_true(ferry_frame_rx_partial(&rx));
	ferry_frame_rx_free(&rx);
	ferry_frame_rx_init(&rx, 64);
	ferry_frame_rx_set_max(&rx, 65);
	assert_int_equal(ferry_frame_rx_feed(&rx, big, sizeof(big), &used, err,
					     sizeof(err)), 0);
	ferry_frame_rx_free(&rx);
}

static const struct ferry_mpk_field fields[3] = {
	{ "a", FERRY_MPK_UINT, 0, 1000 },
	{ "b", FERRY_MPK_BIN, 2, 4 },
	{ "c", FERRY_MPK_UINT, 0, ~0ull },
};

static int dec(const char *hex, char *err)
{
	struct ferry_mpk_value v[3];
	__u8 buf[64];
	size_t n;

	for (n = 0; hex[2 * n]; n++)
		sscanf(hex + 2 * n, "%2hhx", &buf[n]);
	return ferry_mpk_decode(buf, n, fields, 3, v, err, 128);
}

static void test_mpk(void **state)
{
	static const struct { const char *hex; int ret; const char *msg; } cases[] = {
		{ "8300cd03e801c402abcd02cf0000000100000000", 0, "" },
		{ "83", -EBADMSG, "map key: truncated" },
		{ "", -EBADMSG, "message: truncated" },
		{ "9300", -EBADMSG, "message: type 0x93, expected a map" },
		{ "8200010102", -EBADMSG, "message: 2 keys, expected 3" },
		{ "8300cd03e901c402abcd0200", -ERANGE, "a: 1001 over 1000" },
		{ "83000001c401ab0200", -EBADMSG, "b: 1 bytes, expected 2..4" },
		{ "83000001a2abcd0200", -EBADMSG, "b: type 0xa2, expected a binary" },
		{ "83000000000200", -EBADMSG, "a: key 0 repeated" },
		{ "830000030001c402abcd", -EBADMSG, "message: unknown key 3" },
		{ "8300ff01c402abcd0200", -EBADMSG,
		  "a: type 0xff, expected an unsigned integer" },
		{ "8300d0ff01c402abcd0200", -EBADMSG,
		  "a: negative, expected an unsigned integer" },
		{ "83000101c402abcd020000", -EBADMSG, "message: 1 trailing bytes" },
		{ "83000101c404abcd", -EBADMSG, "b: truncated" },
		{ "83000101c402abcd02c0", -EBADMSG,
		  "c: type 0xc0, expected an unsigned integer" },
	};
	char err[128];
	size_t i;
	char hex[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		snprintf(hex, sizeof(hex), "%s", cases[i].hex);
		if (dec(hex, err) != cases[i].ret)
			fail_msg("case %zu (%s): %d, %s", i, hex, dec(hex, err), err);
		assert_string_equal(err, cases[i].msg);
	}
}

static void test_mpk_writer(void **state)
{
	struct ferry_mpk_value v[3];
	struct ferry_mpk_buf b;
	__u8 buf[32], small[3];
	char err[128];

	ferry_mpk_init(&b, buf, sizeof(buf));
	ferry_mpk_put_map(&b, 3);
	ferry_mpk_put_uint(&b, 2);
	ferry_mpk_put_uint(&b, 0x100000000ull);
	ferry_mpk_put_uint(&b, 0);
	ferry_mpk_put_uint(&b, 127);
	ferry_mpk_put_uint(&b, 1);
	ferry_mpk_put_bin(&b, "xyz", 3);
	assert_false(b.overflow);
	assert_int_equal(b.len, 1 + 1 + 9 + 1 + 1 + 1 + 5);
	assert_int_equal(ferry_mpk_decode(buf, b.len, fields, 3, v, err, sizeof(err)), 0);
	assert_int_equal(v[0].u, 127);
	assert_int_equal(v[2].u, 0x100000000ull);
	assert_int_equal(v[1].len, 3);
	assert_memory_equal(v[1].bin, "xyz", 3);
	ferry_mpk_init(&b, small, sizeof(small));
	ferry_mpk_put_bin(&b, "xyz", 3);
	assert_true(b.overflow);
}

/* Map and array headers in their shortest form, at each boundary. */
static void test_mpk_counts(void **state)
{
	static const struct {
		__u32 n;
		__u8 map[5], array[5];
		size_t len;
	} cases[] = {
		{ 0, { 0x80 }, { 0x90 }, 1 },
		{ 15, { 0x8f }, { 0x9f }, 1 },
		{ 16, { 0xde, 0, 16 }, { 0xdc, 0, 16 }, 3 },
		{ 0xffff, { 0xde, 0xff, 0xff }, { 0xdc, 0xff, 0xff }, 3 },
		{ 0x10000, { 0xdf, 0, 1, 0, 0 }, { 0xdd, 0, 1, 0, 0 }, 5 },
		{ 1000000, { 0xdf, 0, 0x0f, 0x42, 0x40 }, { 0xdd, 0, 0x0f, 0x42, 0x40 }, 5 },
	};
	struct ferry_mpk_buf b;
	__u8 buf[8];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ferry_mpk_init(&b, buf, sizeof(buf));
		ferry_mpk_put_map(&b, cases[i].n);
		assert_int_equal(b.len, cases[i].len);
		assert_memory_equal(buf, cases[i].map, cases[i].len);
		ferry_mpk_init(&b, buf, sizeof(buf));
		ferry_mpk_put_array(&b, cases[i].n);
		assert_int_equal(b.len, cases[i].len);
		assert_memory_equal(buf, cases[i].array, cases[i].len);
	}
}

/*
 * Unsigned integers in their shortest form, the same bytes whether the
 * buffer has room to spare or exactly enough; one byte short overflows
 * and writes nothing.
 */
static void test_mpk_uints(void **state)
{
	static const struct {
		__u64 v;
		__u8 bytes[9];
		size_t len;
	} cases[] = {
		{ 0, { 0x00 }, 1 },
		{ 127, { 0x7f }, 1 },
		{ 128, { 0xcc, 0x80 }, 2 },
		{ 255, { 0xcc, 0xff }, 2 },
		{ 256, { 0xcd, 0x01, 0x00 }, 3 },
		{ 65535, { 0xcd, 0xff, 0xff }, 3 },
		{ 65536, { 0xce, 0, 1, 0, 0 }, 5 },
		{ 0xffffffffull, { 0xce, 0xff, 0xff, 0xff, 0xff }, 5 },
		{ 0x100000000ull, { 0xcf, 0, 0, 0, 1, 0, 0, 0, 0 }, 9 },
		{ 0x0102030405060708ull, { 0xcf, 1, 2, 3, 4, 5, 6, 7, 8 }, 9 },
		{ ~0ull, { 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9 },
	};
	struct ferry_mpk_buf b;
	__u8 buf[16];
	size_t i, j, cap[2];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cap[0] = cases[i].len;		/* exactly enough */
		cap[1] = sizeof(buf);		/* room to spare */
		for (j = 0; j < 2; j++) {
			ferry_mpk_init(&b, buf, cap[j]);
			ferry_mpk_put_uint(&b, cases[i].v);
			assert_false(b.overflow);
			assert_int_equal(b.len, cases[i].len);
			assert_memory_equal(buf, cases[i].bytes, cases[i].len);
		}
		ferry_mpk_init(&b, buf, cases[i].len - 1);
		ferry_mpk_put_uint(&b, cases[i].v);
		assert_true(b.overflow);
		assert_int_equal(b.len, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_reads),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mpk),
		cmocka_unit_test(test_mpk_writer),
		cmocka_unit_test(test_mpk_counts),
		cmocka_unit_test(test_mpk_uints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
