// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Importing untrusted flows into a live table: each decided by the local
 * rules and NAT ownership, the whole batch checked against the table's
 * free room, inserted invisibly a stage at a time by the kernel
 * (FERRY_ST_INSERT: never over an entry or a binding), then made visible
 * by one update of the config map, or removed again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "cthandover.h"
#include "ctiter.h"
#include "flowfmt.h"
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

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
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

struct import_ctx {
	__u8 *verdict;
	__u8 *inserted;
	struct ferry_import_report *rep;
};

static void recount(struct import_ctx *x, __u64 i, int reason)
{
	x->verdict[i] = reason;
	x->rep->count[FERRY_IMPORT_ACCEPTED]--;
	x->rep->count[reason]++;
}

static int inserted_one(__u64 i, const struct ferry_st_rec *r, void *ctx)
{
	struct import_ctx *x = ctx;

	if (r->result == FERRY_ST_OK)
		x->inserted[i] = 1;
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
	struct ferry_flow_key *keys;
	struct ferry_flow *flows;
	__u64 n, cap;
};

static int stale_one(const struct ferry_flow_key *k, const struct ferry_flow *f,
		     void *data)
{
	struct stale_ctx *s = data;
	void *p;

	if (f->import_gen <= s->committed)
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		p = realloc(s->keys, s->cap * sizeof(*s->keys));
		if (!p)
			return -ENOMEM;
		s->keys = p;
		p = realloc(s->flows, s->cap * sizeof(*s->flows));
		if (!p)
			return -ENOMEM;
		s->flows = p;
	}
	s->keys[s->n] = *k;
	s->flows[s->n] = *f;
	s->n++;
	return 0;
}

/*
 * The import marked pending in ferry_import and not committed died on the
 * way: find what it left (a walk, only then) and, unless dry_run, remove
 * it with its bindings and index keys. *left gets their number.
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
		err = run_staged(ops, FERRY_ST_REMOVE, s.keys, s.flows, NULL, 0,
				 s.n, NULL, NULL);
	if (!err && !dry_run) {
		st.pending_gen = 0;
		if (bpf_map_update_elem(ops->m.import, &zero, &st, 0))
			err = -errno;
	}
	*left = dry_run ? s.n : 0;
	free(s.keys);
	free(s.flows);
	return err;
}

static int set_pending(struct ferry_stateops *ops, __u32 gen)
{
	struct ferry_import_state st = { .pending_gen = gen };
	__u32 zero = 0;

	return bpf_map_update_elem(ops->m.import, &zero, &st, 0) ? -errno : 0;
}

int ferry_import_index(struct ferry_stateops *ops, const struct ferry_flow_key *keys,
		       const struct ferry_flow *flows, const __u8 *verdict, __u64 n)
{
	return run_staged(ops, FERRY_ST_NOTE, keys, flows, verdict,
			  FERRY_IMPORT_ACCEPTED, n, NULL, NULL);
}

/* Insert the accepted flows as batch gen, then make them visible. */
static int install(struct ferry_stateops *ops, struct ferry_config *cfg,
		   struct ferry_flow_key *keys, struct ferry_flow *flows, __u64 n,
		   struct import_ctx *x, char *err, size_t errlen)
{
	__u32 zero = 0, gen = cfg->import_gen + 1;
	__u64 i;
	int ret;

	for (i = 0; i < n; i++) {
		if (x->verdict[i] != FERRY_IMPORT_ACCEPTED)
			continue;
		flows[i].import_gen = gen;
		flows[i].flags |= FERRY_FLOW_F_IMPORTED;
		/* A copy: each side's next segment re-learns its position. */
		if (keys[i].proto == IPPROTO_TCP) {
			flows[i].tcp[0].flags |= FERRY_TCP_F_RESYNC;
			flows[i].tcp[1].flags |= FERRY_TCP_F_RESYNC;
		}
	}
	ret = set_pending(ops, gen);
	if (ret)
		return fail(err, errlen, ret, "marking the import: %s", strerror(-ret));
	ret = run_staged(ops, FERRY_ST_INSERT, keys, flows, x->verdict,
			 FERRY_IMPORT_ACCEPTED, n, inserted_one, x);
	if (ret) {
		fail(err, errlen, ret, "inserting flows: %s (import rolled back)",
		     strerror(-ret));
		goto out_rollback;
	}
	/* The commit: one update makes the whole batch visible (the entry
	 * read again, so that flags set meanwhile are kept). */
	if (bpf_map_lookup_elem(ops->m.config, &zero, cfg)) {
		ret = fail(err, errlen, -errno, "committing the import: %s "
			   "(import rolled back)", strerror(errno));
		goto out_rollback;
	}
	cfg->import_gen = gen;
	if (bpf_map_update_elem(ops->m.config, &zero, cfg, 0)) {
		ret = fail(err, errlen, -errno, "committing the import: %s "
			   "(import rolled back)", strerror(errno));
		goto out_rollback;
	}
	set_pending(ops, 0);
	return 0;
out_rollback:
	run_staged(ops, FERRY_ST_REMOVE, keys, flows, x->inserted, 1, n, NULL, NULL);
	set_pending(ops, 0);
	return ret;
}

int ferry_import(struct ferry_stateops *ops, struct ferry_flow_key *keys,
		 struct ferry_flow *flows, __u64 n, const struct ferry_import_opts *o,
		 struct ferry_import_report *rep, char *err, size_t errlen)
{
	int dry_run = o->flags & FERRY_IMPORT_DRY_RUN;
	__u8 *verdict_out = o->verdict;
	struct import_ctx x = { .rep = rep };
	__u64 room = ops->ct_max, entries = 0, stale = 0, accepted;
	struct ferry_config cfg;
	__u32 zero = 0;
	int ret;

	memset(rep, 0, sizeof(*rep));
	rep->offered = n;
	if ((o->flags & FERRY_IMPORT_INDEX_LATER) && !verdict_out)
		return fail(err, errlen, -EINVAL, "a later index needs the verdicts");
	if (bpf_map_lookup_elem(ops->m.config, &zero, &cfg))
		return fail(err, errlen, -errno, "reading the config map: %s",
			    strerror(errno));
	ret = clear_stale(ops, &cfg, dry_run, &stale) ?: ferry_st_count(ops, &entries);
	if (ret)
		return fail(err, errlen, ret, "reading the table: %s", strerror(-ret));
	x.verdict = verdict_out ?: calloc(n ? n : 1, 1);
	x.inserted = calloc(n ? n : 1, 1);
	if (!x.verdict || !x.inserted) {
		ret = fail(err, errlen, -ENOMEM, "out of memory");
		goto out_free;
	}
	memset(x.verdict, 0, n);
	check_flows(o->nat, keys, flows, n, ferry_now_ns(), o->rules, o->nrules,
		    x.verdict, rep);
	if (dry_run) {
		ret = run_staged(ops, FERRY_ST_LOOKUP, keys, flows, x.verdict,
				 FERRY_IMPORT_ACCEPTED, n, looked_up, &x);
		if (ret) {
			fail(err, errlen, ret, "reading the table: %s", strerror(-ret));
			goto out_free;
		}
	}
	accepted = rep->count[FERRY_IMPORT_ACCEPTED];
	if (entries - stale + accepted > room) {
		ret = fail(err, errlen, -ENOSPC, "%llu flows do not fit: the table holds "
			   "%llu of %llu (import refused whole)",
			   (unsigned long long)accepted,
			   (unsigned long long)(entries - stale),
			   (unsigned long long)room);
		goto out_free;
	}
	ops->ctl->flags = o->flags & FERRY_IMPORT_INDEX_LATER ? FERRY_ST_C_INDEX_LATER : 0;
	if (!dry_run && accepted)
		ret = install(ops, &cfg, keys, flows, n, &x, err, errlen);
	ops->ctl->flags = 0;
out_free:
	if (x.verdict != verdict_out)
		free(x.verdict);
	free(x.inserted);
	return ret;
}
