// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The TDE's topology model: its sections and keys as inifile.c's table,
 * each key's value checked here, and what the whole file must hold.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "ferry/layout.h"
#include "identity.h"
#include "numparse.h"
#include "inifile.h"
#include "tdeconfig.h"

#define LINE_MAX_LEN	4096
#define U32(f, lo, hi)	FERRY_INI_U32(struct ferry_tde_config, f, lo, hi)
#define PATH(f)		FERRY_INI_PATH(struct ferry_tde_config, f)

enum { SEC_TDE, SEC_WATCH, SEC_HOST, SEC_VM, SEC_MAX };

struct tde_parse {
	struct ferry_ini ini;		/* file, line, section, first error */
	struct ferry_tde_config *cfg;
	/* 'interface = WATCH/IF' may name a watch defined later */
	char (*iface_watch)[FERRY_TDE_HOSTS_MAX][FERRY_TDE_IFACES_MAX][FERRY_TDE_NAME_MAX + 1];
	__u32 iface_line[FERRY_TDE_HOSTS_MAX][FERRY_TDE_IFACES_MAX];
};

/* ---- values -------------------------------------------------------------- */

static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* Call one() on every comma-separated item of v; empty items are errors. */
static int each_item(struct tde_parse *p, char *v,
		     int (*one)(struct tde_parse *p, char *item))
{
	char *item, *save = NULL;
	const char *s;

	for (s = v; *s; s++)
		if (*s == ',' && (s == v || s[1] == '\0' || s[1 + strspn(s + 1, " \t")] == ','))
			return ferry_ini_key_err(&p->ini, "empty item in the list '%s'", v);
	for (item = strtok_r(v, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		item = trim(item);
		if (!*item)
			return ferry_ini_key_err(&p->ini, "empty item in the list");
		if (one(p, item))
			return p->ini.ret;
	}
	return 0;
}

static int get_addr(struct tde_parse *p, const char *v, struct ferry_tde_addr *a)
{
	if (ferry_tde_parse_addr(v, a))
		return ferry_ini_key_err(&p->ini, "'%s' is not an IPv4 or IPv6 address", v);
	return 0;
}

static bool addr_in(const struct ferry_tde_addr *a,
		    const struct ferry_tde_addr *list, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (ferry_tde_addr_equal(a, &list[i]))
			return true;
	return false;
}

/* ---- [tde] ------------------------------------------------------------------ */

/* Keys of the link to the SOM: all four or none. */
static int set_tde_host_id(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;

	if (ferry_parse_u32(v, UINT32_MAX, &p->cfg->host_id) || !p->cfg->host_id)
		return ferry_ini_key_err(&p->ini, "'%s' is not a host id (1..4294967295)", v);
	return 0;
}

/* A.B.C.D:PORT or [IPV6]:PORT */
static int set_som_address(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;
	char *port, *host = v;
	__u32 n;

	if (v[0] == '[') {
		port = strchr(v, ']');
		if (!port || port[1] != ':')
			return ferry_ini_key_err(&p->ini, "'%s' is not [ADDR6]:PORT", v);
		*port = '\0';
		port += 2;
		host++;
	} else {
		port = strchr(v, ':');
		if (!port || strchr(port + 1, ':'))
			return ferry_ini_key_err(&p->ini, "'%s' is not ADDR:PORT (IPv6: [ADDR6]:PORT)", v);
		*port++ = '\0';
	}
	if (ferry_parse_u32(port, 65535, &n) || !n)
		return ferry_ini_key_err(&p->ini, "bad port '%s': must be 1-65535", port);
	if (ferry_tde_parse_addr(host, &p->cfg->som) ||
	    (v[0] == '[') != (p->cfg->som.family == FERRY_AF_INET6))
		return ferry_ini_key_err(&p->ini, "'%s' is not an address", host);
	p->cfg->som_port = (__u16)n;
	return 0;
}

static int set_som_public_key(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;

	if (ferry_pubkey_from_base64(v, p->cfg->som_public_key))
		return ferry_ini_key_err(&p->ini, "not the base64 of a 32-byte Ed25519 public key");
	return 0;
}

/* ---- [watch NAME] ------------------------------------------------------------- */

static struct ferry_tde_watch *cur_watch(struct tde_parse *p)
{
	return &p->cfg->watches[p->cfg->nwatches - 1];
}

static int set_netns(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;
	struct ferry_tde_watch *w = cur_watch(p), *o;

	if (!ferry_ini_name_ok(v, FERRY_TDE_NAME_MAX))
		return ferry_ini_key_err(&p->ini, "bad namespace name '%s': use 1-32 of [A-Za-z0-9_-]", v);
	for (o = p->cfg->watches; o < w; o++)
		if (!strcmp(o->netns, v))
			return ferry_ini_key_err(&p->ini, "namespace '%s' is watched by [watch %s] already", v, o->name);
	strcpy(w->netns, v);
	return 0;
}

/* ---- [host NAME] -------------------------------------------------------------- */

static struct ferry_tde_host *cur_host(struct tde_parse *p)
{
	return &p->cfg->hosts[p->cfg->nhosts - 1];
}

static int set_host_id(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;
	struct ferry_tde_host *h = cur_host(p), *o;
	__u32 id;

	if (ferry_ini_u32(&p->ini, v, 1, UINT32_MAX, &id))
		return p->ini.ret;
	for (o = p->cfg->hosts; o < h; o++)
		if (o->id == id)
			return ferry_ini_key_err(&p->ini, "%s is the id of host '%s' already", v, o->name);
	h->id = id;
	return 0;
}

static int one_gateway(struct tde_parse *p, char *item)
{
	struct ferry_tde_host *h = cur_host(p), *o;
	struct ferry_tde_addr a;

	if (get_addr(p, item, &a))
		return p->ini.ret;
	for (o = p->cfg->hosts; o <= h; o++)
		if (addr_in(&a, o->gateways, o->ngateways))
			return ferry_ini_key_err(&p->ini, "%s is a gateway of host '%s' already", item, o->name);
	if (h->ngateways == FERRY_TDE_GWS_MAX)
		return ferry_ini_key_err(&p->ini, "too many gateways (at most %u)", FERRY_TDE_GWS_MAX);
	h->gateways[h->ngateways++] = a;
	return 0;
}

static int set_gateway(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;

	return each_item(p, v, one_gateway);
}

/* Same interface: same name, and a watch in common (-1 is every watch). */
static bool iface_clash(struct tde_parse *p, const char *watch, const char *name,
			const struct ferry_tde_host **who)
{
	const struct ferry_tde_host *o;
	__u32 hi, i;

	for (hi = 0; hi < p->cfg->nhosts; hi++) {
		o = &p->cfg->hosts[hi];
		for (i = 0; i < o->nifaces; i++) {
			if (strcmp(o->ifaces[i].name, name))
				continue;
			if (!watch[0] || !(*p->iface_watch)[hi][i][0] ||
			    !strcmp(watch, (*p->iface_watch)[hi][i])) {
				*who = o;
				return true;
			}
		}
	}
	return false;
}

static int one_iface(struct tde_parse *p, char *item)
{
	struct ferry_tde_host *h = cur_host(p);
	const struct ferry_tde_host *o;
	__u32 hi = p->cfg->nhosts - 1;
	char *slash = strchr(item, '/'), *ifname = item;
	const char *watch = "";

	if (slash) {
		*slash = '\0';
		watch = item;
		ifname = slash + 1;
		if (!ferry_ini_name_ok(watch, FERRY_TDE_NAME_MAX))
			return ferry_ini_key_err(&p->ini, "bad watch name '%s' in '%s/%s'", watch, watch, ifname);
	}
	if (!ferry_ini_ifname_ok(ifname))
		return ferry_ini_key_err(&p->ini, "bad interface name '%s'", ifname);
	if (iface_clash(p, watch, ifname, &o))
		return ferry_ini_key_err(&p->ini, "%s%s%s leads to host '%s' already", watch,
			       slash ? "/" : "", ifname, o->name);
	if (h->nifaces == FERRY_TDE_IFACES_MAX)
		return ferry_ini_key_err(&p->ini, "too many interfaces (at most %u)", FERRY_TDE_IFACES_MAX);
	strcpy((*p->iface_watch)[hi][h->nifaces], watch);
	p->iface_line[hi][h->nifaces] = p->ini.line;
	h->ifaces[h->nifaces].watch = -1;
	strcpy(h->ifaces[h->nifaces++].name, ifname);
	return 0;
}

static int set_iface(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;

	return each_item(p, v, one_iface);
}

/* ---- [vm NAME] ----------------------------------------------------------------- */

static struct ferry_tde_vm *cur_vm(struct tde_parse *p)
{
	return &p->cfg->vms[p->cfg->nvms - 1];
}

static int set_zone(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;

	return ferry_ini_u32(&p->ini, v, 0, FERRY_ZONE_ANY - 1, &cur_vm(p)->zone);
}

static int one_address(struct tde_parse *p, char *item)
{
	struct ferry_tde_vm *vm = cur_vm(p);
	struct ferry_tde_addr a;

	if (get_addr(p, item, &a))
		return p->ini.ret;
	if (addr_in(&a, vm->addrs, vm->naddrs))
		return ferry_ini_key_err(&p->ini, "%s is listed twice", item);
	if (vm->naddrs == FERRY_TDE_ADDRS_MAX)
		return ferry_ini_key_err(&p->ini, "too many addresses (at most %u)", FERRY_TDE_ADDRS_MAX);
	vm->addrs[vm->naddrs++] = a;
	return 0;
}

static int set_address(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;

	return each_item(p, v, one_address);
}

static int set_mac(struct ferry_ini *ini, char *v)
{
	struct tde_parse *p = ini->parser;
	struct ferry_tde_vm *vm = cur_vm(p), *o;

	if (ferry_tde_parse_mac(v, vm->mac))
		return ferry_ini_key_err(&p->ini, "'%s' is not a MAC address (like 02:00:00:00:00:01)", v);
	for (o = p->cfg->vms; o < vm; o++)
		if (o->has_mac && !memcmp(o->mac, vm->mac, 6))
			return ferry_ini_key_err(&p->ini, "%s is the MAC of VM '%s' already", v, o->name);
	vm->has_mac = true;
	return 0;
}

enum { VM_KEY_ZONE, VM_KEY_ADDRESS, VM_KEY_MAC };
enum { TDE_KEY_DEBOUNCE, TDE_KEY_IDENTITY, TDE_KEY_HOST_ID, TDE_KEY_SOM_ADDRESS,
       TDE_KEY_SOM_PUBLIC_KEY };

static const struct ferry_ini_key tde_keys[] = {
	[TDE_KEY_DEBOUNCE] = { .name = "debounce_ms", .set = ferry_ini_set_u32,
			       .data = U32(debounce_ms, 0, FERRY_TDE_DEBOUNCE_MAX) },
	/* the link to the SOM: all four or none */
	[TDE_KEY_IDENTITY] = { .name = "identity_key", .set = ferry_ini_set_path,
			       .data = PATH(identity_key) },
	[TDE_KEY_HOST_ID] = { .name = "host_id", .set = set_tde_host_id },
	[TDE_KEY_SOM_ADDRESS] = { .name = "som_address", .set = set_som_address },
	[TDE_KEY_SOM_PUBLIC_KEY] = { .name = "som_public_key", .set = set_som_public_key },
	{ .name = NULL },
};

static const struct ferry_ini_key watch_keys[] = {
	{ .name = "netns", .set = set_netns },
	{ .name = NULL },
};

static const struct ferry_ini_key host_keys[] = {
	{ .name = "id", .set = set_host_id, .required = true },
	{ .name = "gateway", .set = set_gateway, .repeat = true },
	{ .name = "interface", .set = set_iface, .repeat = true },
	{ .name = NULL },
};

static const struct ferry_ini_key vm_keys[] = {
	[VM_KEY_ZONE] = { .name = "zone", .set = set_zone },
	[VM_KEY_ADDRESS] = { .name = "address", .set = set_address,
			     .required = true, .repeat = true },
	[VM_KEY_MAC] = { .name = "mac", .set = set_mac },
	{ .name = NULL },
};

/* ---- sections -------------------------------------------------------------------- */

/* A new watch, host or VM: its name and the line of its header. */
static int begin_named(struct ferry_ini *ini, unsigned int sec, const char *name)
{
	struct tde_parse *p = ini->parser;
	struct ferry_tde_config *c = p->cfg;
	__u32 *line;
	char *dst;

	switch (sec) {
	case SEC_WATCH:
		dst = c->watches[c->nwatches].name;
		line = &c->watches[c->nwatches++].line;
		break;
	case SEC_HOST:
		dst = c->hosts[c->nhosts].name;
		line = &c->hosts[c->nhosts++].line;
		break;
	default:
		dst = c->vms[c->nvms].name;
		line = &c->vms[c->nvms++].line;
	}
	strcpy(dst, name);
	*line = p->ini.line;
	return 0;
}

static int end_host(struct ferry_ini *ini)
{
	struct tde_parse *p = ini->parser;

	if (!cur_host(p)->ngateways && !cur_host(p)->nifaces)
		return ferry_ini_line_err(&p->ini, p->ini.sec_line, "[%s] missing key 'gateway' or 'interface': how is its path recognised?",
				p->ini.section);
	return 0;
}

/* Two VMs of a zone must not share an address: checked as each VM ends. */
static int end_vm(struct ferry_ini *ini)
{
	struct tde_parse *p = ini->parser;
	struct ferry_tde_vm *vm = cur_vm(p), *o;
	char a[64];
	__u32 i;

	for (o = p->cfg->vms; o < vm; o++) {
		if (o->zone != vm->zone)
			continue;
		for (i = 0; i < vm->naddrs; i++) {
			if (!addr_in(&vm->addrs[i], o->addrs, o->naddrs))
				continue;
			inet_ntop(vm->addrs[i].family, vm->addrs[i].addr, a, sizeof(a));
			return ferry_ini_line_err(&p->ini, p->ini.key_line[VM_KEY_ADDRESS],
					"[%s] address: %s is an address of VM '%s' in zone %u already",
					p->ini.section, a, o->name, o->zone);
		}
	}
	return 0;
}

static const struct ferry_ini_section sections[SEC_MAX] = {
	[SEC_TDE] = { .name = "tde", .keys = tde_keys },
	[SEC_WATCH] = { .name = "watch", .keys = watch_keys, .named = true,
			.max = FERRY_TDE_WATCHES_MAX, .many = "watch sections" },
	[SEC_HOST] = { .name = "host", .keys = host_keys, .end = end_host, .named = true,
		       .max = FERRY_TDE_HOSTS_MAX, .many = "host sections" },
	[SEC_VM] = { .name = "vm", .keys = vm_keys, .end = end_vm, .named = true,
		     .max = FERRY_TDE_VMS_MAX, .many = "vm sections" },
};

static const struct ferry_ini_format format = {
	.secs = sections,
	.nsecs = SEC_MAX,
	.line_max = LINE_MAX_LEN,
	.begin = begin_named,
};

/* ---- the whole file --------------------------------------------------------------- */

static int watch_by_name(const struct ferry_tde_config *cfg, const char *name)
{
	__u32 i;

	for (i = 0; i < cfg->nwatches; i++)
		if (!strcmp(cfg->watches[i].name, name))
			return (int)i;
	return -1;
}

/* Resolve 'interface = WATCH/IF' now that every watch is known. */
static int resolve_ifaces(struct tde_parse *p)
{
	struct ferry_tde_host *h;
	const char *w;
	__u32 hi, i;

	for (hi = 0; hi < p->cfg->nhosts; hi++) {
		h = &p->cfg->hosts[hi];
		for (i = 0; i < h->nifaces; i++) {
			w = (*p->iface_watch)[hi][i];
			if (!w[0])
				continue;
			h->ifaces[i].watch = watch_by_name(p->cfg, w);
			if (h->ifaces[i].watch < 0)
				return ferry_ini_line_err(&p->ini, p->iface_line[hi][i],
						"[host %s] interface: no section [watch %s]",
						h->name, w);
		}
	}
	return 0;
}

/* Two watch points in one namespace would see every event twice. */
static int check_watches(struct tde_parse *p)
{
	const struct ferry_tde_watch *w, *o;

	for (w = p->cfg->watches; w < p->cfg->watches + p->cfg->nwatches; w++)
		for (o = p->cfg->watches; o < w; o++)
			if (!w->netns[0] && !o->netns[0])
				return ferry_ini_line_err(&p->ini, w->line, "[watch %s] watches ferry-tde's own namespace, as [watch %s] does: give one a netns",
						w->name, o->name);
	return 0;
}

/* The link to the SOM is configured whole or not at all. */
static int check_som(struct tde_parse *p)
{
	struct ferry_tde_config *c = p->cfg;
	static const __u8 zero[32];
	bool any, all;

	any = c->identity_key[0] || c->host_id || c->som_port ||
	      memcmp(c->som_public_key, zero, 32);
	all = c->identity_key[0] && c->host_id && c->som_port &&
	      memcmp(c->som_public_key, zero, 32);
	if (any && !all)
		return ferry_ini_line_err(&p->ini, p->ini.first[SEC_TDE] ?: 1,
				"[tde]: identity_key, host_id, som_address and som_public_key "
				"go together (the link to the SOM): some are missing");
	c->has_som = all;
	return 0;
}

static int end_of_file(struct tde_parse *p)
{
	if (check_watches(p) || check_som(p) || ferry_ini_need(&p->ini, SEC_WATCH) ||
	    ferry_ini_need(&p->ini, SEC_HOST) || ferry_ini_need(&p->ini, SEC_VM))
		return p->ini.ret;
	return resolve_ifaces(p);
}

static int parse_all(struct tde_parse *p)
{
	int ret;

	ret = ferry_ini_parse(&p->ini, &format, p);
	if (ret)
		return ret;
	return end_of_file(p);
}

int ferry_tde_config_parse(const char *text, const char *name,
			   struct ferry_tde_config **cfg, char *err,
			   size_t errlen)
{
	struct tde_parse *p;
	int ret = -ENOMEM;

	*cfg = NULL;
	if (errlen)
		err[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (!p)
		goto out_msg;
	p->iface_watch = calloc(1, sizeof(*p->iface_watch));
	p->cfg = calloc(1, sizeof(*p->cfg));
	if (!p->iface_watch || !p->cfg)
		goto out_free;
	p->ini.name = name;
	p->ini.text = text;
	p->ini.cfg = p->cfg;
	p->ini.err = err;
	p->ini.errlen = errlen;
	p->cfg->debounce_ms = FERRY_TDE_DEBOUNCE_DEFAULT;
	ret = parse_all(p);
	if (!ret) {
		*cfg = p->cfg;
		p->cfg = NULL;
	}
out_free:
	free(p->cfg);
	free(p->iface_watch);
	free(p);
out_msg:
	if (ret == -ENOMEM && errlen && !err[0])
		snprintf(err, errlen, "%s: out of memory", name);
	return ret;
}

int ferry_tde_config_read(const char *path, struct ferry_tde_config **cfg,
			  char *err, size_t errlen)
{
	char *text = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int ret;

	*cfg = NULL;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	len = getdelim(&text, &cap, '\0', f);
	if (len < 0 && !ferror(f))
		len = 0;
	if (len < 0 || ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		ret = -EIO;
	} else if (!feof(f) || (text && strlen(text) != (size_t)len)) {
		snprintf(err, errlen, "%s: NUL byte in the file", path);
		ret = -EINVAL;
	} else {
		ret = ferry_tde_config_parse(text ? text : "", path, cfg, err, errlen);
	}
	free(text);
	fclose(f);
	return ret;
}

static bool iface_match(const struct ferry_tde_host *h, int watch,
			const char *ifname)
{
	__u32 i;

	for (i = 0; i < h->nifaces; i++)
		if ((h->ifaces[i].watch < 0 || h->ifaces[i].watch == watch) &&
		    !strcmp(h->ifaces[i].name, ifname))
			return true;
	return false;
}

int ferry_tde_host_match(const struct ferry_tde_config *cfg, int watch,
			 const char *ifname, const struct ferry_tde_addr *gw)
{
	__u32 i;

	if (gw)
		for (i = 0; i < cfg->nhosts; i++)
			if (addr_in(gw, cfg->hosts[i].gateways, cfg->hosts[i].ngateways))
				return (int)i;
	if (ifname)
		for (i = 0; i < cfg->nhosts; i++)
			if (iface_match(&cfg->hosts[i], watch, ifname))
				return (int)i;
	return -1;
}

int ferry_tde_host_by_id(const struct ferry_tde_config *cfg, __u32 id)
{
	__u32 i;

	for (i = 0; i < cfg->nhosts; i++)
		if (cfg->hosts[i].id == id)
			return (int)i;
	return -1;
}

int ferry_tde_host_by_name(const struct ferry_tde_config *cfg, const char *name)
{
	__u32 i;

	for (i = 0; i < cfg->nhosts; i++)
		if (!strcmp(cfg->hosts[i].name, name))
			return (int)i;
	return -1;
}

int ferry_tde_vm_by_name(const struct ferry_tde_config *cfg, const char *name)
{
	__u32 i;

	for (i = 0; i < cfg->nvms; i++)
		if (!strcmp(cfg->vms[i].name, name))
			return (int)i;
	return -1;
}
