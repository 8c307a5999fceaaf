// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "log.h"
#include "dt_ferry.h"
#include "ferry_fw_test.skel.h"

int dt_ferry_open(struct dpt *d, const struct ferry_rule *rules, __u32 n)
{
	int err;

	err = dpt_open(d, 0);
	if (err)
		return err;
	err = dpt_set_rules(d, rules, n);
	if (err) {
		pr_warn("cannot install the rules: %s\n", strerror(-err));
		dpt_close(d);
	}
	return err;
}

int dt_ferry_run(struct dpt *d, const __u8 *frame, int len, __u64 step_ns)
{
	int ret;

	dpt_advance(d, step_ns);
	ret = dpt_run_xdp(d, frame, len, d->ifindex, NULL);
	if (ret < 0)
		return ret;
	if (ret != XDP_PASS && ret != XDP_DROP) {
		pr_warn("ferry_xdp returned %d\n", ret);
		return -EPROTO;
	}
	return ret == XDP_PASS;
}

int dt_ferry_state(struct dpt *d, int family, __u8 proto,
		   const __u8 *a, __u16 ap, const __u8 *b, __u16 bp)
{
	char sa[INET6_ADDRSTRLEN], sb[INET6_ADDRSTRLEN];
	struct pkt_spec s = { .saddr = sa, .daddr = sb, .proto = proto,
			      .sport = ap, .dport = bp, .icmp_id = ap };
	struct ferry_flow f;
	int err;

	if (!inet_ntop(family, a, sa, sizeof(sa)) ||
	    !inet_ntop(family, b, sb, sizeof(sb)))
		return -EINVAL;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		s.icmp_type = family == AF_INET ? 8 : 128;	/* echo request */
	err = dpt_flow(d, FERRY_ZONE_DEFAULT, &s, &f, NULL);
	if (err)
		return err == -ENOENT ? FERRY_CT_NONE : err;
	if (dpt_now(d) > f.expires_ns)
		return FERRY_CT_NONE;
	return f.state;
}

int dt_ferry_flush(struct dpt *d)
{
	int fd = bpf_map__fd(d->skel->maps.ferry_ct);
	struct ferry_flow_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		if (bpf_map_delete_elem(fd, &k))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}
