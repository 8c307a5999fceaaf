/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The per-VM flow index: for each VM address an operator (or the agent)
 * registered, a set of the keys of the flows that have it as an endpoint,
 * so that exporting one VM's flows costs in proportion to its flows, not
 * to the table. Outer map ferry_vm_index: struct ferry_vm_key -> an inner
 * hash of struct ferry_flow_key -> __u32 (1), sized per VM (reading a set
 * costs in proportion to its size). The datapath adds the key of
 * each new flow; the sweep removes expired ones; an inner set that is full
 * is counted in ferry_vm_overflow and its VM is exported by a full walk.
 */
#ifndef FERRY_VMINDEX_H
#define FERRY_VMINDEX_H

#include <linux/types.h>

#define FERRY_VM_MAX		4096	/* VM addresses indexed */
#define FERRY_VM_FLOWS_MAX	1048576	/* flows per VM address, at most */
#define FERRY_VM_FLOWS_DEFAULT	32768	/* unless asked otherwise */

struct ferry_vm_key {
	__u32 zone;
	__u8  family;		/* FERRY_AF_INET or FERRY_AF_INET6 */
	__u8  pad[3];
	__u8  addr[16];		/* IPv4 in the first 4 bytes, rest 0 */
};

#endif
