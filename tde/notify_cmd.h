/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef FERRY_TDE_NOTIFY_CMD_H
#define FERRY_TDE_NOTIFY_CMD_H

#include "tdenotify.h"

/* ferry-tde notify ...: argv[0] is "notify". Exit status. */
int tde_notify_main(int argc, char **argv, struct ferry_tde_sink *sink);

#endif
