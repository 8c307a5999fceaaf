// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferry-som [-v] [--check] --config FILE: the State Orchestration Master.
 * Logs go to stderr (a refusal, a limit, a lost host: one line each).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "som.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry-som [-v] [--check] --config FILE\n");
}

static int setup(struct som *som)
{
	char err[SOM_ERR_MAX];
	int ret;

	ret = ferry_identity_load(&som->id, som->cfg.identity_key, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "ferry-som: %s\n", err);
		return ret;
	}
	ret = ferry_authkeys_load(som->cfg.authorized_keys, &som->keys, err,
				  sizeof(err));
	if (ret) {
		fprintf(stderr, "ferry-som: %s\n", err);
		return ret;
	}
	som->notices = calloc(som->cfg.max_notifications, sizeof(*som->notices));
	if (!som->notices)
		return -ENOMEM;
	som->migs = calloc(som->cfg.max_migrations, sizeof(*som->migs));
	if (!som->migs)
		return -ENOMEM;
	return 0;
}

int main(int argc, char **argv)
{
	static struct som som;
	char err[SOM_ERR_MAX];
	bool check = false;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			som.config_path = argv[++i];
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
	if (!som.config_path) {
		usage(stderr);
		return 2;
	}
	if (som_config_read(som.config_path, &som.cfg, err, sizeof(err))) {
		fprintf(stderr, "ferry-som: %s\n", err);
		return 2;
	}
	som.epfd = som.sig.fd = som.tick.fd = som.ctl.fd = som.journal_fd = -1;
	som.owner = getuid();
	som.started_ms = som_realtime_ms();
	ret = setup(&som);
	if (ret)
		return 2;
	if (check) {
		printf("%s is valid\n", som.config_path);
		return 0;
	}
	ret = som_journal_open(&som) ?: som_run(&som);
	som_journal_close(&som);
	ferry_authkeys_free(som.keys);
	ferry_identity_wipe(&som.id);
	free(som.hosts);
	free(som.notices);
	som_mig_free(&som);
	return ret ? 1 : 0;
}
