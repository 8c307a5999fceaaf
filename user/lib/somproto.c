// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * REGISTER, REGISTERED, HEARTBEAT and NOTIFY (somproto.h): one schema
 * table per message for the strict msgpack reader, then the checks a
 * schema cannot express (ranges tied to other fields, printable names).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "mpk.h"
#include "somproto.h"

#define U32	0xffffffffull
#define U64	0xffffffffffffffffull

static const struct ferry_mpk_field register_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "host_id", FERRY_MPK_UINT, 0, U32 },
	{ "name", FERRY_MPK_BIN, 0, FERRY_WIRE_NAME_MAX },
	{ "addresses", FERRY_MPK_BIN, FERRY_WIRE_ADDR_LEN,
	  FERRY_WIRE_ADDR_LEN * FERRY_WIRE_HOST_ADDRS_MAX },
	{ "functions", FERRY_MPK_UINT, 0, FERRY_FN_ALL },
	{ "schema_min", FERRY_MPK_UINT, 0, 65535 },
	{ "schema_max", FERRY_MPK_UINT, 0, 65535 },
	{ "capacity", FERRY_MPK_UINT, 0, U32 },
	{ "load", FERRY_MPK_UINT, 0, U64 },
};

static const struct ferry_mpk_field registered_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "host_id", FERRY_MPK_UINT, 0, U32 },
	{ "heartbeat_ms", FERRY_MPK_UINT, 0, U32 },
	{ "lost_ms", FERRY_MPK_UINT, 0, U32 },
};

static const struct ferry_mpk_field heartbeat_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "load", FERRY_MPK_UINT, 0, U64 },
};

static const struct ferry_mpk_field notify_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "vm", FERRY_MPK_BIN, 0, FERRY_WIRE_NAME_MAX },
	{ "zone", FERRY_MPK_UINT, 0, U32 },
	{ "addresses", FERRY_MPK_BIN, 0,
	  FERRY_WIRE_ADDR_LEN * FERRY_WIRE_VM_ADDRS_MAX },
	{ "mac", FERRY_MPK_BIN, 0, 6 },
	{ "from_host", FERRY_MPK_UINT, 0, U32 },
	{ "to_host", FERRY_MPK_UINT, 0, U32 },
	{ "reason", FERRY_MPK_UINT, 0, 3 },
	{ "time_ms", FERRY_MPK_UINT, 0, U64 },
};

#define NFIELDS(f)	(sizeof(f) / sizeof((f)[0]))

static int __attribute__((format(printf, 3, 4)))
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static int finish(struct ferry_mpk_buf *b)
{
	return b->overflow ? -ENOSPC : (int)b->len;
}

static void put_addrs(struct ferry_mpk_buf *b, const struct ferry_wire_addr *a,
		      __u32 n)
{
	__u8 raw[FERRY_WIRE_ADDR_LEN * FERRY_WIRE_HOST_ADDRS_MAX];
	__u32 i;

	for (i = 0; i < n; i++) {
		raw[i * FERRY_WIRE_ADDR_LEN] = a[i].family;
		memcpy(raw + i * FERRY_WIRE_ADDR_LEN + 1, a[i].addr, 16);
	}
	ferry_mpk_put_bin(b, raw, n * FERRY_WIRE_ADDR_LEN);
}

static int get_addrs(const struct ferry_mpk_value *v, struct ferry_wire_addr *a,
		     __u32 *n, char *err, size_t errlen)
{
	static const __u8 zero[12];
	__u32 i;

	if (v->len % FERRY_WIRE_ADDR_LEN)
		return bad(err, errlen, "addresses: %u bytes is not a multiple of %u",
			   v->len, FERRY_WIRE_ADDR_LEN);
	*n = v->len / FERRY_WIRE_ADDR_LEN;
	for (i = 0; i < *n; i++) {
		a[i].family = v->bin[i * FERRY_WIRE_ADDR_LEN];
		memcpy(a[i].addr, v->bin + i * FERRY_WIRE_ADDR_LEN + 1, 16);
		if (a[i].family != 4 && a[i].family != 6)
			return bad(err, errlen, "addresses: entry %u: family %u is not 4 or 6",
				   i, a[i].family);
		if (a[i].family == 4 && memcmp(a[i].addr + 4, zero, 12))
			return bad(err, errlen, "addresses: entry %u: IPv4 with bytes past the 4th",
				   i);
	}
	return 0;
}

static int get_name(const struct ferry_mpk_value *v, const char *what,
		    char *out, char *err, size_t errlen)
{
	__u32 i;

	for (i = 0; i < v->len; i++)
		if (v->bin[i] < 0x21 || v->bin[i] > 0x7e)
			return bad(err, errlen, "%s: byte %u is not printable ASCII",
				   what, i);
	memcpy(out, v->bin, v->len);
	out[v->len] = '\0';
	return 0;
}

static int check_type(const struct ferry_mpk_value *v, __u8 want, char *err,
		      size_t errlen)
{
	if (v->u != want)
		return bad(err, errlen, "type: %llu in a record of type %u",
			   (unsigned long long)v->u, want);
	return 0;
}

int ferry_register_encode(const struct ferry_host_profile *p, __u8 *buf,
			  size_t size)
{
	struct ferry_mpk_buf b;

	if (p->naddrs < 1 || p->naddrs > FERRY_WIRE_HOST_ADDRS_MAX)
		return -EINVAL;
	ferry_mpk_init(&b, buf, size);
	ferry_mpk_put_map(&b, NFIELDS(register_fields));
	ferry_mpk_put_uint(&b, 0);
	ferry_mpk_put_uint(&b, FERRY_MSG_REGISTER);
	ferry_mpk_put_uint(&b, 1);
	ferry_mpk_put_uint(&b, p->host_id);
	ferry_mpk_put_uint(&b, 2);
	ferry_mpk_put_bin(&b, p->name, (__u32)strlen(p->name));
	ferry_mpk_put_uint(&b, 3);
	put_addrs(&b, p->addrs, p->naddrs);
	ferry_mpk_put_uint(&b, 4);
	ferry_mpk_put_uint(&b, p->functions);
	ferry_mpk_put_uint(&b, 5);
	ferry_mpk_put_uint(&b, p->schema_min);
	ferry_mpk_put_uint(&b, 6);
	ferry_mpk_put_uint(&b, p->schema_max);
	ferry_mpk_put_uint(&b, 7);
	ferry_mpk_put_uint(&b, p->capacity);
	ferry_mpk_put_uint(&b, 8);
	ferry_mpk_put_uint(&b, p->load);
	return finish(&b);
}

int ferry_register_decode(const __u8 *msg, size_t len,
			  struct ferry_host_profile *p, char *err, size_t errlen)
{
	struct ferry_mpk_value v[NFIELDS(register_fields)];
	int ret;

	memset(p, 0, sizeof(*p));
	ret = ferry_mpk_decode(msg, len, register_fields, NFIELDS(register_fields),
			       v, err, errlen);
	if (ret)
		return -EBADMSG;
	ret = check_type(&v[0], FERRY_MSG_REGISTER, err, errlen) ?:
	      get_name(&v[2], "name", p->name, err, errlen) ?:
	      get_addrs(&v[3], p->addrs, &p->naddrs, err, errlen);
	if (ret)
		return ret;
	if (!v[1].u)
		return bad(err, errlen, "host_id: 0 is not a host id");
	if (!v[5].u || v[5].u > v[6].u)
		return bad(err, errlen, "schema_min..schema_max: %llu..%llu is empty",
			   (unsigned long long)v[5].u, (unsigned long long)v[6].u);
	p->host_id = (__u32)v[1].u;
	p->functions = (__u32)v[4].u;
	p->schema_min = (__u32)v[5].u;
	p->schema_max = (__u32)v[6].u;
	p->capacity = (__u32)v[7].u;
	p->load = v[8].u;
	return 0;
}

int ferry_registered_encode(const struct ferry_registered *r, __u8 *buf,
			    size_t size)
{
	struct ferry_mpk_buf b;

	ferry_mpk_init(&b, buf, size);
	ferry_mpk_put_map(&b, NFIELDS(registered_fields));
	ferry_mpk_put_uint(&b, 0);
	ferry_mpk_put_uint(&b, FERRY_MSG_REGISTERED);
	ferry_mpk_put_uint(&b, 1);
	ferry_mpk_put_uint(&b, r->host_id);
	ferry_mpk_put_uint(&b, 2);
	ferry_mpk_put_uint(&b, r->heartbeat_ms);
	ferry_mpk_put_uint(&b, 3);
	ferry_mpk_put_uint(&b, r->lost_ms);
	return finish(&b);
}

int ferry_registered_decode(const __u8 *msg, size_t len,
			    struct ferry_registered *r, char *err, size_t errlen)
{
	struct ferry_mpk_value v[NFIELDS(registered_fields)];
	int ret;

	if (ferry_mpk_decode(msg, len, registered_fields,
			     NFIELDS(registered_fields), v, err, errlen))
		return -EBADMSG;
	ret = check_type(&v[0], FERRY_MSG_REGISTERED, err, errlen);
	if (ret)
		return ret;
	if (!v[2].u || v[3].u <= v[2].u)
		return bad(err, errlen, "heartbeat_ms %llu, lost_ms %llu: need 0 < heartbeat < lost",
			   (unsigned long long)v[2].u, (unsigned long long)v[3].u);
	r->host_id = (__u32)v[1].u;
	r->heartbeat_ms = (__u32)v[2].u;
	r->lost_ms = (__u32)v[3].u;
	return 0;
}

int ferry_heartbeat_encode(const struct ferry_heartbeat *h, __u8 *buf,
			   size_t size)
{
	struct ferry_mpk_buf b;

	ferry_mpk_init(&b, buf, size);
	ferry_mpk_put_map(&b, NFIELDS(heartbeat_fields));
	ferry_mpk_put_uint(&b, 0);
	ferry_mpk_put_uint(&b, FERRY_MSG_HEARTBEAT);
	ferry_mpk_put_uint(&b, 1);
	ferry_mpk_put_uint(&b, h->load);
	return finish(&b);
}

int ferry_heartbeat_decode(const __u8 *msg, size_t len,
			   struct ferry_heartbeat *h, char *err, size_t errlen)
{
	struct ferry_mpk_value v[NFIELDS(heartbeat_fields)];

	if (ferry_mpk_decode(msg, len, heartbeat_fields,
			     NFIELDS(heartbeat_fields), v, err, errlen))
		return -EBADMSG;
	h->load = v[1].u;
	return check_type(&v[0], FERRY_MSG_HEARTBEAT, err, errlen);
}

int ferry_notify_encode(const struct ferry_notify *n, __u8 *buf, size_t size)
{
	struct ferry_mpk_buf b;

	if (n->naddrs > FERRY_WIRE_VM_ADDRS_MAX)
		return -EINVAL;
	ferry_mpk_init(&b, buf, size);
	ferry_mpk_put_map(&b, NFIELDS(notify_fields));
	ferry_mpk_put_uint(&b, 0);
	ferry_mpk_put_uint(&b, FERRY_MSG_NOTIFY);
	ferry_mpk_put_uint(&b, 1);
	ferry_mpk_put_bin(&b, n->vm, (__u32)strlen(n->vm));
	ferry_mpk_put_uint(&b, 2);
	ferry_mpk_put_uint(&b, n->zone);
	ferry_mpk_put_uint(&b, 3);
	put_addrs(&b, n->addrs, n->naddrs);
	ferry_mpk_put_uint(&b, 4);
	ferry_mpk_put_bin(&b, n->mac, n->has_mac ? 6 : 0);
	ferry_mpk_put_uint(&b, 5);
	ferry_mpk_put_uint(&b, n->from_host);
	ferry_mpk_put_uint(&b, 6);
	ferry_mpk_put_uint(&b, n->to_host);
	ferry_mpk_put_uint(&b, 7);
	ferry_mpk_put_uint(&b, n->reason);
	ferry_mpk_put_uint(&b, 8);
	ferry_mpk_put_uint(&b, n->time_ms);
	return finish(&b);
}

int ferry_notify_decode(const __u8 *msg, size_t len, struct ferry_notify *n,
			char *err, size_t errlen)
{
	struct ferry_mpk_value v[NFIELDS(notify_fields)];
	int ret;

	memset(n, 0, sizeof(*n));
	if (ferry_mpk_decode(msg, len, notify_fields, NFIELDS(notify_fields), v,
			     err, errlen))
		return -EBADMSG;
	ret = check_type(&v[0], FERRY_MSG_NOTIFY, err, errlen) ?:
	      get_name(&v[1], "vm", n->vm, err, errlen) ?:
	      get_addrs(&v[3], n->addrs, &n->naddrs, err, errlen);
	if (ret)
		return ret;
	if (v[4].len != 0 && v[4].len != 6)
		return bad(err, errlen, "mac: %u bytes, not 0 or 6", v[4].len);
	n->has_mac = v[4].len == 6;
	if (n->has_mac)
		memcpy(n->mac, v[4].bin, 6);
	if (!n->vm[0] && !n->naddrs && !n->has_mac)
		return bad(err, errlen, "vm, addresses, mac: no identity of the VM");
	if (!v[5].u || !v[6].u || v[5].u == v[6].u)
		return bad(err, errlen, "from_host %llu, to_host %llu: need two different hosts",
			   (unsigned long long)v[5].u, (unsigned long long)v[6].u);
	n->zone = (__u32)v[2].u;
	n->from_host = (__u32)v[5].u;
	n->to_host = (__u32)v[6].u;
	n->reason = (__u32)v[7].u;
	n->time_ms = v[8].u;
	return 0;
}

void ferry_wire_addr_format(const struct ferry_wire_addr *a, char *buf,
			    size_t size)
{
	if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, buf,
		       (socklen_t)size))
		snprintf(buf, size, "?");
}

void ferry_functions_format(__u32 functions, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s",
		 functions & FERRY_FN_FIREWALL ? "firewall," : "",
		 functions & FERRY_FN_NAT ? "nat," : "",
		 functions & FERRY_FN_POOLS ? "pools," : "",
		 functions ? "" : "none");
	if (functions && strlen(buf))
		buf[strlen(buf) - 1] = '\0';
}

bool ferry_profile_same(const struct ferry_host_profile *a,
			const struct ferry_host_profile *b)
{
	return a->host_id == b->host_id && !strcmp(a->name, b->name) &&
	       a->naddrs == b->naddrs &&
	       !memcmp(a->addrs, b->addrs, a->naddrs * sizeof(a->addrs[0])) &&
	       a->functions == b->functions && a->schema_min == b->schema_min &&
	       a->schema_max == b->schema_max && a->capacity == b->capacity;
}

/* The migration messages: a schema per shape (somproto.h lists them). */
static const struct ferry_mpk_field mig_env_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "order", FERRY_MPK_BIN, 1, FERRY_MIGMSG_ENV_MAX },
};

static const struct ferry_mpk_field mig_id_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "id", FERRY_MPK_BIN, FERRY_MIGMSG_ID_LEN, FERRY_MIGMSG_ID_LEN },
};

static const struct ferry_mpk_field mig_reason_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "id", FERRY_MPK_BIN, FERRY_MIGMSG_ID_LEN, FERRY_MIGMSG_ID_LEN },
	{ "reason", FERRY_MPK_UINT, 0, FERRY_MIG_REASON_MAX },
};

static const struct ferry_mpk_field mig_data_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "id", FERRY_MPK_BIN, FERRY_MIGMSG_ID_LEN, FERRY_MIGMSG_ID_LEN },
	{ "envelope", FERRY_MPK_BIN, 1, FERRY_MIGMSG_ENV_MAX },
};

static const struct ferry_mpk_field mig_done_fields[] = {
	{ "type", FERRY_MPK_UINT, 0, 255 },
	{ "id", FERRY_MPK_BIN, FERRY_MIGMSG_ID_LEN, FERRY_MIGMSG_ID_LEN },
	{ "reason", FERRY_MPK_UINT, 0, FERRY_MIG_REASON_MAX },
	{ "flows", FERRY_MPK_UINT, 0, U64 },
	{ "accepted", FERRY_MPK_UINT, 0, U64 },
	{ "rejected", FERRY_MPK_BIN, 8 * FERRY_MIGMSG_NREJECT,
	  8 * FERRY_MIGMSG_NREJECT },
};

struct mig_shape {
	const struct ferry_mpk_field *fields;
	unsigned int n;
};

static int mig_shape(__u8 type, struct mig_shape *sh)
{
	switch (type) {
	case FERRY_MSG_PREPARE:
	case FERRY_MSG_UPLOAD:
		*sh = (struct mig_shape){ mig_env_fields, NFIELDS(mig_env_fields) };
		return 0;
	case FERRY_MSG_READY:
	case FERRY_MSG_RELEASE:
		*sh = (struct mig_shape){ mig_id_fields, NFIELDS(mig_id_fields) };
		return 0;
	case FERRY_MSG_REFUSED:
	case FERRY_MSG_ABORT:
	case FERRY_MSG_UPLOAD_FAILED:
		*sh = (struct mig_shape){ mig_reason_fields,
					  NFIELDS(mig_reason_fields) };
		return 0;
	case FERRY_MSG_DATA:
		*sh = (struct mig_shape){ mig_data_fields, NFIELDS(mig_data_fields) };
		return 0;
	case FERRY_MSG_DONE:
		*sh = (struct mig_shape){ mig_done_fields, NFIELDS(mig_done_fields) };
		return 0;
	default:
		return -EINVAL;
	}
}

bool ferry_migmsg_type(__u8 type)
{
	struct mig_shape sh;

	return !mig_shape(type, &sh);
}

int ferry_migmsg_encode(const struct ferry_migmsg *m, __u8 *buf, size_t size)
{
	__u8 rej[8 * FERRY_MIGMSG_NREJECT];
	struct ferry_mpk_buf b;
	struct mig_shape sh;
	unsigned int i, j;

	if (mig_shape(m->type, &sh))
		return -EINVAL;
	ferry_mpk_init(&b, buf, size);
	ferry_mpk_put_map(&b, sh.n);
	ferry_mpk_put_uint(&b, 0);
	ferry_mpk_put_uint(&b, m->type);
	if (sh.fields == mig_env_fields) {
		ferry_mpk_put_uint(&b, 1);
		ferry_mpk_put_bin(&b, m->env, (__u32)m->env_len);
		return finish(&b);
	}
	ferry_mpk_put_uint(&b, 1);
	ferry_mpk_put_bin(&b, m->id, FERRY_MIGMSG_ID_LEN);
	if (sh.fields == mig_data_fields) {
		ferry_mpk_put_uint(&b, 2);
		ferry_mpk_put_bin(&b, m->env, (__u32)m->env_len);
	}
	if (sh.fields == mig_reason_fields || sh.fields == mig_done_fields) {
		ferry_mpk_put_uint(&b, 2);
		ferry_mpk_put_uint(&b, m->reason);
	}
	if (sh.fields == mig_done_fields) {
		ferry_mpk_put_uint(&b, 3);
		ferry_mpk_put_uint(&b, m->flows);
		ferry_mpk_put_uint(&b, 4);
		ferry_mpk_put_uint(&b, m->accepted);
		for (i = 0; i < FERRY_MIGMSG_NREJECT; i++)
			for (j = 0; j < 8; j++)
				rej[i * 8 + j] = (__u8)(m->rejected[i] >> (56 - 8 * j));
		ferry_mpk_put_uint(&b, 5);
		ferry_mpk_put_bin(&b, rej, sizeof(rej));
	}
	return finish(&b);
}

static int mig_fill(const struct mig_shape *sh, const struct ferry_mpk_value *v,
		    struct ferry_migmsg *m, char *err, size_t errlen)
{
	unsigned int i, j;

	if (sh->fields == mig_env_fields) {
		m->env = v[1].bin;
		m->env_len = v[1].len;
		return 0;
	}
	memcpy(m->id, v[1].bin, FERRY_MIGMSG_ID_LEN);
	if (sh->fields == mig_data_fields) {
		m->env = v[2].bin;
		m->env_len = v[2].len;
	}
	if (sh->fields == mig_reason_fields && !v[2].u)
		return bad(err, errlen, "reason: 0 (ok) in a failure message");
	if (sh->fields == mig_reason_fields || sh->fields == mig_done_fields)
		m->reason = (__u32)v[2].u;
	if (sh->fields != mig_done_fields)
		return 0;
	m->flows = v[3].u;
	m->accepted = v[4].u;
	for (i = 0; i < FERRY_MIGMSG_NREJECT; i++)
		for (j = 0; j < 8; j++)
			m->rejected[i] = m->rejected[i] << 8 | v[5].bin[i * 8 + j];
	if (m->accepted > m->flows)
		return bad(err, errlen, "accepted: %llu of %llu flows",
			   (unsigned long long)m->accepted,
			   (unsigned long long)m->flows);
	return 0;
}

int ferry_migmsg_decode(__u8 type, const __u8 *msg, size_t len,
			struct ferry_migmsg *m, char *err, size_t errlen)
{
	struct ferry_mpk_value v[FERRY_MPK_MAX_FIELDS];
	struct mig_shape sh;
	int ret;

	memset(m, 0, sizeof(*m));
	if (mig_shape(type, &sh))
		return bad(err, errlen, "type: %u is not a migration message", type);
	if (ferry_mpk_decode(msg, len, sh.fields, sh.n, v, err, errlen))
		return -EBADMSG;
	ret = check_type(&v[0], type, err, errlen);
	if (ret)
		return ret;
	m->type = type;
	return mig_fill(&sh, v, m, err, errlen);
}
