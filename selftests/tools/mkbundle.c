// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mkbundle: a state bundle (docs/state-format.md) of N established TCP
 * flows of one VM, on stdout, for `ferryctl import`: a large VM's table in
 * a second instead of N real connections.
 *
 *   mkbundle ZONE:ADDR FLOWS [PEER_NET]
 *
 * Flow i goes from ADDR (IPv4) port 1024 + i / 65536 to PEER_NET + (i %
 * 65536), port 80 (PEER_NET is an IPv4 /16, default 198.19.0.0), with an
 * hour left to live. Every 5-tuple is distinct for FLOWS up to 2^22.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "numparse.h"
#include "statecodec.h"

#define FLOWS_MAX	(1u << 22)

static int write_out(void *ctx, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, stdout) == len ? 0 : -EIO;
}

static void flow_of(__u32 zone, const __u8 vm[4], const __u8 net[4], __u32 i,
		    struct ferry_sc_flow *r)
{
	memset(r, 0, sizeof(*r));
	r->zone = zone;
	r->family = FERRY_AF_INET;
	r->proto = IPPROTO_TCP;
	r->state = FERRY_TCP_ESTABLISHED;
	r->flags = FERRY_FLOW_F_SEEN_REPLY | FERRY_FLOW_F_ASSURED;
	memcpy(r->src, vm, 4);
	r->dst[0] = net[0];
	r->dst[1] = net[1];
	r->dst[2] = (__u8)(i >> 8);
	r->dst[3] = (__u8)i;
	r->sport = (__u16)(1024 + (i >> 16));
	r->dport = 80;
	r->remaining_ms = 3600 * 1000;
	r->age_ms = 1000;
	r->idle_ms = 10;
	r->packets[0] = r->packets[1] = 3;
	r->bytes[0] = r->bytes[1] = 180;
	r->tcp[0].end = r->tcp[0].maxend = 1000 + i;
	r->tcp[1].end = r->tcp[1].maxend = 5000 + i;
	r->tcp[0].maxwin = r->tcp[1].maxwin = 65535;
}

static int usage(void)
{
	fprintf(stderr, "usage: mkbundle ZONE:ADDR FLOWS [PEER_NET]  (ADDR IPv4, "
		"FLOWS 1..%u, PEER_NET an IPv4 /16 base, default 198.19.0.0)\n",
		FLOWS_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	struct ferry_sc_enc_opts o = { .host = "mkbundle", .write = write_out };
	__u8 vm[4], net[4] = { 198, 19, 0, 0 };
	char err[FERRY_SC_ERR_MAX], *colon;
	struct ferry_sc_enc *e;
	struct ferry_sc_flow r;
	__u32 zone, n, i;

	if (argc < 3 || argc > 4 || !(colon = strchr(argv[1], ':')))
		return usage();
	*colon = '\0';
	if (ferry_parse_u32(argv[1], 0xfffffffeu, &zone) ||
	    inet_pton(AF_INET, colon + 1, vm) != 1 ||
	    ferry_parse_u32(argv[2], FLOWS_MAX, &n) || !n ||
	    (argc == 4 && inet_pton(AF_INET, argv[3], net) != 1))
		return usage();
	o.flow_count = n;
	e = ferry_sc_enc_new(&o, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "mkbundle: %s\n", err);
		return 1;
	}
	for (i = 0; i < n; i++) {
		flow_of(zone, vm, net, i, &r);
		if (ferry_sc_enc_add(e, &r))
			break;
	}
	if (i < n || ferry_sc_enc_finish(e) || fflush(stdout)) {
		fprintf(stderr, "mkbundle: %s\n", ferry_sc_enc_error(e));
		ferry_sc_enc_free(e);
		return 1;
	}
	ferry_sc_enc_free(e);
	return 0;
}
