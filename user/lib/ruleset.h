/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Installing a compiled rule set into the datapath, atomically. */
#ifndef FERRY_RULESET_H
#define FERRY_RULESET_H

#include <linux/types.h>
#include "ferry/layout.h"

/*
 * Build a new rule-set map holding rules[0..n) and swap it into the
 * outer map (fd rulesets_fd) in one update: packets see the old rule set
 * or the new one, never a mix. btf_fd/value_type_id describe struct
 * ferry_rule for bpftool (0 for none). Returns 0 or -errno.
 */
int ferry_ruleset_install(int rulesets_fd, const struct ferry_rule *rules,
			  __u32 n, int btf_fd, __u32 value_type_id);

/*
 * The BTF of a loaded datapath (found through its map map_fd) and the type
 * id of struct ferry_rule in it, for ferry_ruleset_install. *btf_fd is 0
 * when there is none. Returns 0 or -errno.
 */
int ferry_ruleset_btf(int map_fd, int *btf_fd, __u32 *type_id);

/* Read the active rule set back: up to max rules into rules; *n gets the
 * count. Returns 0 or -errno. */
int ferry_ruleset_read(int rulesets_fd, struct ferry_rule *rules, __u32 max,
		       __u32 *n);

#endif
