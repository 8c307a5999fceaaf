// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferry-soa --config FILE [--state-dir DIR] [--check] [-v]: the State
 * Orchestration Agent. Runs in the foreground and logs to stderr
 * (systemd-friendly); exits non-zero with a message when the configuration
 * or the kernel will not do. SIGHUP reloads, SIGTERM stops and leaves the
 * datapath running with its pinned state, so that the next start takes
 * over every flow. The state directory ([agent] state_dir, or --state-dir
 * over it) holds what else must outlive the agent: the finished
 * migrations (user/soa/migrecv.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctiter.h"
#include "log.h"
#include "soa.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry-soa --config FILE [--state-dir DIR] [--check] [-v]\n"
		"  --state-dir DIR  files that outlive the agent (over [agent] state_dir;\n"
		"                   default %s)\n"
		"  --check  read and check the configuration, then exit\n"
		"  -v       debug messages\n", SOA_STATE_DIR);
}

static int parse_args(int argc, char **argv, struct soa *soa, int *check)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			soa->config_path = optarg;
			break;
		case 's':
			soa->state_dir = optarg;
			break;
		case 'k':
			*check = 1;
			break;
		case 'v':
			ferry_log_set_level(FERRY_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc || !soa->config_path) {
		if (optind < argc)
			fprintf(stderr, "ferry-soa: unexpected argument '%s'\n",
				argv[optind]);
		else
			fprintf(stderr, "ferry-soa: --config FILE is required\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct soa soa = {
		.ct_fd = -1, .config_fd = -1, .rulesets_fd = -1, .ifzones_fd = -1,
		.ix = { .index_fd = -1, .overflow_fd = -1 },
		.epfd = -1, .sigfd = -1, .gc_fd = -1, .ctl_fd = -1,
	};
	char err[FERRY_SOA_ERR_MAX], *dir;
	int check = 0, ret;

	ferry_log_set_level(FERRY_LOG_INFO);
	ferry_log_libbpf();
	ret = parse_args(argc, argv, &soa, &check);
	if (ret)
		return ret > 0 ? 0 : 2;
	ret = ferry_soa_config_read(soa.config_path, &soa.cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ferry-soa: %s\n", err);
		return 2;
	}
	/* --state-dir, else the file's, else the default; a copy: a reload
	 * frees the configuration it came from */
	dir = soa.state_dir;
	if (!dir)
		dir = soa.cfg->state_dir[0] ? soa.cfg->state_dir : SOA_STATE_DIR;
	soa.state_dir = strdup(dir);
	if (!soa.state_dir) {
		ret = -ENOMEM;
		goto out;
	}
	if (soa_check(&soa)) {
		ret = -EINVAL;
		goto out;
	}
	if (check) {
		printf("%s: configuration is valid\n", soa.config_path);
		goto out;
	}
	soa.owner = geteuid();
	soa.pid = getpid();
	soa.started_ns = ferry_now_ns();
	ret = soa_setup(&soa);
	if (!ret)
		ret = soa_run(&soa);
	soa_teardown(&soa);
out:
	free(soa.state_dir);
	ferry_soa_config_free(soa.cfg);
	return ret == -EINVAL ? 2 : ret ? 1 : 0;
}
