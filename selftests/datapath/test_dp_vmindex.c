// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The per-VM flow index: the datapath notes each new flow in the set of
 * each registered endpoint; registering a VM fills its set from the table;
 * an export through the index selects exactly what a table walk selects
 * (a flow between two selected VMs once), also when the set needs several
 * runs of the kernel's reader (FERRY_ST_VM_READ) and when the key it
 * resumes after goes away between them; the sweep forgets what it deletes;
 * an import notes what it installs; an unregistered VM falls back to the
 * walk; a DNAT backend's flows are its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "cthandover.h"
#include "ctiter.h"
#include "dpt_assert.h"
#include "ferry_fw_test.skel.h"
#include "stateops.h"
#include "vmindex.h"

/* One fixture: the datapath and the state operations over it. */
struct fix {
	struct dpt d;
	struct ferry_stateops ops;
};

static int setup(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));

	if (!x || dpt_open(&x->d, 65536) || dpt_allow_all(&x->d) ||
	    ferry_stateops_open_obj(&x->ops, x->d.skel->obj, 0))
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;

	ferry_stateops_close(&x->ops);
	dpt_close(&x->d);
	free(x);
	return 0;
}

static struct ferry_vm_index index_of(struct dpt *d)
{
	return (struct ferry_vm_index){
		.index_fd = bpf_map__fd(d->skel->maps.ferry_vm_index),
		.overflow_fd = bpf_map__fd(d->skel->maps.ferry_vm_overflow),
	};
}

static int ct_fd(struct dpt *d)
{
	return bpf_map__fd(d->skel->maps.ferry_ct);
}

static int cfg_fd(struct dpt *d)
{
	return bpf_map__fd(d->skel->maps.ferry_config);
}

static int cmp_key(const struct ferry_flow_key *a, const struct ferry_flow_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

static void vm(struct ferry_vm_key *vk, const char *spec)
{
	assert_int_equal(ferry_vm_key_parse(spec, vk), 0);
}

static struct pkt_spec tcp(const char *src, const char *dst, __u16 sport)
{
	return (struct pkt_spec){ .saddr = src, .daddr = dst,
				  .proto = IPPROTO_TCP, .sport = sport, .dport = 80 };
}

static __u64 set_size(struct dpt *d, const char *spec)
{
	struct ferry_vm_index ix = index_of(d);
	struct ferry_flow_key *keys;
	struct ferry_vm_key vk;
	__u64 n;

	vm(&vk, spec);
	assert_int_equal(ferry_vm_index_keys(&ix, &vk, &keys, &n), 0);
	free(keys);
	return n;
}

/* Flows an export of the VMs in specs selects, with or without the index. */
static __u64 export_count(struct fix *x, int indexed, int nvms, ...)
{
	struct ferry_export_sel sel = { .no_index = !indexed };
	struct ferry_flow_key *keys;
	struct ferry_flow *flows;
	struct ferry_vm_key vk;
	va_list ap;
	__u64 n;
	int i;

	va_start(ap, nvms);
	for (i = 0; i < nvms; i++) {
		vm(&vk, va_arg(ap, const char *));
		sel.vm_zone[i] = vk.zone;
		sel.vm_family[i] = vk.family;
		memcpy(sel.vm_addr[i], vk.addr, 16);
	}
	va_end(ap);
	sel.n_vms = nvms;
	assert_int_equal(ferry_export_collect(&x->ops, &sel, dpt_now(&x->d), &keys,
					      &flows, &n), 0);
	free(keys);
	free(flows);
	return n;
}

static void test_new_flows_are_noted(void **state)
{
	struct fix *x = *state;
	struct dpt *d = &x->d;
	struct ferry_vm_index ix = index_of(d);
	struct ferry_vm_key vk;
	struct pkt_spec a1 = tcp("198.18.0.10", "198.18.1.1", 1000),
			a2 = tcp("198.18.1.2", "198.18.0.10", 1001),
			b1 = tcp("198.18.0.20", "198.18.1.1", 1002),
			ab = tcp("198.18.0.10", "198.18.0.20", 1003),
			a6 = tcp("2001:db8::10", "2001:db8:1::1", 1004);
	__u64 found;

	vm(&vk, "0:198.18.0.10");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(d), cfg_fd(d), &vk, 0, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(d), cfg_fd(d), &vk, 0, &found),
			 -EEXIST);
	vm(&vk, "0:2001:db8::10");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(d), cfg_fd(d), &vk, 0, &found), 0);

	assert_int_equal(dpt_handshake(d, &a1, 100, 200), 0);
	assert_int_equal(dpt_handshake(d, &a2, 100, 200), 0);	/* A answers */
	assert_int_equal(dpt_handshake(d, &b1, 100, 200), 0);
	assert_int_equal(dpt_handshake(d, &ab, 100, 200), 0);
	assert_int_equal(dpt_handshake(d, &a6, 100, 200), 0);
	assert_int_equal(set_size(d, "0:198.18.0.10"), 3);
	assert_int_equal(set_size(d, "0:2001:db8::10"), 1);

	/* B registered now: its two flows are found in the table. */
	vm(&vk, "0:198.18.0.20");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(d), cfg_fd(d), &vk, 0, &found), 0);
	assert_int_equal(found, 2);
	assert_int_equal(set_size(d, "0:198.18.0.20"), 2);

	/* Through the index or by a walk: the same flows, the A-B one once. */
	assert_int_equal(export_count(x, 1, 1, "0:198.18.0.10"), 3);
	assert_int_equal(export_count(x, 0, 1, "0:198.18.0.10"), 3);
	assert_int_equal(export_count(x, 1, 2, "0:198.18.0.10", "0:198.18.0.20"), 4);
	assert_int_equal(export_count(x, 0, 2, "0:198.18.0.10", "0:198.18.0.20"), 4);
	assert_int_equal(export_count(x, 1, 1, "0:2001:db8::10"), 1);
	/* Not registered, or another zone: the walk answers. */
	assert_int_equal(export_count(x, 1, 1, "0:198.18.1.2"), 1);
	assert_int_equal(export_count(x, 1, 1, "1:198.18.0.10"), 0);
}

static void test_sweep_forgets(void **state)
{
	struct fix *x = *state;
	struct dpt *d = &x->d;
	struct ferry_vm_index ix = index_of(d);
	struct ferry_vm_key vk;
	struct pkt_spec a1 = tcp("198.18.0.10", "198.18.1.1", 1000);
	struct pkt_spec u = { .saddr = "198.18.0.10", .daddr = "198.18.1.1",
			      .proto = IPPROTO_UDP, .sport = 53, .dport = 53 };
	struct ferry_sweep st;
	__u64 found;

	vm(&vk, "0:198.18.0.10");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(d), cfg_fd(d), &vk, 0, &found), 0);
	assert_int_equal(dpt_handshake(d, &a1, 100, 200), 0);
	assert_pass(d, &u, FERRY_PASS_NEW);
	assert_int_equal(set_size(d, "0:198.18.0.10"), 2);
	/* The UDP flow's 30 s run out, not the TCP one's. */
	dpt_advance(d, DPT_SEC(60));
	assert_int_equal(ferry_ct_sweep(&x->ops, dpt_now(d), &st), 0);
	assert_int_equal(st.removed, 1);
	assert_int_equal(set_size(d, "0:198.18.0.10"), 1);
	assert_int_equal(export_count(x, 1, 1, "0:198.18.0.10"), 1);

	/* Unregistered: its set is gone, exports walk the table. */
	assert_int_equal(ferry_vm_index_del(&ix, &vk), 0);
	assert_int_equal(ferry_vm_index_del(&ix, &vk), -ENOENT);
	assert_int_equal(export_count(x, 1, 1, "0:198.18.0.10"), 1);
}

/* VIP:80 forwarded (DNAT) to backend:8080. */
static void set_fwd(struct dpt *d, const char *vip, const char *backend)
{
	struct ferry_nat_fwd_key k = { .proto = IPPROTO_TCP, .port = htons(80) };
	struct ferry_nat_fwd v = { .nbackends = 1 };
	int fam = pkt_parse_addr(vip, k.addr);

	k.family = fam == AF_INET ? FERRY_AF_INET : FERRY_AF_INET6;
	pkt_parse_addr(backend, v.be[0].addr);
	v.be[0].port = htons(8080);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(d->skel->maps.ferry_nat_fwds),
					     &k, &v, 0), 0);
}

/*
 * A VM behind a DNAT forward: the flows clients open to the forward's
 * address are the VM's too (their key holds the address the client used,
 * their binding the VM's): noted in its set, found when it is registered,
 * selected by a walk, forgotten when they go.
 */
static void test_dnat_flows_are_the_backends(void **state)
{
	struct fix *x = *state;
	struct dpt *d = &x->d;
	struct ferry_vm_index ix = index_of(d);
	struct pkt_spec c1 = tcp("198.18.0.99", "198.18.9.100", 2000),
			c2 = tcp("198.18.0.98", "198.18.9.101", 2001),
			c6 = tcp("2001:db8::99", "2001:db8:9::100", 2002);
	struct ferry_vm_key vk;
	struct ferry_sweep st;
	__u64 found;

	set_fwd(d, "198.18.9.100", "198.18.1.50");
	set_fwd(d, "198.18.9.101", "198.18.1.60");
	set_fwd(d, "2001:db8:9::100", "2001:db8:1::50");
	vm(&vk, "0:198.18.1.50");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(d), cfg_fd(d), &vk, 0, &found), 0);
	vm(&vk, "0:2001:db8:1::50");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(d), cfg_fd(d), &vk, 0, &found), 0);
	c1.tcp_flags = c2.tcp_flags = c6.tcp_flags = PKT_TCP_SYN;
	c1.seq = c2.seq = c6.seq = 1000;
	assert_pass(d, &c1, FERRY_PASS_NEW);
	assert_pass(d, &c2, FERRY_PASS_NEW);
	assert_pass(d, &c6, FERRY_PASS_NEW);
	assert_int_equal(set_size(d, "0:198.18.1.50"), 1);
	assert_int_equal(set_size(d, "0:2001:db8:1::50"), 1);
	assert_int_equal(export_count(x, 1, 1, "0:198.18.1.50"), 1);
	assert_int_equal(export_count(x, 0, 1, "0:198.18.1.50"), 1);
	assert_int_equal(export_count(x, 1, 1, "0:2001:db8:1::50"), 1);
	/* the forward's address is no VM's: only a walk, which finds them */
	assert_int_equal(export_count(x, 1, 1, "0:198.18.9.100"), 1);

	/* registered after its flow came: found in the table */
	vm(&vk, "0:198.18.1.60");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(d), cfg_fd(d), &vk, 0, &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(export_count(x, 1, 1, "0:198.18.1.60"), 1);

	/* the SYNs' 120 s run out: the sweep forgets them */
	dpt_advance(d, DPT_SEC(200));
	assert_int_equal(ferry_ct_sweep(&x->ops, dpt_now(d), &st), 0);
	assert_int_equal(st.removed, 3);
	assert_int_equal(set_size(d, "0:198.18.1.50"), 0);
	assert_int_equal(set_size(d, "0:198.18.1.60"), 0);
	assert_int_equal(set_size(d, "0:2001:db8:1::50"), 0);
}

/*
 * Flow i of VM 198.18.0.10 (zone 0): TCP to 198.19.x.y:80, established,
 * written into the table from userspace and noted in the VM's set as the
 * datapath would.
 */
static void vm_flow(struct dpt *d, __u32 i, struct ferry_flow_key *k,
		    struct ferry_flow *f)
{
	struct pkt_spec s = tcp("198.18.0.10", "198.19.0.0", 1024 + i % 60000);
	char dst[32];

	snprintf(dst, sizeof(dst), "198.19.%u.%u", (i / 60000) >> 8 & 255,
		 (i / 60000) & 255);
	s.daddr = dst;
	dpt_flow_key(0, &s, k, NULL);
	memset(f, 0, sizeof(*f));
	f->state = FERRY_TCP_ESTABLISHED;
	f->orig_lo = 1;
	f->created_ns = dpt_now(d);
	f->last_seen_ns = dpt_now(d);
	f->expires_ns = dpt_now(d) + DPT_SEC(3600);
}

/* n of them, in batches (fast also in an emulated guest). */
static void add_vm_flows(struct fix *x, __u32 n)
{
	struct ferry_flow_key *k = calloc(n, sizeof(*k));
	struct ferry_flow *f = calloc(n, sizeof(*f));
	__u32 *one = calloc(n, sizeof(*one)), i, cnt = n, id;
	struct ferry_vm_key vk;
	int set;

	assert_non_null(k);
	assert_non_null(f);
	assert_non_null(one);
	for (i = 0; i < n; i++) {
		vm_flow(&x->d, i, &k[i], &f[i]);
		one[i] = 1;
	}
	assert_int_equal(bpf_map_update_batch(ct_fd(&x->d), k, f, &cnt, NULL), 0);
	vm(&vk, "0:198.18.0.10");
	assert_int_equal(bpf_map_lookup_elem(index_of(&x->d).index_fd, &vk, &id), 0);
	set = bpf_map_get_fd_by_id(id);
	assert_true(set >= 0);
	cnt = n;
	assert_int_equal(bpf_map_update_batch(set, k, one, &cnt, NULL), 0);
	close(set);
	free(k);
	free(f);
	free(one);
}

/* More flows than one run of the kernel's reader takes: several runs,
 * each resuming after the last key of the one before, none twice. */
static void test_many_runs(void **state)
{
	struct fix *x = *state;
	struct ferry_vm_index ix = index_of(&x->d);
	const __u32 n = 2 * FERRY_ST_STAGE_DEFAULT + 123;
	struct ferry_export_sel sel = { .n_vms = 1 };
	struct ferry_flow_key *keys;
	struct ferry_flow *flows;
	struct ferry_vm_key vk;
	__u64 found, got, i;

	vm(&vk, "0:198.18.0.10");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(&x->d), cfg_fd(&x->d), &vk,
					    32768, &found), 0);
	add_vm_flows(x, n);
	sel.vm_family[0] = FERRY_AF_INET;
	memcpy(sel.vm_addr[0], vk.addr, 16);
	assert_int_equal(ferry_export_collect(&x->ops, &sel, dpt_now(&x->d), &keys,
					      &flows, &got), 0);
	assert_int_equal(got, n);
	/* the last of 3 runs walked past the 2 stages taken before it */
	assert_int_equal(x->ops.ctl->count, n);
	for (i = 0; i < got; i++) {
		assert_int_equal(flows[i].state, FERRY_TCP_ESTABLISHED);
		assert_int_equal(flows[i].expires_ns, dpt_now(&x->d) + DPT_SEC(3600));
	}
	/* distinct keys: sorted, no neighbours equal */
	qsort(keys, got, sizeof(*keys), (int (*)(const void *, const void *))cmp_key);
	for (i = 1; i < got; i++)
		assert_int_not_equal(memcmp(&keys[i - 1], &keys[i], sizeof(*keys)), 0);
	free(keys);
	free(flows);
	assert_int_equal(export_count(x, 0, 1, "0:198.18.0.10"), n);
}

/* The key a run resumes after is deleted from the set between two runs:
 * the reader says so, and an export falls back to the walk. */
static void test_resume_lost(void **state)
{
	struct fix *x = *state;
	struct ferry_vm_index ix = index_of(&x->d);
	struct ferry_st_ctl *c = x->ops.ctl;
	struct ferry_flow_key last;
	struct ferry_vm_key vk;
	__u64 found;

	vm(&vk, "0:198.18.0.10");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(&x->d), cfg_fd(&x->d), &vk,
					    32768, &found), 0);
	add_vm_flows(x, FERRY_ST_STAGE_DEFAULT + 10);
	c->vm = vk;
	c->flags = 0;
	assert_int_equal(ferry_st_run(&x->ops, FERRY_ST_VM_READ, 0), 0);
	assert_int_equal(c->n, FERRY_ST_STAGE_DEFAULT);
	assert_int_equal(c->flags, FERRY_ST_C_MORE);
	last = c->resume;
	assert_memory_equal(&last, &x->ops.stage[FERRY_ST_STAGE_DEFAULT - 1].key, sizeof(last));
	/* resumed as it is: the 10 left */
	c->flags = FERRY_ST_C_RESUME;
	assert_int_equal(ferry_st_run(&x->ops, FERRY_ST_VM_READ, 0), 0);
	assert_int_equal(c->n, 10);
	assert_int_equal(c->flags, 0);
	/* resumed after a key gone from the set */
	assert_int_equal(ferry_vm_index_forget(&ix, &last), 0);
	c->resume = last;
	c->flags = FERRY_ST_C_RESUME;
	assert_int_equal(ferry_st_run(&x->ops, FERRY_ST_VM_READ, 0), 0);
	assert_int_equal(c->n, 0);
	assert_int_equal(c->flags, FERRY_ST_C_LOST);
	/* an unregistered VM */
	vm(&c->vm, "0:198.18.0.11");
	c->flags = 0;
	assert_int_equal(ferry_st_run(&x->ops, FERRY_ST_VM_READ, 0), 0);
	assert_int_equal(c->flags, FERRY_ST_C_NOSET);
}

/* What an import installs joins its VMs' sets; what it refuses does not. */
static void test_import_noted(void **state)
{
	struct fix *x = *state;
	struct ferry_vm_index ix = index_of(&x->d);
	struct ferry_flow_key k[3];
	struct ferry_flow f[3];
	struct ferry_import_report rep;
	struct ferry_rule allow;
	struct ferry_import_opts o = { .rules = &allow, .nrules = 1 };
	struct ferry_vm_key vk;
	char err[256];
	__u64 found, n;

	vm(&vk, "0:198.18.0.10");
	assert_int_equal(ferry_vm_index_add(&ix, ct_fd(&x->d), cfg_fd(&x->d), &vk,
					    0, &found), 0);
	dpt_rule_init(&allow, 1, FERRY_ACT_ALLOW);
	dpt_set_now(&x->d, ferry_now_ns());
	vm_flow(&x->d, 0, &k[0], &f[0]);
	vm_flow(&x->d, 1, &k[1], &f[1]);
	vm_flow(&x->d, 2, &k[2], &f[2]);
	f[2].expires_ns = 1;	/* expired: refused */
	assert_int_equal(ferry_import(&x->ops, k, f, 3, &o, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.count[FERRY_IMPORT_ACCEPTED], 2);
	assert_int_equal(rep.count[FERRY_IMPORT_EXPIRED], 1);
	assert_int_equal(set_size(&x->d, "0:198.18.0.10"), 2);
	assert_int_equal(export_count(x, 1, 1, "0:198.18.0.10"), 2);
	assert_int_equal(ferry_st_count(&x->ops, &n), 0);
	assert_int_equal(n, 2);
}

static void test_parse(void **state)
{
	struct ferry_vm_key vk;

	assert_int_equal(ferry_vm_key_parse("7:198.18.0.1", &vk), 0);
	assert_int_equal(vk.zone, 7);
	assert_int_equal(vk.family, FERRY_AF_INET);
	assert_int_equal(ferry_vm_key_parse("7:2001:db8::1", &vk), 0);
	assert_int_equal(vk.family, FERRY_AF_INET6);
	assert_int_equal(ferry_vm_key_parse("198.18.0.1", &vk), -EINVAL);
	assert_int_equal(ferry_vm_key_parse("x:198.18.0.1", &vk), -EINVAL);
	assert_int_equal(ferry_vm_key_parse("4294967295:198.18.0.1", &vk), -EINVAL);
	assert_int_equal(ferry_vm_key_parse("1:198.18.0.256", &vk), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_flows_are_noted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep_forgets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dnat_flows_are_the_backends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_noted, setup, teardown),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
