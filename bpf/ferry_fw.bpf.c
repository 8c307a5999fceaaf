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
#include "lib/stats.h"

SEC("xdp")
int ferry_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = data_end - data;
	int reason;

	reason = ferry_firewall(data, data_end, len, ctx->ingress_ifindex);
	ferry_count(reason, len);
	return ferry_is_pass(reason) ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int ferry_tc(struct __sk_buff *skb)
{
	void *data, *data_end;
	int reason;

	/* Headers we parse must be in the linear part. */
	if (skb->data_end - skb->data < 128 && skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < 128 ? skb->len : 128);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	reason = ferry_firewall(data, data_end, skb->len, skb->ifindex);
	ferry_count(reason, skb->len);
	return ferry_is_pass(reason) ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
