// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferryctl som status [--som-socket PATH]: asks the SOM over its control
 * socket (ctlsock.h; default /run/ferry/som.sock) for its registry: hosts
 * with their profiles and state, connected TDEs, recent notifications.
 * The SOM prints straight to our stdout.
 */
#include <stdio.h>
#include <string.h>
#include "ctlsock.h"
#include "ferryctl.h"

#define SOM_SOCKET_DEFAULT	FERRY_CTL_RUN_DIR "/som.sock"

static int call(const char *path, int argc, char **argv, const char *what)
{
	char err[256];
	int status, ret;

	fflush(stdout);
	ret = ferry_ctl_call(path, argc, argv, &status, err, sizeof(err));
	if (ret) {
		if (err[0])
			fprintf(stderr, "ferryctl %s: %s (is ferry-som running? see --som-socket)\n",
				what, err);
		else
			fprintf(stderr, "ferryctl %s: %s: no SOM serves this socket\n",
				what, path);
		return 1;
	}
	if (status && err[0])
		fprintf(stderr, "ferryctl %s: %s\n", what, err);
	return status;
}

int cmd_som(int argc, char **argv)
{
	const char *path = SOM_SOCKET_DEFAULT;
	char *args[] = { "som", NULL, NULL, NULL };
	int i, n = 2;

	if (argc < 2 || (strcmp(argv[1], "status") && strcmp(argv[1], "migrations")))
		goto usage;
	args[1] = argv[1];
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--som-socket") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--json") && !strcmp(argv[1], "migrations"))
			args[n++] = "--json";
		else
			goto usage;
	}
	return call(path, n, args, "som");
usage:
	fprintf(stderr, "usage: ferryctl som status [--som-socket PATH]\n"
		"       ferryctl som migrations [--json] [--som-socket PATH]\n");
	return 2;
}

/*
 * ferryctl migrate --vm ZONE:ADDR[,ADDR...] --from HOSTID --to HOSTID
 * [--wait] [--som-socket PATH]: the SOM checks the arguments and starts the
 * migration; with --wait it answers when the migration ends (exit 0: done).
 */
int cmd_migrate(int argc, char **argv)
{
	const char *path = SOM_SOCKET_DEFAULT;
	char *args[FERRY_CTL_ARGS_MAX + 1] = { "migrate" };
	int i, n = 1;

	for (i = 1; i < argc && n < 9; i++) {
		if (!strcmp(argv[i], "--som-socket") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--wait"))
			args[n++] = argv[i];
		else if (i + 1 < argc && (!strcmp(argv[i], "--vm") ||
					  !strcmp(argv[i], "--from") ||
					  !strcmp(argv[i], "--to"))) {
			args[n++] = argv[i];
			args[n++] = argv[++i];
		} else
			goto usage;
	}
	if (i < argc)
		goto usage;
	return call(path, n, args, "migrate");
usage:
	fprintf(stderr, "usage: ferryctl migrate --vm ZONE:ADDR[,ADDR...] --from HOSTID "
		"--to HOSTID [--wait] [--som-socket PATH]\n");
	return 2;
}
