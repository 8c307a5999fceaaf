// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
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

static int read_config(int config_fd, struct ferry_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(config_fd, &zero, cfg) ? -errno : 0;
}

static int addr_len(__u8 family)
{
	return family == FERRY_AF_INET6 ? 16 : 4;
}

int ferry_export_selects(const struct ferry_export_sel *sel,
			 const struct ferry_flow_key *k)
{
	__u32 i;

	if (!sel->n_vms)
		return sel->all_zones || k->zone == sel->zone;
	for (i = 0; i < sel->n_vms; i++) {
		int len = addr_len(k->family);

		if (k->zone != sel->vm_zone[i] || k->family != sel->vm_family[i])
			continue;
		if (!memcmp(k->addr_lo, sel->vm_addr[i], len) ||
		    !memcmp(k->addr_hi, sel->vm_addr[i], len))
			return 1;
	}
	return 0;
}

/* One spooled flow. */
struct spool_rec {
	struct ferry_flow_key key;
	struct ferry_flow flow;
};

#define SPOOL_BATCH	1024

struct collect_ctx {
	const struct ferry_export_sel *sel;
	__u64 now;
	__u32 committed;
	struct ferry_flow_key *keys;
	struct ferry_flow *flows;
	__u64 n, cap;
	/* spooling: records go to spool_fd through buf, not into keys/flows */
	int spool_fd;
	struct spool_rec *buf;
	__u32 in_buf;
};

static int spool_flush(struct collect_ctx *c)
{
	size_t len = c->in_buf * sizeof(*c->buf), done = 0;
	ssize_t w;

	while (done < len) {
		w = write(c->spool_fd, (char *)c->buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += w;
	}
	c->in_buf = 0;
	return 0;
}

static int spool_one(struct collect_ctx *c, const struct ferry_flow_key *k,
		     const struct ferry_flow *f)
{
	c->buf[c->in_buf].key = *k;
	c->buf[c->in_buf].flow = *f;
	c->n++;
	return ++c->in_buf == SPOOL_BATCH ? spool_flush(c) : 0;
}

static int collect_one(const struct ferry_flow_key *k, const struct ferry_flow *f,
		       void *data)
{
	struct collect_ctx *c = data;

	if (f->expires_ns <= c->now || f->import_gen > c->committed ||
	    !ferry_export_selects(c->sel, k))
		return 0;
	if (c->buf)
		return spool_one(c, k, f);
	if (c->n == c->cap) {
		__u64 cap = c->cap ? c->cap * 2 : 1024;
		void *nk = realloc(c->keys, cap * sizeof(*c->keys));

		if (!nk)
			return -ENOMEM;
		c->keys = nk;
		nk = realloc(c->flows, cap * sizeof(*c->flows));
		if (!nk)
			return -ENOMEM;
		c->flows = nk;
		c->cap = cap;
	}
	c->keys[c->n] = *k;
	c->flows[c->n] = *f;
	c->n++;
	return 0;
}

/* Is k a flow of one of the selection's VMs before the i-th? */
static int earlier_vm(const struct ferry_export_sel *sel, __u32 i,
		      const struct ferry_flow_key *k)
{
	struct ferry_export_sel first = *sel;

	first.n_vms = i;
	return i && ferry_export_selects(&first, k);
}

/*
 * The selection's flows through the index: each VM's set, each key looked
 * up in the table (a flow between two selected VMs is taken once).
 * -ENOENT or -EOVERFLOW: a VM's set is missing or incomplete.
 */
static int collect_indexed(int ct_fd, struct collect_ctx *c)
{
	const struct ferry_export_sel *sel = c->sel;
	struct ferry_flow_key *keys;
	struct ferry_vm_key vk;
	struct ferry_flow f;
	__u64 n, j;
	__u32 i;
	int err = 0;

	for (i = 0; i < sel->n_vms && !err; i++) {
		ferry_vm_key_make(&vk, sel->vm_zone[i], sel->vm_family[i],
				  sel->vm_addr[i]);
		err = ferry_vm_index_keys(sel->index, &vk, &keys, &n);
		if (err)
			break;
		for (j = 0; j < n && !err; j++) {
			if (earlier_vm(sel, i, &keys[j]))
				continue;
			if (bpf_map_lookup_elem_flags(ct_fd, &keys[j], &f, BPF_F_LOCK)) {
				if (errno != ENOENT)	/* else: gone since */
					err = -errno;
				continue;
			}
			err = collect_one(&keys[j], &f, c);
		}
		free(keys);
	}
	return err;
}

/* The selection through the index where it can, else by a walk. */
static int collect(int ct_fd, int config_fd, struct collect_ctx *c)
{
	struct ferry_config cfg;
	int err;

	err = read_config(config_fd, &cfg);
	if (err)
		return err;
	c->committed = cfg.import_gen;
	err = -ENOENT;
	if (c->sel->index && c->sel->n_vms)
		err = collect_indexed(ct_fd, c);
	if (err == -ENOENT || err == -EOVERFLOW) {
		/* Not (fully) indexed: walk the whole table instead. */
		c->n = 0;
		c->in_buf = 0;
		if (c->buf && (lseek(c->spool_fd, 0, SEEK_SET) ||
			       ftruncate(c->spool_fd, 0)))
			return -errno;
		err = ferry_ct_foreach(ct_fd, collect_one, c);
	}
	if (!err && c->buf)
		err = spool_flush(c);
	return err;
}

int ferry_export_spool(int ct_fd, int config_fd,
		       const struct ferry_export_sel *sel, __u64 now_ns,
		       const char *dir, int *fd, __u64 *n)
{
	struct collect_ctx c = { .sel = sel, .now = now_ns };
	int err;

	c.buf = calloc(SPOOL_BATCH, sizeof(*c.buf));
	if (!c.buf)
		return -ENOMEM;
	c.spool_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (c.spool_fd < 0) {
		err = -errno;
		goto out;
	}
	err = collect(ct_fd, config_fd, &c);
	if (!err && lseek(c.spool_fd, 0, SEEK_SET))
		err = -errno;
	if (err) {
		close(c.spool_fd);
		goto out;
	}
	*fd = c.spool_fd;
	*n = c.n;
out:
	free(c.buf);
	return err;
}

ssize_t ferry_export_spool_read(int fd, struct ferry_flow_key *keys,
				struct ferry_flow *flows, size_t max)
{
	struct spool_rec r[256];
	size_t want, done = 0, i;
	ssize_t got;

	if (max > 256)
		max = 256;
	want = max * sizeof(r[0]);
	while (done < want) {
		got = read(fd, (char *)r + done, want - done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (!got)
			break;
		done += got;
	}
	if (done % sizeof(r[0]))
		return -EIO;	/* the spool is ours: never a partial record */
	for (i = 0; i < done / sizeof(r[0]); i++) {
		keys[i] = r[i].key;
		flows[i] = r[i].flow;
	}
	return done / sizeof(r[0]);
}

int ferry_export_collect(int ct_fd, int config_fd,
			 const struct ferry_export_sel *sel, __u64 now_ns,
			 struct ferry_flow_key **keys, struct ferry_flow **flows,
			 __u64 *n)
{
	struct collect_ctx c = { .sel = sel, .now = now_ns, .spool_fd = -1 };
	int err;

	err = collect(ct_fd, config_fd, &c);
	if (err) {
		free(c.keys);
		free(c.flows);
		return err;
	}
	*keys = c.keys;
	*flows = c.flows;
	*n = c.n;
	return 0;
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

/* Walk state of the table before an import: size, and leftovers of an
 * import that died before it committed (batch > committed). */
struct table_ctx {
	__u32 committed;
	__u64 entries;
	struct ferry_flow_key *stale;
	__u64 n_stale, cap_stale;
};

static int table_one(const struct ferry_flow_key *k, const struct ferry_flow *f,
		     void *data)
{
	struct table_ctx *t = data;

	t->entries++;
	if (f->import_gen <= t->committed)
		return 0;
	if (t->n_stale == t->cap_stale) {
		__u64 cap = t->cap_stale ? t->cap_stale * 2 : 64;
		void *p = realloc(t->stale, cap * sizeof(*t->stale));

		if (!p)
			return -ENOMEM;
		t->stale = p;
		t->cap_stale = cap;
	}
	t->stale[t->n_stale++] = *k;
	return 0;
}

static void remove_keys(int ct_fd, const struct ferry_flow_key *keys, __u64 n)
{
	__u64 i;

	for (i = 0; i < n; i++)
		bpf_map_delete_elem(ct_fd, &keys[i]);
}

static int table_room(int ct_fd, __u64 *room)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(ct_fd, &info, &len))
		return -errno;
	*room = info.max_entries;
	return 0;
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
 * Decide each flow by itself; *verdict[i] gets its reason. Whether its key
 * is taken is found when it is inserted (BPF_NOEXIST), or here for a dry
 * run, which inserts nothing.
 */
static void check_flows(int ct_fd, const struct ferry_import_nat *nat,
			struct ferry_flow_key *keys, struct ferry_flow *flows,
			__u64 n, __u64 now, const struct ferry_rule *rules,
			__u32 nrules, int dry_run, __u8 *verdict,
			struct ferry_import_report *rep)
{
	struct ferry_flow_key rkey, named;
	struct ferry_flow existing;
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
		else if (dry_run && flows[i].nat.kind &&
			 !bpf_map_lookup_elem(nat->rev_fd, &rkey, &named))
			verdict[i] = FERRY_IMPORT_NAT_TAKEN;
		else if (dry_run && !bpf_map_lookup_elem(ct_fd, &keys[i], &existing))
			verdict[i] = FERRY_IMPORT_EXISTS;
		else
			verdict[i] = FERRY_IMPORT_ACCEPTED;
		rep->count[verdict[i]]++;
	}
}

/* The claim of flow i's translated tuple, if it has one. */
static void unbind(const struct ferry_import_nat *nat,
		   const struct ferry_flow_key *k, const struct ferry_flow *f)
{
	struct ferry_flow_key rkey;

	if (f->nat.kind && !ferry_nat_xlat_key(k, f, &rkey))
		bpf_map_delete_elem(nat->rev_fd, &rkey);
}

/* Remove the accepted flows among the first n, with their bindings. */
static void remove_accepted(int ct_fd, const struct ferry_import_nat *nat,
			    const struct ferry_flow_key *keys,
			    const struct ferry_flow *flows, const __u8 *verdict,
			    __u64 n)
{
	__u64 i;

	for (i = 0; i < n; i++) {
		if (verdict[i] != FERRY_IMPORT_ACCEPTED)
			continue;
		bpf_map_delete_elem(ct_fd, &keys[i]);
		unbind(nat, &keys[i], &flows[i]);
	}
}

static void recount(struct ferry_import_report *rep, __u8 *verdict, int reason)
{
	*verdict = reason;
	rep->count[FERRY_IMPORT_ACCEPTED]--;
	rep->count[reason]++;
}

/*
 * Flow i's binding claimed (BPF_NOEXIST: never over another flow's), then
 * its entry (never over an entry). 0; 1 if refused as taken or existing
 * (its verdict says which); or -errno.
 */
static int insert_one(int ct_fd, const struct ferry_import_nat *nat,
		      const struct ferry_flow_key *k, const struct ferry_flow *f,
		      __u8 *verdict, struct ferry_import_report *rep)
{
	struct ferry_flow_key rkey;
	int ret;

	if (f->nat.kind) {
		ferry_nat_xlat_key(k, f, &rkey);
		if (bpf_map_update_elem(nat->rev_fd, &rkey, k, BPF_NOEXIST)) {
			if (errno != EEXIST)
				return -errno;
			recount(rep, verdict, FERRY_IMPORT_NAT_TAKEN);
			return 1;
		}
	}
	if (!bpf_map_update_elem(ct_fd, k, f, BPF_NOEXIST))
		return 0;
	ret = -errno;
	if (f->nat.kind)
		bpf_map_delete_elem(nat->rev_fd, &rkey);
	if (ret != -EEXIST)
		return ret;
	recount(rep, verdict, FERRY_IMPORT_EXISTS);
	return 1;
}

/*
 * Insert the accepted flows as batch gen, never over an entry or binding:
 * one taken meanwhile turns its verdict to exists or nat-taken. On failure
 * remove them again.
 */
static int insert_batch(int ct_fd, const struct ferry_import_nat *nat,
			const struct ferry_flow_key *keys,
			struct ferry_flow *flows, __u8 *verdict, __u64 n,
			__u32 gen, struct ferry_import_report *rep, char *err,
			size_t errlen)
{
	__u64 i;
	int ret;

	for (i = 0; i < n; i++) {
		if (verdict[i] != FERRY_IMPORT_ACCEPTED)
			continue;
		flows[i].import_gen = gen;
		flows[i].flags |= FERRY_FLOW_F_IMPORTED;
		memset(&flows[i].lock, 0, sizeof(flows[i].lock));
		ret = insert_one(ct_fd, nat, &keys[i], &flows[i], &verdict[i], rep);
		if (ret >= 0)
			continue;
		remove_accepted(ct_fd, nat, keys, flows, verdict, i);
		return fail(err, errlen, ret, "inserting flow %llu: %s "
			    "(import rolled back)", (unsigned long long)i,
			    strerror(-ret));
	}
	return 0;
}

int ferry_import(int ct_fd, int config_fd, struct ferry_flow_key *keys,
		 struct ferry_flow *flows, __u64 n, const struct ferry_rule *rules,
		 __u32 nrules, int dry_run, struct ferry_import_report *rep,
		 char *err, size_t errlen)
{
	return ferry_import_nat(ct_fd, config_fd, NULL, keys, flows, n, rules,
				nrules, dry_run, rep, err, errlen);
}

int ferry_import_nat(int ct_fd, int config_fd, const struct ferry_import_nat *nat,
		     struct ferry_flow_key *keys, struct ferry_flow *flows, __u64 n,
		     const struct ferry_rule *rules, __u32 nrules, int dry_run,
		     struct ferry_import_report *rep, char *err, size_t errlen)
{
	struct table_ctx t = { 0 };
	struct ferry_config cfg;
	__u64 room = 0, accepted;
	__u8 *verdict;
	__u32 zero = 0;
	int ret;

	memset(rep, 0, sizeof(*rep));
	rep->offered = n;
	ret = read_config(config_fd, &cfg);
	if (ret)
		return fail(err, errlen, ret, "reading the config map: %s", strerror(-ret));
	t.committed = cfg.import_gen;
	ret = ferry_ct_foreach(ct_fd, table_one, &t) ?: table_room(ct_fd, &room);
	if (ret) {
		free(t.stale);
		return fail(err, errlen, ret, "reading the table: %s", strerror(-ret));
	}
	verdict = calloc(n ? n : 1, 1);
	if (!verdict) {
		free(t.stale);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	check_flows(ct_fd, nat, keys, flows, n, ferry_now_ns(), rules, nrules,
		    dry_run, verdict, rep);
	accepted = rep->count[FERRY_IMPORT_ACCEPTED];
	if (t.entries - t.n_stale + accepted > room) {
		ret = fail(err, errlen, -ENOSPC, "%llu flows do not fit: the table holds "
			   "%llu of %llu (import refused whole)",
			   (unsigned long long)accepted,
			   (unsigned long long)(t.entries - t.n_stale),
			   (unsigned long long)room);
		goto out_free;
	}
	if (dry_run || !accepted)
		goto out_free;
	/* An import that died before committing left invisible entries. */
	remove_keys(ct_fd, t.stale, t.n_stale);
	ret = insert_batch(ct_fd, nat, keys, flows, verdict, n, cfg.import_gen + 1,
			   rep, err, errlen);
	if (ret)
		goto out_free;
	/* The commit: one update makes the whole batch visible. */
	cfg.import_gen++;
	if (bpf_map_update_elem(config_fd, &zero, &cfg, 0)) {
		ret = fail(err, errlen, -errno, "committing the import: %s "
			   "(import rolled back)", strerror(errno));
		remove_accepted(ct_fd, nat, keys, flows, verdict, n);
	}
out_free:
	free(verdict);
	free(t.stale);
	return ret;
}
