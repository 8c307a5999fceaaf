/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The control-plane wire protocol's constants, shared by the SOA, the SOM
 * and the TDE. docs/protocol.md specifies the format byte by byte.
 */
#ifndef FERRY_WIRE_H
#define FERRY_WIRE_H

/* Protocol versions this build speaks (negotiated in the handshake). */
#define FERRY_WIRE_VERSION_MIN		1
#define FERRY_WIRE_VERSION_MAX		1

/* A frame is a 4-byte big-endian body length, then the body. */
#define FERRY_WIRE_HDR_LEN		4
/* Hard maximum body length of any frame (after the handshake). */
#define FERRY_WIRE_FRAME_MAX		(1u << 20)
/* Maximum body length of a handshake frame (before authentication). */
#define FERRY_WIRE_HS_FRAME_MAX		512

/* Key and signature sizes (Ed25519, X25519). */
#define FERRY_WIRE_KEY_LEN		32
#define FERRY_WIRE_SIG_LEN		64
#define FERRY_WIRE_NONCE_LEN		32
#define FERRY_WIRE_HASH_LEN		32
/* AEAD tag (ChaCha20-Poly1305 IETF) appended to every sealed record. */
#define FERRY_WIRE_TAG_LEN		16

/* Default bound on the difference between the peers' clocks. */
#define FERRY_WIRE_MAX_SKEW_MS		(120u * 1000u)

/* Roles of a peer. */
enum ferry_role {
	FERRY_ROLE_SOA = 1,	/* State Orchestration Agent */
	FERRY_ROLE_TDE = 2,	/* Topology Discovery Engine */
	FERRY_ROLE_SOM = 3,	/* State Orchestration Master */
};

/*
 * Message types. 1..15 are handshake messages (key 0 of their msgpack
 * map); after the handshake, a record's first plaintext byte is its type.
 */
enum ferry_msg_type {
	FERRY_MSG_HELLO = 1,	/* both sides: identity, ephemeral key, ... */
	FERRY_MSG_AUTH = 2,	/* both sides: signature of the transcript */
	FERRY_MSG_RESULT = 3,	/* responder: accept or a refusal reason */
	FERRY_MSG_CLOSE = 16,	/* record: a clean end of the session */
	FERRY_MSG_APP_MIN = 32,	/* records: application messages from here */
	FERRY_MSG_REGISTER = 32,	/* SOA -> SOM: the host profile (F2) */
	FERRY_MSG_REGISTERED = 33,	/* SOM -> SOA: registration accepted */
	FERRY_MSG_HEARTBEAT = 34,	/* SOA -> SOM: alive, current load */
	FERRY_MSG_NOTIFY = 40,		/* TDE -> SOM: a VM moved (IF(M,T) F1) */
	/* migration orchestration (IF(M,A) F3, draft Figure 3) */
	FERRY_MSG_PREPARE = 48,		/* SOM -> destination: the order */
	FERRY_MSG_READY = 49,		/* destination -> SOM: order accepted */
	FERRY_MSG_REFUSED = 50,		/* destination -> SOM: order refused */
	FERRY_MSG_UPLOAD = 51,		/* SOM -> source: the order */
	FERRY_MSG_DATA = 52,		/* source -> SOM -> destination: envelope */
	FERRY_MSG_DONE = 53,		/* destination -> SOM: the result */
	FERRY_MSG_RELEASE = 54,		/* SOM -> source: installed there */
	FERRY_MSG_ABORT = 55,		/* SOM -> either: migration ended */
	FERRY_MSG_UPLOAD_FAILED = 56,	/* source -> SOM: cannot export */
	FERRY_MSG_MAX = 255,
};

/* Why a handshake was refused (RESULT) or a session closed (CLOSE). */
enum ferry_wire_reason {
	FERRY_REASON_OK = 0,		/* accepted / normal close */
	FERRY_REASON_MALFORMED = 1,	/* a message did not parse */
	FERRY_REASON_VERSION = 2,	/* no common protocol version */
	FERRY_REASON_SKEW = 3,		/* timestamp outside the skew bound */
	FERRY_REASON_BAD_SIGNATURE = 4,	/* a signature did not verify */
	FERRY_REASON_UNKNOWN_KEY = 5,	/* identity key not authorized */
	FERRY_REASON_ROLE = 6,		/* role not the authorized one */
	FERRY_REASON_HOST_ID = 7,	/* host id not the authorized one */
	FERRY_REASON_ADDRESS = 8,	/* source address not allowed */
	FERRY_REASON_LIMIT = 9,		/* a resource limit was hit */
	FERRY_REASON_PROTOCOL = 10,	/* message out of order */
	FERRY_REASON_INTERNAL = 11,	/* the responder failed */
	FERRY_WIRE_REASON_MAX = 11,	/* not FERRY_REASON_MAX: stats.h has it */
};

/*
 * Migration payloads (docs/migration.md): application message types of the
 * signed envelopes that carry them (envelope.h), end to end.
 */
enum ferry_mig_msg_type {
	FERRY_MSG_MIG_ORDER = 64,	/* the SOM's order, origin 0 */
	FERRY_MSG_MIG_CHUNK = 65,	/* the source's state bytes, seq 0..n-1 */
	FERRY_MSG_MIG_COMMIT = 66,	/* the source's commit, seq n */
};

/* Why a migration failed (or 0: it completed); sent in its result. */
enum ferry_mig_reason {
	FERRY_MIG_OK = 0,
	FERRY_MIG_MALFORMED = 1,		/* a payload did not decode */
	FERRY_MIG_BAD_SIGNATURE = 2,		/* order or chunk not signed by whom it must */
	FERRY_MIG_WRONG_DESTINATION = 3,	/* the order names another host */
	FERRY_MIG_EXPIRED = 4,			/* the order's expiry has passed */
	FERRY_MIG_ALREADY_DONE = 5,		/* this migration id was installed already */
	FERRY_MIG_CHUNK_MISSING = 6,		/* a chunk never came */
	FERRY_MIG_CHUNK_DUPLICATE = 7,		/* a chunk came twice */
	FERRY_MIG_CHUNK_OUT_OF_ORDER = 8,	/* a chunk came after a later one */
	FERRY_MIG_HASH_MISMATCH = 9,		/* the commit does not match the chunks */
	FERRY_MIG_FOREIGN_FLOW = 10,		/* a flow of another VM */
	FERRY_MIG_TABLE_FULL = 11,		/* the destination has no room */
	FERRY_MIG_TOO_LARGE = 12,		/* over the order's limits */
	FERRY_MIG_WRONG_MIGRATION = 13,		/* payload of another migration */
	FERRY_MIG_PROTOCOL = 14,		/* a payload where none may come */
	FERRY_MIG_WRONG_SOURCE = 15,		/* the order names another source */
	FERRY_MIG_INTERNAL = 16,		/* a local failure */
	FERRY_MIG_SOURCE_LOST = 17,		/* (SOM) the source disconnected */
	FERRY_MIG_DESTINATION_LOST = 18,	/* (SOM) the destination disconnected */
	FERRY_MIG_SOM_RESTARTED = 19,		/* (SOM) it restarted during the migration */
	FERRY_MIG_REASON_MAX = 19,
};

/* REGISTER and NOTIFY: an address entry is family (1 byte: 4 or 6) and 16
 * address bytes (IPv4 in the first 4, the rest zero). */
#define FERRY_WIRE_ADDR_LEN		17
#define FERRY_WIRE_HOST_ADDRS_MAX	16
#define FERRY_WIRE_VM_ADDRS_MAX		8
#define FERRY_WIRE_NAME_MAX		32

/* REGISTER functions, a bit set. */
#define FERRY_FN_FIREWALL		0x1
#define FERRY_FN_NAT			0x2	/* DNAT forwards */
#define FERRY_FN_POOLS			0x4	/* SNAT address/port pools */
#define FERRY_FN_ALL			0x7

#endif
