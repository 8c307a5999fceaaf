/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * F1 of IF(M,T): the State Migration Notification the Topology Discovery
 * Entity sends when a VM now reaches the network through another State
 * Host. ferry-tde hands each one to a sink; the sink decides where it goes
 * (for now one JSON line on a stream; later the SOM client). docs/tde.md
 * describes the fields.
 */
#ifndef FERRY_TDENOTIFY_H
#define FERRY_TDENOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define FERRY_TDE_NAME_MAX	32	/* VM, host and watch names */
#define FERRY_TDE_ADDRS_MAX	8	/* addresses of one VM */
/* One notification as JSON, with every field at its longest. */
#define FERRY_TDE_JSON_MAX	1024

enum ferry_tde_reason {
	FERRY_TDE_REASON_ROUTE = 0,	/* the route toward the VM changed */
	FERRY_TDE_REASON_NEIGH,		/* the VM appeared behind another edge */
	FERRY_TDE_REASON_LINK,		/* a link went down or up */
	FERRY_TDE_REASON_EXPLICIT,	/* ferry-tde notify (a hypervisor hook) */
	FERRY_TDE_REASON_MAX,
};

/* family is FERRY_AF_INET (first 4 bytes of addr) or FERRY_AF_INET6. */
struct ferry_tde_addr {
	__u8 family;
	__u8 addr[16];			/* network byte order */
};

struct ferry_tde_notification {
	char vm[FERRY_TDE_NAME_MAX + 1];	/* "" when not known by name */
	__u32 zone;
	__u32 naddrs;
	struct ferry_tde_addr addrs[FERRY_TDE_ADDRS_MAX];
	bool has_mac;
	__u8 mac[6];
	__u32 from_host;		/* State Host ids, as in the SOAs' configs */
	__u32 to_host;
	enum ferry_tde_reason reason;
	__u64 time_ns;			/* CLOCK_REALTIME of the decision */
};

/*
 * Where notifications go. notify() returns 0 or -errno; ferry-tde logs a
 * failure and goes on (the SOM client will queue and retry on its own).
 */
struct ferry_tde_sink {
	int (*notify)(struct ferry_tde_sink *sink,
		      const struct ferry_tde_notification *n);
	void *ctx;
};

/* A sink that writes one JSON line per notification to ctx (a FILE *),
 * flushed at once. */
void ferry_tde_sink_json(struct ferry_tde_sink *sink, FILE *out);

/*
 * One notification as a JSON object on one line, without the newline:
 * {"vm":"vm1","zone":1,"addresses":["198.18.0.2","2001:db8::2"],
 *  "mac":"02:00:00:00:00:01","from":1,"to":2,"reason":"route",
 *  "time":"2026-11-25T12:00:00.123Z"}
 * "mac" is null when not known. Returns the length or -ENOSPC.
 */
int ferry_tde_notification_json(const struct ferry_tde_notification *n,
				char *buf, size_t size);

/* "route", "neigh", "link", "explicit" */
const char *ferry_tde_reason_name(enum ferry_tde_reason reason);

/* "02:00:00:00:00:01" (any case, ':' or '-') into mac; 0 or -EINVAL. */
int ferry_tde_parse_mac(const char *s, __u8 mac[6]);
/* An IPv4 or IPv6 address, no prefix; 0 or -EINVAL. */
int ferry_tde_parse_addr(const char *s, struct ferry_tde_addr *a);
bool ferry_tde_addr_equal(const struct ferry_tde_addr *a,
			  const struct ferry_tde_addr *b);

#endif
