/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Inside the parser of the agent's configuration (soaconfig.h): what its
 * files share. soaconfig.c has the table of sections and the whole file;
 * each soaconfig_<job>.c the keys of its sections and their checks.
 */
#ifndef FERRY_SOACONFIG_PARSE_H
#define FERRY_SOACONFIG_PARSE_H

#include "inifile.h"
#include "soaconfig.h"

#define SOACF_LINE_MAX	4096

/* The zone of an interface, pool, forward or VM: as data of its key. */
#define SOACF_ZONE(T)	FERRY_INI_U32(T, zone, 0, FERRY_ZONE_ANY - 1)

struct soa_parse {
	struct ferry_ini ini;		/* file, line, section, first error */
	struct ferry_soa_config *cfg;	/* as ini.cfg; ini.obj is the section's */
	__u32 vlan_line[FERRY_SOA_VLANS_MAX];	/* of the interface's vlan.ID */
	__u32 ext_line[FERRY_SOA_FORWARDS_MAX];	/* of each forward's 'external' */
	/* whole file */
	__u32 *rule_line;		/* of each inline rule */
	__u32 rule_cap;
};

/* ---- values (soaconfig_value.c), each error a ferry_ini_key_err() ------------ */

/* An IPv4 or IPv6 address; -EINVAL (no message) if it is neither. */
int soacf_addr_parse(const char *s, __u8 *family, __u8 addr[16]);
void soacf_addr_format(__u8 family, const __u8 addr[16], char *buf,
		       size_t size);
int soacf_port_parse(struct soa_parse *p, const char *s, __u16 *port);
/* A.B.C.D:PORT or [IPV6]:PORT */
int soacf_endpoint_parse(struct soa_parse *p, const char *v,
			 struct ferry_soa_endpoint *ep);

/* ---- the sections' keys and checks as each ends ----------------------------- */

/* soaconfig_agent.c */
extern const struct ferry_ini_key soacf_agent_keys[];
extern const struct ferry_ini_key soacf_table_keys[];
extern const struct ferry_ini_key soacf_timeout_keys[];
extern const struct ferry_ini_key soacf_security_keys[];
int soacf_security_end(struct ferry_ini *ini);
/* soaconfig_iface.c */
extern const struct ferry_ini_key soacf_iface_keys[];
int soacf_iface_end(struct ferry_ini *ini);
/* soaconfig_rules.c */
extern const struct ferry_ini_key soacf_rules_keys[];
int soacf_rules_end(struct ferry_ini *ini);
/* soaconfig_nat.c */
extern const struct ferry_ini_key soacf_pool_keys[];
extern const struct ferry_ini_key soacf_fwd_keys[];
int soacf_pool_end(struct ferry_ini *ini);
int soacf_fwd_end(struct ferry_ini *ini);
/* At the end of the file: a forward's external endpoint is in no pool. */
int soacf_check_forwards(struct soa_parse *p);
/* soaconfig_vm.c */
extern const struct ferry_ini_key soacf_vm_keys[];
int soacf_vm_end(struct ferry_ini *ini);

#endif
