// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Does the running kernel have what Ferry's datapath needs, and does the
 * datapath load and run on it? First probes each BPF feature with libbpf's
 * probes and prints one line per feature ("supported: X" or "unsupported:
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
#include "log.h"
#include "ferry_fw.skel.h"
#include "ferry_fw_test.skel.h"

enum probe_kind {
	PROBE_PROG,
	PROBE_MAP,
	PROBE_HELPER,
	PROBE_SPIN_LOCK_HASH,
};

struct feature {
	const char *name;
	const char *since;		/* first Linux release that has it */
	enum probe_kind kind;
	enum bpf_prog_type prog;	/* PROBE_PROG, PROBE_HELPER */
	int id;				/* map type or helper id */
};

static const struct feature features[] = {
	{ "prog_type_xdp", "4.8", PROBE_PROG, BPF_PROG_TYPE_XDP, 0 },
	{ "prog_type_sched_cls", "4.1", PROBE_PROG, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "map_hash", "3.19", PROBE_MAP, 0, BPF_MAP_TYPE_HASH },
	{ "map_percpu_array", "4.6", PROBE_MAP, 0, BPF_MAP_TYPE_PERCPU_ARRAY },
	{ "map_array_of_maps", "4.12", PROBE_MAP, 0, BPF_MAP_TYPE_ARRAY_OF_MAPS },
	{ "map_ringbuf", "5.8", PROBE_MAP, 0, BPF_MAP_TYPE_RINGBUF },
	{ "spin_lock_in_hash_value", "5.1", PROBE_SPIN_LOCK_HASH, 0, 0 },
	{ "helper_spin_lock(sched_cls)", "5.1", PROBE_HELPER,
	  BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_spin_lock },
	{ "helper_ringbuf_reserve(xdp)", "5.8", PROBE_HELPER,
	  BPF_PROG_TYPE_XDP, BPF_FUNC_ringbuf_reserve },
	{ "helper_ktime_get_coarse_ns(xdp)", "5.11", PROBE_HELPER,
	  BPF_PROG_TYPE_XDP, BPF_FUNC_ktime_get_coarse_ns },
	{ "helper_ktime_get_coarse_ns(sched_cls)", "5.11", PROBE_HELPER,
	  BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_ktime_get_coarse_ns },
	{ "helper_loop(xdp)", "5.17", PROBE_HELPER,
	  BPF_PROG_TYPE_XDP, BPF_FUNC_loop },
	{ "helper_loop(sched_cls)", "5.17", PROBE_HELPER,
	  BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_loop },
	{ "helper_skb_pull_data(sched_cls)", "4.9", PROBE_HELPER,
	  BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_skb_pull_data },
};

/*
 * A hash map whose value holds a struct bpf_spin_lock, described by BTF
 * made here: the kernel refuses the map if it cannot lock such values.
 */
static int probe_spin_lock_hash(void)
{
	int int_id, lock_id, val_id, btf_fd, map_fd, ret;
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct btf *btf;

	btf = btf__new_empty();
	if (!btf)
		return -errno;
	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	lock_id = btf__add_struct(btf, "bpf_spin_lock", 4);
	btf__add_field(btf, "val", int_id, 0, 0);
	val_id = btf__add_struct(btf, "val", 8);
	btf__add_field(btf, "lock", lock_id, 0, 0);
	btf__add_field(btf, "cnt", int_id, 32, 0);
	ret = btf__load_into_kernel(btf);
	if (ret) {
		ret = 0;	/* no BTF at all: no spin locks either */
		goto free_btf;
	}
	btf_fd = btf__fd(btf);
	opts.btf_fd = btf_fd;
	opts.btf_key_type_id = int_id;
	opts.btf_value_type_id = val_id;
	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ferry_probe", 4, 8, 1,
				&opts);
	ret = map_fd >= 0;
	if (map_fd >= 0)
		close(map_fd);
free_btf:
	btf__free(btf);
	return ret;
}

/* 1 supported, 0 not, negative errno if the probe itself failed. */
static int probe(const struct feature *f)
{
	switch (f->kind) {
	case PROBE_PROG:
		return libbpf_probe_bpf_prog_type(f->prog, NULL);
	case PROBE_MAP:
		return libbpf_probe_bpf_map_type(f->id, NULL);
	case PROBE_HELPER:
		return libbpf_probe_bpf_helper(f->prog, f->id, NULL);
	case PROBE_SPIN_LOCK_HASH:
		return probe_spin_lock_hash();
	}
	return -EINVAL;
}

/* Print a line per feature; return how many are missing, names in buf. */
static int probe_all(char *missing, size_t len)
{
	size_t i, used = 0;
	int n = 0, ret;

	missing[0] = '\0';
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		ret = probe(&features[i]);
		if (ret == 1) {
			printf("supported: %s (Linux %s)\n", features[i].name,
			       features[i].since);
			continue;
		}
		if (ret < 0)
			printf("probe failed: %s: %s\n", features[i].name,
			       strerror(-ret));
		printf("unsupported: %s (needs Linux %s)\n", features[i].name,
		       features[i].since);
		used += snprintf(missing + used, used < len ? len - used : 0,
				 "%s%s", n ? ", " : "", features[i].name);
		n++;
	}
	return n;
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
	char missing[512];

	ferry_log_libbpf();
	if (probe_all(missing, sizeof(missing))) {
		printf("unsupported: %s\n", missing);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
