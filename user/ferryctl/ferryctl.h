/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef FERRYCTL_H
#define FERRYCTL_H

#include <stddef.h>

/* Each command takes argc/argv starting at its own name; returns 0 or an
 * exit status. */
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_ct(int argc, char **argv);
int cmd_nat(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_som(int argc, char **argv);
int cmd_migrate(int argc, char **argv);

/* --instance NAME, shared by all commands; "default" if not given. */
extern const char *ferryctl_instance;

#define FERRYCTL_AGENT	0x1	/* a running agent may serve it */
#define FERRYCTL_WRITES	0x2	/* changes state: one at a time in the agent */

struct ferryctl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	unsigned int flags;	/* FERRYCTL_* */
	const char *help;
};

const struct ferryctl_command *ferryctl_find(const char *name);
/* The i-th command, NULL past the last. */
const struct ferryctl_command *ferryctl_command_at(size_t i);

#endif
