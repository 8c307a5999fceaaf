/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The state bundle: tracked flows serialised for migration to another host
 * (MessagePack, schema in docs/state-format.md). A bundle is a header and
 * chunks of flow records; times travel as remaining lifetime and ages, never
 * as the sender's clock.
 *
 * The encoder streams: it holds one chunk at a time and hands finished bytes
 * to a write callback. The decoder treats its input as untrusted: every
 * deviation from the schema is an error (negative errno and a message naming
 * what is wrong), with hard limits on every size. It delivers flows as they
 * are decoded, so a caller that must not act on a partly valid bundle
 * collects them first (ferry_sc_decode_seq_into(), or a bundle_end
 * callback: bundleio.h).
 */
#ifndef FERRY_STATECODEC_H
#define FERRY_STATECODEC_H

#include <stddef.h>
#include <sys/types.h>
#include "ferry/layout.h"

#define FERRY_SC_VERSION		2	/* written; 1 and 2 are read */
#define FERRY_SC_VERSION_MIN		1

/* Header flags. */
#define FERRY_SC_F_ZLIB			0x01	/* chunk payloads are zlib streams */

/* Fixed bounds of the schema (not tunable: part of the format). */
#define FERRY_SC_HOST_MAX		255	/* bytes of the source host id */
#define FERRY_SC_MAX_REMAINING_MS	(30ull * 24 * 3600 * 1000)	/* 30 days */
#define FERRY_SC_MAX_AGE_MS		(10ull * 366 * 24 * 3600 * 1000)	/* ~10 years */
#define FERRY_SC_MAX_WSCALE		14

/* Default decoder limits and encoder chunk size. */
#define FERRY_SC_DEF_CHUNK_ENTRIES	1024
#define FERRY_SC_DEF_MAX_CHUNK_ENTRIES	65536
#define FERRY_SC_DEF_MAX_CHUNK_BYTES	(16u << 20)
#define FERRY_SC_DEF_MAX_RAW_BYTES	(16u << 20)
#define FERRY_SC_DEF_MAX_FLOWS		(16u << 20)

#define FERRY_SC_ERR_MAX		160	/* room for any error message */

/*
 * Key numbers of the three maps of the schema (docs/state-format.md). They
 * never change meaning; a new schema version may only add keys.
 */
enum ferry_sc_header_key {
	FERRY_SC_H_VERSION = 0,
	FERRY_SC_H_HOST,
	FERRY_SC_H_CREATED_MS,
	FERRY_SC_H_FLOW_COUNT,
	FERRY_SC_H_CHUNK_COUNT,
	FERRY_SC_H_FLAGS,
	FERRY_SC_H_NKEYS,
};

enum ferry_sc_chunk_key {
	FERRY_SC_C_SEQ = 0,
	FERRY_SC_C_COUNT,
	FERRY_SC_C_PAYLOAD,
	FERRY_SC_C_RAW_LEN,	/* compressed bundles only */
	FERRY_SC_C_NKEYS,
};

enum ferry_sc_flow_key {
	FERRY_SC_E_ZONE = 0,
	FERRY_SC_E_FAMILY,
	FERRY_SC_E_PROTO,
	FERRY_SC_E_SRC,
	FERRY_SC_E_DST,
	FERRY_SC_E_SPORT,
	FERRY_SC_E_DPORT,
	FERRY_SC_E_STATE,
	FERRY_SC_E_FLAGS,
	FERRY_SC_E_REMAINING_MS,
	FERRY_SC_E_AGE_MS,
	FERRY_SC_E_IDLE_MS,
	FERRY_SC_E_ORIG_PACKETS,
	FERRY_SC_E_ORIG_BYTES,
	FERRY_SC_E_REPLY_PACKETS,
	FERRY_SC_E_REPLY_BYTES,
	FERRY_SC_E_TCP_ORIG,	/* TCP only: [end, maxend, maxwin, maxack, wscale, flags] */
	FERRY_SC_E_TCP_REPLY,
	FERRY_SC_E_RULE_ID,
	FERRY_SC_E_NAT,		/* version 2: the flow's NAT binding, if it has one */
	FERRY_SC_E_NKEYS,
};

/* One flow as the bundle carries it (the wire record, decoded). */
struct ferry_sc_tcp {
	__u32 end;
	__u32 maxend;
	__u32 maxwin;
	__u32 maxack;
	__u8  wscale;
	__u8  flags;		/* FERRY_TCP_F_* */
};

struct ferry_sc_flow {
	__u32 zone;
	__u8  family;		/* FERRY_AF_INET / FERRY_AF_INET6 */
	__u8  proto;
	__u8  state;		/* enum ferry_ct_state */
	__u8  flags;		/* FERRY_FLOW_F_* */
	__u8  src[16];		/* the originator's direction; IPv4: 4 bytes used */
	__u8  dst[16];
	__u16 sport;		/* host order */
	__u16 dport;
	__u64 remaining_ms;	/* until expiry */
	__u64 age_ms;		/* since creation */
	__u64 idle_ms;		/* since the last packet */
	__u64 packets[2];	/* indexed by enum ferry_dir */
	__u64 bytes[2];
	struct ferry_sc_tcp tcp[2];	/* TCP only; indexed by enum ferry_dir */
	__u32 rule_id;
	/* NAT: kind 0 none; else the original direction's tuple as it leaves
	 * the firewall (addresses as src/dst; ports host order). */
	__u8  nat_kind;		/* FERRY_NAT_SNAT | FERRY_NAT_DNAT */
	__u8  nat_src[16];
	__u8  nat_dst[16];
	__u16 nat_sport;
	__u16 nat_dport;
};

/*
 * Record of the table entry (k, f) at now_ns (CLOCK_MONOTONIC). Times past
 * the schema's bounds are clamped to them (a flow expired before now has 0
 * remaining). Returns 0, or -EINVAL if the key is not one the datapath
 * makes (unknown family, IPv4 address with bytes beyond the fourth).
 */
int ferry_sc_flow_from_entry(const struct ferry_flow_key *k,
			     const struct ferry_flow *f, __u64 now_ns,
			     struct ferry_sc_flow *r);

/*
 * Table entry of the record r at now_ns: the canonical key as bpf/lib/ct.h
 * builds it (lower endpoint first), expires = now + remaining, created =
 * now - age, last seen = now - idle (both floored at 0). The lock is zero;
 * flags are r's (the importer adds FERRY_FLOW_F_IMPORTED if it wants it).
 */
void ferry_sc_flow_to_entry(const struct ferry_sc_flow *r, __u64 now_ns,
			    struct ferry_flow_key *k, struct ferry_flow *f);

/* Does r satisfy the schema's rules on values? 0 or -errno and a message. */
int ferry_sc_flow_check(const struct ferry_sc_flow *r, char *err, size_t errlen);

/* ---- Encoder ---- */

/* Take len bytes; 0 or -errno (which the encoder returns). */
typedef int (*ferry_sc_write_fn)(void *ctx, const void *buf, size_t len);

struct ferry_sc_enc_opts {
	const char *host;	/* source host id: 1..255 bytes, 0x21..0x7e */
	__u64 created_ms;	/* unix time in ms; 0: now */
	__u64 flow_count;	/* exactly this many flows will be added */
	__u32 chunk_entries;	/* flows per chunk; 0: FERRY_SC_DEF_CHUNK_ENTRIES */
	int zlib_level;		/* 0: no compression; 1..9: zlib level */
	ferry_sc_write_fn write;
	void *ctx;
};

struct ferry_sc_enc;

/* Write the header; NULL with errno set (and a message in err) on error. */
struct ferry_sc_enc *ferry_sc_enc_new(const struct ferry_sc_enc_opts *o,
				      char *err, size_t errlen);
/* Add one flow; every chunk_entries flows a chunk is written. */
int ferry_sc_enc_add(struct ferry_sc_enc *e, const struct ferry_sc_flow *r);
/* Add the table entry (k, f) as it is at now_ns. */
int ferry_sc_enc_add_entry(struct ferry_sc_enc *e, const struct ferry_flow_key *k,
			   const struct ferry_flow *f, __u64 now_ns);
/* Write the last chunk; -EINVAL unless flow_count flows were added. */
int ferry_sc_enc_finish(struct ferry_sc_enc *e);
/* The message of the last error of e. */
const char *ferry_sc_enc_error(const struct ferry_sc_enc *e);
void ferry_sc_enc_free(struct ferry_sc_enc *e);

/* ---- Decoder ---- */

struct ferry_sc_limits {
	__u64 max_flows;		/* header flow count */
	__u32 max_chunk_entries;	/* entries of one chunk */
	__u32 max_chunk_bytes;		/* payload bytes of one chunk as sent */
	__u32 max_raw_bytes;		/* payload bytes after decompression */
};

void ferry_sc_limits_default(struct ferry_sc_limits *l);

struct ferry_sc_header {
	__u32 version;
	char  host[FERRY_SC_HOST_MAX + 1];
	__u64 created_ms;
	__u64 flow_count;
	__u64 chunk_count;
	__u32 flags;
};

/* Up to len bytes into buf: the count (0 at the end of input) or -errno. */
typedef ssize_t (*ferry_sc_read_fn)(void *ctx, void *buf, size_t len);

struct ferry_sc_dec_ops {
	ferry_sc_read_fn read;
	/* Called once the header is valid; non-zero stops the decoder. */
	int (*header)(void *ctx, const struct ferry_sc_header *h);
	/* Called for each valid flow; non-zero stops the decoder. */
	int (*entry)(void *ctx, const struct ferry_flow_key *k,
		     const struct ferry_flow *f);
	/* Called once a whole bundle (h its header) is valid, after its
	 * entries; non-zero stops the decoder. */
	int (*bundle_end)(void *ctx, const struct ferry_sc_header *h);
	void *ctx;
};

/*
 * Decode a whole bundle from ops->read, entries converted at now_ns.
 * lim NULL: the defaults. Returns 0; a callback's non-zero value; or -errno
 * with a message in err: -EBADMSG (not the schema: types, keys, enums,
 * flag bits, counts, truncation, trailing bytes), -ERANGE (a number out of
 * its range), -E2BIG (over a limit), -EPROTONOSUPPORT (schema version),
 * -EOPNOTSUPP (a reserved feature: NAT bindings), -ENOMEM, or the read
 * callback's error. Entries delivered before an error belong to a bundle
 * that is invalid as a whole.
 */
int ferry_sc_decode(const struct ferry_sc_dec_ops *ops,
		    const struct ferry_sc_limits *lim, __u64 now_ns,
		    char *err, size_t errlen);

/* The same over a buffer. */
int ferry_sc_decode_buf(const void *buf, size_t len,
			const struct ferry_sc_dec_ops *ops,
			const struct ferry_sc_limits *lim, __u64 now_ns,
			char *err, size_t errlen);

/*
 * Bundles back to back from ops->read, each decoded as by ferry_sc_decode,
 * to the end of the input: at least one, the input ending where one does.
 * Errors name the bundle ("bundle 2 chunk 0: ..."); the bundles before it
 * were valid, each ended by its ops->bundle_end.
 */
int ferry_sc_decode_seq(const struct ferry_sc_dec_ops *ops,
			const struct ferry_sc_limits *lim, __u64 now_ns,
			char *err, size_t errlen);

/* Caller-provided room for the flows of bundles. */
struct ferry_sc_array {
	struct ferry_flow_key *keys;
	struct ferry_flow *flows;
	__u64 cap;
	__u64 n;		/* flows held */
	struct ferry_sc_header hdr;	/* out: the last bundle's header */
};

/* Take the flows a->keys[first..first + n) of a bundle just decoded and
 * found valid whole; non-zero stops the decoder. */
typedef int (*ferry_sc_bundle_fn)(void *ctx, __u64 first, __u64 n);

/*
 * Bundles back to back from read, as ferry_sc_decode_seq reads them,
 * decoded into a after the a->n flows it holds, each handed to bundle_end
 * once it is whole and valid. A header announcing more flows than a has
 * room for fails with -ENOSPC before its chunks are read ("bundle 1
 * header: 40 flows, room for 39"). On any error a->n is as it was.
 */
int ferry_sc_decode_seq_stream(ferry_sc_read_fn read, void *rctx,
			       const struct ferry_sc_limits *lim, __u64 now_ns,
			       struct ferry_sc_array *a, ferry_sc_bundle_fn bundle_end,
			       void *ctx, char *err, size_t errlen);

/*
 * Decode bundles back to back in buf[0..len) into a (a migration's payload:
 * at least one, nothing after the last), each checked as by
 * ferry_sc_decode against lim: a->n is the flows of all of them, if every
 * one is valid. Errors name the bundle: "bundle 2 chunk 0: ...".
 */
int ferry_sc_decode_seq_into(const void *buf, size_t len,
			     const struct ferry_sc_limits *lim, __u64 now_ns,
			     struct ferry_sc_array *a, char *err, size_t errlen);

/* The same, after the a->n flows a holds already, the bundles numbered
 * from first in errors; a->n is left as it was unless every bundle is
 * valid. */
int ferry_sc_decode_seq_append(const void *buf, size_t len,
			       const struct ferry_sc_limits *lim, __u64 now_ns,
			       __u64 first, struct ferry_sc_array *a, char *err,
			       size_t errlen);

/*
 * Where the first bundle of buf[0..len) ends, without decoding it (its
 * chunks' payloads are skipped): its length in bytes; 0 if the bytes end
 * before the bundle does; -EBADMSG if it cannot be a bundle. *flows: its
 * header's flow_count once the header is read, else 0. Validates nothing
 * else: decode the bytes afterwards.
 */
ssize_t ferry_sc_bundle_len(const void *buf, size_t len, __u64 *flows);

#endif
