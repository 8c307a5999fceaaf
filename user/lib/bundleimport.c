// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Bundles back to back imported as one all-or-nothing import, as they come. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bundleio.h"
#include "ctiter.h"
#include "errmsg.h"

struct stream_ctx {
	ferry_sc_read_fn read;
	void *rctx;
	struct ferry_import_tx *tx;
	struct ferry_sc_array *a;
	__u8 *verdict;		/* a->cap, one per flow */
	__u64 added;		/* a's flows handed to the import */
	__u64 bundles;
	bool import_failed;	/* the error is the import's, not the input's */
	char *err;		/* the import's errors */
	size_t errlen;
	char why[FERRY_SC_ERR_MAX];	/* the input's */
};

static ssize_t on_read(void *ctx, void *buf, size_t len)
{
	struct stream_ctx *c = ctx;

	return c->read(c->rctx, buf, len);
}

static int on_header(void *ctx, const struct ferry_sc_header *h)
{
	struct stream_ctx *c = ctx;
	__u64 room = c->a->cap - c->a->n;

	if (h->flow_count > room)
		return ferry_errf(c->why, sizeof(c->why), -ENOSPC,
				  "bundle %llu header: %llu flows, room for %llu",
				  (unsigned long long)c->bundles,
				  (unsigned long long)h->flow_count,
				  (unsigned long long)room);
	return 0;
}

static int on_entry(void *ctx, const struct ferry_flow_key *k,
		    const struct ferry_flow *f)
{
	struct ferry_sc_array *a = ((struct stream_ctx *)ctx)->a;

	/* Cannot overflow: the header's count was checked against the room
	 * left and the decoder never delivers more flows than that count. */
	a->keys[a->n] = *k;
	a->flows[a->n] = *f;
	a->n++;
	return 0;
}

/* A whole valid bundle: its flows into the import. */
static int on_bundle_end(void *ctx, const struct ferry_sc_header *h)
{
	struct stream_ctx *c = ctx;
	__u64 n = c->a->n - c->added;
	int ret;

	c->bundles++;
	ret = ferry_import_add(c->tx, c->a->keys + c->added,
			       c->a->flows + c->added, n, c->verdict + c->added,
			       c->err, c->errlen);
	c->added += n;
	if (ret)
		c->import_failed = true;
	return ret;
}

int ferry_import_bundles(struct ferry_stateops *ops, ferry_sc_read_fn read,
			 void *rctx, const struct ferry_sc_limits *lim,
			 struct ferry_sc_array *a, const struct ferry_import_opts *o,
			 struct ferry_import_report *rep, char *err, size_t errlen)
{
	struct ferry_import_tx tx;
	struct stream_ctx c = {
		.read = read, .rctx = rctx, .tx = &tx, .a = a, .err = err,
		.errlen = errlen,
	};
	struct ferry_sc_dec_ops dops = {
		.read = on_read, .header = on_header, .entry = on_entry,
		.bundle_end = on_bundle_end, .ctx = &c,
	};
	int ret;

	memset(rep, 0, sizeof(*rep));
	a->n = 0;
	if (o->verdict || (o->flags & FERRY_IMPORT_INDEX_LATER))
		return ferry_errf(err, errlen, -EINVAL, "a streamed import keeps "
				  "its verdicts and indexes at once");
	c.verdict = malloc(a->cap ? a->cap : 1);
	if (!c.verdict)
		return ferry_errf(err, errlen, -ENOMEM, "out of memory");
	ret = ferry_import_begin(&tx, ops, o, err, errlen);
	if (ret)
		goto out_free;
	ret = ferry_sc_decode_seq(&dops, lim, ferry_now_ns(), c.why,
				  sizeof(c.why));
	*rep = tx.rep;
	if (ret && !c.import_failed) {
		ferry_errf(err, errlen, ret, "bundle refused, nothing imported: %s",
			   c.why);
	} else {
		if (!ret && tx.open)
			ret = ferry_import_commit(&tx, err, errlen);
		if (ret && ret != -ENOSPC && tx.open)
			snprintf(err + strlen(err), errlen - strlen(err),
				 " (import rolled back)");
	}
	/* after a failure: removes what went in; after a dry run or the
	 * commit: frees what is left of the tx */
	if (ret || !tx.open)
		ferry_import_abort(&tx, a->keys, a->flows);
	if (ret)
		a->n = 0;
out_free:
	free(c.verdict);
	return ret;
}
