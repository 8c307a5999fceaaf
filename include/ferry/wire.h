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
