// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ferryctl nat pools / forwards: the NAT configuration and its use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "ferry/layout.h"
#include "ctiter.h"
#include "datapath.h"
#include "ferryctl.h"
#include "natconfig.h"

#define POOLS_MAX	1024

struct pool_use {
	struct ferry_nat_pool_key key;
	struct ferry_nat_pool pool;
	__u64 bindings;
};

struct use_ctx {
	struct pool_use *pools;
	int n;
};

static int open_map(const char *name)
{
	int fd = ferry_dp_map_fd(ferryctl_instance, name);

	if (fd < 0)
		fprintf(stderr, "ferryctl nat: instance '%s' has no map %s: %s\n",
			ferryctl_instance, name, strerror(-fd));
	return fd;
}

static const char *addr_str(__u8 family, const __u8 *a, char *buf)
{
	return inet_ntop(family == FERRY_AF_INET6 ? AF_INET6 : AF_INET, a, buf,
			 INET6_ADDRSTRLEN) ?: "?";
}

/* A flow's SNAT binding counts for the pool its source address is from. */
static int count_binding(const struct ferry_flow_key *k,
			 const struct ferry_flow *f, void *data)
{
	struct use_ctx *c = data;
	int i;

	if (!(f->nat.kind & FERRY_NAT_SNAT))
		return 0;
	for (i = 0; i < c->n; i++) {
		if (c->pools[i].key.zone == k->zone &&
		    ferry_nat_pool_has(&c->pools[i].key, &c->pools[i].pool,
				       k->family, f->nat.saddr)) {
			c->pools[i].bindings++;
			break;
		}
	}
	return 0;
}

static void print_pool(const struct pool_use *u, int json, int first)
{
	const struct ferry_nat_pool *p = &u->pool;
	int last = u->key.family == FERRY_AF_INET6 ? 12 : 0;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];
	__u64 ports = (__u64)p->naddrs * (p->port_hi - p->port_lo + 1);
	__u8 hi[16];
	__u32 w;

	memcpy(hi, p->addr, 16);
	memcpy(&w, hi + last, 4);
	w = htonl(ntohl(w) + p->naddrs - 1);
	memcpy(hi + last, &w, 4);
	if (json) {
		printf("%s{\"zone\":%u,\"family\":\"%s\",\"first\":\"%s\",\"last\":\"%s\","
		       "\"port_lo\":%u,\"port_hi\":%u,\"source\":\"%s/%u\","
		       "\"bindings\":%llu,\"addr_ports\":%llu}",
		       first ? " " : ",\n ", u->key.zone,
		       u->key.family == FERRY_AF_INET6 ? "ipv6" : "ipv4",
		       addr_str(u->key.family, p->addr, a),
		       addr_str(u->key.family, hi, b), p->port_lo, p->port_hi,
		       addr_str(u->key.family, p->src, s), p->src_plen,
		       (unsigned long long)u->bindings, (unsigned long long)ports);
		return;
	}
	/* A pool port is taken per destination, so bindings may exceed the
	 * address x port count; the percentage is that of one destination. */
	printf("zone %u %s %s-%s ports %u-%u from %s/%u: %llu bindings, "
	       "%llu address:port pairs (%.1f%%)\n", u->key.zone,
	       u->key.family == FERRY_AF_INET6 ? "ipv6" : "ipv4",
	       addr_str(u->key.family, p->addr, a),
	       addr_str(u->key.family, hi, b), p->port_lo, p->port_hi,
	       addr_str(u->key.family, p->src, s), p->src_plen,
	       (unsigned long long)u->bindings, (unsigned long long)ports,
	       ports ? 100.0 * u->bindings / ports : 0.0);
}

static int nat_pools(int json)
{
	struct use_ctx c = {};
	struct ferry_nat_pool_key k, next;
	int pfd, ctfd, err = 0, i;
	void *prev = NULL;

	pfd = open_map("ferry_nat_pools");
	if (pfd < 0)
		return 1;
	ctfd = open_map("ferry_ct");
	if (ctfd < 0) {
		close(pfd);
		return 1;
	}
	c.pools = calloc(POOLS_MAX, sizeof(*c.pools));
	if (!c.pools) {
		err = -ENOMEM;
		goto out_close;
	}
	while (c.n < POOLS_MAX && !bpf_map_get_next_key(pfd, prev, &next)) {
		k = next;
		prev = &k;
		c.pools[c.n].key = k;
		if (!bpf_map_lookup_elem(pfd, &k, &c.pools[c.n].pool))
			c.n++;
	}
	err = ferry_ct_foreach(ctfd, count_binding, &c);
	if (json)
		fputs("[\n", stdout);
	for (i = 0; i < c.n; i++)
		print_pool(&c.pools[i], json, i == 0);
	if (json)
		fputs("\n]\n", stdout);
	else if (!c.n)
		printf("no SNAT pools\n");
	free(c.pools);
out_close:
	close(ctfd);
	close(pfd);
	return err ? 1 : 0;
}

static int nat_forwards(void)
{
	struct ferry_nat_fwd_key k, next;
	char a[INET6_ADDRSTRLEN];
	struct ferry_nat_fwd v;
	void *prev = NULL;
	int fd, n = 0;
	__u32 i;

	fd = open_map("ferry_nat_fwds");
	if (fd < 0)
		return 1;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		printf("zone %u %s %s%s%s:%u ->", k.zone, k.proto == 6 ? "tcp" : "udp",
		       k.family == FERRY_AF_INET6 ? "[" : "",
		       addr_str(k.family, k.addr, a),
		       k.family == FERRY_AF_INET6 ? "]" : "", ntohs(k.port));
		for (i = 0; i < v.nbackends && i < FERRY_NAT_BACKENDS_MAX; i++)
			printf(" %s%s%s:%u", k.family == FERRY_AF_INET6 ? "[" : "",
			       addr_str(k.family, v.be[i].addr, a),
			       k.family == FERRY_AF_INET6 ? "]" : "",
			       ntohs(v.be[i].port));
		putchar('\n');
		n++;
	}
	if (!n)
		printf("no DNAT forwards\n");
	close(fd);
	return 0;
}

int cmd_nat(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "pools")) {
		if (argc == 2)
			return nat_pools(0);
		if (argc == 3 && !strcmp(argv[2], "--json"))
			return nat_pools(1);
	}
	if (argc == 2 && !strcmp(argv[1], "forwards"))
		return nat_forwards();
	fprintf(stderr, "usage: ferryctl nat pools [--json] | nat forwards\n");
	return 2;
}
