/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the running kernel offers the datapath, probed with libbpf's probes:
 * the features it cannot run without, and the optional ones it degrades
 * without (the XDP fast path needs bpf_fib_lookup and bpf_redirect).
 */
#ifndef FERRY_KFEATURES_H
#define FERRY_KFEATURES_H

struct ferry_kfeature {
	const char *name;
	const char *since;	/* first Linux release that has it */
	int optional;		/* 1: the datapath runs without, degraded */
};

/* Called once per feature with supported 1 or 0 (a failed probe is 0). */
typedef void (*ferry_kfeature_cb)(const struct ferry_kfeature *f,
				  int supported, void *ctx);

/*
 * Probe every feature, reporting each to cb (may be NULL). Returns the
 * number of required features missing; *fast_path gets 1 if the optional
 * fast-path helpers are there.
 */
int ferry_kfeatures_probe(ferry_kfeature_cb cb, void *ctx, int *fast_path);

#endif
