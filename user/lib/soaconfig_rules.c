// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* [rules] of the agent's configuration: a rule file or inline rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "soaconfig_parse.h"

static int set_rules_file(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_config *cfg = p->cfg;
	char msg[FERRY_RULES_ERR_MAX];
	const char *slash = strrchr(p->ini.name, '/');
	int len, err;

	if (cfg->nrules)
		return ferry_ini_key_err(&p->ini, "'file' and 'rule' exclude each other");
	if (v[0] == '/' || !slash)
		len = snprintf(cfg->rules_file, sizeof(cfg->rules_file), "%s", v);
	else
		len = snprintf(cfg->rules_file, sizeof(cfg->rules_file), "%.*s/%s",
			       (int)(slash - p->ini.name), p->ini.name, v);
	if (len < 0 || (size_t)len >= sizeof(cfg->rules_file))
		return ferry_ini_key_err(&p->ini, "path longer than %zu characters",
			       sizeof(cfg->rules_file) - 1);
	err = ferry_rules_read_alloc(cfg->rules_file, &cfg->rules, &cfg->nrules,
				     msg, sizeof(msg));
	if (err == -ENOMEM)
		return ferry_ini_oom(&p->ini);
	if (err) {
		ferry_ini_key_err(&p->ini, "%s", msg);
		p->ini.ret = err;
	}
	return err;
}

static int rule_room(struct soa_parse *p)
{
	struct ferry_soa_config *cfg = p->cfg;
	struct ferry_rule *rules;
	__u32 *lines, cap;

	if (cfg->nrules < p->rule_cap)
		return 0;
	if (cfg->nrules == FERRY_MAX_RULES)
		return ferry_ini_key_err(&p->ini, "too many rules (at most %u)", FERRY_MAX_RULES);
	cap = p->rule_cap ? p->rule_cap * 2 : 64;
	rules = realloc(cfg->rules, cap * sizeof(*rules));
	if (!rules)
		return ferry_ini_oom(&p->ini);
	cfg->rules = rules;
	lines = realloc(p->rule_line, cap * sizeof(*lines));
	if (!lines)
		return ferry_ini_oom(&p->ini);
	p->rule_line = lines;
	p->rule_cap = cap;
	return 0;
}

/* One rule per 'rule' line; as in a rule file, no 'id' means the line's. */
static int set_rule(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	struct ferry_soa_config *cfg = p->cfg;
	char msg[FERRY_RULES_ERR_MAX];
	struct ferry_rule r;
	bool explicit_id;
	__u32 i;
	int err;

	if (cfg->rules_file[0])
		return ferry_ini_key_err(&p->ini, "'file' and 'rule' exclude each other");
	err = ferry_rule_parse(v, &r, msg, sizeof(msg));
	if (err == -ENOMEM)
		return ferry_ini_oom(&p->ini);
	if (err)
		return ferry_ini_key_err(&p->ini, "%s", msg);
	explicit_id = r.id != 0;
	if (!explicit_id)
		r.id = p->ini.line;
	for (i = 0; i < cfg->nrules; i++)
		if (cfg->rules[i].id == r.id)
			return ferry_ini_key_err(&p->ini, "duplicate id %u%s: line %u has it too",
				       r.id, explicit_id ? "" : " (this rule's line number)",
				       p->rule_line[i]);
	if (rule_room(p))
		return p->ini.ret;
	p->rule_line[cfg->nrules] = p->ini.line;
	cfg->rules[cfg->nrules++] = r;
	return 0;
}

const struct ferry_ini_key soacf_rules_keys[] = {
	{ .name = "file", .set = set_rules_file },
	{ .name = "rule", .set = set_rule, .repeat = true },
	{ .name = NULL },
};

int soacf_rules_end(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;

	if (!p->cfg->rules_file[0] && !p->cfg->nrules)
		return ferry_ini_line_err(&p->ini, p->ini.sec_line, "[rules] missing key 'file' or 'rule'");
	return 0;
}
