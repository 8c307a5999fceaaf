// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferry-tde: the Topology Discovery Entity (draft §4, IF(M,T) F1).
 *   ferry-tde [-v] --config FILE       watch and notify detected moves
 *   ferry-tde notify ...               notify one move explicitly
 * Notifications go to the sink: to the SOM when [tde] names it
 * (somsink.c), else one JSON line each on stdout (docs/tde.md). Logs go
 * to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "tdeconfig.h"
#include "tdenotify.h"
#include "daemon.h"
#include "notify_cmd.h"
#include "somsink.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry-tde [-v] [--check] --config FILE\n"
		     "       ferry-tde notify [--config FILE] (--vm NAME | --zone Z --addr A[,A..])\n"
		     "                        [--mac M] --from HOST --to HOST\n");
}

int main(int argc, char **argv)
{
	struct ferry_tde_config *cfg;
	struct ferry_tde_sink sink;
	char err[FERRY_TDE_ERR_MAX];
	const char *config = NULL;
	bool check = false;
	int i, ret;

	ferry_tde_sink_json(&sink, stdout);
	if (argc > 1 && !strcmp(argv[1], "notify"))
		return tde_notify_main(argc - 1, argv + 1, &sink);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "-v")) {
			ferry_log_set_level(FERRY_LOG_DEBUG);
		} else if (!strcmp(argv[i], "--check")) {
			check = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!config) {
		usage(stderr);
		return 2;
	}
	if (ferry_tde_config_read(config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "ferry-tde: %s\n", err);
		return 2;
	}
	if (!check && cfg->has_som && tde_sink_som(&sink, cfg)) {
		free(cfg);
		return 2;
	}
	ret = check ? 0 : tde_run(cfg, &sink);
	if (!check && cfg->has_som)
		tde_sink_som_free(&sink);
	free(cfg);
	return ret ? 1 : 0;
}
