// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * State bundle decoder. The input is untrusted, so it is read with a small
 * strict MessagePack reader of our own rather than msgpack-c's unpacker
 * (which builds object trees and takes duplicate keys): the schema has no
 * recursion, so neither has the reader; no count from the input sizes an
 * allocation before a limit bounds it; duplicate map keys are seen; and
 * every error names the chunk,
 * entry and key it is about. Any integer format (fixint, uint8..64,
 * int8..64) is accepted for a non-negative value.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <msgpack.h>
#include <zlib.h>
#include "statecodec.h"

#define STREAM_BUF	4096

/* Bytes being decoded: a buffer, refilled from a read callback if any. */
struct sc_in {
	const __u8 *p;
	const __u8 *end;
	ferry_sc_read_fn read;	/* NULL: nothing beyond end */
	void *ctx;
	__u8 *buf;		/* STREAM_BUF bytes when read is set */
	int read_err;		/* the read callback's error */
};

struct sc_dec {
	struct sc_in *in;
	const struct ferry_sc_limits *lim;
	const struct ferry_sc_dec_ops *ops;
	__u64 now_ns;
	long long bundle;	/* -1: one bundle; else its place in a sequence */
	long long chunk;	/* -1: the header; -2: the bundle's end */
	long long entry;	/* -1: not in an entry */
	int key;		/* -1: not in a value */
	const char *item;	/* what is being read when not a value */
	const char *const *names;	/* key names of the current map */
	char *err;
	size_t errlen;
	struct ferry_sc_header hdr;
	__u8 *pay;		/* a chunk's payload as received */
	size_t pay_cap;
	__u8 *raw;		/* decompressed payload */
	size_t raw_cap;
	z_stream zs;
	int zinit;
};

static const char *const header_names[] = {
	"version", "host", "created_ms", "flow_count", "chunk_count", "flags",
};
static const char *const chunk_names[] = {
	"seq", "count", "payload", "raw_len",
};
static const char *const flow_names[] = {
	"zone", "family", "proto", "src", "dst", "sport", "dport", "state",
	"flags", "remaining_ms", "age_ms", "idle_ms", "orig_packets",
	"orig_bytes", "reply_packets", "reply_bytes", "tcp_orig", "tcp_reply",
	"rule_id", "nat",
};

static int fail(struct sc_dec *d, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "<where>: <what>", where is the header, a chunk or a chunk's entry (of
 * bundle N in a sequence). */
static int fail(struct sc_dec *d, int ret, const char *fmt, ...)
{
	char msg[FERRY_SC_ERR_MAX], where[32] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!d->err || !d->errlen)
		return ret;
	if (d->bundle >= 0)
		snprintf(where, sizeof(where), "bundle %lld ", d->bundle);
	if (d->chunk == -2)
		snprintf(d->err, d->errlen, "%sbundle: %s", where, msg);
	else if (d->chunk < 0)
		snprintf(d->err, d->errlen, "%sheader: %s", where, msg);
	else if (d->entry < 0)
		snprintf(d->err, d->errlen, "%schunk %lld: %s", where, d->chunk, msg);
	else
		snprintf(d->err, d->errlen, "%schunk %lld entry %lld: %s", where,
			 d->chunk, d->entry, msg);
	return ret;
}

/* "key 7 (state)", or the item ("map key", "payload") being read. */
static const char *what(const struct sc_dec *d, char *buf, size_t len)
{
	if (d->key < 0)
		return d->item;
	snprintf(buf, len, "key %d (%s)", d->key, d->names[d->key]);
	return buf;
}

/* Refill so that n bytes are available at in->p (n <= STREAM_BUF). */
static int in_refill(struct sc_dec *d, size_t n)
{
	struct sc_in *in = d->in;
	size_t have = in->end - in->p;
	ssize_t got;

	if (have >= n)
		return 0;
	if (!in->read)
		return fail(d, -EBADMSG, "truncated");
	memmove(in->buf, in->p, have);
	in->p = in->buf;
	in->end = in->buf + have;
	while ((size_t)(in->end - in->p) < n) {
		got = in->read(in->ctx, (__u8 *)in->end, STREAM_BUF - have);
		if (got < 0) {
			in->read_err = (int)got;
			return fail(d, (int)got, "read: %s", strerror((int)-got));
		}
		if (!got)
			return fail(d, -EBADMSG, "truncated");
		in->end += got;
		have += got;
	}
	return 0;
}

/* Make n bytes available at in->p: the common case inline. */
static inline int in_fill(struct sc_dec *d, size_t n)
{
	if ((size_t)(d->in->end - d->in->p) >= n)
		return 0;
	return in_refill(d, n);
}

/* Copy len bytes to dst, beyond the buffer straight from the callback. */
static int in_copy(struct sc_dec *d, __u8 *dst, size_t len)
{
	struct sc_in *in = d->in;
	size_t have = in->end - in->p, n = have < len ? have : len;
	ssize_t got;

	memcpy(dst, in->p, n);
	in->p += n;
	for (; n < len; n += got) {
		if (!in->read)
			return fail(d, -EBADMSG, "truncated");
		got = in->read(in->ctx, dst + n, len - n);
		if (got < 0)
			return fail(d, (int)got, "read: %s", strerror((int)-got));
		if (!got)
			return fail(d, -EBADMSG, "truncated");
	}
	return 0;
}

static const char *kind_name(__u8 b)
{
	if (b <= 0x7f || (b >= 0xcc && b <= 0xd3))
		return "an integer";
	if (b >= 0xe0)
		return "a negative integer";
	if (b <= 0x8f || b == 0xde || b == 0xdf)
		return "a map";
	if (b <= 0x9f || b == 0xdc || b == 0xdd)
		return "an array";
	if (b <= 0xbf || (b >= 0xd9 && b <= 0xdb))
		return "a string";
	switch (b) {
	case 0xc0:
		return "nil";
	case 0xc2:
	case 0xc3:
		return "a boolean";
	case 0xc4:
	case 0xc5:
	case 0xc6:
		return "a binary";
	case 0xca:
	case 0xcb:
		return "a float";
	case 0xc1:
		return "the never-used byte 0xc1";
	default:
		return "an extension";
	}
}

static int wrong_type(struct sc_dec *d, __u8 b, const char *expected)
{
	char buf[48];

	return fail(d, -EBADMSG, "%s is %s, expected %s", what(d, buf, sizeof(buf)),
		    kind_name(b), expected);
}

static __u64 be(const __u8 *p, int n)
{
	__u64 v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Over its range: out of line, the common path keeps no buffer. */
static __attribute__((noinline, cold)) int over_max(struct sc_dec *d, __u64 v,
						    __u64 max)
{
	char buf[48];

	return fail(d, -ERANGE, "%s: %llu over %llu", what(d, buf, sizeof(buf)),
		    (unsigned long long)v, (unsigned long long)max);
}

/* rd_uint the long way: near the end of the input, signed forms, errors. */
static __attribute__((noinline)) int rd_uint_slow(struct sc_dec *d, __u64 max,
						  __u64 *v)
{
	static const __u8 width[8] = { 1, 2, 4, 8, 1, 2, 4, 8 };
	int ret, n;
	__u8 b;

	ret = in_fill(d, 1);
	if (ret)
		return ret;
	b = *d->in->p;
	if (b <= 0x7f) {
		d->in->p++;
		*v = b;
	} else if (b >= 0xcc && b <= 0xd3) {
		n = width[b - 0xcc];
		ret = in_fill(d, 1 + n);
		if (ret)
			return ret;
		*v = be(d->in->p + 1, n);
		if (b >= 0xd0 && (*v >> (8 * n - 1)))
			return wrong_type(d, 0xff, "an unsigned integer");
		d->in->p += 1 + n;
	} else {
		return wrong_type(d, b, "an unsigned integer");
	}
	return *v > max ? over_max(d, *v, max) : 0;
}

static inline __u64 be16(const __u8 *p)
{
	__u16 v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}

static inline __u64 be32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap32(v);
}

static inline __u64 be64(const __u8 *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}

/*
 * A non-negative integer <= max. Inline for an unsigned one whose 9 bytes
 * at most are in the buffer (nearly all of a chunk's); the rest, the
 * signed forms and every error, rd_uint_slow reads again.
 */
static inline int rd_uint(struct sc_dec *d, __u64 max, __u64 *v)
{
	const __u8 *p = d->in->p;
	__u64 x;

	if (__builtin_expect(d->in->end - p < 9, 0))
		return rd_uint_slow(d, max, v);
	switch (*p) {
	case 0x00 ... 0x7f:
		x = *p;
		p += 1;
		break;
	case 0xcc:
		x = p[1];
		p += 2;
		break;
	case 0xcd:
		x = be16(p + 1);
		p += 3;
		break;
	case 0xce:
		x = be32(p + 1);
		p += 5;
		break;
	case 0xcf:
		x = be64(p + 1);
		p += 9;
		break;
	default:
		return rd_uint_slow(d, max, v);
	}
	if (__builtin_expect(x > max, 0))
		return rd_uint_slow(d, max, v);
	d->in->p = p;
	*v = x;
	return 0;
}

/* A container header of kind (0x80 map, 0x90 array): its count. */
static int rd_count(struct sc_dec *d, __u8 fix, __u8 b16, const char *expected,
		    __u32 *count)
{
	int ret;
	__u8 b;

	ret = in_fill(d, 1);
	if (ret)
		return ret;
	b = *d->in->p;
	if ((b & 0xf0) == fix) {
		*count = b & 0x0f;
		d->in->p++;
		return 0;
	}
	if (b != b16 && b != b16 + 1)
		return wrong_type(d, b, expected);
	ret = in_fill(d, b == b16 ? 3 : 5);
	if (ret)
		return ret;
	*count = be(d->in->p + 1, b == b16 ? 2 : 4);
	d->in->p += b == b16 ? 3 : 5;
	return 0;
}

static int rd_map(struct sc_dec *d, __u32 *n)
{
	return rd_count(d, 0x80, 0xde, "a map", n);
}

static int rd_array(struct sc_dec *d, __u32 *n)
{
	return rd_count(d, 0x90, 0xdc, "an array", n);
}

/* A str (is_str) or bin header: the length of the bytes that follow. */
static int rd_blob(struct sc_dec *d, int is_str, __u32 *len)
{
	__u8 b, first = is_str ? 0xd9 : 0xc4;
	int ret, n;

	ret = in_fill(d, 1);
	if (ret)
		return ret;
	b = *d->in->p;
	if (is_str && (b & 0xe0) == 0xa0) {
		*len = b & 0x1f;
		d->in->p++;
		return 0;
	}
	if (b < first || b > first + 2)
		return wrong_type(d, b, is_str ? "a string" : "a binary");
	n = 1 << (b - first);
	ret = in_fill(d, 1 + n);
	if (ret)
		return ret;
	*len = be(d->in->p + 1, n);
	d->in->p += 1 + n;
	return 0;
}

/* The next map key: a known, not yet seen key number. */
static inline int rd_key(struct sc_dec *d, unsigned int nkeys, __u32 *seen,
			 int *key)
{
	__u64 k;
	int ret;

	*key = d->key = -1;
	ret = rd_uint(d, ~0ull, &k);
	if (ret)
		return ret;
	if (k >= nkeys)
		return fail(d, -EBADMSG, "unknown key %llu", (unsigned long long)k);
	if (*seen & (1u << k))
		return fail(d, -EBADMSG, "duplicate key %llu", (unsigned long long)k);
	*seen |= 1u << k;
	*key = d->key = (int)k;
	return 0;
}

static int missing(struct sc_dec *d, __u32 seen, __u32 need)
{
	int k = __builtin_ctz(need & ~seen);

	return fail(d, -EBADMSG, "missing key %d (%s)", k, d->names[k]);
}

/* The header of the map of item, with at most nkeys pairs. */
static int map_size(struct sc_dec *d, const char *item, unsigned int nkeys,
		    __u32 *n)
{
	int ret;

	d->key = -1;
	d->item = item;
	ret = rd_map(d, n);
	d->item = "map key";
	if (ret)
		return ret;
	if (*n > nkeys)
		return fail(d, -EBADMSG, "map of %u pairs, the schema has %u keys",
			    *n, nkeys);
	return 0;
}

/* ---- Header ---- */

static int rd_host(struct sc_dec *d)
{
	__u32 len, i;
	int ret;

	ret = rd_blob(d, 1, &len);
	if (ret)
		return ret;
	if (len < 1 || len > FERRY_SC_HOST_MAX)
		return fail(d, -EBADMSG, "host id of %u bytes, expected 1..%u", len,
			    FERRY_SC_HOST_MAX);
	ret = in_copy(d, (__u8 *)d->hdr.host, len);
	if (ret)
		return ret;
	d->hdr.host[len] = '\0';
	for (i = 0; i < len; i++)
		if (d->hdr.host[i] < 0x21 || d->hdr.host[i] > 0x7e)
			return fail(d, -EBADMSG,
				    "host id byte %u is 0x%02x, not printable ASCII",
				    i, (__u8)d->hdr.host[i]);
	return 0;
}

static int rd_header_value(struct sc_dec *d, int key)
{
	struct ferry_sc_header *h = &d->hdr;
	__u64 v;
	int ret;

	switch (key) {
	case FERRY_SC_H_VERSION:
		ret = rd_uint(d, ~0ull, &v);
		if (ret)
			return ret;
		if (v < FERRY_SC_VERSION_MIN || v > FERRY_SC_VERSION)
			return fail(d, -EPROTONOSUPPORT,
				    "unknown schema version %llu (this decoder reads %d..%d)",
				    (unsigned long long)v, FERRY_SC_VERSION_MIN,
				    FERRY_SC_VERSION);
		h->version = v;
		return 0;
	case FERRY_SC_H_HOST:
		return rd_host(d);
	case FERRY_SC_H_CREATED_MS:
		return rd_uint(d, ~0ull, &h->created_ms);
	case FERRY_SC_H_FLOW_COUNT:
		return rd_uint(d, ~0ull, &h->flow_count);
	case FERRY_SC_H_CHUNK_COUNT:
		return rd_uint(d, ~0ull, &h->chunk_count);
	default:
		ret = rd_uint(d, ~0u, &v);
		if (ret)
			return ret;
		h->flags = v;
		if (v & ~FERRY_SC_F_ZLIB)
			return fail(d, -EBADMSG, "flags 0x%llx has unknown bits 0x%llx",
				    (unsigned long long)v,
				    (unsigned long long)(v & ~FERRY_SC_F_ZLIB));
		return 0;
	}
}

static int check_counts(struct sc_dec *d)
{
	const struct ferry_sc_header *h = &d->hdr;
	const struct ferry_sc_limits *l = d->lim;

	d->key = -1;
	if (h->flow_count > l->max_flows)
		return fail(d, -E2BIG, "flow count %llu over the limit %llu",
			    (unsigned long long)h->flow_count,
			    (unsigned long long)l->max_flows);
	if (h->chunk_count > h->flow_count || (h->flow_count && !h->chunk_count))
		return fail(d, -EBADMSG, "%llu chunks cannot hold %llu flows",
			    (unsigned long long)h->chunk_count,
			    (unsigned long long)h->flow_count);
	if (h->flow_count / l->max_chunk_entries +
	    !!(h->flow_count % l->max_chunk_entries) > h->chunk_count)
		return fail(d, -E2BIG,
			    "%llu flows in %llu chunks: over the limit of %u per chunk",
			    (unsigned long long)h->flow_count,
			    (unsigned long long)h->chunk_count, l->max_chunk_entries);
	return 0;
}

static int rd_header(struct sc_dec *d)
{
	__u32 n, i, seen = 0;
	int ret, key;

	d->names = header_names;
	ret = map_size(d, "header", FERRY_SC_H_NKEYS, &n);
	for (i = 0; !ret && i < n; i++) {
		ret = rd_key(d, FERRY_SC_H_NKEYS, &seen, &key);
		if (!ret)
			ret = rd_header_value(d, key);
	}
	if (ret)
		return ret;
	if (seen != (1u << FERRY_SC_H_NKEYS) - 1)
		return missing(d, seen, (1u << FERRY_SC_H_NKEYS) - 1);
	return check_counts(d);
}

/* ---- Flow records ---- */

struct rec_state {
	struct ferry_sc_flow r;
	__u32 seen;
	__u8 src_len;
	__u8 dst_len;
	__u8 nat_src_len;
	__u8 nat_dst_len;
};

static int rd_addr(struct sc_dec *d, __u8 *a, __u8 *alen)
{
	char buf[48];
	__u32 len;
	int ret;

	ret = rd_blob(d, 0, &len);
	if (ret)
		return ret;
	if (len != 4 && len != 16)
		return fail(d, -EBADMSG, "%s is %u bytes, expected 4 or 16",
			    what(d, buf, sizeof(buf)), len);
	ret = in_fill(d, len);
	if (ret)
		return ret;
	memcpy(a, d->in->p, len);
	d->in->p += len;
	*alen = len;
	return 0;
}

static int rd_tcp(struct sc_dec *d, struct ferry_sc_tcp *t)
{
	char buf[48];
	__u64 v[6];
	__u32 n;
	int i, ret;

	ret = rd_array(d, &n);
	if (ret)
		return ret;
	if (n != 6)
		return fail(d, -EBADMSG, "%s is an array of %u, expected 6",
			    what(d, buf, sizeof(buf)), n);
	for (i = 0; i < 6; i++) {
		ret = rd_uint(d, i < 4 ? 0xffffffffu : 0xff, &v[i]);
		if (ret)
			return ret;
	}
	t->end = v[0];
	t->maxend = v[1];
	t->maxwin = v[2];
	t->maxack = v[3];
	t->wscale = v[4];
	t->flags = v[5];
	return 0;
}

/* [kind, src, sport, dst, dport] */
static int rd_nat(struct sc_dec *d, struct rec_state *s)
{
	struct ferry_sc_flow *r = &s->r;
	char buf[48];
	__u64 kind, sport, dport;
	__u32 n;
	int ret;

	ret = rd_array(d, &n);
	if (ret)
		return ret;
	if (n != 5)
		return fail(d, -EBADMSG, "%s is an array of %u, expected 5",
			    what(d, buf, sizeof(buf)), n);
	ret = rd_uint(d, 0xff, &kind) ?:
	      rd_addr(d, r->nat_src, &s->nat_src_len) ?:
	      rd_uint(d, 0xffff, &sport) ?:
	      rd_addr(d, r->nat_dst, &s->nat_dst_len) ?:
	      rd_uint(d, 0xffff, &dport);
	if (ret)
		return ret;
	if (!kind)
		return fail(d, -EBADMSG, "%s has kind 0: a flow without NAT "
			    "leaves the key out", what(d, buf, sizeof(buf)));
	r->nat_kind = kind;
	r->nat_sport = sport;
	r->nat_dport = dport;
	return 0;
}

static int rd_u8(struct sc_dec *d, __u8 *out)
{
	__u64 v;
	int ret = rd_uint(d, 0xff, &v);

	*out = v;
	return ret;
}

static int rd_u16(struct sc_dec *d, __u16 *out)
{
	__u64 v;
	int ret = rd_uint(d, 0xffff, &v);

	*out = v;
	return ret;
}

static int rd_u32(struct sc_dec *d, __u32 *out)
{
	__u64 v;
	int ret = rd_uint(d, 0xffffffffu, &v);

	*out = v;
	return ret;
}

static int rd_flow_value(struct sc_dec *d, int key, struct rec_state *s)
{
	struct ferry_sc_flow *r = &s->r;

	switch (key) {
	case FERRY_SC_E_ZONE:		return rd_u32(d, &r->zone);
	case FERRY_SC_E_FAMILY:		return rd_u8(d, &r->family);
	case FERRY_SC_E_PROTO:		return rd_u8(d, &r->proto);
	case FERRY_SC_E_SRC:		return rd_addr(d, r->src, &s->src_len);
	case FERRY_SC_E_DST:		return rd_addr(d, r->dst, &s->dst_len);
	case FERRY_SC_E_SPORT:		return rd_u16(d, &r->sport);
	case FERRY_SC_E_DPORT:		return rd_u16(d, &r->dport);
	case FERRY_SC_E_STATE:		return rd_u8(d, &r->state);
	case FERRY_SC_E_FLAGS:		return rd_u8(d, &r->flags);
	case FERRY_SC_E_REMAINING_MS:	return rd_uint(d, ~0ull, &r->remaining_ms);
	case FERRY_SC_E_AGE_MS:		return rd_uint(d, ~0ull, &r->age_ms);
	case FERRY_SC_E_IDLE_MS:	return rd_uint(d, ~0ull, &r->idle_ms);
	case FERRY_SC_E_ORIG_PACKETS:	return rd_uint(d, ~0ull, &r->packets[0]);
	case FERRY_SC_E_ORIG_BYTES:	return rd_uint(d, ~0ull, &r->bytes[0]);
	case FERRY_SC_E_REPLY_PACKETS:	return rd_uint(d, ~0ull, &r->packets[1]);
	case FERRY_SC_E_REPLY_BYTES:	return rd_uint(d, ~0ull, &r->bytes[1]);
	case FERRY_SC_E_TCP_ORIG:	return rd_tcp(d, &r->tcp[0]);
	case FERRY_SC_E_TCP_REPLY:	return rd_tcp(d, &r->tcp[1]);
	case FERRY_SC_E_RULE_ID:	return rd_u32(d, &r->rule_id);
	default:
		if (d->hdr.version < 2)
			return fail(d, -EOPNOTSUPP,
				    "key %d (nat) holds NAT bindings, not supported by schema version 1",
				    key);
		return rd_nat(d, s);
	}
}

#define FLOW_KEYS_ALWAYS	(((1u << FERRY_SC_E_TCP_ORIG) - 1) | \
				 (1u << FERRY_SC_E_RULE_ID))
#define FLOW_KEYS_TCP		((1u << FERRY_SC_E_TCP_ORIG) | \
				 (1u << FERRY_SC_E_TCP_REPLY))

/* Keys present as the protocol wants, addresses as long as the family's. */
static int check_shape(struct sc_dec *d, const struct rec_state *s)
{
	int tcp = s->r.proto == IPPROTO_TCP, want;

	d->key = -1;
	if ((s->seen & FLOW_KEYS_ALWAYS) != FLOW_KEYS_ALWAYS)
		return missing(d, s->seen, FLOW_KEYS_ALWAYS);
	if (tcp && (s->seen & FLOW_KEYS_TCP) != FLOW_KEYS_TCP)
		return missing(d, s->seen, FLOW_KEYS_TCP);
	if (!tcp && (s->seen & FLOW_KEYS_TCP))
		return fail(d, -EBADMSG, "key %d (%s) in a flow of proto %u, not TCP",
			    __builtin_ctz(s->seen & FLOW_KEYS_TCP),
			    flow_names[__builtin_ctz(s->seen & FLOW_KEYS_TCP)],
			    s->r.proto);
	if (s->r.family != FERRY_AF_INET && s->r.family != FERRY_AF_INET6)
		return fail(d, -EBADMSG, "family %u is not IPv4 (2) or IPv6 (10)",
			    s->r.family);
	want = s->r.family == FERRY_AF_INET ? 4 : 16;
	if (s->src_len != want)
		return fail(d, -EBADMSG, "key 3 (src) is %u bytes, family %u has %d",
			    s->src_len, s->r.family, want);
	if (s->dst_len != want)
		return fail(d, -EBADMSG, "key 4 (dst) is %u bytes, family %u has %d",
			    s->dst_len, s->r.family, want);
	if (s->r.nat_kind && (s->nat_src_len != want || s->nat_dst_len != want))
		return fail(d, -EBADMSG, "key 19 (nat) has addresses of %u and %u "
			    "bytes, family %u has %d", s->nat_src_len,
			    s->nat_dst_len, s->r.family, want);
	return 0;
}

static int rd_flow(struct sc_dec *d)
{
	char msg[FERRY_SC_ERR_MAX];
	struct ferry_flow_key k;
	struct ferry_flow f;
	struct rec_state s;
	int ret, key;
	__u32 n, i;

	memset(&s, 0, sizeof(s));
	d->names = flow_names;
	d->key = -1;
	ret = map_size(d, "entry", FERRY_SC_E_NKEYS, &n);
	for (i = 0; !ret && i < n; i++) {
		ret = rd_key(d, FERRY_SC_E_NKEYS, &s.seen, &key);
		if (!ret)
			ret = rd_flow_value(d, key, &s);
	}
	ret = ret ?: check_shape(d, &s);
	if (ret)
		return ret;
	ret = ferry_sc_flow_check(&s.r, msg, sizeof(msg));
	if (ret)
		return fail(d, ret, "%s", msg);
	ferry_sc_flow_to_entry(&s.r, d->now_ns, &k, &f);
	return d->ops->entry ? d->ops->entry(d->ops->ctx, &k, &f) : 0;
}

/* ---- Chunks ---- */

struct chunk_state {
	__u64 seq;
	__u64 count;
	__u64 raw_len;
	__u32 pay_len;
	__u32 seen;
};

static int grow(struct sc_dec *d, __u8 **buf, size_t *cap, size_t len)
{
	__u8 *nb;

	if (len <= *cap)
		return 0;
	nb = realloc(*buf, len);
	if (!nb)
		return fail(d, -ENOMEM, "out of memory for %zu bytes", len);
	*buf = nb;
	*cap = len;
	return 0;
}

static int rd_payload(struct sc_dec *d, struct chunk_state *c)
{
	__u32 len;
	int ret;

	ret = rd_blob(d, 0, &len);
	if (ret)
		return ret;
	if (len > d->lim->max_chunk_bytes)
		return fail(d, -E2BIG, "payload of %u bytes over the limit %u", len,
			    d->lim->max_chunk_bytes);
	ret = grow(d, &d->pay, &d->pay_cap, len);
	if (ret)
		return ret;
	c->pay_len = len;
	return in_copy(d, d->pay, len);
}

static int rd_chunk_value(struct sc_dec *d, int key, struct chunk_state *c)
{
	switch (key) {
	case FERRY_SC_C_SEQ:
		return rd_uint(d, ~0ull, &c->seq);
	case FERRY_SC_C_COUNT:
		return rd_uint(d, ~0ull, &c->count);
	case FERRY_SC_C_PAYLOAD:
		return rd_payload(d, c);
	default:
		return rd_uint(d, ~0ull, &c->raw_len);
	}
}

static int check_chunk(struct sc_dec *d, const struct chunk_state *c,
		       __u64 flows_before)
{
	__u32 need = (1u << FERRY_SC_C_NKEYS) - 1;
	int zlib = d->hdr.flags & FERRY_SC_F_ZLIB;

	d->key = -1;
	if (!zlib)
		need &= ~(1u << FERRY_SC_C_RAW_LEN);
	if ((c->seen & need) != need)
		return missing(d, c->seen, need);
	if (!zlib && (c->seen & (1u << FERRY_SC_C_RAW_LEN)))
		return fail(d, -EBADMSG, "key 3 (raw_len) in an uncompressed bundle");
	if (c->seq < (__u64)d->chunk)
		return fail(d, -EBADMSG, "duplicate sequence number %llu",
			    (unsigned long long)c->seq);
	if (c->seq > (__u64)d->chunk)
		return fail(d, -EBADMSG, "sequence number %llu, expected %lld: a gap",
			    (unsigned long long)c->seq, d->chunk);
	if (!c->count)
		return fail(d, -EBADMSG, "count 0: a chunk holds at least one flow");
	if (c->count > d->lim->max_chunk_entries)
		return fail(d, -E2BIG, "count %llu over the limit %u",
			    (unsigned long long)c->count, d->lim->max_chunk_entries);
	if (c->count > d->hdr.flow_count - flows_before)
		return fail(d, -EBADMSG, "count %llu: more flows than the header's %llu",
			    (unsigned long long)c->count,
			    (unsigned long long)d->hdr.flow_count);
	if (zlib && c->raw_len > d->lim->max_raw_bytes)
		return fail(d, -E2BIG, "decompressed size %llu over the limit %u",
			    (unsigned long long)c->raw_len, d->lim->max_raw_bytes);
	if (!zlib && c->pay_len > d->lim->max_raw_bytes)
		return fail(d, -E2BIG, "payload of %u bytes over the limit %u",
			    c->pay_len, d->lim->max_raw_bytes);
	return 0;
}

/* Inflate the payload into d->raw: exactly raw_len bytes, nothing after. */
static int inflate_payload(struct sc_dec *d, const struct chunk_state *c)
{
	int ret, zret;

	ret = grow(d, &d->raw, &d->raw_cap, c->raw_len ?: 1);
	if (ret)
		return ret;
	if (!d->zinit) {
		if (inflateInit(&d->zs) != Z_OK)
			return fail(d, -ENOMEM, "zlib: cannot initialise");
		d->zinit = 1;
	} else {
		inflateReset(&d->zs);
	}
	d->zs.next_in = d->pay;
	d->zs.avail_in = c->pay_len;
	d->zs.next_out = d->raw;
	d->zs.avail_out = c->raw_len;
	zret = inflate(&d->zs, Z_FINISH);
	if (zret != Z_STREAM_END && !d->zs.avail_out) {
		/* Output full: is there more, or is the stream cut short? */
		__u8 more;

		d->zs.next_out = &more;
		d->zs.avail_out = 1;
		zret = inflate(&d->zs, Z_FINISH);
		if (!d->zs.avail_out)
			return fail(d, -EBADMSG,
				    "payload decompresses to more than raw_len %llu",
				    (unsigned long long)c->raw_len);
	}
	if (zret != Z_STREAM_END)
		return fail(d, -EBADMSG, "payload is not a complete zlib stream: %s",
			    d->zs.msg ?: "truncated");
	if (d->zs.avail_out)
		return fail(d, -EBADMSG, "payload decompresses to %llu bytes, raw_len says %llu",
			    (unsigned long long)(c->raw_len - d->zs.avail_out),
			    (unsigned long long)c->raw_len);
	if (d->zs.avail_in)
		return fail(d, -EBADMSG, "%u trailing bytes after the zlib stream",
			    d->zs.avail_in);
	return 0;
}

/* The record array of a chunk, from a buffer: count records and no more. */
static int rd_records(struct sc_dec *d, const __u8 *p, size_t len, __u64 count)
{
	struct sc_in *outer = d->in;
	struct sc_in in = { .p = p, .end = p + len };
	__u32 n;
	int ret;

	d->in = &in;
	d->key = -1;
	d->names = chunk_names;
	d->item = "payload";
	ret = rd_array(d, &n);
	if (!ret && n != count)
		ret = fail(d, -EBADMSG, "count %llu but the payload holds %u entries",
			   (unsigned long long)count, n);
	for (d->entry = 0; !ret && d->entry < (long long)n; d->entry++)
		ret = rd_flow(d);
	if (ret)
		goto out;
	d->entry = -1;
	if (in.p != in.end)
		ret = fail(d, -EBADMSG, "%zu trailing bytes after the entries",
			   (size_t)(in.end - in.p));
out:
	d->in = outer;
	return ret;
}

static int rd_chunk(struct sc_dec *d, __u64 *flows)
{
	struct chunk_state c = {};
	__u32 n, i;
	int ret, key;

	d->names = chunk_names;
	d->key = -1;
	ret = map_size(d, "chunk", FERRY_SC_C_NKEYS, &n);
	for (i = 0; !ret && i < n; i++) {
		ret = rd_key(d, FERRY_SC_C_NKEYS, &c.seen, &key);
		if (!ret)
			ret = rd_chunk_value(d, key, &c);
	}
	ret = ret ?: check_chunk(d, &c, *flows);
	if (ret)
		return ret;
	if (d->hdr.flags & FERRY_SC_F_ZLIB) {
		ret = inflate_payload(d, &c);
		if (ret)
			return ret;
		ret = rd_records(d, d->raw, c.raw_len, c.count);
	} else {
		ret = rd_records(d, d->pay, c.pay_len, c.count);
	}
	*flows += c.count;
	return ret;
}

/* ---- Bundle ---- */

void ferry_sc_limits_default(struct ferry_sc_limits *l)
{
	l->max_flows = FERRY_SC_DEF_MAX_FLOWS;
	l->max_chunk_entries = FERRY_SC_DEF_MAX_CHUNK_ENTRIES;
	l->max_chunk_bytes = FERRY_SC_DEF_MAX_CHUNK_BYTES;
	l->max_raw_bytes = FERRY_SC_DEF_MAX_RAW_BYTES;
}

/* After the last chunk: the end of the input. */
static int rd_end(struct sc_dec *d, __u64 flows)
{
	struct sc_in *in = d->in;
	ssize_t got;

	d->chunk = -2;
	d->entry = -1;
	if (flows != d->hdr.flow_count)
		return fail(d, -EBADMSG, "chunks hold %llu flows, the header says %llu",
			    (unsigned long long)flows,
			    (unsigned long long)d->hdr.flow_count);
	if (in->p == in->end && in->read) {
		in->p = in->end = in->buf;
		got = in->read(in->ctx, in->buf, STREAM_BUF);
		if (got < 0)
			return fail(d, (int)got, "read: %s", strerror((int)-got));
		in->end += got;
	}
	if (in->p != in->end && d->bundle < 0)
		return fail(d, -EBADMSG, "%zu trailing bytes after the last chunk",
			    (size_t)(in->end - in->p));
	return 0;
}

static int decode_one(struct sc_dec *d)
{
	__u64 flows = 0;
	int ret;

	d->chunk = -1;
	d->entry = -1;
	ret = rd_header(d);
	if (ret)
		return ret;
	if (d->ops->header) {
		ret = d->ops->header(d->ops->ctx, &d->hdr);
		if (ret)
			return ret;
	}
	for (d->chunk = 0; d->chunk < (long long)d->hdr.chunk_count; d->chunk++) {
		ret = rd_chunk(d, &flows);
		if (ret)
			return ret;
	}
	ret = rd_end(d, flows);
	if (!ret && d->ops->bundle_end)
		ret = d->ops->bundle_end(d->ops->ctx, &d->hdr);
	return ret;
}

/* One bundle; or (d->bundle >= 0) bundles back to back to the end of the
 * input. */
static int decode(struct sc_dec *d)
{
	int ret;

	if (d->bundle < 0)
		return decode_one(d);
	do {
		ret = decode_one(d);
		d->bundle++;
	} while (!ret && d->in->p != d->in->end);
	return ret;
}

/* seq: bundles back to back, numbered from first (else one bundle). */
static int decode_in(struct sc_in *in, const struct ferry_sc_dec_ops *ops,
		     const struct ferry_sc_limits *lim, __u64 now_ns, bool seq,
		     long long first, char *err, size_t errlen)
{
	struct ferry_sc_limits defaults;
	struct sc_dec d = {
		.in = in, .ops = ops, .now_ns = now_ns, .err = err,
		.errlen = errlen, .item = "map key", .bundle = seq ? first : -1,
	};
	int ret;

	if (!lim || !lim->max_chunk_entries) {
		ferry_sc_limits_default(&defaults);
		lim = &defaults;
	}
	d.lim = lim;
	if (err && errlen)
		err[0] = '\0';
	ret = decode(&d);
	if (d.zinit)
		inflateEnd(&d.zs);
	free(d.pay);
	free(d.raw);
	return ret;
}

static int decode_stream(const struct ferry_sc_dec_ops *ops,
			 const struct ferry_sc_limits *lim, __u64 now_ns,
			 bool seq, char *err, size_t errlen)
{
	struct sc_in in = { .read = ops->read, .ctx = ops->ctx };
	int ret;

	in.buf = malloc(STREAM_BUF);
	if (!in.buf) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	in.p = in.end = in.buf;
	ret = decode_in(&in, ops, lim, now_ns, seq, 0, err, errlen);
	free(in.buf);
	return ret;
}

int ferry_sc_decode(const struct ferry_sc_dec_ops *ops,
		    const struct ferry_sc_limits *lim, __u64 now_ns,
		    char *err, size_t errlen)
{
	return decode_stream(ops, lim, now_ns, false, err, errlen);
}

int ferry_sc_decode_seq(const struct ferry_sc_dec_ops *ops,
			const struct ferry_sc_limits *lim, __u64 now_ns,
			char *err, size_t errlen)
{
	return decode_stream(ops, lim, now_ns, true, err, errlen);
}

int ferry_sc_decode_buf(const void *buf, size_t len,
			const struct ferry_sc_dec_ops *ops,
			const struct ferry_sc_limits *lim, __u64 now_ns,
			char *err, size_t errlen)
{
	struct sc_in in = { .p = buf, .end = (const __u8 *)buf + len };

	return decode_in(&in, ops, lim, now_ns, false, 0, err, errlen);
}

/* ---- Decoding into an array ---- */

struct into_ctx {
	struct ferry_sc_array *a;
	char *err;
	size_t errlen;
	/* from a stream (ferry_sc_decode_seq_stream): */
	ferry_sc_read_fn read;
	void *rctx;
	ferry_sc_bundle_fn bundle_end;
	void *bctx;
	long long bundle;	/* the bundle, named in the room message; -1 */
	__u64 first;		/* a->n at its header */
};

static ssize_t into_read(void *ctx, void *buf, size_t len)
{
	struct into_ctx *c = ctx;

	return c->read(c->rctx, buf, len);
}

static int into_header(void *ctx, const struct ferry_sc_header *h)
{
	struct into_ctx *c = ctx;
	char where[32] = "";

	c->a->hdr = *h;
	c->first = c->a->n;
	if (h->flow_count > c->a->cap - c->a->n) {
		if (c->bundle >= 0)
			snprintf(where, sizeof(where), "bundle %lld ", c->bundle);
		if (c->err && c->errlen)
			snprintf(c->err, c->errlen, "%sheader: %llu flows, room for %llu",
				 where, (unsigned long long)h->flow_count,
				 (unsigned long long)(c->a->cap - c->a->n));
		return -ENOSPC;
	}
	return 0;
}

static int into_bundle_end(void *ctx, const struct ferry_sc_header *h)
{
	struct into_ctx *c = ctx;

	c->bundle++;
	return c->bundle_end(c->bctx, c->first, c->a->n - c->first);
}

static int into_entry(void *ctx, const struct ferry_flow_key *k,
		      const struct ferry_flow *f)
{
	struct ferry_sc_array *a = ((struct into_ctx *)ctx)->a;

	/* Cannot overflow: the header's count was checked against the room
	 * left and the decoder never delivers more flows than that count. */
	a->keys[a->n] = *k;
	a->flows[a->n] = *f;
	a->n++;
	return 0;
}

int ferry_sc_decode_seq_append(const void *buf, size_t len,
			       const struct ferry_sc_limits *lim, __u64 now_ns,
			       __u64 first, struct ferry_sc_array *a, char *err,
			       size_t errlen)
{
	struct into_ctx c = { .a = a, .err = err, .errlen = errlen, .bundle = -1 };
	struct ferry_sc_dec_ops ops = {
		.header = into_header, .entry = into_entry, .ctx = &c,
	};
	struct sc_in in = { .p = buf, .end = (const __u8 *)buf + len };
	__u64 had = a->n;
	int ret;

	ret = decode_in(&in, &ops, lim, now_ns, true, (long long)first, err, errlen);
	if (ret)
		a->n = had;
	return ret;
}

int ferry_sc_decode_seq_stream(ferry_sc_read_fn read, void *rctx,
			       const struct ferry_sc_limits *lim, __u64 now_ns,
			       struct ferry_sc_array *a, ferry_sc_bundle_fn bundle_end,
			       void *ctx, char *err, size_t errlen)
{
	struct into_ctx c = {
		.a = a, .err = err, .errlen = errlen, .read = read, .rctx = rctx,
		.bundle_end = bundle_end, .bctx = ctx,
	};
	struct ferry_sc_dec_ops ops = {
		.read = into_read, .header = into_header, .entry = into_entry,
		.bundle_end = into_bundle_end, .ctx = &c,
	};
	__u64 had = a->n;
	int ret;

	ret = decode_stream(&ops, lim, now_ns, true, err, errlen);
	if (ret)
		a->n = had;
	return ret;
}

int ferry_sc_decode_seq_into(const void *buf, size_t len,
			     const struct ferry_sc_limits *lim, __u64 now_ns,
			     struct ferry_sc_array *a, char *err, size_t errlen)
{
	a->n = 0;
	return ferry_sc_decode_seq_append(buf, len, lim, now_ns, 0, a, err, errlen);
}

/* ---- Where a bundle ends ---- */

/* Key k of map m as an unsigned integer, or -1. */
static long long map_uint(const msgpack_object *m, __u64 k)
{
	const msgpack_object_kv *kv = m->via.map.ptr;
	__u32 i;

	for (i = 0; i < m->via.map.size; i++)
		if (kv[i].key.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    kv[i].key.via.u64 == k &&
		    kv[i].val.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    kv[i].val.via.u64 <= (__u64)LLONG_MAX)
			return (long long)kv[i].val.via.u64;
	return -1;
}

/* One top-level object at *off: 1 read, 0 incomplete, -EBADMSG. */
static int next_object(msgpack_unpacked *u, const void *buf, size_t len,
		       size_t *off)
{
	switch (msgpack_unpack_next(u, buf, len, off)) {
	case MSGPACK_UNPACK_SUCCESS:
	case MSGPACK_UNPACK_EXTRA_BYTES:
		return 1;
	case MSGPACK_UNPACK_CONTINUE:
		return 0;
	default:
		return -EBADMSG;
	}
}

ssize_t ferry_sc_bundle_len(const void *buf, size_t len, __u64 *flows)
{
	msgpack_unpacked u;
	long long chunks, count, i;
	size_t off = 0;
	ssize_t ret;

	*flows = 0;
	msgpack_unpacked_init(&u);
	ret = next_object(&u, buf, len, &off);
	if (ret <= 0)
		goto out;
	if (u.data.type != MSGPACK_OBJECT_MAP) {
		ret = -EBADMSG;
		goto out;
	}
	count = map_uint(&u.data, 3);
	chunks = map_uint(&u.data, 4);
	if (count < 0 || chunks < 0) {
		ret = -EBADMSG;
		goto out;
	}
	*flows = (__u64)count;
	/* each chunk is at least one byte: the loop ends with the input */
	for (i = 0; i < chunks; i++) {
		ret = next_object(&u, buf, len, &off);
		if (ret <= 0)
			goto out;
	}
	ret = (ssize_t)off;
out:
	msgpack_unpacked_destroy(&u);
	return ret;
}
