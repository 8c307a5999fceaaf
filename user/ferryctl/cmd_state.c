// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferryctl export / import: flows out of and into the instance's table as
 * a state bundle (docs/state-format.md), for backups and manual moves.
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

/* The spooled flows into the encoder, a few hundred at a time. */
static int encode_spool(struct ferry_sc_enc *e, int spool, __u64 now)
{
	struct ferry_flow_key keys[256];
	struct ferry_flow flows[256];
	ssize_t got, i;
	int ret = 0;

	while (!ret && (got = ferry_export_spool_read(spool, keys, flows, 256)) > 0)
		for (i = 0; !ret && i < got; i++)
			ret = ferry_sc_enc_add_entry(e, &keys[i], &flows[i], now);
	return ret ?: got < 0 ? (int)got : 0;
}

/*
 * The selection is spooled to an unlinked file first (the header needs the
 * count), so the export's memory does not grow with the table.
 */
int cmd_export(int argc, char **argv)
{
	struct ferry_vm_index ix = { .index_fd = -1, .overflow_fd = -1 };
	struct ferry_export_sel sel = { 0 };
	struct ferry_sc_enc_opts o = { .write = write_stdout };
	const char *tmp = getenv("TMPDIR") ?: "/tmp";
	char host[256], err[256] = "";
	struct ferry_sc_enc *e = NULL;
	int ct_fd, cfg_fd, ret, zlib = 0, spool = -1;
	__u64 n = 0, now;

	if (export_opts(argc, argv, &sel, &zlib))
		return 2;
	ct_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_ct");
	cfg_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_config");
	if (ct_fd < 0 || cfg_fd < 0) {
		fprintf(stderr, "ferryctl export: instance '%s' is not loaded\n",
			ferryctl_instance);
		ret = -ENOENT;
		goto out;
	}
	if (!ferry_vm_index_open(&ix, ferryctl_instance))
		sel.index = &ix;
	now = ferry_now_ns();
	ret = ferry_export_spool(ct_fd, cfg_fd, &sel, now, tmp, &spool, &n);
	if (ret) {
		fprintf(stderr, "ferryctl export: spooling to %s: %s\n", tmp,
			strerror(-ret));
		goto out;
	}
	if (gethostname(host, sizeof(host)) || !host[0])
		snprintf(host, sizeof(host), "ferry");
	o.host = host;
	o.flow_count = n;
	o.zlib_level = zlib;
	e = ferry_sc_enc_new(&o, err, sizeof(err));
	ret = e ? encode_spool(e, spool, now) : -errno;
	if (!ret)
		ret = ferry_sc_enc_finish(e);
	if (!ret && fflush(stdout))
		ret = -EIO;
	if (ret)
		fprintf(stderr, "ferryctl export: %s\n",
			e ? ferry_sc_enc_error(e) : err);
	else
		fprintf(stderr, "ferryctl export: %llu flows\n", (unsigned long long)n);
out:
	ferry_vm_index_close(&ix);
	ferry_sc_enc_free(e);
	if (spool >= 0)
		close(spool);
	if (ct_fd >= 0)
		close(ct_fd);
	if (cfg_fd >= 0)
		close(cfg_fd);
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

/* Imported flows join the sets of their VMs in the index. */
static int note_imported(int ct_fd, const struct ferry_sc_array *a)
{
	struct ferry_vm_index ix;
	int err;

	err = ferry_vm_index_open(&ix, ferryctl_instance) ?:
	      ferry_vm_index_note_imported(&ix, ct_fd, a->keys, a->n);
	ferry_vm_index_close(&ix);
	if (err)
		fprintf(stderr, "ferryctl import: the VM index: %s\n", strerror(-err));
	return err;
}

/* The table's size bounds a bundle: more flows could never be installed. */
static int import_room(int ct_fd, __u64 *cap)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(ct_fd, &info, &len))
		return -errno;
	*cap = info.max_entries;
	return 0;
}

int cmd_import(int argc, char **argv)
{
	struct ferry_import_nat nat = { .rev_fd = -1, .pools_fd = -1, .fwds_fd = -1 };
	struct ferry_sc_array a = { 0 };
	struct ferry_import_report rep;
	struct ferry_rule *rules = NULL;
	int ct_fd = -1, cfg_fd = -1, rs_fd = -1, ret, dry_run = 0;
	char err[512] = "";
	__u32 nrules = 0;

	if (argc == 2 && !strcmp(argv[1], "--dry-run")) {
		dry_run = 1;
	} else if (argc > 1) {
		fprintf(stderr, "usage: ferryctl import [--dry-run] < BUNDLE\n");
		return 2;
	}
	ct_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_ct");
	cfg_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_config");
	rs_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_rulesets");
	if (ct_fd < 0 || cfg_fd < 0 || rs_fd < 0) {
		fprintf(stderr, "ferryctl import: instance '%s' is not loaded\n",
			ferryctl_instance);
		ret = -ENOENT;
		goto out;
	}
	rules = calloc(FERRY_MAX_RULES, sizeof(*rules));
	ret = rules ? import_room(ct_fd, &a.cap) : -ENOMEM;
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
	/* The whole bundle is validated before anything is written. */
	ret = ferry_sc_decode_into(read_stdin, NULL, NULL, ferry_now_ns(), &a,
				   err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ferryctl import: bundle refused, nothing imported: %s\n",
			err);
		goto out;
	}
	nat.rev_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_nat_rev");
	nat.pools_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_nat_pools");
	nat.fwds_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_nat_fwds");
	if (nat.rev_fd < 0 || nat.pools_fd < 0 || nat.fwds_fd < 0) {
		fprintf(stderr, "ferryctl import: instance '%s' has no NAT maps\n",
			ferryctl_instance);
		ret = -ENOENT;
		goto out;
	}
	ret = ferry_import_nat(ct_fd, cfg_fd, &nat, a.keys, a.flows, a.n, rules,
			       nrules, dry_run, &rep, err, sizeof(err));
	if (ret)
		fprintf(stderr, "ferryctl import: %s\n", err);
	else
		print_report(&rep, dry_run);
	if (!ret && !dry_run)
		ret = note_imported(ct_fd, &a);
out:
	free(rules);
	free(a.keys);
	free(a.flows);
	if (ct_fd >= 0)
		close(ct_fd);
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (rs_fd >= 0)
		close(rs_fd);
	if (nat.rev_fd >= 0)
		close(nat.rev_fd);
	if (nat.pools_fd >= 0)
		close(nat.pools_fd);
	if (nat.fwds_fd >= 0)
		close(nat.fwds_fd);
	return ret ? 1 : 0;
}
