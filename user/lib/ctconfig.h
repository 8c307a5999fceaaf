/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Datapath configuration: default timeouts and state names. */
#ifndef FERRY_CTCONFIG_H
#define FERRY_CTCONFIG_H

#include "ferry/layout.h"

_Static_assert(FERRY_CT_STATE_MAX <= 16, "timeouts are indexed by state");

/* Netfilter's defaults (nf_conntrack_tcp_timeout_* and friends). */
void ferry_config_defaults(struct ferry_config *cfg);

/*
 * Put (ifindex, vlan) in zone: the entry in the interface map ifzones_fd,
 * and FERRY_CFG_F_ZONES in the config map config_fd (without it the
 * datapath does not look zones up). Returns 0 or -errno.
 */
int ferry_zone_set(int ifzones_fd, int config_fd, __u32 ifindex, __u16 vlan,
		   __u32 zone);

/* "ESTABLISHED", "UDP_REPLIED", ... or "?" */
const char *ferry_state_name(unsigned int state);
/* State of a name as ferry_state_name prints it, or -EINVAL. */
int ferry_state_parse(const char *name);

/* "established", "no-rule", ... as in the stats map order. */
const char *ferry_reason_name(unsigned int reason);

#endif
