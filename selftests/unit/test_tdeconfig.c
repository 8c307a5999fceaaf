// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The TDE's topology model: a full file into the exact struct, the
 * example in docs/, host matching, and every error at its line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ferry/layout.h"
#include "tdeconfig.h"

#define EXAMPLE_CONF	"docs/examples/ferry-tde.conf"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static struct ferry_tde_config *parse_ok(const char *text)
{
	struct ferry_tde_config *cfg;
	char err[FERRY_TDE_ERR_MAX] = "";

	if (ferry_tde_config_parse(text, "tde.conf", &cfg, err, sizeof(err)))
		fail_msg("rejected: %s\n%s", err, text);
	return cfg;
}

static struct ferry_tde_addr A(const char *s)
{
	struct ferry_tde_addr a;

	if (ferry_tde_parse_addr(s, &a))
		fail_msg("bad test address %s", s);
	return a;
}

static const char full[] =
	"# comment\n"					/* 1 */
	"[tde]\n"
	"debounce_ms = 60000\n"
	"[watch nve3]\n"
	"netns = tde-nve3\n"				/* 5 */
	"[watch here]\n"
	"; no netns: our own\n"
	"[host fw1]\n"
	"id = 4294967295\n"
	"gateway = 198.18.10.2 , 2001:db8:10::2\n"	/* 10 */
	"interface = eth1\n"
	"[host fw2]\n"
	"id = 2\n"
	"interface = nve3/eth2, here/eth2\n"
	"gateway = 198.18.20.2\n"			/* 15 */
	"[vm vm1]\n"
	"zone = 4294967294\n"
	"address = 198.18.100.1\n"
	"address = 2001:db8:100::1,198.18.100.11\n"
	"mac = 02:AB:cd:00:00:01\n"			/* 20 */
	"[vm vm2]\n"
	"address = 198.18.100.1\n";	/* zone 0: same address, other zone */

static void full_file(void **state)
{
	struct ferry_tde_config *c = parse_ok(full);
	struct ferry_tde_addr a;
	const __u8 mac[6] = { 2, 0xab, 0xcd, 0, 0, 1 };

	(void)state;
	assert_int_equal(c->debounce_ms, 60000);
	assert_int_equal(c->nwatches, 2);
	assert_string_equal(c->watches[0].name, "nve3");
	assert_string_equal(c->watches[0].netns, "tde-nve3");
	assert_int_equal(c->watches[0].line, 4);
	assert_string_equal(c->watches[1].name, "here");
	assert_string_equal(c->watches[1].netns, "");
	assert_int_equal(c->nhosts, 2);
	assert_string_equal(c->hosts[0].name, "fw1");
	assert_int_equal(c->hosts[0].id, 4294967295u);
	assert_int_equal(c->hosts[0].ngateways, 2);
	a = A("2001:db8:10::2");
	assert_true(ferry_tde_addr_equal(&c->hosts[0].gateways[1], &a));
	assert_int_equal(c->hosts[0].nifaces, 1);
	assert_int_equal(c->hosts[0].ifaces[0].watch, -1);
	assert_string_equal(c->hosts[0].ifaces[0].name, "eth1");
	assert_int_equal(c->hosts[1].id, 2);
	assert_int_equal(c->hosts[1].nifaces, 2);
	assert_int_equal(c->hosts[1].ifaces[0].watch, 0);
	assert_int_equal(c->hosts[1].ifaces[1].watch, 1);
	assert_int_equal(c->hosts[1].line, 12);
	assert_int_equal(c->nvms, 2);
	assert_string_equal(c->vms[0].name, "vm1");
	assert_int_equal(c->vms[0].zone, 4294967294u);
	assert_int_equal(c->vms[0].naddrs, 3);
	assert_int_equal(c->vms[0].addrs[0].family, FERRY_AF_INET);
	assert_int_equal(c->vms[0].addrs[1].family, FERRY_AF_INET6);
	a = A("198.18.100.11");
	assert_true(ferry_tde_addr_equal(&c->vms[0].addrs[2], &a));
	assert_true(c->vms[0].has_mac);
	assert_memory_equal(c->vms[0].mac, mac, 6);
	assert_int_equal(c->vms[1].zone, 0);
	assert_false(c->vms[1].has_mac);
	assert_int_equal(ferry_tde_vm_by_name(c, "vm2"), 1);
	assert_int_equal(ferry_tde_vm_by_name(c, "vm3"), -1);
	assert_int_equal(ferry_tde_host_by_id(c, 2), 1);
	assert_int_equal(ferry_tde_host_by_id(c, 3), -1);
	assert_int_equal(ferry_tde_host_by_name(c, "fw1"), 0);
	free(c);
}

static void host_match(void **state)
{
	struct ferry_tde_config *c = parse_ok(full);
	struct ferry_tde_addr gw1 = A("2001:db8:10::2"), gw2 = A("198.18.20.2"),
			      other = A("198.18.30.2");

	(void)state;
	assert_int_equal(ferry_tde_host_match(c, 0, NULL, &gw1), 0);
	assert_int_equal(ferry_tde_host_match(c, 1, "eth1", &gw2), 1);	/* gateway wins */
	assert_int_equal(ferry_tde_host_match(c, 0, "eth1", &other), 0);
	assert_int_equal(ferry_tde_host_match(c, 1, "eth1", NULL), 0);	/* any watch */
	assert_int_equal(ferry_tde_host_match(c, 0, "eth2", NULL), 1);
	assert_int_equal(ferry_tde_host_match(c, 1, "eth2", NULL), 1);
	assert_int_equal(ferry_tde_host_match(c, 0, "eth3", NULL), -1);
	assert_int_equal(ferry_tde_host_match(c, 0, NULL, NULL), -1);
	free(c);
}

static void defaults(void **state)
{
	struct ferry_tde_config *c = parse_ok("[watch w]\n[host h]\nid = 1\n"
					      "interface = x\n[vm v]\naddress = ::1\n");

	(void)state;
	assert_int_equal(c->debounce_ms, FERRY_TDE_DEBOUNCE_DEFAULT);
	assert_int_equal(c->vms[0].zone, 0);
	free(c);
}

static void example(void **state)
{
	struct ferry_tde_config *c;
	char err[FERRY_TDE_ERR_MAX];

	(void)state;
	if (ferry_tde_config_read(EXAMPLE_CONF, &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c->nwatches, 2);
	assert_int_equal(c->nhosts, 2);
	assert_int_equal(c->nvms, 2);
	assert_int_equal(c->hosts[1].ifaces[0].watch, 1);
	free(c);
}

static void missing_file(void **state)
{
	struct ferry_tde_config *c;
	char err[FERRY_TDE_ERR_MAX];

	(void)state;
	assert_int_equal(ferry_tde_config_read("/nonexistent/tde.conf", &c, err,
					       sizeof(err)), -ENOENT);
	assert_null(c);
	assert_string_equal(err, "/nonexistent/tde.conf: No such file or directory");
}

#define BASE "[watch w]\n[host h]\nid = 1\ngateway = 198.18.0.1\n[vm v]\naddress = 198.18.1.1\n"

struct bad {
	const char *text;
	const char *err;
};

static const struct bad bad[] = {
	{ "[tde]\ndebounce_ms = 60001\n" BASE,
	  "tde.conf:2: [tde] debounce_ms: 60001 is out of range (0..60000)" },
	{ "[tde]\ndebounce_ms = 2x\n" BASE,
	  "tde.conf:2: [tde] debounce_ms: '2x' is not a number" },
	{ "[tde]\ndebounce = 1\n" BASE,
	  "tde.conf:2: [tde] unknown key 'debounce'" },
	{ "[watch w]\nnetnss = n\n", "tde.conf:2: [watch w] unknown key 'netnss' (did you mean 'netns'?)" },
	{ "[tde]\n[tde]\n" BASE,
	  "tde.conf:2: duplicate section [tde] (first at line 1)" },
	{ "[tde x]\n" BASE, "tde.conf:1: section [tde] takes no name, not 'x'" },
	{ "[watch]\n", "tde.conf:1: section [watch] needs a name: [watch NAME]" },
	{ "[switch s]\n", "tde.conf:1: unknown section [switch] (known: tde, watch NAME, host NAME, vm NAME)" },
	{ "[vm a b c]\n", "tde.conf:1: [vm a b c]: too many words in a section name" },
	{ "debounce_ms = 1\n", "tde.conf:1: key 'debounce_ms' outside any section" },
	{ "[vm a\n", "tde.conf:1: section header without ']'" },
	{ BASE "[watch w]\n", "tde.conf:7: duplicate section [watch w] (first at line 1)" },
	{ BASE "[vm bad.name]\n", "tde.conf:7: [vm bad.name] bad name 'bad.name': use 1-32 of [A-Za-z0-9_-]" },
	{ "[watch w]\nnetns = a/b\n", "tde.conf:2: [watch w] netns: bad namespace name 'a/b': use 1-32 of [A-Za-z0-9_-]" },
	{ "[watch w]\nnetns = n\n[watch x]\nnetns = n\n",
	  "tde.conf:4: [watch x] netns: namespace 'n' is watched by [watch w] already" },
	{ "[watch w]\n[watch x]\n",
	  "tde.conf:2: [watch x] watches ferry-tde's own namespace, as [watch w] does: give one a netns" },
	{ "[watch w]\nnetns = n\nnetns = m\n",
	  "tde.conf:3: [watch w] duplicate key 'netns' (first at line 2)" },
	{ "[watch w]\nnetns =\n", "tde.conf:2: [watch w] netns: empty value" },
	{ "[host h]\ngateway = 198.18.0.1\n[vm v]\n",
	  "tde.conf:1: [host h] missing key 'id'" },
	{ "[host h]\nid = 1\n[vm v]\n",
	  "tde.conf:1: [host h] missing key 'gateway' or 'interface': how is its path recognised?" },
	{ "[host h]\nid = 0\n", "tde.conf:2: [host h] id: 0 is out of range (1..4294967295)" },
	{ "[host h]\nid = 4294967296\n", "tde.conf:2: [host h] id: 4294967296 is out of range (1..4294967295)" },
	{ BASE "[host g]\nid = 1\n", "tde.conf:8: [host g] id: 1 is the id of host 'h' already" },
	{ BASE "[host g]\nid = 2\ngateway = 198.18.0.1\n",
	  "tde.conf:9: [host g] gateway: 198.18.0.1 is a gateway of host 'h' already" },
	{ "[host h]\nid = 1\ngateway = 198.18.0.300\n",
	  "tde.conf:3: [host h] gateway: '198.18.0.300' is not an IPv4 or IPv6 address" },
	{ "[host h]\nid = 1\ngateway = 198.18.0.0/24\n",
	  "tde.conf:3: [host h] gateway: '198.18.0.0/24' is not an IPv4 or IPv6 address" },
	{ "[host h]\nid = 1\ngateway = 198.18.0.1,,198.18.0.2\n",
	  "tde.conf:3: [host h] gateway: empty item in the list '198.18.0.1,,198.18.0.2'" },
	{ "[host h]\nid = 1\ngateway = 198.18.0.1,\n",
	  "tde.conf:3: [host h] gateway: empty item in the list '198.18.0.1,'" },
	{ "[host h]\nid = 1\ninterface = eth0:1\n",
	  "tde.conf:3: [host h] interface: bad interface name 'eth0:1'" },
	{ "[host h]\nid = 1\ninterface = a/b/c\n",
	  "tde.conf:3: [host h] interface: bad interface name 'b/c'" },
	{ "[host h]\nid = 1\ninterface = 0123456789abcdef\n",
	  "tde.conf:3: [host h] interface: bad interface name '0123456789abcdef'" },
	{ "[host h]\nid = 1\ninterface = w/eth0\n[host g]\nid = 2\ninterface = eth0\n",
	  "tde.conf:6: [host g] interface: eth0 leads to host 'h' already" },
	{ "[host h]\nid = 1\ninterface = w/eth0\n[host g]\nid = 2\ninterface = w/eth0\n",
	  "tde.conf:6: [host g] interface: w/eth0 leads to host 'h' already" },
	{ "[host h]\nid = 1\ninterface = nowhere/eth0\n[watch w]\n[vm v]\naddress = ::1\n",
	  "tde.conf:3: [host h] interface: no section [watch nowhere]" },
	{ "[vm v]\nzone = 1\n", "tde.conf:1: [vm v] missing key 'address'" },
	{ "[vm v]\nzone = 4294967295\n", "tde.conf:2: [vm v] zone: 4294967295 is out of range (0..4294967294)" },
	{ "[vm v]\naddress = 198.18.1.1, 198.18.1.1\n",
	  "tde.conf:2: [vm v] address: 198.18.1.1 is listed twice" },
	{ "[vm v]\naddress = 1::1,1::2,1::3,1::4,1::5,1::6,1::7,1::8,1::9\n",
	  "tde.conf:2: [vm v] address: too many addresses (at most 8)" },
	{ "[vm v]\naddress = ::1\nmac = 02:00:00:00:00\n",
	  "tde.conf:3: [vm v] mac: '02:00:00:00:00' is not a MAC address (like 02:00:00:00:00:01)" },
	{ "[vm v]\naddress = ::1\nmac = 02:00:00:00:00:0g\n",
	  "tde.conf:3: [vm v] mac: '02:00:00:00:00:0g' is not a MAC address (like 02:00:00:00:00:01)" },
	{ "[vm v]\naddress = ::1\nmac = 02:00:00:00:00:01\n[vm u]\naddress = ::2\nmac = 02-00-00-00-00-01\n",
	  "tde.conf:6: [vm u] mac: 02-00-00-00-00-01 is the MAC of VM 'v' already" },
	{ "[vm v]\nzone = 3\naddress = ::1\n[vm u]\nzone = 3\naddress = ::2, ::1\n",
	  "tde.conf:6: [vm u] address: ::1 is an address of VM 'v' in zone 3 already" },
	{ "[host h]\nid = 1\ngateway = ::1\n[vm v]\naddress = ::1\n",
	  "tde.conf:5: end of file: missing section [watch NAME]" },
	{ "[watch w]\n[vm v]\naddress = ::1\n",
	  "tde.conf:3: end of file: missing section [host NAME]" },
	{ "[watch w]\n[host h]\nid = 1\ngateway = ::1\n",
	  "tde.conf:4: end of file: missing section [vm NAME]" },
	{ "", "tde.conf:1: end of file: missing section [watch NAME]" },
	{ "[watch w]\njunk\n", "tde.conf:2: expected '[section]', 'key = value' or a comment" },
};

static void errors(void **state)
{
	struct ferry_tde_config *c;
	char err[FERRY_TDE_ERR_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		if (ferry_tde_config_parse(bad[i].text, "tde.conf", &c, err,
					   sizeof(err)) != -EINVAL)
			fail_msg("accepted:\n%s", bad[i].text);
		assert_null(c);
		if (strcmp(err, bad[i].err))
			fail_msg("case %u:\n%s\nwant: %s\ngot:  %s", i, bad[i].text,
				 bad[i].err, err);
	}
}

static void json(void **state)
{
	struct ferry_tde_notification n = {
		.vm = "vm1", .zone = 7, .naddrs = 2, .has_mac = true,
		.mac = { 2, 0, 0, 0, 1, 0xab }, .from_host = 1, .to_host = 4294967295u,
		.reason = FERRY_TDE_REASON_LINK,
		.time_ns = 1764072000123456789ull,	/* 2025-11-25T12:00:00.123 */
	};
	char buf[FERRY_TDE_JSON_MAX], small[40];

	(void)state;
	n.addrs[0] = A("198.18.100.1");
	n.addrs[1] = A("2001:db8:100::1");
	assert_true(ferry_tde_notification_json(&n, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"vm\":\"vm1\",\"zone\":7,\"addresses\":"
			    "[\"198.18.100.1\",\"2001:db8:100::1\"],"
			    "\"mac\":\"02:00:00:00:01:ab\",\"from\":1,\"to\":4294967295,"
			    "\"reason\":\"link\",\"time\":\"2025-11-25T12:00:00.123Z\"}");
	assert_int_equal(ferry_tde_notification_json(&n, small, sizeof(small)), -ENOSPC);
	strcpy(n.vm, "a\"b\\c\n");
	n.has_mac = false;
	n.naddrs = 0;
	assert_true(ferry_tde_notification_json(&n, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"vm\":\"a\\\"b\\\\c\\u000a\""));
	assert_non_null(strstr(buf, "\"addresses\":[],\"mac\":null"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_file),
		cmocka_unit_test(host_match),
		cmocka_unit_test(defaults),
		cmocka_unit_test(example),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(errors),
		cmocka_unit_test(json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
