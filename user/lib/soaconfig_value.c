// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Values more than one section of the agent's configuration takes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "numparse.h"
#include "soaconfig_parse.h"

int soacf_addr_parse(const char *s, __u8 *family, __u8 addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		*family = FERRY_AF_INET;
	else if (inet_pton(AF_INET6, s, addr) == 1)
		*family = FERRY_AF_INET6;
	else
		return -EINVAL;
	return 0;
}

void soacf_addr_format(__u8 family, const __u8 addr[16], char *buf,
			size_t size)
{
	inet_ntop(family == FERRY_AF_INET ? AF_INET : AF_INET6, addr, buf, size);
}

int soacf_port_parse(struct soa_parse *p, const char *s, __u16 *port)
{
	__u32 v;

	if (ferry_parse_u32(s, 65535, &v) || !v)
		return ferry_ini_key_err(&p->ini, "bad port '%s': must be 1-65535", s);
	*port = (__u16)v;
	return 0;
}

/* A.B.C.D:PORT or [IPV6]:PORT */
int soacf_endpoint_parse(struct soa_parse *p, const char *v,
			  struct ferry_soa_endpoint *ep)
{
	char buf[INET6_ADDRSTRLEN + 8], *addr = buf, *colon;

	memset(ep, 0, sizeof(*ep));
	if (strlen(v) >= sizeof(buf))
		return ferry_ini_key_err(&p->ini, "'%s' is not ADDR:PORT", v);
	strcpy(buf, v);
	if (buf[0] == '[') {
		colon = strchr(buf, ']');
		if (!colon || colon[1] != ':')
			return ferry_ini_key_err(&p->ini, "'%s' has no port: expected [ADDR6]:PORT",
				       v);
		*colon++ = '\0';
		addr++;
		if (soacf_addr_parse(addr, &ep->family, ep->addr) ||
		    ep->family != FERRY_AF_INET6)
			return ferry_ini_key_err(&p->ini, "'%s': '%s' is not an IPv6 address",
				       v, addr);
		return soacf_port_parse(p, colon + 1, &ep->port);
	}
	colon = strchr(buf, ':');
	if (!colon)
		return ferry_ini_key_err(&p->ini, "'%s' has no port: expected ADDR:PORT or [ADDR6]:PORT",
			       v);
	if (strchr(colon + 1, ':'))
		return ferry_ini_key_err(&p->ini, "'%s': an IPv6 address needs brackets: [ADDR6]:PORT",
			       v);
	*colon = '\0';
	if (soacf_addr_parse(addr, &ep->family, ep->addr) ||
	    ep->family != FERRY_AF_INET)
		return ferry_ini_key_err(&p->ini, "'%s': '%s' is not an IPv4 address", v, addr);
	return soacf_port_parse(p, colon + 1, &ep->port);
}
