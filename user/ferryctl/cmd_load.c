// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferryctl load / unload. A load first turns its arguments into a plan,
 * checking every one of them (interfaces exist, numbers in range, the rule
 * file parses); only then does it touch the kernel. If applying the plan
 * fails on an instance this load created, the instance is removed again:
 * a refused load leaves nothing behind.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "ferry_fw.skel.h"
#include "ctconfig.h"
#include "datapath.h"
#include "ferryctl.h"
#include "natconfig.h"
#include "numparse.h"
#include "rules.h"
#include "ruleset.h"

#define MAX_ARGS	64

struct plan_zone {
	__u32 ifindex;
	__u16 vlan;
	__u32 zone;
};

struct plan_tc {
	char ifname[IF_NAMESIZE];
	enum ferry_tc_dir dir;
};

struct load_plan {
	__u32 ct_max;			/* 0: keep / default */
	enum ferry_xdp_mode xdp_mode;
	int fast_forward;		/* 1 on, 0 off, -1 as it is */
	const char *xdp[MAX_ARGS];
	int n_xdp;
	struct plan_tc tc[MAX_ARGS];
	int n_tc;
	struct plan_zone zones[MAX_ARGS];
	int n_zones;
	__u64 timeout_ns[FERRY_CT_STATE_MAX];	/* 0: as it is */
	const char *rules_path;
	struct ferry_rule *rules;
	__u32 n_rules;
	struct ferry_nat_pool_entry snat[MAX_ARGS];
	int n_snat;
	struct ferry_nat_fwd_entry dnat[MAX_ARGS];
	int n_dnat;
};

static int refuse(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "ferryctl load: %s '%s': %s\n", opt, arg, why);
	return -EINVAL;
}

static int room(int n, const char *opt)
{
	if (n < MAX_ARGS)
		return 0;
	fprintf(stderr, "ferryctl load: too many %s (at most %d)\n", opt, MAX_ARGS);
	return -E2BIG;
}

static int plan_iface(struct load_plan *p, const char *name)
{
	int err = room(p->n_xdp, "--iface");

	if (err)
		return err;
	if (!if_nametoindex(name))
		return refuse("--iface", name, "no such interface here");
	p->xdp[p->n_xdp++] = name;
	return 0;
}

/* IF[:ingress|:egress] */
static int plan_tc(struct load_plan *p, const char *spec)
{
	struct plan_tc *t = &p->tc[p->n_tc];
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	int err = room(p->n_tc, "--tc");

	if (err)
		return err;
	if (!len || len >= IF_NAMESIZE)
		return refuse("--tc", spec, "expected IF[:ingress|:egress]");
	memcpy(t->ifname, spec, len);
	t->ifname[len] = '\0';
	t->dir = FERRY_TC_INGRESS;
	if (colon && !strcmp(colon + 1, "egress"))
		t->dir = FERRY_TC_EGRESS;
	else if (colon && strcmp(colon + 1, "ingress"))
		return refuse("--tc", spec, "expected IF[:ingress|:egress]");
	if (!if_nametoindex(t->ifname))
		return refuse("--tc", spec, "no such interface here");
	p->n_tc++;
	return 0;
}

/* IF[.VLAN]=ZONE; an interface whose own name has a dot wins over a VLAN. */
static int plan_zone(struct load_plan *p, const char *spec)
{
	struct plan_zone *z = &p->zones[p->n_zones];
	char ifname[IF_NAMESIZE + 5], *dot;
	const char *eq = strchr(spec, '=');
	__u32 vlan = 0;
	int err = room(p->n_zones, "--zone");

	if (err)
		return err;
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(ifname))
		return refuse("--zone", spec, "expected IF[.VLAN]=ZONE");
	memcpy(ifname, spec, eq - spec);
	ifname[eq - spec] = '\0';
	if (ferry_parse_u32(eq + 1, FERRY_ZONE_ANY - 1, &z->zone))
		return refuse("--zone", spec, "zone must be a number below 4294967295");
	dot = strrchr(ifname, '.');
	if (dot && !if_nametoindex(ifname)) {
		*dot = '\0';
		if (ferry_parse_u32(dot + 1, 4094, &vlan) || vlan == 0)
			return refuse("--zone", spec, "VLAN must be 1..4094");
	}
	z->ifindex = if_nametoindex(ifname);
	z->vlan = vlan;
	if (!z->ifindex)
		return refuse("--zone", spec, "no such interface here");
	p->n_zones++;
	return 0;
}

/* STATE=SECONDS */
static int plan_timeout(struct load_plan *p, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[32];
	__u32 secs;
	int state;

	if (!eq || (size_t)(eq - spec) >= sizeof(name))
		return refuse("--timeout", spec, "expected STATE=SECONDS");
	memcpy(name, spec, eq - spec);
	name[eq - spec] = '\0';
	state = ferry_state_parse(name);
	if (state <= 0) {
		fprintf(stderr, "ferryctl load: --timeout '%s': unknown state '%s'\n",
			spec, name);
		return -EINVAL;
	}
	if (ferry_parse_u32(eq + 1, 30 * 86400, &secs) || secs == 0)
		return refuse("--timeout", spec, "seconds must be 1..2592000");
	p->timeout_ns[state] = secs * 1000000000ull;
	return 0;
}

static int plan_xdp_mode(struct load_plan *p, const char *mode)
{
	if (ferry_xdp_mode_parse(mode, &p->xdp_mode))
		return refuse("--xdp-mode", mode, "expected auto, native or generic");
	return 0;
}

static int plan_nat(struct load_plan *p, int dnat, const char *arg)
{
	char errbuf[FERRY_NAT_ERR_MAX];
	int err = room(dnat ? p->n_dnat : p->n_snat, dnat ? "--dnat" : "--snat");

	if (err)
		return err;
	if (dnat)
		err = ferry_nat_parse_dnat(arg, &p->dnat[p->n_dnat], errbuf,
					   sizeof(errbuf));
	else
		err = ferry_nat_parse_snat(arg, &p->snat[p->n_snat], errbuf,
					   sizeof(errbuf));
	if (err)
		return refuse(dnat ? "--dnat" : "--snat", arg, errbuf);
	if (dnat)
		p->n_dnat++;
	else
		p->n_snat++;
	return 0;
}

static int plan_option(struct load_plan *p, int opt, const char *arg)
{
	switch (opt) {
	case 's':
		return plan_nat(p, 0, arg);
	case 'd':
		return plan_nat(p, 1, arg);
	case 'c':
		if (ferry_parse_u32(arg, 1u << 26, &p->ct_max) || !p->ct_max)
			return refuse("--ct-max", arg, "must be 1..67108864");
		return 0;
	case 'i':
		return plan_iface(p, arg);
	case 't':
		return plan_tc(p, arg);
	case 'z':
		return plan_zone(p, arg);
	case 'T':
		return plan_timeout(p, arg);
	case 'm':
		return plan_xdp_mode(p, arg);
	case 'r':
		p->rules_path = arg;
		return 0;
	case 'f':
		p->fast_forward = 1;
		return 0;
	case 'F':
		p->fast_forward = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

static int make_plan(int argc, char **argv, struct load_plan *p)
{
	static const struct option longopts[] = {
		{ "ct-max", required_argument, NULL, 'c' },
		{ "iface", required_argument, NULL, 'i' },
		{ "tc", required_argument, NULL, 't' },
		{ "zone", required_argument, NULL, 'z' },
		{ "rules", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "fast-forward", no_argument, NULL, 'f' },
		{ "no-fast-forward", no_argument, NULL, 'F' },
		{ "snat", required_argument, NULL, 's' },
		{ "dnat", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	char errbuf[FERRY_RULES_ERR_MAX];
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		err = plan_option(p, opt, optarg);
		if (err)
			return err;
	}
	if (optind < argc) {
		fprintf(stderr, "ferryctl load: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (!p->rules_path)
		return 0;
	err = ferry_rules_read_alloc(p->rules_path, &p->rules, &p->n_rules,
				     errbuf, sizeof(errbuf));
	if (err)
		fprintf(stderr, "ferryctl load: %s\n", errbuf);
	return err;
}

/* Timeouts and flags: read, change what the plan says, write back. */
static int apply_config(struct ferry_dp *dp, const struct load_plan *p)
{
	struct bpf_map *map = dp->skel->maps.ferry_config;
	struct ferry_config cfg;
	__u32 zero = 0;
	int i;

	if (bpf_map__lookup_elem(map, &zero, sizeof(zero), &cfg, sizeof(cfg), 0))
		return -errno;
	for (i = 0; i < FERRY_CT_STATE_MAX; i++)
		if (p->timeout_ns[i])
			cfg.timeout_ns[i] = p->timeout_ns[i];
	if (p->fast_forward == 1)
		cfg.flags |= FERRY_CFG_F_FAST_FORWARD;
	else if (p->fast_forward == 0)
		cfg.flags &= ~FERRY_CFG_F_FAST_FORWARD;
	if (bpf_map__update_elem(map, &zero, sizeof(zero), &cfg, sizeof(cfg), 0))
		return -errno;
	return 0;
}

static int apply_zones(struct ferry_dp *dp, const struct load_plan *p)
{
	int i, err;

	for (i = 0; i < p->n_zones; i++) {
		err = ferry_zone_set(bpf_map__fd(dp->skel->maps.ferry_ifzones),
				     bpf_map__fd(dp->skel->maps.ferry_config),
				     p->zones[i].ifindex, p->zones[i].vlan,
				     p->zones[i].zone);
		if (err) {
			fprintf(stderr, "ferryctl load: cannot set a zone: %s\n",
				strerror(-err));
			return err;
		}
	}
	return 0;
}

static int apply_nat(struct ferry_dp *dp, const struct load_plan *p)
{
	int pools = bpf_map__fd(dp->skel->maps.ferry_nat_pools);
	int fwds = bpf_map__fd(dp->skel->maps.ferry_nat_fwds);
	int i, err;

	for (i = 0; i < p->n_snat; i++) {
		err = ferry_nat_pool_write(pools, &p->snat[i]);
		if (err)
			return err;
	}
	for (i = 0; i < p->n_dnat; i++) {
		err = ferry_nat_fwd_write(fwds, &p->dnat[i]);
		if (err)
			return err;
	}
	if (p->n_snat || p->n_dnat)
		printf("nat: %d SNAT pool(s), %d DNAT forward(s) set\n", p->n_snat,
		       p->n_dnat);
	return 0;
}

static int apply_rules(struct ferry_dp *dp, const struct load_plan *p)
{
	struct btf *btf = bpf_object__btf(dp->skel->obj);
	int type_id, err;

	if (!p->rules_path)
		return 0;
	type_id = btf__find_by_name_kind(btf, "ferry_rule", BTF_KIND_STRUCT);
	err = ferry_ruleset_install(bpf_map__fd(dp->skel->maps.ferry_rulesets),
				    p->rules, p->n_rules, btf__fd(btf),
				    type_id > 0 ? type_id : 0);
	if (!err)
		printf("rules: %u installed from %s\n", p->n_rules, p->rules_path);
	return err;
}

static int apply_attachments(struct ferry_dp *dp, const struct load_plan *p)
{
	enum ferry_xdp_mode mode;
	int i, err;

	for (i = 0; i < p->n_xdp; i++) {
		err = ferry_dp_attach_xdp(dp, p->xdp[i], p->xdp_mode, &mode);
		if (err)
			return err;
		if (mode == FERRY_XDP_AUTO)
			printf("%s: XDP was attached, now runs this program\n",
			       p->xdp[i]);
		else
			printf("%s: XDP attached (%s)\n", p->xdp[i],
			       mode == FERRY_XDP_NATIVE ? "native" : "generic");
	}
	for (i = 0; i < p->n_tc; i++) {
		err = ferry_dp_attach_tc(dp, p->tc[i].ifname, p->tc[i].dir);
		if (err)
			return err;
		printf("%s: TC %s attached\n", p->tc[i].ifname,
		       p->tc[i].dir == FERRY_TC_EGRESS ? "egress" : "ingress");
	}
	return 0;
}

int cmd_load(int argc, char **argv)
{
	struct load_plan p = { .fast_forward = -1 };
	struct ferry_dp dp;
	int err;

	err = make_plan(argc, argv, &p);
	if (err)
		goto out_free;
	err = ferry_dp_load(&dp, ferryctl_instance, p.ct_max);
	if (err)
		goto out_free;
	printf("instance %s: %s, maps at %s\n", ferryctl_instance,
	       dp.created ? "created" : "reusing pinned state", dp.pin_dir);
	err = apply_zones(&dp, &p) ?: apply_config(&dp, &p) ?:
	      apply_rules(&dp, &p) ?: apply_nat(&dp, &p) ?:
	      apply_attachments(&dp, &p);
	ferry_dp_close(&dp);
	if (err && dp.created) {
		fprintf(stderr, "ferryctl load: removing the instance it created\n");
		ferry_dp_unload(ferryctl_instance);
	}
out_free:
	free(p.rules);
	return err == -EINVAL ? 2 : err ? 1 : 0;
}

int cmd_unload(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "ferryctl unload: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	if (ferry_dp_unload(ferryctl_instance))
		return 1;
	printf("instance %s: unloaded\n", ferryctl_instance);
	return 0;
}
