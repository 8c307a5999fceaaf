// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* NAT configuration text: --snat and --dnat specs, accepted and refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "natconfig.h"

static void snat_err(const char *text, const char *msg)
{
	struct ferry_nat_pool_entry e;
	char err[FERRY_NAT_ERR_MAX] = "";

	assert_int_equal(ferry_nat_parse_snat(text, &e, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': message '%s' lacks '%s'", text, err, msg);
}

static void dnat_err(const char *text, const char *msg)
{
	struct ferry_nat_fwd_entry e;
	char err[FERRY_NAT_ERR_MAX] = "";

	assert_int_equal(ferry_nat_parse_dnat(text, &e, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': message '%s' lacks '%s'", text, err, msg);
}

static void test_snat_ok(void **state)
{
	struct ferry_nat_pool_entry e;
	char err[FERRY_NAT_ERR_MAX];
	__u8 a[16] = {};

	(void)state;
	assert_int_equal(ferry_nat_parse_snat("7:198.18.5.10-198.18.5.13:2000-2999@198.18.0.0/16",
					      &e, err, sizeof(err)), 0);
	assert_int_equal(e.key.zone, 7);
	assert_int_equal(e.key.family, FERRY_AF_INET);
	inet_pton(AF_INET, "198.18.5.10", a);
	assert_memory_equal(e.pool.addr, a, 16);
	assert_int_equal(e.pool.naddrs, 4);
	assert_int_equal(e.pool.port_lo, 2000);
	assert_int_equal(e.pool.port_hi, 2999);
	assert_int_equal(e.pool.src_plen, 16);

	assert_int_equal(ferry_nat_parse_snat("0:[2001:db8:5::100]", &e, err,
					      sizeof(err)), 0);
	assert_int_equal(e.key.family, FERRY_AF_INET6);
	assert_int_equal(e.pool.naddrs, 1);
	assert_int_equal(e.pool.port_lo, 1024);
	assert_int_equal(e.pool.port_hi, 65535);
	assert_int_equal(e.pool.src_plen, 0);
}

static void test_snat_refused(void **state)
{
	(void)state;
	snat_err("", "expected a zone");
	snat_err("x:198.18.5.1", "zone");
	snat_err("0:198.18.5.1:30000-20000", "port range 30000-20000 ends before it starts");
	snat_err("0:198.18.5.1:0-10", "port must be 1..65535");
	snat_err("0:198.18.5.1:10", "expected '-'");
	snat_err("0:2001:db8::1", "IPv6 goes in brackets");
	snat_err("0:[2001:db8::1", "without ']'");
	snat_err("0:[zz::1]", "not an IPv6 address");
	snat_err("0:198.18.5.300", "not an IPv4 address");
	snat_err("0:198.18.5.1-[2001:db8::1]", "mixed");
	snat_err("0:198.18.5.9-198.18.5.1", "ends before it starts");
	snat_err("0:[2001:db8::1]-[2001:db9::1]", "last 32 bits");
	snat_err("0:198.18.5.1@198.18.0.0/33", "prefix length must be 0..32");
	snat_err("0:198.18.5.1@198.18.0.0", "expected '/'");
	snat_err("0:198.18.5.1 ", "unexpected text");
}

static void test_dnat_ok(void **state)
{
	struct ferry_nat_fwd_entry e;
	char err[FERRY_NAT_ERR_MAX];

	(void)state;
	assert_int_equal(ferry_nat_parse_dnat("3:udp:198.18.6.1:53=198.18.1.2:5353,198.18.1.3:53",
					      &e, err, sizeof(err)), 0);
	assert_int_equal(e.key.zone, 3);
	assert_int_equal(e.key.proto, IPPROTO_UDP);
	assert_int_equal(ntohs(e.key.port), 53);
	assert_int_equal(e.fwd.nbackends, 2);
	assert_int_equal(ntohs(e.fwd.be[0].port), 5353);
	assert_int_equal(ntohs(e.fwd.be[1].port), 53);
	assert_int_equal(ferry_nat_parse_dnat("0:tcp:[2001:db8:6::50]:80=[2001:db8:1::2]:8080",
					      &e, err, sizeof(err)), 0);
	assert_int_equal(e.key.family, FERRY_AF_INET6);
}

static void test_dnat_refused(void **state)
{
	char many[1024] = "0:tcp:198.18.6.1:80=";
	int i;

	(void)state;
	dnat_err("0:icmp:198.18.6.1:80=198.18.1.2:80", "tcp or udp");
	dnat_err("0:tcp:198.18.6.1:80", "expected '='");
	dnat_err("0:tcp:198.18.6.1", "expected ':'");
	dnat_err("0:tcp:198.18.6.1:0=198.18.1.2:80", "port must be 1..65535");
	dnat_err("0:tcp:198.18.6.1:80=198.18.1.2:80,", "expected an address");
	dnat_err("0:tcp:198.18.6.1:80=[2001:db8::2]:80", "mixed");
	dnat_err("0:tcp:198.18.6.1:80=198.18.1.2", "expected ':'");
	for (i = 0; i < 17; i++)
		strcat(many, i ? ",198.18.1.2:80" : "198.18.1.2:80");
	dnat_err(many, "more than 16 backends");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snat_ok),
		cmocka_unit_test(test_snat_refused),
		cmocka_unit_test(test_dnat_ok),
		cmocka_unit_test(test_dnat_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
