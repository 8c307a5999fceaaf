// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The per-VM flow index: the datapath notes each new flow in the set of
 * each registered endpoint; registering a VM fills its set from the table;
 * an export through the index selects exactly what a table walk selects
 * (a flow between two selected VMs once); the sweep forgets what it
 * deletes; an unregistered VM falls back to the walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "cthandover.h"
#include "ctiter.h"
#include "dpt_assert.h"
#include "ferry_fw_test.skel.h"
#include "vmindex.h"

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
static __u64 export_count(struct dpt *d, int indexed, int nvms, ...)
{
	struct ferry_vm_index ix = index_of(d);
	struct ferry_export_sel sel = { .index = indexed ? &ix : NULL };
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
	assert_int_equal(ferry_export_collect(ct_fd(d), cfg_fd(d), &sel,
					      dpt_now(d), &keys, &flows, &n), 0);
	free(keys);
	free(flows);
	return n;
}

static void test_new_flows_are_noted(void **state)
{
	struct dpt *d = *state;
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
	assert_int_equal(export_count(d, 1, 1, "0:198.18.0.10"), 3);
	assert_int_equal(export_count(d, 0, 1, "0:198.18.0.10"), 3);
	assert_int_equal(export_count(d, 1, 2, "0:198.18.0.10", "0:198.18.0.20"), 4);
	assert_int_equal(export_count(d, 0, 2, "0:198.18.0.10", "0:198.18.0.20"), 4);
	assert_int_equal(export_count(d, 1, 1, "0:2001:db8::10"), 1);
	/* Not registered, or another zone: the walk answers. */
	assert_int_equal(export_count(d, 1, 1, "0:198.18.1.2"), 1);
	assert_int_equal(export_count(d, 1, 1, "1:198.18.0.10"), 0);
}

static void test_sweep_forgets(void **state)
{
	struct dpt *d = *state;
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
	assert_int_equal(ferry_ct_sweep(ct_fd(d), dpt_now(d), ferry_vm_index_forget_cb,
					&ix, &st), 0);
	assert_int_equal(st.removed, 1);
	assert_int_equal(set_size(d, "0:198.18.0.10"), 1);
	assert_int_equal(export_count(d, 1, 1, "0:198.18.0.10"), 1);

	/* Unregistered: its set is gone, exports walk the table. */
	assert_int_equal(ferry_vm_index_del(&ix, &vk), 0);
	assert_int_equal(ferry_vm_index_del(&ix, &vk), -ENOENT);
	assert_int_equal(export_count(d, 1, 1, "0:198.18.0.10"), 1);
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
		cmocka_unit_test_setup_teardown(test_new_flows_are_noted, dpt_setup,
						dpt_teardown),
		cmocka_unit_test_setup_teardown(test_sweep_forgets, dpt_setup,
						dpt_teardown),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
