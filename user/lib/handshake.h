/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The handshake, as a state machine fed whole frame bodies (from a
 * ferry_frame_rx) and producing whole frames to send; it never touches a
 * socket. The initiator (SOA, TDE) pins the responder's (SOM's) identity
 * key; the responder (SOM) decides through a callback whether the
 * initiator's key, role and host id (and the source address the caller
 * knows) are authorized.
 *
 *	initiator                              responder
 *	HELLO  ------------------------------>	version, skew, authorize()
 *	       <------------------------------	HELLO, AUTH (signs H(m1,m2))
 *	checks pin, verifies AUTH
 *	AUTH   ------------------------------>	verifies (signs H(m1..m3))
 *	       <------------------------------	RESULT accept (signs H(m1..m4))
 *
 * A refusal is a signed RESULT with a reason in place of the responder's
 * next message. Session keys come from the X25519 secret of fresh ephemeral
 * keys and the transcript hash, one key per direction. docs/protocol.md
 * gives every byte.
 *
 * Use:
 *	ferry_hs_init(&hs, &cfg, initiator);
 *	loop: send ferry_hs_output() (then ferry_hs_output_done(n));
 *	      for each received frame body: ret = ferry_hs_recv(&hs, body, len);
 *	      ret 1: done, ferry_hs_keys() -> ferry_channel_init();
 *	      ret < 0: failed (ferry_hs_error(), ferry_hs_reason()); a
 *	      responder still flushes its output (the signed refusal), then closes.
 */
#ifndef FERRY_HANDSHAKE_H
#define FERRY_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <ferry/wire.h>
#include "identity.h"

#define FERRY_HS_ERR_MAX	256
#define FERRY_HS_OUT_MAX	1024
/* The transcript: its label and four messages with their headers. */
#define FERRY_HS_TRANSCRIPT_MAX	(32 + 4 * (FERRY_WIRE_HDR_LEN + FERRY_WIRE_HS_FRAME_MAX))

/* What the peer said about itself (valid once its HELLO was accepted). */
struct ferry_hs_peer {
	__u8 pk[FERRY_WIRE_KEY_LEN];	/* identity key */
	__u8 role;			/* enum ferry_role */
	__u32 host_id;
	__u32 version_min, version_max;	/* as offered */
	__u64 timestamp_ms;
};

/*
 * Responder only: 0 (FERRY_REASON_OK) to accept the peer, or a refusal
 * reason (enum ferry_wire_reason) with a message for the log in why.
 */
typedef int (*ferry_hs_authorize_fn)(void *ctx, const struct ferry_hs_peer *peer,
				     char *why, size_t whylen);

struct ferry_hs_config {
	const struct ferry_identity *id;	/* ours; must outlive the hs */
	__u8 role;				/* enum ferry_role */
	__u32 host_id;				/* 0 for the SOM */
	__u32 version_min, version_max;		/* 0, 0: this build's range */
	__u64 max_skew_ms;			/* 0: FERRY_WIRE_MAX_SKEW_MS */
	/* initiator: the responder's expected identity key */
	const __u8 *pinned_pk;
	/* responder: the authorization policy */
	ferry_hs_authorize_fn authorize;
	void *ctx;
	/* tests and known answers only: NULL for the real clock / randomness */
	__u64 (*now_ms)(void *ctx);
	void (*random)(void *ctx, void *buf, size_t len);
};

/* The result: keys for ferry_channel_init(). */
struct ferry_session_keys {
	__u8 tx[32];			/* our direction */
	__u8 rx[32];			/* the peer's direction */
	__u8 th[FERRY_WIRE_HASH_LEN];	/* the final transcript hash */
	__u32 version;			/* negotiated */
};

enum ferry_hs_state {		/* private */
	FERRY_HS_I_WAIT_HELLO,
	FERRY_HS_I_WAIT_AUTH,
	FERRY_HS_I_WAIT_RESULT,
	FERRY_HS_R_WAIT_HELLO,
	FERRY_HS_R_WAIT_AUTH,
	FERRY_HS_DONE,
	FERRY_HS_FAILED,
};

struct ferry_hs {		/* fields are private */
	struct ferry_hs_config cfg;
	enum ferry_hs_state state;
	bool initiator;
	__u32 version;
	__u8 eph_sk[32];
	__u8 eph_pk[32];
	__u8 peer_eph[32];
	/* kept whole rather than as a running hash state: libsodium's state
	 * wants 64-byte alignment, which a malloc'ed connection lacks */
	__u8 th[FERRY_HS_TRANSCRIPT_MAX];
	size_t th_len;
	struct ferry_hs_peer peer;
	struct ferry_session_keys keys;
	int reason;
	char err[FERRY_HS_ERR_MAX];
	__u8 out[FERRY_HS_OUT_MAX];
	size_t out_len;
	size_t out_off;
};

/*
 * Set up one side for one connection. The initiator queues its HELLO at
 * once. 0 or -EINVAL (bad config, message in ferry_hs_error()).
 */
int ferry_hs_init(struct ferry_hs *hs, const struct ferry_hs_config *cfg,
		  bool initiator);
/*
 * One received frame body. 0: continue; 1: done, keys ready; < 0: failed
 * (-EBADMSG malformed, -EPROTO out of order, -EACCES refused or not
 * authentic, -ETIME skew, -EPROTONOSUPPORT version).
 */
int ferry_hs_recv(struct ferry_hs *hs, const __u8 *body, size_t len);
/* Bytes to send (whole frames with their headers), and how many were sent. */
const __u8 *ferry_hs_output(const struct ferry_hs *hs, size_t *len);
void ferry_hs_output_done(struct ferry_hs *hs, size_t n);

bool ferry_hs_done(const struct ferry_hs *hs);
/* Keys of a done handshake; -EAGAIN before. */
int ferry_hs_keys(const struct ferry_hs *hs, struct ferry_session_keys *keys);
const struct ferry_hs_peer *ferry_hs_peer(const struct ferry_hs *hs);
/* Why it failed, and the wire reason (sent or received in a RESULT). */
const char *ferry_hs_error(const struct ferry_hs *hs);
int ferry_hs_reason(const struct ferry_hs *hs);
/* Wipe secrets. */
void ferry_hs_wipe(struct ferry_hs *hs);

const char *ferry_wire_reason_name(int reason);
const char *ferry_role_name(int role);

#endif
