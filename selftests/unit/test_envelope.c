// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Signed envelopes: round trip, every bit flipped, the wrong key, a relay
 * re-signing, malformed encodings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "envelope.h"

/* docs/protocol.md, test vector: chunk below, signed with seed 32 x 01 */
#define KAT_ENVELOPE \
	"870028010702cf1122334455667788030304cf0000019b76daa80005c408666c6f" \
	"77732e2e2e06c440284a229db626c00624ce6954af7bedf6ad65d182fd37f4def6" \
	"e68f6a69e055cffa7929afe5048b1b55a5362a858807c72b3c337a68d5d4b8a435" \
	"ec127e8e250d"

static struct ferry_identity soa, som;

static int setup(void **state)
{
	__u8 seed[32];

	memset(seed, 1, sizeof(seed));
	assert_int_equal(ferry_identity_from_seed(&soa, seed), 0);
	memset(seed, 2, sizeof(seed));
	assert_int_equal(ferry_identity_from_seed(&som, seed), 0);
	return 0;
}

static const struct ferry_envelope chunk = {
	.type = 40, .origin = 7, .migration_id = 0x1122334455667788ull,
	.seq = 3, .timestamp_ms = 1767225600000ull,
	.body = (const __u8 *)"flows...", .body_len = 8,
};

static void test_round_trip(void **state)
{
	struct ferry_envelope e;
	__u8 buf[256];
	size_t len;
	char err[FERRY_ENVELOPE_ERR_MAX];

	assert_int_equal(ferry_envelope_seal(&chunk, &soa, buf, sizeof(buf), &len), 0);
	assert_true(len <= chunk.body_len + FERRY_ENVELOPE_OVERHEAD);
	assert_int_equal(ferry_envelope_open(buf, len, soa.pk, &e, err, sizeof(err)), 0);
	assert_int_equal(e.type, 40);
	assert_int_equal(e.origin, 7);
	assert_int_equal(e.migration_id, chunk.migration_id);
	assert_int_equal(e.seq, 3);
	assert_int_equal(e.timestamp_ms, chunk.timestamp_ms);
	assert_int_equal(e.body_len, 8);
	assert_memory_equal(e.body, "flows...", 8);
	/* the relay (SOM) cannot pass it off with the origin's key */
	assert_int_equal(ferry_envelope_open(buf, len, som.pk, &e, err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "signature does not verify"));
	/* a relay re-signing an altered chunk with its own key is caught too */
	e = chunk;
	e.body = (const __u8 *)"forged!!";
	assert_int_equal(ferry_envelope_seal(&e, &som, buf, sizeof(buf), &len), 0);
	assert_int_equal(ferry_envelope_open(buf, len, soa.pk, &e, err, sizeof(err)),
			 -EACCES);
	/* empty body; buffer too small */
	e = chunk;
	e.body_len = 0;
	assert_int_equal(ferry_envelope_seal(&e, &som, buf, sizeof(buf), &len), 0);
	assert_int_equal(ferry_envelope_open(buf, len, som.pk, &e, err, sizeof(err)), 0);
	assert_int_equal(e.body_len, 0);
	assert_int_equal(ferry_envelope_seal(&chunk, &soa, buf, 40, &len), -ENOBUFS);
}

static void test_known_answer(void **state)
{
	char hex[2 * 256 + 1];
	__u8 buf[256];
	size_t len, i;

	assert_int_equal(ferry_envelope_seal(&chunk, &soa, buf, sizeof(buf), &len), 0);
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", buf[i]);
	assert_string_equal(hex, KAT_ENVELOPE);
}

static void test_every_bit(void **state)
{
	struct ferry_envelope e;
	__u8 buf[256], bad[256];
	size_t len, bit;
	char err[FERRY_ENVELOPE_ERR_MAX];
	int ret;

	assert_int_equal(ferry_envelope_seal(&chunk, &soa, buf, sizeof(buf), &len), 0);
	for (bit = 0; bit < len * 8; bit++) {
		memcpy(bad, buf, len);
		bad[bit / 8] ^= 1 << (bit % 8);
		ret = ferry_envelope_open(bad, len, soa.pk, &e, err, sizeof(err));
		if (ret != -EACCES && ret != -EBADMSG && ret != -ERANGE)
			fail_msg("bit %zu flipped: %d", bit, ret);
	}
	/* truncated, and with a byte after it */
	for (bit = 0; bit < len; bit++)
		assert_int_equal(ferry_envelope_open(buf, bit, soa.pk, &e, err,
						     sizeof(err)), -EBADMSG);
	buf[len] = 0;
	assert_int_equal(ferry_envelope_open(buf, len + 1, soa.pk, &e, err,
					     sizeof(err)), -EBADMSG);
	assert_string_equal(err, "envelope: message: 1 trailing bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_every_bit),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
