// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <bpf/bpf.h>
#include "ctconfig.h"

#define SEC_NS(s)	((__u64)(s) * 1000000000ull)

static const char *const state_names[FERRY_CT_STATE_MAX] = {
	[FERRY_CT_NONE] = "NONE",
	[FERRY_TCP_SYN_SENT] = "SYN_SENT",
	[FERRY_TCP_SYN_RECV] = "SYN_RECV",
	[FERRY_TCP_ESTABLISHED] = "ESTABLISHED",
	[FERRY_TCP_FIN_WAIT] = "FIN_WAIT",
	[FERRY_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[FERRY_TCP_LAST_ACK] = "LAST_ACK",
	[FERRY_TCP_TIME_WAIT] = "TIME_WAIT",
	[FERRY_TCP_CLOSE] = "CLOSE",
	[FERRY_TCP_SYN_SENT2] = "SYN_SENT2",
	[FERRY_UDP_UNREPLIED] = "UDP_UNREPLIED",
	[FERRY_UDP_REPLIED] = "UDP_REPLIED",
	[FERRY_ICMP_UNREPLIED] = "ICMP_UNREPLIED",
	[FERRY_ICMP_REPLIED] = "ICMP_REPLIED",
	[FERRY_OTHER_UNREPLIED] = "OTHER_UNREPLIED",
	[FERRY_OTHER_REPLIED] = "OTHER_REPLIED",
};

static const char *const reason_names[FERRY_REASON_MAX] = {
	[FERRY_PASS_ESTABLISHED] = "pass-established",
	[FERRY_PASS_NEW] = "pass-new",
	[FERRY_PASS_RELATED] = "pass-related",
	[FERRY_PASS_NON_IP] = "pass-non-ip",
	[FERRY_PASS_NDP] = "pass-ndp",
	[FERRY_DROP_NO_RULE] = "drop-no-rule",
	[FERRY_DROP_RULE] = "drop-rule",
	[FERRY_DROP_INVALID] = "drop-invalid",
	[FERRY_DROP_OUT_OF_WINDOW] = "drop-out-of-window",
	[FERRY_DROP_TABLE_FULL] = "drop-table-full",
	[FERRY_DROP_MALFORMED] = "drop-malformed",
	[FERRY_DROP_FRAGMENT] = "drop-fragment",
	[FERRY_DROP_UNRELATED_ICMP] = "drop-unrelated-icmp",
	[FERRY_DROP_NAT_EXHAUSTED] = "drop-nat-exhausted",
	[FERRY_DROP_NAT_HAIRPIN] = "drop-nat-hairpin",
};

void ferry_config_defaults(struct ferry_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_ns[FERRY_TCP_SYN_SENT] = SEC_NS(120);
	cfg->timeout_ns[FERRY_TCP_SYN_RECV] = SEC_NS(60);
	cfg->timeout_ns[FERRY_TCP_ESTABLISHED] = SEC_NS(432000);
	cfg->timeout_ns[FERRY_TCP_FIN_WAIT] = SEC_NS(120);
	cfg->timeout_ns[FERRY_TCP_CLOSE_WAIT] = SEC_NS(60);
	cfg->timeout_ns[FERRY_TCP_LAST_ACK] = SEC_NS(30);
	cfg->timeout_ns[FERRY_TCP_TIME_WAIT] = SEC_NS(120);
	cfg->timeout_ns[FERRY_TCP_CLOSE] = SEC_NS(10);
	cfg->timeout_ns[FERRY_TCP_SYN_SENT2] = SEC_NS(120);
	cfg->timeout_ns[FERRY_UDP_UNREPLIED] = SEC_NS(30);
	cfg->timeout_ns[FERRY_UDP_REPLIED] = SEC_NS(120);
	cfg->timeout_ns[FERRY_ICMP_UNREPLIED] = SEC_NS(30);
	cfg->timeout_ns[FERRY_ICMP_REPLIED] = SEC_NS(30);
	cfg->timeout_ns[FERRY_OTHER_UNREPLIED] = SEC_NS(600);
	cfg->timeout_ns[FERRY_OTHER_REPLIED] = SEC_NS(600);
}

const char *ferry_state_name(unsigned int state)
{
	return state < FERRY_CT_STATE_MAX ? state_names[state] : "?";
}

int ferry_state_parse(const char *name)
{
	unsigned int i;

	for (i = 0; i < FERRY_CT_STATE_MAX; i++)
		if (!strcasecmp(name, state_names[i]))
			return i;
	return -EINVAL;
}

const char *ferry_reason_name(unsigned int reason)
{
	return reason < FERRY_REASON_MAX ? reason_names[reason] : "?";
}

int ferry_zone_set(int ifzones_fd, int config_fd, __u32 ifindex, __u16 vlan,
		   __u32 zone)
{
	struct ferry_if_key key = { .ifindex = ifindex, .vlan = vlan };
	struct ferry_if_zone val = { .zone = zone };
	struct ferry_config cfg;
	__u32 zero = 0;

	if (bpf_map_update_elem(ifzones_fd, &key, &val, 0) ||
	    bpf_map_lookup_elem(config_fd, &zero, &cfg))
		return -errno;
	if (cfg.flags & FERRY_CFG_F_ZONES)
		return 0;
	cfg.flags |= FERRY_CFG_F_ZONES;
	return bpf_map_update_elem(config_fd, &zero, &cfg, 0) ? -errno : 0;
}
