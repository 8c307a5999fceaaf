// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The TDE's debounced decision; see tdedetect.h for the rules. */
#include <errno.h>
#include <stdlib.h>
#include "tdedetect.h"

int ferry_tde_detect_init(struct ferry_tde_detect *d, __u32 nvms,
			  __u64 debounce_ns)
{
	d->nvms = nvms;
	d->debounce_ns = debounce_ns;
	d->vms = calloc(nvms ? nvms : 1, sizeof(*d->vms));
	return d->vms ? 0 : -ENOMEM;
}

void ferry_tde_detect_free(struct ferry_tde_detect *d)
{
	free(d->vms);
	d->vms = NULL;
	d->nvms = 0;
}

void ferry_tde_detect_observe(struct ferry_tde_detect *d, __u32 vm,
			      __u32 host, enum ferry_tde_reason reason,
			      __u64 now_ns)
{
	struct ferry_tde_vm_state *s;

	if (vm >= d->nvms)
		return;
	s = &d->vms[vm];
	if (!s->host) {
		s->host = host;		/* learnt: nothing to move from */
		return;
	}
	if (!host || host == s->host) {
		s->cand = 0;
		return;
	}
	if (host == s->cand)
		return;
	s->cand = host;
	s->cand_since = now_ns;
	s->cand_reason = reason;
}

__u64 ferry_tde_detect_tick(struct ferry_tde_detect *d, __u64 now_ns,
			    ferry_tde_emit_fn emit, void *ctx)
{
	struct ferry_tde_vm_state *s;
	__u64 due, next = 0;
	__u32 vm, from;

	for (vm = 0; vm < d->nvms; vm++) {
		s = &d->vms[vm];
		if (!s->cand)
			continue;
		due = s->cand_since + d->debounce_ns;
		if (due <= now_ns) {
			from = s->host;
			s->host = s->cand;
			s->cand = 0;
			emit(ctx, vm, from, s->host, s->cand_reason);
		} else if (!next || due < next) {
			next = due;
		}
	}
	return next;
}

__u32 ferry_tde_vote(const __u32 *route, __u32 n, __u32 neigh, bool *by_route)
{
	__u32 i, host = 0;

	for (i = 0; i < n; i++) {
		if (!route[i])
			continue;
		if (host && route[i] != host)
			break;
		host = route[i];
	}
	if (by_route)
		*by_route = host != 0;
	if (i < n)
		return 0;	/* the routes disagree */
	return host ? host : neigh;
}
