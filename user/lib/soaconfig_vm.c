// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* [vm NAME] of the agent's configuration: the VMs whose flows it indexes. */
#include <string.h>
#include "ferry/vmindex.h"
#include "soaconfig_parse.h"

#define VM_KEY_ADDRESSES	1

static int vm_address(struct ferry_ini *ini, char *tok)
{
	struct ferry_soa_vm *vm = ini->obj;
	__u8 family, addr[16];
	__u32 i;

	if (soacf_addr_parse(tok, &family, addr))
		return ferry_ini_key_err(ini, "'%s' is not an IPv4 or IPv6 address", tok);
	for (i = 0; i < vm->naddrs; i++)
		if (vm->addrs[i].family == family && !memcmp(vm->addrs[i].addr, addr, 16))
			return ferry_ini_key_err(ini, "'%s' is listed twice", tok);
	if (vm->naddrs == FERRY_SOA_VM_ADDRS_MAX)
		return ferry_ini_key_err(ini, "too many addresses (at most %u)",
					 FERRY_SOA_VM_ADDRS_MAX);
	vm->addrs[vm->naddrs].family = family;
	memcpy(vm->addrs[vm->naddrs].addr, addr, 16);
	vm->naddrs++;
	return 0;
}

const struct ferry_ini_key soacf_vm_keys[] = {
	{ .name = "zone", .set = ferry_ini_set_u32, .data = SOACF_ZONE(struct ferry_soa_vm),
	  .required = true },
	{ .name = "addresses", .set = vm_address, .list = true, .required = true },
	{ .name = "max_flows", .set = ferry_ini_set_u32,
	  .data = FERRY_INI_U32(struct ferry_soa_vm, max_flows, 1, FERRY_VM_FLOWS_MAX) },
	{ .name = NULL },
};

/* A VM address in a zone belongs to one VM. */
int soacf_vm_end(struct ferry_ini *ini)
{
	const struct ferry_soa_config *cfg = ini->cfg;
	const struct ferry_soa_vm *vm = ini->obj, *o;
	__u32 i, j;

	for (o = cfg->vms; o < vm; o++) {
		if (o->zone != vm->zone)
			continue;
		for (i = 0; i < vm->naddrs; i++)
			for (j = 0; j < o->naddrs; j++)
				if (vm->addrs[i].family == o->addrs[j].family &&
				    !memcmp(vm->addrs[i].addr, o->addrs[j].addr, 16))
					return ferry_ini_line_err(ini, ini->key_line[VM_KEY_ADDRESSES],
						"[%s] addresses: address %u is vm '%s''s already",
						ini->section, i + 1, o->name);
	}
	return 0;
}
