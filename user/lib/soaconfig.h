/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration of the state-owning agent (ferry-soa --config FILE):
 * an INI file read with libinih, checked strictly. Every error names the
 * file, the line, the section and key, and what is wrong with the value:
 * "soa.conf:12: [interface eth0] zone: 4294967295 is out of range
 * (0..4294967294)". docs/operations.md describes the format and
 * docs/examples/ferry-soa.conf is a commented example.
 */
#ifndef FERRY_SOACONFIG_H
#define FERRY_SOACONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>
#include "ferry/layout.h"
#include "datapath.h"

#define FERRY_SOA_NAME_MAX	32	/* instance, pool and forward names */
#define FERRY_SOA_PATH_MAX	256
#define FERRY_SOA_SOCK_MAX	108	/* sizeof(sun_path) */
#define FERRY_SOA_IFACES_MAX	64
#define FERRY_SOA_VLANS_MAX	64	/* per interface */
#define FERRY_SOA_POOLS_MAX	64
#define FERRY_SOA_RANGES_MAX	16	/* per pool */
#define FERRY_SOA_FORWARDS_MAX	256
#define FERRY_SOA_TARGETS_MAX	16	/* per forward */
#define FERRY_SOA_VMS_MAX	256
#define FERRY_SOA_VM_ADDRS_MAX	8	/* per VM */
#define FERRY_SOA_CT_MAX	(1u << 26)
#define FERRY_SOA_TIMEOUT_MAX	(30u * 86400)	/* seconds */
#define FERRY_SOA_GC_MAX	3600		/* seconds */
#define FERRY_SOA_GC_DEFAULT	10
#define FERRY_SOA_KEY_LEN	32	/* Ed25519 public key */
/* Enough for any message of this file. */
#define FERRY_SOA_ERR_MAX	512

enum ferry_soa_hook {
	FERRY_SOA_HOOK_XDP = 0,
	FERRY_SOA_HOOK_TC_INGRESS,
	FERRY_SOA_HOOK_TC_EGRESS,
};

struct ferry_soa_vlan {
	__u16 vlan;		/* 1..4094 */
	__u16 pad;
	__u32 zone;
};

struct ferry_soa_iface {
	char name[IF_NAMESIZE];
	enum ferry_soa_hook hook;
	enum ferry_xdp_mode xdp_mode;	/* only with FERRY_SOA_HOOK_XDP */
	__u32 zone;			/* untagged traffic; default 0 */
	__u32 nvlans;
	struct ferry_soa_vlan vlans[FERRY_SOA_VLANS_MAX];
	__u32 line;			/* of the section header */
};

/* Addresses in network byte order; IPv4 in the first 4 bytes, rest 0. */
struct ferry_soa_range {
	__u8 family;		/* FERRY_AF_INET or FERRY_AF_INET6 */
	__u8 lo[16];
	__u8 hi[16];		/* inclusive */
};

struct ferry_soa_endpoint {
	__u8 family;
	__u8 addr[16];
	__u16 port;		/* host byte order, 1..65535 */
};

/* Source NAT: flows of zone leave with an address and port of the pool. */
struct ferry_soa_pool {
	char name[FERRY_SOA_NAME_MAX + 1];
	__u32 zone;
	__u32 nranges;
	struct ferry_soa_range ranges[FERRY_SOA_RANGES_MAX];
	__u16 port_lo, port_hi;	/* default 1024-65535 */
	/* translate only new flows from this prefix (src_plen 0 and no
	 * sources: every source of the zone) */
	bool has_sources;
	__u8 src_family;
	__u8 src[16];
	__u8 src_plen;
	__u32 line;
};

/* Destination NAT: external reached in zone goes to one of the targets. */
struct ferry_soa_forward {
	char name[FERRY_SOA_NAME_MAX + 1];
	__u32 zone;
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	struct ferry_soa_endpoint external;
	__u32 ntargets;
	struct ferry_soa_endpoint targets[FERRY_SOA_TARGETS_MAX];
	__u32 line;
};

/* A VM whose flows the agent indexes (include/ferry/vmindex.h). */
struct ferry_soa_vm {
	char name[FERRY_SOA_NAME_MAX + 1];
	__u32 zone;
	__u32 naddrs;
	struct {
		__u8 family;
		__u8 addr[16];
	} addrs[FERRY_SOA_VM_ADDRS_MAX];
	__u32 max_flows;	/* 0: the default */
	__u32 line;
};

struct ferry_soa_config {
	/* [agent] */
	char instance[FERRY_SOA_NAME_MAX + 1];
	__u32 host_id;				/* 1..4294967295 */
	char control_socket[FERRY_SOA_SOCK_MAX];	/* default /run/ferry/<instance>.sock */
	char state_dir[FERRY_SOA_SOCK_MAX];	/* "": the agent's default */
	/* [table] and [timeouts]: dp has the defaults of
	 * ferry_config_defaults() with the file's timeouts and fast_forward */
	__u32 ct_max;				/* 0: not set */
	__u32 gc_interval;			/* seconds */
	struct ferry_config dp;
	/* [interface NAME] */
	__u32 nifaces;
	struct ferry_soa_iface ifaces[FERRY_SOA_IFACES_MAX];
	/* [rules]: from 'file' (rules_file set) or 'rule' lines */
	char rules_file[FERRY_SOA_PATH_MAX];	/* as resolved: relative to the config's directory */
	__u32 nrules;
	struct ferry_rule *rules;		/* malloc'ed */
	/* [snat-pool NAME], [forward NAME] */
	__u32 npools;
	struct ferry_soa_pool pools[FERRY_SOA_POOLS_MAX];
	__u32 nforwards;
	struct ferry_soa_forward forwards[FERRY_SOA_FORWARDS_MAX];
	/* [vm NAME] */
	__u32 nvms;
	struct ferry_soa_vm vms[FERRY_SOA_VMS_MAX];
	/* [security], optional as a whole */
	bool has_security;
	char identity_key[FERRY_SOA_PATH_MAX];
	struct ferry_soa_endpoint som;
	__u8 som_public_key[FERRY_SOA_KEY_LEN];
};

/*
 * Parse the configuration in text; name is the file name used in messages
 * and the directory against which a relative rule file is resolved. On
 * success *cfg is a new configuration (ferry_soa_config_free() it).
 * Returns 0, -EINVAL with a message in err, -ENOMEM, or -errno reading the
 * rule file. Not thread-safe: it sets libinih's global options.
 */
int ferry_soa_config_parse(const char *text, const char *name,
			   struct ferry_soa_config **cfg, char *err,
			   size_t errlen);
/* As ferry_soa_config_parse, reading the file at path. */
int ferry_soa_config_read(const char *path, struct ferry_soa_config **cfg,
			  char *err, size_t errlen);
void ferry_soa_config_free(struct ferry_soa_config *cfg);

/* "xdp", "tc-ingress", "tc-egress" */
const char *ferry_soa_hook_name(enum ferry_soa_hook hook);

#endif
