// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "ferry_fw_test.skel.h"
#include "ctconfig.h"
#include "log.h"
#include "ruleset.h"
#include "dptest.h"

int dpt_netns_setup(unsigned int n, __u32 *ifindexes)
{
	char cmd[128], name[IFNAMSIZ];
	unsigned int i;

	if (unshare(CLONE_NEWNET)) {
		pr_warn("dptest: cannot create a network namespace: %s\n",
			strerror(errno));
		return -errno;
	}
	if (system("ip link set lo up"))
		return -EIO;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "dpt%u", i);
		/* veth: the dummy driver is not always there */
		snprintf(cmd, sizeof(cmd),
			 "ip link add %s type veth peer name %sp", name, name);
		if (system(cmd)) {
			pr_warn("dptest: '%s' failed\n", cmd);
			return -EIO;
		}
		ifindexes[i] = if_nametoindex(name);
		if (!ifindexes[i])
			return -ENODEV;
	}
	return 0;
}

static void dpt_unpin_all(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
}

static int dpt_find_rule_type(struct dpt *d)
{
	struct btf *btf = bpf_object__btf(d->skel->obj);
	int id;

	if (!btf) {
		pr_warn("dptest: the datapath object has no BTF\n");
		return -ENOENT;
	}
	id = btf__find_by_name_kind(btf, "ferry_rule", BTF_KIND_STRUCT);
	if (id < 0) {
		pr_warn("dptest: no struct ferry_rule in the object's BTF\n");
		return id;
	}
	d->btf_fd = btf__fd(btf);
	d->rule_type_id = id;
	return 0;
}

int dpt_open(struct dpt *d, __u32 ct_max)
{
	struct ferry_config cfg;
	int err;

	memset(d, 0, sizeof(*d));
	d->ifindex = 1;
	ferry_log_libbpf();
	d->skel = ferry_fw_test__open();
	if (!d->skel) {
		err = -errno;
		pr_warn("dptest: cannot open the datapath: %s\n", strerror(-err));
		return err;
	}
	dpt_unpin_all(d->skel->obj);
	if (ct_max) {
		err = bpf_map__set_max_entries(d->skel->maps.ferry_ct, ct_max);
		if (err)
			goto out_destroy;
	}
	err = ferry_fw_test__load(d->skel);
	if (err) {
		pr_warn("dptest: cannot load the datapath: %s\n", strerror(-err));
		goto out_destroy;
	}
	d->xdp_fd = bpf_program__fd(d->skel->progs.ferry_xdp);
	d->tc_fd = bpf_program__fd(d->skel->progs.ferry_tc);
	d->rulesets_fd = bpf_map__fd(d->skel->maps.ferry_rulesets);
	err = dpt_find_rule_type(d);
	if (err)
		goto out_destroy;
	ferry_config_defaults(&cfg);
	err = dpt_config_write(d, &cfg);
	if (err)
		goto out_destroy;
	dpt_set_now(d, DPT_T0);
	return 0;

out_destroy:
	ferry_fw_test__destroy(d->skel);
	d->skel = NULL;
	return err;
}

void dpt_close(struct dpt *d)
{
	ferry_fw_test__destroy(d->skel);
	d->skel = NULL;
}

int dpt_config_write(struct dpt *d, const struct ferry_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(d->skel->maps.ferry_config),
				&zero, cfg, 0)) {
		pr_warn("dptest: cannot write the config: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int dpt_config_read(struct dpt *d, struct ferry_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.ferry_config),
				&zero, cfg))
		return -errno;
	return 0;
}

int dpt_set_zone(struct dpt *d, __u32 ifindex, __u16 vlan, __u32 zone)
{
	int err = ferry_zone_set(bpf_map__fd(d->skel->maps.ferry_ifzones),
				 bpf_map__fd(d->skel->maps.ferry_config),
				 ifindex, vlan, zone);

	if (err)
		pr_warn("dptest: cannot set a zone: %s\n", strerror(-err));
	return err;
}

int dpt_set_rules(struct dpt *d, const struct ferry_rule *rules, __u32 n)
{
	return ferry_ruleset_install(d->rulesets_fd, rules, n, d->btf_fd,
				     d->rule_type_id);
}

void dpt_set_now(struct dpt *d, __u64 ns)
{
	d->skel->bss->ferry_fake_now_ns = ns;
}

void dpt_advance(struct dpt *d, __u64 ns)
{
	d->skel->bss->ferry_fake_now_ns += ns;
}

__u64 dpt_now(struct dpt *d)
{
	return d->skel->bss->ferry_fake_now_ns;
}

int dpt_reason_counts(struct dpt *d, __u64 out[FERRY_REASON_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd, c;
	struct ferry_stat *st;
	__u32 r;

	if (ncpu < 0)
		return ncpu;
	st = calloc(ncpu, sizeof(*st));
	if (!st)
		return -ENOMEM;
	fd = bpf_map__fd(d->skel->maps.ferry_stats);
	for (r = 0; r < FERRY_REASON_MAX; r++) {
		out[r] = 0;
		if (bpf_map_lookup_elem(fd, &r, st)) {
			free(st);
			return -errno;
		}
		for (c = 0; c < ncpu; c++)
			out[r] += st[c].packets;
	}
	free(st);
	return 0;
}

__u64 dpt_reason_count(struct dpt *d, int reason)
{
	__u64 n[FERRY_REASON_MAX];

	if (reason < 0 || reason >= FERRY_REASON_MAX ||
	    dpt_reason_counts(d, n))
		return (__u64)-1;
	return n[reason];
}

/* The one reason whose counter went up by one between before and after. */
static int dpt_moved_reason(const __u64 *before, const __u64 *after)
{
	int r, found = DPT_NO_REASON;

	for (r = 0; r < FERRY_REASON_MAX; r++) {
		if (after[r] == before[r])
			continue;
		if (after[r] != before[r] + 1 || found != DPT_NO_REASON)
			return DPT_NO_REASON;
		found = r;
	}
	return found;
}

static int dpt_run(struct dpt *d, int prog_fd, struct bpf_test_run_opts *opts,
		   int *reason)
{
	__u64 before[FERRY_REASON_MAX], after[FERRY_REASON_MAX];
	int err;

	err = dpt_reason_counts(d, before);
	if (err)
		return err;
	if (bpf_prog_test_run_opts(prog_fd, opts)) {
		err = -errno;
		pr_warn("dptest: test run failed: %s\n", strerror(-err));
		return err;
	}
	err = dpt_reason_counts(d, after);
	if (err)
		return err;
	if (reason)
		*reason = dpt_moved_reason(before, after);
	return opts->retval;
}

/*
 * The kernel refuses test frames of less than an Ethernet header. A shorter
 * one is sent as the linear part of a longer buffer whose rest (zeros)
 * goes to a fragment the program does not see (ctx.data_end < data_size_in).
 */
int dpt_run_xdp(struct dpt *d, const void *frame, size_t len, __u32 ifindex,
		int *reason)
{
	__u8 buf[PKT_MAX_LEN] = { 0 };
	struct xdp_md ctx = { .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = buf,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);

	if (len > PKT_MAX_LEN)
		return -E2BIG;
	memcpy(buf, frame, len);
	ctx.data_end = len;
	opts.data_size_in = len < 14 ? 14 : len;
	return dpt_run(d, d->xdp_fd, &opts, reason);
}

int dpt_run_tc(struct dpt *d, const void *frame, size_t len, __u32 ifindex,
	       int *reason)
{
	struct __sk_buff ctx = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = len,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);

	return dpt_run(d, d->tc_fd, &opts, reason);
}

int dpt_run_out(struct dpt *d, int tc, const void *frame, size_t len,
		__u32 ifindex, void *out, size_t *out_len, int *reason)
{
	struct __sk_buff skb = { .ifindex = ifindex };
	struct xdp_md xdp = { .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = *out_len,
		.repeat = 1,
	);
	int ret;

	if (tc) {
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	} else {
		xdp.data_end = len;
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
	}
	ret = dpt_run(d, tc ? d->tc_fd : d->xdp_fd, &opts, reason);
	*out_len = opts.data_size_out;
	return ret;
}

int dpt_send_on(struct dpt *d, const struct pkt_spec *s, __u32 ifindex,
		int *reason)
{
	__u8 buf[PKT_MAX_LEN];
	int len;

	len = pkt_build(s, buf, sizeof(buf));
	if (len < 0)
		return len;
	return dpt_run_xdp(d, buf, len, ifindex, reason);
}

int dpt_send(struct dpt *d, const struct pkt_spec *s, int *reason)
{
	return dpt_send_on(d, s, d->ifindex, reason);
}

/* Ports of the tuple as the datapath sees them (network order). */
static void dpt_ports(const struct pkt_spec *s, __be16 *sport, __be16 *dport)
{
	switch (s->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		*sport = htons(s->sport);
		*dport = htons(s->dport);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:	/* queries: the identifier, both ways */
		*sport = htons(s->icmp_id);
		*dport = htons(s->icmp_id);
		break;
	default:
		*sport = 0;
		*dport = 0;
	}
}

void dpt_flow_key(__u32 zone, const struct pkt_spec *s,
		  struct ferry_flow_key *k, int *src_lo)
{
	__u8 src[16], dst[16];
	__be16 sport, dport;
	int family, cmp, lo;

	family = pkt_parse_addr(s->saddr, src);
	pkt_parse_addr(s->daddr, dst);
	dpt_ports(s, &sport, &dport);
	/* Address bytes, then the port as a number (ct.h's order). */
	cmp = memcmp(src, dst, 16);
	lo = cmp < 0 || (cmp == 0 && ntohs(sport) <= ntohs(dport));

	memset(k, 0, sizeof(*k));
	k->zone = zone;
	k->proto = s->proto;
	k->family = family == AF_INET ? FERRY_AF_INET : FERRY_AF_INET6;
	memcpy(k->addr_lo, lo ? src : dst, 16);
	memcpy(k->addr_hi, lo ? dst : src, 16);
	k->port_lo = lo ? sport : dport;
	k->port_hi = lo ? dport : sport;
	if (src_lo)
		*src_lo = lo;
}

int dpt_flow(struct dpt *d, __u32 zone, const struct pkt_spec *s,
	     struct ferry_flow *f, int *src_lo)
{
	struct ferry_flow_key k;

	dpt_flow_key(zone, s, &k, src_lo);
	if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.ferry_ct), &k, f))
		return -errno;
	return 0;
}

int dpt_flow_delete(struct dpt *d, __u32 zone, const struct pkt_spec *s)
{
	struct ferry_flow_key k;

	dpt_flow_key(zone, s, &k, NULL);
	if (bpf_map_delete_elem(bpf_map__fd(d->skel->maps.ferry_ct), &k))
		return -errno;
	return 0;
}

int dpt_flow_count(struct dpt *d)
{
	int fd = bpf_map__fd(d->skel->maps.ferry_ct), n = 0;
	struct ferry_flow_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

int dpt_flow_flush(struct dpt *d)
{
	int fd = bpf_map__fd(d->skel->maps.ferry_ct);
	struct ferry_flow_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		if (bpf_map_delete_elem(fd, &k))
			return -errno;
	return 0;
}

void dpt_rule_init(struct ferry_rule *r, __u32 id, __u8 action)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->zone = FERRY_ZONE_ANY;
	r->sport_hi = 65535;
	r->dport_hi = 65535;
	r->action = action;
}

int dpt_rule_prefix(struct ferry_rule *r, int is_src, const char *cidr)
{
	char text[INET6_ADDRSTRLEN + 8], *slash;
	__u32 *net = is_src ? r->src : r->dst;
	__u32 *mask = is_src ? r->src_mask : r->dst_mask;
	__u8 addr[16], m[16] = { 0 };
	int family, plen, i;

	snprintf(text, sizeof(text), "%s", cidr);
	slash = strchr(text, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	plen = atoi(slash + 1);
	family = pkt_parse_addr(text, addr);
	if (family < 0 || plen < 0 || plen > (family == AF_INET ? 32 : 128))
		return -EINVAL;
	for (i = 0; i < plen; i++)
		m[i / 8] |= 0x80 >> (i % 8);
	for (i = 0; i < 16; i++)
		addr[i] &= m[i];
	memcpy(net, addr, 16);
	memcpy(mask, m, 16);
	r->family = family == AF_INET ? FERRY_AF_INET : FERRY_AF_INET6;
	return 0;
}

int dpt_allow_all(struct dpt *d)
{
	struct ferry_rule r;

	dpt_rule_init(&r, 1, FERRY_ACT_ALLOW);
	return dpt_set_rules(d, &r, 1);
}

struct pkt_spec dpt_seg(const struct pkt_spec *c2s, int reply, __u8 flags,
			__u32 seq, __u32 ack, size_t len)
{
	struct pkt_spec s;

	if (reply)
		pkt_reverse(c2s, &s);
	else
		s = *c2s;
	s.tcp_flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.payload = NULL;
	s.payload_len = len;
	return s;
}

int dpt_handshake(struct dpt *d, const struct pkt_spec *c2s, __u32 cseq,
		  __u32 sseq)
{
	static const int want[3] = {
		FERRY_PASS_NEW, FERRY_PASS_ESTABLISHED, FERRY_PASS_ESTABLISHED,
	};
	struct pkt_spec s[3];
	int i, reason, ret;

	s[0] = dpt_seg(c2s, 0, PKT_TCP_SYN, cseq, 0, 0);
	s[1] = dpt_seg(c2s, 1, PKT_TCP_SYN | PKT_TCP_ACK, sseq, cseq + 1, 0);
	s[2] = dpt_seg(c2s, 0, PKT_TCP_ACK, cseq + 1, sseq + 1, 0);
	for (i = 0; i < 3; i++) {
		ret = dpt_send(d, &s[i], &reason);
		if (ret != XDP_PASS || reason != want[i]) {
			pr_warn("dptest: handshake packet %d: verdict %d, reason %s\n",
				i, ret, ferry_reason_name(reason));
			return -EPROTO;
		}
	}
	return 0;
}

static struct dpt dpt_fixture;

int dpt_setup_norules(void **state)
{
	if (dpt_open(&dpt_fixture, 0))
		return -1;
	*state = &dpt_fixture;
	return 0;
}

int dpt_setup(void **state)
{
	if (dpt_setup_norules(state))
		return -1;
	if (dpt_allow_all(&dpt_fixture)) {
		dpt_close(&dpt_fixture);
		return -1;
	}
	return 0;
}

int dpt_teardown(void **state)
{
	dpt_close(*state);
	return 0;
}
