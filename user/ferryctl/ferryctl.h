/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef FERRYCTL_H
#define FERRYCTL_H

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

/* --instance NAME, shared by all commands; "default" if not given. */
extern const char *ferryctl_instance;

#endif
