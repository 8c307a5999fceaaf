// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferry-pktgen: the benchmark's packet generator and counters.
 *
 *   ferry-pktgen send --iface IF --dst-mac MAC --src A --dst B
 *                [--sport P] [--dport P] [--flows N] [--size BYTES]
 *                [--duration MS] [--batch N] [--rx NAME=PIN]...
 *	Sends UDP/IPv4 frames out of IF at full speed for MS milliseconds with
 *	BPF_PROG_RUN in live-frames mode (xdp_gen.bpf.c). Source ports cycle
 *	over P..P+N-1. For each --rx, the counter pinned at PIN is read
 *	before and after, and what it counted in between is reported, per
 *	second of wall time and per second this thread spent on a CPU.
 *   ferry-pktgen attach --iface IF --mode drop|pass --pin PIN
 *	Attaches a counting XDP program (xdp_count.bpf.c) natively to IF and
 *	pins its counter at PIN.
 *   ferry-pktgen read --pin PIN
 *	Prints the sum over CPUs and entries of a pinned per-CPU array of
 *	{ __u64 packets; __u64 bytes; } (ours, or Ferry's ferry_stats).
 *
 * Run it in the namespace of IF with `nsenter --net=...` (not `ip netns
 * exec`, which hides /sys/fs/bpf).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "xdp_gen.skel.h"
#include "xdp_count.skel.h"

#define MAX_RX		4
#define FRAME_MAX	1514
#define RUN_REPEAT	(1u << 16)

struct counter_val {
	__u64 packets;
	__u64 bytes;
};

struct rx_point {
	const char *name;
	const char *pin;
	struct counter_val before;
};

struct send_opts {
	const char *iface;
	unsigned char dst_mac[ETH_ALEN];
	int have_mac;
	struct in_addr src, dst;
	int have_src, have_dst;
	unsigned int sport, dport, flows, size, batch;
	double duration;
	struct rx_point rx[MAX_RX];
	int nrx;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Nanoseconds this thread has run on a CPU (/proc/thread-self/schedstat,
 * first field), or -1. Without IRQ time accounting this includes the
 * softirq work done in our context: the whole path of our frames.
 */
static double oncpu_s(void)
{
	unsigned long long run;
	FILE *f;
	int n;

	f = fopen("/proc/thread-self/schedstat", "r");
	if (!f)
		return -1;
	n = fscanf(f, "%llu", &run);
	fclose(f);
	return n == 1 ? run / 1e9 : -1;
}

static int parse_uint(const char *what, const char *s, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		pr_warn("%s: '%s' is not a number in 0..%u\n", what, s, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[ETH_ALEN];
	char extra;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &extra) != ETH_ALEN) {
		pr_warn("--dst-mac: '%s' is not a MAC address\n", s);
		return -EINVAL;
	}
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff) {
			pr_warn("--dst-mac: '%s' is not a MAC address\n", s);
			return -EINVAL;
		}
		mac[i] = b[i];
	}
	return 0;
}

static int iface_mac(const char *iface, unsigned char *mac)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		pr_warn("%s: cannot read the MAC address: %s\n", iface,
			strerror(-err));
	} else {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	}
	close(fd);
	return err;
}

static __u16 ip_csum(const void *hdr, size_t len)
{
	const __u16 *p = hdr;
	__u32 sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Ethernet + IPv4 + UDP with a zero payload, size bytes in all. */
static void build_frame(const struct send_opts *o, const unsigned char *src_mac,
			unsigned char *frame)
{
	struct ethhdr *eth = (struct ethhdr *)frame;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	memset(frame, 0, o->size);
	memcpy(eth->h_dest, o->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, src_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(o->size - sizeof(*eth));
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = o->src.s_addr;
	ip->daddr = o->dst.s_addr;
	ip->check = ip_csum(ip, sizeof(*ip));
	udp->source = htons(o->sport);
	udp->dest = htons(o->dport);
	udp->len = htons(o->size - sizeof(*eth) - sizeof(*ip));
	udp->check = 0;	/* optional for IPv4 */
}

static int counter_read(const char *pin, struct counter_val *sum)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	struct counter_val *vals;
	int fd, ncpu, err = 0;
	__u32 key, cpu;

	memset(sum, 0, sizeof(*sum));
	fd = bpf_obj_get(pin);
	if (fd < 0) {
		err = -errno;
		pr_warn("%s: cannot open the pinned counter: %s\n", pin,
			strerror(-err));
		return err;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
		err = -errno;
		goto out_close;
	}
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.value_size != sizeof(struct counter_val)) {
		pr_warn("%s: not a per-CPU array of packet/byte counters\n", pin);
		err = -EINVAL;
		goto out_close;
	}
	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 0) {
		err = ncpu;
		goto out_close;
	}
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals) {
		err = -ENOMEM;
		goto out_close;
	}
	for (key = 0; key < info.max_entries; key++) {
		if (bpf_map_lookup_elem(fd, &key, vals)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < (__u32)ncpu; cpu++) {
			sum->packets += vals[cpu].packets;
			sum->bytes += vals[cpu].bytes;
		}
	}
	free(vals);
out_close:
	close(fd);
	return err;
}

static int rx_arg(struct send_opts *o, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1]) {
		pr_warn("--rx: '%s' is not NAME=PIN\n", arg);
		return -EINVAL;
	}
	if (o->nrx == MAX_RX) {
		pr_warn("--rx: at most %d counters\n", MAX_RX);
		return -E2BIG;
	}
	*eq = '\0';
	o->rx[o->nrx].name = arg;
	o->rx[o->nrx].pin = eq + 1;
	o->nrx++;
	return 0;
}

static int send_parse(int argc, char **argv, struct send_opts *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "sport", required_argument, NULL, 'p' },
		{ "dport", required_argument, NULL, 'P' },
		{ "flows", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 'z' },
		{ "duration", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "rx", required_argument, NULL, 'r' },
		{}
	};
	unsigned int ms;
	int c, err = 0;

	while (!err && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'm': err = parse_mac(optarg, o->dst_mac); o->have_mac = 1; break;
		case 's': o->have_src = inet_pton(AF_INET, optarg, &o->src) == 1;
			  err = o->have_src ? 0 : -EINVAL; break;
		case 'd': o->have_dst = inet_pton(AF_INET, optarg, &o->dst) == 1;
			  err = o->have_dst ? 0 : -EINVAL; break;
		case 'p': err = parse_uint("--sport", optarg, 65535, &o->sport); break;
		case 'P': err = parse_uint("--dport", optarg, 65535, &o->dport); break;
		case 'f': err = parse_uint("--flows", optarg, 65536, &o->flows); break;
		case 'z': err = parse_uint("--size", optarg, FRAME_MAX, &o->size); break;
		case 'b': err = parse_uint("--batch", optarg, 256, &o->batch); break;
		case 't': err = parse_uint("--duration (ms)", optarg, 600000, &ms);
			  o->duration = ms / 1000.0; break;
		case 'r': err = rx_arg(o, optarg); break;
		default: return -EINVAL;
		}
		if (err == -EINVAL && (c == 's' || c == 'd'))
			pr_warn("--%s: '%s' is not an IPv4 address\n",
				c == 's' ? "src" : "dst", optarg);
	}
	if (err)
		return err;
	if (optind != argc) {
		pr_warn("send: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->iface || !o->have_mac || !o->have_src || !o->have_dst) {
		pr_warn("send: --iface, --dst-mac, --src and --dst are required\n");
		return -EINVAL;
	}
	if (o->size < sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr) ||
	    o->size < 60) {
		pr_warn("--size: %u is below the minimum frame of 60 bytes\n", o->size);
		return -EINVAL;
	}
	if (!o->flows || o->sport + o->flows > 65536) {
		pr_warn("--flows: %u source ports from %u do not fit in 1..65535\n",
			o->flows, o->sport);
		return -EINVAL;
	}
	if (!o->batch) {
		pr_warn("--batch: must be 1..256\n");
		return -EINVAL;
	}
	return 0;
}

/* Run the generator until the duration is over; *sent gets the frame count. */
static int send_loop(int prog_fd, const unsigned char *frame,
		     const struct send_opts *o, int ifindex, __u64 *sent,
		     double *secs, double *cpu_secs)
{
	/* The kernel wants data_end to be the frame's size. */
	struct xdp_md ctx_in = { .data_end = o->size, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		    .data_in = frame,
		    .data_size_in = o->size,
		    .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in),
		    .repeat = RUN_REPEAT,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = o->batch);
	double start = now_s(), cpu_start = oncpu_s(), t;

	*sent = 0;
	do {
		if (bpf_prog_test_run_opts(prog_fd, &topts)) {
			pr_warn("BPF_PROG_RUN (live frames): %s\n", strerror(errno));
			return -errno;
		}
		*sent += RUN_REPEAT;
		t = now_s() - start;
	} while (t < o->duration);
	*secs = t;
	*cpu_secs = cpu_start < 0 ? -1 : oncpu_s() - cpu_start;
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	struct send_opts o = { .sport = 1024, .dport = 5201, .flows = 1,
			       .size = 60, .batch = 64, .duration = 3.0 };
	unsigned char frame[FRAME_MAX], src_mac[ETH_ALEN];
	struct xdp_gen *skel;
	struct counter_val after;
	double secs = 0, cpu_secs = -1;
	__u64 sent = 0;
	int ifindex, err, i;

	err = send_parse(argc, argv, &o);
	if (err)
		return err;
	ifindex = if_nametoindex(o.iface);
	if (!ifindex) {
		pr_warn("%s: no such interface\n", o.iface);
		return -ENODEV;
	}
	err = iface_mac(o.iface, src_mac);
	if (err)
		return err;
	build_frame(&o, src_mac, frame);

	skel = xdp_gen__open();
	if (!skel) {
		err = -errno;
		pr_warn("cannot open the generator: %s\n", strerror(-err));
		return err;
	}
	memcpy(skel->bss->gen_hdr, frame, sizeof(skel->bss->gen_hdr));
	skel->rodata->gen_flows = o.flows;
	skel->rodata->gen_sport = o.sport;
	err = xdp_gen__load(skel);
	if (err) {
		pr_warn("cannot load the generator: %s\n", strerror(-err));
		goto out_destroy;
	}
	for (i = 0; i < o.nrx; i++) {
		err = counter_read(o.rx[i].pin, &o.rx[i].before);
		if (err)
			goto out_destroy;
	}
	err = send_loop(bpf_program__fd(skel->progs.xdp_gen), frame, &o,
			ifindex, &sent, &secs, &cpu_secs);
	if (err)
		goto out_destroy;
	/* Let the receivers drain their queues before reading. */
	usleep(100000);
	printf("sent %llu packets in %.3f s: %.0f pps\n",
	       (unsigned long long)sent, secs, sent / secs);
	if (cpu_secs > 0)
		printf("cpu %.3f s on a CPU: %.0f pps per CPU-second\n",
		       cpu_secs, sent / cpu_secs);
	for (i = 0; i < o.nrx; i++) {
		err = counter_read(o.rx[i].pin, &after);
		if (err)
			goto out_destroy;
		after.packets -= o.rx[i].before.packets;
		printf("rx %s %llu packets: %.0f pps, %.0f per CPU-second\n",
		       o.rx[i].name, (unsigned long long)after.packets,
		       after.packets / secs,
		       cpu_secs > 0 ? after.packets / cpu_secs : 0.0);
	}
out_destroy:
	xdp_gen__destroy(skel);
	return err;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pin", required_argument, NULL, 'p' },
		{}
	};
	const char *iface = NULL, *mode = NULL, *pin = NULL;
	struct bpf_program *prog;
	struct xdp_count *skel;
	int ifindex, c, err;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': iface = optarg; break;
		case 'm': mode = optarg; break;
		case 'p': pin = optarg; break;
		default: return -EINVAL;
		}
	}
	if (!iface || !mode || !pin || optind != argc) {
		pr_warn("attach: --iface, --mode and --pin are required, nothing else\n");
		return -EINVAL;
	}
	if (strcmp(mode, "drop") && strcmp(mode, "pass")) {
		pr_warn("--mode: '%s' is neither drop nor pass\n", mode);
		return -EINVAL;
	}
	ifindex = if_nametoindex(iface);
	if (!ifindex) {
		pr_warn("%s: no such interface\n", iface);
		return -ENODEV;
	}
	skel = xdp_count__open_and_load();
	if (!skel) {
		err = -errno;
		pr_warn("cannot load the counter: %s\n", strerror(-err));
		return err;
	}
	prog = strcmp(mode, "drop") ? skel->progs.xdp_count_pass :
				      skel->progs.xdp_count_drop;
	err = bpf_map__pin(skel->maps.counter, pin);
	if (err) {
		pr_warn("%s: cannot pin the counter: %s\n", pin, strerror(-err));
		goto out_destroy;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		pr_warn("%s: cannot attach XDP: %s\n", iface, strerror(-err));
		unlink(pin);
	}
out_destroy:
	/* The attachment and the pin keep program and map alive. */
	xdp_count__destroy(skel);
	return err;
}

static int cmd_read(int argc, char **argv)
{
	struct counter_val v;
	int err;

	if (argc != 3 || strcmp(argv[1], "--pin")) {
		pr_warn("read: usage: read --pin PIN\n");
		return -EINVAL;
	}
	err = counter_read(argv[2], &v);
	if (err)
		return err;
	printf("packets %llu bytes %llu\n", (unsigned long long)v.packets,
	       (unsigned long long)v.bytes);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ferry-pktgen send --iface IF --dst-mac MAC --src A --dst B\n"
		"                    [--sport P] [--dport P] [--flows N] [--size BYTES]\n"
		"                    [--duration MS] [--batch N] [--rx NAME=PIN]...\n"
		"       ferry-pktgen attach --iface IF --mode drop|pass --pin PIN\n"
		"       ferry-pktgen read --pin PIN\n");
}

int main(int argc, char **argv)
{
	int err;

	ferry_log_libbpf();
	if (argc < 2) {
		usage();
		return 2;
	}
	if (!strcmp(argv[1], "send"))
		err = cmd_send(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "attach"))
		err = cmd_attach(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "read"))
		err = cmd_read(argc - 1, argv + 1);
	else {
		pr_warn("unknown command '%s'\n", argv[1]);
		usage();
		return 2;
	}
	return err ? 1 : 0;
}
