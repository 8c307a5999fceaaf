// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's configuration file: its sections as inifile.c's table, and
 * what the whole file must hold. Each section's keys and checks are in
 * soaconfig_*.c: agent (also [table], [timeouts], [security]), iface,
 * rules, nat ([snat-pool], [forward]) and vm; soaconfig_value.c has the
 * values more than one of them takes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctconfig.h"
#include "soaconfig_parse.h"

enum {
	SEC_AGENT,
	SEC_TABLE,
	SEC_TIMEOUTS,
	SEC_INTERFACE,
	SEC_RULES,
	SEC_POOL,
	SEC_FORWARD,
	SEC_SECURITY,
	SEC_VM,
	SEC_MAX,
};

/* A named section begins: the next element of its array in the config. */
static int begin_named(struct ferry_ini *ini, unsigned int sec, const char *name)
{
	struct ferry_soa_config *c = ini->cfg;
	struct ferry_soa_forward *fwd;
	struct ferry_soa_iface *ifc;
	struct ferry_soa_pool *pool;
	struct ferry_soa_vm *vm;

	switch (sec) {
	case SEC_INTERFACE:
		ini->obj = ifc = &c->ifaces[c->nifaces++];
		strcpy(ifc->name, name);
		ifc->line = ini->line;
		break;
	case SEC_POOL:
		ini->obj = pool = &c->pools[c->npools++];
		strcpy(pool->name, name);
		pool->line = ini->line;
		break;
	case SEC_FORWARD:
		ini->obj = fwd = &c->forwards[c->nforwards++];
		strcpy(fwd->name, name);
		fwd->line = ini->line;
		break;
	default:
		ini->obj = vm = &c->vms[c->nvms++];
		strcpy(vm->name, name);
		vm->line = ini->line;
	}
	return 0;
}

static const struct ferry_ini_section sections[SEC_MAX] = {
	[SEC_AGENT] = { .name = "agent", .keys = soacf_agent_keys },
	[SEC_TABLE] = { .name = "table", .keys = soacf_table_keys },
	[SEC_TIMEOUTS] = { .name = "timeouts", .keys = soacf_timeout_keys, .nocase = true },
	[SEC_INTERFACE] = { .name = "interface", .keys = soacf_iface_keys, .end = soacf_iface_end,
			    .named = true, .ifname = true, .max = FERRY_SOA_IFACES_MAX,
			    .many = "interfaces" },
	[SEC_RULES] = { .name = "rules", .keys = soacf_rules_keys, .end = soacf_rules_end },
	[SEC_POOL] = { .name = "snat-pool", .keys = soacf_pool_keys, .end = soacf_pool_end,
		       .named = true, .max = FERRY_SOA_POOLS_MAX, .many = "pools" },
	[SEC_FORWARD] = { .name = "forward", .keys = soacf_fwd_keys, .end = soacf_fwd_end,
			  .named = true, .max = FERRY_SOA_FORWARDS_MAX, .many = "forwards" },
	[SEC_SECURITY] = { .name = "security", .keys = soacf_security_keys, .end = soacf_security_end },
	[SEC_VM] = { .name = "vm", .keys = soacf_vm_keys, .end = soacf_vm_end,
		     .named = true, .max = FERRY_SOA_VMS_MAX, .many = "VMs" },
};

static const struct ferry_ini_format format = {
	.secs = sections,
	.nsecs = SEC_MAX,
	.line_max = SOACF_LINE_MAX,
	.begin = begin_named,
};

/* ---- the whole file ------------------------------------------------------------- */

static int end_of_file(struct soa_parse *p)
{
	struct ferry_soa_config *cfg = p->cfg;
	int len;

	if (ferry_ini_need(&p->ini, SEC_AGENT) || ferry_ini_need(&p->ini, SEC_RULES) ||
	    ferry_ini_need(&p->ini, SEC_INTERFACE))
		return p->ini.ret;
	if (!cfg->control_socket[0]) {
		len = snprintf(cfg->control_socket, sizeof(cfg->control_socket),
			       "/run/ferry/%s.sock", cfg->instance);
		if (len < 0 || (size_t)len >= sizeof(cfg->control_socket))
			return ferry_ini_line_err(&p->ini, p->ini.first[SEC_AGENT],
					"[agent] control_socket: default too long");
	}
	return 0;
}

static int parse_all(struct soa_parse *p)
{
	int ret;

	ret = ferry_ini_parse(&p->ini, &format, p);
	if (ret)
		return ret;
	if (end_of_file(p))
		return p->ini.ret;
	return soacf_check_forwards(p);
}

int ferry_soa_config_parse(const char *text, const char *name,
			   struct ferry_soa_config **cfg, char *err,
			   size_t errlen)
{
	struct soa_parse *p;
	int ret;

	*cfg = NULL;
	if (errlen)
		err[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ini.name = name;
	p->ini.text = text;
	p->ini.err = err;
	p->ini.errlen = errlen;
	p->cfg = calloc(1, sizeof(*p->cfg));
	if (!p->cfg) {
		ret = ferry_ini_oom(&p->ini);
		goto out_free_parse;
	}
	p->ini.cfg = p->cfg;
	ferry_config_defaults(&p->cfg->dp);
	p->cfg->gc_interval = FERRY_SOA_GC_DEFAULT;
	ret = parse_all(p);
	if (ret)
		ferry_soa_config_free(p->cfg);
	else
		*cfg = p->cfg;
out_free_parse:
	free(p->rule_line);
	free(p);
	return ret;
}

static int read_text(const char *path, char **text, char *err, size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	FILE *f;
	int ret = 0;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		goto out_msg;
	}
	do {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 16384;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				ret = -ENOMEM;
				goto out_close;
			}
			buf = nbuf;
		}
		len += fread(buf + len, 1, cap - len, f);
	} while (!feof(f) && !ferror(f));
	if (ferror(f))
		ret = -EIO;
	else if (memchr(buf, '\0', len))
		ret = -EILSEQ;
	buf[len] = '\0';
out_close:
	fclose(f);
out_msg:
	if (ret == -EILSEQ)
		snprintf(err, errlen, "%s: NUL byte in the file", path);
	else if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	if (ret) {
		free(buf);
		buf = NULL;
	}
	*text = buf;
	return ret == -EILSEQ ? -EINVAL : ret;
}

int ferry_soa_config_read(const char *path, struct ferry_soa_config **cfg,
			  char *err, size_t errlen)
{
	char *text;
	int ret;

	*cfg = NULL;
	ret = read_text(path, &text, err, errlen);
	if (ret)
		return ret;
	ret = ferry_soa_config_parse(text, path, cfg, err, errlen);
	free(text);
	return ret;
}

void ferry_soa_config_free(struct ferry_soa_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->rules);
	free(cfg);
}
