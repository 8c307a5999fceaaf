// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The agent's configuration: a full file into the exact struct, the
 * example in docs/, and every error message, each at its line. */
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
#include "ctconfig.h"
#include "rules.h"
#include "natconfig.h"
#include "soaconfig.h"

#define EXAMPLE_CONF	"docs/examples/ferry-soa.conf"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static struct ferry_soa_config *parse_ok(const char *text)
{
	struct ferry_soa_config *cfg;
	char err[FERRY_SOA_ERR_MAX] = "";

	if (ferry_soa_config_parse(text, "soa.conf", &cfg, err, sizeof(err)))
		fail_msg("rejected: %s\n%s", err, text);
	return cfg;
}

static void addr(__u8 *family, __u8 out[16], const char *s)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1)
		*family = FERRY_AF_INET;
	else if (inet_pton(AF_INET6, s, out) == 1)
		*family = FERRY_AF_INET6;
	else
		fail_msg("bad test address %s", s);
}

static void range(struct ferry_soa_range *r, const char *lo, const char *hi)
{
	__u8 f;

	addr(&r->family, r->lo, lo);
	addr(&f, r->hi, hi);
}

static void endpoint(struct ferry_soa_endpoint *ep, const char *a, __u16 port)
{
	memset(ep, 0, sizeof(*ep));
	addr(&ep->family, ep->addr, a);
	ep->port = port;
}

static void rule(struct ferry_rule *r, const char *text, __u32 id)
{
	char err[FERRY_RULES_ERR_MAX];

	if (ferry_rule_parse(text, r, err, sizeof(err)))
		fail_msg("bad test rule '%s': %s", text, err);
	if (!r->id)
		r->id = id;
}

static const char full[] =
	"# a comment\n"					/* 1 */
	"[agent]\n"
	"instance = fw-1_a\n"
	"host_id = 4294967295\n"
	"control_socket = /run/x.sock\n"		/* 5 */
	"\n"
	"[table]\n"
	"ct_max = 67108864\n"
	"gc_interval = 3600\n"
	"fast_forward = on\n"				/* 10 */
	"[timeouts]\n"
	"ESTABLISHED = 2592000\n"
	"udp_unreplied = 1\n"
	"; another comment\n"
	"[interface eth0]\n"				/* 15 */
	"hook = xdp\n"
	"xdp_mode = generic\n"
	"zone = 4294967294\n"
	"vlan.4094 = 0\n"
	"vlan.1 = 9\n"					/* 20 */
	"  [interface eth1.5]  \n"
	"hook = tc-egress\n"
	"[rules]\n"
	"rule = allow zone 1 proto tcp dport 22 # ssh\n"
	"rule = deny log id 7\n"			/* 25 */
	"[snat-pool a]\n"
	"zone = 1\n"
	"addresses = 198.18.5.0/28 , 198.18.6.1-198.18.6.9,2001:db8:5::/120, 198.18.7.7\n"
	"[snat-pool b]\n"
	"zone = 2\n"					/* 30 */
	"ports = 1-1023\n"
	"addresses = 198.18.5.0/28\n"	/* same addresses, ports apart from a's */
	"[forward web]\n"
	"zone = 1\n"
	"proto = tcp\n"					/* 35 */
	"external = 198.18.5.100:80\n"
	"internal = 198.18.1.10:8080, 198.18.1.11:65535\n"
	"[forward dns6]\n"
	"zone = 0\n"
	"proto = udp\n"					/* 40 */
	"external = [2001:db8:5::1000]:53\n"
	"internal = [2001:db8:1::53]:1\n"
	"[security]\n"
	"identity_key = /etc/ferry/soa.key\n"
	"som_address = 198.18.0.1:7400\n"		/* 45 */
	"som_public_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";

static struct ferry_soa_config *full_expected(void)
{
	struct ferry_soa_config *w = calloc(1, sizeof(*w));
	struct ferry_soa_iface *i;
	struct ferry_soa_pool *p;
	struct ferry_soa_forward *f;
	unsigned int k;

	assert_non_null(w);
	strcpy(w->instance, "fw-1_a");
	w->host_id = 4294967295u;
	strcpy(w->control_socket, "/run/x.sock");
	w->ct_max = 67108864;
	w->gc_interval = 3600;
	ferry_config_defaults(&w->dp);
	w->dp.flags = FERRY_CFG_F_FAST_FORWARD;
	w->dp.timeout_ns[FERRY_TCP_ESTABLISHED] = 2592000ull * 1000000000ull;
	w->dp.timeout_ns[FERRY_UDP_UNREPLIED] = 1000000000ull;

	w->nifaces = 2;
	i = &w->ifaces[0];
	strcpy(i->name, "eth0");
	i->hook = FERRY_SOA_HOOK_XDP;
	i->xdp_mode = FERRY_XDP_GENERIC;
	i->zone = 4294967294u;
	i->nvlans = 2;
	i->vlans[0].vlan = 4094;
	i->vlans[0].zone = 0;
	i->vlans[1].vlan = 1;
	i->vlans[1].zone = 9;
	i->line = 15;
	i = &w->ifaces[1];
	strcpy(i->name, "eth1.5");
	i->hook = FERRY_SOA_HOOK_TC_EGRESS;
	i->line = 21;

	w->nrules = 2;
	w->rules = calloc(2, sizeof(*w->rules));
	assert_non_null(w->rules);
	rule(&w->rules[0], "allow zone 1 proto tcp dport 22", 24);
	rule(&w->rules[1], "deny log id 7", 0);

	w->npools = 2;
	p = &w->pools[0];
	strcpy(p->name, "a");
	p->zone = 1;
	p->nranges = 4;
	range(&p->ranges[0], "198.18.5.0", "198.18.5.15");
	range(&p->ranges[1], "198.18.6.1", "198.18.6.9");
	range(&p->ranges[2], "2001:db8:5::", "2001:db8:5::ff");
	range(&p->ranges[3], "198.18.7.7", "198.18.7.7");
	p->port_lo = 1024;
	p->port_hi = 65535;
	p->line = 26;
	p = &w->pools[1];
	strcpy(p->name, "b");
	p->zone = 2;
	p->nranges = 1;
	range(&p->ranges[0], "198.18.5.0", "198.18.5.15");
	p->port_lo = 1;
	p->port_hi = 1023;
	p->line = 29;

	w->nforwards = 2;
	f = &w->forwards[0];
	strcpy(f->name, "web");
	f->zone = 1;
	f->proto = IPPROTO_TCP;
	endpoint(&f->external, "198.18.5.100", 80);
	f->ntargets = 2;
	endpoint(&f->targets[0], "198.18.1.10", 8080);
	endpoint(&f->targets[1], "198.18.1.11", 65535);
	f->line = 33;
	f = &w->forwards[1];
	strcpy(f->name, "dns6");
	f->proto = IPPROTO_UDP;
	endpoint(&f->external, "2001:db8:5::1000", 53);
	f->ntargets = 1;
	endpoint(&f->targets[0], "2001:db8:1::53", 1);
	f->line = 38;

	w->has_security = true;
	strcpy(w->identity_key, "/etc/ferry/soa.key");
	endpoint(&w->som, "198.18.0.1", 7400);
	for (k = 0; k < FERRY_SOA_KEY_LEN; k++)
		w->som_public_key[k] = (__u8)k;
	return w;
}

static void test_full(void **state)
{
	struct ferry_soa_config *got = parse_ok(full), *want = full_expected();
	struct ferry_rule *got_rules = got->rules;

	assert_int_equal(got->nrules, want->nrules);
	assert_memory_equal(got_rules, want->rules,
			    want->nrules * sizeof(*want->rules));
	/* field by field first, for readable failures */
	assert_string_equal(got->instance, want->instance);
	assert_int_equal(got->host_id, want->host_id);
	assert_memory_equal(&got->dp, &want->dp, sizeof(got->dp));
	assert_memory_equal(got->ifaces, want->ifaces, sizeof(got->ifaces));
	assert_memory_equal(got->pools, want->pools, sizeof(got->pools));
	assert_memory_equal(got->forwards, want->forwards, sizeof(got->forwards));
	got->rules = want->rules;
	assert_memory_equal(got, want, sizeof(*got));
	got->rules = got_rules;
	ferry_soa_config_free(got);
	ferry_soa_config_free(want);
}

#define BASE	"[agent]\ninstance = fw1\nhost_id = 1\n"	/* 1-3 */ \
		"[interface eth0]\nhook = xdp\n"		/* 4-5 */ \
		"[rules]\nrule = allow\n"			/* 6-7 */

/* Defaults: what a file with only the required parts gives. */
static void test_defaults(void **state)
{
	struct ferry_soa_config *cfg = parse_ok(BASE);
	struct ferry_config dp;

	ferry_config_defaults(&dp);
	assert_memory_equal(&cfg->dp, &dp, sizeof(dp));
	assert_string_equal(cfg->control_socket, "/run/ferry/fw1.sock");
	assert_string_equal(cfg->state_dir, "");	/* the agent's default */
	assert_int_equal(cfg->ct_max, 0);
	assert_int_equal(cfg->gc_interval, FERRY_SOA_GC_DEFAULT);
	assert_int_equal(cfg->ifaces[0].zone, 0);
	assert_int_equal(cfg->ifaces[0].xdp_mode, FERRY_XDP_AUTO);
	assert_int_equal(cfg->nrules, 1);
	assert_int_equal(cfg->rules[0].id, 7);
	assert_false(cfg->has_security);
	assert_int_equal(cfg->npools + cfg->nforwards, 0);
	ferry_soa_config_free(cfg);
}

/* The state directory, when the file names one. */
static void test_state_dir(void **state)
{
	struct ferry_soa_config *cfg =
		parse_ok("[agent]\ninstance = fw1\nhost_id = 1\nstate_dir = /var/lib/f1\n"
			 "[interface eth0]\nhook = xdp\n[rules]\nrule = allow\n");

	assert_string_equal(cfg->state_dir, "/var/lib/f1");
	ferry_soa_config_free(cfg);
}

/* A pool for the flows of some sources only, and the datapath's entry of it. */
static void test_pool_sources(void **state)
{
	struct ferry_soa_config *cfg = parse_ok(BASE "[snat-pool vm1]\nzone = 0\n"
						"addresses = 198.18.60.1\n"
						"sources = 198.18.10.0/24\n");
	struct ferry_nat_pool_entry e;
	__u8 family, want[16];
	char err[256];

	assert_true(cfg->pools[0].has_sources);
	assert_int_equal(cfg->pools[0].src_plen, 24);
	addr(&family, want, "198.18.10.0");
	assert_int_equal(cfg->pools[0].src_family, family);
	assert_memory_equal(cfg->pools[0].src, want, 16);
	assert_int_equal(ferry_nat_pool_from_soa(&cfg->pools[0], &e, err, sizeof(err)), 0);
	assert_int_equal(e.pool.src_plen, 24);
	assert_memory_equal(e.pool.src, want, 16);
	ferry_soa_config_free(cfg);
	/* without sources: every source of the zone */
	cfg = parse_ok(BASE "[snat-pool all]\nzone = 0\naddresses = 198.18.60.1\n");
	assert_false(cfg->pools[0].has_sources);
	assert_int_equal(ferry_nat_pool_from_soa(&cfg->pools[0], &e, err, sizeof(err)), 0);
	assert_int_equal(e.pool.src_plen, 0);
	ferry_soa_config_free(cfg);
}

/* The commented example in docs/ is valid and reads its rule file. */
static void test_example(void **state)
{
	struct ferry_soa_config *cfg;
	char err[FERRY_SOA_ERR_MAX] = "";

	if (ferry_soa_config_read(EXAMPLE_CONF, &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(cfg->instance, "fw1");
	assert_string_equal(cfg->rules_file, "docs/examples/rules.conf");
	assert_true(cfg->nrules > 10);
	assert_int_equal(cfg->nifaces, 2);
	assert_int_equal(cfg->npools, 3);
	assert_int_equal(cfg->nforwards, 2);
	assert_int_equal(cfg->nvms, 1);
	assert_string_equal(cfg->vms[0].name, "web1");
	assert_int_equal(cfg->vms[0].zone, 1);
	assert_int_equal(cfg->vms[0].naddrs, 2);
	assert_int_equal(cfg->vms[0].addrs[1].family, FERRY_AF_INET6);
	assert_int_equal(cfg->vms[0].max_flows, 65536);
	assert_true(cfg->has_security);
	assert_int_equal(cfg->som.family, FERRY_AF_INET6);
	ferry_soa_config_free(cfg);
}

static char rules_path[] = "/tmp/ferry-soaconf-rules-XXXXXX";

/* A rule file with an error on its line 2: the message names both files. */
static int rules_file_setup(void **state)
{
	int fd = mkstemp(rules_path);

	if (fd < 0)
		return -1;
	if (write(fd, "allow\nallow from 198.18.0.0/33\n", 31) != 31) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int rules_file_teardown(void **state)
{
	unlink(rules_path);
	return 0;
}

static void test_rules_file_error(void **state)
{
	struct ferry_soa_config *cfg;
	char text[256], err[FERRY_SOA_ERR_MAX] = "", want[FERRY_SOA_ERR_MAX];

	snprintf(text, sizeof(text),
		 "[agent]\ninstance = a\nhost_id = 1\n[interface lo]\nhook = xdp\n"
		 "[rules]\nfile = %s\n", rules_path);
	assert_int_equal(ferry_soa_config_parse(text, "soa.conf", &cfg, err,
						sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "soa.conf:7: [rules] file: %s:2: bad prefix '198.18.0.0/33': length must be 0-32",
		 rules_path);
	assert_string_equal(err, want);
	assert_null(cfg);
}

static void test_file_missing(void **state)
{
	struct ferry_soa_config *cfg;
	char err[FERRY_SOA_ERR_MAX] = "";

	assert_int_equal(ferry_soa_config_read("/nonexistent/soa.conf", &cfg,
					       err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/soa.conf: No such file or directory");
	assert_null(cfg);
}

static void test_rules_file_missing(void **state)
{
	struct ferry_soa_config *cfg;
	char err[FERRY_SOA_ERR_MAX] = "";

	assert_int_equal(ferry_soa_config_parse("[rules]\nfile = /nonexistent/r.conf\n",
						"soa.conf", &cfg, err,
						sizeof(err)), -ENOENT);
	assert_string_equal(err, "soa.conf:2: [rules] file: /nonexistent/r.conf: No such file or directory");
	assert_null(cfg);
}

struct err_case {
	const char *name;
	const char *text;
	const char *msg;	/* after "soa.conf:" */
};

static const struct err_case cases[] = {
	{ "vm address not an address",
	  BASE "[vm a]\nzone = 0\naddresses = 198.18.10.1, web1\n",
	  "10: [vm a] addresses: 'web1' is not an IPv4 or IPv6 address" },
	{ "vm address twice",
	  BASE "[vm a]\nzone = 0\naddresses = 2001:db8::1, 2001:db8:0::1\n",
	  "10: [vm a] addresses: '2001:db8:0::1' is listed twice" },
	{ "vm with too many addresses",
	  BASE "[vm a]\nzone = 0\naddresses = 198.18.0.1,198.18.0.2,198.18.0.3,198.18.0.4,"
	  "198.18.0.5,198.18.0.6,198.18.0.7,198.18.0.8,198.18.0.9\n",
	  "10: [vm a] addresses: too many addresses (at most 8)" },
	{ "vm max_flows out of range",
	  BASE "[vm a]\nzone = 0\naddresses = 198.18.10.1\nmax_flows = 0\n",
	  "11: [vm a] max_flows: 0 is out of range (1..1048576)" },
	{ "vm without addresses",
	  BASE "[vm a]\nzone = 0\n",
	  "8: [vm a] missing key 'addresses'" },
	{ "two VMs with one address in a zone",
	  BASE "[vm a]\nzone = 3\naddresses = 198.18.10.1\n"
	  "[vm b]\nzone = 3\naddresses = 198.18.10.2, 198.18.10.1\n",
	  "13: [vm b] addresses: address 2 is vm 'a''s already" },
	{ "duplicate vm",
	  BASE "[vm a]\nzone = 0\naddresses = 198.18.10.1\n[vm a]\n",
	  "11: duplicate section [vm a] (first at line 8)" },
	{ "unknown key",
	  "[agent]\ninstanse = fw1\n",
	  "2: [agent] unknown key 'instanse' (did you mean 'instance'?)" },
	{ "unknown key without a hint",
	  BASE "[table]\ncolour = blue\n",
	  "9: [table] unknown key 'colour'" },
	{ "duplicate key",
	  "[agent]\ninstance = fw1\nhost_id = 1\nhost_id = 2\n",
	  "4: [agent] duplicate key 'host_id' (first at line 3)" },
	{ "unknown section",
	  BASE "[agnet]\n",
	  "8: unknown section [agnet] (known: agent, table, timeouts, interface NAME, rules, snat-pool NAME, forward NAME, security, vm NAME)" },
	{ "duplicate section",
	  BASE "[agent]\n",
	  "8: duplicate section [agent] (first at line 1)" },
	{ "duplicate interface",
	  BASE "[interface eth0]\nhook = xdp\n",
	  "8: duplicate section [interface eth0] (first at line 4)" },
	{ "section without its name",
	  BASE "[interface]\n",
	  "8: section [interface] needs a name: [interface NAME]" },
	{ "section name of four words",
	  BASE "[vm a b  c]\n",
	  "8: [vm a b  c]: too many words in a section name" },
	{ "section with a name it does not take",
	  BASE "[table big]\n",
	  "8: section [table] takes no name, not 'big'" },
	{ "bad interface name",
	  BASE "[interface a/b]\nhook = xdp\n",
	  "8: [interface a/b] bad interface name 'a/b'" },
	{ "header without ]",
	  BASE "[table\n",
	  "8: section header without ']'" },
	{ "text after a header",
	  BASE "[table] x\n",
	  "8: text after the section header" },
	{ "key outside any section",
	  "instance = fw1\n" BASE,
	  "1: key 'instance' outside any section" },
	{ "line that is no key",
	  BASE "[table]\nct_max\n",
	  "9: expected '[section]', 'key = value' or a comment" },
	{ "missing section [agent]",
	  "[interface eth0]\nhook = xdp\n[rules]\nrule = allow\n",
	  "4: end of file: missing section [agent]" },
	{ "missing section [rules]",
	  "[agent]\ninstance = fw1\nhost_id = 1\n[interface eth0]\nhook = xdp\n",
	  "5: end of file: missing section [rules]" },
	{ "missing section [interface NAME]",
	  "[agent]\ninstance = fw1\nhost_id = 1\n[rules]\nrule = allow\n",
	  "5: end of file: missing section [interface NAME]" },
	{ "empty file",
	  "",
	  "1: end of file: missing section [agent]" },
	{ "missing key",
	  "[agent]\ninstance = fw1\n[interface eth0]\nhook = xdp\n",
	  "1: [agent] missing key 'host_id'" },
	{ "missing key of an empty section",
	  BASE "[interface eth1]\n",
	  "8: [interface eth1] missing key 'hook'" },
	{ "empty value",
	  BASE "[table]\nct_max =\n",
	  "9: [table] ct_max: empty value" },
	{ "bad instance name",
	  "[agent]\ninstance = fw/1\n",
	  "2: [agent] instance: bad name 'fw/1': use 1-32 of [A-Za-z0-9_-]" },
	{ "host id 0",
	  "[agent]\nhost_id = 0\n",
	  "2: [agent] host_id: 0 is out of range (1..4294967295)" },
	{ "host id not a number",
	  "[agent]\nhost_id = -1\n",
	  "2: [agent] host_id: '-1' is not a number" },
	{ "host id far too big",
	  "[agent]\nhost_id = 99999999999999999999999\n",
	  "2: [agent] host_id: 99999999999999999999999 is out of range (1..4294967295)" },
	{ "relative control socket",
	  "[agent]\ncontrol_socket = run/x.sock\n",
	  "2: [agent] control_socket: 'run/x.sock' is not an absolute path" },
	{ "relative state directory",
	  "[agent]\nstate_dir = var/lib/ferry\n",
	  "2: [agent] state_dir: 'var/lib/ferry' is not an absolute path" },
	{ "control socket too long",
	  "[agent]\ncontrol_socket = /run/ferry/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
	  "2: [agent] control_socket: path longer than 107 characters" },
	{ "ct_max 0",
	  BASE "[table]\nct_max = 0\n",
	  "9: [table] ct_max: 0 is out of range (1..67108864)" },
	{ "ct_max above 2^26",
	  BASE "[table]\nct_max = 67108865\n",
	  "9: [table] ct_max: 67108865 is out of range (1..67108864)" },
	{ "gc interval above an hour",
	  BASE "[table]\ngc_interval = 3601\n",
	  "9: [table] gc_interval: 3601 is out of range (1..3600)" },
	{ "bad bool",
	  BASE "[table]\nfast_forward = maybe\n",
	  "9: [table] fast_forward: 'maybe' is not yes or no" },
	{ "value with a trailing comment",
	  BASE "[table]\nct_max = 5 ; five\n",
	  "9: [table] ct_max: '5 ; five' is not a number" },
	{ "timeout above 30 days",
	  BASE "[timeouts]\nestablished = 2592001\n",
	  "9: [timeouts] established: 2592001 is out of range (1..2592000)" },
	{ "timeout 0",
	  BASE "[timeouts]\nsyn_sent = 0\n",
	  "9: [timeouts] syn_sent: 0 is out of range (1..2592000)" },
	{ "unknown state",
	  BASE "[timeouts]\nestablised = 60\n",
	  "9: [timeouts] unknown key 'establised' (did you mean 'established'?)" },
	{ "state without a timeout",
	  BASE "[timeouts]\nnone = 60\n",
	  "9: [timeouts] unknown key 'none'" },
	{ "duplicate timeout in other case",
	  BASE "[timeouts]\nclose = 5\nCLOSE = 6\n",
	  "10: [timeouts] duplicate key 'CLOSE' (first at line 9)" },
	{ "zone out of range",
	  BASE "[interface eth1]\nhook = xdp\nzone = 4294967295\n",
	  "10: [interface eth1] zone: 4294967295 is out of range (0..4294967294)" },
	{ "bad hook",
	  BASE "[interface eth1]\nhook = xdpp\n",
	  "9: [interface eth1] hook: 'xdpp' is not xdp, tc-ingress or tc-egress" },
	{ "bad xdp mode",
	  BASE "[interface eth1]\nhook = xdp\nxdp_mode = fast\n",
	  "10: [interface eth1] xdp_mode: 'fast' is not auto, native or generic" },
	{ "xdp mode without xdp",
	  BASE "[interface eth1]\nxdp_mode = native\nhook = tc-ingress\n",
	  "9: [interface eth1] xdp_mode: only with hook = xdp" },
	{ "VLAN 0",
	  BASE "[interface eth1]\nhook = xdp\nvlan.0 = 1\n",
	  "10: [interface eth1] bad key 'vlan.0': VLAN must be 1-4094" },
	{ "VLAN 4095",
	  BASE "[interface eth1]\nhook = xdp\nvlan.4095 = 1\n",
	  "10: [interface eth1] bad key 'vlan.4095': VLAN must be 1-4094" },
	{ "duplicate VLAN",
	  BASE "[interface eth1]\nhook = xdp\nvlan.7 = 1\nvlan.7 = 2\n",
	  "11: [interface eth1] duplicate key 'vlan.7' (first at line 10)" },
	{ "VLAN zone out of range",
	  BASE "[interface eth1]\nhook = xdp\nvlan.7 = 4294967296\n",
	  "10: [interface eth1] vlan.7: 4294967296 is out of range (0..4294967294)" },
	{ "rule line error at the config's line",
	  "[agent]\ninstance = fw1\nhost_id = 1\n[interface eth0]\nhook = xdp\n"
	  "[rules]\nrule = allow\nrule = allow from 198.18.0.0/33\n",
	  "8: [rules] rule: bad prefix '198.18.0.0/33': length must be 0-32" },
	{ "rule that is a comment only",
	  "[rules]\nrule = # nothing\n",
	  "2: [rules] rule: empty rule" },
	{ "duplicate rule id",
	  "[rules]\nrule = allow id 3\nrule = deny\n",
	  "3: [rules] rule: duplicate id 3 (this rule's line number): line 2 has it too" },
	{ "rule file and rules",
	  "[rules]\nrule = allow\nfile = rules.conf\n",
	  "3: [rules] file: 'file' and 'rule' exclude each other" },
	{ "rules section without rules",
	  "[rules]\n[agent]\n",
	  "1: [rules] missing key 'file' or 'rule'" },
	{ "bad prefix: host bits",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.1/28\n",
	  "10: [snat-pool a] addresses: bad prefix '198.18.5.1/28': host bits set (198.18.5.0/28?)" },
	{ "bad prefix: length",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 2001:db8::/129\n",
	  "10: [snat-pool a] addresses: bad prefix '2001:db8::/129': length must be 0-128" },
	{ "bad prefix: address",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5/24\n",
	  "10: [snat-pool a] addresses: bad prefix '198.18.5/24': '198.18.5' is not an address" },
	{ "bad range: families",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.1-2001:db8::1\n",
	  "10: [snat-pool a] addresses: bad range '198.18.5.1-2001:db8::1': IPv4 and IPv6 mixed" },
	{ "bad range: reversed",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.9-198.18.5.1\n",
	  "10: [snat-pool a] addresses: bad range '198.18.5.9-198.18.5.1': first above last" },
	{ "empty list element",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.1,,198.18.5.2\n",
	  "10: [snat-pool a] addresses: empty element in the list" },
	{ "overlap inside a pool",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.0/28, 198.18.5.9\n",
	  "10: [snat-pool a] addresses: 198.18.5.9 overlaps 198.18.5.0/28 in the same list" },
	{ "pool sources not a prefix",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.1\nsources = 198.18.10.1\n",
	  "11: [snat-pool a] sources: '198.18.10.1' is not PREFIX/LEN" },
	{ "pool sources with host bits",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.1\nsources = 198.18.10.1/24\n",
	  "11: [snat-pool a] sources: bad prefix '198.18.10.1/24': host bits set (198.18.10.0/24?)" },
	{ "pool sources of the other family",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.1\nsources = 2001:db8::/64\n",
	  "11: [snat-pool a] sources: IPv4 and IPv6 mixed with the addresses" },
	{ "overlapping pools",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 198.18.5.0/28\n"
	  "[snat-pool b]\nzone = 2\naddresses = 198.18.4.0-198.18.5.0\n",
	  "13: [snat-pool b] addresses: 198.18.4.0-198.18.5.0 overlaps pool 'a' (198.18.5.0/28)" },
	{ "overlapping pools, IPv6, port ranges meeting",
	  BASE "[snat-pool a]\nzone = 1\naddresses = 2001:db8::/64\nports = 1000-2000\n"
	  "[snat-pool b]\naddresses = 2001:db8::5\nzone = 2\nports = 2000-3000\n",
	  "13: [snat-pool b] addresses: 2001:db8::5 overlaps pool 'a' (2001:db8::/64)" },
	{ "bad pool name",
	  BASE "[snat-pool a.b]\n",
	  "8: [snat-pool a.b] bad name 'a.b': use 1-32 of [A-Za-z0-9_-]" },
	{ "pool ports reversed",
	  BASE "[snat-pool a]\nports = 2000-1000\n",
	  "9: [snat-pool a] ports: '2000-1000': first port above last" },
	{ "pool port 0",
	  BASE "[snat-pool a]\nports = 0-1000\n",
	  "9: [snat-pool a] ports: bad port '0': must be 1-65535" },
	{ "pool without addresses",
	  BASE "[snat-pool a]\nzone = 1\n",
	  "8: [snat-pool a] missing key 'addresses'" },
	{ "forward proto",
	  BASE "[forward f]\nproto = icmp\n",
	  "9: [forward f] proto: 'icmp' is not tcp or udp" },
	{ "forward without port",
	  BASE "[forward f]\nexternal = 198.18.5.1\n",
	  "9: [forward f] external: '198.18.5.1' has no port: expected ADDR:PORT or [ADDR6]:PORT" },
	{ "forward IPv6 without brackets",
	  BASE "[forward f]\nexternal = 2001:db8::1:80\n",
	  "9: [forward f] external: '2001:db8::1:80': an IPv6 address needs brackets: [ADDR6]:PORT" },
	{ "forward port out of range",
	  BASE "[forward f]\nexternal = 198.18.5.1:65536\n",
	  "9: [forward f] external: bad port '65536': must be 1-65535" },
	{ "forward IPv4 in brackets",
	  BASE "[forward f]\nexternal = [198.18.5.1]:80\n",
	  "9: [forward f] external: '[198.18.5.1]:80': '198.18.5.1' is not an IPv6 address" },
	{ "forward target twice",
	  BASE "[forward f]\ninternal = 198.18.1.1:80, 198.18.1.1:80\n",
	  "9: [forward f] internal: '198.18.1.1:80' is listed twice" },
	{ "forward targets of both families",
	  BASE "[forward f]\ninternal = 198.18.1.1:80, [2001:db8::1]:80\n",
	  "9: [forward f] internal: '[2001:db8::1]:80': IPv4 and IPv6 mixed" },
	{ "forward external and internal families",
	  BASE "[forward f]\nzone = 1\nproto = tcp\nexternal = 198.18.5.1:80\n"
	  "internal = [2001:db8::1]:80\n",
	  "12: [forward f] internal: not of the family of external 198.18.5.1:80" },
	{ "forward twice",
	  BASE "[forward f]\nzone = 1\nproto = tcp\nexternal = 198.18.5.1:80\n"
	  "internal = 198.18.1.1:80\n"
	  "[forward g]\nzone = 1\nproto = tcp\nexternal = 198.18.5.1:80\n"
	  "internal = 198.18.1.2:80\n",
	  "16: [forward g] external: 198.18.5.1:80 is forward 'f''s already" },
	{ "forward into a pool",
	  BASE "[forward f]\nzone = 1\nproto = udp\nexternal = [2001:db8::1]:5000\n"
	  "internal = [2001:db8:1::1]:53\n"
	  "[snat-pool a]\nzone = 1\naddresses = 2001:db8::/120\n",
	  "11: [forward f] external: [2001:db8::1]:5000 is in pool 'a'" },
	{ "SOM address name",
	  BASE "[security]\nsom_address = som.example:7400\n",
	  "9: [security] som_address: 'som.example:7400': 'som.example' is not an IPv4 address" },
	{ "SOM address IPv6 without brackets",
	  BASE "[security]\nsom_address = 2001:db8::10:7400\n",
	  "9: [security] som_address: '2001:db8::10:7400': an IPv6 address needs brackets: [ADDR6]:PORT" },
	{ "SOM address port not a number",
	  BASE "[security]\nsom_address = 198.18.0.1:http\n",
	  "9: [security] som_address: bad port 'http': must be 1-65535" },
	{ "SOM address without port",
	  BASE "[security]\nsom_address = [2001:db8::10]\n",
	  "9: [security] som_address: '[2001:db8::10]' has no port: expected [ADDR6]:PORT" },
	{ "SOM key not base64",
	  BASE "[security]\nsom_public_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh!=\n",
	  "9: [security] som_public_key: not valid base64" },
	{ "SOM key 31 bytes",
	  BASE "[security]\nsom_public_key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
	  "9: [security] som_public_key: decodes to 31 bytes; an Ed25519 public key has 32" },
	{ "SOM key 33 bytes",
	  BASE "[security]\nsom_public_key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	  "9: [security] som_public_key: decodes to 33 bytes; an Ed25519 public key has 32" },
	{ "identity key relative",
	  BASE "[security]\nidentity_key = soa.key\n",
	  "9: [security] identity_key: 'soa.key' is not an absolute path" },
	{ "security incomplete",
	  BASE "[security]\nidentity_key = /k\n",
	  "8: [security] missing key 'som_address'" },
};

static void test_error(void **state)
{
	const struct err_case *c = *state;
	struct ferry_soa_config *cfg = (void *)1;
	char err[FERRY_SOA_ERR_MAX] = "", want[FERRY_SOA_ERR_MAX];
	int ret, want_ret = -EINVAL;

	ret = ferry_soa_config_parse(c->text, "soa.conf", &cfg, err, sizeof(err));
	snprintf(want, sizeof(want), "soa.conf:%s", c->msg);
	if (ret != want_ret || strcmp(err, want))
		fail_msg("%s:\n  want %d '%s'\n  got  %d '%s'", c->name,
			 want_ret, want, ret, err);
	assert_null(cfg);
}

/* A line longer than inih's buffer is an error, not two lines. */
static void test_long_line(void **state)
{
	struct ferry_soa_config *cfg;
	char err[FERRY_SOA_ERR_MAX] = "";
	size_t n = 5000;
	char *text = malloc(n + 64);

	assert_non_null(text);
	strcpy(text, "[agent]\ninstance = ");
	memset(text + strlen(text), 'a', n);
	strcpy(text + 19 + n, "\n");
	assert_int_equal(ferry_soa_config_parse(text, "soa.conf", &cfg, err,
						sizeof(err)), -EINVAL);
	assert_string_equal(err, "soa.conf:2: line longer than 4094 characters");
	free(text);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases) + 7] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_state_dir),
		cmocka_unit_test(test_pool_sources),
		cmocka_unit_test(test_example),
		cmocka_unit_test_setup_teardown(test_rules_file_error,
						rules_file_setup,
						rules_file_teardown),
		cmocka_unit_test(test_file_missing),
		cmocka_unit_test(test_rules_file_missing),
		cmocka_unit_test(test_long_line),
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tests[7 + i].name = cases[i].name;
		tests[7 + i].test_func = test_error;
		tests[7 + i].initial_state = (void *)&cases[i];
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
