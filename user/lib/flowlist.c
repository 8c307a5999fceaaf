// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include "flowlist.h"

int ferry_flow_list_add(struct ferry_flow_list *l, const struct ferry_flow_key *k,
			const struct ferry_flow *f)
{
	__u64 cap = l->cap ? l->cap * 2 : 256;
	void *p;

	if (l->n == l->cap) {
		p = realloc(l->keys, cap * sizeof(*l->keys));
		if (!p)
			return -ENOMEM;
		l->keys = p;
		p = realloc(l->flows, cap * sizeof(*l->flows));
		if (!p)
			return -ENOMEM;
		l->flows = p;
		l->cap = cap;
	}
	l->keys[l->n] = *k;
	l->flows[l->n] = *f;
	l->n++;
	return 0;
}

void ferry_flow_list_free(struct ferry_flow_list *l)
{
	free(l->keys);
	free(l->flows);
	*l = (struct ferry_flow_list){ 0 };
}
