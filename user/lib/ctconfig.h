/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Datapath configuration: default timeouts and state names. */
#ifndef FERRY_CTCONFIG_H
#define FERRY_CTCONFIG_H

#include "ferry/layout.h"

_Static_assert(FERRY_CT_STATE_MAX <= 16, "timeouts are indexed by state");

/* Netfilter's defaults (nf_conntrack_tcp_timeout_* and friends). */
void ferry_config_defaults(struct ferry_config *cfg);

/* "ESTABLISHED", "UDP_REPLIED", ... or "?" */
const char *ferry_state_name(unsigned int state);
/* State of a name as ferry_state_name prints it, or -EINVAL. */
int ferry_state_parse(const char *name);

/* "established", "no-rule", ... as in the stats map order. */
const char *ferry_reason_name(unsigned int reason);

#endif
