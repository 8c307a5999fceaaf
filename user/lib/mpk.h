/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Strict MessagePack for the control protocol's messages: one map whose
 * keys are the small integers 0..n-1 and whose values are unsigned
 * integers or binaries. Every key is required, none may repeat, nothing may
 * follow the map. The writer always uses the shortest encoding.
 */
#ifndef FERRY_MPK_H
#define FERRY_MPK_H

#include <stddef.h>
#include <linux/types.h>

#define FERRY_MPK_MAX_FIELDS	16

enum ferry_mpk_kind {
	FERRY_MPK_UINT,		/* an integer in [0, max] */
	FERRY_MPK_BIN,		/* a binary of min..max bytes */
};

/* Field i of a schema is the value at key i. */
struct ferry_mpk_field {
	const char *name;
	enum ferry_mpk_kind kind;
	__u64 min;		/* BIN: minimum length */
	__u64 max;		/* UINT: maximum value; BIN: maximum length */
};

struct ferry_mpk_value {
	__u64 u;		/* UINT */
	const __u8 *bin;	/* BIN: points into the decoded buffer */
	__u32 len;
};

/*
 * Decode buf[0..len) as a map of n fields (n <= FERRY_MPK_MAX_FIELDS) into
 * vals[0..n). 0, or -EBADMSG / -ERANGE with "what: why" in err.
 */
int ferry_mpk_decode(const __u8 *buf, size_t len,
		     const struct ferry_mpk_field *fields, unsigned int n,
		     struct ferry_mpk_value *vals, char *err, size_t errlen);

/* An output buffer; a write past cap sets overflow and writes nothing. */
struct ferry_mpk_buf {
	__u8 *p;
	size_t len;
	size_t cap;
	int overflow;
};

void ferry_mpk_init(struct ferry_mpk_buf *b, void *p, size_t cap);
void ferry_mpk_put_map(struct ferry_mpk_buf *b, __u32 n);
void ferry_mpk_put_array(struct ferry_mpk_buf *b, __u32 n);
void ferry_mpk_put_uint(struct ferry_mpk_buf *b, __u64 v);
void ferry_mpk_put_bin(struct ferry_mpk_buf *b, const void *data, __u32 len);

#endif
