// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Notifications of the TDE: JSON form and the stream sink. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include "ferry/layout.h"
#include "tdenotify.h"

const char *ferry_tde_reason_name(enum ferry_tde_reason reason)
{
	static const char *const names[FERRY_TDE_REASON_MAX] = {
		[FERRY_TDE_REASON_ROUTE] = "route",
		[FERRY_TDE_REASON_NEIGH] = "neigh",
		[FERRY_TDE_REASON_LINK] = "link",
		[FERRY_TDE_REASON_EXPLICIT] = "explicit",
	};

	return (unsigned int)reason < FERRY_TDE_REASON_MAX ? names[reason] : "?";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ferry_tde_parse_mac(const char *s, __u8 mac[6])
{
	int i, hi, lo;

	for (i = 0; i < 6; i++, s += 3) {
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -EINVAL;
		if (i < 5 && s[2] != ':' && s[2] != '-')
			return -EINVAL;
		if (i == 5 && s[2])
			return -EINVAL;
		mac[i] = (__u8)(hi << 4 | lo);
	}
	return 0;
}

int ferry_tde_parse_addr(const char *s, struct ferry_tde_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1)
		a->family = FERRY_AF_INET;
	else if (inet_pton(AF_INET6, s, a->addr) == 1)
		a->family = FERRY_AF_INET6;
	else
		return -EINVAL;
	return 0;
}

bool ferry_tde_addr_equal(const struct ferry_tde_addr *a,
			  const struct ferry_tde_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == FERRY_AF_INET ? 4 : 16);
}

struct jbuf {
	char *buf;
	size_t size, len;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
jput(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, j->size - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= j->size - j->len)
		j->full = true;
	else
		j->len += (size_t)n;
}

/* VM names are [A-Za-z0-9_-] (tdeconfig checks) but notify --vm is free
 * text: escape what JSON needs. */
static void jstring(struct jbuf *j, const char *s)
{
	jput(j, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			jput(j, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			jput(j, "\\u%04x", (unsigned char)*s);
		else
			jput(j, "%c", *s);
	}
	jput(j, "\"");
}

static void jtime(struct jbuf *j, __u64 ns)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char buf[32];

	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	jput(j, "\"%s.%03lluZ\"", buf, (unsigned long long)(ns / 1000000ull % 1000));
}

int ferry_tde_notification_json(const struct ferry_tde_notification *n,
				char *buf, size_t size)
{
	struct jbuf j = { .buf = buf, .size = size };
	char a[INET6_ADDRSTRLEN];
	__u32 i;

	jput(&j, "{\"vm\":");
	jstring(&j, n->vm);
	jput(&j, ",\"zone\":%u,\"addresses\":[", n->zone);
	for (i = 0; i < n->naddrs && i < FERRY_TDE_ADDRS_MAX; i++) {
		inet_ntop(n->addrs[i].family, n->addrs[i].addr, a, sizeof(a));
		jput(&j, "%s\"%s\"", i ? "," : "", a);
	}
	jput(&j, "],\"mac\":");
	if (n->has_mac)
		jput(&j, "\"%02x:%02x:%02x:%02x:%02x:%02x\"", n->mac[0],
		     n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	else
		jput(&j, "null");
	jput(&j, ",\"from\":%u,\"to\":%u,\"reason\":\"%s\",\"time\":",
	     n->from_host, n->to_host, ferry_tde_reason_name(n->reason));
	jtime(&j, n->time_ns);
	jput(&j, "}");
	return j.full ? -ENOSPC : (int)j.len;
}

static int json_notify(struct ferry_tde_sink *sink,
		       const struct ferry_tde_notification *n)
{
	char buf[FERRY_TDE_JSON_MAX];
	FILE *out = sink->ctx;
	int len;

	len = ferry_tde_notification_json(n, buf, sizeof(buf));
	if (len < 0)
		return len;
	if (fprintf(out, "%s\n", buf) < 0 || fflush(out))
		return -EIO;
	return 0;
}

void ferry_tde_sink_json(struct ferry_tde_sink *sink, FILE *out)
{
	sink->notify = json_notify;
	sink->ctx = out;
}
