/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The migration order: what the SOM signs to tell a source to upload one
 * VM's state and a destination to accept it (docs/migration.md). It is the
 * body of a signed envelope (envelope.h) of type FERRY_MSG_MIG_ORDER,
 * origin 0 (the SOM), a strict msgpack map:
 *
 *	0 migration id (bin 16)  1 zone  2 addresses (bin 17 x 1..8)
 *	3 MAC (bin 0 or 6)  4 source host id  5 source public key (bin 32)
 *	6 destination host id  7 issued at (s)  8 expires (s)
 *	9 max flows  10 max bytes
 *
 * Times are CLOCK_REALTIME seconds. Also here: the reason names and the
 * result record that the source and the destination fill.
 */
#ifndef FERRY_MIGORDER_H
#define FERRY_MIGORDER_H

#include <stddef.h>
#include <linux/types.h>
#include <ferry/wire.h>
#include "cthandover.h"
#include "identity.h"

#define FERRY_MIG_ID_LEN	16
#define FERRY_MIG_MAX_ADDRS	8
#define FERRY_MIG_ADDR_WIRE	17	/* family byte + 16 address bytes */
/* An order's limits may not exceed these. */
#define FERRY_MIG_MAX_FLOWS	(16ull << 20)
#define FERRY_MIG_MAX_BYTES	(4ull << 30)
/* Room for an order envelope, always enough. */
#define FERRY_MIG_ORDER_MAX	512
#define FERRY_MIG_ERR_MAX	256

/* The migrated VM: addresses in one zone, and its MAC if known. */
struct ferry_mig_vm {
	__u32 zone;
	__u32 n_addrs;			/* 1..FERRY_MIG_MAX_ADDRS */
	__u8  family[FERRY_MIG_MAX_ADDRS];	/* FERRY_AF_INET / FERRY_AF_INET6 */
	__u8  addr[FERRY_MIG_MAX_ADDRS][16];	/* IPv4: first 4 bytes, rest 0 */
	__u8  has_mac;
	__u8  mac[6];
};

struct ferry_mig_order {
	__u8  id[FERRY_MIG_ID_LEN];	/* random, chosen by the SOM */
	struct ferry_mig_vm vm;
	__u32 src_host;			/* 1..2^32-1 */
	__u8  src_pk[FERRY_WIRE_KEY_LEN];	/* the source SOA's identity key */
	__u32 dst_host;			/* 1..2^32-1, not src_host */
	__u64 issued_s;
	__u64 expires_s;		/* > issued_s */
	__u64 max_flows;		/* 1..FERRY_MIG_MAX_FLOWS */
	__u64 max_bytes;		/* bundle bytes, 1..FERRY_MIG_MAX_BYTES */
};

/* The order's body: 0 or -ENOBUFS (cap), -EINVAL (o breaks a rule above). */
int ferry_mig_order_encode(const struct ferry_mig_order *o, __u8 *out, size_t cap,
			   size_t *len);
/* Decode and check a body. 0 or -EBADMSG with "what: why" in err. */
int ferry_mig_order_decode(const __u8 *buf, size_t len, struct ferry_mig_order *o,
			   char *err, size_t errlen);

/* Sign o as the SOM (identity som) at now_ms into out (FERRY_MIG_ORDER_MAX
 * is enough). 0 or -errno. */
int ferry_mig_order_seal(const struct ferry_mig_order *o, const struct ferry_identity *som,
			 __u64 now_ms, __u8 *out, size_t cap, size_t *len);
/*
 * Verify an order envelope against the pinned SOM key and decode it.
 * 0; -EACCES (signature: FERRY_MIG_BAD_SIGNATURE) or -EBADMSG (malformed:
 * not an order envelope, a bad body, an envelope migration id that is not
 * the body's) with a message. *reason (may be NULL) gets the reason code.
 */
int ferry_mig_order_open(const __u8 *buf, size_t len, const __u8 som_pk[FERRY_WIRE_KEY_LEN],
			 struct ferry_mig_order *o, int *reason, char *err, size_t errlen);

/* A new random migration id. */
void ferry_mig_id_random(__u8 id[FERRY_MIG_ID_LEN]);
/* The envelope's 64-bit migration_id field: the id's first 8 bytes, BE. */
__u64 ferry_mig_id64(const __u8 id[FERRY_MIG_ID_LEN]);
/* The id as 32 hex digits and a NUL. */
void ferry_mig_id_hex(const __u8 id[FERRY_MIG_ID_LEN], char out[2 * FERRY_MIG_ID_LEN + 1]);

/* The export selection of exactly the order's VM. */
void ferry_mig_vm_selection(const struct ferry_mig_vm *vm, struct ferry_export_sel *sel);

/* "bad-signature", ... for enum ferry_mig_reason; "?" for others. */
const char *ferry_mig_reason_name(unsigned int reason);

/* Outcome of one side of a migration. */
struct ferry_mig_result {
	int reason;			/* enum ferry_mig_reason; 0: success */
	char msg[FERRY_MIG_ERR_MAX];	/* what happened, for logs and reports */
	__u64 flows;			/* flows in the bundle */
	__u64 chunks;
	__u64 bytes;			/* bundle bytes */
	/* destination: ferry_import's verdicts */
	__u64 count[FERRY_IMPORT_REASON_MAX];
	/* time per phase, ns: source export (table walk) and encode+sign;
	 * destination verify (signatures, hash, decode, VM check) and install */
	__u64 export_ns, sign_ns, verify_ns, install_ns;
};

#endif
