// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Ferry's datapath: the stateful firewall attached as XDP (traffic arriving
 * on an interface) or as TC (where XDP cannot serve: egress and locally
 * generated traffic). Both entries share lib/firewall.h.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "lib/firewall.h"
#include "lib/fwd.h"

/* Frames are at most 64 KiB + headers (GSO/GRO, multi-buffer); the bound
 * also lets older verifiers accept the lengths in pointer arithmetic. */
#define FERRY_MAX_FRAME	(256 * 1024)

static __always_inline __u32 ferry_frame_len(__u32 len)
{
	return len > FERRY_MAX_FRAME ? FERRY_MAX_FRAME : len;
}
#include "lib/stats.h"

/*
 * Multi-buffer aware ("xdp.frags"): the headers are in the first buffer,
 * lengths come from the whole frame. On a veth this keeps the peer's TSO
 * and GRO on, which a single-buffer XDP program turns off.
 */
SEC("xdp.frags")
int ferry_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = ferry_frame_len(bpf_xdp_get_buff_len(ctx)), zero = 0;
	struct ferry_pkt pkt = {};
	struct ferry_config *cfg;
	int reason;

	reason = ferry_firewall(data, data_end, len, ctx->ingress_ifindex, &pkt);
	if (pkt.nat && ferry_is_pass(reason) && ferry_nat_xdp(ctx, &pkt))
		reason = FERRY_DROP_MALFORMED;
	ferry_count(reason, len);
	if (!ferry_is_pass(reason))
		return XDP_DROP;
	if (reason != FERRY_PASS_ESTABLISHED)
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&ferry_config, &zero);
	if (!cfg || !(cfg->flags & FERRY_CFG_F_FAST_FORWARD))
		return XDP_PASS;
	return ferry_fast_forward(ctx, &pkt);
}

SEC("tc")
int ferry_tc(struct __sk_buff *skb)
{
	struct ferry_pkt pkt = {};
	void *data, *data_end;
	int reason;
	__u32 len;

	/* Headers we parse must be in the linear part. */
	if (skb->data_end - skb->data < 256 && skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < 256 ? skb->len : 256);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	len = ferry_frame_len(skb->len);
	reason = ferry_firewall(data, data_end, len, skb->ifindex, &pkt);
	if (pkt.nat && ferry_is_pass(reason) && ferry_nat_tc(skb, &pkt))
		reason = FERRY_DROP_MALFORMED;
	ferry_count(reason, len);
	return ferry_is_pass(reason) ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
