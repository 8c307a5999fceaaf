// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ferryctl load / unload / status */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "ferry_fw.skel.h"
#include "ctconfig.h"
#include "datapath.h"
#include "ferryctl.h"
#include "log.h"
#include "numparse.h"
#include "rules.h"
#include "ruleset.h"

#define MAX_IFACES 64

struct load_opts {
	__u32 ct_max;
	enum ferry_xdp_mode xdp_mode;
	const char *xdp_ifs[MAX_IFACES];
	int n_xdp;
	const char *tc_ifs[MAX_IFACES];
	int n_tc;
	const char *zones[MAX_IFACES];
	int n_zones;
	const char *timeouts[FERRY_CT_STATE_MAX];
	int n_timeouts;
	const char *rules;
	int fast_forward;
};

static int add_arg(const char **list, int *n, const char *arg, const char *what)
{
	if (*n >= MAX_IFACES) {
		fprintf(stderr, "ferryctl load: too many %s (at most %d)\n", what,
			MAX_IFACES);
		return -E2BIG;
	}
	list[(*n)++] = arg;
	return 0;
}

static int parse_load_opts(int argc, char **argv, struct load_opts *o)
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
		{ NULL, 0, NULL, 0 },
	};
	int opt, err = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (ferry_parse_u32(optarg, 1u << 26, &o->ct_max) ||
			    o->ct_max == 0) {
				fprintf(stderr, "ferryctl load: --ct-max '%s' must be "
					"1..67108864\n", optarg);
				return -EINVAL;
			}
			break;
		case 'i':
			err = add_arg(o->xdp_ifs, &o->n_xdp, optarg, "interfaces");
			break;
		case 't':
			err = add_arg(o->tc_ifs, &o->n_tc, optarg, "interfaces");
			break;
		case 'z':
			err = add_arg(o->zones, &o->n_zones, optarg, "zones");
			break;
		case 'T':
			if (o->n_timeouts >= FERRY_CT_STATE_MAX) {
				fprintf(stderr, "ferryctl load: too many --timeout\n");
				return -E2BIG;
			}
			o->timeouts[o->n_timeouts++] = optarg;
			break;
		case 'r':
			o->rules = optarg;
			break;
		case 'f':
			o->fast_forward = 1;
			break;
		case 'm':
			if (!strcmp(optarg, "auto"))
				o->xdp_mode = FERRY_XDP_AUTO;
			else if (!strcmp(optarg, "native"))
				o->xdp_mode = FERRY_XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				o->xdp_mode = FERRY_XDP_GENERIC;
			else {
				fprintf(stderr, "ferryctl load: --xdp-mode '%s': "
					"expected auto, native or generic\n", optarg);
				return -EINVAL;
			}
			break;
		default:
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc) {
		fprintf(stderr, "ferryctl load: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* IF[.VLAN]=ZONE */
static int apply_zone(struct ferry_dp *dp, const char *spec)
{
	char ifname[IF_NAMESIZE + 8], *eq, *dot;
	struct ferry_if_key key = {};
	struct ferry_if_zone val = {};
	__u32 vlan = 0;
	int err;

	if (strlen(spec) >= sizeof(ifname) + 16 || !(eq = strchr(spec, '=')) ||
	    (size_t)(eq - spec) >= sizeof(ifname)) {
		fprintf(stderr, "ferryctl load: --zone '%s': expected IF[.VLAN]=ZONE\n",
			spec);
		return -EINVAL;
	}
	memcpy(ifname, spec, eq - spec);
	ifname[eq - spec] = '\0';
	if (ferry_parse_u32(eq + 1, FERRY_ZONE_ANY - 1, &val.zone)) {
		fprintf(stderr, "ferryctl load: --zone '%s': zone must be a number "
			"below %u\n", spec, FERRY_ZONE_ANY);
		return -EINVAL;
	}
	dot = strrchr(ifname, '.');
	if (dot && !if_nametoindex(ifname)) {
		*dot = '\0';
		if (ferry_parse_u32(dot + 1, 4095, &vlan) || vlan == 0) {
			fprintf(stderr, "ferryctl load: --zone '%s': VLAN must be "
				"1..4095\n", spec);
			return -EINVAL;
		}
	}
	key.ifindex = if_nametoindex(ifname);
	key.vlan = vlan;
	if (!key.ifindex) {
		fprintf(stderr, "ferryctl load: --zone '%s': no interface '%s'\n",
			spec, ifname);
		return -ENODEV;
	}
	err = ferry_zone_set(bpf_map__fd(dp->skel->maps.ferry_ifzones),
			     bpf_map__fd(dp->skel->maps.ferry_config), key.ifindex,
			     key.vlan, val.zone);
	if (err)
		fprintf(stderr, "ferryctl load: --zone '%s': %s\n", spec,
			strerror(-err));
	return err;
}

/* STATE=SECONDS into cfg */
static int apply_timeout(struct ferry_config *cfg, const char *spec)
{
	char name[32];
	const char *eq = strchr(spec, '=');
	__u32 secs;
	int state;

	if (!eq || (size_t)(eq - spec) >= sizeof(name)) {
		fprintf(stderr, "ferryctl load: --timeout '%s': expected STATE=SECONDS\n",
			spec);
		return -EINVAL;
	}
	memcpy(name, spec, eq - spec);
	name[eq - spec] = '\0';
	state = ferry_state_parse(name);
	if (state <= 0) {
		fprintf(stderr, "ferryctl load: --timeout '%s': unknown state '%s'\n",
			spec, name);
		return -EINVAL;
	}
	if (ferry_parse_u32(eq + 1, 30 * 86400, &secs) || secs == 0) {
		fprintf(stderr, "ferryctl load: --timeout '%s': seconds must be "
			"1..2592000\n", spec);
		return -EINVAL;
	}
	cfg->timeout_ns[state] = secs * 1000000000ull;
	return 0;
}

/* Timeouts and flags: read, change what was asked, write back. */
static int apply_config(struct ferry_dp *dp, const struct load_opts *o)
{
	struct bpf_map *map = dp->skel->maps.ferry_config;
	struct ferry_config cfg;
	__u32 zero = 0;
	int i, err;

	if (bpf_map__lookup_elem(map, &zero, sizeof(zero), &cfg, sizeof(cfg), 0))
		return -errno;
	if (o->fast_forward)
		cfg.flags |= FERRY_CFG_F_FAST_FORWARD;
	else
		cfg.flags &= ~FERRY_CFG_F_FAST_FORWARD;
	for (i = 0; i < o->n_timeouts; i++) {
		err = apply_timeout(&cfg, o->timeouts[i]);
		if (err)
			return err;
	}
	if (bpf_map__update_elem(map, &zero, sizeof(zero), &cfg, sizeof(cfg), 0))
		return -errno;
	return 0;
}

static const char *xdp_mode_name(enum ferry_xdp_mode m)
{
	return m == FERRY_XDP_NATIVE ? "native" :
	       m == FERRY_XDP_GENERIC ? "generic" : "auto";
}

static int attach_all(struct ferry_dp *dp, const struct load_opts *o)
{
	enum ferry_xdp_mode mode;
	int i, err;

	for (i = 0; i < o->n_xdp; i++) {
		err = ferry_dp_attach_xdp(dp, o->xdp_ifs[i], o->xdp_mode, &mode);
		if (err)
			return err;
		if (mode == FERRY_XDP_AUTO)
			printf("%s: XDP was attached, now runs this program\n",
			       o->xdp_ifs[i]);
		else
			printf("%s: XDP attached (%s)\n", o->xdp_ifs[i],
			       xdp_mode_name(mode));
	}
	for (i = 0; i < o->n_tc; i++) {
		char ifname[IF_NAMESIZE + 16];
		enum ferry_tc_dir dir = FERRY_TC_INGRESS;
		char *colon;

		snprintf(ifname, sizeof(ifname), "%s", o->tc_ifs[i]);
		colon = strchr(ifname, ':');
		if (colon) {
			*colon = '\0';
			if (!strcmp(colon + 1, "egress")) {
				dir = FERRY_TC_EGRESS;
			} else if (strcmp(colon + 1, "ingress")) {
				fprintf(stderr, "ferryctl load: --tc '%s': expected "
					"IF[:ingress|:egress]\n", o->tc_ifs[i]);
				return -EINVAL;
			}
		}
		err = ferry_dp_attach_tc(dp, ifname, dir);
		if (err)
			return err;
		printf("%s: TC %s attached\n", ifname,
		       dir == FERRY_TC_EGRESS ? "egress" : "ingress");
	}
	return 0;
}

static int install_rules(struct ferry_dp *dp, const char *path)
{
	struct btf *btf = bpf_object__btf(dp->skel->obj);
	struct ferry_rule *rules = NULL;
	char errbuf[FERRY_RULES_ERR_MAX];
	__u32 n = 0;
	int type_id, err;

	err = ferry_rules_read_alloc(path, &rules, &n, errbuf, sizeof(errbuf));
	if (err) {
		fprintf(stderr, "ferryctl: %s\n", errbuf);
		return err;
	}
	type_id = btf__find_by_name_kind(btf, "ferry_rule", BTF_KIND_STRUCT);
	err = ferry_ruleset_install(bpf_map__fd(dp->skel->maps.ferry_rulesets),
				    rules, n, btf__fd(btf), type_id > 0 ? type_id : 0);
	if (!err)
		printf("rules: %u installed from %s\n", n, path);
	free(rules);
	return err;
}

int cmd_load(int argc, char **argv)
{
	struct load_opts o = {};
	struct ferry_dp dp;
	int i, err;

	if (parse_load_opts(argc, argv, &o))
		return 2;
	err = ferry_dp_load(&dp, ferryctl_instance, o.ct_max);
	if (err)
		return 1;
	printf("instance %s: %s, maps at %s\n", ferryctl_instance,
	       dp.created ? "created" : "reusing pinned state", dp.pin_dir);
	for (i = 0; i < o.n_zones && !err; i++)
		err = apply_zone(&dp, o.zones[i]);
	if (!err)
		err = apply_config(&dp, &o);
	if (!err && o.rules)
		err = install_rules(&dp, o.rules);
	if (!err)
		err = attach_all(&dp, &o);
	ferry_dp_close(&dp);
	return err ? 1 : 0;
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
