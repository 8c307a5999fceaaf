// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * REGISTER, REGISTERED, HEARTBEAT and NOTIFY: round trips, a known-answer
 * encoding (the bytes docs/protocol.md shows), and each rule a decoder
 * enforces beyond the schema: record type in key 0, host id not 0,
 * address entries of 17 bytes with family 4 or 6, an empty schema range,
 * heartbeat below the lost timeout, a VM with no identity, a move from a
 * host to itself, truncation and trailing bytes. The migration messages
 * (PREPARE .. UPLOAD_FAILED): round trips and their own rules.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "mpk.h"
#include "somproto.h"

static void profile(struct ferry_host_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->host_id = 7;
	strcpy(p->name, "fw1");
	p->naddrs = 2;
	p->addrs[0].family = 4;
	inet_pton(AF_INET, "198.18.0.1", p->addrs[0].addr);
	p->addrs[1].family = 6;
	inet_pton(AF_INET6, "2001:db8::1", p->addrs[1].addr);
	p->functions = FERRY_FN_FIREWALL | FERRY_FN_POOLS;
	p->schema_min = 1;
	p->schema_max = 1;
	p->capacity = 262144;
	p->load = 1234;
}

static void test_register_round_trip(void **state)
{
	struct ferry_host_profile p, q;
	__u8 buf[FERRY_SOMPROTO_MSG_MAX];
	char err[256];
	int len;

	profile(&p);
	len = ferry_register_encode(&p, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(ferry_register_decode(buf, (size_t)len, &q, err, sizeof(err)), 0);
	assert_true(ferry_profile_same(&p, &q));
	assert_int_equal(q.load, 1234);
	/* every truncation fails, and so does a trailing byte */
	while (--len > 0)
		assert_int_equal(ferry_register_decode(buf, (size_t)len, &q, err,
						       sizeof(err)), -EBADMSG);
	len = ferry_register_encode(&p, buf, sizeof(buf));
	buf[len] = 0;
	assert_int_equal(ferry_register_decode(buf, (size_t)len + 1, &q, err,
					       sizeof(err)), -EBADMSG);
	assert_int_equal(ferry_register_encode(&p, buf, 20), -ENOSPC);
}

/* docs/protocol.md section 11: HEARTBEAT with load 1234 */
static void test_known_answer(void **state)
{
	static const __u8 want[] = { 0x82, 0x00, 0x22, 0x01, 0xcd, 0x04, 0xd2 };
	struct ferry_heartbeat h = { .load = 1234 };
	__u8 buf[32];

	assert_int_equal(ferry_heartbeat_encode(&h, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* A REGISTER with one field replaced by a raw value. */
static int register_with(unsigned int key, __u64 u, const void *bin, __u32 len,
			 char *err)
{
	struct ferry_host_profile p, q;
	__u8 buf[FERRY_SOMPROTO_MSG_MAX], raw[17 * 16];
	struct ferry_mpk_buf b;
	unsigned int k;

	profile(&p);
	ferry_mpk_init(&b, buf, sizeof(buf));
	ferry_mpk_put_map(&b, 9);
	for (k = 0; k < 9; k++) {
		ferry_mpk_put_uint(&b, k);
		if (k == key && bin) {
			ferry_mpk_put_bin(&b, bin, len);
			continue;
		}
		if (k == key) {
			ferry_mpk_put_uint(&b, u);
			continue;
		}
		switch (k) {
		case 0: ferry_mpk_put_uint(&b, FERRY_MSG_REGISTER); break;
		case 1: ferry_mpk_put_uint(&b, p.host_id); break;
		case 2: ferry_mpk_put_bin(&b, "fw1", 3); break;
		case 3:
			memset(raw, 0, 17);
			raw[0] = 4;
			ferry_mpk_put_bin(&b, raw, 17);
			break;
		case 4: ferry_mpk_put_uint(&b, 1); break;
		case 5: ferry_mpk_put_uint(&b, 1); break;
		case 6: ferry_mpk_put_uint(&b, 1); break;
		case 7: ferry_mpk_put_uint(&b, 100); break;
		case 8: ferry_mpk_put_uint(&b, 0); break;
		}
	}
	return ferry_register_decode(buf, b.len, &q, err, 256);
}

static void test_register_rules(void **state)
{
	__u8 a[18] = { 4 };
	char err[256];

	assert_int_equal(register_with(99, 0, NULL, 0, err), 0);
	assert_int_equal(register_with(0, FERRY_MSG_HEARTBEAT, NULL, 0, err), -EBADMSG);
	assert_non_null(strstr(err, "type"));
	assert_int_equal(register_with(1, 0, NULL, 0, err), -EBADMSG);
	assert_non_null(strstr(err, "host_id"));
	assert_int_equal(register_with(2, 0, "f w", 3, err), -EBADMSG);
	assert_non_null(strstr(err, "name"));
	assert_int_equal(register_with(3, 0, a, 18, err), -EBADMSG);
	assert_non_null(strstr(err, "multiple of 17"));
	a[0] = 5;
	assert_int_equal(register_with(3, 0, a, 17, err), -EBADMSG);
	assert_non_null(strstr(err, "family 5"));
	a[0] = 4;
	a[9] = 1;
	assert_int_equal(register_with(3, 0, a, 17, err), -EBADMSG);
	assert_non_null(strstr(err, "IPv4"));
	assert_int_equal(register_with(4, 8, NULL, 0, err), -EBADMSG);
	assert_int_equal(register_with(5, 2, NULL, 0, err), -EBADMSG);
	assert_non_null(strstr(err, "schema"));
	assert_int_equal(register_with(5, 0, NULL, 0, err), -EBADMSG);
	assert_int_equal(register_with(3, 0, "", 0, err), -EBADMSG);
}

static void test_registered(void **state)
{
	struct ferry_registered r = { 7, 5000, 15000 }, q;
	__u8 buf[64];
	char err[256];
	int len = ferry_registered_encode(&r, buf, sizeof(buf));

	assert_int_equal(ferry_registered_decode(buf, (size_t)len, &q, err, sizeof(err)), 0);
	assert_int_equal(q.host_id, 7);
	assert_int_equal(q.heartbeat_ms, 5000);
	assert_int_equal(q.lost_ms, 15000);
	r.lost_ms = 5000;
	len = ferry_registered_encode(&r, buf, sizeof(buf));
	assert_int_equal(ferry_registered_decode(buf, (size_t)len, &q, err, sizeof(err)),
			 -EBADMSG);
	/* a HEARTBEAT is not a REGISTERED */
	len = ferry_heartbeat_encode(&(struct ferry_heartbeat){ 1 }, buf, sizeof(buf));
	assert_int_equal(ferry_registered_decode(buf, (size_t)len, &q, err, sizeof(err)),
			 -EBADMSG);
}

static void test_notify(void **state)
{
	struct ferry_notify n = { .zone = 3, .from_host = 1, .to_host = 2,
				  .reason = 1, .time_ms = 1767225600000ull }, q;
	__u8 buf[FERRY_SOMPROTO_MSG_MAX];
	char err[256];
	int len;

	strcpy(n.vm, "vm1");
	n.naddrs = 1;
	n.addrs[0].family = 4;
	inet_pton(AF_INET, "198.18.1.10", n.addrs[0].addr);
	n.has_mac = true;
	memcpy(n.mac, "\x02\0\0\0\x01\x10", 6);
	len = ferry_notify_encode(&n, buf, sizeof(buf));
	assert_int_equal(ferry_notify_decode(buf, (size_t)len, &q, err, sizeof(err)), 0);
	assert_string_equal(q.vm, "vm1");
	assert_true(q.has_mac);
	assert_memory_equal(q.addrs, n.addrs, sizeof(n.addrs[0]));
	assert_int_equal(q.time_ms, n.time_ms);
	n.to_host = 1;
	len = ferry_notify_encode(&n, buf, sizeof(buf));
	assert_int_equal(ferry_notify_decode(buf, (size_t)len, &q, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "two different hosts"));
	n.to_host = 2;
	n.vm[0] = '\0';
	n.naddrs = 0;
	n.has_mac = false;
	len = ferry_notify_encode(&n, buf, sizeof(buf));
	assert_int_equal(ferry_notify_decode(buf, (size_t)len, &q, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "no identity"));
	n.has_mac = true;
	n.reason = 4;
	len = ferry_notify_encode(&n, buf, sizeof(buf));
	assert_int_equal(ferry_notify_decode(buf, (size_t)len, &q, err, sizeof(err)), -EBADMSG);
}

/* Every migration message round-trips with exactly its fields. */
static void test_migmsg_round_trip(void **state)
{
	static const __u8 types[] = {
		FERRY_MSG_PREPARE, FERRY_MSG_READY, FERRY_MSG_REFUSED,
		FERRY_MSG_UPLOAD, FERRY_MSG_DATA, FERRY_MSG_DONE,
		FERRY_MSG_RELEASE, FERRY_MSG_ABORT, FERRY_MSG_UPLOAD_FAILED,
	};
	static const __u8 env[300] = { 1, 2, 3 };
	struct ferry_migmsg m, q;
	__u8 buf[1024];
	char err[256];
	unsigned int i;
	int len;

	for (i = 0; i < sizeof(types); i++) {
		memset(&m, 0, sizeof(m));
		m.type = types[i];
		memset(m.id, 0xa0 + i, sizeof(m.id));
		m.env = env;
		m.env_len = sizeof(env);
		m.reason = FERRY_MIG_EXPIRED;
		m.flows = 10;
		m.accepted = 7;
		m.rejected[0] = 2;
		m.rejected[4] = 1ull << 40;
		assert_true(ferry_migmsg_type(types[i]));
		len = ferry_migmsg_encode(&m, buf, sizeof(buf));
		assert_true(len > 0);
		assert_int_equal(ferry_migmsg_decode(types[i], buf, (size_t)len, &q,
						     err, sizeof(err)), 0);
		assert_int_equal(q.type, types[i]);
		if (types[i] == FERRY_MSG_PREPARE || types[i] == FERRY_MSG_UPLOAD ||
		    types[i] == FERRY_MSG_DATA) {
			assert_int_equal(q.env_len, sizeof(env));
			assert_memory_equal(q.env, env, sizeof(env));
		} else {
			assert_null(q.env);
		}
		if (types[i] != FERRY_MSG_PREPARE && types[i] != FERRY_MSG_UPLOAD)
			assert_memory_equal(q.id, m.id, sizeof(m.id));
		if (types[i] == FERRY_MSG_DONE) {
			assert_int_equal(q.flows, 10);
			assert_int_equal(q.accepted, 7);
			assert_memory_equal(q.rejected, m.rejected, sizeof(m.rejected));
		}
		/* another type's decoder refuses it; truncated and trailing too */
		assert_int_equal(ferry_migmsg_decode(types[(i + 1) % sizeof(types)], buf,
						     (size_t)len, &q, err, sizeof(err)),
				 -EBADMSG);
		assert_int_equal(ferry_migmsg_decode(types[i], buf, (size_t)len - 1, &q,
						     err, sizeof(err)), -EBADMSG);
		buf[len] = 0xc0;
		assert_int_equal(ferry_migmsg_decode(types[i], buf, (size_t)len + 1, &q,
						     err, sizeof(err)), -EBADMSG);
	}
	assert_false(ferry_migmsg_type(FERRY_MSG_NOTIFY));
	assert_false(ferry_migmsg_type(57));
	m.type = FERRY_MSG_NOTIFY;
	assert_int_equal(ferry_migmsg_encode(&m, buf, sizeof(buf)), -EINVAL);
}

/* The rules beyond the schema: failure reasons, counts, sizes, the id. */
static void test_migmsg_rules(void **state)
{
	struct ferry_migmsg m = { .type = FERRY_MSG_ABORT }, q;
	__u8 buf[1024];
	char err[256];
	int len;

	/* a failure message with reason 0 (ok) */
	len = ferry_migmsg_encode(&m, buf, sizeof(buf));
	assert_int_equal(ferry_migmsg_decode(FERRY_MSG_ABORT, buf, (size_t)len, &q,
					     err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "reason: 0"));
	/* a reason past the last one */
	m.reason = FERRY_MIG_REASON_MAX + 1;
	len = ferry_migmsg_encode(&m, buf, sizeof(buf));
	assert_int_equal(ferry_migmsg_decode(FERRY_MSG_ABORT, buf, (size_t)len, &q,
					     err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "reason"));
	/* the last one: som-restarted, 20 is past it */
	m.reason = FERRY_MIG_SOM_RESTARTED;
	len = ferry_migmsg_encode(&m, buf, sizeof(buf));
	assert_int_equal(ferry_migmsg_decode(FERRY_MSG_ABORT, buf, (size_t)len, &q,
					     err, sizeof(err)), 0);
	assert_int_equal(q.reason, 19);
	m.reason = 20;
	len = ferry_migmsg_encode(&m, buf, sizeof(buf));
	assert_int_equal(ferry_migmsg_decode(FERRY_MSG_ABORT, buf, (size_t)len, &q,
					     err, sizeof(err)), -EBADMSG);
	/* DONE accepting more flows than it had */
	memset(&m, 0, sizeof(m));
	m.type = FERRY_MSG_DONE;
	m.flows = 3;
	m.accepted = 4;
	len = ferry_migmsg_encode(&m, buf, sizeof(buf));
	assert_int_equal(ferry_migmsg_decode(FERRY_MSG_DONE, buf, (size_t)len, &q,
					     err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "accepted: 4 of 3"));
	/* an empty order, DATA without bytes */
	m.type = FERRY_MSG_PREPARE;
	m.env_len = 0;
	m.env = buf + 512;
	len = ferry_migmsg_encode(&m, buf, 512);
	assert_int_equal(ferry_migmsg_decode(FERRY_MSG_PREPARE, buf, (size_t)len, &q,
					     err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "order"));
	m.type = FERRY_MSG_DATA;
	len = ferry_migmsg_encode(&m, buf, 512);
	assert_int_equal(ferry_migmsg_decode(FERRY_MSG_DATA, buf, (size_t)len, &q,
					     err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "envelope"));
	/* a buffer too small */
	m.type = FERRY_MSG_READY;
	assert_int_equal(ferry_migmsg_encode(&m, buf, 8), -ENOSPC);
}

static void test_format(void **state)
{
	char buf[64];

	ferry_functions_format(FERRY_FN_ALL, buf, sizeof(buf));
	assert_string_equal(buf, "firewall,nat,pools");
	ferry_functions_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	ferry_functions_format(FERRY_FN_NAT, buf, sizeof(buf));
	assert_string_equal(buf, "nat");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_round_trip),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_register_rules),
		cmocka_unit_test(test_registered),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_migmsg_round_trip),
		cmocka_unit_test(test_migmsg_rules),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
