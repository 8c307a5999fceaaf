// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferryctl export / import: flows out of and into the instance's table as
 * state bundles back to back (docs/state-format.md), for backups and
 * manual moves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "ferry/layout.h"
#include "bundleio.h"
#include "cthandover.h"
#include "ctiter.h"
#include "datapath.h"
#include "ferryctl.h"
#include "numparse.h"
#include "rules.h"
#include "ruleset.h"
#include "statecodec.h"
#include "vmindex.h"

static int write_stdout(void *ctx, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, stdout) == len ? 0 : -EIO;
}

static ssize_t read_stdin(void *ctx, void *buf, size_t len)
{
	ssize_t r = read(STDIN_FILENO, buf, len);

	return r < 0 ? -errno : r;
}

/* ZONE:ADDR into sel's VM list */
static int add_vm(struct ferry_export_sel *sel, const char *spec)
{
	struct ferry_vm_key vk;
	__u32 i = sel->n_vms;

	if (i >= 64) {
		fprintf(stderr, "ferryctl export: at most 64 --vm\n");
		return -E2BIG;
	}
	if (ferry_vm_key_parse(spec, &vk)) {
		fprintf(stderr, "ferryctl export: --vm '%s': expected ZONE:ADDRESS "
			"(IPv4 or IPv6)\n", spec);
		return -EINVAL;
	}
	sel->vm_zone[i] = vk.zone;
	sel->vm_family[i] = vk.family;
	memcpy(sel->vm_addr[i], vk.addr, 16);
	sel->n_vms++;
	return 0;
}

static int export_opts(int argc, char **argv, struct ferry_export_sel *sel,
		       int *zlib)
{
	static const struct option longopts[] = {
		{ "zone", required_argument, NULL, 'z' },
		{ "vm", required_argument, NULL, 'v' },
		{ "zlib", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	__u32 level;
	int opt;

	sel->all_zones = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'z':
			if (ferry_parse_u32(optarg, FERRY_ZONE_ANY - 1, &sel->zone)) {
				fprintf(stderr, "ferryctl export: --zone '%s': a number "
					"below 4294967295\n", optarg);
				return -EINVAL;
			}
			sel->all_zones = 0;
			break;
		case 'v':
			if (add_vm(sel, optarg))
				return -EINVAL;
			break;
		case 'c':
			if (ferry_parse_u32(optarg, 9, &level) || !level) {
				fprintf(stderr, "ferryctl export: --zlib '%s': level 1..9\n",
					optarg);
				return -EINVAL;
			}
			*zlib = level;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ferryctl export: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "ferryctl export: the bundle is binary: redirect it\n");
		return -EINVAL;
	}
	return 0;
}

/*
 * Bundles of a few thousand flows each, written as the table is read: the
 * export's memory does not grow with the table, and an import reading
 * the pipe installs each bundle while the next is read.
 */
int cmd_export(int argc, char **argv)
{
	struct ferry_export_sel sel = { 0 };
	struct ferry_stateops ops = { 0 };
	struct ferry_sc_enc_opts o = { .write = write_stdout };
	char host[256], err[FERRY_SC_ERR_MAX] = "";
	int ret, zlib = 0;
	__u64 n = 0;

	if (export_opts(argc, argv, &sel, &zlib))
		return 2;
	ret = ferry_stateops_open_instance(&ops, ferryctl_instance, 0);
	if (ret) {
		fprintf(stderr, "ferryctl export: instance '%s' is not loaded\n",
			ferryctl_instance);
		goto out;
	}
	if (gethostname(host, sizeof(host)) || !host[0])
		snprintf(host, sizeof(host), "ferry");
	o.host = host;
	o.zlib_level = zlib;
	ferry_bundle_pipe_grow(STDOUT_FILENO);
	ret = ferry_export_bundles(&ops, &sel, ferry_now_ns(), &o, 0, &n, err,
				   sizeof(err));
	if (!ret && fflush(stdout))
		ret = -EIO;
	if (ret)
		fprintf(stderr, "ferryctl export: %s\n", err[0] ? err : strerror(-ret));
	else
		fprintf(stderr, "ferryctl export: %llu flows\n", (unsigned long long)n);
out:
	ferry_stateops_close(&ops);
	return ret ? 1 : 0;
}

static void print_report(const struct ferry_import_report *rep, int dry_run)
{
	unsigned int r;

	printf("%s %llu flows:", dry_run ? "would import" : "imported",
	       (unsigned long long)rep->offered);
	for (r = 0; r < FERRY_IMPORT_REASON_MAX; r++)
		printf(" %s=%llu", ferry_import_reason_name(r),
		       (unsigned long long)rep->count[r]);
	putchar('\n');
}

int cmd_import(int argc, char **argv)
{
	struct ferry_import_nat nat = { .pools_fd = -1, .fwds_fd = -1 };
	struct ferry_sc_array a = { 0 };
	struct ferry_stateops ops = { 0 };
	struct ferry_import_opts o = { 0 };
	struct ferry_import_report rep;
	struct ferry_rule *rules = NULL;
	int rs_fd = -1, ret, dry_run = 0;
	char err[512] = "";
	__u32 nrules = 0;

	if (argc == 2 && !strcmp(argv[1], "--dry-run")) {
		dry_run = 1;
	} else if (argc > 1) {
		fprintf(stderr, "usage: ferryctl import [--dry-run] < BUNDLE\n");
		return 2;
	}
	rs_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_rulesets");
	ret = rs_fd < 0 ? rs_fd : ferry_stateops_open_instance(&ops, ferryctl_instance, 0);
	if (ret) {
		fprintf(stderr, "ferryctl import: instance '%s' is not loaded\n",
			ferryctl_instance);
		goto out;
	}
	/* The table's size bounds the bundles: more flows could never be
	 * installed. */
	a.cap = ops.ct_max;
	rules = calloc(FERRY_MAX_RULES, sizeof(*rules));
	ret = rules ? 0 : -ENOMEM;
	if (!ret)
		ret = ferry_ruleset_read(rs_fd, rules, FERRY_MAX_RULES, &nrules);
	if (!ret) {
		a.keys = calloc(a.cap, sizeof(*a.keys));
		a.flows = calloc(a.cap, sizeof(*a.flows));
		ret = a.keys && a.flows ? 0 : -ENOMEM;
	}
	if (ret) {
		fprintf(stderr, "ferryctl import: %s\n", strerror(-ret));
		goto out;
	}
	nat.pools_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_nat_pools");
	nat.fwds_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_nat_fwds");
	if (nat.pools_fd < 0 || nat.fwds_fd < 0) {
		fprintf(stderr, "ferryctl import: instance '%s' has no NAT maps\n",
			ferryctl_instance);
		ret = -ENOENT;
		goto out;
	}
	o.rules = rules;
	o.nrules = nrules;
	o.nat = &nat;
	o.flags = dry_run ? FERRY_IMPORT_DRY_RUN : 0;
	ferry_bundle_pipe_grow(STDIN_FILENO);
	/* Each bundle is validated whole before its flows are written
	 * (invisibly); the datapath sees all of them or none. */
	ret = ferry_import_bundles(&ops, read_stdin, NULL, NULL, &a, &o, &rep,
				   err, sizeof(err));
	if (ret)
		fprintf(stderr, "ferryctl import: %s\n", err);
	else
		print_report(&rep, dry_run);
out:
	free(rules);
	free(a.keys);
	free(a.flows);
	ferry_stateops_close(&ops);
	if (rs_fd >= 0)
		close(rs_fd);
	if (nat.pools_fd >= 0)
		close(nat.pools_fd);
	if (nat.fwds_fd >= 0)
		close(nat.fwds_fd);
	return ret ? 1 : 0;
}
