/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The topology model of the Topology Discovery Entity (ferry-tde --config
 * FILE): an INI file read with libinih and checked strictly; every error
 * is "FILE:LINE: [section] key: what is wrong". docs/tde.md describes the
 * format and docs/examples/ferry-tde.conf is an example.
 *
 *   [tde]             debounce_ms
 *   [watch NAME]      netns (a name under /run/netns; none: our own)
 *   [host NAME]       id, gateway (repeatable), interface (repeatable,
 *                     IFNAME or WATCH/IFNAME)
 *   [vm NAME]         zone, address (repeatable), mac
 */
#ifndef FERRY_TDECONFIG_H
#define FERRY_TDECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>
#include "tdenotify.h"

#define FERRY_TDE_WATCHES_MAX	16
#define FERRY_TDE_HOSTS_MAX	64
#define FERRY_TDE_VMS_MAX	1024
#define FERRY_TDE_GWS_MAX	8	/* per host */
#define FERRY_TDE_IFACES_MAX	8	/* per host */
#define FERRY_TDE_DEBOUNCE_DEFAULT	200	/* ms */
#define FERRY_TDE_DEBOUNCE_MAX	60000
#define FERRY_TDE_ERR_MAX	512

struct ferry_tde_watch {
	char name[FERRY_TDE_NAME_MAX + 1];
	char netns[FERRY_TDE_NAME_MAX + 1];	/* "": the daemon's namespace */
	__u32 line;
};

/* An interface that leads to a host, at one watch point or at all. */
struct ferry_tde_iface {
	int watch;			/* index in watches, -1: any */
	char name[IF_NAMESIZE];
};

struct ferry_tde_host {
	char name[FERRY_TDE_NAME_MAX + 1];
	__u32 id;			/* 1..4294967295 */
	__u32 ngateways;
	struct ferry_tde_addr gateways[FERRY_TDE_GWS_MAX];
	__u32 nifaces;
	struct ferry_tde_iface ifaces[FERRY_TDE_IFACES_MAX];
	__u32 line;
};

struct ferry_tde_vm {
	char name[FERRY_TDE_NAME_MAX + 1];
	__u32 zone;
	__u32 naddrs;
	struct ferry_tde_addr addrs[FERRY_TDE_ADDRS_MAX];
	bool has_mac;
	__u8 mac[6];
	__u32 line;
};

struct ferry_tde_config {
	__u32 debounce_ms;
	/* [tde] link to the SOM (all or none): notifications go there */
	bool has_som;
	char identity_key[256];
	__u32 host_id;			/* as in the SOM's authorized keys */
	struct ferry_tde_addr som;
	__u16 som_port;
	__u8 som_public_key[32];
	__u32 nwatches;
	struct ferry_tde_watch watches[FERRY_TDE_WATCHES_MAX];
	__u32 nhosts;
	struct ferry_tde_host hosts[FERRY_TDE_HOSTS_MAX];
	__u32 nvms;
	struct ferry_tde_vm vms[FERRY_TDE_VMS_MAX];
};

/*
 * Parse text (name is the file name in messages). On success *cfg is new
 * (free() it). Returns 0, -EINVAL with a message in err, or -ENOMEM. Not
 * thread-safe: it sets libinih's global options.
 */
int ferry_tde_config_parse(const char *text, const char *name,
			   struct ferry_tde_config **cfg, char *err,
			   size_t errlen);
/* As ferry_tde_config_parse, reading the file at path. */
int ferry_tde_config_read(const char *path, struct ferry_tde_config **cfg,
			  char *err, size_t errlen);

/*
 * The host that a path leaving watch point watch by interface ifname
 * (may be NULL) toward gateway gw (may be NULL) goes through: a gateway
 * match wins over an interface match. Returns the host's index or -1.
 */
int ferry_tde_host_match(const struct ferry_tde_config *cfg, int watch,
			 const char *ifname, const struct ferry_tde_addr *gw);

/* Index of the host with this id, or of this name; -1 when none. */
int ferry_tde_host_by_id(const struct ferry_tde_config *cfg, __u32 id);
int ferry_tde_host_by_name(const struct ferry_tde_config *cfg, const char *name);
int ferry_tde_vm_by_name(const struct ferry_tde_config *cfg, const char *name);

#endif
