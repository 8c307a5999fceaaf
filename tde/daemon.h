/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef FERRY_TDE_DAEMON_H
#define FERRY_TDE_DAEMON_H

#include "tdeconfig.h"
#include "tdenotify.h"

/*
 * Watch every watch point of cfg and send each detected move to sink,
 * until SIGTERM or SIGINT. Returns 0 on such an exit, else -errno.
 */
int tde_run(const struct ferry_tde_config *cfg, struct ferry_tde_sink *sink);

/* Fill n from VM vm of cfg (name, zone, addresses, MAC). */
void tde_notification_from_vm(const struct ferry_tde_config *cfg, __u32 vm,
			      struct ferry_tde_notification *n);

#endif
