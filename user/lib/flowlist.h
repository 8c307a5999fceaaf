/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Flows gathered in memory, keys and entries side by side, as they come. */
#ifndef FERRY_FLOWLIST_H
#define FERRY_FLOWLIST_H

#include "ferry/layout.h"

struct ferry_flow_list {
	struct ferry_flow_key *keys;
	struct ferry_flow *flows;
	__u64 n, cap;
};

/* Append (k, f): 0, or -ENOMEM with the list as it was. */
int ferry_flow_list_add(struct ferry_flow_list *l, const struct ferry_flow_key *k,
			const struct ferry_flow *f);
void ferry_flow_list_free(struct ferry_flow_list *l);

#endif
