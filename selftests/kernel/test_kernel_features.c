// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Does the running kernel have what Ferry's datapath needs, and does the
 * datapath load and run on it? First probes each BPF feature (kfeatures.h,
 * as ferry-soa does at start) and prints one line per feature ("supported: X" or "unsupported:
 * X"); if one is missing the test is skipped (exit 77) and its last line
 * names them. Otherwise loads both skeletons (the verifier of this kernel
 * must accept them) and runs a few frames through BPF_PROG_TEST_RUN.
 * The vmtest runner (vmtest/) runs it first on every kernel it boots.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "ferry/layout.h"
#include "kfeatures.h"
#include "log.h"
#include "ferry_fw.skel.h"
#include "ferry_fw_test.skel.h"

struct missing {
	char names[512];
	size_t used;
};

/* One line per feature; required ones missing are collected. */
static void report(const struct ferry_kfeature *f, int supported, void *ctx)
{
	struct missing *m = ctx;
	size_t len = sizeof(m->names);

	if (supported) {
		printf("supported: %s (Linux %s)\n", f->name, f->since);
		return;
	}
	printf("unsupported: %s (needs Linux %s)%s\n", f->name, f->since,
	       f->optional ? ", optional" : "");
	if (f->optional)
		return;
	m->used += snprintf(m->names + m->used,
			    m->used < len ? len - m->used : 0, "%s%s",
			    m->used ? ", " : "", f->name);
}

/* Tests must not touch real pinned state: no pinning at all. */
static void unpin_all(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
}

static void test_load_datapath(void **state)
{
	struct ferry_fw *skel;

	skel = ferry_fw__open();
	assert_non_null(skel);
	unpin_all(skel->obj);
	assert_int_equal(ferry_fw__load(skel), 0);
	assert_true(bpf_program__fd(skel->progs.ferry_xdp) >= 0);
	assert_true(bpf_program__fd(skel->progs.ferry_tc) >= 0);
	ferry_fw__destroy(skel);
}

static struct ferry_fw_test *load_test_skel(void)
{
	struct ferry_fw_test *skel;

	skel = ferry_fw_test__open();
	assert_non_null(skel);
	unpin_all(skel->obj);
	assert_int_equal(ferry_fw_test__load(skel), 0);
	skel->bss->ferry_fake_now_ns = 1000000000ULL;
	return skel;
}

/* Packets counted under reason, summed over CPUs. */
static __u64 reason_packets(struct bpf_map *stats, __u32 reason)
{
	int i, ncpu = libbpf_num_possible_cpus();
	struct ferry_stat vals[ncpu];
	__u64 sum = 0;

	assert_true(ncpu > 0);
	assert_int_equal(bpf_map__lookup_elem(stats, &reason, sizeof(reason),
					      vals, sizeof(vals), 0), 0);
	for (i = 0; i < ncpu; i++)
		sum += vals[i].packets;
	return sum;
}

static __u32 run_frame(struct bpf_program *prog, void *frame, __u32 len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts),
			 0);
	return opts.retval;
}

struct syn_frame {
	struct ether_header eth;
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

/* With no rule set installed, a new TCP flow meets the default deny. */
static void test_xdp_syn_without_rules(void **state)
{
	struct ferry_fw_test *skel = load_test_skel();
	struct syn_frame f;

	memset(&f, 0, sizeof(f));
	f.eth.ether_type = htons(ETHERTYPE_IP);
	f.ip.version = 4;
	f.ip.ihl = 5;
	f.ip.tot_len = htons(sizeof(f.ip) + sizeof(f.tcp));
	f.ip.ttl = 64;
	f.ip.protocol = IPPROTO_TCP;
	f.ip.saddr = htonl(0xc6120001);	/* 198.18.0.1 */
	f.ip.daddr = htonl(0xc6120002);	/* 198.18.0.2 */
	f.tcp.source = htons(40000);
	f.tcp.dest = htons(80);
	f.tcp.seq = htonl(1);
	f.tcp.doff = 5;
	f.tcp.syn = 1;
	f.tcp.window = htons(65535);

	assert_int_equal(run_frame(skel->progs.ferry_xdp, &f, sizeof(f)),
			 XDP_DROP);
	assert_int_equal(reason_packets(skel->maps.ferry_stats,
					FERRY_DROP_NO_RULE), 1);
	ferry_fw_test__destroy(skel);
}

/* ARP is not the firewall's business: it passes, counted as non-IP. */
static void test_tc_arp_passes(void **state)
{
	struct ferry_fw_test *skel = load_test_skel();
	unsigned char frame[42];
	struct ether_header *eth = (struct ether_header *)frame;

	memset(frame, 0, sizeof(frame));
	memset(eth->ether_dhost, 0xff, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_ARP);

	assert_int_equal(run_frame(skel->progs.ferry_tc, frame, sizeof(frame)),
			 TC_ACT_OK);
	assert_int_equal(reason_packets(skel->maps.ferry_stats,
					FERRY_PASS_NON_IP), 1);
	ferry_fw_test__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_datapath),
		cmocka_unit_test(test_xdp_syn_without_rules),
		cmocka_unit_test(test_tc_arp_passes),
	};
	struct missing m = { .used = 0 };
	int fast_path;

	ferry_log_libbpf();
	if (ferry_kfeatures_probe(report, &m, &fast_path)) {
		printf("unsupported: %s\n", m.names);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
