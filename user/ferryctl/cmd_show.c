// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ferryctl ct / stats / status / rules: reading the pinned state. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "ctconfig.h"
#include "ctiter.h"
#include "datapath.h"
#include "ferryctl.h"
#include "flowfmt.h"
#include "rules.h"
#include "ruleset.h"
#include "stateops.h"

static int open_map(const char *name)
{
	int fd = ferry_dp_map_fd(ferryctl_instance, name);

	if (fd < 0)
		fprintf(stderr, "ferryctl: instance '%s' has no map %s: %s "
			"(is it loaded in this namespace? 'ferryctl load')\n",
			ferryctl_instance, name, strerror(-fd));
	return fd;
}

static int want_json(int argc, char **argv, int first, const char *cmd)
{
	int i, json = 0;

	for (i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
			continue;
		}
		fprintf(stderr, "ferryctl %s: unexpected argument '%s'\n", cmd, argv[i]);
		return -1;
	}
	return json;
}

struct list_ctx {
	__u64 now;
	int json;
	__u32 count;
};

static int print_flow(const struct ferry_flow_key *k, const struct ferry_flow *f,
		      void *data)
{
	struct list_ctx *c = data;

	if (c->json) {
		fputs(c->count ? ",\n " : " ", stdout);
		ferry_flow_print_json(stdout, k, f, c->now);
	} else {
		ferry_flow_print(stdout, k, f, c->now);
	}
	c->count++;
	return 0;
}

static int ct_list(int json)
{
	struct list_ctx c = { .now = ferry_now_ns(), .json = json };
	int fd = open_map("ferry_ct"), err;

	if (fd < 0)
		return 1;
	if (json)
		fputs("[\n", stdout);
	err = ferry_ct_foreach(fd, print_flow, &c);
	if (json)
		fputs("\n]\n", stdout);
	else
		fprintf(stderr, "ferryctl: %u flow entries\n", c.count);
	close(fd);
	return err ? 1 : 0;
}

static int ct_gc(void)
{
	struct ferry_stateops ops;
	struct ferry_sweep st;
	int err;

	err = ferry_stateops_open_instance(&ops, ferryctl_instance, 0);
	if (err) {
		fprintf(stderr, "ferryctl ct gc: instance '%s': %s\n",
			ferryctl_instance, strerror(-err));
		return 1;
	}
	err = ferry_ct_sweep(&ops, ferry_now_ns(), &st);
	ferry_stateops_close(&ops);
	if (err) {
		fprintf(stderr, "ferryctl ct gc: %s\n", strerror(-err));
		return 1;
	}
	printf("%llu expired flows removed (%llu entries read)\n",
	       (unsigned long long)st.removed, (unsigned long long)st.visited);
	return 0;
}

int cmd_ct(int argc, char **argv)
{
	int json;

	if (argc >= 2 && !strcmp(argv[1], "list")) {
		json = want_json(argc, argv, 2, "ct list");
		return json < 0 ? 2 : ct_list(json);
	}
	if (argc == 2 && !strcmp(argv[1], "gc"))
		return ct_gc();
	fprintf(stderr, "usage: ferryctl ct list [--json] | ferryctl ct gc\n");
	return 2;
}

/* Sum of the per-CPU counters of one reason. */
static int read_stat(int fd, __u32 reason, int ncpus, struct ferry_stat *sum)
{
	struct ferry_stat *per = calloc(ncpus, sizeof(*per));
	int i;

	if (!per)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(fd, &reason, per)) {
		free(per);
		return -errno;
	}
	for (i = 0; i < ncpus; i++) {
		sum->packets += per[i].packets;
		sum->bytes += per[i].bytes;
	}
	free(per);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	int json = want_json(argc, argv, 1, "stats");
	int ncpus = libbpf_num_possible_cpus();
	struct ferry_stat st;
	int fd, err = 0;
	__u32 r;

	if (json < 0)
		return 2;
	if (ncpus < 0) {
		fprintf(stderr, "ferryctl stats: cannot count CPUs\n");
		return 1;
	}
	fd = open_map("ferry_stats");
	if (fd < 0)
		return 1;
	if (json)
		fputs("{", stdout);
	for (r = 0; r < FERRY_REASON_MAX; r++) {
		err = read_stat(fd, r, ncpus, &st);
		if (err)
			break;
		if (json)
			printf("%s\"%s\":{\"packets\":%llu,\"bytes\":%llu}", r ? "," : "",
			       ferry_reason_name(r), (unsigned long long)st.packets,
			       (unsigned long long)st.bytes);
		else
			printf("%-22s %14llu packets %16llu bytes\n",
			       ferry_reason_name(r), (unsigned long long)st.packets,
			       (unsigned long long)st.bytes);
	}
	if (json)
		fputs("}\n", stdout);
	close(fd);
	if (err)
		fprintf(stderr, "ferryctl stats: %s\n", strerror(-err));
	return err ? 1 : 0;
}

static int count_flows(const struct ferry_flow_key *k, const struct ferry_flow *f,
		       void *data)
{
	(*(__u32 *)data)++;
	return 0;
}

static void print_links(void)
{
	char dir[PATH_MAX + 8];
	struct dirent *de;
	DIR *d;

	if (ferry_dp_pin_dir(ferryctl_instance, dir, PATH_MAX))
		return;
	strcat(dir, "/links");
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			printf("attached   %s (pinned link)\n", de->d_name);
	closedir(d);
}

int cmd_status(int argc, char **argv)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0, flows = 0;
	struct ferry_meta meta;
	int meta_fd, ct_fd, err;

	if (argc > 1) {
		fprintf(stderr, "ferryctl status: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	meta_fd = open_map("ferry_meta");
	if (meta_fd < 0)
		return 1;
	err = bpf_map_lookup_elem(meta_fd, &zero, &meta);
	close(meta_fd);
	if (err) {
		fprintf(stderr, "ferryctl status: cannot read metadata: %s\n",
			strerror(errno));
		return 1;
	}
	ct_fd = open_map("ferry_ct");
	if (ct_fd < 0)
		return 1;
	err = bpf_obj_get_info_by_fd(ct_fd, &info, &len) ?:
	      ferry_ct_foreach(ct_fd, count_flows, &flows);
	close(ct_fd);
	if (err)
		return 1;
	printf("instance   %s\n", ferryctl_instance);
	printf("layout     %u (this build: %u)%s\n", meta.layout_version,
	       FERRY_LAYOUT_VERSION,
	       meta.layout_version == FERRY_LAYOUT_VERSION ? "" : " MISMATCH");
	printf("flows      %u of %u (%.1f%%)\n", flows, info.max_entries,
	       info.max_entries ? 100.0 * flows / info.max_entries : 0.0);
	print_links();
	return 0;
}

static int rules_show(void)
{
	struct ferry_rule *rules;
	__u32 n;
	int fd, err;

	fd = open_map("ferry_rulesets");
	if (fd < 0)
		return 1;
	rules = calloc(FERRY_MAX_RULES, sizeof(*rules));
	if (!rules) {
		close(fd);
		return 1;
	}
	err = ferry_ruleset_read(fd, rules, FERRY_MAX_RULES, &n);
	close(fd);
	if (!err)
		err = ferry_rules_write(stdout, rules, n);
	if (!err)
		fprintf(stderr, "ferryctl: %u rules; anything else is denied\n", n);
	else
		fprintf(stderr, "ferryctl rules show: %s\n", strerror(-err));
	free(rules);
	return err ? 1 : 0;
}

static int rules_load(const char *path)
{
	char errbuf[FERRY_RULES_ERR_MAX];
	struct ferry_rule *rules = NULL;
	int fd, ct_fd, btf_fd = 0, err;
	__u32 n = 0, type_id = 0;

	err = ferry_rules_read_alloc(path, &rules, &n, errbuf, sizeof(errbuf));
	if (err) {
		fprintf(stderr, "ferryctl: %s\n", errbuf);
		return 1;
	}
	fd = open_map("ferry_rulesets");
	if (fd < 0) {
		free(rules);
		return 1;
	}
	/* The loaded object's BTF, so bpftool prints the rules readably. */
	ct_fd = open_map("ferry_ct");
	if (ct_fd >= 0) {
		ferry_ruleset_btf(ct_fd, &btf_fd, &type_id);
		close(ct_fd);
	}
	err = ferry_ruleset_install(fd, rules, n, btf_fd, type_id);
	if (btf_fd > 0)
		close(btf_fd);
	close(fd);
	free(rules);
	if (err)
		return 1;
	printf("rules: %u installed from %s\n", n, path);
	return 0;
}

int cmd_rules(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "show"))
		return rules_show();
	if (argc == 3 && !strcmp(argv[1], "load"))
		return rules_load(argv[2]);
	fprintf(stderr, "usage: ferryctl rules show | ferryctl rules load FILE\n");
	return 2;
}
