// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "log.h"
#include "ctconfig.h"
#include "ruleset.h"
#include "ferry_fw_test.skel.h"
#include "dt_ferry.h"

static void unpin_all(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
}

int dt_ferry_open(struct dt_ferry *fe, const struct ferry_rule *rules, __u32 n)
{
	struct ferry_config cfg;
	__u32 zero = 0;
	int err;

	memset(fe, 0, sizeof(*fe));
	fe->skel = ferry_fw_test__open();
	if (!fe->skel) {
		err = -errno;
		pr_warn("cannot open the ferry_fw_test skeleton: %s\n",
			strerror(-err));
		return err;
	}
	unpin_all(fe->skel->obj);
	err = ferry_fw_test__load(fe->skel);
	if (err) {
		pr_warn("cannot load the datapath: %s\n", strerror(-err));
		goto out_destroy;
	}
	ferry_config_defaults(&cfg);
	err = bpf_map_update_elem(bpf_map__fd(fe->skel->maps.ferry_config),
				  &zero, &cfg, 0);
	if (err) {
		err = -errno;
		pr_warn("cannot write the config map: %s\n", strerror(-err));
		goto out_destroy;
	}
	err = ferry_ruleset_install(bpf_map__fd(fe->skel->maps.ferry_rulesets),
				    rules, n, 0, 0);
	if (err)
		goto out_destroy;
	fe->skel->bss->ferry_fake_now_ns = 1000000000ull;
	fe->prog_fd = bpf_program__fd(fe->skel->progs.ferry_xdp);
	fe->ct_fd = bpf_map__fd(fe->skel->maps.ferry_ct);
	return 0;

out_destroy:
	ferry_fw_test__destroy(fe->skel);
	fe->skel = NULL;
	return err;
}

void dt_ferry_close(struct dt_ferry *fe)
{
	ferry_fw_test__destroy(fe->skel);
	fe->skel = NULL;
}

int dt_ferry_run(struct dt_ferry *fe, const __u8 *frame, int len,
		 __u64 step_ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = 1);
	int err;

	fe->skel->bss->ferry_fake_now_ns += step_ns;
	err = bpf_prog_test_run_opts(fe->prog_fd, &opts);
	if (err) {
		err = -errno;
		pr_warn("BPF_PROG_TEST_RUN: %s\n", strerror(-err));
		return err;
	}
	if (opts.retval != XDP_PASS && opts.retval != XDP_DROP) {
		pr_warn("ferry_xdp returned %u\n", opts.retval);
		return -EPROTO;
	}
	return opts.retval == XDP_PASS;
}

/* The datapath's canonical key (bpf/lib/ct.h ferry_ct_key): lower
 * endpoint first, addresses as bytes, then the port as a number. */
static void make_key(struct ferry_flow_key *k, int family, __u8 proto,
		     const __u8 *a, __u16 ap, const __u8 *b, __u16 bp)
{
	int c = memcmp(a, b, 16), a_lo = c < 0 || (c == 0 && ap <= bp);

	memset(k, 0, sizeof(*k));
	k->zone = FERRY_ZONE_DEFAULT;
	k->proto = proto;
	k->family = family;
	memcpy(k->addr_lo, a_lo ? a : b, 16);
	memcpy(k->addr_hi, a_lo ? b : a, 16);
	k->port_lo = htons(a_lo ? ap : bp);
	k->port_hi = htons(a_lo ? bp : ap);
}

int dt_ferry_state(struct dt_ferry *fe, int family, __u8 proto,
		   const __u8 *a, __u16 ap, const __u8 *b, __u16 bp)
{
	struct ferry_flow_key k;
	struct ferry_flow f;

	make_key(&k, family, proto, a, ap, b, bp);
	if (bpf_map_lookup_elem(fe->ct_fd, &k, &f))
		return errno == ENOENT ? FERRY_CT_NONE : -errno;
	if (fe->skel->bss->ferry_fake_now_ns > f.expires_ns)
		return FERRY_CT_NONE;
	return f.state;
}

int dt_ferry_flush(struct dt_ferry *fe)
{
	struct ferry_flow_key k;

	while (!bpf_map_get_next_key(fe->ct_fd, NULL, &k))
		if (bpf_map_delete_elem(fe->ct_fd, &k))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}
