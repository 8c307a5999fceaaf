/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The datapath's maps. All carry BTF and are pinned by name under
 * /sys/fs/bpf/ferry/<instance>/ by the loader (pin_root_path), so they
 * survive an agent restart and bpftool prints their entries readably.
 */
#ifndef FERRY_BPF_MAPS_H
#define FERRY_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ferry/layout.h"

/*
 * Connection table. A plain preallocated hash, not LRU: an LRU map evicts
 * the least recently used entries when full, so a SYN flood or an import
 * would silently push out established flows. Here a full table refuses new
 * flows (counted as FERRY_DROP_TABLE_FULL) and established ones keep
 * working; the agent's GC frees expired entries. Size is set at load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct ferry_flow_key);
	__type(value, struct ferry_flow);
	__uint(max_entries, 65536);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_ct SEC(".maps");

/*
 * NAT reverse map: canonical key of a flow's translated tuple -> the flow's
 * ferry_ct key (include/ferry/nat.h). Same size as ferry_ct, set by the
 * loader; a plain hash for the same reasons.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct ferry_flow_key);
	__type(value, struct ferry_flow_key);
	__uint(max_entries, 65536);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_nat_rev SEC(".maps");

/* SNAT pools, one per zone and family; written by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct ferry_nat_pool_key);
	__type(value, struct ferry_nat_pool);
	__uint(max_entries, 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_nat_pools SEC(".maps");

/* DNAT forwards (port forwards, VIPs); written by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct ferry_nat_fwd_key);
	__type(value, struct ferry_nat_fwd);
	__uint(max_entries, 4096);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_nat_fwds SEC(".maps");

/* Rule-set maps: an array whose entry 0 is a struct ferry_ruleset_hdr
 * followed by the rules. Replaced as a whole through the outer map, which
 * makes an update atomic for the datapath. */
struct ferry_rules_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct ferry_rule);
	__uint(max_entries, FERRY_MAX_RULES + 1);
};

/* The rules are only reached through the inner map's pointer type, for which
 * clang emits a forward declaration; this anchor makes the object's BTF
 * carry the complete struct (bpftool dumps, inner map creation). */
const volatile struct ferry_rule ferry_btf_anchor_rule __attribute__((used));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct ferry_rules_inner);
} ferry_rulesets SEC(".maps");

/* Zone of each interface (and VLAN). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct ferry_if_key);
	__type(value, struct ferry_if_zone);
	__uint(max_entries, 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_ifzones SEC(".maps");

/* Timeouts and flags, one entry. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct ferry_config);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_config SEC(".maps");

/* The import in progress, one entry (include/ferry/config.h); only
 * userspace reads and writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct ferry_import_state);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_import SEC(".maps");

/* Layout version and creation data, one entry, written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct ferry_meta);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_meta SEC(".maps");

/* Packets and bytes per verdict reason, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct ferry_stat);
	__uint(max_entries, FERRY_REASON_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_stats SEC(".maps");

/*
 * Per-CPU work area of ferry_decide(): the flow key and a new entry being
 * built. The datapath's stack is 512 bytes over all frames of a call chain
 * (on 6.1 including the bpf_loop callback's), too small for them as well.
 * The entry is raw bytes: a per-CPU map may not hold a bpf_spin_lock.
 */
struct ferry_nat_xlat {
	__u32 saddr[4];		/* new source and destination */
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u32 pad;
};

struct ferry_work {
	__u8 flow[sizeof(struct ferry_flow)];
	struct ferry_flow_key key;
	struct ferry_vm_key vm;		/* lib/vmindex.h */
	/* NAT: the flow's ferry_ct key when the packet is on the translated
	 * side, the translated key, and the rewrite of the packet (xo) and,
	 * in an ICMP error, of the quoted packet (xi). */
	struct ferry_flow_key okey;
	struct ferry_flow_key rkey;
	struct ferry_nat_xlat xo;
	struct ferry_nat_xlat xi;
	/* scratch of lib/nat.h, off the stack */
	struct ferry_nat_fwd_key fk;
	struct ferry_nat_pool_key pk;
	__u8 xt[48];		/* a struct ferry_tuple */
	/* a new flow between ferry_decide() and ferry_commit() */
	__u32 zone;
	__u32 replace;
	__u32 cfg_flags;	/* the config's flags ferry_decide() saw */
	/* a packet of a NAT flow between ferry_decide() and the rewrite */
	__u8 nat_dir;
	__u8 nat_xside;
	/* a flow to resynchronise (ferry_resync()): its side, which key */
	__u8 resync_dir;
	__u8 resync_xside;
	__u8 pad[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct ferry_work);
	__uint(max_entries, 1);
} ferry_work SEC(".maps");

/*
 * One per-CPU word the parser passes offsets through so the verifier
 * forgets their exact value: after a walk over IPv6 extension headers every
 * path then continues with the same packet-pointer state and is pruned,
 * instead of each chain of header kinds being verified on its own to the
 * end (which made verification five times longer).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} ferry_opaque SEC(".maps");

/* The per-VM flow index (include/ferry/vmindex.h); inner sets are made
 * by userspace for each VM address registered. */
struct ferry_vm_flows_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ferry_flow_key);
	__type(value, __u32);
	__uint(max_entries, FERRY_VM_FLOWS_MAX);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, struct ferry_vm_key);
	__uint(max_entries, FERRY_VM_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct ferry_vm_flows_inner);
} ferry_vm_index SEC(".maps");

/* Flows a full inner set could not note, per VM address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct ferry_vm_key);
	__type(value, __u64);
	__uint(max_entries, FERRY_VM_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_vm_overflow SEC(".maps");

/* Events of rules with the log flag. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ferry_log SEC(".maps");

#endif
