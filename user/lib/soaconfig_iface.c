// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* [interface NAME] of the agent's configuration: hook, XDP mode, zones. */
#include <string.h>
#include "numparse.h"
#include "soaconfig_parse.h"

#define IFACE_KEY_XDP_MODE	1

static int set_hook(struct ferry_ini *ini, char *v)
{
	struct ferry_soa_iface *ifc = ini->obj;
	enum ferry_soa_hook h;

	for (h = FERRY_SOA_HOOK_XDP; h <= FERRY_SOA_HOOK_TC_EGRESS; h++) {
		if (!strcmp(v, ferry_soa_hook_name(h))) {
			ifc->hook = h;
			return 0;
		}
	}
	return ferry_ini_key_err(ini, "'%s' is not xdp, tc-ingress or tc-egress", v);
}

static int set_xdp_mode(struct ferry_ini *ini, char *v)
{
	struct ferry_soa_iface *ifc = ini->obj;

	if (ferry_xdp_mode_parse(v, &ifc->xdp_mode))
		return ferry_ini_key_err(ini, "'%s' is not auto, native or generic", v);
	return 0;
}

/* vlan.ID = ZONE */
static int set_vlan(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_iface *ifc = ini->obj;
	struct ferry_soa_vlan *vl;
	__u32 id, i;

	if (ferry_parse_u32(ini->key + 5, 4094, &id) || !id)
		return ferry_ini_err(ini, "[%s] bad key '%s': VLAN must be 1-4094",
				     ini->section, ini->key);
	for (i = 0; i < ifc->nvlans; i++)
		if (ifc->vlans[i].vlan == id)
			return ferry_ini_err(ini, "[%s] duplicate key '%s' (first at line %u)",
					     ini->section, ini->key, p->vlan_line[i]);
	if (ifc->nvlans == FERRY_SOA_VLANS_MAX)
		return ferry_ini_key_err(ini, "too many VLANs (at most %u)",
					 FERRY_SOA_VLANS_MAX);
	vl = &ifc->vlans[ifc->nvlans];
	vl->vlan = (__u16)id;
	p->vlan_line[ifc->nvlans] = ini->line;
	if (ferry_ini_u32(ini, v, 0, FERRY_ZONE_ANY - 1, &vl->zone))
		return ini->ret;
	ifc->nvlans++;
	return 0;
}

const struct ferry_ini_key soacf_iface_keys[] = {
	{ .name = "hook", .set = set_hook, .required = true },
	{ .name = "xdp_mode", .set = set_xdp_mode },
	{ .name = "zone", .set = ferry_ini_set_u32, .data = SOACF_ZONE(struct ferry_soa_iface) },
	{ .name = "vlan.ID", .prefix = "vlan.", .set = set_vlan, .repeat = true },
	{ .name = NULL },
};

int soacf_iface_end(struct ferry_ini *ini)
{
	const struct ferry_soa_iface *ifc = ini->obj;
	__u32 line = ini->key_line[IFACE_KEY_XDP_MODE];

	if (line && ifc->hook != FERRY_SOA_HOOK_XDP)
		return ferry_ini_line_err(ini, line, "[%s] xdp_mode: only with hook = xdp",
					  ini->section);
	return 0;
}

const char *ferry_soa_hook_name(enum ferry_soa_hook hook)
{
	switch (hook) {
	case FERRY_SOA_HOOK_XDP:
		return "xdp";
	case FERRY_SOA_HOOK_TC_INGRESS:
		return "tc-ingress";
	case FERRY_SOA_HOOK_TC_EGRESS:
		return "tc-egress";
	}
	return "?";
}
