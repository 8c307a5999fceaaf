// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A strict MessagePack reader and writer for flat maps with integer keys,
 * in the manner of statedecode.c: no object trees, no allocation, duplicate
 * keys seen, every error names the key. Any integer format (fixint,
 * uint8..64, int8..64) is accepted for a non-negative value.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "mpk.h"

struct mpk_in {
	const __u8 *p;
	const __u8 *end;
	char *err;
	size_t errlen;
};

static int fail(struct mpk_in *in, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct mpk_in *in, int ret, const char *fmt, ...)
{
	va_list ap;

	if (in->err && in->errlen) {
		va_start(ap, fmt);
		vsnprintf(in->err, in->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static __u64 be(const __u8 *p, int n)
{
	__u64 v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int need(struct mpk_in *in, size_t n, const char *what)
{
	if ((size_t)(in->end - in->p) < n)
		return fail(in, -EBADMSG, "%s: truncated", what);
	return 0;
}

/* A non-negative integer of any width. */
static int rd_uint(struct mpk_in *in, const char *what, __u64 *v)
{
	static const __u8 width[8] = { 1, 2, 4, 8, 1, 2, 4, 8 };
	int ret, n;
	__u8 b;

	ret = need(in, 1, what);
	if (ret)
		return ret;
	b = *in->p;
	if (b <= 0x7f) {
		in->p++;
		*v = b;
		return 0;
	}
	if (b < 0xcc || b > 0xd3)
		return fail(in, -EBADMSG, "%s: type 0x%02x, expected an unsigned integer",
			    what, b);
	n = width[b - 0xcc];
	ret = need(in, 1 + n, what);
	if (ret)
		return ret;
	*v = be(in->p + 1, n);
	if (b >= 0xd0 && (*v >> (8 * n - 1)))
		return fail(in, -EBADMSG, "%s: negative, expected an unsigned integer",
			    what);
	in->p += 1 + n;
	return 0;
}

static int rd_bin(struct mpk_in *in, const char *what, const __u8 **data,
		  __u32 *len)
{
	int ret, n;
	__u8 b;

	ret = need(in, 1, what);
	if (ret)
		return ret;
	b = *in->p;
	if (b < 0xc4 || b > 0xc6)
		return fail(in, -EBADMSG, "%s: type 0x%02x, expected a binary", what, b);
	n = 1 << (b - 0xc4);
	ret = need(in, 1 + n, what);
	if (ret)
		return ret;
	*len = be(in->p + 1, n);
	in->p += 1 + n;
	ret = need(in, *len, what);
	if (ret)
		return ret;
	*data = in->p;
	in->p += *len;
	return 0;
}

static int rd_map(struct mpk_in *in, __u32 *count)
{
	int ret;
	__u8 b;

	ret = need(in, 1, "message");
	if (ret)
		return ret;
	b = *in->p;
	if (b >= 0x80 && b <= 0x8f) {
		in->p++;
		*count = b & 0x0f;
		return 0;
	}
	if (b != 0xde)
		return fail(in, -EBADMSG, "message: type 0x%02x, expected a map", b);
	ret = need(in, 3, "message");
	if (ret)
		return ret;
	*count = be(in->p + 1, 2);
	in->p += 3;
	return 0;
}

static int rd_value(struct mpk_in *in, const struct ferry_mpk_field *f,
		    struct ferry_mpk_value *v)
{
	int ret;

	if (f->kind == FERRY_MPK_UINT) {
		ret = rd_uint(in, f->name, &v->u);
		if (ret)
			return ret;
		if (v->u > f->max)
			return fail(in, -ERANGE, "%s: %llu over %llu", f->name,
				    (unsigned long long)v->u,
				    (unsigned long long)f->max);
		return 0;
	}
	ret = rd_bin(in, f->name, &v->bin, &v->len);
	if (ret)
		return ret;
	if (v->len < f->min || v->len > f->max) {
		if (f->min == f->max)
			return fail(in, -EBADMSG, "%s: %u bytes, expected %llu",
				    f->name, v->len, (unsigned long long)f->max);
		return fail(in, -EBADMSG, "%s: %u bytes, expected %llu..%llu",
			    f->name, v->len, (unsigned long long)f->min,
			    (unsigned long long)f->max);
	}
	return 0;
}

int ferry_mpk_decode(const __u8 *buf, size_t len,
		     const struct ferry_mpk_field *fields, unsigned int n,
		     struct ferry_mpk_value *vals, char *err, size_t errlen)
{
	struct mpk_in in = { buf, buf + len, err, errlen };
	__u32 seen = 0, count = 0, i;
	__u64 key;
	int ret;

	if (n > FERRY_MPK_MAX_FIELDS)
		return fail(&in, -EINVAL, "schema of %u fields", n);
	ret = rd_map(&in, &count);
	if (ret)
		return ret;
	if (count != n)
		return fail(&in, -EBADMSG, "message: %u keys, expected %u", count, n);
	for (i = 0; i < count; i++) {
		ret = rd_uint(&in, "map key", &key);
		if (ret)
			return ret;
		if (key >= n)
			return fail(&in, -EBADMSG, "message: unknown key %llu",
				    (unsigned long long)key);
		if (seen & (1u << key))
			return fail(&in, -EBADMSG, "%s: key %llu repeated",
				    fields[key].name, (unsigned long long)key);
		seen |= 1u << key;
		ret = rd_value(&in, &fields[key], &vals[key]);
		if (ret)
			return ret;
	}
	if (in.p != in.end)
		return fail(&in, -EBADMSG, "message: %zu trailing bytes",
			    (size_t)(in.end - in.p));
	return 0;
}

void ferry_mpk_init(struct ferry_mpk_buf *b, void *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->overflow = 0;
}

static void put(struct ferry_mpk_buf *b, const void *data, size_t len)
{
	if (b->overflow || b->cap - b->len < len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

/* A type byte then v in n big-endian bytes. */
static void put_be(struct ferry_mpk_buf *b, __u8 type, __u64 v, int n)
{
	__u8 tmp[9];
	int i;

	tmp[0] = type;
	for (i = 0; i < n; i++)
		tmp[1 + i] = v >> (8 * (n - 1 - i));
	put(b, tmp, 1 + n);
}

/* A map or array of n items: fix (0x80 / 0x90) | n, else a 16-bit count
 * (type16), else a 32-bit one (type16 + 1). */
static void put_count(struct ferry_mpk_buf *b, __u8 fix, __u8 type16, __u32 n)
{
	__u8 c = fix | n;

	if (n <= 15)
		put(b, &c, 1);
	else if (n <= 0xffff)
		put_be(b, type16, n, 2);
	else
		put_be(b, type16 + 1, n, 4);
}

void ferry_mpk_put_map(struct ferry_mpk_buf *b, __u32 n)
{
	put_count(b, 0x80, 0xde, n);
}

void ferry_mpk_put_array(struct ferry_mpk_buf *b, __u32 n)
{
	put_count(b, 0x90, 0xdc, n);
}

void ferry_mpk_put_uint(struct ferry_mpk_buf *b, __u64 v)
{
	__u8 fix = v;

	if (v <= 0x7f)
		put(b, &fix, 1);
	else if (v <= 0xff)
		put_be(b, 0xcc, v, 1);
	else if (v <= 0xffff)
		put_be(b, 0xcd, v, 2);
	else if (v <= 0xffffffffull)
		put_be(b, 0xce, v, 4);
	else
		put_be(b, 0xcf, v, 8);
}

void ferry_mpk_put_bin(struct ferry_mpk_buf *b, const void *data, __u32 len)
{
	if (len <= 0xff)
		put_be(b, 0xc4, len, 1);
	else if (len <= 0xffff)
		put_be(b, 0xc5, len, 2);
	else
		put_be(b, 0xc6, len, 4);
	put(b, data, len);
}
