/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The datapath's lifecycle: load the firewall with its maps pinned under
 * /sys/fs/bpf/ferry/<instance>/ (reusing pinned state when present), attach
 * it to interfaces, and detach it. Attachments are pinned links (XDP) or
 * clsact filters (TC), so the datapath keeps running without this process.
 */
#ifndef FERRY_DATAPATH_H
#define FERRY_DATAPATH_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>

struct ferry_fw;

enum ferry_xdp_mode {
	FERRY_XDP_AUTO = 0,	/* native where the driver has it, else generic */
	FERRY_XDP_NATIVE,
	FERRY_XDP_GENERIC,
};

/* "auto", "native" or "generic": 0, or -EINVAL for another word. */
int ferry_xdp_mode_parse(const char *s, enum ferry_xdp_mode *mode);

enum ferry_tc_dir {
	FERRY_TC_INGRESS = 0,
	FERRY_TC_EGRESS,
};

struct ferry_dp {
	struct ferry_fw *skel;
	char pin_dir[PATH_MAX];
	bool created;		/* maps were new, not reused from pins */
};

/* Open and load instance's datapath. ct_max of 0 keeps the pinned table's
 * size (or the default for a new one). Returns 0 or -errno. */
int ferry_dp_load(struct ferry_dp *dp, const char *instance, __u32 ct_max);
void ferry_dp_close(struct ferry_dp *dp);

/* Attach XDP to ifindex; *attached gets the mode in effect. */
int ferry_dp_attach_xdp(struct ferry_dp *dp, const char *ifname,
			enum ferry_xdp_mode mode, enum ferry_xdp_mode *attached);
int ferry_dp_attach_tc(struct ferry_dp *dp, const char *ifname,
		       enum ferry_tc_dir dir);

/* Detach every attachment of instance in this network namespace and remove
 * its pinned state. Returns 0 or -errno (-ENOENT: no such instance). */
int ferry_dp_unload(const char *instance);

/* Pin directory of an instance; 0 or -ENAMETOOLONG / -EINVAL. */
int ferry_dp_pin_dir(const char *instance, char *buf, size_t len);

/* Open a pinned map of instance by name (e.g. "ferry_ct"). fd or -errno. */
int ferry_dp_map_fd(const char *instance, const char *map);

#endif
