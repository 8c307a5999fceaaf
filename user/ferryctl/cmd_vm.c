// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferryctl vm add|del|list: the VM addresses whose flows the datapath
 * indexes, so that exporting a VM costs in proportion to its own flows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "datapath.h"
#include "ferryctl.h"
#include "numparse.h"
#include "vmindex.h"

static int print_vm(const struct ferry_vm_key *vk, __u64 keys, __u64 missed,
		    void *ctx)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(vk->family == FERRY_AF_INET ? AF_INET : AF_INET6, vk->addr,
		  addr, sizeof(addr));
	printf("%u:%s\t%llu flows%s\n", vk->zone, addr, (unsigned long long)keys,
	       missed ? " (set was full: exported by a table walk)" : "");
	return 0;
}

static int vm_change(struct ferry_vm_index *ix, int add, const char *spec,
		     __u32 max_flows)
{
	struct ferry_vm_key vk;
	__u64 found = 0;
	int ct_fd, cfg_fd, err;

	if (ferry_vm_key_parse(spec, &vk)) {
		fprintf(stderr, "ferryctl vm: '%s': expected ZONE:ADDRESS (IPv4 or IPv6)\n",
			spec);
		return -EINVAL;
	}
	if (!add) {
		err = ferry_vm_index_del(ix, &vk);
		if (err)
			fprintf(stderr, "ferryctl vm del %s: %s\n", spec,
				err == -ENOENT ? "not registered" : strerror(-err));
		return err;
	}
	ct_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_ct");
	cfg_fd = ferry_dp_map_fd(ferryctl_instance, "ferry_config");
	err = ct_fd < 0 ? ct_fd : cfg_fd < 0 ? cfg_fd :
	      ferry_vm_index_add(ix, ct_fd, cfg_fd, &vk, max_flows, &found);
	if (err)
		fprintf(stderr, "ferryctl vm add %s: %s\n", spec,
			err == -EEXIST ? "already registered" : strerror(-err));
	else
		printf("%s: indexed, %llu flows already in the table\n", spec,
		       (unsigned long long)found);
	if (ct_fd >= 0)
		close(ct_fd);
	if (cfg_fd >= 0)
		close(cfg_fd);
	return err;
}

int cmd_vm(int argc, char **argv)
{
	struct ferry_vm_index ix;
	__u32 max_flows = 0;
	int i, err, add;

	if (argc > 3 && !strcmp(argv[2], "--max-flows")) {
		if (strcmp(argv[1], "add") ||
		    ferry_parse_u32(argv[3], FERRY_VM_FLOWS_MAX, &max_flows) ||
		    !max_flows) {
			fprintf(stderr, "ferryctl vm add --max-flows '%s': 1..%u\n",
				argv[3], FERRY_VM_FLOWS_MAX);
			return 2;
		}
		memmove(argv + 2, argv + 4, (argc - 4) * sizeof(*argv));
		argc -= 2;
	}
	if (argc < 2 || (strcmp(argv[1], "list") && argc < 3) ||
	    (!strcmp(argv[1], "list") && argc > 2)) {
		fprintf(stderr, "usage: ferryctl vm add [--max-flows N] ZONE:ADDR... | "
			"vm del ZONE:ADDR... | vm list\n");
		return 2;
	}
	add = !strcmp(argv[1], "add");
	if (!add && strcmp(argv[1], "del") && strcmp(argv[1], "list")) {
		fprintf(stderr, "ferryctl vm: unknown '%s' (add, del or list)\n", argv[1]);
		return 2;
	}
	err = ferry_vm_index_open(&ix, ferryctl_instance);
	if (err) {
		fprintf(stderr, "ferryctl vm: instance '%s' is not loaded\n",
			ferryctl_instance);
		return 1;
	}
	if (!strcmp(argv[1], "list"))
		err = ferry_vm_index_foreach(&ix, print_vm, NULL);
	for (i = 2; i < argc && !err; i++)
		err = vm_change(&ix, add, argv[i], max_flows);
	ferry_vm_index_close(&ix);
	return err == -EINVAL ? 2 : err ? 1 : 0;
}
