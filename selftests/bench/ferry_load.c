// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferry-bench-load: the benchmark's own minimal Ferry loader, used when
 * build/bin/ferryctl is not there.
 *
 *   ferry-bench-load --pin-root DIR --rules FILE [--hook xdp|tc]
 *                    --iface IF [--iface IF]...
 *
 * Loads ferry_fw with its maps pinned under DIR, writes the default config
 * (netfilter's timeouts), puts every interface in the default zone,
 * installs the rules and attaches ferry_xdp natively to each interface
 * (or, with --hook tc, ferry_tc to each one's TC ingress). The attachments
 * and the pins outlive the process; undo with `ip link set dev IF xdp off`
 * (or `tc qdisc del dev IF clsact`) and `rm -r DIR`.
 *
 * Rule file: one rule a line, '#' starts a comment:
 *   allow|deny [proto tcp|udp|icmp|icmpv6|NUM] [from CIDR] [to CIDR]
 *              [sport N[-M]] [dport N[-M]]
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ctconfig.h"
#include "log.h"
#include "ruleset.h"
#include "ferry_fw.skel.h"

#define MAX_IFACES	8
#define MAX_BENCH_RULES	64

struct rule_ctx {
	const char *file;
	unsigned int line;
};

static int rule_err(const struct rule_ctx *rc, const char *what, const char *tok)
{
	pr_warn("%s:%u: %s '%s'\n", rc->file, rc->line, what, tok ? tok : "");
	return -EINVAL;
}

static void prefix_mask(__u32 *mask, unsigned int plen, unsigned int words)
{
	unsigned int i;

	for (i = 0; i < words; i++) {
		unsigned int bits = plen > 32 ? 32 : plen;

		mask[i] = bits ? htonl(~0u << (32 - bits)) : 0;
		plen -= bits;
	}
}

/* "198.18.2.0/24", "2001:db8::/64" or a single address. */
static int parse_cidr(const struct rule_ctx *rc, const char *tok,
		      struct ferry_rule *r, __u32 *addr, __u32 *mask)
{
	char buf[INET6_ADDRSTRLEN + 4], *slash, *end;
	unsigned long plen;
	int family, max;

	if (!tok || strlen(tok) >= sizeof(buf))
		return rule_err(rc, "expected an address or prefix, got", tok);
	strcpy(buf, tok);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	max = family == AF_INET6 ? 128 : 32;
	if (inet_pton(family, buf, addr) != 1)
		return rule_err(rc, "not an address:", tok);
	plen = max;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > (unsigned long)max)
			return rule_err(rc, "bad prefix length in", tok);
	}
	if (r->family && r->family != family)
		return rule_err(rc, "addresses of both families in one rule at", tok);
	r->family = family;
	prefix_mask(mask, plen, family == AF_INET6 ? 4 : 1);
	for (max = 0; max < 4; max++)
		addr[max] &= mask[max];
	return 0;
}

static int parse_ports(const struct rule_ctx *rc, const char *tok,
		       __u16 *lo, __u16 *hi)
{
	unsigned long a, b;
	char *end;

	if (!tok)
		return rule_err(rc, "expected a port or range, got", tok);
	errno = 0;
	a = strtoul(tok, &end, 10);
	b = a;
	if (!errno && end != tok && *end == '-') {
		const char *s = end + 1;

		b = strtoul(s, &end, 10);
		if (end == s)
			return rule_err(rc, "bad port range", tok);
	}
	if (errno || end == tok || *end || a > 65535 || b > 65535 || a > b)
		return rule_err(rc, "bad port or range", tok);
	*lo = a;
	*hi = b;
	return 0;
}

static int parse_proto(const struct rule_ctx *rc, const char *tok, __u8 *proto)
{
	static const struct { const char *name; __u8 num; } names[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	};
	unsigned long v;
	unsigned int i;
	char *end;

	if (!tok)
		return rule_err(rc, "expected a protocol, got", tok);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(tok, names[i].name)) {
			*proto = names[i].num;
			return 0;
		}
	}
	errno = 0;
	v = strtoul(tok, &end, 10);
	if (errno || end == tok || *end || v == 0 || v > 255)
		return rule_err(rc, "unknown protocol", tok);
	*proto = v;
	return 0;
}

/* One rule line, already split into tokens by strtok. */
static int parse_rule(const struct rule_ctx *rc, char *first, struct ferry_rule *r)
{
	char *key, *val;
	int err = 0;

	memset(r, 0, sizeof(*r));
	r->zone = FERRY_ZONE_ANY;
	r->sport_hi = 65535;
	r->dport_hi = 65535;
	if (!strcmp(first, "allow"))
		r->action = FERRY_ACT_ALLOW;
	else if (strcmp(first, "deny"))
		return rule_err(rc, "a rule starts with allow or deny, not", first);
	while (!err && (key = strtok(NULL, " \t\n"))) {
		val = strtok(NULL, " \t\n");
		if (!strcmp(key, "proto"))
			err = parse_proto(rc, val, &r->proto);
		else if (!strcmp(key, "from"))
			err = parse_cidr(rc, val, r, r->src, r->src_mask);
		else if (!strcmp(key, "to"))
			err = parse_cidr(rc, val, r, r->dst, r->dst_mask);
		else if (!strcmp(key, "sport"))
			err = parse_ports(rc, val, &r->sport_lo, &r->sport_hi);
		else if (!strcmp(key, "dport"))
			err = parse_ports(rc, val, &r->dport_lo, &r->dport_hi);
		else
			err = rule_err(rc, "unknown keyword", key);
	}
	return err;
}

static int read_rules(const char *path, struct ferry_rule *rules, __u32 *n)
{
	struct rule_ctx rc = { .file = path };
	char line[512], *tok, *hash;
	FILE *f;
	int err = 0;

	*n = 0;
	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		pr_warn("%s: %s\n", path, strerror(-err));
		return err;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		rc.line++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		tok = strtok(line, " \t\n");
		if (!tok)
			continue;
		if (*n == MAX_BENCH_RULES) {
			pr_warn("%s:%u: more than %d rules\n", path, rc.line,
				MAX_BENCH_RULES);
			err = -E2BIG;
			break;
		}
		err = parse_rule(&rc, tok, &rules[*n]);
		rules[*n].id = *n + 1;
		(*n)++;
	}
	fclose(f);
	return err;
}

static int write_maps(struct ferry_fw *skel, const int *ifindex, int nif,
		      const struct ferry_rule *rules, __u32 n)
{
	struct ferry_meta meta = { .magic = FERRY_META_MAGIC,
				   .layout_version = FERRY_LAYOUT_VERSION };
	struct ferry_config cfg;
	struct timespec ts;
	struct btf *btf;
	__u32 zero = 0;
	int i, type_id, err;

	ferry_config_defaults(&cfg);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ferry_config), &zero, &cfg, 0))
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	meta.created_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	meta.ct_max = bpf_map__max_entries(skel->maps.ferry_ct);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ferry_meta), &zero, &meta, 0))
		return -errno;
	for (i = 0; i < nif; i++) {
		struct ferry_if_key k = { .ifindex = ifindex[i] };
		struct ferry_if_zone z = { .zone = FERRY_ZONE_DEFAULT };

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.ferry_ifzones),
					&k, &z, 0))
			return -errno;
	}
	btf = bpf_object__btf(skel->obj);
	type_id = btf ? btf__find_by_name_kind(btf, "ferry_rule", BTF_KIND_STRUCT) : 0;
	err = ferry_ruleset_install(bpf_map__fd(skel->maps.ferry_rulesets), rules, n,
				    bpf_object__btf_fd(skel->obj),
				    type_id > 0 ? type_id : 0);
	return err;
}

static int attach_tc(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, topts, .prog_fd = prog_fd);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &topts);
}

static int attach(struct ferry_fw *skel, int ifindex, int tc)
{
	if (tc)
		return attach_tc(ifindex, bpf_program__fd(skel->progs.ferry_tc));
	return bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.ferry_xdp),
			      XDP_FLAGS_DRV_MODE, NULL);
}

static void detach(int ifindex, int tc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (tc)
		bpf_tc_hook_destroy(&hook);
	else
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
}

static int load(const char *pin_root, const char **ifaces, int nif, int tc,
		const struct ferry_rule *rules, __u32 n)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = pin_root);
	int ifindex[MAX_IFACES], i, err;
	struct ferry_fw *skel;

	for (i = 0; i < nif; i++) {
		ifindex[i] = if_nametoindex(ifaces[i]);
		if (!ifindex[i]) {
			pr_warn("%s: no such interface\n", ifaces[i]);
			return -ENODEV;
		}
	}
	skel = ferry_fw__open_opts(&oopts);
	if (!skel) {
		err = -errno;
		pr_warn("cannot open ferry_fw: %s\n", strerror(-err));
		return err;
	}
	err = ferry_fw__load(skel);
	if (err) {
		pr_warn("cannot load ferry_fw: %s\n", strerror(-err));
		goto out_destroy;
	}
	err = write_maps(skel, ifindex, nif, rules, n);
	if (err) {
		pr_warn("cannot set up the maps: %s\n", strerror(-err));
		goto out_destroy;
	}
	for (i = 0; i < nif; i++) {
		err = attach(skel, ifindex[i], tc);
		if (err) {
			pr_warn("%s: cannot attach %s: %s\n", ifaces[i],
				tc ? "ferry_tc" : "ferry_xdp", strerror(-err));
			goto out_detach;
		}
	}
	ferry_fw__destroy(skel);
	return 0;

out_detach:
	while (i-- > 0)
		detach(ifindex[i], tc);
	bpf_object__unpin_maps(skel->obj, NULL);
out_destroy:
	ferry_fw__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pin-root", required_argument, NULL, 'p' },
		{ "rules", required_argument, NULL, 'r' },
		{ "iface", required_argument, NULL, 'i' },
		{ "hook", required_argument, NULL, 'h' },
		{}
	};
	static struct ferry_rule rules[MAX_BENCH_RULES];
	const char *pin_root = NULL, *rules_path = NULL;
	const char *ifaces[MAX_IFACES];
	int nif = 0, tc = 0, c;
	__u32 n;

	ferry_log_libbpf();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': pin_root = optarg; break;
		case 'r': rules_path = optarg; break;
		case 'h':
			if (strcmp(optarg, "xdp") && strcmp(optarg, "tc")) {
				pr_warn("--hook: '%s' is neither xdp nor tc\n", optarg);
				return 2;
			}
			tc = !strcmp(optarg, "tc");
			break;
		case 'i':
			if (nif == MAX_IFACES) {
				pr_warn("--iface: at most %d interfaces\n", MAX_IFACES);
				return 2;
			}
			ifaces[nif++] = optarg;
			break;
		default: return 2;
		}
	}
	if (!pin_root || !rules_path || !nif || optind != argc) {
		fprintf(stderr, "usage: ferry-bench-load --pin-root DIR --rules FILE "
			"[--hook xdp|tc] --iface IF [--iface IF]...\n");
		return 2;
	}
	if (read_rules(rules_path, rules, &n))
		return 1;
	return load(pin_root, ifaces, nif, tc, rules, n) ? 1 : 0;
}
