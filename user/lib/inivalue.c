// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Messages about an INI file, and checks of the values its parsers share. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include "inifile.h"
#include "numparse.h"

static int line_verr(struct ferry_ini *ini, __u32 line, const char *fmt,
		     va_list ap)
{
	char msg[FERRY_INI_MSG_MAX];

	if (ini->ret)
		return ini->ret;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (ini->errlen)
		snprintf(ini->err, ini->errlen, "%s:%u: %s", ini->name, line, msg);
	ini->ret = -EINVAL;
	return ini->ret;
}

int ferry_ini_line_err(struct ferry_ini *ini, __u32 line, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = line_verr(ini, line, fmt, ap);
	va_end(ap);
	return ret;
}

int ferry_ini_err(struct ferry_ini *ini, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = line_verr(ini, ini->line, fmt, ap);
	va_end(ap);
	return ret;
}

int ferry_ini_key_err(struct ferry_ini *ini, const char *fmt, ...)
{
	char msg[FERRY_INI_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ferry_ini_line_err(ini, ini->line, "[%s] %s: %s", ini->section,
				  ini->key, msg);
}

int ferry_ini_oom(struct ferry_ini *ini)
{
	if (!ini->ret && ini->errlen)
		snprintf(ini->err, ini->errlen, "%s: out of memory", ini->name);
	if (!ini->ret)
		ini->ret = -ENOMEM;
	return ini->ret;
}

bool ferry_ini_name_ok(const char *s, size_t max)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return n >= 1 && n <= max && !s[n];
}

bool ferry_ini_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < IF_NAMESIZE && strcmp(s, ".") && strcmp(s, "..") &&
	       !strpbrk(s, "/: \t");
}

int ferry_ini_u32(struct ferry_ini *ini, const char *v, __u32 min, __u32 max,
		  __u32 *out)
{
	__u64 n;
	int err = ferry_parse_u64(v, UINT64_MAX, &n);

	if (err == -EINVAL)
		return ferry_ini_key_err(ini, "'%s' is not a number", v);
	if (err || n < min || n > max)
		return ferry_ini_key_err(ini, "%s is out of range (%u..%u)", v,
					 min, max);
	*out = (__u32)n;
	return 0;
}

int ferry_ini_path(struct ferry_ini *ini, const char *v, char *out,
		   size_t size)
{
	if (v[0] != '/')
		return ferry_ini_key_err(ini, "'%s' is not an absolute path", v);
	if (strlen(v) >= size)
		return ferry_ini_key_err(ini, "path longer than %zu characters",
					 size - 1);
	strcpy(out, v);
	return 0;
}

int ferry_ini_set_u32(struct ferry_ini *ini, char *v)
{
	const struct ferry_ini_field *f = ini->def->data;

	return ferry_ini_u32(ini, v, f->min, f->max,
			     (__u32 *)((char *)ini->obj + f->off));
}

int ferry_ini_set_path(struct ferry_ini *ini, char *v)
{
	const struct ferry_ini_field *f = ini->def->data;

	return ferry_ini_path(ini, v, (char *)ini->obj + f->off, f->max);
}
