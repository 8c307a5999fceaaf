/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel/user contract of Ferry: everything that both the BPF datapath
 * and userspace read or write. Only fixed-width types and explicit padding;
 * any change to a structure below bumps FERRY_LAYOUT_VERSION, which is
 * recorded in the pinned metadata map so that an agent never reuses maps it
 * does not understand.
 */
#ifndef FERRY_LAYOUT_H
#define FERRY_LAYOUT_H

#include <linux/types.h>

#define FERRY_LAYOUT_VERSION	2
#define FERRY_META_MAGIC	0x46455259u	/* "FERY" */

#define FERRY_PIN_ROOT		"/sys/fs/bpf/ferry"

/* Address families as stored in keys and rules (same values as AF_*). */
#define FERRY_AF_INET		2
#define FERRY_AF_INET6		10

/* Zone used for interfaces that have no zone configured. */
#define FERRY_ZONE_DEFAULT	0
/* In a rule: match every zone. */
#define FERRY_ZONE_ANY		0xffffffffu

#include "ferry/nat.h"
#include "ferry/flow.h"
#include "ferry/rule.h"
#include "ferry/stats.h"
#include "ferry/config.h"
#include "ferry/vmindex.h"

#endif
