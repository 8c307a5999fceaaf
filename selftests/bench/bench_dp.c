// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Datapath micro-benchmark: the real ferry_fw (kernel clock), unpinned,
 * run with BPF_PROG_TEST_RUN's repeat over one frame per case. Prints
 * "bench: <case> <n> ns/pkt" (the kernel's average per run). Each case
 * first checks that the frame gets the expected reason, every time.
 *
 * policy_eval_<N>rules is the new-flow path up to the verdict: the SYN is
 * checked against N non-matching rules, then matches a deny rule, so no
 * flow is ever inserted and every run is a new flow again. ct_new_flow_v4
 * is the whole new-flow path with the insert, one run per distinct SYN.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "ferry_fw.skel.h"
#include "ctconfig.h"
#include "log.h"
#include "natconfig.h"
#include "numparse.h"
#include "ruleset.h"
#include "pktbuild.h"

struct bench {
	struct ferry_fw *skel;
	int prog_fd;
	int btf_fd;
	__u32 rule_type_id;
};

static __u64 reason_count(struct bench *b, __u32 reason)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct ferry_stat st[ncpu];
	__u64 n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.ferry_stats),
				&reason, st))
		return 0;
	for (c = 0; c < ncpu; c++)
		n += st[c].packets;
	return n;
}

/* Run s repeat times; *ns gets the average. Checks verdict and reason. */
static int run(struct bench *b, const struct pkt_spec *s, __u32 repeat,
	       __u32 reason, __u32 *ns)
{
	__u8 buf[PKT_MAX_LEN];
	struct xdp_md ctx = { .ingress_ifindex = 1 };
	__u64 before = reason_count(b, reason);
	int len;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = buf,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = repeat,
	);

	len = pkt_build(s, buf, sizeof(buf));
	if (len < 0)
		return len;
	ctx.data_end = len;
	opts.data_size_in = len;
	if (bpf_prog_test_run_opts(b->prog_fd, &opts)) {
		pr_warn("bench: test run failed: %s\n", strerror(errno));
		return -errno;
	}
	if (reason_count(b, reason) - before != repeat) {
		pr_warn("bench: %llu of %u runs counted as %s\n",
			(unsigned long long)(reason_count(b, reason) - before),
			repeat, ferry_reason_name(reason));
		return -EPROTO;
	}
	*ns = opts.duration;
	return 0;
}

static int open_bench(struct bench *b)
{
	struct ferry_config cfg;
	struct bpf_map *map;
	struct btf *btf;
	__u32 zero = 0;
	int err;

	b->skel = ferry_fw__open();
	if (!b->skel)
		return -errno;
	bpf_object__for_each_map(map, b->skel->obj)
		bpf_map__set_pin_path(map, NULL);
	err = ferry_fw__load(b->skel);
	if (err)
		return err;
	b->prog_fd = bpf_program__fd(b->skel->progs.ferry_xdp);
	btf = bpf_object__btf(b->skel->obj);
	b->btf_fd = btf__fd(btf);
	b->rule_type_id = btf__find_by_name_kind(btf, "ferry_rule", BTF_KIND_STRUCT);
	ferry_config_defaults(&cfg);
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.ferry_config),
				&zero, &cfg, 0))
		return -errno;
	return 0;
}

static int set_rules(struct bench *b, __u32 nomatch, __u8 last_action)
{
	struct ferry_rule *r = calloc(nomatch + 1, sizeof(*r));
	__u32 i;
	int err;

	if (!r)
		return -ENOMEM;
	for (i = 0; i <= nomatch; i++) {
		r[i].id = i + 1;
		r[i].zone = FERRY_ZONE_ANY;
		r[i].sport_hi = 65535;
		r[i].dport_hi = 65535;
		r[i].action = FERRY_ACT_ALLOW;
		if (i < nomatch)
			r[i].proto = IPPROTO_UDP;	/* never our TCP SYN */
	}
	r[nomatch].action = last_action;
	err = ferry_ruleset_install(bpf_map__fd(b->skel->maps.ferry_rulesets),
				    r, nomatch + 1, b->btf_fd, b->rule_type_id);
	free(r);
	return err;
}

static int handshake(struct bench *b, const struct pkt_spec *c)
{
	struct pkt_spec s = *c;
	__u32 ns;
	int err;

	s.tcp_flags = PKT_TCP_SYN;
	s.seq = 100;
	err = run(b, &s, 1, FERRY_PASS_NEW, &ns);
	if (err)
		return err;
	pkt_reverse(c, &s);
	s.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK;
	s.seq = 900;
	s.ack = 101;
	err = run(b, &s, 1, FERRY_PASS_ESTABLISHED, &ns);
	if (err)
		return err;
	s = *c;
	s.tcp_flags = PKT_TCP_ACK;
	s.seq = 101;
	s.ack = 901;
	return run(b, &s, 1, FERRY_PASS_ESTABLISHED, &ns);
}

static int bench_established(struct bench *b, const char *name,
			     const char *src, const char *dst, __u32 repeat)
{
	struct pkt_spec s = {
		.saddr = src, .daddr = dst, .proto = IPPROTO_TCP,
		.sport = 40000, .dport = 80,
	};
	__u32 ns;
	int err;

	err = set_rules(b, 0, FERRY_ACT_ALLOW);
	if (!err)
		err = handshake(b, &s);
	if (err)
		return err;
	s.tcp_flags = PKT_TCP_ACK | PKT_TCP_PSH;
	s.seq = 101;
	s.ack = 901;
	s.payload_len = 64;
	err = run(b, &s, repeat, FERRY_PASS_ESTABLISHED, &ns);
	if (!err)
		printf("bench: %s %u ns/pkt\n", name, ns);
	return err;
}

static int bench_policy(struct bench *b, __u32 nomatch, __u32 repeat)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_TCP, .sport = 40001, .dport = 80,
		.tcp_flags = PKT_TCP_SYN, .seq = 1,
	};
	__u32 ns;
	int err;

	err = set_rules(b, nomatch, FERRY_ACT_DENY);
	if (!err)
		err = run(b, &s, repeat, FERRY_DROP_RULE, &ns);
	if (!err)
		printf("bench: policy_eval_%urules %u ns/pkt\n", nomatch, ns);
	return err;
}

static int bench_drop(struct bench *b, const char *name, __u8 flags,
		      __u32 nrules, __u32 reason, __u32 repeat)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.3", .daddr = "198.18.0.4",
		.proto = IPPROTO_TCP, .sport = 40002, .dport = 80,
		.tcp_flags = flags, .seq = 1, .ack = 1,
	};
	__u32 ns;
	int err;

	err = set_rules(b, nrules, FERRY_ACT_DENY);
	if (!err)
		err = run(b, &s, repeat, reason, &ns);
	if (!err)
		printf("bench: %s %u ns/pkt\n", name, ns);
	return err;
}

/* An XDP program that only returns XDP_PASS: what a test run costs alone. */
static int baseline_prog(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_baseline", "GPL", insns,
			       2, NULL);

	return fd < 0 ? -errno : fd;
}

/* Kernel time of repeat runs of prog_fd over s, per run. */
static int run_prog(int prog_fd, const struct pkt_spec *s, __u32 repeat,
		    __u32 *ns)
{
	struct xdp_md ctx = { .ingress_ifindex = 1 };
	__u8 buf[PKT_MAX_LEN];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);
	int len = pkt_build(s, buf, sizeof(buf));

	if (len < 0)
		return len;
	ctx.data_end = len;
	opts.data_size_in = len;
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	*ns = opts.duration;
	return 0;
}

/*
 * What BPF_PROG_TEST_RUN itself costs per run, on a frame of the same size:
 * the datapath's own cost is each figure minus this one.
 */
static int bench_baseline(__u32 repeat)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.0.2",
		.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		.tcp_flags = PKT_TCP_ACK,
	};
	int fd = baseline_prog(), err;
	__u32 ns;

	if (fd < 0)
		return fd;
	err = run_prog(fd, &s, repeat, &ns);
	if (!err)
		printf("bench: xdp_testrun_baseline %u ns/pkt\n", ns);
	close(fd);
	return err;
}

/*
 * A new flow end to end: a SYN allowed by the first rule, its entry built
 * and inserted. Every run must be a new flow, so each of n SYNs has its own
 * source port and runs once. A single test run has a fixed cost of its own
 * (timer, context), measured the same way with the empty program and
 * subtracted.
 */
static int bench_new_flows(struct bench *b, __u32 n)
{
	struct pkt_spec s = {
		.saddr = "198.18.1.1", .daddr = "198.18.1.2",
		.proto = IPPROTO_TCP, .dport = 80,
		.tcp_flags = PKT_TCP_SYN, .seq = 1000,
	};
	__u64 total = 0, base = 0;
	int fd, err;
	__u32 i, ns;

	fd = baseline_prog();
	if (fd < 0)
		return fd;
	err = set_rules(b, 0, FERRY_ACT_ALLOW);
	for (i = 0; !err && i < n; i++) {
		s.sport = 1024 + i;
		err = run(b, &s, 1, FERRY_PASS_NEW, &ns);
		total += ns;
		if (!err)
			err = run_prog(fd, &s, 1, &ns);
		base += ns;
	}
	close(fd);
	if (!err)
		printf("bench: ct_new_flow_v4 %lld ns/pkt\n",
		       (long long)(total - base) / n);
	return err;
}

/* --- NAT --- */

static int map_fd(struct bench *b, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(b->skel->obj, name));
}

static void clear_map(int fd, size_t key_size)
{
	__u8 k[128];

	while (key_size <= sizeof(k) && !bpf_map_get_next_key(fd, NULL, k))
		bpf_map_delete_elem(fd, k);
}

static void nat_reset(struct bench *b)
{
	clear_map(bpf_map__fd(b->skel->maps.ferry_ct), sizeof(struct ferry_flow_key));
	clear_map(map_fd(b, "ferry_nat_rev"), sizeof(struct ferry_flow_key));
	clear_map(map_fd(b, "ferry_nat_pools"), sizeof(struct ferry_nat_pool_key));
	clear_map(map_fd(b, "ferry_nat_fwds"), sizeof(struct ferry_nat_fwd_key));
}

static int nat_pool(struct bench *b, const char *spec)
{
	struct ferry_nat_pool_entry e;
	char err[FERRY_NAT_ERR_MAX];

	if (ferry_nat_parse_snat(spec, &e, err, sizeof(err))) {
		pr_warn("bench: %s\n", err);
		return -EINVAL;
	}
	return ferry_nat_pool_write(map_fd(b, "ferry_nat_pools"), &e);
}

static int nat_fwd(struct bench *b, const char *spec)
{
	struct ferry_nat_fwd_entry e;
	char err[FERRY_NAT_ERR_MAX];

	if (ferry_nat_parse_dnat(spec, &e, err, sizeof(err))) {
		pr_warn("bench: %s\n", err);
		return -EINVAL;
	}
	return ferry_nat_fwd_write(map_fd(b, "ferry_nat_fwds"), &e);
}

/*
 * An established TCP connection client -> dst translated to xsrc -> xdst
 * (ports kept: the pool's range holds 40000). The test run's frame is
 * rewritten in place, so the repeats alternate between the two sides of
 * the translation: each one is a lookup, a state update and a rewrite.
 */
static int bench_nat_established(struct bench *b, const char *name,
				 const char *client, const char *dst,
				 const char *xsrc, const char *xdst,
				 __u16 xdport, __u32 repeat)
{
	struct pkt_spec s = {
		.saddr = client, .daddr = dst, .proto = IPPROTO_TCP,
		.sport = 40000, .dport = 80, .tcp_flags = PKT_TCP_SYN, .seq = 100,
	};
	struct pkt_spec r = {
		.saddr = xdst, .daddr = xsrc, .proto = IPPROTO_TCP,
		.sport = xdport, .dport = 40000,
		.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK, .seq = 900, .ack = 101,
	};
	__u32 ns;
	int err;

	err = run(b, &s, 1, FERRY_PASS_NEW, &ns);
	if (!err)
		err = run(b, &r, 1, FERRY_PASS_ESTABLISHED, &ns);
	s.tcp_flags = PKT_TCP_ACK;
	s.seq = 101;
	s.ack = 901;
	if (!err)
		err = run(b, &s, 1, FERRY_PASS_ESTABLISHED, &ns);
	s.tcp_flags = PKT_TCP_ACK | PKT_TCP_PSH;
	s.payload_len = 64;
	if (!err)
		err = run(b, &s, repeat, FERRY_PASS_ESTABLISHED, &ns);
	if (!err)
		printf("bench: %s %u ns/pkt\n", name, ns);
	return err;
}

static int bench_nat_est_all(struct bench *b, __u32 repeat)
{
	int err;

	nat_reset(b);
	err = set_rules(b, 0, FERRY_ACT_ALLOW) ?:
	      nat_pool(b, "0:198.18.5.100:1024-65535") ?:
	      nat_pool(b, "0:[2001:db8:5::100]:1024-65535") ?:
	      bench_nat_established(b, "nat_snat_established_v4", "198.18.0.1",
				    "198.18.1.2", "198.18.5.100", "198.18.1.2",
				    80, repeat) ?:
	      bench_nat_established(b, "nat_snat_established_v6", "2001:db8::1",
				    "2001:db8:1::2", "2001:db8:5::100",
				    "2001:db8:1::2", 80, repeat);
	if (err)
		return err;
	nat_reset(b);
	return nat_fwd(b, "0:tcp:198.18.6.50:80=198.18.1.2:8080") ?:
	       nat_fwd(b, "0:tcp:[2001:db8:6::50]:80=[2001:db8:1::2]:8080") ?:
	       bench_nat_established(b, "nat_dnat_established_v4", "198.18.0.1",
				     "198.18.6.50", "198.18.0.1", "198.18.1.2",
				     8080, repeat) ?:
	       bench_nat_established(b, "nat_dnat_established_v6", "2001:db8::1",
				     "2001:db8:6::50", "2001:db8::1",
				     "2001:db8:1::2", 8080, repeat);
}

#define NAT_POOL_PORTS	10000
#define NAT_NEW_FLOWS	200

/* Claim pct% of the pool's ports towards 198.18.1.2:80, in random order. */
static int nat_fill(struct bench *b, __u32 pct)
{
	int fd = map_fd(b, "ferry_nat_rev");
	struct ferry_flow_key k = { .proto = IPPROTO_TCP, .family = FERRY_AF_INET };
	struct ferry_flow_key rk, dummy = {};
	struct ferry_flow f = {};
	__u32 i, n = NAT_POOL_PORTS * pct / 100, seed = 12345, port;

	f.nat.kind = FERRY_NAT_SNAT;
	inet_pton(AF_INET, "198.18.5.100", f.nat.saddr);
	inet_pton(AF_INET, "198.18.1.2", f.nat.daddr);
	f.nat.dport = htons(80);
	for (i = 0; i < n;) {
		seed = seed * 1103515245 + 12345;
		port = 20000 + (seed >> 8) % NAT_POOL_PORTS;
		f.nat.sport = htons(port);
		ferry_nat_xlat_key(&k, &f, &rk);
		if (!bpf_map_update_elem(fd, &rk, &dummy, BPF_NOEXIST))
			i++;
		else if (errno != EEXIST)
			return -errno;
	}
	return 0;
}

/*
 * New SNAT flows with the pool pct% taken: each SYN (source port outside
 * the pool's range, so the search starts at a hash) runs once, minus the
 * empty program's single run. A pool whose FERRY_NAT_TRIES probes all hit
 * taken ports refuses the flow: counted and reported too.
 */
static int bench_nat_new(struct bench *b, __u32 pct)
{
	struct pkt_spec s = {
		.saddr = "198.18.0.1", .daddr = "198.18.1.2",
		.proto = IPPROTO_TCP, .dport = 80,
		.tcp_flags = PKT_TCP_SYN, .seq = 1000,
	};
	__u64 total = 0, base = 0, refused;
	__u64 before = reason_count(b, FERRY_DROP_NAT_EXHAUSTED);
	__u8 buf[PKT_MAX_LEN];
	struct xdp_md ctx = { .ingress_ifindex = 1 };
	int fd, err, len;
	__u32 i, ns;

	nat_reset(b);
	err = set_rules(b, 0, FERRY_ACT_ALLOW) ?:
	      nat_pool(b, "0:198.18.5.100:20000-29999") ?: nat_fill(b, pct);
	if (err)
		return err;
	fd = baseline_prog();
	if (fd < 0)
		return fd;
	for (i = 0; !err && i < NAT_NEW_FLOWS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

		s.sport = 1024 + i;
		len = pkt_build(&s, buf, sizeof(buf));
		ctx.data_end = len;
		opts.data_size_in = len;
		if (bpf_prog_test_run_opts(b->prog_fd, &opts)) {
			err = -errno;
			break;
		}
		total += opts.duration;
		err = run_prog(fd, &s, 1, &ns);
		base += ns;
	}
	close(fd);
	if (err)
		return err;
	refused = reason_count(b, FERRY_DROP_NAT_EXHAUSTED) - before;
	printf("bench: nat_new_flow_pool%u %lld ns/flow\n", pct,
	       (long long)(total - base) / NAT_NEW_FLOWS);
	printf("bench: nat_new_flow_pool%u_refused %llu of %u\n", pct,
	       (unsigned long long)refused, NAT_NEW_FLOWS);
	return 0;
}

int main(int argc, char **argv)
{
	__u32 repeat = 1000000;
	struct bench b = { 0 };
	int err;

	if (argc > 2 || (argc == 2 &&
	    (ferry_parse_u32(argv[1], 1u << 30, &repeat) || !repeat))) {
		fprintf(stderr, "usage: bench_dp [repeat: 1..2^30, default 1000000]\n");
		return 2;
	}
	ferry_log_libbpf();
	err = open_bench(&b);
	if (err) {
		pr_warn("bench: cannot load the datapath: %s\n", strerror(-err));
		goto out;
	}
	err = bench_baseline(repeat);
	if (!err)
		err = bench_established(&b, "ct_established_v4", "198.18.0.1",
					"198.18.0.2", repeat);
	if (!err)
		err = bench_established(&b, "ct_established_v6", "2001:db8::1",
					"2001:db8::2", repeat);
	if (!err)
		err = bench_policy(&b, 100, repeat);
	if (!err)
		err = bench_policy(&b, 1000, repeat / 10 ? repeat / 10 : 1);
	if (!err)
		err = bench_new_flows(&b, 50000);
	if (!err)
		err = bench_drop(&b, "drop_invalid", PKT_TCP_ACK, 0,
				 FERRY_DROP_INVALID, repeat);
	if (!err)
		err = bench_drop(&b, "drop_denied", PKT_TCP_SYN, 0,
				 FERRY_DROP_RULE, repeat);
	if (!err)
		err = bench_nat_est_all(&b, repeat);
	if (!err)
		err = bench_nat_new(&b, 0);
	if (!err)
		err = bench_nat_new(&b, 50);
	if (!err)
		err = bench_nat_new(&b, 95);
out:
	ferry_fw__destroy(b.skel);
	return err ? 1 : 0;
}
