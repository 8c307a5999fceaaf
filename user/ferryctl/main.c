// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ferryctl: load the datapath and inspect its state. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include "ctlsock.h"
#include "ferryctl.h"
#include "log.h"

/*
 * Enter a named network namespace (as `ip netns` names them) for the rest
 * of the run, keeping our mount namespace: `ip netns exec` would hide the
 * host's /sys/fs/bpf, and with it the pinned state.
 */
static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/') ||
	    (size_t)snprintf(path, sizeof(path), "/run/netns/%s", name) >= sizeof(path)) {
		fprintf(stderr, "ferryctl: bad namespace name '%s'\n", name);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ferryctl: no network namespace '%s' (%s): %s\n",
			name, path, strerror(errno));
		return -errno;
	}
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "ferryctl: cannot enter namespace '%s': %s\n", name,
			strerror(errno));
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

static void usage(FILE *out)
{
	const struct ferryctl_command *c;
	size_t i;

	fprintf(out, "usage: ferryctl [-v] [--instance NAME] [--netns NAME] "
		"[--socket PATH | --direct] COMMAND ...\n");
	for (i = 0; (c = ferryctl_command_at(i)); i++)
		fprintf(out, "  %s%s\n", c->help,
			c->flags & FERRYCTL_AGENT ? " [agent]" : "");
	fprintf(out, "[agent]: run by the instance's ferry-soa when one serves "
		"--socket (default /run/ferry/INSTANCE.sock), unless --direct\n");
}

/*
 * Ask the instance's agent to run the command. Returns 0 with its exit
 * status in *status, or -ENOENT when no agent serves the socket.
 */
static int run_in_agent(const char *socket, int argc, char **argv, int *status)
{
	char path[108], err[FERRY_CTL_MSG_MAX];
	int ret, explicit = socket != NULL;

	if (!socket) {
		if (ferry_ctl_default_path(ferryctl_instance, path, sizeof(path)))
			return -ENOENT;
		socket = path;
	}
	ret = ferry_ctl_call(socket, argc, argv, status, err, sizeof(err));
	if ((ret == -ENOENT || ret == -ECONNREFUSED) && !explicit)
		return -ENOENT;
	if (ret) {
		fprintf(stderr, "ferryctl: agent at %s: %s\n", socket, err);
		*status = 1;
	} else if (err[0]) {
		fprintf(stderr, "ferryctl: agent refused: %s\n", err);
	}
	pr_debug("ran '%s' in the agent at %s: status %d\n", argv[0], socket,
		 *status);
	return 0;
}

int main(int argc, char **argv)
{
	const struct ferryctl_command *c;
	const char *socket = NULL;
	int i = 1, direct = 0, status;

	ferry_log_libbpf();
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-v")) {
			ferry_log_set_level(FERRY_LOG_DEBUG);
			i++;
		} else if (!strcmp(argv[i], "--instance") && i + 1 < argc) {
			ferryctl_instance = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "--netns") && i + 1 < argc) {
			if (enter_netns(argv[i + 1]))
				return 1;
			i += 2;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			socket = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "--direct")) {
			direct = 1;
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "ferryctl: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	c = ferryctl_find(argv[i]);
	if (!c) {
		fprintf(stderr, "ferryctl: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}
	if ((c->flags & FERRYCTL_AGENT) && !direct &&
	    !run_in_agent(socket, argc - i, argv + i, &status))
		return status;
	return c->run(argc - i, argv + i);
}
