// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The SOM's authorized-keys file: a full file, lookups, the policy check
 * (key, role, host id, source address, v4-mapped v6), rotation overlap,
 * and every error at its line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "authkeys.h"
#include "identity.h"

#define K1	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define K2	"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define K3	"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
#define K4	"YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8="

static const char file[] =
	"# Ferry authorized keys\n"				/* 1 */
	"\n"
	K1 " soa 7 198.18.0.0/15,2001:db8::/32\n"
	"  " K2 "\tsoa\t7\t198.18.1.1\n"			/* rotation */
	K3 " tde 9 any\n"					/* 5 */
	"   # indented comment\n"
	K4 " soa 4294967295 2001:db8::5/128";			/* no newline */

static struct sockaddr_storage sa(const char *addr)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (void *)&ss;
	struct sockaddr_in6 *s6 = (void *)&ss;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		fail_msg("bad test address %s", addr);
	return ss;
}

static int check(const struct ferry_authkeys *ak, const char *b64, __u8 role,
		 __u32 host, const char *addr)
{
	struct sockaddr_storage ss = sa(addr);
	char why[FERRY_AUTHKEYS_ERR_MAX];
	__u8 pk[32];

	assert_int_equal(ferry_pubkey_from_base64(b64, pk), 0);
	return ferry_authkeys_check(ak, pk, role, host, (struct sockaddr *)&ss, why,
				    sizeof(why));
}

static void test_file(void **state)
{
	struct ferry_authkeys *ak;
	const struct ferry_authkey *k;
	char err[FERRY_AUTHKEYS_ERR_MAX];
	__u8 pk[32];

	assert_int_equal(ferry_authkeys_parse(file, "ak", &ak, err, sizeof(err)), 0);
	assert_int_equal(ak->n, 4);
	assert_int_equal(ferry_pubkey_from_base64(K4, pk), 0);
	k = ferry_authkeys_find(ak, pk);
	assert_non_null(k);
	assert_int_equal(k->line, 7);
	assert_int_equal(k->host_id, 4294967295u);
	assert_int_equal(k->nprefixes, 1);
	assert_int_equal(k->prefixes[0].len, 128);

	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "198.18.3.4"), FERRY_REASON_OK);
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "198.19.255.255"), FERRY_REASON_OK);
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "198.20.0.1"), FERRY_REASON_ADDRESS);
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "198.17.255.255"), FERRY_REASON_ADDRESS);
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "2001:db8:ff::1"), FERRY_REASON_OK);
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "2001:db9::1"), FERRY_REASON_ADDRESS);
	/* an IPv4 peer on a dual-stack socket */
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "::ffff:198.18.0.1"), FERRY_REASON_OK);
	assert_int_equal(check(ak, K1, FERRY_ROLE_TDE, 7, "198.18.3.4"), FERRY_REASON_ROLE);
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 8, "198.18.3.4"), FERRY_REASON_HOST_ID);
	/* rotation: the second key of host 7, from its one address */
	assert_int_equal(check(ak, K2, FERRY_ROLE_SOA, 7, "198.18.1.1"), FERRY_REASON_OK);
	assert_int_equal(check(ak, K2, FERRY_ROLE_SOA, 7, "198.18.1.2"), FERRY_REASON_ADDRESS);
	assert_int_equal(check(ak, K3, FERRY_ROLE_TDE, 9, "203.0.113.1"), FERRY_REASON_OK);
	assert_int_equal(check(ak, K3, FERRY_ROLE_TDE, 9, "::1"), FERRY_REASON_OK);
	assert_int_equal(check(ak, K4, FERRY_ROLE_SOA, 4294967295u, "2001:db8::5"),
			 FERRY_REASON_OK);
	assert_int_equal(check(ak, K4, FERRY_ROLE_SOA, 4294967295u, "2001:db8::6"),
			 FERRY_REASON_ADDRESS);
	ferry_authkeys_free(ak);
	/* revocation: the same file without K1's line */
	assert_int_equal(ferry_authkeys_parse(strstr(file, "  " K2), "ak", &ak, err,
					      sizeof(err)), 0);
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "198.18.3.4"),
			 FERRY_REASON_UNKNOWN_KEY);
	assert_int_equal(check(ak, K2, FERRY_ROLE_SOA, 7, "198.18.1.1"), FERRY_REASON_OK);
	ferry_authkeys_free(ak);
	/* an empty file authorizes nobody */
	assert_int_equal(ferry_authkeys_parse("# nobody\n", "ak", &ak, err, sizeof(err)), 0);
	assert_int_equal(check(ak, K1, FERRY_ROLE_SOA, 7, "198.18.3.4"),
			 FERRY_REASON_UNKNOWN_KEY);
	ferry_authkeys_free(ak);
}

static void test_errors(void **state)
{
	static const struct { const char *text; const char *msg; } cases[] = {
		{ "\n" K1 " soa 7\n", "ak:2: 3 fields, expected 4: KEY ROLE HOST_ID ADDRS" },
		{ K1 " soa 7 any extra\n", "ak:1: more than 4 fields, expected 4: KEY ROLE HOST_ID ADDRS" },
		{ "AAEC soa 7 any\n", "ak:1: key 'AAEC' is not the base64 of 32 bytes" },
		{ K1 " som 7 any\n", "ak:1: role 'som' is not soa or tde" },
		{ K1 " soa 0 any\n", "ak:1: host id '0' is not 1..4294967295" },
		{ K1 " soa 4294967296 any\n", "ak:1: host id '4294967296' is not 1..4294967295" },
		{ K1 " soa -1 any\n", "ak:1: host id '-1' is not 1..4294967295" },
		{ K1 " soa 7 198.18.0.0/33\n", "ak:1: '33' is not a prefix length 0..32 for 198.18.0.0" },
		{ K1 " soa 7 198.18.0.1/15\n", "ak:1: 198.18.0.1/15 has host bits set" },
		{ K1 " soa 7 2001:db8::/129\n", "ak:1: '129' is not a prefix length 0..128 for 2001:db8::" },
		{ K1 " soa 7 fw1.example\n", "ak:1: 'fw1.example' is not an IPv4 or IPv6 address" },
		{ K1 " soa 7 ,\n", "ak:1: no address" },
		{ K1 " soa 7 198.18.0.1/\n", "ak:1: '' is not a prefix length 0..32 for 198.18.0.1" },
		{ K1 " soa 7 any\n" K2 " soa 8 any\n" K1 " tde 9 any\n",
		  "ak:3: key already listed on line 1" },
		{ K1 " soa 7 1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,"
		  "1.1.1.8,1.1.1.9,1.1.1.10,1.1.1.11,1.1.1.12,1.1.1.13,1.1.1.14,1.1.1.15,"
		  "1.1.1.16\n", "ak:1: more than 15 addresses" },
	};
	struct ferry_authkeys *ak = NULL;
	char err[FERRY_AUTHKEYS_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (ferry_authkeys_parse(cases[i].text, "ak", &ak, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu accepted", i);
		if (strcmp(err, cases[i].msg))
			fail_msg("case %zu:\n got  %s\n want %s", i, err, cases[i].msg);
	}
	assert_int_equal(ferry_authkeys_load("/nonexistent/ak", &ak, err, sizeof(err)),
			 -ENOENT);
}

static void test_load(void **state)
{
	char path[] = "/tmp/ferry-test-authkeys.XXXXXX", err[FERRY_AUTHKEYS_ERR_MAX];
	struct ferry_authkeys *ak;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(file, f);
	fclose(f);
	assert_int_equal(ferry_authkeys_load(path, &ak, err, sizeof(err)), 0);
	assert_int_equal(ak->n, 4);
	ferry_authkeys_free(ak);
	/* errors name the file and line */
	f = fopen(path, "a");
	fputs("\nbogus\n", f);
	fclose(f);
	assert_int_equal(ferry_authkeys_load(path, &ak, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":8: 1 fields"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
