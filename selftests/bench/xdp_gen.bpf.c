// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The benchmark's traffic generator: run by BPF_PROG_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES, it sends the template frame out of the
 * interface given as the run's ingress_ifindex (XDP_TX is turned into a
 * redirect to that device).
 *
 * Live frames reuse their pages, and anything that handles the frame after
 * us may have rewritten it in place (forwarding rewrites the MACs and
 * decrements the TTL). So every run writes the whole header again from the
 * template instead of trusting what the page holds.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define GEN_HDR_LEN	(sizeof(struct ethhdr) + sizeof(struct iphdr) + \
			 sizeof(struct udphdr))

/*
 * Set by userspace before load. The header is a plain global, not const
 * volatile: copied with memcpy, a const array would be folded into its
 * initial zeros by the compiler.
 */
__u8 gen_hdr[GEN_HDR_LEN];			/* Ethernet + IPv4 + UDP */
const volatile __u32 gen_flows = 1;		/* source ports to cycle */
const volatile __u16 gen_sport = 1024;		/* first source port */

/* Frames this program handed back, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} gen_sent SEC(".maps");

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + sizeof(struct ethhdr) + sizeof(struct iphdr);
	__u32 zero = 0;
	__u64 *n;

	if (data + GEN_HDR_LEN > data_end)
		return XDP_ABORTED;
	n = bpf_map_lookup_elem(&gen_sent, &zero);
	if (!n)
		return XDP_ABORTED;
	__builtin_memcpy(data, gen_hdr, GEN_HDR_LEN);
	udp->source = bpf_htons(gen_sport + (__u16)(*n % gen_flows));
	*n += 1;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
