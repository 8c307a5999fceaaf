// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Importing untrusted flows into a live table: each decided by the local
 * rules and NAT ownership, the whole batch checked against the table's
 * free room, inserted invisibly a stage at a time by the kernel
 * (FERRY_ST_INSERT: never over an entry or a binding), then made visible
 * by one update of the config map, or removed again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "cthandover.h"
#include "ctiter.h"
#include "errmsg.h"
#include "flowfmt.h"
#include "flowlist.h"
#include "natconfig.h"
#include "policy.h"

static const char *const import_reason_names[FERRY_IMPORT_REASON_MAX] = {
	[FERRY_IMPORT_ACCEPTED] = "accepted",
	[FERRY_IMPORT_DENIED] = "denied-by-rules",
	[FERRY_IMPORT_EXISTS] = "exists",
	[FERRY_IMPORT_EXPIRED] = "expired",
	[FERRY_IMPORT_NAT_FOREIGN] = "nat-not-owned",
	[FERRY_IMPORT_NAT_TAKEN] = "nat-taken",
};

const char *ferry_import_reason_name(unsigned int reason)
{
	return reason < FERRY_IMPORT_REASON_MAX ? import_reason_names[reason] : "?";
}

/* The first packet of flow (k, f) as the rules would have seen it. */
static void first_packet(const struct ferry_flow_key *k, const struct ferry_flow *f,
			 struct ferry_policy_pkt *p)
{
	struct ferry_endpoints o, r;

	ferry_flow_dirs(k, f, &o, &r);
	memset(p, 0, sizeof(*p));
	p->zone = k->zone;
	p->family = k->family;
	p->proto = k->proto;
	memcpy(p->saddr, o.src, 16);
	memcpy(p->daddr, o.dst, 16);
	p->sport = o.sport;
	p->dport = o.dport;
	/* An ICMP flow was opened by a query; echo is what is tracked. */
	if (k->proto == IPPROTO_ICMP)
		p->icmp_type = 8;
	else if (k->proto == IPPROTO_ICMPV6)
		p->icmp_type = 128;
}

/* Is flow (k, f)'s binding one of this host's pools and forwards? */
static int nat_owned(const struct ferry_import_nat *nat,
		     const struct ferry_flow_key *k, const struct ferry_flow *f)
{
	struct ferry_nat_pool_key pk = { .zone = k->zone, .family = k->family };
	struct ferry_nat_fwd_key fk = { .zone = k->zone, .proto = k->proto,
					.family = k->family };
	struct ferry_endpoints o, r;
	struct ferry_nat_pool pool;
	struct ferry_nat_fwd fwd;
	__u16 port = ntohs(f->nat.sport);
	__u32 i;

	if (!nat)
		return 0;
	if (f->nat.kind & FERRY_NAT_SNAT) {
		if (bpf_map_lookup_elem(nat->pools_fd, &pk, &pool) ||
		    !ferry_nat_pool_has(&pk, &pool, k->family, f->nat.saddr))
			return 0;
		if ((k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) &&
		    (port < pool.port_lo || port > pool.port_hi))
			return 0;
	}
	if (!(f->nat.kind & FERRY_NAT_DNAT))
		return 1;
	ferry_flow_dirs(k, f, &o, &r);
	memcpy(fk.addr, o.dst, 16);
	fk.port = htons(o.dport);
	if (bpf_map_lookup_elem(nat->fwds_fd, &fk, &fwd))
		return 0;
	for (i = 0; i < fwd.nbackends && i < FERRY_NAT_BACKENDS_MAX; i++)
		if (!memcmp(fwd.be[i].addr, f->nat.daddr, 16) &&
		    fwd.be[i].port == f->nat.dport)
			return 1;
	return 0;
}

/*
 * Run op over the flows [0, n) whose verdict is want, a stage at a time;
 * done(i, record) is told of each. 0 or -errno.
 */
typedef int (*staged_fn)(__u64 i, const struct ferry_st_rec *r, void *ctx);

static int run_staged(struct ferry_stateops *ops, enum ferry_st_op op,
		      const struct ferry_flow_key *keys,
		      const struct ferry_flow *flows, const __u8 *verdict,
		      __u8 want, __u64 n, staged_fn done, void *ctx)
{
	__u64 *idx, i = 0;
	__u32 m, j;
	int ret = 0, err;

	idx = malloc(ops->stage_max * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	while (i < n && !ret) {
		for (m = 0; m < ops->stage_max && i < n; i++) {
			if (verdict && verdict[i] != want)
				continue;
			ferry_st_stage_flow(&ops->stage[m], &keys[i], &flows[i]);
			idx[m++] = i;
		}
		if (!m)
			break;
		ret = ferry_st_run(ops, op, m);
		for (j = 0; done && j < m; j++) {
			err = done(idx[j], &ops->stage[j], ctx);
			if (err) {
				ret = err;
				break;
			}
		}
	}
	free(idx);
	return ret;
}

/* An add's results, per flow of the part: base is its first flow's place
 * in the transaction. */
struct import_ctx {
	struct ferry_import_tx *tx;
	__u8 *verdict;
	__u64 base;
};

static void recount(struct import_ctx *x, __u64 i, int reason)
{
	x->verdict[i] = reason;
	x->tx->rep.count[FERRY_IMPORT_ACCEPTED]--;
	x->tx->rep.count[reason]++;
}

static int inserted_one(__u64 i, const struct ferry_st_rec *r, void *ctx)
{
	struct import_ctx *x = ctx;

	if (r->result == FERRY_ST_OK)
		x->tx->inserted[x->base + i] = 1;
	else if (r->result == FERRY_ST_EXISTS)
		recount(x, i, FERRY_IMPORT_EXISTS);
	else if (r->result == FERRY_ST_NAT_TAKEN)
		recount(x, i, FERRY_IMPORT_NAT_TAKEN);
	return 0;
}

static int looked_up(__u64 i, const struct ferry_st_rec *r, void *ctx)
{
	struct import_ctx *x = ctx;

	if (r->flags & FERRY_ST_F_RKEY_FOUND)
		recount(x, i, FERRY_IMPORT_NAT_TAKEN);
	else if (r->flags & FERRY_ST_F_FOUND)
		recount(x, i, FERRY_IMPORT_EXISTS);
	return 0;
}

/*
 * Decide each flow by itself; verdict[i] gets its reason. Whether its key
 * or binding is taken is found when it is inserted (BPF_NOEXIST), or by a
 * lookup for a dry run, which inserts nothing.
 */
static void check_flows(const struct ferry_import_nat *nat,
			const struct ferry_flow_key *keys,
			const struct ferry_flow *flows, __u64 n, __u64 now,
			const struct ferry_rule *rules, __u32 nrules,
			__u8 *verdict, struct ferry_import_report *rep)
{
	struct ferry_flow_key rkey;
	struct ferry_policy_pkt p;
	__u64 i;

	for (i = 0; i < n; i++) {
		first_packet(&keys[i], &flows[i], &p);
		if (flows[i].expires_ns <= now)
			verdict[i] = FERRY_IMPORT_EXPIRED;
		else if (!ferry_policy_allows(rules, nrules, &p))
			verdict[i] = FERRY_IMPORT_DENIED;
		else if (flows[i].nat.kind && (!nat_owned(nat, &keys[i], &flows[i]) ||
			 ferry_nat_xlat_key(&keys[i], &flows[i], &rkey)))
			verdict[i] = FERRY_IMPORT_NAT_FOREIGN;
		else
			verdict[i] = FERRY_IMPORT_ACCEPTED;
		rep->count[verdict[i]]++;
	}
}

/* Leftovers of an import that died before committing: never visible. */
struct stale_ctx {
	__u32 committed;
	struct ferry_flow_list left;
};

static int stale_one(const struct ferry_flow_key *k, const struct ferry_flow *f,
		     void *data)
{
	struct stale_ctx *s = data;

	if (f->import_gen <= s->committed)
		return 0;
	return ferry_flow_list_add(&s->left, k, f);
}

/*
 * The import marked pending and not committed died on the way (its owner
 * is gone: check_open): find what it left (a walk, only then) and, unless
 * dry_run, remove it with its bindings and index keys. *left gets their
 * number.
 */
static int clear_stale(struct ferry_stateops *ops, const struct ferry_config *cfg,
		       int dry_run, __u64 *left)
{
	struct ferry_import_state st;
	struct stale_ctx s = { .committed = cfg->import_gen };
	__u32 zero = 0;
	int err;

	*left = 0;
	if (bpf_map_lookup_elem(ops->m.import, &zero, &st))
		return -errno;
	if (!st.pending_gen)
		return 0;
	err = ferry_ct_foreach(ops->m.ct, stale_one, &s);
	ops->ctl->flags = 0;
	if (!err && !dry_run)
		err = run_staged(ops, FERRY_ST_REMOVE, s.left.keys, s.left.flows,
				 NULL, 0, s.left.n, NULL, NULL);
	if (!err && !dry_run) {
		st.pending_gen = 0;
		if (bpf_map_update_elem(ops->m.import, &zero, &st, 0))
			err = -errno;
	}
	*left = dry_run ? s.left.n : 0;
	ferry_flow_list_free(&s.left);
	return err;
}

static int set_pending(struct ferry_stateops *ops, __u32 gen)
{
	struct ferry_import_state st = { .pending_gen = gen,
					 .owner = gen ? (__u32)getpid() : 0 };
	__u32 zero = 0;

	return bpf_map_update_elem(ops->m.import, &zero, &st, 0) ? -errno : 0;
}

/*
 * Is process pid, which opened an import, still at it? This process, or
 * a live Ferry process (a pid reused by another program does not count).
 * A process of another pid namespace is not seen: its import counts as
 * left behind.
 */
static bool owner_alive(__u32 pid)
{
	char path[32], comm[32] = "";
	FILE *f;

	if (!pid)
		return false;
	if (pid == (__u32)getpid())
		return true;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "ferry", 5);
}

/* -EBUSY if another process's import (or another of ours) is open. */
static int check_open(struct ferry_stateops *ops, char *err, size_t errlen)
{
	struct ferry_import_state st;
	__u32 zero = 0;

	if (ops->import_open)
		return ferry_errf(err, errlen, -EBUSY, "another import is being installed");
	if (bpf_map_lookup_elem(ops->m.import, &zero, &st))
		return ferry_errf(err, errlen, -errno, "reading the import map: %s",
				  strerror(errno));
	if (st.pending_gen && owner_alive(st.owner))
		return ferry_errf(err, errlen, -EBUSY, "process %u is installing an import "
				  "(a migration being received?): try again later", st.owner);
	return 0;
}

int ferry_import_index(struct ferry_stateops *ops, const struct ferry_flow_key *keys,
		       const struct ferry_flow *flows, const __u8 *verdict, __u64 n)
{
	return run_staged(ops, FERRY_ST_NOTE, keys, flows, verdict,
			  FERRY_IMPORT_ACCEPTED, n, NULL, NULL);
}

int ferry_import_begin(struct ferry_import_tx *tx, struct ferry_stateops *ops,
		       const struct ferry_import_opts *o, char *err, size_t errlen)
{
	int dry_run = o->flags & FERRY_IMPORT_DRY_RUN;
	struct ferry_config cfg;
	__u64 stale = 0;
	__u32 zero = 0;
	int ret;

	memset(tx, 0, sizeof(*tx));
	ret = check_open(ops, err, errlen);
	if (ret)
		return ret;
	tx->ops = ops;
	tx->o = *o;
	if (bpf_map_lookup_elem(ops->m.config, &zero, &cfg))
		return ferry_errf(err, errlen, -errno, "reading the config map: %s",
				  strerror(errno));
	ret = clear_stale(ops, &cfg, dry_run, &stale) ?:
	      ferry_st_count(ops, &tx->entries);
	if (ret)
		return ferry_errf(err, errlen, ret, "reading the table: %s", strerror(-ret));
	tx->entries -= stale < tx->entries ? stale : tx->entries;
	tx->gen = cfg.import_gen + 1;
	if (dry_run)
		return 0;
	ret = set_pending(ops, tx->gen);
	if (ret)
		return ferry_errf(err, errlen, ret, "marking the import: %s", strerror(-ret));
	ops->import_open = true;
	tx->open = true;
	return 0;
}

/* Room in tx->inserted for n more flows. */
static int grow_inserted(struct ferry_import_tx *tx, __u64 n)
{
	__u64 cap = tx->cap ? tx->cap : 1024;
	__u8 *p;

	if (tx->n + n <= tx->cap)
		return 0;
	while (cap < tx->n + n)
		cap *= 2;
	p = realloc(tx->inserted, cap);
	if (!p)
		return -ENOMEM;
	memset(p + tx->cap, 0, cap - tx->cap);
	tx->inserted = p;
	tx->cap = cap;
	return 0;
}

/* The accepted flows of a part as batch gen: invisible until the commit. */
static void mark_batch(struct ferry_flow_key *keys, struct ferry_flow *flows,
		       __u64 n, const __u8 *verdict, __u32 gen)
{
	__u64 i;

	for (i = 0; i < n; i++) {
		if (verdict[i] != FERRY_IMPORT_ACCEPTED)
			continue;
		flows[i].import_gen = gen;
		flows[i].flags |= FERRY_FLOW_F_IMPORTED;
		/* A copy: each side's next segment re-learns its position. */
		if (keys[i].proto == IPPROTO_TCP) {
			flows[i].tcp[0].flags |= FERRY_TCP_F_RESYNC;
			flows[i].tcp[1].flags |= FERRY_TCP_F_RESYNC;
		}
	}
}

int ferry_import_add(struct ferry_import_tx *tx, struct ferry_flow_key *keys,
		     struct ferry_flow *flows, __u64 n, __u8 *verdict,
		     char *err, size_t errlen)
{
	struct ferry_stateops *ops = tx->ops;
	struct import_ctx x = { .tx = tx, .verdict = verdict, .base = tx->n };
	__u64 before = tx->rep.count[FERRY_IMPORT_ACCEPTED], accepted;
	int ret;

	if (!tx->open && !(tx->o.flags & FERRY_IMPORT_DRY_RUN))
		return ferry_errf(err, errlen, -EINVAL, "the import is not open");
	ret = grow_inserted(tx, n);
	if (ret)
		return ferry_errf(err, errlen, ret, "out of memory");
	tx->rep.offered += n;
	memset(verdict, 0, n);
	check_flows(tx->o.nat, keys, flows, n, ferry_now_ns(), tx->o.rules,
		    tx->o.nrules, verdict, &tx->rep);
	accepted = tx->rep.count[FERRY_IMPORT_ACCEPTED];
	if (tx->entries + accepted > ops->ct_max)
		return ferry_errf(err, errlen, -ENOSPC, "%llu flows do not fit: the table "
				  "holds %llu of %llu (import refused whole)",
				  (unsigned long long)accepted,
				  (unsigned long long)tx->entries,
				  (unsigned long long)ops->ct_max);
	if (tx->o.flags & FERRY_IMPORT_DRY_RUN) {
		ret = run_staged(ops, FERRY_ST_LOOKUP, keys, flows, verdict,
				 FERRY_IMPORT_ACCEPTED, n, looked_up, &x);
		tx->n += n;
		return ret ? ferry_errf(err, errlen, ret, "reading the table: %s",
					strerror(-ret)) : 0;
	}
	tx->n += n;
	if (accepted == before)
		return 0;
	mark_batch(keys, flows, n, verdict, tx->gen);
	ops->ctl->flags = tx->o.flags & FERRY_IMPORT_INDEX_LATER ?
			  FERRY_ST_C_INDEX_LATER : 0;
	ret = run_staged(ops, FERRY_ST_INSERT, keys, flows, verdict,
			 FERRY_IMPORT_ACCEPTED, n, inserted_one, &x);
	ops->ctl->flags = 0;
	if (ret)
		return ferry_errf(err, errlen, ret, "inserting flows: %s", strerror(-ret));
	return 0;
}

static void tx_close(struct ferry_import_tx *tx)
{
	if (tx->open) {
		set_pending(tx->ops, 0);
		tx->ops->import_open = false;
		tx->open = false;
	}
	free(tx->inserted);
	tx->inserted = NULL;
	tx->cap = 0;
}

int ferry_import_commit(struct ferry_import_tx *tx, char *err, size_t errlen)
{
	struct ferry_config cfg;
	__u32 zero = 0;

	if (!tx->open)
		return ferry_errf(err, errlen, -EINVAL, "the import is not open");
	if (!tx->rep.count[FERRY_IMPORT_ACCEPTED]) {	/* nothing to show */
		tx_close(tx);
		return 0;
	}
	/* One update makes the whole batch visible (the entry read again, so
	 * that flags set meanwhile are kept). */
	if (bpf_map_lookup_elem(tx->ops->m.config, &zero, &cfg))
		return ferry_errf(err, errlen, -errno, "committing the import: %s",
				  strerror(errno));
	cfg.import_gen = tx->gen;
	if (bpf_map_update_elem(tx->ops->m.config, &zero, &cfg, 0))
		return ferry_errf(err, errlen, -errno, "committing the import: %s",
				  strerror(errno));
	tx_close(tx);
	return 0;
}

void ferry_import_abort(struct ferry_import_tx *tx, const struct ferry_flow_key *keys,
			const struct ferry_flow *flows)
{
	if (tx->open && tx->n)
		run_staged(tx->ops, FERRY_ST_REMOVE, keys, flows, tx->inserted, 1,
			   tx->n, NULL, NULL);
	tx_close(tx);
}

int ferry_import(struct ferry_stateops *ops, struct ferry_flow_key *keys,
		 struct ferry_flow *flows, __u64 n, const struct ferry_import_opts *o,
		 struct ferry_import_report *rep, char *err, size_t errlen)
{
	struct ferry_import_tx tx;
	__u8 *verdict = o->verdict;
	int ret;

	memset(rep, 0, sizeof(*rep));
	rep->offered = n;
	if ((o->flags & FERRY_IMPORT_INDEX_LATER) && !verdict)
		return ferry_errf(err, errlen, -EINVAL, "a later index needs the verdicts");
	ret = ferry_import_begin(&tx, ops, o, err, errlen);
	if (ret)
		return ret;
	if (!verdict)
		verdict = malloc(n ? n : 1);
	ret = verdict ? ferry_import_add(&tx, keys, flows, n, verdict, err, errlen) :
			ferry_errf(err, errlen, -ENOMEM, "out of memory");
	*rep = tx.rep;
	rep->offered = n;
	if (!ret && tx.open)
		ret = ferry_import_commit(&tx, err, errlen);
	if (ret && ret != -ENOSPC && tx.open)
		snprintf(err + strlen(err), errlen - strlen(err), " (import rolled back)");
	if (ret)
		ferry_import_abort(&tx, keys, flows);
	else
		tx_close(&tx);
	if (verdict != o->verdict)
		free(verdict);
	return ret;
}
