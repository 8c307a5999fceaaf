/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The application messages of IF(M,A) F2 and IF(M,T) F1 that travel in
 * records after the handshake: REGISTER, REGISTERED, HEARTBEAT, NOTIFY.
 * Each is a strict msgpack map (mpk.h) whose key 0 repeats the record
 * type; docs/protocol.md section 11 gives every key. Encoders return the
 * length or -ENOSPC; decoders 0 or -EBADMSG with "what: why" in err.
 */
#ifndef FERRY_SOMPROTO_H
#define FERRY_SOMPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <ferry/wire.h>

#define FERRY_SOMPROTO_MSG_MAX	512	/* the largest encoding, with room */
#define FERRY_SOMPROTO_ERR_MAX	256

struct ferry_wire_addr {
	__u8 family;		/* 4 or 6 */
	__u8 addr[16];		/* network order; IPv4 in the first 4 */
};

struct ferry_host_profile {
	__u32 host_id;
	char name[FERRY_WIRE_NAME_MAX + 1];	/* the agent's instance */
	__u32 naddrs;
	struct ferry_wire_addr addrs[FERRY_WIRE_HOST_ADDRS_MAX];
	__u32 functions;			/* FERRY_FN_* */
	__u32 schema_min, schema_max;		/* state schema versions */
	__u32 capacity;				/* flow table entries */
	__u64 load;				/* flows now */
};

struct ferry_registered {
	__u32 host_id;
	__u32 heartbeat_ms;	/* send a HEARTBEAT at least this often */
	__u32 lost_ms;		/* silent this long: lost */
};

struct ferry_heartbeat {
	__u64 load;
};

struct ferry_notify {
	char vm[FERRY_WIRE_NAME_MAX + 1];	/* "" if not known by name */
	__u32 zone;
	__u32 naddrs;
	struct ferry_wire_addr addrs[FERRY_WIRE_VM_ADDRS_MAX];
	bool has_mac;
	__u8 mac[6];
	__u32 from_host, to_host;
	__u32 reason;				/* enum ferry_tde_reason */
	__u64 time_ms;				/* ms since the epoch */
};

int ferry_register_encode(const struct ferry_host_profile *p, __u8 *buf,
			  size_t size);
int ferry_register_decode(const __u8 *msg, size_t len,
			  struct ferry_host_profile *p, char *err, size_t errlen);
int ferry_registered_encode(const struct ferry_registered *r, __u8 *buf,
			    size_t size);
int ferry_registered_decode(const __u8 *msg, size_t len,
			    struct ferry_registered *r, char *err, size_t errlen);
int ferry_heartbeat_encode(const struct ferry_heartbeat *h, __u8 *buf,
			   size_t size);
int ferry_heartbeat_decode(const __u8 *msg, size_t len,
			   struct ferry_heartbeat *h, char *err, size_t errlen);
int ferry_notify_encode(const struct ferry_notify *n, __u8 *buf, size_t size);
int ferry_notify_decode(const __u8 *msg, size_t len, struct ferry_notify *n,
			char *err, size_t errlen);

/*
 * The migration orchestration messages (docs/protocol.md section 12): one
 * struct for all nine; which fields a type carries:
 *	PREPARE, UPLOAD		env (the sealed order)
 *	READY, RELEASE		id
 *	REFUSED, ABORT, UPLOAD_FAILED	id, reason (1..FERRY_MIG_REASON_MAX)
 *	DATA			id, env (a CHUNK or COMMIT envelope)
 *	DONE			id, reason, flows, accepted, rejected[]
 * env points into the decoded buffer. Encoders return the length or
 * -ENOSPC (-EINVAL for a type that is not one of them).
 */
#define FERRY_MIGMSG_ID_LEN	16
#define FERRY_MIGMSG_ENV_MAX	(FERRY_WIRE_FRAME_MAX - 256)
#define FERRY_MIGMSG_NREJECT	5	/* ferry_import reasons past ACCEPTED */

struct ferry_migmsg {
	__u8 type;
	__u8 id[FERRY_MIGMSG_ID_LEN];
	__u32 reason;				/* enum ferry_mig_reason */
	const __u8 *env;
	size_t env_len;
	__u64 flows, accepted;
	__u64 rejected[FERRY_MIGMSG_NREJECT];	/* by ferry_import reason 1.. */
};

bool ferry_migmsg_type(__u8 type);
int ferry_migmsg_encode(const struct ferry_migmsg *m, __u8 *buf, size_t size);
int ferry_migmsg_decode(__u8 type, const __u8 *msg, size_t len,
			struct ferry_migmsg *m, char *err, size_t errlen);

/* "198.18.0.1" / "2001:db8::1" */
void ferry_wire_addr_format(const struct ferry_wire_addr *a, char *buf,
			    size_t size);
/* "firewall,nat,pools" (or "none") */
void ferry_functions_format(__u32 functions, char *buf, size_t size);
/* Profiles equal but for the load. */
bool ferry_profile_same(const struct ferry_host_profile *a,
			const struct ferry_host_profile *b);

#endif
