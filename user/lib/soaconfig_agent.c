// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The agent's own settings: [agent], [table], [timeouts] and [security]. */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include "ctconfig.h"
#include "soaconfig_parse.h"

#define NS_PER_SEC	1000000000ull
#define U32(f, lo, hi)	FERRY_INI_U32(struct ferry_soa_config, f, lo, hi)
#define PATH(f)		FERRY_INI_PATH(struct ferry_soa_config, f)

static int get_bool(struct soa_parse *p, const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return ferry_ini_key_err(&p->ini, "'%s' is not yes or no", v);
}

static int set_instance(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	if (!ferry_ini_name_ok(v, FERRY_SOA_NAME_MAX))
		return ferry_ini_key_err(&p->ini, "bad name '%s': use 1-32 of [A-Za-z0-9_-]", v);
	strcpy(p->cfg->instance, v);
	return 0;
}

static int set_fast_forward(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	bool on = false;
	int err = get_bool(p, v, &on);

	if (!err && on)
		p->cfg->dp.flags |= FERRY_CFG_F_FAST_FORWARD;
	else if (!err)
		p->cfg->dp.flags &= ~FERRY_CFG_F_FAST_FORWARD;
	return err;
}

/* [timeouts]: the key is a state's name. */
static int set_timeout(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	int state = ferry_state_parse(p->ini.key);
	__u32 secs;
	int err;

	err = ferry_ini_u32(&p->ini, v, 1, FERRY_SOA_TIMEOUT_MAX, &secs);
	if (!err)
		p->cfg->dp.timeout_ns[state] = secs * NS_PER_SEC;
	return err;
}

const struct ferry_ini_key soacf_agent_keys[] = {
	{ .name = "instance", .set = set_instance, .required = true },
	{ .name = "host_id", .set = ferry_ini_set_u32, .data = U32(host_id, 1, UINT32_MAX),
	  .required = true },
	{ .name = "control_socket", .set = ferry_ini_set_path, .data = PATH(control_socket) },
	{ .name = "state_dir", .set = ferry_ini_set_path, .data = PATH(state_dir) },
	{ .name = NULL },
};

const struct ferry_ini_key soacf_table_keys[] = {
	{ .name = "ct_max", .set = ferry_ini_set_u32, .data = U32(ct_max, 1, FERRY_SOA_CT_MAX) },
	{ .name = "gc_interval", .set = ferry_ini_set_u32,
	  .data = U32(gc_interval, 1, FERRY_SOA_GC_MAX) },
	{ .name = "fast_forward", .set = set_fast_forward },
	{ .name = NULL },
};

/* Every state but NONE, as ferry_state_name() prints them, in any case. */
_Static_assert(FERRY_CT_STATE_MAX == 16, "a [timeouts] key for every state");
const struct ferry_ini_key soacf_timeout_keys[] = {
	{ .name = "syn_sent", .set = set_timeout },
	{ .name = "syn_recv", .set = set_timeout },
	{ .name = "established", .set = set_timeout },
	{ .name = "fin_wait", .set = set_timeout },
	{ .name = "close_wait", .set = set_timeout },
	{ .name = "last_ack", .set = set_timeout },
	{ .name = "time_wait", .set = set_timeout },
	{ .name = "close", .set = set_timeout },
	{ .name = "syn_sent2", .set = set_timeout },
	{ .name = "udp_unreplied", .set = set_timeout },
	{ .name = "udp_replied", .set = set_timeout },
	{ .name = "icmp_unreplied", .set = set_timeout },
	{ .name = "icmp_replied", .set = set_timeout },
	{ .name = "other_unreplied", .set = set_timeout },
	{ .name = "other_replied", .set = set_timeout },
	{ .name = NULL },
};

/* ---- [security] ----------------------------------------------------------------- */

static int set_som_address(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;

	return soacf_endpoint_parse(p, v, &p->cfg->som);
}

static int set_som_public_key(struct ferry_ini *ini, char *v)
{
	struct soa_parse *p = ini->parser;
	unsigned char bin[SOACF_LINE_MAX];
	size_t n;

	if (sodium_base642bin(bin, sizeof(bin), v, strlen(v), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return ferry_ini_key_err(&p->ini, "not valid base64");
	if (n != FERRY_SOA_KEY_LEN)
		return ferry_ini_key_err(&p->ini, "decodes to %zu bytes; an Ed25519 public key has %u",
			       n, FERRY_SOA_KEY_LEN);
	memcpy(p->cfg->som_public_key, bin, n);
	return 0;
}

const struct ferry_ini_key soacf_security_keys[] = {
	{ .name = "identity_key", .set = ferry_ini_set_path, .data = PATH(identity_key),
	  .required = true },
	{ .name = "som_address", .set = set_som_address, .required = true },
	{ .name = "som_public_key", .set = set_som_public_key, .required = true },
	{ .name = NULL },
};

int soacf_security_end(struct ferry_ini *ini)
{
	struct soa_parse *p = ini->parser;

	p->cfg->has_security = true;
	return 0;
}
