// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferryctl's commands. Those marked FERRYCTL_AGENT may also run inside a
 * running ferry-soa, which ferryctl asks through its control socket; those
 * marked FERRYCTL_WRITES change the state and run there one at a time.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "ferryctl.h"

const char *ferryctl_instance = "default";

/* Commands only a running agent can answer. */
static int cmd_agent_only(int argc, char **argv)
{
	fprintf(stderr, "ferryctl %s: no agent serves instance '%s' "
		"(is ferry-soa running? see --socket)\n", argv[0],
		ferryctl_instance);
	return 1;
}

static const struct ferryctl_command commands[] = {
	{ "load", cmd_load, 0,
	  "load [--ct-max N] [--iface IF]... [--tc IF[:egress]]... "
	  "[--zone IF[.VLAN]=ZONE]... [--rules FILE] "
	  "[--timeout STATE=SECONDS]... [--xdp-mode auto|native|generic] "
	  "[--fast-forward|--no-fast-forward] "
	  "[--snat ZONE:ADDR[-ADDR][:PORTLO-PORTHI][@SRC/LEN]]... "
	  "[--dnat ZONE:tcp|udp:EXTADDR:PORT=INTADDR:PORT[,INTADDR:PORT...]]... "
	  "(IPv6 addresses in brackets)" },
	{ "unload", cmd_unload, 0,
	  "unload: detach everywhere and remove pinned state" },
	{ "status", cmd_status, FERRYCTL_AGENT,
	  "status: layout, table use, attachments" },
	{ "ct", cmd_ct, FERRYCTL_AGENT,
	  "ct list [--json] | ct gc" },
	{ "nat", cmd_nat, FERRYCTL_AGENT,
	  "nat pools [--json] | nat forwards: SNAT pool use, DNAT forwards" },
	{ "stats", cmd_stats, FERRYCTL_AGENT,
	  "stats [--json]: packets and bytes per verdict reason" },
	{ "rules", cmd_rules, 0, "rules show | rules load FILE" },
	{ "export", cmd_export, FERRYCTL_AGENT,
	  "export [--zone Z | --vm ZONE:ADDR...] [--zlib 1..9] > BUNDLE" },
	{ "import", cmd_import, FERRYCTL_AGENT | FERRYCTL_WRITES,
	  "import [--dry-run] < BUNDLE: checked against the rules, all or nothing visible" },
	{ "vm", cmd_vm, FERRYCTL_AGENT,
	  "vm add [--max-flows N] ZONE:ADDR... | vm del ZONE:ADDR... | vm list: "
	  "VM addresses whose flows are indexed for export" },
	{ "agent", cmd_agent_only, FERRYCTL_AGENT,
	  "agent: the agent's own status (pid, sweeps, reloads)" },
	{ "reload", cmd_agent_only, FERRYCTL_AGENT,
	  "reload: the agent re-reads its configuration (as SIGHUP)" },
	{ "keygen", cmd_keygen, 0,
	  "keygen --out PATH: an Ed25519 identity, PATH (0600) and PATH.pub" },
	{ "som", cmd_som, 0,
	  "som status | som migrations [--json] [--som-socket PATH]: the SOM's registry "
	  "and migrations (default /run/ferry/som.sock)" },
	{ "migrate", cmd_migrate, 0,
	  "migrate --vm ZONE:ADDR[,ADDR...] --from HOSTID --to HOSTID [--wait] "
	  "[--som-socket PATH]: the SOM moves the VM's flows" },
	{ "log", cmd_log, 0,
	  "log [--count N] [--timeout SECONDS]: events of rules marked 'log'" },
};

const struct ferryctl_command *ferryctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

const struct ferryctl_command *ferryctl_command_at(size_t i)
{
	return i < sizeof(commands) / sizeof(commands[0]) ? &commands[i] : NULL;
}
