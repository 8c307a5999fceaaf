// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Counting points of the benchmark: xdp_count_drop is the sink on the
 * destination (count, then drop: nothing above XDP costs time there);
 * xdp_count_pass counts what a forwarder receives and hands it to the
 * stack. A veth only receives redirected (live) frames when an XDP program
 * is attached to it, which xdp_count_pass also provides.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct count {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct count);
	__uint(max_entries, 1);
} counter SEC(".maps");

static __always_inline void count(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct count *c = bpf_map_lookup_elem(&counter, &zero);

	if (!c)
		return;
	c->packets++;
	c->bytes += ctx->data_end - ctx->data;
}

SEC("xdp")
int xdp_count_drop(struct xdp_md *ctx)
{
	count(ctx);
	return XDP_DROP;
}

SEC("xdp")
int xdp_count_pass(struct xdp_md *ctx)
{
	count(ctx);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
