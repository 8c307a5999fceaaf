// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The destination's side of a migration payload; see migdest.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sodium.h>
#include <bpf/bpf.h>
#include "cthandover.h"
#include "ctiter.h"
#include "envelope.h"
#include "flowfmt.h"
#include "vmindex.h"
#include "migdest.h"
#include "migpayload.h"
#include "ruleset.h"
#include "statecodec.h"

/* ---- The set of finished migrations ---- */

struct done_entry {
	__u8 id[FERRY_MIG_ID_LEN];
	__u64 expires_s;
};

struct ferry_mig_done {
	__u32 n, cap;
	struct done_entry e[];
};

struct ferry_mig_done *ferry_mig_done_new(__u32 cap)
{
	struct ferry_mig_done *d;

	if (!cap)
		cap = FERRY_MIG_DONE_DEFAULT;
	d = calloc(1, sizeof(*d) + (size_t)cap * sizeof(d->e[0]));
	if (d)
		d->cap = cap;
	return d;
}

void ferry_mig_done_free(struct ferry_mig_done *d)
{
	free(d);
}

__u32 ferry_mig_done_count(const struct ferry_mig_done *d)
{
	return d->n;
}

void ferry_mig_done_get(const struct ferry_mig_done *d, __u32 i,
			__u8 id[FERRY_MIG_ID_LEN], __u64 *expires_s)
{
	memcpy(id, d->e[i].id, FERRY_MIG_ID_LEN);
	*expires_s = d->e[i].expires_s;
}

static long done_find(const struct ferry_mig_done *d, const __u8 id[FERRY_MIG_ID_LEN])
{
	__u32 i;

	for (i = 0; i < d->n; i++)
		if (!memcmp(d->e[i].id, id, FERRY_MIG_ID_LEN))
			return i;
	return -1;
}

int ferry_mig_done_has(const struct ferry_mig_done *d, const __u8 id[FERRY_MIG_ID_LEN])
{
	return done_find(d, id) >= 0;
}

/* Make room: drop the expired ids, else the one expiring first. */
static void done_evict(struct ferry_mig_done *d, __u64 now_s)
{
	__u32 i, j, first = 0;

	for (i = 0, j = 0; i < d->n; i++)
		if (d->e[i].expires_s > now_s)
			d->e[j++] = d->e[i];
	d->n = j;
	if (d->n < d->cap)
		return;
	for (i = 1; i < d->n; i++)
		if (d->e[i].expires_s < d->e[first].expires_s)
			first = i;
	d->e[first] = d->e[--d->n];
}

void ferry_mig_done_add(struct ferry_mig_done *d, const __u8 id[FERRY_MIG_ID_LEN],
			__u64 expires_s, __u64 now_s)
{
	long i = done_find(d, id);

	if (i >= 0) {
		d->e[i].expires_s = expires_s;
		return;
	}
	if (d->n == d->cap)
		done_evict(d, now_s);
	memcpy(d->e[d->n].id, id, FERRY_MIG_ID_LEN);
	d->e[d->n].expires_s = expires_s;
	d->n++;
}

/* ---- The receiver ---- */

struct ferry_mig_recv {
	const struct ferry_mig_dest *d;
	struct ferry_mig_order order;
	struct ferry_mig_result res;
	__u64 mig64;
	__u64 next;		/* seq of the next chunk */
	__u8 *buf;		/* the payload's bytes not decoded yet */
	size_t len, cap;
	__u64 total;		/* the payload's bytes so far */
	/* the flows of the bundles decoded so far (each as soon as its
	 * bytes are in), and the number of those bundles */
	struct ferry_sc_array arr;
	__u64 bundles;
	/* their install, as they are decoded: one import open per table at
	 * a time (another migration's: this one waits, decoding) */
	struct ferry_import_tx tx;
	struct ferry_rule *rules;	/* the local rules, read at its begin */
	__u64 added;		/* flows of arr added to tx */
	bool waiting;		/* the commit came: installs when tx can open */
	crypto_generichash_state hash;
	int state;		/* 0 receiving, 1 installed, <0 failed (-errno) */
	__u64 gap_lo, gap_hi;	/* failed on a jump: chunks [lo, hi) missing */
	bool ended;		/* the source's commit came (valid or not) */
	/* installed: the flows and their verdicts (grown with arr), until
	 * they are noted in the per-VM index (ferry_mig_recv_index) */
	struct ferry_sc_array installed;
	__u8 *verdict;
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

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int check_order(const struct ferry_mig_dest *d, const struct ferry_mig_order *o,
		       __u64 now_s, struct ferry_mig_result *res)
{
	char hex[2 * FERRY_MIG_ID_LEN + 1];

	if (o->dst_host != d->host_id)
		return result(res, FERRY_MIG_WRONG_DESTINATION, -EACCES, "the order is "
			      "for host %u, this is host %u", o->dst_host, d->host_id);
	if (d->done && ferry_mig_done_has(d->done, o->id)) {
		ferry_mig_id_hex(o->id, hex);
		return result(res, FERRY_MIG_ALREADY_DONE, -EALREADY, "migration %s "
			      "is already installed", hex);
	}
	if (now_s >= o->expires_s)
		return result(res, FERRY_MIG_EXPIRED, -ETIME, "the order expired at "
			      "%llu (now %llu)", (unsigned long long)o->expires_s,
			      (unsigned long long)now_s);
	return 0;
}

struct ferry_mig_recv *ferry_mig_recv_new(const struct ferry_mig_dest *d,
					  const __u8 *order, size_t len, __u64 now_s,
					  struct ferry_mig_result *res)
{
	struct ferry_mig_recv *r;
	int ret, reason;

	memset(res, 0, sizeof(*res));
	r = calloc(1, sizeof(*r));
	if (!r) {
		result(res, FERRY_MIG_INTERNAL, 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ret = ferry_mig_order_open(order, len, d->som_pk, &r->order, &reason,
				   res->msg, sizeof(res->msg));
	res->reason = reason;
	if (!ret)
		ret = check_order(d, &r->order, now_s, res);
	if (ret) {
		free(r);
		errno = -ret;
		return NULL;
	}
	r->d = d;
	r->mig64 = ferry_mig_id64(r->order.id);
	crypto_generichash_init(&r->hash, NULL, 0, FERRY_WIRE_HASH_LEN);
	crypto_generichash_update(&r->hash, (const __u8 *)FERRY_MIG_HASH_LABEL,
				  sizeof(FERRY_MIG_HASH_LABEL));
	return r;
}

/* Remove whatever this migration inserted (invisibly) so far. */
static void drop_import(struct ferry_mig_recv *r)
{
	if (r->tx.open)
		ferry_import_abort(&r->tx, r->arr.keys, r->arr.flows);
	free(r->rules);
	r->rules = NULL;
}

void ferry_mig_recv_free(struct ferry_mig_recv *r)
{
	if (!r)
		return;
	drop_import(r);
	free(r->buf);
	free(r->arr.keys);
	free(r->arr.flows);
	free(r->installed.keys);
	free(r->installed.flows);
	free(r->verdict);
	free(r);
}

int ferry_mig_recv_index(struct ferry_mig_recv *r)
{
	struct ferry_sc_array *a = &r->installed;
	int ret;

	if (!r->verdict)
		return 0;
	ret = ferry_import_index(r->d->ops, a->keys, a->flows, r->verdict, a->n);
	free(a->keys);
	free(a->flows);
	free(r->verdict);
	a->keys = NULL;
	a->flows = NULL;
	r->verdict = NULL;
	return ret;
}

const struct ferry_mig_result *ferry_mig_recv_result(const struct ferry_mig_recv *r)
{
	return &r->res;
}

bool ferry_mig_recv_settled(const struct ferry_mig_recv *r)
{
	return r->state > 0 || (r->state < 0 &&
		(r->res.reason != FERRY_MIG_CHUNK_MISSING || r->ended));
}

const struct ferry_mig_order *ferry_mig_recv_order(const struct ferry_mig_recv *r)
{
	return &r->order;
}

static __u64 byte_limit(const struct ferry_mig_recv *r)
{
	__u64 lim = r->order.max_bytes;

	if (r->d->max_bytes && r->d->max_bytes < lim)
		lim = r->d->max_bytes;
	return lim;
}

/* Keep data[0..len) of the chunk. */
static int append(struct ferry_mig_recv *r, const __u8 *data, size_t len)
{
	if (r->total + len > byte_limit(r))
		return result(&r->res, FERRY_MIG_TOO_LARGE, -E2BIG, "chunk %llu takes "
			      "the payload past %llu bytes",
			      (unsigned long long)r->next,
			      (unsigned long long)byte_limit(r));
	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap : 256u << 10;
		void *p;

		while (cap < r->len + len)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p)
			return result(&r->res, FERRY_MIG_INTERNAL, -ENOMEM, "out of memory");
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->total += len;
	crypto_generichash_update(&r->hash, data, len);
	return 0;
}

/* Is envelope seq the next chunk? */
static int check_seq(struct ferry_mig_recv *r, __u64 seq)
{
	if (seq < r->next)
		return result(&r->res, FERRY_MIG_CHUNK_DUPLICATE, -EPROTO, "chunk %llu "
			      "came again (next is %llu)", (unsigned long long)seq,
			      (unsigned long long)r->next);
	if (seq > r->next) {
		r->gap_lo = r->next;
		r->gap_hi = seq;
		return result(&r->res, FERRY_MIG_CHUNK_MISSING, -EPROTO, "chunk %llu "
			      "missing (chunk %llu came)", (unsigned long long)r->next,
			      (unsigned long long)seq);
	}
	return 0;
}

/* The commit's claims against what came. */
static int check_commit(struct ferry_mig_recv *r, const struct ferry_envelope *e,
			const struct ferry_mig_commit *c, __u64 now_s)
{
	__u8 hash[FERRY_WIRE_HASH_LEN];

	if (memcmp(c->id, r->order.id, FERRY_MIG_ID_LEN))
		return result(&r->res, FERRY_MIG_WRONG_MIGRATION, -EPROTO, "the commit "
			      "belongs to another migration");
	if (e->seq != c->chunk_count)
		return result(&r->res, FERRY_MIG_MALFORMED, -EBADMSG, "commit: seq %llu "
			      "is not its chunk count %llu", (unsigned long long)e->seq,
			      (unsigned long long)c->chunk_count);
	if (c->chunk_count > r->next)
		return result(&r->res, FERRY_MIG_CHUNK_MISSING, -EPROTO, "the commit "
			      "counts %llu chunks, %llu came", (unsigned long long)c->chunk_count,
			      (unsigned long long)r->next);
	if (now_s >= r->order.expires_s)
		return result(&r->res, FERRY_MIG_EXPIRED, -ETIME, "the order expired at "
			      "%llu, before the commit (now %llu)",
			      (unsigned long long)r->order.expires_s, (unsigned long long)now_s);
	crypto_generichash_final(&r->hash, hash, sizeof(hash));
	if (c->chunk_count != r->next || c->total_bytes != r->total ||
	    sodium_memcmp(hash, c->hash, sizeof(hash)))
		return result(&r->res, FERRY_MIG_HASH_MISMATCH, -EBADMSG, "the commit "
			      "(%llu chunks, %llu bytes, hash) does not match the %llu "
			      "chunks, %llu bytes that came",
			      (unsigned long long)c->chunk_count,
			      (unsigned long long)c->total_bytes,
			      (unsigned long long)r->next, (unsigned long long)r->total);
	if (c->flow_count > r->order.max_flows)
		return result(&r->res, FERRY_MIG_TOO_LARGE, -E2BIG, "%llu flows, the "
			      "order allows %llu", (unsigned long long)c->flow_count,
			      (unsigned long long)r->order.max_flows);
	return 0;
}

/* "zone Z proto P src:sport -> dst:dport", the originator's direction. */
static void describe(const struct ferry_flow_key *k, const struct ferry_flow *f,
		     char *out, size_t len)
{
	int af = k->family == FERRY_AF_INET6 ? AF_INET6 : AF_INET;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	struct ferry_endpoints o, rep;

	ferry_flow_dirs(k, f, &o, &rep);
	inet_ntop(af, o.src, src, sizeof(src));
	inet_ntop(af, o.dst, dst, sizeof(dst));
	snprintf(out, len, "zone %u proto %u %s:%u -> %s:%u", k->zone, k->proto,
		 src, o.sport, dst, o.dport);
}

/*
 * Room in r->arr for need flows in all: never more than the order allows,
 * nor than the table holds (they could never be installed: refused before
 * room is allocated for them).
 */
static int room_for(struct ferry_mig_recv *r, __u64 need)
{
	struct ferry_sc_array *a = &r->arr;
	__u64 cap;
	void *k, *f, *v;

	if (need > r->order.max_flows)
		return result(&r->res, FERRY_MIG_TOO_LARGE, -E2BIG, "%llu flows, the "
			      "order allows %llu", (unsigned long long)need,
			      (unsigned long long)r->order.max_flows);
	if (need > r->d->ops->ct_max)
		return result(&r->res, FERRY_MIG_TABLE_FULL, -ENOSPC, "%llu flows can "
			      "never fit a table of %llu entries (nothing installed)",
			      (unsigned long long)need,
			      (unsigned long long)r->d->ops->ct_max);
	if (need <= a->cap && a->keys)
		return 0;
	cap = a->cap * 2 > need ? a->cap * 2 : need;
	if (cap > r->order.max_flows)
		cap = r->order.max_flows;
	k = realloc(a->keys, (cap ? cap : 1) * sizeof(*a->keys));
	if (k)
		a->keys = k;
	f = realloc(a->flows, (cap ? cap : 1) * sizeof(*a->flows));
	if (f)
		a->flows = f;
	v = realloc(r->verdict, cap ? cap : 1);
	if (v)
		r->verdict = v;
	if (!k || !f || !v)
		return result(&r->res, FERRY_MIG_INTERNAL, -ENOMEM, "out of memory");
	a->cap = cap;
	return 0;
}

/*
 * Decode buf[0..len) (one bundle, or at the commit whatever is left) after
 * the flows decoded so far, a header announcing flows; each flow must be
 * the VM's.
 */
static int decode_part(struct ferry_mig_recv *r, const __u8 *buf, size_t len,
		       __u64 flows)
{
	char why[FERRY_MIG_ERR_MAX], desc[160];
	struct ferry_sc_array *a = &r->arr;
	struct ferry_export_sel sel;
	struct ferry_sc_limits lim;
	__u64 i, start = a->n;
	int ret;

	ret = room_for(r, a->n + flows);
	if (ret)
		return ret;
	ferry_sc_limits_default(&lim);
	lim.max_flows = r->order.max_flows;
	ret = ferry_sc_decode_seq_append(buf, len, &lim, ferry_now_ns(), r->bundles,
					 a, why, sizeof(why));
	if (ret)
		return result(&r->res, FERRY_MIG_MALFORMED, ret < 0 ? ret : -EBADMSG,
			      "payload: %s", why);
	r->bundles++;
	r->res.flows = a->n;
	ferry_mig_vm_selection(&r->order.vm, &sel);
	for (i = start; i < a->n; i++) {
		if (ferry_export_selects(&sel, &a->keys[i], &a->flows[i]))
			continue;
		describe(&a->keys[i], &a->flows[i], desc, sizeof(desc));
		return result(&r->res, FERRY_MIG_FOREIGN_FLOW, -EPERM, "flow %llu (%s) "
			      "is not the VM's (nothing installed)",
			      (unsigned long long)i, desc);
	}
	return 0;
}

/* Open this migration's import: the local rules as they are now. */
static int tx_begin(struct ferry_mig_recv *r)
{
	struct ferry_import_opts o = {
		.nat = r->d->nat, .flags = FERRY_IMPORT_INDEX_LATER,
	};
	char why[FERRY_MIG_ERR_MAX];
	int ret;

	/* kept while another process's import makes this one wait: read
	 * again at each try */
	if (!r->rules)
		r->rules = calloc(FERRY_MAX_RULES, sizeof(*r->rules));
	if (!r->rules)
		return result(&r->res, FERRY_MIG_INTERNAL, -ENOMEM, "out of memory");
	ret = ferry_ruleset_read(r->d->rulesets_fd, r->rules, FERRY_MAX_RULES,
				 &o.nrules);
	if (ret)
		return result(&r->res, FERRY_MIG_INTERNAL, ret, "reading the rules: %s",
			      strerror(-ret));
	o.rules = r->rules;
	ret = ferry_import_begin(&r->tx, r->d->ops, &o, why, sizeof(why));
	if (ret == -EBUSY)	/* another process's import (ferryctl): wait */
		return ret;
	if (ret)
		return result(&r->res, FERRY_MIG_INTERNAL, ret, "import: %s", why);
	return 0;
}

/*
 * Insert (invisibly) the flows decoded since the last time, opening the
 * import first if no other is open; with another open, this process's or
 * another's, later.
 */
static int install_more(struct ferry_mig_recv *r)
{
	char why[FERRY_MIG_ERR_MAX];
	__u64 t0 = mono_ns(), n = r->arr.n - r->added;
	unsigned int i;
	int ret = 0;

	if (!r->tx.open) {
		if (r->d->ops->import_open)
			return 0;
		ret = tx_begin(r);
		if (ret == -EBUSY)
			return 0;
	}
	if (!ret && n)
		ret = ferry_import_add(&r->tx, r->arr.keys + r->added,
				       r->arr.flows + r->added, n,
				       r->verdict + r->added, why, sizeof(why));
	r->added = r->arr.n;
	for (i = 0; i < FERRY_IMPORT_REASON_MAX; i++)
		r->res.count[i] = r->tx.rep.count[i];
	r->res.install_ns += mono_ns() - t0;
	if (ret == -ENOSPC)
		return result(&r->res, FERRY_MIG_TABLE_FULL, ret, "%s", why);
	if (ret && !r->res.reason)
		return result(&r->res, FERRY_MIG_INTERNAL, ret, "import: %s", why);
	return ret;
}

/*
 * Decode the bundles whose bytes are all in, install their flows, and drop
 * those bytes; at the commit (last), whatever is left, which must be
 * bundles too.
 */
static int decode_ready(struct ferry_mig_recv *r, bool last)
{
	size_t off = 0;
	ssize_t blen;
	__u64 flows;
	int ret = 0;

	while (!ret && off < r->len) {
		blen = ferry_sc_bundle_len(r->buf + off, r->len - off, &flows);
		if (!blen && !last)
			break;
		if (blen <= 0)
			blen = r->len - off;	/* the decoder says what is wrong */
		ret = decode_part(r, r->buf + off, blen, flows) ?: install_more(r);
		off += blen;
	}
	if (!ret && off) {
		memmove(r->buf, r->buf + off, r->len - off);
		r->len -= off;
	}
	return ret;
}

static int take_chunk(struct ferry_mig_recv *r, const struct ferry_envelope *e)
{
	char why[FERRY_MIG_ERR_MAX];
	__u8 id[FERRY_MIG_ID_LEN];
	const __u8 *data;
	size_t dlen;
	int ret;

	ret = check_seq(r, e->seq);
	if (ret)
		return ret;
	ret = ferry_mig_chunk_decode(e->body, e->body_len, id, &data, &dlen,
				     why, sizeof(why));
	if (ret)
		return result(&r->res, FERRY_MIG_MALFORMED, ret, "%s", why);
	if (memcmp(id, r->order.id, FERRY_MIG_ID_LEN))
		return result(&r->res, FERRY_MIG_WRONG_MIGRATION, -EPROTO, "chunk %llu "
			      "belongs to another migration", (unsigned long long)e->seq);
	ret = append(r, data, dlen);
	if (ret)
		return ret;
	r->next++;
	r->res.chunks = r->next;
	r->res.bytes = r->total;
	return decode_ready(r, false);
}

/*
 * The commit checked out and every flow is decoded: insert the rest and
 * make them all visible; 0 while another migration's import is open (the
 * migration waits: ferry_mig_recv_retry).
 */
static int install(struct ferry_mig_recv *r, __u64 now_s)
{
	char why[FERRY_MIG_ERR_MAX];
	__u64 t0;
	int ret;

	ret = install_more(r);
	if (ret)
		return ret;
	if (!r->tx.open) {
		r->waiting = true;
		return 0;
	}
	r->waiting = false;
	t0 = mono_ns();
	ret = ferry_import_commit(&r->tx, why, sizeof(why));
	r->res.install_ns += mono_ns() - t0;
	if (ret)
		return result(&r->res, FERRY_MIG_INTERNAL, ret, "import: %s", why);
	free(r->rules);
	r->rules = NULL;
	/* kept for ferry_mig_recv_index */
	r->installed = r->arr;
	r->arr = (struct ferry_sc_array){ 0 };
	if (r->d->done)
		ferry_mig_done_add(r->d->done, r->order.id, r->order.expires_s, now_s);
	return result(&r->res, FERRY_MIG_OK, 1, "%llu flows: %llu accepted, %llu denied, "
		      "%llu exist, %llu expired", (unsigned long long)r->res.flows,
		      (unsigned long long)r->res.count[FERRY_IMPORT_ACCEPTED],
		      (unsigned long long)r->res.count[FERRY_IMPORT_DENIED],
		      (unsigned long long)r->res.count[FERRY_IMPORT_EXISTS],
		      (unsigned long long)r->res.count[FERRY_IMPORT_EXPIRED]);
}

bool ferry_mig_recv_waiting(const struct ferry_mig_recv *r)
{
	return r->waiting;
}

int ferry_mig_recv_retry(struct ferry_mig_recv *r, __u64 now_s)
{
	if (!r->waiting || r->d->ops->import_open)
		return r->state;
	r->state = install(r, now_s);
	if (r->state < 0)
		drop_import(r);
	return r->state;
}

static int take_commit(struct ferry_mig_recv *r, const struct ferry_envelope *e,
		       __u64 now_s, __u64 t0)
{
	char why[FERRY_MIG_ERR_MAX];
	struct ferry_mig_commit c;
	int ret;

	ret = ferry_mig_commit_decode(e->body, e->body_len, &c, why, sizeof(why));
	if (ret)
		return result(&r->res, FERRY_MIG_MALFORMED, ret, "%s", why);
	ret = check_commit(r, e, &c, now_s);
	if (!ret)
		ret = decode_ready(r, true);
	if (!ret && !r->bundles)
		ret = result(&r->res, FERRY_MIG_MALFORMED, -EBADMSG, "payload: no "
			     "bundle");
	if (!ret && r->arr.n != c.flow_count)
		ret = result(&r->res, FERRY_MIG_MALFORMED, -EBADMSG, "payload: %llu "
			     "flows, the commit says %llu",
			     (unsigned long long)r->arr.n,
			     (unsigned long long)c.flow_count);
	/* The payload's bytes are no longer needed. */
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
	r->res.flows = r->arr.n;
	r->res.verify_ns += mono_ns() - t0;
	return ret ?: install(r, now_s);
}

/* After a failure on a jump: the skipped chunk arriving makes it reordering. */
static void refine_failure(struct ferry_mig_recv *r, const struct ferry_envelope *e)
{
	if (r->res.reason != FERRY_MIG_CHUNK_MISSING || r->gap_hi <= r->gap_lo ||
	    e->type != FERRY_MSG_MIG_CHUNK || e->seq < r->gap_lo || e->seq >= r->gap_hi)
		return;
	result(&r->res, FERRY_MIG_CHUNK_OUT_OF_ORDER, 0, "chunk %llu came after "
	       "chunk %llu", (unsigned long long)e->seq, (unsigned long long)r->gap_hi);
}

/* Verify the envelope's origin: signature with the order's source key. */
static int open_envelope(struct ferry_mig_recv *r, const __u8 *env, size_t len,
			 struct ferry_envelope *e)
{
	char why[FERRY_MIG_ERR_MAX];
	int ret;

	ret = ferry_envelope_open(env, len, r->order.src_pk, e, why, sizeof(why));
	if (ret == -EACCES)
		return result(&r->res, FERRY_MIG_BAD_SIGNATURE, ret, "not signed by the "
			      "order's source (host %u): %s", r->order.src_host, why);
	if (ret)
		return result(&r->res, FERRY_MIG_MALFORMED, ret, "%s", why);
	if (e->origin != r->order.src_host)
		return result(&r->res, FERRY_MIG_BAD_SIGNATURE, -EACCES, "origin %u is "
			      "not the order's source %u", e->origin, r->order.src_host);
	if (e->migration_id != r->mig64)
		return result(&r->res, FERRY_MIG_WRONG_MIGRATION, -EPROTO, "envelope of "
			      "migration %016llx, this is %016llx",
			      (unsigned long long)e->migration_id,
			      (unsigned long long)r->mig64);
	return 0;
}

int ferry_mig_recv_feed(struct ferry_mig_recv *r, const __u8 *env, size_t len,
			__u64 now_s)
{
	struct ferry_envelope e;
	__u64 t0 = mono_ns();
	int ret;

	if (r->state < 0) {
		if (!open_envelope(r, env, len, &e)) {
			refine_failure(r, &e);
			r->ended |= e.type == FERRY_MSG_MIG_COMMIT;
		}
		return r->state;
	}
	if (r->state > 0 || r->waiting)
		return result(&r->res, FERRY_MIG_PROTOCOL, -EPROTO, "a payload after the "
			      "commit");
	ret = open_envelope(r, env, len, &e);
	if (!ret) {
		if (e.type == FERRY_MSG_MIG_CHUNK) {
			ret = take_chunk(r, &e);
		} else if (e.type == FERRY_MSG_MIG_COMMIT) {
			r->ended = true;
			ret = take_commit(r, &e, now_s, t0);
			if (ret >= 0)
				return r->state = ret;
		} else {
			ret = result(&r->res, FERRY_MIG_PROTOCOL, -EPROTO, "envelope type "
				     "%u is not a chunk or a commit", e.type);
		}
	}
	r->res.verify_ns += mono_ns() - t0;
	if (ret) {
		r->state = ret;
		drop_import(r);
	}
	return ret;
}
