// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Selecting the flows to export: through the per-VM index, or a walk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cthandover.h"
#include "ctiter.h"
#include "flowlist.h"
#include "vmindex.h"

static int addr_len(__u8 family)
{
	return family == FERRY_AF_INET6 ? 16 : 4;
}

int ferry_export_selects(const struct ferry_export_sel *sel,
			 const struct ferry_flow_key *k, const struct ferry_flow *f)
{
	bool dnat = f && (f->nat.kind & FERRY_NAT_DNAT);
	int len = addr_len(k->family);
	__u32 i;

	if (!sel->n_vms)
		return sel->all_zones || k->zone == sel->zone;
	for (i = 0; i < sel->n_vms; i++) {
		if (k->zone != sel->vm_zone[i] || k->family != sel->vm_family[i])
			continue;
		if (!memcmp(k->addr_lo, sel->vm_addr[i], len) ||
		    !memcmp(k->addr_hi, sel->vm_addr[i], len) ||
		    (dnat && !memcmp(f->nat.daddr, sel->vm_addr[i], len)))
			return 1;
	}
	return 0;
}

struct collect_ctx {
	const struct ferry_export_sel *sel;
	__u64 now;
	__u32 committed;
	__u64 n;		/* flows handed over */
	/* buf_max records at a time to batch(); the keys handed over kept
	 * in sent, so that a walk after a fallback (n_sorted) hands over
	 * only the others */
	struct ferry_export_rec *buf;
	__u32 in_buf, buf_max;
	ferry_export_batch_fn batch;
	void *bctx;
	int batch_err;		/* batch()'s: never taken for the index's */
	struct ferry_flow_key *sent;	/* only when a fallback can come */
	__u64 sent_cap;
	__u64 n_sorted;		/* sent[0..n_sorted): sorted, to skip */
	bool keep_sent;
};

/* Keep the keys of the batch about to be handed over. */
static int keep_keys(struct collect_ctx *c)
{
	__u32 i;

	if (c->n > c->sent_cap) {
		__u64 cap = c->sent_cap ? c->sent_cap : c->buf_max;
		void *p;

		while (cap < c->n)
			cap *= 2;
		p = realloc(c->sent, cap * sizeof(*c->sent));
		if (!p)
			return -ENOMEM;
		c->sent = p;
		c->sent_cap = cap;
	}
	for (i = 0; i < c->in_buf; i++)
		c->sent[c->n - c->in_buf + i] = c->buf[i].key;
	return 0;
}

static int batch_flush(struct collect_ctx *c)
{
	int err = 0;

	if (!c->in_buf)
		return 0;
	if (c->keep_sent)
		err = keep_keys(c);
	if (!err)
		err = c->batch_err = c->batch(c->bctx, c->buf, c->in_buf);
	c->in_buf = 0;
	return err;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ferry_flow_key));
}

static int batch_one(struct collect_ctx *c, const struct ferry_flow_key *k,
		     const struct ferry_flow *f)
{
	if (c->n_sorted && bsearch(k, c->sent, c->n_sorted, sizeof(*k), key_cmp))
		return 0;
	c->buf[c->in_buf].key = *k;
	c->buf[c->in_buf].flow = *f;
	c->n++;
	return ++c->in_buf == c->buf_max ? batch_flush(c) : 0;
}

/* A live flow (not expired, not of an import still in progress) selected. */
static bool wanted(const struct collect_ctx *c, const struct ferry_flow_key *k,
		   const struct ferry_flow *f)
{
	return f->expires_ns > c->now && f->import_gen <= c->committed &&
	       ferry_export_selects(c->sel, k, f);
}

static int collect_one(const struct ferry_flow_key *k, const struct ferry_flow *f,
		       void *data)
{
	struct collect_ctx *c = data;

	return wanted(c, k, f) ? batch_one(c, k, f) : 0;
}

/* Is k a flow of one of the selection's VMs before the i-th? */
static int earlier_vm(const struct ferry_export_sel *sel, __u32 i,
		      const struct ferry_flow_key *k, const struct ferry_flow *f)
{
	struct ferry_export_sel first = *sel;

	first.n_vms = i;
	return i && ferry_export_selects(&first, k, f);
}

/*
 * The flows of VM i of the selection from its set, read by the kernel a
 * stage at a time (FERRY_ST_VM_READ), each call resuming after the last
 * key of the one before. -ENOENT, -EOVERFLOW, -EAGAIN: the VM is not
 * registered, its set missed flows, or the key to resume after was
 * deleted meanwhile: walk the table instead.
 */
static int collect_vm(struct ferry_stateops *ops, __u32 i, struct collect_ctx *c)
{
	const struct ferry_export_sel *sel = c->sel;
	struct ferry_st_ctl *ctl = ops->ctl;
	const struct ferry_st_rec *r;
	__u64 missed;
	__u32 j;
	int err;

	ferry_vm_key_make(&ctl->vm, sel->vm_zone[i], sel->vm_family[i],
			  sel->vm_addr[i]);
	if (!bpf_map_lookup_elem(ops->m.vm_overflow, &ctl->vm, &missed) && missed)
		return -EOVERFLOW;
	ctl->flags = 0;
	for (;;) {
		err = ferry_st_run(ops, FERRY_ST_VM_READ, 0);
		if (err)
			return err;
		if (ctl->flags & FERRY_ST_C_NOSET)
			return -ENOENT;
		if (ctl->flags & FERRY_ST_C_LOST)
			return -EAGAIN;
		for (j = 0; j < ctl->n && j < ops->stage_max; j++) {
			r = &ops->stage[j];
			if (earlier_vm(sel, i, &r->key, (const struct ferry_flow *)r->flow))
				continue;
			err = collect_one(&r->key, (const struct ferry_flow *)r->flow, c);
			if (err)
				return err;
		}
		if (!(ctl->flags & FERRY_ST_C_MORE))
			return 0;
		ctl->flags = FERRY_ST_C_RESUME;
	}
}

/* The selection through the index where it can, else by a walk. */
static int collect(struct ferry_stateops *ops, struct collect_ctx *c)
{
	struct ferry_config cfg;
	__u32 zero = 0, i;
	int err;

	if (bpf_map_lookup_elem(ops->m.config, &zero, &cfg))
		return -errno;
	c->committed = cfg.import_gen;
	err = -ENOENT;
	for (i = 0; !c->sel->no_index && i < c->sel->n_vms; i++) {
		err = collect_vm(ops, i, c);
		if (err)
			break;
	}
	if (c->batch_err)
		return c->batch_err;
	if (err == -ENOENT || err == -EOVERFLOW || err == -EAGAIN) {
		/* Not (fully) indexed: walk the whole table instead. Batches
		 * handed over stay so: the walk skips their flows. */
		err = batch_flush(c);
		if (err)
			return err;
		if (c->n)
			qsort(c->sent, c->n, sizeof(*c->sent), key_cmp);
		c->n_sorted = c->n;
		err = ferry_ct_foreach(ops->m.ct, collect_one, c);
	}
	return err ?: batch_flush(c);
}

int ferry_export_stream(struct ferry_stateops *ops,
			const struct ferry_export_sel *sel, __u64 now_ns,
			__u32 batch_max, ferry_export_batch_fn batch, void *ctx,
			__u64 *n)
{
	struct collect_ctx c = {
		.sel = sel, .now = now_ns, .buf_max = batch_max ?: 1,
		.batch = batch, .bctx = ctx,
		/* only a read through the index can fall back to a walk */
		.keep_sent = sel->n_vms && !sel->no_index,
	};
	int err;

	c.buf = calloc(c.buf_max, sizeof(*c.buf));
	if (!c.buf)
		return -ENOMEM;
	err = collect(ops, &c);
	*n = c.n;
	free(c.buf);
	free(c.sent);
	return err;
}

static int append(void *ctx, const struct ferry_export_rec *r, __u32 n)
{
	__u32 i;
	int err = 0;

	for (i = 0; !err && i < n; i++)
		err = ferry_flow_list_add(ctx, &r[i].key, &r[i].flow);
	return err;
}

int ferry_export_collect(struct ferry_stateops *ops,
			 const struct ferry_export_sel *sel, __u64 now_ns,
			 struct ferry_flow_key **keys, struct ferry_flow **flows,
			 __u64 *n)
{
	struct ferry_flow_list l = { 0 };
	__u64 got;
	int err;

	err = ferry_export_stream(ops, sel, now_ns, 4096, append, &l, &got);
	if (err) {
		ferry_flow_list_free(&l);
		return err;
	}
	*keys = l.keys;
	*flows = l.flows;
	*n = l.n;
	return 0;
}
