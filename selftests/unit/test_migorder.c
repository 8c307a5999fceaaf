// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The migration order and the payload bodies: round trips, every field
 * missing / mistyped / out of range, trailing bytes, truncation, every bit
 * of a signed order flipped, the wrong key; the set of finished migrations.
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
#include <sodium.h>
#include "envelope.h"
#include "migdest.h"
#include "migorder.h"
#include "migpayload.h"
#include "mpk.h"

static struct ferry_identity som, soa;

static int setup(void **state)
{
	__u8 seed[32];

	memset(seed, 3, sizeof(seed));
	assert_int_equal(ferry_identity_from_seed(&som, seed), 0);
	memset(seed, 4, sizeof(seed));
	assert_int_equal(ferry_identity_from_seed(&soa, seed), 0);
	return 0;
}

static void good_order(struct ferry_mig_order *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < FERRY_MIG_ID_LEN; i++)
		o->id[i] = 0xa0 + i;
	o->vm.zone = 7;
	o->vm.n_addrs = 2;
	o->vm.family[0] = FERRY_AF_INET;
	memcpy(o->vm.addr[0], "\xc6\x12\x00\x01", 4);
	o->vm.family[1] = FERRY_AF_INET6;
	memcpy(o->vm.addr[1], "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	o->vm.has_mac = 1;
	memcpy(o->vm.mac, "\x02\x00\x00\x00\x00\x01", 6);
	o->src_host = 11;
	memcpy(o->src_pk, soa.pk, 32);
	o->dst_host = 12;
	o->issued_s = 1767225600;
	o->expires_s = 1767225660;
	o->max_flows = 100000;
	o->max_bytes = 64u << 20;
}

static void test_round_trip(void **state)
{
	struct ferry_mig_order o, d;
	char err[FERRY_MIG_ERR_MAX];
	__u8 buf[FERRY_MIG_ORDER_MAX];
	size_t len;
	int reason;

	good_order(&o);
	assert_int_equal(ferry_mig_order_encode(&o, buf, sizeof(buf), &len), 0);
	assert_int_equal(ferry_mig_order_decode(buf, len, &d, err, sizeof(err)), 0);
	assert_memory_equal(&o, &d, sizeof(o));

	/* without a MAC, one address */
	o.vm.has_mac = 0;
	memset(o.vm.mac, 0, 6);
	o.vm.n_addrs = 1;
	memset(o.vm.addr[1], 0, 16);
	o.vm.family[1] = 0;
	assert_int_equal(ferry_mig_order_encode(&o, buf, sizeof(buf), &len), 0);
	assert_int_equal(ferry_mig_order_decode(buf, len, &d, err, sizeof(err)), 0);
	assert_memory_equal(&o, &d, sizeof(o));

	/* signed */
	good_order(&o);
	assert_int_equal(ferry_mig_order_seal(&o, &som, 1767225600000ull, buf,
					      sizeof(buf), &len), 0);
	assert_int_equal(ferry_mig_order_open(buf, len, som.pk, &d, &reason, err,
					      sizeof(err)), 0);
	assert_int_equal(reason, FERRY_MIG_OK);
	assert_memory_equal(&o, &d, sizeof(o));
	assert_int_equal(ferry_mig_id64(o.id), 0xa0a1a2a3a4a5a6a7ull);
}

static void test_encode_refuses_bad(void **state)
{
	struct ferry_mig_order o;
	__u8 buf[FERRY_MIG_ORDER_MAX];
	size_t len;

	good_order(&o);
	o.dst_host = o.src_host;
	assert_int_equal(ferry_mig_order_encode(&o, buf, sizeof(buf), &len), -EINVAL);
	good_order(&o);
	assert_int_equal(ferry_mig_order_encode(&o, buf, 20, &len), -ENOBUFS);
}

/* ---- Hand-built bodies: the good order with one field changed ---- */

enum mut { M_NONE, M_OMIT, M_STR, M_BIG, M_EXTRA, M_DUP, M_UNKNOWN };

struct fval {
	int bin;
	__u64 u;
	const void *p;
	__u32 len;
};

/* The good order's fields as values. */
static void fields(const struct ferry_mig_order *o, struct fval v[11], __u8 *addrs)
{
	__u32 i;

	for (i = 0; i < o->vm.n_addrs; i++) {
		addrs[i * 17] = o->vm.family[i];
		memcpy(addrs + i * 17 + 1, o->vm.addr[i], 16);
	}
	memset(v, 0, 11 * sizeof(*v));
	v[0] = (struct fval){ 1, 0, o->id, 16 };
	v[1].u = o->vm.zone;
	v[2] = (struct fval){ 1, 0, addrs, o->vm.n_addrs * 17 };
	v[3] = (struct fval){ 1, 0, o->vm.mac, o->vm.has_mac ? 6 : 0 };
	v[4].u = o->src_host;
	v[5] = (struct fval){ 1, 0, o->src_pk, 32 };
	v[6].u = o->dst_host;
	v[7].u = o->issued_s;
	v[8].u = o->expires_s;
	v[9].u = o->max_flows;
	v[10].u = o->max_bytes;
}

static size_t build(const struct fval v[11], int key, enum mut m, __u8 *out, size_t cap)
{
	struct ferry_mpk_buf b;
	unsigned int i, n = 11;

	if (m == M_OMIT)
		n--;
	if (m == M_EXTRA)
		n++;
	ferry_mpk_init(&b, out, cap);
	ferry_mpk_put_map(&b, n);
	for (i = 0; i < 11; i++) {
		if (i == (unsigned int)key && m == M_OMIT)
			continue;
		if (i == (unsigned int)key && m == M_UNKNOWN) {
			ferry_mpk_put_uint(&b, 11);
			ferry_mpk_put_uint(&b, 0);
			continue;
		}
		if (m == M_DUP && i == (unsigned int)(key + 1) % 11) {
			/* key written a second time in place of the next one */
			ferry_mpk_put_uint(&b, key);
			ferry_mpk_put_uint(&b, 0);
			continue;
		}
		ferry_mpk_put_uint(&b, i);
		if (i == (unsigned int)key && m == M_STR) {
			/* a str where the schema wants uint or bin */
			__u8 s[2] = { 0xa1, 'x' };

			memcpy(b.p + b.len, s, 2);
			b.len += 2;
		} else if (i == (unsigned int)key && m == M_BIG) {
			if (v[i].bin) {
				__u8 big[200] = { 0 };

				ferry_mpk_put_bin(&b, big, sizeof(big));
			} else {
				ferry_mpk_put_uint(&b, ~0ull);
			}
		} else if (v[i].bin) {
			ferry_mpk_put_bin(&b, v[i].p, v[i].len);
		} else {
			ferry_mpk_put_uint(&b, v[i].u);
		}
	}
	if (m == M_EXTRA) {
		ferry_mpk_put_uint(&b, 11);
		ferry_mpk_put_uint(&b, 0);
	}
	assert_false(b.overflow);
	return b.len;
}

static void expect_bad(const __u8 *buf, size_t len, const char *what)
{
	struct ferry_mig_order d;
	char err[FERRY_MIG_ERR_MAX] = "";

	assert_int_equal(ferry_mig_order_decode(buf, len, &d, err, sizeof(err)), -EBADMSG);
	if (!strstr(err, what))
		fail_msg("message '%s' does not name '%s'", err, what);
}

static const char *const names[11] = {
	"migration_id", "zone", "addresses", "mac", "source_host", "source_key",
	"destination_host", "issued_s", "expires_s", "max_flows", "max_bytes",
};

static void test_every_field(void **state)
{
	struct ferry_mig_order o, d;
	__u8 buf[1024], addrs[17 * 8];
	char err[FERRY_MIG_ERR_MAX];
	struct fval v[11];
	size_t len;
	int k;

	good_order(&o);
	fields(&o, v, addrs);
	len = build(v, -1, M_NONE, buf, sizeof(buf));
	assert_int_equal(ferry_mig_order_decode(buf, len, &d, err, sizeof(err)), 0);
	for (k = 0; k < 11; k++) {
		len = build(v, k, M_OMIT, buf, sizeof(buf));
		expect_bad(buf, len, "10 keys");
		len = build(v, k, M_STR, buf, sizeof(buf));
		expect_bad(buf, len, names[k]);
		len = build(v, k, M_BIG, buf, sizeof(buf));
		if (k != 7 && k != 8)	/* times have no upper bound */
			expect_bad(buf, len, names[k]);
		len = build(v, k, M_DUP, buf, sizeof(buf));
		expect_bad(buf, len, "repeated");
		len = build(v, k, M_UNKNOWN, buf, sizeof(buf));
		expect_bad(buf, len, "unknown key");
	}
	len = build(v, -1, M_EXTRA, buf, sizeof(buf));
	expect_bad(buf, len, "12 keys");
}

/* One value changed: still well-typed, but against the order's rules. */
static void expect_rule(const struct ferry_mig_order *good, int key, struct fval nv,
			const char *what)
{
	__u8 buf[1024], addrs[17 * 8];
	struct fval v[11];
	size_t len;

	fields(good, v, addrs);
	v[key] = nv;
	len = build(v, -1, M_NONE, buf, sizeof(buf));
	expect_bad(buf, len, what);
}

static void test_rules(void **state)
{
	struct ferry_mig_order o;
	__u8 a[17 * 9];

	good_order(&o);
	memset(a, 0, sizeof(a));
	expect_rule(&o, 0, (struct fval){ 1, 0, a, 15 }, "migration_id");
	expect_rule(&o, 1, (struct fval){ 0, 0xffffffffull, 0, 0 }, "zone");
	expect_rule(&o, 2, (struct fval){ 1, 0, a, 0 }, "addresses");
	expect_rule(&o, 2, (struct fval){ 1, 0, a, 18 }, "addresses");
	expect_rule(&o, 2, (struct fval){ 1, 0, a, 17 * 9 }, "addresses");
	a[0] = 3;			/* family */
	a[1] = 1;
	expect_rule(&o, 2, (struct fval){ 1, 0, a, 17 }, "family");
	a[0] = FERRY_AF_INET;		/* unspecified */
	a[1] = 0;
	expect_rule(&o, 2, (struct fval){ 1, 0, a, 17 }, "unspecified");
	a[1] = 198;			/* IPv4 with a fifth byte */
	a[6] = 1;
	expect_rule(&o, 2, (struct fval){ 1, 0, a, 17 }, "fourth");
	expect_rule(&o, 3, (struct fval){ 1, 0, a, 3 }, "mac");
	expect_rule(&o, 4, (struct fval){ 0, 0, 0, 0 }, "source_host");
	expect_rule(&o, 5, (struct fval){ 1, 0, a, 31 }, "source_key");
	expect_rule(&o, 6, (struct fval){ 0, 0, 0, 0 }, "destination_host");
	expect_rule(&o, 6, (struct fval){ 0, o.src_host, 0, 0 }, "destination_host");
	expect_rule(&o, 8, (struct fval){ 0, o.issued_s, 0, 0 }, "expires_s");
	expect_rule(&o, 9, (struct fval){ 0, 0, 0, 0 }, "max_flows");
	expect_rule(&o, 10, (struct fval){ 0, 0, 0, 0 }, "max_bytes");
	expect_rule(&o, 10, (struct fval){ 0, FERRY_MIG_MAX_BYTES + 1, 0, 0 }, "max_bytes");
}

static void test_truncated_and_trailing(void **state)
{
	struct ferry_mig_order o, d;
	char err[FERRY_MIG_ERR_MAX];
	__u8 buf[FERRY_MIG_ORDER_MAX + 1];
	size_t len, i;

	good_order(&o);
	assert_int_equal(ferry_mig_order_encode(&o, buf, sizeof(buf), &len), 0);
	for (i = 0; i < len; i++)
		assert_int_equal(ferry_mig_order_decode(buf, i, &d, err, sizeof(err)),
				 -EBADMSG);
	buf[len] = 0;
	assert_int_equal(ferry_mig_order_decode(buf, len + 1, &d, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "order"));
}

static void test_signature(void **state)
{
	struct ferry_mig_order o, d;
	char err[FERRY_MIG_ERR_MAX];
	__u8 buf[FERRY_MIG_ORDER_MAX];
	size_t len, i;
	int bit, reason, ret;

	good_order(&o);
	assert_int_equal(ferry_mig_order_seal(&o, &som, 1767225600000ull, buf,
					      sizeof(buf), &len), 0);
	/* another key: the source cannot pass off an order as the SOM's */
	assert_int_equal(ferry_mig_order_open(buf, len, soa.pk, &d, &reason, err,
					      sizeof(err)), -EACCES);
	assert_int_equal(reason, FERRY_MIG_BAD_SIGNATURE);
	/* every bit flipped: refused, never accepted */
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= 1 << bit;
			ret = ferry_mig_order_open(buf, len, som.pk, &d, &reason, err,
						   sizeof(err));
			buf[i] ^= 1 << bit;
			if (ret != -EACCES && ret != -EBADMSG)
				fail_msg("byte %zu bit %d: %d", i, bit, ret);
			assert_int_not_equal(reason, FERRY_MIG_OK);
		}
	}
	assert_int_equal(ferry_mig_order_open(buf, len, som.pk, &d, &reason, err,
					      sizeof(err)), 0);
}

/* Signed envelopes that are not a proper order. */
static void test_not_an_order(void **state)
{
	__u8 body[FERRY_MIG_ORDER_MAX], buf[FERRY_MIG_ORDER_MAX + 128];
	struct ferry_envelope e = { .type = FERRY_MSG_MIG_ORDER, .body = body };
	struct ferry_mig_order o, d;
	char err[FERRY_MIG_ERR_MAX];
	size_t len;
	int reason;

	good_order(&o);
	assert_int_equal(ferry_mig_order_encode(&o, body, sizeof(body), &e.body_len), 0);
	e.migration_id = ferry_mig_id64(o.id) + 1;	/* not the body's */
	assert_int_equal(ferry_envelope_seal(&e, &som, buf, sizeof(buf), &len), 0);
	assert_int_equal(ferry_mig_order_open(buf, len, som.pk, &d, &reason, err,
					      sizeof(err)), -EBADMSG);
	assert_int_equal(reason, FERRY_MIG_MALFORMED);
	assert_non_null(strstr(err, "migration_id"));
	e.migration_id--;
	e.type = FERRY_MSG_MIG_CHUNK;
	assert_int_equal(ferry_envelope_seal(&e, &som, buf, sizeof(buf), &len), 0);
	assert_int_equal(ferry_mig_order_open(buf, len, som.pk, &d, &reason, err,
					      sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "type"));
	e.type = FERRY_MSG_MIG_ORDER;
	e.origin = 5;
	assert_int_equal(ferry_envelope_seal(&e, &som, buf, sizeof(buf), &len), 0);
	assert_int_equal(ferry_mig_order_open(buf, len, som.pk, &d, &reason, err,
					      sizeof(err)), -EBADMSG);
	e.origin = 0;
	assert_int_equal(ferry_envelope_seal(&e, &som, buf, sizeof(buf), &len), 0);
	assert_int_equal(ferry_mig_order_open(buf, len, som.pk, &d, &reason, err,
					      sizeof(err)), 0);
}

static void test_bodies(void **state)
{
	struct ferry_mig_commit c = { .chunk_count = 3, .total_bytes = 300000,
				      .flow_count = 1000 }, d;
	__u8 id[16], got[16], buf[256];
	char err[FERRY_MIG_ERR_MAX];
	struct ferry_mpk_buf b;
	const __u8 *data;
	size_t dlen, i;

	memset(id, 0x5a, sizeof(id));
	ferry_mpk_init(&b, buf, sizeof(buf));
	ferry_mig_chunk_body(&b, id, (const __u8 *)"bundle", 6);
	assert_false(b.overflow);
	assert_true(b.len <= 6 + FERRY_MIG_BODY_OVERHEAD);
	assert_int_equal(ferry_mig_chunk_decode(buf, b.len, got, &data, &dlen, err,
						sizeof(err)), 0);
	assert_memory_equal(got, id, 16);
	assert_int_equal(dlen, 6);
	assert_memory_equal(data, "bundle", 6);
	for (i = 0; i < b.len; i++)
		assert_int_equal(ferry_mig_chunk_decode(buf, i, got, &data, &dlen, err,
							sizeof(err)), -EBADMSG);

	memcpy(c.id, id, 16);
	memset(c.hash, 0x77, sizeof(c.hash));
	ferry_mpk_init(&b, buf, sizeof(buf));
	ferry_mig_commit_body(&b, &c);
	assert_false(b.overflow);
	assert_int_equal(ferry_mig_commit_decode(buf, b.len, &d, err, sizeof(err)), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	for (i = 0; i < b.len; i++)
		assert_int_equal(ferry_mig_commit_decode(buf, i, &d, err, sizeof(err)),
				 -EBADMSG);
	buf[b.len] = 0xc0;
	assert_int_equal(ferry_mig_commit_decode(buf, b.len + 1, &d, err, sizeof(err)),
			 -EBADMSG);
}

static void test_done_set(void **state)
{
	struct ferry_mig_done *d = ferry_mig_done_new(3);
	__u8 id[4][16];
	int i;

	assert_non_null(d);
	for (i = 0; i < 4; i++)
		memset(id[i], i + 1, 16);
	ferry_mig_done_add(d, id[0], 100, 10);
	ferry_mig_done_add(d, id[1], 50, 10);
	ferry_mig_done_add(d, id[2], 200, 10);
	ferry_mig_done_add(d, id[2], 200, 10);	/* again: no new entry */
	assert_int_equal(ferry_mig_done_count(d), 3);
	/* full, none expired: the one expiring first goes */
	ferry_mig_done_add(d, id[3], 300, 10);
	assert_int_equal(ferry_mig_done_count(d), 3);
	assert_false(ferry_mig_done_has(d, id[1]));
	assert_true(ferry_mig_done_has(d, id[0]));
	assert_true(ferry_mig_done_has(d, id[2]));
	assert_true(ferry_mig_done_has(d, id[3]));
	/* full at 150: id 0 has expired and goes first, others stay */
	ferry_mig_done_add(d, id[1], 400, 150);
	assert_false(ferry_mig_done_has(d, id[0]));
	assert_true(ferry_mig_done_has(d, id[1]));
	assert_true(ferry_mig_done_has(d, id[2]));
	assert_true(ferry_mig_done_has(d, id[3]));
	ferry_mig_done_free(d);
}


/* docs/migration.md, test vector (checked independently with Python's
 * hashlib and cryptography when it was written). */
#define KAT_ORDER \
	"870040010002cf1011121314151617030004cf0000019b76daa80005c4838b00" \
	"c410101112131415161718191a1b1c1d1e1f010702c42202c612010100000000" \
	"00000000000000000a20010db800010000000000000000000103c40602005e00" \
	"0001040705c42029acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c897" \
	"94bc9322966dd7060807ce6955b90008ce6955b91e09ce000186a00ace040000" \
	"0006c44097b95101a3ec8f3b824d34652170bfaeab56896b234a5ff5a4da17ac" \
	"42c724deb4fd63096c0451fe0c6c4f2d24eb2f7a11e5b8ea1b5c70e42658aae5" \
	"9c35bb0a"
#define KAT_CHUNK \
	"870041010702cf1011121314151617030004cf0000019b76daabe805c41d8200" \
	"c410101112131415161718191a1b1c1d1e1f01c40662756e646c6506c4402719" \
	"845ee465b00143fe15a898e0fc2b51d93b110b35313c64e827065225b7e596d6" \
	"05448ae1889ad7b6dde13987facfcf1f3fe8af6ea0f191315ce643042d00"
#define KAT_COMMIT \
	"870042010702cf1011121314151617030104cf0000019b76daabe805c43d8500" \
	"c410101112131415161718191a1b1c1d1e1f01010206030004c4208c6976dc57" \
	"760f8b625851693d764f0e7c21c417fcb31d095b1e37650f41bebe06c440e19a" \
	"1c541a41448fc84c6493a1f32047146053ba6c0e09da7460f5e8ce66cda81581" \
	"b0d019ced49b516aa8c257845c5015002d278a6948866a65f72ef573eb05"

static void to_hex(const __u8 *p, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_known_answer(void **state)
{
	struct ferry_identity kat_som, kat_src;
	struct ferry_mig_commit c = { .chunk_count = 1, .total_bytes = 6 };
	struct ferry_envelope e = { .origin = 7, .timestamp_ms = 1767225601000ull };
	struct ferry_mig_order o = { 0 };
	crypto_generichash_state h;
	__u8 seed[32], buf[512], body[256];
	char hex[1025];
	struct ferry_mpk_buf b;
	size_t len;
	int i;

	for (i = 0; i < 32; i++)
		seed[i] = i;
	assert_int_equal(ferry_identity_from_seed(&kat_som, seed), 0);
	for (i = 0; i < 32; i++)
		seed[i] = 0x20 + i;
	assert_int_equal(ferry_identity_from_seed(&kat_src, seed), 0);
	for (i = 0; i < 16; i++)
		o.id[i] = 0x10 + i;
	o.vm.zone = 7;
	o.vm.n_addrs = 2;
	o.vm.family[0] = FERRY_AF_INET;
	memcpy(o.vm.addr[0], "\xc6\x12\x01\x01", 4);
	o.vm.family[1] = FERRY_AF_INET6;
	memcpy(o.vm.addr[1], "\x20\x01\x0d\xb8\x00\x01\0\0\0\0\0\0\0\0\0\x01", 16);
	o.vm.has_mac = 1;
	memcpy(o.vm.mac, "\x02\x00\x5e\x00\x00\x01", 6);
	o.src_host = 7;
	memcpy(o.src_pk, kat_src.pk, 32);
	o.dst_host = 8;
	o.issued_s = 1767225600;
	o.expires_s = 1767225630;
	o.max_flows = 100000;
	o.max_bytes = 64u << 20;
	assert_int_equal(ferry_mig_order_seal(&o, &kat_som, 1767225600000ull, buf,
					      sizeof(buf), &len), 0);
	to_hex(buf, len, hex);
	assert_string_equal(hex, KAT_ORDER);

	/* chunk 0 carrying the 6 bytes "bundle" */
	ferry_mpk_init(&b, body, sizeof(body));
	ferry_mig_chunk_body(&b, o.id, (const __u8 *)"bundle", 6);
	e.type = FERRY_MSG_MIG_CHUNK;
	e.migration_id = ferry_mig_id64(o.id);
	e.body = body;
	e.body_len = b.len;
	assert_int_equal(ferry_envelope_seal(&e, &kat_src, buf, sizeof(buf), &len), 0);
	to_hex(buf, len, hex);
	assert_string_equal(hex, KAT_CHUNK);

	/* the commit: 1 chunk, 6 bytes, 0 flows, the hash */
	memcpy(c.id, o.id, 16);
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const __u8 *)FERRY_MIG_HASH_LABEL,
				  sizeof(FERRY_MIG_HASH_LABEL));
	crypto_generichash_update(&h, (const __u8 *)"bundle", 6);
	crypto_generichash_final(&h, c.hash, 32);
	ferry_mpk_init(&b, body, sizeof(body));
	ferry_mig_commit_body(&b, &c);
	e.type = FERRY_MSG_MIG_COMMIT;
	e.seq = 1;
	e.body_len = b.len;
	assert_int_equal(ferry_envelope_seal(&e, &kat_src, buf, sizeof(buf), &len), 0);
	to_hex(buf, len, hex);
	assert_string_equal(hex, KAT_COMMIT);
}

static void test_reason_names(void **state)
{
	unsigned int r;

	for (r = 0; r <= FERRY_MIG_REASON_MAX; r++) {
		assert_non_null(ferry_mig_reason_name(r));
		assert_string_not_equal(ferry_mig_reason_name(r), "?");
	}
	assert_string_equal(ferry_mig_reason_name(FERRY_MIG_REASON_MAX + 1), "?");
	assert_string_equal(ferry_mig_reason_name(FERRY_MIG_FOREIGN_FLOW), "foreign-flow");
	/* the SOM's reasons for a side gone or its own restart: codes 17..19 */
	assert_string_equal(ferry_mig_reason_name(17), "source-lost");
	assert_string_equal(ferry_mig_reason_name(18), "destination-lost");
	assert_string_equal(ferry_mig_reason_name(19), "som-restarted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_refuses_bad),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_not_an_order),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_done_set),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_known_answer),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
