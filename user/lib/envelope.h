/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Signed envelopes: application messages that are relayed (orders by the
 * SOM, state chunks by the source SOA) carry their origin's Ed25519
 * signature end to end, so a relay cannot forge or alter them. Encoded as
 * a msgpack map (docs/protocol.md):
 *
 *	0 type  1 origin host id  2 migration id  3 sequence  4 timestamp ms
 *	5 body (bin)  6 signature (bin 64)
 *
 * The signature covers "ferry/v1 envelope" 0x00 || type (BE32) || origin
 * (BE32) || migration id (BE64) || sequence (BE64) || timestamp (BE64) ||
 * BLAKE2b-256(body).
 */
#ifndef FERRY_ENVELOPE_H
#define FERRY_ENVELOPE_H

#include <stddef.h>
#include <linux/types.h>
#include <ferry/wire.h>
#include "identity.h"

#define FERRY_ENVELOPE_ERR_MAX	128
/* Encoding overhead over the body, at most. */
#define FERRY_ENVELOPE_OVERHEAD	128
#define FERRY_ENVELOPE_BODY_MAX	(FERRY_WIRE_FRAME_MAX - 1024)

struct ferry_envelope {
	__u32 type;		/* application message type */
	__u32 origin;		/* host id of the signer (0: the SOM) */
	__u64 migration_id;
	__u64 seq;
	__u64 timestamp_ms;
	const __u8 *body;	/* on open: points into the buffer */
	size_t body_len;
};

/*
 * Sign e with id and encode it into out[0..cap). 0, -EMSGSIZE (body over
 * FERRY_ENVELOPE_BODY_MAX) or -ENOBUFS (cap; body_len +
 * FERRY_ENVELOPE_OVERHEAD is always enough).
 */
int ferry_envelope_seal(const struct ferry_envelope *e, const struct ferry_identity *id,
			__u8 *out, size_t cap, size_t *outlen);
/*
 * Decode buf[0..len) and verify its signature against pk. 0, -EBADMSG
 * (malformed) or -EACCES (bad signature), with a message.
 */
int ferry_envelope_open(const __u8 *buf, size_t len, const __u8 pk[FERRY_WIRE_KEY_LEN],
			struct ferry_envelope *e, char *err, size_t errlen);

#endif
