/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bodies of the source's signed envelopes (docs/migration.md), strict
 * msgpack maps:
 *
 *	CHUNK   0 migration id (bin 16)  1 data (bin): bundle bytes
 *	COMMIT  0 migration id (bin 16)  1 chunk count  2 total bytes
 *		3 flow count  4 hash (bin 32)
 *
 * hash = BLAKE2b-256(FERRY_MIG_HASH_LABEL 0x00 || data of chunk 0 || ...
 * || data of chunk n-1): the bundle's bytes.
 */
#ifndef FERRY_MIGPAYLOAD_H
#define FERRY_MIGPAYLOAD_H

#include <stddef.h>
#include <linux/types.h>
#include "migorder.h"
#include "mpk.h"

#define FERRY_MIG_HASH_LABEL	"ferry/v1 migration chunks"
/* A chunk body's bytes beyond its data, at most. */
#define FERRY_MIG_BODY_OVERHEAD	32

struct ferry_mig_commit {
	__u8  id[FERRY_MIG_ID_LEN];
	__u64 chunk_count;
	__u64 total_bytes;
	__u64 flow_count;
	__u8  hash[FERRY_WIRE_HASH_LEN];
};

void ferry_mig_chunk_body(struct ferry_mpk_buf *b, const __u8 id[FERRY_MIG_ID_LEN],
			  const __u8 *data, size_t len);
/* 0 or -EBADMSG with a message; *data points into buf. */
int ferry_mig_chunk_decode(const __u8 *buf, size_t len, __u8 id[FERRY_MIG_ID_LEN],
			   const __u8 **data, size_t *dlen, char *err, size_t errlen);

void ferry_mig_commit_body(struct ferry_mpk_buf *b, const struct ferry_mig_commit *c);
int ferry_mig_commit_decode(const __u8 *buf, size_t len, struct ferry_mig_commit *c,
			    char *err, size_t errlen);

#endif
