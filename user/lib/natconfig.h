/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NAT from userspace: SNAT pools and DNAT forwards written into the
 * datapath's maps (from the agent's configuration or ferryctl's
 * --snat/--dnat), the translated key of a flow, pool usage.
 * docs/nat.md describes the design.
 */
#ifndef FERRY_NATCONFIG_H
#define FERRY_NATCONFIG_H

#include <stddef.h>
#include "ferry/layout.h"

struct ferry_soa_pool;
struct ferry_soa_forward;

/* Enough for any message of this file. */
#define FERRY_NAT_ERR_MAX	256

struct ferry_nat_pool_entry {
	struct ferry_nat_pool_key key;
	struct ferry_nat_pool pool;
};

struct ferry_nat_fwd_entry {
	struct ferry_nat_fwd_key key;
	struct ferry_nat_fwd fwd;
};

/*
 * "ZONE:ADDR[-ADDR][:PORTLO-PORTHI][@SRC/LEN]", IPv6 addresses in brackets
 * ("0:[2001:db8::100]-[2001:db8::1ff]:20000-29999@[2001:db8::]/64").
 * Ports default to 1024-65535, the source prefix to every source.
 * 0, or -EINVAL with a message in err.
 */
int ferry_nat_parse_snat(const char *text, struct ferry_nat_pool_entry *e,
			 char *err, size_t errlen);

/*
 * "ZONE:PROTO:EXTADDR:PORT=INTADDR:PORT[,INTADDR:PORT...]", PROTO tcp or
 * udp, IPv6 addresses in brackets. 0, or -EINVAL with a message in err.
 */
int ferry_nat_parse_dnat(const char *text, struct ferry_nat_fwd_entry *e,
			 char *err, size_t errlen);

/* The same from the agent's configuration (one address range per pool). */
int ferry_nat_pool_from_soa(const struct ferry_soa_pool *p,
			    struct ferry_nat_pool_entry *e, char *err,
			    size_t errlen);
int ferry_nat_fwd_from_soa(const struct ferry_soa_forward *f,
			   struct ferry_nat_fwd_entry *e, char *err,
			   size_t errlen);

/* Write entries into ferry_nat_pools / ferry_nat_fwds. 0 or -errno. */
int ferry_nat_pool_write(int pools_fd, const struct ferry_nat_pool_entry *e);
int ferry_nat_fwd_write(int fwds_fd, const struct ferry_nat_fwd_entry *e);

/* Canonical key of flow f's translated tuple (as bpf/lib/nat.h makes it);
 * -ENOENT if the flow has no translation. */
int ferry_nat_xlat_key(const struct ferry_flow_key *k,
		       const struct ferry_flow *f, struct ferry_flow_key *out);

/* Is the address (family's size) one of the pool's? */
int ferry_nat_pool_has(const struct ferry_nat_pool_key *pk,
		       const struct ferry_nat_pool *p, __u8 family,
		       const __u8 *addr);

#endif
