// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The source's side of a migration payload; see migsource.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "bundleio.h"
#include "ctiter.h"
#include "envelope.h"
#include "migpayload.h"
#include "migsource.h"
#include "mpk.h"
#include "statecodec.h"

struct src_ctx {
	const struct ferry_mig_source *s;
	struct ferry_mig_result *res;
	__u64 mig64;
	__u8 *data;		/* the transport chunk being filled */
	size_t fill, cap;
	__u8 *body;		/* its envelope body, then the envelope */
	__u8 *env;
	size_t body_cap, env_cap;
	__u64 seq;		/* chunks emitted */
	__u64 total;		/* bundle bytes emitted */
	__u64 emit_ns;		/* time spent in the caller's emit */
	__u64 encode_ns;	/* encoding and sealing */
	__u64 flows;		/* flows in the bundles so far */
	__u64 now;		/* the datapath's clock */
	crypto_generichash_state hash;
};

static int result(struct ferry_mig_result *res, int reason, int code,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int result(struct ferry_mig_result *res, int reason, int code,
		  const char *fmt, ...)
{
	va_list ap;

	res->reason = reason;
	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	return code;
}

static __u64 real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Seal body[0..len) as the envelope (type, seq) and hand it over. */
static int emit(struct src_ctx *c, __u32 type, __u64 seq, size_t len)
{
	const struct ferry_mig_source *s = c->s;
	struct ferry_envelope e = {
		.type = type, .origin = s->host_id, .migration_id = c->mig64,
		.seq = seq, .timestamp_ms = s->real_now_ms ?: real_ms(),
		.body = c->body, .body_len = len,
	};
	size_t elen;
	__u64 t0;
	int ret;

	ret = ferry_envelope_seal(&e, s->id, c->env, c->env_cap, &elen);
	if (ret)
		return result(c->res, FERRY_MIG_INTERNAL, ret, "sealing envelope %llu: %s",
			      (unsigned long long)seq, strerror(-ret));
	t0 = mono_ns();
	ret = s->emit(s->ctx, type, seq, c->env, elen);
	c->emit_ns += mono_ns() - t0;
	if (ret)
		return result(c->res, FERRY_MIG_INTERNAL, ret, "emitting envelope %llu: %s",
			      (unsigned long long)seq, strerror(-ret));
	return 0;
}

/* The transport chunk data[0..fill) is complete: send it. */
static int flush_chunk(struct src_ctx *c)
{
	const struct ferry_mig_order *o = c->s->order;
	struct ferry_mpk_buf b;
	int ret;

	if (!c->fill)
		return 0;
	if (c->total + c->fill > o->max_bytes)
		return result(c->res, FERRY_MIG_TOO_LARGE, -E2BIG, "the bundle exceeds "
			      "the order's max_bytes %llu (stopped before chunk %llu, "
			      "no commit)", (unsigned long long)o->max_bytes,
			      (unsigned long long)c->seq);
	crypto_generichash_update(&c->hash, c->data, c->fill);
	ferry_mpk_init(&b, c->body, c->body_cap);
	ferry_mig_chunk_body(&b, o->id, c->data, c->fill);
	if (b.overflow)
		return result(c->res, FERRY_MIG_INTERNAL, -ENOBUFS, "chunk body overflow");
	ret = emit(c, FERRY_MSG_MIG_CHUNK, c->seq, b.len);
	if (ret)
		return ret;
	c->seq++;
	c->total += c->fill;
	c->fill = 0;
	return 0;
}

/* The codec's write callback: fill transport chunks. */
static int write_bytes(void *ctx, const void *buf, size_t len)
{
	struct src_ctx *c = ctx;
	const __u8 *p = buf;
	int ret;

	while (len) {
		size_t n = c->cap - c->fill < len ? c->cap - c->fill : len;

		memcpy(c->data + c->fill, p, n);
		c->fill += n;
		p += n;
		len -= n;
		if (c->fill == c->cap) {
			ret = flush_chunk(c);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int send_commit(struct src_ctx *c, __u64 flows)
{
	struct ferry_mig_commit cm = {
		.chunk_count = c->seq, .total_bytes = c->total, .flow_count = flows,
	};
	struct ferry_mpk_buf b;

	memcpy(cm.id, c->s->order->id, FERRY_MIG_ID_LEN);
	crypto_generichash_final(&c->hash, cm.hash, sizeof(cm.hash));
	ferry_mpk_init(&b, c->body, c->body_cap);
	ferry_mig_commit_body(&b, &cm);
	if (b.overflow)
		return result(c->res, FERRY_MIG_INTERNAL, -ENOBUFS, "commit body overflow");
	return emit(c, FERRY_MSG_MIG_COMMIT, c->seq, b.len);
}

/* The order must name this host and key as its source, and be valid. */
static int check_source(const struct ferry_mig_source *s, struct ferry_mig_result *res)
{
	const struct ferry_mig_order *o = s->order;
	__u64 now_s = (s->real_now_ms ?: real_ms()) / 1000;

	if (o->src_host != s->host_id || memcmp(o->src_pk, s->id->pk, FERRY_WIRE_KEY_LEN))
		return result(res, FERRY_MIG_WRONG_SOURCE, -EACCES, "the order's source "
			      "is host %u with another key, not this host %u",
			      o->src_host, s->host_id);
	if (now_s >= o->expires_s)
		return result(res, FERRY_MIG_EXPIRED, -ETIME, "the order expired at %llu "
			      "(now %llu)", (unsigned long long)o->expires_s,
			      (unsigned long long)now_s);
	if (s->chunk_bytes > FERRY_MIG_CHUNK_MAX)
		return result(res, FERRY_MIG_INTERNAL, -EINVAL, "chunk size %u over %u",
			      s->chunk_bytes, FERRY_MIG_CHUNK_MAX);
	return 0;
}

static int alloc_buffers(struct src_ctx *c)
{
	c->cap = c->s->chunk_bytes ?: FERRY_MIG_CHUNK_DEFAULT;
	c->body_cap = c->cap + FERRY_MIG_BODY_OVERHEAD;
	c->env_cap = c->body_cap + FERRY_ENVELOPE_OVERHEAD;
	c->data = malloc(c->cap);
	c->body = malloc(c->body_cap);
	c->env = malloc(c->env_cap);
	if (!c->data || !c->body || !c->env)
		return result(c->res, FERRY_MIG_INTERNAL, -ENOMEM, "out of memory");
	return 0;
}

/* A batch of the VM's flows as one bundle, in the transport chunks. */
static int encode_bundle(struct src_ctx *c, const struct ferry_export_rec *r,
			 __u32 n)
{
	struct ferry_sc_enc_opts eo = {
		.zlib_level = c->s->zlib_level, .write = write_bytes, .ctx = c,
		.created_ms = c->s->real_now_ms,
	};
	char host[32], err[FERRY_SC_ERR_MAX] = "";
	int ret;

	snprintf(host, sizeof(host), "host-%u", c->s->host_id);
	eo.host = host;
	ret = ferry_export_encode_bundle(&eo, r, n, c->now, err, sizeof(err));
	/* a failed write has said why already */
	if (ret && !c->res->reason)
		result(c->res, FERRY_MIG_INTERNAL, ret, "encoder: %s", err);
	return ret;
}

/* The export's batches: each a bundle, sent as it is made. */
static int on_batch(void *ctx, const struct ferry_export_rec *r, __u32 n)
{
	struct src_ctx *c = ctx;
	const struct ferry_mig_order *o = c->s->order;
	__u64 t0 = mono_ns(), emitted = c->emit_ns;
	int ret;

	if (c->flows + n > o->max_flows)
		return result(c->res, FERRY_MIG_TOO_LARGE, -E2BIG, "the VM has more "
			      "than the %llu flows the order allows (stopped before "
			      "chunk %llu, no commit)", (unsigned long long)o->max_flows,
			      (unsigned long long)c->seq);
	ret = encode_bundle(c, r, n);
	c->flows += n;
	c->encode_ns += mono_ns() - t0 - (c->emit_ns - emitted);
	return ret;
}

int ferry_mig_source_run(const struct ferry_mig_source *s, struct ferry_mig_result *res)
{
	struct src_ctx c = { .s = s, .res = res };
	struct ferry_export_sel sel;
	__u64 n = 0, t0;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = check_source(s, res);
	if (ret)
		return ret;
	c.mig64 = ferry_mig_id64(s->order->id);
	c.now = s->mono_now_ns ?: ferry_now_ns();
	ferry_mig_vm_selection(&s->order->vm, &sel);
	ret = alloc_buffers(&c);
	if (ret)
		goto out_free;
	crypto_generichash_init(&c.hash, NULL, 0, FERRY_WIRE_HASH_LEN);
	crypto_generichash_update(&c.hash, (const __u8 *)FERRY_MIG_HASH_LABEL,
				  sizeof(FERRY_MIG_HASH_LABEL));
	t0 = mono_ns();
	ret = ferry_export_stream(s->ops, &sel, c.now,
				  s->bundle_flows ?: FERRY_MIG_BUNDLE_FLOWS,
				  on_batch, &c, &n);
	if (ret && !res->reason)
		result(res, FERRY_MIG_INTERNAL, ret, "export: %s", strerror(-ret));
	/* a VM without flows: one empty bundle */
	if (!ret && !c.flows)
		ret = on_batch(&c, NULL, 0);
	if (!ret)
		ret = flush_chunk(&c);
	if (!ret)
		ret = send_commit(&c, c.flows);
	res->export_ns = mono_ns() - t0 - c.encode_ns - c.emit_ns;
	res->sign_ns = c.encode_ns;
	res->flows = c.flows;
	res->chunks = c.seq;
	res->bytes = c.total;
	if (!ret)
		result(res, FERRY_MIG_OK, 0, "%llu flows in %llu chunks, %llu bytes",
		       (unsigned long long)c.flows, (unsigned long long)c.seq,
		       (unsigned long long)c.total);
out_free:
	free(c.data);
	free(c.body);
	free(c.env);
	return ret;
}
