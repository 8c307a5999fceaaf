// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * An import batch is invisible to the datapath until it is committed: an
 * entry whose import_gen is above the config's acts as absent (its packets
 * are invalid, nothing can be created over it), and one update of the
 * config makes the whole batch live.
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
#include "dpt_assert.h"
#include "ferry_fw_test.skel.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_batch_is_invisible,
						dpt_setup, dpt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
