// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ferryctl: load the datapath and inspect its state. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include "ferryctl.h"
#include "log.h"

const char *ferryctl_instance = "default";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "load", cmd_load, "load [--ct-max N] [--iface IF]... [--tc IF[:egress]]... "
			    "[--zone IF[.VLAN]=ZONE]... [--rules FILE] "
			    "[--timeout STATE=SECONDS]... [--xdp-mode auto|native|generic] "
			    "[--fast-forward|--no-fast-forward] "
			    "[--snat ZONE:ADDR[-ADDR][:PORTLO-PORTHI][@SRC/LEN]]... "
			    "[--dnat ZONE:tcp|udp:EXTADDR:PORT=INTADDR:PORT[,INTADDR:PORT...]]... "
			    "(IPv6 addresses in brackets)" },
	{ "unload", cmd_unload, "unload: detach everywhere and remove pinned state" },
	{ "status", cmd_status, "status: layout, table use, attachments" },
	{ "ct", cmd_ct, "ct list [--json] | ct gc" },
	{ "nat", cmd_nat, "nat pools [--json] | nat forwards: SNAT pool use, DNAT forwards" },
	{ "stats", cmd_stats, "stats [--json]: packets and bytes per verdict reason" },
	{ "rules", cmd_rules, "rules show | rules load FILE" },
	{ "export", cmd_export, "export [--zone Z | --vm ZONE:ADDR...] [--zlib 1..9] > BUNDLE" },
	{ "import", cmd_import, "import [--dry-run] < BUNDLE: checked against the rules, all or nothing visible" },
	{ "log", cmd_log, "log [--count N] [--timeout SECONDS]: events of rules marked 'log'" },
};

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
	size_t i;

	fprintf(out, "usage: ferryctl [-v] [--instance NAME] [--netns NAME] COMMAND ...\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].help);
}

int main(int argc, char **argv)
{
	int i = 1;
	size_t c;

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
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].run(argc - i, argv + i);
	fprintf(stderr, "ferryctl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
