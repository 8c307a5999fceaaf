// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* State bundle: records <-> table entries, value rules, streaming encoder. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <msgpack.h>
#include <zlib.h>
#include "errmsg.h"
#include "flowfmt.h"
#include "mpk.h"
#include "statecodec.h"

#define NS_PER_MS	1000000ull

static int addr_len(__u8 family)
{
	return family == FERRY_AF_INET ? 4 : 16;
}

static __u64 ms_between(__u64 from_ns, __u64 to_ns, __u64 max_ms)
{
	__u64 ms;

	if (to_ns <= from_ns)
		return 0;
	ms = (to_ns - from_ns) / NS_PER_MS;
	return ms > max_ms ? max_ms : ms;
}

int ferry_sc_flow_from_entry(const struct ferry_flow_key *k,
			     const struct ferry_flow *f, __u64 now_ns,
			     struct ferry_sc_flow *r)
{
	static const __u8 zero[12];
	struct ferry_endpoints o, rep;
	int i;

	if (k->family != FERRY_AF_INET && k->family != FERRY_AF_INET6)
		return -EINVAL;
	if (k->family == FERRY_AF_INET &&
	    (memcmp(k->addr_lo + 4, zero, 12) || memcmp(k->addr_hi + 4, zero, 12)))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	ferry_flow_dirs(k, f, &o, &rep);
	r->zone = k->zone;
	r->family = k->family;
	r->proto = k->proto;
	memcpy(r->src, o.src, addr_len(k->family));
	memcpy(r->dst, o.dst, addr_len(k->family));
	r->sport = o.sport;
	r->dport = o.dport;
	r->state = f->state;
	r->flags = f->flags;
	r->remaining_ms = ms_between(now_ns, f->expires_ns, FERRY_SC_MAX_REMAINING_MS);
	r->age_ms = ms_between(f->created_ns, now_ns, FERRY_SC_MAX_AGE_MS);
	r->idle_ms = ms_between(f->last_seen_ns, now_ns, r->age_ms);
	for (i = 0; i < 2; i++) {
		r->packets[i] = f->packets[i];
		r->bytes[i] = f->bytes[i];
		if (k->proto != IPPROTO_TCP)
			continue;
		r->tcp[i].end = f->tcp[i].end;
		r->tcp[i].maxend = f->tcp[i].maxend;
		r->tcp[i].maxwin = f->tcp[i].maxwin;
		r->tcp[i].maxack = f->tcp[i].maxack;
		r->tcp[i].wscale = f->tcp[i].wscale;
		/* RESYNC is this host's business: the importer sets it */
		r->tcp[i].flags = f->tcp[i].flags & ~FERRY_TCP_F_RESYNC;
	}
	r->rule_id = f->rule_id;
	if (f->nat.kind) {
		r->nat_kind = f->nat.kind;
		memcpy(r->nat_src, f->nat.saddr, addr_len(k->family));
		memcpy(r->nat_dst, f->nat.daddr, addr_len(k->family));
		r->nat_sport = ntohs(f->nat.sport);
		r->nat_dport = ntohs(f->nat.dport);
	}
	return 0;
}

/* Order of endpoints as bpf/lib/ct.h has it: bytes, then the port. */
static int endpoint_after(const __u8 *a, __u16 ap, const __u8 *b, __u16 bp)
{
	int c = memcmp(a, b, 16);

	if (c)
		return c > 0;
	return ap > bp;
}

static __u64 ns_before(__u64 now_ns, __u64 ms)
{
	__u64 d = ms * NS_PER_MS;

	return d > now_ns ? 0 : now_ns - d;
}

void ferry_sc_flow_to_entry(const struct ferry_sc_flow *r, __u64 now_ns,
			    struct ferry_flow_key *k, struct ferry_flow *f)
{
	__u8 src[16] = {}, dst[16] = {};
	int i, src_lo;

	memcpy(src, r->src, addr_len(r->family));
	memcpy(dst, r->dst, addr_len(r->family));
	src_lo = !endpoint_after(src, r->sport, dst, r->dport);
	memset(k, 0, sizeof(*k));
	k->zone = r->zone;
	k->proto = r->proto;
	k->family = r->family;
	memcpy(k->addr_lo, src_lo ? src : dst, 16);
	memcpy(k->addr_hi, src_lo ? dst : src, 16);
	k->port_lo = htons(src_lo ? r->sport : r->dport);
	k->port_hi = htons(src_lo ? r->dport : r->sport);

	memset(f, 0, sizeof(*f));
	f->state = r->state;
	f->orig_lo = src_lo;
	f->flags = r->flags;
	f->created_ns = ns_before(now_ns, r->age_ms);
	f->last_seen_ns = ns_before(now_ns, r->idle_ms);
	f->expires_ns = now_ns + r->remaining_ms * NS_PER_MS;
	for (i = 0; i < 2; i++) {
		f->packets[i] = r->packets[i];
		f->bytes[i] = r->bytes[i];
		f->tcp[i].end = r->tcp[i].end;
		f->tcp[i].maxend = r->tcp[i].maxend;
		f->tcp[i].maxwin = r->tcp[i].maxwin;
		f->tcp[i].maxack = r->tcp[i].maxack;
		f->tcp[i].wscale = r->tcp[i].wscale;
		f->tcp[i].flags = r->tcp[i].flags;
	}
	f->rule_id = r->rule_id;
	if (r->nat_kind) {
		f->nat.kind = r->nat_kind;
		memcpy(f->nat.saddr, r->nat_src, addr_len(r->family));
		memcpy(f->nat.daddr, r->nat_dst, addr_len(r->family));
		f->nat.sport = htons(r->nat_sport);
		f->nat.dport = htons(r->nat_dport);
	}
}

enum proto_kind { PK_TCP, PK_UDP, PK_ICMP, PK_OTHER };

static enum proto_kind proto_kind(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return PK_TCP;
	case IPPROTO_UDP:
		return PK_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return PK_ICMP;
	default:
		return PK_OTHER;
	}
}

static int state_fits(enum proto_kind pk, __u8 state)
{
	switch (pk) {
	case PK_TCP:
		return state >= FERRY_TCP_SYN_SENT && state <= FERRY_TCP_SYN_SENT2;
	case PK_UDP:
		return state == FERRY_UDP_UNREPLIED || state == FERRY_UDP_REPLIED;
	case PK_ICMP:
		return state == FERRY_ICMP_UNREPLIED || state == FERRY_ICMP_REPLIED;
	default:
		return state == FERRY_OTHER_UNREPLIED || state == FERRY_OTHER_REPLIED;
	}
}

static const char *const pk_name[] = { "TCP", "UDP", "ICMP", "other-protocol" };

#define KNOWN_FLOW_FLAGS (FERRY_FLOW_F_SEEN_REPLY | FERRY_FLOW_F_ASSURED | \
			  FERRY_FLOW_F_IMPORTED)
#define KNOWN_TCP_FLAGS	(FERRY_TCP_F_WSCALE | FERRY_TCP_F_SEEN | FERRY_TCP_F_MAXACK)

static int check_tcp(const struct ferry_sc_tcp *t, const char *dir, char *err,
		     size_t errlen)
{
	if (t->wscale > FERRY_SC_MAX_WSCALE)
		return ferry_errf(err, errlen, -ERANGE, "tcp_%s: window scale %u over %u",
				  dir, t->wscale, FERRY_SC_MAX_WSCALE);
	if (t->flags & ~KNOWN_TCP_FLAGS)
		return ferry_errf(err, errlen, -EBADMSG,
				  "tcp_%s: flags 0x%x has unknown bits 0x%x", dir,
				  t->flags, t->flags & ~KNOWN_TCP_FLAGS);
	return 0;
}

static int check_proto(const struct ferry_sc_flow *r, char *err, size_t errlen)
{
	static const struct ferry_sc_tcp none;
	enum proto_kind pk = proto_kind(r->proto);

	if (r->proto == IPPROTO_ICMP && r->family != FERRY_AF_INET)
		return ferry_errf(err, errlen, -EBADMSG, "proto 1 (ICMP) in an IPv6 flow");
	if (r->proto == IPPROTO_ICMPV6 && r->family != FERRY_AF_INET6)
		return ferry_errf(err, errlen, -EBADMSG, "proto 58 (ICMPv6) in an IPv4 flow");
	if (!state_fits(pk, r->state))
		return ferry_errf(err, errlen, -EBADMSG, "state %u is not a %s state",
				  r->state, pk_name[pk]);
	if (pk == PK_ICMP && r->sport != r->dport)
		return ferry_errf(err, errlen, -EBADMSG,
				  "ICMP identifier: sport %u differs from dport %u",
				  r->sport, r->dport);
	if (pk == PK_OTHER && (r->sport || r->dport))
		return ferry_errf(err, errlen, -EBADMSG,
				  "proto %u has no ports: sport %u dport %u", r->proto,
				  r->sport, r->dport);
	if (pk != PK_TCP && (memcmp(&r->tcp[0], &none, sizeof(none)) ||
			     memcmp(&r->tcp[1], &none, sizeof(none))))
		return ferry_errf(err, errlen, -EBADMSG, "TCP window data in a %s flow",
				  pk_name[pk]);
	return 0;
}

int ferry_sc_flow_check(const struct ferry_sc_flow *r, char *err, size_t errlen)
{
	int ret;

	if (r->family != FERRY_AF_INET && r->family != FERRY_AF_INET6)
		return ferry_errf(err, errlen, -EBADMSG,
				  "family %u is not IPv4 (2) or IPv6 (10)", r->family);
	ret = check_proto(r, err, errlen);
	if (ret)
		return ret;
	if (r->flags & ~KNOWN_FLOW_FLAGS)
		return ferry_errf(err, errlen, -EBADMSG, "flags 0x%x has unknown bits 0x%x",
				  r->flags, r->flags & ~KNOWN_FLOW_FLAGS);
	if (r->remaining_ms > FERRY_SC_MAX_REMAINING_MS)
		return ferry_errf(err, errlen, -ERANGE,
				  "remaining lifetime %llu ms over 30 days",
				  (unsigned long long)r->remaining_ms);
	if (r->age_ms > FERRY_SC_MAX_AGE_MS)
		return ferry_errf(err, errlen, -ERANGE, "age %llu ms over %llu ms",
				  (unsigned long long)r->age_ms, FERRY_SC_MAX_AGE_MS);
	if (r->idle_ms > r->age_ms)
		return ferry_errf(err, errlen, -ERANGE,
				  "idle time %llu ms longer than the age %llu ms",
				  (unsigned long long)r->idle_ms,
				  (unsigned long long)r->age_ms);
	if (r->nat_kind & ~(FERRY_NAT_SNAT | FERRY_NAT_DNAT))
		return ferry_errf(err, errlen, -EBADMSG, "nat kind %u is not 1 (snat), "
				  "2 (dnat) or 3 (both)", r->nat_kind);
	if (r->nat_kind && r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP &&
	    r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6)
		return ferry_errf(err, errlen, -EBADMSG, "a NAT binding on proto %u",
				  r->proto);
	if (r->proto != IPPROTO_TCP)
		return 0;
	ret = check_tcp(&r->tcp[0], "orig", err, errlen);
	return ret ?: check_tcp(&r->tcp[1], "reply", err, errlen);
}

/* ---- Encoder ---- */

struct ferry_sc_enc {
	ferry_sc_write_fn write;
	void *ctx;
	__u64 flow_count;
	__u64 added;
	__u64 seq;
	__u32 chunk_entries;
	__u32 in_chunk;		/* flows in the current chunk */
	__u32 chunk_size;	/* flows the current chunk will hold */
	int zlib;
	int failed;		/* sticky error */
	msgpack_sbuffer payload;	/* the current chunk's record array */
	msgpack_packer pk;
	msgpack_sbuffer frame;		/* header, chunk maps */
	msgpack_packer fk;
	z_stream zs;
	Bytef *zbuf;
	uLong zcap;
	char err[FERRY_SC_ERR_MAX];
};

static int enc_fail(struct ferry_sc_enc *e, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int enc_fail(struct ferry_sc_enc *e, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
	e->failed = ret;
	return ret;
}

const char *ferry_sc_enc_error(const struct ferry_sc_enc *e)
{
	return e->err;
}

static int host_ok(const char *host)
{
	size_t i, n = host ? strlen(host) : 0;

	if (n < 1 || n > FERRY_SC_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (host[i] < 0x21 || host[i] > 0x7e)
			return 0;
	return 1;
}

static __u64 unix_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int enc_flush_frame(struct ferry_sc_enc *e)
{
	int ret = e->write(e->ctx, e->frame.data, e->frame.size);

	msgpack_sbuffer_clear(&e->frame);
	if (ret)
		return enc_fail(e, ret < 0 ? ret : -EIO, "write: %s",
				strerror(ret < 0 ? -ret : EIO));
	return 0;
}

static int enc_header(struct ferry_sc_enc *e, const struct ferry_sc_enc_opts *o)
{
	msgpack_packer *k = &e->fk;
	__u64 chunks = (o->flow_count + e->chunk_entries - 1) / e->chunk_entries;
	size_t hl = strlen(o->host);
	int bad = 0;

	bad |= msgpack_pack_map(k, FERRY_SC_H_NKEYS);
	bad |= msgpack_pack_uint8(k, FERRY_SC_H_VERSION);
	bad |= msgpack_pack_uint8(k, FERRY_SC_VERSION);
	bad |= msgpack_pack_uint8(k, FERRY_SC_H_HOST);
	bad |= msgpack_pack_str(k, hl);
	bad |= msgpack_pack_str_body(k, o->host, hl);
	bad |= msgpack_pack_uint8(k, FERRY_SC_H_CREATED_MS);
	bad |= msgpack_pack_uint64(k, o->created_ms ?: unix_ms_now());
	bad |= msgpack_pack_uint8(k, FERRY_SC_H_FLOW_COUNT);
	bad |= msgpack_pack_uint64(k, o->flow_count);
	bad |= msgpack_pack_uint8(k, FERRY_SC_H_CHUNK_COUNT);
	bad |= msgpack_pack_uint64(k, chunks);
	bad |= msgpack_pack_uint8(k, FERRY_SC_H_FLAGS);
	bad |= msgpack_pack_uint32(k, e->zlib ? FERRY_SC_F_ZLIB : 0);
	if (bad)
		return enc_fail(e, -ENOMEM, "header: out of memory");
	return enc_flush_frame(e);
}

static void enc_destroy(struct ferry_sc_enc *e)
{
	msgpack_sbuffer_destroy(&e->payload);
	msgpack_sbuffer_destroy(&e->frame);
	if (e->zlib)
		deflateEnd(&e->zs);
	free(e->zbuf);
	free(e);
}

struct ferry_sc_enc *ferry_sc_enc_new(const struct ferry_sc_enc_opts *o,
				      char *err, size_t errlen)
{
	struct ferry_sc_enc *e;
	int ret;

	if (!host_ok(o->host) || !o->write || o->zlib_level < 0 ||
	    o->zlib_level > 9 || o->chunk_entries > FERRY_SC_DEF_MAX_CHUNK_ENTRIES) {
		ferry_errf(err, errlen, 0, "encoder: bad options (host 1..255 "
			   "printable bytes, zlib level 0..9, chunk entries <= %u)",
			   FERRY_SC_DEF_MAX_CHUNK_ENTRIES);
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto out_nomem;
	e->write = o->write;
	e->ctx = o->ctx;
	e->flow_count = o->flow_count;
	e->chunk_entries = o->chunk_entries ?: FERRY_SC_DEF_CHUNK_ENTRIES;
	msgpack_sbuffer_init(&e->payload);
	msgpack_packer_init(&e->pk, &e->payload, msgpack_sbuffer_write);
	msgpack_sbuffer_init(&e->frame);
	msgpack_packer_init(&e->fk, &e->frame, msgpack_sbuffer_write);
	if (o->zlib_level) {
		if (deflateInit(&e->zs, o->zlib_level) != Z_OK)
			goto out_free;
		e->zlib = 1;
	}
	ret = enc_header(e, o);
	if (ret) {
		ferry_errf(err, errlen, 0, "%s", e->err);
		enc_destroy(e);
		errno = -ret;
		return NULL;
	}
	return e;

out_free:
	enc_destroy(e);
out_nomem:
	ferry_errf(err, errlen, 0, "encoder: out of memory");
	errno = ENOMEM;
	return NULL;
}

void ferry_sc_enc_free(struct ferry_sc_enc *e)
{
	if (e)
		enc_destroy(e);
}

/* Compress the payload into e->zbuf; its length in *out. */
static int enc_deflate(struct ferry_sc_enc *e, uLong *out)
{
	uLong bound = deflateBound(&e->zs, e->payload.size);

	if (bound > e->zcap) {
		Bytef *nb = realloc(e->zbuf, bound);

		if (!nb)
			return enc_fail(e, -ENOMEM, "chunk %llu: out of memory",
					(unsigned long long)e->seq);
		e->zbuf = nb;
		e->zcap = bound;
	}
	deflateReset(&e->zs);
	e->zs.next_in = (Bytef *)e->payload.data;
	e->zs.avail_in = e->payload.size;
	e->zs.next_out = e->zbuf;
	e->zs.avail_out = e->zcap;
	if (deflate(&e->zs, Z_FINISH) != Z_STREAM_END)
		return enc_fail(e, -EIO, "chunk %llu: zlib: %s",
				(unsigned long long)e->seq, e->zs.msg ?: "deflate failed");
	*out = e->zcap - e->zs.avail_out;
	return 0;
}

static int enc_flush_chunk(struct ferry_sc_enc *e)
{
	msgpack_packer *k = &e->fk;
	const void *body = e->payload.data;
	uLong len = e->payload.size;
	int ret, bad = 0;

	if (e->zlib) {
		ret = enc_deflate(e, &len);
		if (ret)
			return ret;
		body = e->zbuf;
	}
	bad |= msgpack_pack_map(k, e->zlib ? 4 : 3);
	bad |= msgpack_pack_uint8(k, FERRY_SC_C_SEQ);
	bad |= msgpack_pack_uint64(k, e->seq);
	bad |= msgpack_pack_uint8(k, FERRY_SC_C_COUNT);
	bad |= msgpack_pack_uint32(k, e->chunk_size);
	if (e->zlib) {
		bad |= msgpack_pack_uint8(k, FERRY_SC_C_RAW_LEN);
		bad |= msgpack_pack_uint64(k, e->payload.size);
	}
	bad |= msgpack_pack_uint8(k, FERRY_SC_C_PAYLOAD);
	bad |= msgpack_pack_bin(k, len);
	if (bad)
		return enc_fail(e, -ENOMEM, "chunk: out of memory");
	ret = enc_flush_frame(e);
	if (ret)
		return ret;
	ret = e->write(e->ctx, body, len);
	if (ret)
		return enc_fail(e, ret < 0 ? ret : -EIO, "write: %s",
				strerror(ret < 0 ? -ret : EIO));
	msgpack_sbuffer_clear(&e->payload);
	e->seq++;
	e->in_chunk = 0;
	return 0;
}

/*
 * A flow's record is written with the project's own MessagePack writer
 * (mpk.c, shortest encodings, as msgpack-c's) into a buffer on the stack,
 * then appended to the chunk at once: msgpack-c's packer makes a callback
 * and a copy for each of the record's 40-odd items.
 */
#define FLOW_RECORD_MAX	512

static void pack_tcp(struct ferry_mpk_buf *b, const struct ferry_sc_tcp *t)
{
	ferry_mpk_put_array(b, 6);
	ferry_mpk_put_uint(b, t->end);
	ferry_mpk_put_uint(b, t->maxend);
	ferry_mpk_put_uint(b, t->maxwin);
	ferry_mpk_put_uint(b, t->maxack);
	ferry_mpk_put_uint(b, t->wscale);
	ferry_mpk_put_uint(b, t->flags);
}

static void pack_kv(struct ferry_mpk_buf *b, unsigned int key, __u64 v)
{
	ferry_mpk_put_uint(b, key);
	ferry_mpk_put_uint(b, v);
}

static void pack_addr(struct ferry_mpk_buf *b, unsigned int key, const __u8 *a,
		      int len)
{
	ferry_mpk_put_uint(b, key);
	ferry_mpk_put_bin(b, a, len);
}

static void pack_flow(struct ferry_mpk_buf *b, const struct ferry_sc_flow *r)
{
	int tcp = r->proto == IPPROTO_TCP, alen = addr_len(r->family);

	ferry_mpk_put_map(b, (tcp ? 19 : 17) + !!r->nat_kind);
	pack_kv(b, FERRY_SC_E_ZONE, r->zone);
	pack_kv(b, FERRY_SC_E_FAMILY, r->family);
	pack_kv(b, FERRY_SC_E_PROTO, r->proto);
	pack_addr(b, FERRY_SC_E_SRC, r->src, alen);
	pack_addr(b, FERRY_SC_E_DST, r->dst, alen);
	pack_kv(b, FERRY_SC_E_SPORT, r->sport);
	pack_kv(b, FERRY_SC_E_DPORT, r->dport);
	pack_kv(b, FERRY_SC_E_STATE, r->state);
	pack_kv(b, FERRY_SC_E_FLAGS, r->flags);
	pack_kv(b, FERRY_SC_E_REMAINING_MS, r->remaining_ms);
	pack_kv(b, FERRY_SC_E_AGE_MS, r->age_ms);
	pack_kv(b, FERRY_SC_E_IDLE_MS, r->idle_ms);
	pack_kv(b, FERRY_SC_E_ORIG_PACKETS, r->packets[FERRY_DIR_ORIG]);
	pack_kv(b, FERRY_SC_E_ORIG_BYTES, r->bytes[FERRY_DIR_ORIG]);
	pack_kv(b, FERRY_SC_E_REPLY_PACKETS, r->packets[FERRY_DIR_REPLY]);
	pack_kv(b, FERRY_SC_E_REPLY_BYTES, r->bytes[FERRY_DIR_REPLY]);
	if (tcp) {
		ferry_mpk_put_uint(b, FERRY_SC_E_TCP_ORIG);
		pack_tcp(b, &r->tcp[FERRY_DIR_ORIG]);
		ferry_mpk_put_uint(b, FERRY_SC_E_TCP_REPLY);
		pack_tcp(b, &r->tcp[FERRY_DIR_REPLY]);
	}
	pack_kv(b, FERRY_SC_E_RULE_ID, r->rule_id);
	if (r->nat_kind) {
		ferry_mpk_put_uint(b, FERRY_SC_E_NAT);
		ferry_mpk_put_array(b, 5);
		ferry_mpk_put_uint(b, r->nat_kind);
		ferry_mpk_put_bin(b, r->nat_src, alen);
		ferry_mpk_put_uint(b, r->nat_sport);
		ferry_mpk_put_bin(b, r->nat_dst, alen);
		ferry_mpk_put_uint(b, r->nat_dport);
	}
}

int ferry_sc_enc_add(struct ferry_sc_enc *e, const struct ferry_sc_flow *r)
{
	__u8 buf[FLOW_RECORD_MAX];
	struct ferry_mpk_buf rec;
	char msg[FERRY_SC_ERR_MAX];
	int ret;

	if (e->failed)
		return e->failed;
	if (e->added == e->flow_count)
		return enc_fail(e, -EINVAL, "flow %llu: the header declared %llu flows",
				(unsigned long long)e->added + 1,
				(unsigned long long)e->flow_count);
	ret = ferry_sc_flow_check(r, msg, sizeof(msg));
	if (ret)
		return enc_fail(e, ret, "flow %llu: %s",
				(unsigned long long)e->added, msg);
	if (!e->in_chunk) {
		__u64 left = e->flow_count - e->added;

		e->chunk_size = left < e->chunk_entries ? left : e->chunk_entries;
		if (msgpack_pack_array(&e->pk, e->chunk_size))
			return enc_fail(e, -ENOMEM, "chunk: out of memory");
	}
	ferry_mpk_init(&rec, buf, sizeof(buf));
	pack_flow(&rec, r);
	if (rec.overflow || msgpack_sbuffer_write(&e->payload, (const char *)buf,
						  rec.len))
		return enc_fail(e, -ENOMEM, "chunk: out of memory");
	e->added++;
	if (++e->in_chunk == e->chunk_size)
		return enc_flush_chunk(e);
	return 0;
}

int ferry_sc_enc_add_entry(struct ferry_sc_enc *e, const struct ferry_flow_key *k,
			   const struct ferry_flow *f, __u64 now_ns)
{
	struct ferry_sc_flow r;

	if (e->failed)
		return e->failed;
	if (ferry_sc_flow_from_entry(k, f, now_ns, &r))
		return enc_fail(e, -EINVAL, "flow %llu: key of family %u is malformed",
				(unsigned long long)e->added, k->family);
	return ferry_sc_enc_add(e, &r);
}

int ferry_sc_enc_finish(struct ferry_sc_enc *e)
{
	if (e->failed)
		return e->failed;
	if (e->added != e->flow_count)
		return enc_fail(e, -EINVAL, "%llu flows added, the header declared %llu",
				(unsigned long long)e->added,
				(unsigned long long)e->flow_count);
	return 0;
}
