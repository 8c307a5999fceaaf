/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Tracked flows as people read them: conntrack-like lines and JSON. */
#ifndef FERRY_FLOWFMT_H
#define FERRY_FLOWFMT_H

#include <stdio.h>
#include "ferry/layout.h"

/* One direction of a flow, as the packets carry it. */
struct ferry_endpoints {
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;	/* host order */
	__u16 dport;
};

/* The originator's direction and the reply direction of a tracked flow. */
void ferry_flow_dirs(const struct ferry_flow_key *k, const struct ferry_flow *f,
		     struct ferry_endpoints *orig, struct ferry_endpoints *reply);

/* A conntrack -L style line, remaining lifetime relative to now_ns. */
void ferry_flow_print(FILE *out, const struct ferry_flow_key *k,
		      const struct ferry_flow *f, __u64 now_ns);
/* The same as one JSON object (no trailing newline). */
void ferry_flow_print_json(FILE *out, const struct ferry_flow_key *k,
			   const struct ferry_flow *f, __u64 now_ns);

#endif
