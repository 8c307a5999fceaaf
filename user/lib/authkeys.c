// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The authorized-keys file; see authkeys.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "authkeys.h"
#include "identity.h"
#include "numparse.h"

#define LINE_MAX_LEN	4096
#define FILE_MAX_LEN	(16u << 20)

struct ak_parse {
	const char *fname;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int ak_fail(struct ak_parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ak_fail(struct ak_parse *p, const char *fmt, ...)
{
	char msg[FERRY_AUTHKEYS_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->fname, p->line, msg);
	return -EINVAL;
}

static int parse_prefix(struct ak_parse *p, char *s, struct ferry_prefix *pf)
{
	char *slash = strchr(s, '/');
	__u32 len, max, i;

	memset(pf, 0, sizeof(*pf));
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, s, pf->addr) == 1) {
		pf->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, s, pf->addr) == 1) {
		pf->family = AF_INET6;
		max = 128;
	} else {
		return ak_fail(p, "'%s' is not an IPv4 or IPv6 address", s);
	}
	len = max;
	if (slash && ferry_parse_u32(slash + 1, max, &len))
		return ak_fail(p, "'%s' is not a prefix length 0..%u for %s", slash + 1,
			       max, s);
	for (i = len; i < max; i++)
		if (pf->addr[i / 8] & (0x80 >> (i % 8)))
			return ak_fail(p, "%s/%u has host bits set", s, len);
	pf->len = len;
	return 0;
}

static int parse_addrs(struct ak_parse *p, char *list, struct ferry_authkey *k)
{
	char *save, *tok;
	int ret;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (k->nprefixes + 2 > FERRY_AUTHKEY_PREFIX_MAX)
			return ak_fail(p, "more than %u addresses",
				       FERRY_AUTHKEY_PREFIX_MAX - 1);
		if (!strcmp(tok, "any")) {
			k->prefixes[k->nprefixes++].family = AF_INET;
			k->prefixes[k->nprefixes++].family = AF_INET6;
			continue;
		}
		ret = parse_prefix(p, tok, &k->prefixes[k->nprefixes]);
		if (ret)
			return ret;
		k->nprefixes++;
	}
	if (!k->nprefixes)
		return ak_fail(p, "no address");
	return 0;
}

/* One non-comment line: four fields. */
static int parse_line(struct ak_parse *p, char *line, struct ferry_authkey *k)
{
	char *f[5], *save;
	int n = 0;

	memset(k, 0, sizeof(*k));
	k->line = p->line;
	for (f[n] = strtok_r(line, " \t", &save); f[n] && n < 4;
	     f[++n] = strtok_r(NULL, " \t", &save))
		;
	if (n != 4 || f[4])
		return ak_fail(p, "%s%d fields, expected 4: KEY ROLE HOST_ID ADDRS",
			       n == 4 ? "more than " : "", n);
	if (ferry_pubkey_from_base64(f[0], k->pk))
		return ak_fail(p, "key '%.50s' is not the base64 of 32 bytes", f[0]);
	if (!strcmp(f[1], "soa"))
		k->role = FERRY_ROLE_SOA;
	else if (!strcmp(f[1], "tde"))
		k->role = FERRY_ROLE_TDE;
	else
		return ak_fail(p, "role '%.20s' is not soa or tde", f[1]);
	if (ferry_parse_u32(f[2], UINT32_MAX, &k->host_id) || !k->host_id)
		return ak_fail(p, "host id '%.20s' is not 1..4294967295", f[2]);
	return parse_addrs(p, f[3], k);
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(((const struct ferry_authkey *)a)->pk,
		      ((const struct ferry_authkey *)b)->pk, FERRY_WIRE_KEY_LEN);
}

/* Sort, then refuse a key listed twice. */
static int sort_check(struct ak_parse *p, struct ferry_authkeys *ak)
{
	size_t i;

	if (ak->n < 2)
		return 0;
	qsort(ak->keys, ak->n, sizeof(ak->keys[0]), cmp_key);
	for (i = 1; i < ak->n; i++) {
		if (cmp_key(&ak->keys[i - 1], &ak->keys[i]))
			continue;
		p->line = ak->keys[i - 1].line > ak->keys[i].line ?
			  ak->keys[i - 1].line : ak->keys[i].line;
		return ak_fail(p, "key already listed on line %u",
			       ak->keys[i - 1].line < ak->keys[i].line ?
			       ak->keys[i - 1].line : ak->keys[i].line);
	}
	return 0;
}

/* Add the line at s..len to ak. */
static int take_line(struct ak_parse *p, const char *s, size_t len,
		     struct ferry_authkeys *ak, size_t *cap)
{
	char line[LINE_MAX_LEN];
	struct ferry_authkey *k;
	size_t i = 0;

	if (len >= sizeof(line))
		return ak_fail(p, "line longer than %d bytes", LINE_MAX_LEN - 1);
	memcpy(line, s, len);
	line[len] = '\0';
	while (line[i] == ' ' || line[i] == '\t')
		i++;
	if (!line[i] || line[i] == '#')
		return 0;
	if (ak->n == FERRY_AUTHKEYS_MAX)
		return ak_fail(p, "more than %d keys", FERRY_AUTHKEYS_MAX);
	if (ak->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		k = realloc(ak->keys, *cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		ak->keys = k;
	}
	if (parse_line(p, line + i, &ak->keys[ak->n]))
		return -EINVAL;
	ak->n++;
	return 0;
}

int ferry_authkeys_parse(const char *text, const char *fname,
			 struct ferry_authkeys **out, char *err, size_t errlen)
{
	struct ak_parse p = { fname, 0, err, errlen };
	struct ferry_authkeys *ak;
	const char *s = text, *nl;
	size_t cap = 0;
	int ret = 0;

	ak = calloc(1, sizeof(*ak));
	if (!ak)
		return -ENOMEM;
	for (; *s; s = nl + 1) {
		p.line++;
		nl = strchrnul(s, '\n');
		ret = take_line(&p, s, nl - s, ak, &cap);
		if (ret)
			goto out_free;
		if (!*nl)
			break;
	}
	ret = sort_check(&p, ak);
	if (ret)
		goto out_free;
	*out = ak;
	return 0;
out_free:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", fname);
	ferry_authkeys_free(ak);
	return ret;
}

int ferry_authkeys_load(const char *path, struct ferry_authkeys **out,
			char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text;
	size_t n;
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	text = malloc(FILE_MAX_LEN + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(text, 1, FILE_MAX_LEN + 1, f);
	if (ferror(f) || n > FILE_MAX_LEN) {
		snprintf(err, errlen, "%s: %s", path,
			 ferror(f) ? "read error" : "larger than 16 MiB");
		ret = -EINVAL;
		goto out;
	}
	text[n] = '\0';
	if (strlen(text) != n) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		ret = -EINVAL;
		goto out;
	}
	ret = ferry_authkeys_parse(text, path, out, err, errlen);
out:
	free(text);
	fclose(f);
	return ret;
}

void ferry_authkeys_free(struct ferry_authkeys *ak)
{
	if (!ak)
		return;
	free(ak->keys);
	free(ak);
}

const struct ferry_authkey *ferry_authkeys_find(const struct ferry_authkeys *ak,
						const __u8 pk[FERRY_WIRE_KEY_LEN])
{
	struct ferry_authkey key;

	if (!ak->n)
		return NULL;
	memcpy(key.pk, pk, sizeof(key.pk));
	return bsearch(&key, ak->keys, ak->n, sizeof(key), cmp_key);
}

static bool prefix_match(const struct ferry_prefix *pf, int family, const __u8 *addr)
{
	unsigned int full = pf->len / 8, rest = pf->len % 8;

	if (pf->family != family || memcmp(pf->addr, addr, full))
		return false;
	return !rest || !((pf->addr[full] ^ addr[full]) & (0xff00 >> rest));
}

bool ferry_authkey_allows(const struct ferry_authkey *k, const struct sockaddr *src)
{
	const struct sockaddr_in6 *s6 = (const void *)src;
	const struct sockaddr_in *s4 = (const void *)src;
	const __u8 *addr;
	int family = src->sa_family;
	unsigned int i;

	if (family == AF_INET) {
		addr = (const __u8 *)&s4->sin_addr;
	} else if (family == AF_INET6) {
		addr = s6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			family = AF_INET;
			addr += 12;
		}
	} else {
		return false;
	}
	for (i = 0; i < k->nprefixes; i++)
		if (prefix_match(&k->prefixes[i], family, addr))
			return true;
	return false;
}

int ferry_authkeys_check(const struct ferry_authkeys *ak,
			 const __u8 pk[FERRY_WIRE_KEY_LEN], __u8 role, __u32 host_id,
			 const struct sockaddr *src, char *why, size_t whylen)
{
	const struct ferry_authkey *k = ferry_authkeys_find(ak, pk);
	char b64[FERRY_PUBKEY_B64_LEN];

	ferry_pubkey_to_base64(pk, b64);
	if (!k) {
		snprintf(why, whylen, "key %s is not authorized", b64);
		return FERRY_REASON_UNKNOWN_KEY;
	}
	if (k->role != role) {
		snprintf(why, whylen, "key %s (line %u) has role %s, not %s", b64,
			 k->line, k->role == FERRY_ROLE_SOA ? "soa" : "tde",
			 role == FERRY_ROLE_SOA ? "soa" : role == FERRY_ROLE_TDE ?
			 "tde" : "other");
		return FERRY_REASON_ROLE;
	}
	if (k->host_id != host_id) {
		snprintf(why, whylen, "key %s (line %u) is host %u, not %u", b64,
			 k->line, k->host_id, host_id);
		return FERRY_REASON_HOST_ID;
	}
	if (!src || !ferry_authkey_allows(k, src)) {
		snprintf(why, whylen, "key %s (line %u): source address not allowed",
			 b64, k->line);
		return FERRY_REASON_ADDRESS;
	}
	return FERRY_REASON_OK;
}
