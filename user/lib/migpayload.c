// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Chunk and commit bodies; see migpayload.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "envelope.h"
#include "migpayload.h"

enum { C_ID, C_DATA, C_NFIELDS };
static const struct ferry_mpk_field chunk_fields[C_NFIELDS] = {
	{ "migration_id", FERRY_MPK_BIN, FERRY_MIG_ID_LEN, FERRY_MIG_ID_LEN },
	{ "data", FERRY_MPK_BIN, 1, FERRY_ENVELOPE_BODY_MAX },
};

enum { M_ID, M_CHUNKS, M_BYTES, M_FLOWS, M_HASH, M_NFIELDS };
static const struct ferry_mpk_field commit_fields[M_NFIELDS] = {
	{ "migration_id", FERRY_MPK_BIN, FERRY_MIG_ID_LEN, FERRY_MIG_ID_LEN },
	{ "chunk_count", FERRY_MPK_UINT, 0, ~0ull },
	{ "total_bytes", FERRY_MPK_UINT, 0, ~0ull },
	{ "flow_count", FERRY_MPK_UINT, 0, ~0ull },
	{ "hash", FERRY_MPK_BIN, FERRY_WIRE_HASH_LEN, FERRY_WIRE_HASH_LEN },
};

void ferry_mig_chunk_body(struct ferry_mpk_buf *b, const __u8 id[FERRY_MIG_ID_LEN],
			  const __u8 *data, size_t len)
{
	ferry_mpk_put_map(b, C_NFIELDS);
	ferry_mpk_put_uint(b, C_ID);
	ferry_mpk_put_bin(b, id, FERRY_MIG_ID_LEN);
	ferry_mpk_put_uint(b, C_DATA);
	ferry_mpk_put_bin(b, data, len);
}

int ferry_mig_chunk_decode(const __u8 *buf, size_t len, __u8 id[FERRY_MIG_ID_LEN],
			   const __u8 **data, size_t *dlen, char *err, size_t errlen)
{
	struct ferry_mpk_value v[C_NFIELDS];
	char why[FERRY_MIG_ERR_MAX];

	if (ferry_mpk_decode(buf, len, chunk_fields, C_NFIELDS, v, why, sizeof(why))) {
		snprintf(err, errlen, "chunk: %s", why);
		return -EBADMSG;
	}
	memcpy(id, v[C_ID].bin, FERRY_MIG_ID_LEN);
	*data = v[C_DATA].bin;
	*dlen = v[C_DATA].len;
	return 0;
}

void ferry_mig_commit_body(struct ferry_mpk_buf *b, const struct ferry_mig_commit *c)
{
	ferry_mpk_put_map(b, M_NFIELDS);
	ferry_mpk_put_uint(b, M_ID);
	ferry_mpk_put_bin(b, c->id, FERRY_MIG_ID_LEN);
	ferry_mpk_put_uint(b, M_CHUNKS);
	ferry_mpk_put_uint(b, c->chunk_count);
	ferry_mpk_put_uint(b, M_BYTES);
	ferry_mpk_put_uint(b, c->total_bytes);
	ferry_mpk_put_uint(b, M_FLOWS);
	ferry_mpk_put_uint(b, c->flow_count);
	ferry_mpk_put_uint(b, M_HASH);
	ferry_mpk_put_bin(b, c->hash, FERRY_WIRE_HASH_LEN);
}

int ferry_mig_commit_decode(const __u8 *buf, size_t len, struct ferry_mig_commit *c,
			    char *err, size_t errlen)
{
	struct ferry_mpk_value v[M_NFIELDS];
	char why[FERRY_MIG_ERR_MAX];

	if (ferry_mpk_decode(buf, len, commit_fields, M_NFIELDS, v, why, sizeof(why))) {
		snprintf(err, errlen, "commit: %s", why);
		return -EBADMSG;
	}
	memcpy(c->id, v[M_ID].bin, FERRY_MIG_ID_LEN);
	c->chunk_count = v[M_CHUNKS].u;
	c->total_bytes = v[M_BYTES].u;
	c->flow_count = v[M_FLOWS].u;
	memcpy(c->hash, v[M_HASH].bin, FERRY_WIRE_HASH_LEN);
	return 0;
}
