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
	struct ferry_import_tx *tx;
	struct ferry_sc_array *a;
	__u8 *verdict;		/* a->cap, one per flow */
	bool import_failed;	/* the error is the import's, not the input's */
	char *err;		/* the import's errors */
	size_t errlen;
};

/* A whole valid bundle: its flows into the import. */
static int on_bundle(void *ctx, __u64 first, __u64 n)
{
	struct stream_ctx *c = ctx;
	int ret;

	ret = ferry_import_add(c->tx, c->a->keys + first, c->a->flows + first, n,
			       c->verdict + first, c->err, c->errlen);
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
	struct stream_ctx c = { .tx = &tx, .a = a, .err = err, .errlen = errlen };
	char why[FERRY_SC_ERR_MAX];
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
	ret = ferry_sc_decode_seq_stream(read, rctx, lim, ferry_now_ns(), a,
					 on_bundle, &c, why, sizeof(why));
	*rep = tx.rep;
	if (ret && !c.import_failed) {
		ferry_errf(err, errlen, ret, "bundle refused, nothing imported: %s",
			   why);
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
