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

int cmd_som(int argc, char **argv)
{
	const char *path = SOM_SOCKET_DEFAULT;
	char *args[] = { "som", "status", NULL };
	char err[256];
	int i, status, ret;

	if (argc < 2 || strcmp(argv[1], "status"))
		goto usage;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--som-socket") && i + 1 < argc)
			path = argv[++i];
		else
			goto usage;
	}
	fflush(stdout);
	ret = ferry_ctl_call(path, 2, args, &status, err, sizeof(err));
	if (ret) {
		if (err[0])
			fprintf(stderr, "ferryctl som: %s (is ferry-som running? see --som-socket)\n",
				err);
		else
			fprintf(stderr, "ferryctl som: %s: no SOM serves this socket\n", path);
		return 1;
	}
	return status;
usage:
	fprintf(stderr, "usage: ferryctl som status [--som-socket PATH]\n");
	return 2;
}
