/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The sink that sends each notification to the SOM (NOTIFY, IF(M,T) F1). */
#ifndef FERRY_TDE_SOMSINK_H
#define FERRY_TDE_SOMSINK_H

#include "tdeconfig.h"
#include "tdenotify.h"

/*
 * Set up sink to send to the SOM of cfg ([tde] identity_key, host_id,
 * som_address, som_public_key); it connects at once (a failure is only
 * logged: each notification retries, with a backoff). 0 or -errno.
 */
int tde_sink_som(struct ferry_tde_sink *sink, const struct ferry_tde_config *cfg);
void tde_sink_som_free(struct ferry_tde_sink *sink);

#endif
