// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * An import batch is invisible to the datapath until it is committed: an
 * entry whose import_gen is above the config's acts as absent (its packets
 * are invalid, nothing can be created over it), and one update of the
 * config makes the whole batch live. An imported TCP flow is a copy taken
 * while the flow still ran at the source: each side's first segment
 * re-learns its position (a segment far ahead of the copy passes once),
 * then the window checks hold it again; a RST never resynchronises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "cthandover.h"
#include "ctiter.h"
#include "dpt_assert.h"
#include "ferry_fw_test.skel.h"
#include "stateops.h"

static void test_pending_batch_is_invisible(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec c = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
	};
	struct pkt_spec ack, syn;
	struct ferry_flow_key k;
	struct ferry_config cfg;
	struct ferry_flow f;
	int src_lo, fd = bpf_map__fd(d->skel->maps.ferry_ct);

	/* A real flow, taken out and put back as batch 1 of an import. */
	assert_int_equal(dpt_handshake(d, &c, 100, 500), 0);
	assert_int_equal(dpt_flow(d, 0, &c, &f, &src_lo), 0);
	dpt_flow_key(0, &c, &k, NULL);
	assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
	f.import_gen = 1;
	f.flags |= FERRY_FLOW_F_IMPORTED;
	memset(&f.lock, 0, sizeof(f.lock));
	assert_int_equal(bpf_map_update_elem(fd, &k, &f, BPF_NOEXIST), 0);

	/* Not committed: its packets are invalid, a SYN cannot replace it. */
	ack = dpt_seg(&c, 0, PKT_TCP_ACK, 101, 501, 10);
	assert_drop(d, &ack, FERRY_DROP_INVALID);
	syn = dpt_seg(&c, 0, PKT_TCP_SYN, 9000, 0, 0);
	assert_drop(d, &syn, FERRY_DROP_INVALID);
	assert_int_equal(dpt_flow(d, 0, &c, &f, NULL), 0);
	assert_int_equal(f.import_gen, 1);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 2);	/* untouched */

	/* The commit makes it live, with its state and counters. */
	assert_int_equal(dpt_config_read(d, &cfg), 0);
	cfg.import_gen = 1;
	assert_int_equal(dpt_config_write(d, &cfg), 0);
	assert_pass(d, &ack, FERRY_PASS_ESTABLISHED);
	assert_flow_state(d, 0, &c, &f, FERRY_TCP_ESTABLISHED);
	assert_int_equal(f.packets[FERRY_DIR_ORIG], 3);
}

/* Take c's flow out of d and import it back, as a migration would. */
static void reimport(struct dpt *d, const struct pkt_spec *c)
{
	struct ferry_rule allow;
	struct ferry_import_opts o = { .rules = &allow, .nrules = 1 };
	struct ferry_import_report rep;
	struct ferry_stateops ops;
	struct ferry_flow_key k;
	struct ferry_flow f;
	char err[256];

	dpt_rule_init(&allow, 1, FERRY_ACT_ALLOW);
	assert_int_equal(dpt_flow(d, 0, c, &f, NULL), 0);
	assert_int_equal(dpt_flow_delete(d, 0, c), 0);
	dpt_flow_key(0, c, &k, NULL);
	assert_int_equal(ferry_stateops_open_obj(&ops, d->skel->obj, 0), 0);
	assert_int_equal(ferry_import(&ops, &k, &f, 1, &o, &rep, err, sizeof(err)), 0);
	ferry_stateops_close(&ops);
	assert_int_equal(rep.count[FERRY_IMPORT_ACCEPTED], 1);
	assert_int_equal(dpt_flow(d, 0, c, &f, NULL), 0);
	assert_int_equal(f.tcp[0].flags & FERRY_TCP_F_RESYNC, FERRY_TCP_F_RESYNC);
	assert_int_equal(f.tcp[1].flags & FERRY_TCP_F_RESYNC, FERRY_TCP_F_RESYNC);
}

static void test_imported_flow_resyncs(void **state)
{
	struct dpt *d = *state;
	struct pkt_spec c = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_TCP, .sport = 40001, .dport = 80,
	};
	/* Where the flow is now: 1 MB further each way than the copy. */
	const __u32 cnow = 101 + 1000000, snow = 501 + 2000000;
	struct pkt_spec far, rst, back, beyond;
	struct ferry_flow f;

	/* The import's clock and the datapath's agree. */
	dpt_set_now(d, ferry_now_ns());
	assert_int_equal(dpt_handshake(d, &c, 100, 500), 0);
	far = dpt_seg(&c, 0, PKT_TCP_ACK, cnow, snow, 100);
	back = dpt_seg(&c, 1, PKT_TCP_ACK, snow, cnow + 100, 100);
	/* Not imported: a segment that far ahead is out of the window. */
	assert_drop(d, &far, FERRY_DROP_OUT_OF_WINDOW);

	reimport(d, &c);
	/* A RST does not resynchronise a side. */
	rst = dpt_seg(&c, 0, PKT_TCP_RST | PKT_TCP_ACK, cnow, snow, 0);
	assert_drop(d, &rst, FERRY_DROP_OUT_OF_WINDOW);
	assert_flow_state(d, 0, &c, &f, FERRY_TCP_ESTABLISHED);
	/* Each side's first segment re-learns it; the checks hold it again. */
	assert_pass(d, &far, FERRY_PASS_ESTABLISHED);
	assert_pass(d, &back, FERRY_PASS_ESTABLISHED);
	assert_int_equal(dpt_flow(d, 0, &c, &f, NULL), 0);
	assert_int_equal((f.tcp[0].flags | f.tcp[1].flags) & FERRY_TCP_F_RESYNC, 0);
	beyond = dpt_seg(&c, 0, PKT_TCP_ACK, cnow + 10000000, snow + 100, 100);
	assert_drop(d, &beyond, FERRY_DROP_OUT_OF_WINDOW);
	beyond = dpt_seg(&c, 1, PKT_TCP_ACK, snow + 10000000, cnow + 100, 100);
	assert_drop(d, &beyond, FERRY_DROP_OUT_OF_WINDOW);
	/* and the flow goes on where it is */
	far = dpt_seg(&c, 0, PKT_TCP_ACK, cnow + 100, snow + 100, 100);
	assert_pass(d, &far, FERRY_PASS_ESTABLISHED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_batch_is_invisible,
						dpt_setup, dpt_teardown),
		cmocka_unit_test_setup_teardown(test_imported_flow_resyncs,
						dpt_setup, dpt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
