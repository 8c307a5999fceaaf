// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Moving state on one host, with real datapath maps: export and import
 * rate for tables of 100k and 1M flows, one after the other and piped (as
 * `ferryctl export | ferryctl import`), exporting one VM's 10k flows from
 * a table of 1M (through the per-VM index, and by a table walk for
 * comparison), the sweep of 1M entries (none expired; all expired), and
 * the peak RSS of a process exporting 1M flows. Exports and imports go
 * the way of ferryctl's (bundles written as the table is read; each
 * bundle installed invisibly as it is read, all committed at the end).
 * Flows are written into the table with batch updates; the bundles go to
 * a byte counter, a buffer or a pipe.
 * Usage: bench_handover [max flows, default 1000000]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "ferry_fw.skel.h"
#include "ctconfig.h"
#include "bundleio.h"
#include "cthandover.h"
#include "ctiter.h"
#include "numparse.h"
#include "ruleset.h"
#include "statecodec.h"
#include "vmindex.h"

#define FILL_BATCH	8192
#define VM_FLOWS	10000
#define ZONE		1

static const __u8 vm_addr[4] = { 198, 18, 200, 1 };

struct dp {
	struct ferry_fw *skel;
	int ct, cfg;
	struct ferry_vm_index ix;
	struct ferry_stateops ops;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_handover: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void dp_open(struct dp *d, __u32 ct_max)
{
	struct bpf_map *map;
	struct ferry_config cfg;
	struct ferry_rule allow = { .id = 1, .zone = FERRY_ZONE_ANY,
				    .action = FERRY_ACT_ALLOW };
	__u32 zero = 0;

	allow.sport_hi = allow.dport_hi = 65535;
	d->skel = ferry_fw__open();
	if (!d->skel)
		die("open", errno);
	bpf_object__for_each_map(map, d->skel->obj)
		bpf_map__set_pin_path(map, NULL);
	bpf_map__set_max_entries(d->skel->maps.ferry_ct, ct_max);
	if (ferry_fw__load(d->skel))
		die("load", errno);
	d->ct = bpf_map__fd(d->skel->maps.ferry_ct);
	d->cfg = bpf_map__fd(d->skel->maps.ferry_config);
	d->ix.index_fd = bpf_map__fd(d->skel->maps.ferry_vm_index);
	d->ix.overflow_fd = bpf_map__fd(d->skel->maps.ferry_vm_overflow);
	ferry_config_defaults(&cfg);
	if (bpf_map_update_elem(d->cfg, &zero, &cfg, 0))
		die("config", errno);
	if (ferry_ruleset_install(bpf_map__fd(d->skel->maps.ferry_rulesets),
				  &allow, 1, 0, 0))
		die("rules", errno);
	if (ferry_stateops_open_obj(&d->ops, d->skel->obj, 0))
		die("state operations", errno);
}

static void dp_close(struct dp *d)
{
	ferry_stateops_close(&d->ops);
	ferry_fw__destroy(d->skel);
}

/* Flow i: TCP between 198.18.x.y:port and 198.19.x.y:443, or of the VM. */
static void make_flow(__u64 i, int of_vm, __u64 now, __u64 remaining_ms,
		      struct ferry_flow_key *k, struct ferry_flow *f)
{
	struct ferry_sc_flow r = {
		.zone = ZONE, .family = FERRY_AF_INET, .proto = IPPROTO_TCP,
		.state = FERRY_TCP_ESTABLISHED,
		.flags = FERRY_FLOW_F_SEEN_REPLY | FERRY_FLOW_F_ASSURED,
		.remaining_ms = remaining_ms, .age_ms = 60000, .idle_ms = 10,
		.packets = { 10, 8 }, .bytes = { 7000, 8800 }, .rule_id = 1,
		.sport = 1024 + i % 60000, .dport = 443,
	};

	r.tcp[0] = (struct ferry_sc_tcp){ 0x10000000u, 0x20000000u, 64240, 0x30000000u, 7, 7 };
	r.tcp[1] = (struct ferry_sc_tcp){ 0x30000000u, 0x10001000u, 65535, 0x10000000u, 7, 7 };
	if (of_vm) {
		memcpy(r.src, vm_addr, 4);
	} else {
		r.src[0] = 198;
		r.src[1] = 18;
		r.src[2] = (i / 60000) >> 8;
		r.src[3] = (i / 60000);
	}
	r.dst[0] = 198;
	r.dst[1] = 19;
	r.dst[2] = i >> 8;
	r.dst[3] = i;
	ferry_sc_flow_to_entry(&r, now, k, f);
}

/* n flows (the first vm of them the VM's) written in batches. */
static void fill(struct dp *d, __u64 n, __u64 vm, __u64 remaining_ms)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	static struct ferry_flow_key keys[FILL_BATCH];
	static struct ferry_flow flows[FILL_BATCH];
	__u64 now = ferry_now_ns(), i = 0;
	__u32 c, count;

	while (i < n) {
		for (c = 0; c < FILL_BATCH && i < n; c++, i++)
			make_flow(i, i < vm, now, remaining_ms, &keys[c], &flows[c]);
		count = c;
		if (bpf_map_update_batch(d->ct, keys, flows, &count, &opts))
			die("fill", errno);
	}
}

static int count_write(void *ctx, const void *buf, size_t len)
{
	*(__u64 *)ctx += len;
	return 0;
}

struct buf {
	__u8 *p;
	size_t len, cap, off;
};

static int buf_write(void *ctx, const void *p, size_t len)
{
	struct buf *b = ctx;

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			return -ENOMEM;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

static ssize_t buf_read(void *ctx, void *p, size_t len)
{
	struct buf *b = ctx;

	if (len > b->len - b->off)
		len = b->len - b->off;
	memcpy(p, b->p + b->off, len);
	b->off += len;
	return len;
}

/* As `ferryctl export`: the selection as bundles, written as it is read.
 * The time of the whole export; *flows its size. */
static __u64 export(struct dp *d, const struct ferry_export_sel *sel,
		    ferry_sc_write_fn w, void *ctx, __u64 *flows)
{
	struct ferry_sc_enc_opts o = { .host = "bench", .write = w, .ctx = ctx };
	char err[FERRY_SC_ERR_MAX];
	__u64 t = ferry_now_ns();

	if (ferry_export_bundles(&d->ops, sel, t, &o, 0, flows, err, sizeof(err)))
		die(err, EINVAL);
	return ferry_now_ns() - t;
}

/* As `ferryctl import`: the bundles read by rd from rctx, each installed
 * as it comes, all committed at the end. The time taken. */
static __u64 import_from(struct dp *d, ferry_sc_read_fn rd, void *rctx, __u64 expect)
{
	struct ferry_rule allow = { .id = 1, .zone = FERRY_ZONE_ANY,
				    .action = FERRY_ACT_ALLOW };
	struct ferry_import_opts o = { .rules = &allow, .nrules = 1 };
	struct ferry_sc_array a = { .cap = d->ops.ct_max };
	struct ferry_import_report rep;
	char err[512];
	__u64 t = ferry_now_ns();
	int ret;

	allow.sport_hi = allow.dport_hi = 65535;
	a.keys = calloc(a.cap, sizeof(*a.keys));
	a.flows = calloc(a.cap, sizeof(*a.flows));
	if (!a.keys || !a.flows)
		die("import", ENOMEM);
	ret = ferry_import_bundles(&d->ops, rd, rctx, NULL, &a, &o, &rep, err,
				   sizeof(err));
	if (ret)
		die(err, ret);
	t = ferry_now_ns() - t;
	if (rep.count[FERRY_IMPORT_ACCEPTED] != expect)
		die("import: not every flow accepted", EINVAL);
	free(a.keys);
	free(a.flows);
	return t;
}

static __u64 import(struct dp *d, struct buf *b, __u64 expect)
{
	b->off = 0;
	return import_from(d, buf_read, b, expect);
}

static int fd_write(void *ctx, const void *p, size_t len)
{
	const char *c = p;
	ssize_t w;

	while (len) {
		w = write(*(int *)ctx, c, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		c += w;
		len -= w;
	}
	return 0;
}

static ssize_t fd_read(void *ctx, void *p, size_t len)
{
	ssize_t r;

	do
		r = read(*(int *)ctx, p, len);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/*
 * The same as `ferryctl export | ferryctl import`, on the machine's two
 * cores: a child exports src into a pipe, this process decodes what comes
 * and imports it into dst. The time from the fork to the commit.
 */
static __u64 export_import_piped(struct dp *src, struct dp *dst, __u64 n)
{
	struct ferry_export_sel all = { .all_zones = 1 };
	int p[2], status;
	__u64 t, got;
	pid_t pid;

	if (pipe(p))
		die("pipe", errno);
	ferry_bundle_pipe_grow(p[1]);
	t = ferry_now_ns();
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		close(p[0]);
		export(src, &all, fd_write, &p[1], &got);
		_exit(got == n ? 0 : 1);
	}
	close(p[1]);
	import_from(dst, fd_read, &p[0], n);
	t = ferry_now_ns() - t;
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("piped export", EIO);
	return t;
}

static void rate(const char *name, __u64 n, __u64 ns)
{
	printf("bench: %s %.0f flows/s\n", name, n / (ns / 1e9));
}

static void bench_rates(__u64 n, const char *tag)
{
	struct ferry_export_sel all = { .all_zones = 1 };
	struct buf b = { 0 };
	struct dp src, dst;
	__u64 ns_exp, ns_imp, got;
	char name[64];

	dp_open(&src, n);
	dp_open(&dst, n);
	fill(&src, n, 0, 3600000);
	ns_exp = export(&src, &all, buf_write, &b, &got);
	if (got != n)
		die("export: wrong count", EINVAL);
	ns_imp = import(&dst, &b, n);
	snprintf(name, sizeof(name), "export_%s", tag);
	rate(name, n, ns_exp);
	snprintf(name, sizeof(name), "import_%s", tag);
	rate(name, n, ns_imp);
	printf("bench: export_import_%s_ms %.0f ms\n", tag, (ns_exp + ns_imp) / 1e6);
	free(b.p);
	dp_close(&dst);
	dp_open(&dst, n);
	printf("bench: export_import_%s_piped_ms %.0f ms\n", tag,
	       export_import_piped(&src, &dst, n) / 1e6);
	dp_close(&src);
	dp_close(&dst);
}

static void bench_vm(__u64 n)
{
	struct ferry_export_sel sel = { .n_vms = 1, .vm_zone = { ZONE },
					.vm_family = { FERRY_AF_INET } };
	struct ferry_vm_key vk;
	struct dp d;
	__u64 bytes = 0, got, found, ns_ix, ns_walk;
	__u8 addr[16] = { 0 };

	memcpy(addr, vm_addr, 4);
	memcpy(sel.vm_addr[0], vm_addr, 4);
	dp_open(&d, n + VM_FLOWS);
	ferry_vm_key_make(&vk, ZONE, FERRY_AF_INET, addr);
	if (ferry_vm_index_add(&d.ix, d.ct, d.cfg, &vk, 16384, &found))
		die("vm add", errno);
	fill(&d, n + VM_FLOWS, VM_FLOWS, 3600000);
	/* The datapath notes new flows; a fill from userspace must do it. */
	{
		struct ferry_flow_key k;
		struct ferry_flow f;
		__u64 i, now = ferry_now_ns();

		for (i = 0; i < VM_FLOWS; i++) {
			make_flow(i, 1, now, 3600000, &k, &f);
			ferry_vm_index_note(&d.ix, &k);
		}
	}
	ns_ix = export(&d, &sel, count_write, &bytes, &got);
	if (got != VM_FLOWS)
		die("vm export: wrong count", EINVAL);
	sel.no_index = true;
	ns_walk = export(&d, &sel, count_write, &bytes, &got);
	if (got != VM_FLOWS)
		die("vm export (walk): wrong count", EINVAL);
	printf("bench: export_vm_10k_of_1m_ms %.1f ms\n", ns_ix / 1e6);
	printf("bench: export_vm_10k_of_1m_walk_ms %.1f ms\n", ns_walk / 1e6);
	dp_close(&d);
}

static void bench_sweep(__u64 n)
{
	struct ferry_sweep st;
	struct dp d;
	__u64 t;

	dp_open(&d, n);
	fill(&d, n, 0, 3600000);
	t = ferry_now_ns();
	if (ferry_ct_sweep(&d.ops, ferry_now_ns(), &st) || st.removed)
		die("sweep", EINVAL);
	printf("bench: gc_sweep_1m_none_expired_ms %.0f ms\n", (ferry_now_ns() - t) / 1e6);
	dp_close(&d);

	dp_open(&d, n);
	fill(&d, n, 0, 0);
	usleep(1000);
	t = ferry_now_ns();
	if (ferry_ct_sweep(&d.ops, ferry_now_ns(), &st) || st.removed != n)
		die("sweep", EINVAL);
	printf("bench: gc_sweep_1m_all_expired_ms %.0f ms\n", (ferry_now_ns() - t) / 1e6);
	dp_close(&d);
}

/* Peak RSS of a child that exports (as ferryctl) or not. */
static long child_rss_kb(struct dp *d, int exports)
{
	struct ferry_export_sel all = { .all_zones = 1 };
	struct rusage ru;
	__u64 bytes = 0, got;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (exports)
			export(d, &all, count_write, &bytes, &got);
		_exit(0);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || status)
		die("child", ECHILD);
	return ru.ru_maxrss;
}

static void bench_rss(__u64 n)
{
	struct dp d;
	long base, peak;

	dp_open(&d, n);
	fill(&d, n, 0, 3600000);
	base = child_rss_kb(&d, 0);
	peak = child_rss_kb(&d, 1);
	printf("bench: export_1m_rss_mb %.1f MB\n", (peak - base) / 1024.0);
	dp_close(&d);
}

int main(int argc, char **argv)
{
	__u32 n = 1000000;

	if (argc > 1 && (ferry_parse_u32(argv[1], 1u << 24, &n) || n < 100000)) {
		fprintf(stderr, "usage: bench_handover [flows: 100000..16777216]\n");
		return 2;
	}
	libbpf_set_print(NULL);
	bench_rates(100000, "100k");
	bench_rates(n, "1m");
	bench_vm(n);
	bench_sweep(n);
	bench_rss(n);
	return 0;
}
