// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The migration order; see migorder.h and docs/migration.md. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "envelope.h"
#include "errmsg.h"
#include "migorder.h"
#include "mpk.h"

enum {
	O_ID, O_ZONE, O_ADDRS, O_MAC, O_SRC_HOST, O_SRC_PK, O_DST_HOST,
	O_ISSUED, O_EXPIRES, O_MAX_FLOWS, O_MAX_BYTES, O_NFIELDS
};

static const struct ferry_mpk_field order_fields[O_NFIELDS] = {
	{ "migration_id", FERRY_MPK_BIN, FERRY_MIG_ID_LEN, FERRY_MIG_ID_LEN },
	{ "zone", FERRY_MPK_UINT, 0, 0xfffffffeull },
	{ "addresses", FERRY_MPK_BIN, FERRY_MIG_ADDR_WIRE,
	  FERRY_MIG_ADDR_WIRE * FERRY_MIG_MAX_ADDRS },
	{ "mac", FERRY_MPK_BIN, 0, 6 },
	{ "source_host", FERRY_MPK_UINT, 0, 0xffffffffull },
	{ "source_key", FERRY_MPK_BIN, FERRY_WIRE_KEY_LEN, FERRY_WIRE_KEY_LEN },
	{ "destination_host", FERRY_MPK_UINT, 0, 0xffffffffull },
	{ "issued_s", FERRY_MPK_UINT, 0, ~0ull },
	{ "expires_s", FERRY_MPK_UINT, 0, ~0ull },
	{ "max_flows", FERRY_MPK_UINT, 0, FERRY_MIG_MAX_FLOWS },
	{ "max_bytes", FERRY_MPK_UINT, 0, FERRY_MIG_MAX_BYTES },
};

static const char *const reason_names[FERRY_MIG_REASON_MAX + 1] = {
	[FERRY_MIG_OK] = "ok",
	[FERRY_MIG_MALFORMED] = "malformed",
	[FERRY_MIG_BAD_SIGNATURE] = "bad-signature",
	[FERRY_MIG_WRONG_DESTINATION] = "wrong-destination",
	[FERRY_MIG_EXPIRED] = "expired",
	[FERRY_MIG_ALREADY_DONE] = "already-done",
	[FERRY_MIG_CHUNK_MISSING] = "chunk-missing",
	[FERRY_MIG_CHUNK_DUPLICATE] = "chunk-duplicate",
	[FERRY_MIG_CHUNK_OUT_OF_ORDER] = "chunk-out-of-order",
	[FERRY_MIG_HASH_MISMATCH] = "hash-mismatch",
	[FERRY_MIG_FOREIGN_FLOW] = "foreign-flow",
	[FERRY_MIG_TABLE_FULL] = "table-full",
	[FERRY_MIG_TOO_LARGE] = "too-large",
	[FERRY_MIG_WRONG_MIGRATION] = "wrong-migration",
	[FERRY_MIG_PROTOCOL] = "protocol",
	[FERRY_MIG_WRONG_SOURCE] = "wrong-source",
	[FERRY_MIG_INTERNAL] = "internal",
	[FERRY_MIG_SOURCE_LOST] = "source-lost",
	[FERRY_MIG_DESTINATION_LOST] = "destination-lost",
	[FERRY_MIG_SOM_RESTARTED] = "som-restarted",
};

const char *ferry_mig_reason_name(unsigned int reason)
{
	return reason <= FERRY_MIG_REASON_MAX ? reason_names[reason] : "?";
}

void ferry_mig_id_random(__u8 id[FERRY_MIG_ID_LEN])
{
	ferry_crypto_init();
	randombytes_buf(id, FERRY_MIG_ID_LEN);
}

__u64 ferry_mig_id64(const __u8 id[FERRY_MIG_ID_LEN])
{
	__u64 v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | id[i];
	return v;
}

void ferry_mig_id_hex(const __u8 id[FERRY_MIG_ID_LEN], char out[2 * FERRY_MIG_ID_LEN + 1])
{
	int i;

	for (i = 0; i < FERRY_MIG_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

void ferry_mig_vm_selection(const struct ferry_mig_vm *vm, struct ferry_export_sel *sel)
{
	__u32 i;

	memset(sel, 0, sizeof(*sel));
	for (i = 0; i < vm->n_addrs && i < FERRY_MIG_MAX_ADDRS; i++) {
		sel->vm_zone[i] = vm->zone;
		sel->vm_family[i] = vm->family[i];
		memcpy(sel->vm_addr[i], vm->addr[i], 16);
	}
	sel->n_vms = i;
}

static int zero(const __u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* One address: a family byte and 16 address bytes. */
static int check_addr(__u8 family, const __u8 *a, unsigned int i, char *err,
		      size_t errlen)
{
	if (family != FERRY_AF_INET && family != FERRY_AF_INET6)
		return ferry_errf(err, errlen, -EBADMSG, "addresses: address %u has family "
				  "%u (2 or 10)", i, family);
	if (family == FERRY_AF_INET && !zero(a + 4, 12))
		return ferry_errf(err, errlen, -EBADMSG, "addresses: IPv4 address %u has "
				  "non-zero bytes after the fourth", i);
	if (zero(a, 16))
		return ferry_errf(err, errlen, -EBADMSG, "addresses: address %u is "
				  "unspecified (all zero)", i);
	return 0;
}

/* The rules an order obeys beyond its types. */
static int check_order(const struct ferry_mig_order *o, char *err, size_t errlen)
{
	__u32 i;
	int ret;

	if (o->vm.zone == FERRY_ZONE_ANY)
		return ferry_errf(err, errlen, -EBADMSG, "zone: %u is not a zone", o->vm.zone);
	if (!o->vm.n_addrs || o->vm.n_addrs > FERRY_MIG_MAX_ADDRS)
		return ferry_errf(err, errlen, -EBADMSG, "addresses: %u addresses (1..%u)",
				  o->vm.n_addrs, FERRY_MIG_MAX_ADDRS);
	for (i = 0; i < o->vm.n_addrs; i++) {
		ret = check_addr(o->vm.family[i], o->vm.addr[i], i, err, errlen);
		if (ret)
			return ret;
	}
	if (!o->src_host)
		return ferry_errf(err, errlen, -EBADMSG, "source_host: 0 is the SOM, not a host");
	if (!o->dst_host)
		return ferry_errf(err, errlen, -EBADMSG, "destination_host: 0 is the SOM, "
				  "not a host");
	if (o->src_host == o->dst_host)
		return ferry_errf(err, errlen, -EBADMSG, "destination_host: %u is also the "
				  "source", o->dst_host);
	if (o->expires_s <= o->issued_s)
		return ferry_errf(err, errlen, -EBADMSG, "expires_s: %llu is not after "
				  "issued_s %llu", (unsigned long long)o->expires_s,
				  (unsigned long long)o->issued_s);
	if (!o->max_flows || o->max_flows > FERRY_MIG_MAX_FLOWS)
		return ferry_errf(err, errlen, -EBADMSG, "max_flows: %llu (1..%llu)",
				  (unsigned long long)o->max_flows, FERRY_MIG_MAX_FLOWS);
	if (!o->max_bytes || o->max_bytes > FERRY_MIG_MAX_BYTES)
		return ferry_errf(err, errlen, -EBADMSG, "max_bytes: %llu (1..%llu)",
				  (unsigned long long)o->max_bytes, FERRY_MIG_MAX_BYTES);
	return 0;
}

int ferry_mig_order_encode(const struct ferry_mig_order *o, __u8 *out, size_t cap,
			   size_t *len)
{
	__u8 addrs[FERRY_MIG_ADDR_WIRE * FERRY_MIG_MAX_ADDRS];
	struct ferry_mpk_buf b;
	__u32 i;

	if (check_order(o, NULL, 0))
		return -EINVAL;
	for (i = 0; i < o->vm.n_addrs; i++) {
		addrs[i * FERRY_MIG_ADDR_WIRE] = o->vm.family[i];
		memcpy(addrs + i * FERRY_MIG_ADDR_WIRE + 1, o->vm.addr[i], 16);
	}
	ferry_mpk_init(&b, out, cap);
	ferry_mpk_put_map(&b, O_NFIELDS);
	ferry_mpk_put_uint(&b, O_ID);
	ferry_mpk_put_bin(&b, o->id, FERRY_MIG_ID_LEN);
	ferry_mpk_put_uint(&b, O_ZONE);
	ferry_mpk_put_uint(&b, o->vm.zone);
	ferry_mpk_put_uint(&b, O_ADDRS);
	ferry_mpk_put_bin(&b, addrs, o->vm.n_addrs * FERRY_MIG_ADDR_WIRE);
	ferry_mpk_put_uint(&b, O_MAC);
	ferry_mpk_put_bin(&b, o->vm.mac, o->vm.has_mac ? 6 : 0);
	ferry_mpk_put_uint(&b, O_SRC_HOST);
	ferry_mpk_put_uint(&b, o->src_host);
	ferry_mpk_put_uint(&b, O_SRC_PK);
	ferry_mpk_put_bin(&b, o->src_pk, FERRY_WIRE_KEY_LEN);
	ferry_mpk_put_uint(&b, O_DST_HOST);
	ferry_mpk_put_uint(&b, o->dst_host);
	ferry_mpk_put_uint(&b, O_ISSUED);
	ferry_mpk_put_uint(&b, o->issued_s);
	ferry_mpk_put_uint(&b, O_EXPIRES);
	ferry_mpk_put_uint(&b, o->expires_s);
	ferry_mpk_put_uint(&b, O_MAX_FLOWS);
	ferry_mpk_put_uint(&b, o->max_flows);
	ferry_mpk_put_uint(&b, O_MAX_BYTES);
	ferry_mpk_put_uint(&b, o->max_bytes);
	if (b.overflow)
		return -ENOBUFS;
	*len = b.len;
	return 0;
}

int ferry_mig_order_decode(const __u8 *buf, size_t len, struct ferry_mig_order *o,
			   char *err, size_t errlen)
{
	struct ferry_mpk_value v[O_NFIELDS];
	char why[FERRY_MIG_ERR_MAX];
	__u32 i;
	int ret;

	memset(o, 0, sizeof(*o));
	if (ferry_mpk_decode(buf, len, order_fields, O_NFIELDS, v, why, sizeof(why)))
		return ferry_errf(err, errlen, -EBADMSG, "order: %s", why);
	if (v[O_ADDRS].len % FERRY_MIG_ADDR_WIRE)
		return ferry_errf(err, errlen, -EBADMSG, "order: addresses: %u bytes, not a "
				  "multiple of %u", v[O_ADDRS].len, FERRY_MIG_ADDR_WIRE);
	if (v[O_MAC].len != 0 && v[O_MAC].len != 6)
		return ferry_errf(err, errlen, -EBADMSG, "order: mac: %u bytes (0 or 6)",
				  v[O_MAC].len);
	memcpy(o->id, v[O_ID].bin, FERRY_MIG_ID_LEN);
	o->vm.zone = v[O_ZONE].u;
	o->vm.n_addrs = v[O_ADDRS].len / FERRY_MIG_ADDR_WIRE;
	for (i = 0; i < o->vm.n_addrs; i++) {
		o->vm.family[i] = v[O_ADDRS].bin[i * FERRY_MIG_ADDR_WIRE];
		memcpy(o->vm.addr[i], v[O_ADDRS].bin + i * FERRY_MIG_ADDR_WIRE + 1, 16);
	}
	o->vm.has_mac = v[O_MAC].len == 6;
	if (o->vm.has_mac)
		memcpy(o->vm.mac, v[O_MAC].bin, 6);
	o->src_host = v[O_SRC_HOST].u;
	memcpy(o->src_pk, v[O_SRC_PK].bin, FERRY_WIRE_KEY_LEN);
	o->dst_host = v[O_DST_HOST].u;
	o->issued_s = v[O_ISSUED].u;
	o->expires_s = v[O_EXPIRES].u;
	o->max_flows = v[O_MAX_FLOWS].u;
	o->max_bytes = v[O_MAX_BYTES].u;
	ret = check_order(o, why, sizeof(why));
	if (ret)
		return ferry_errf(err, errlen, ret, "order: %s", why);
	return 0;
}

int ferry_mig_order_seal(const struct ferry_mig_order *o, const struct ferry_identity *som,
			 __u64 now_ms, __u8 *out, size_t cap, size_t *len)
{
	__u8 body[FERRY_MIG_ORDER_MAX - FERRY_ENVELOPE_OVERHEAD];
	struct ferry_envelope e = {
		.type = FERRY_MSG_MIG_ORDER, .origin = 0,
		.migration_id = ferry_mig_id64(o->id), .seq = 0,
		.timestamp_ms = now_ms, .body = body,
	};
	int ret;

	ret = ferry_mig_order_encode(o, body, sizeof(body), &e.body_len);
	if (ret)
		return ret;
	return ferry_envelope_seal(&e, som, out, cap, len);
}

int ferry_mig_order_open(const __u8 *buf, size_t len, const __u8 som_pk[FERRY_WIRE_KEY_LEN],
			 struct ferry_mig_order *o, int *reason, char *err, size_t errlen)
{
	char why[FERRY_MIG_ERR_MAX];
	struct ferry_envelope e;
	int ret, dummy;

	if (!reason)
		reason = &dummy;
	*reason = FERRY_MIG_MALFORMED;
	ret = ferry_envelope_open(buf, len, som_pk, &e, why, sizeof(why));
	if (ret == -EACCES)
		*reason = FERRY_MIG_BAD_SIGNATURE;
	if (ret)
		return ferry_errf(err, errlen, ret, "order: %s", why);
	if (e.type != FERRY_MSG_MIG_ORDER || e.origin != 0 || e.seq != 0)
		return ferry_errf(err, errlen, -EBADMSG, "order: envelope of type %u, origin "
				  "%u, seq %llu (an order is type %u, origin 0, seq 0)",
				  e.type, e.origin, (unsigned long long)e.seq,
				  FERRY_MSG_MIG_ORDER);
	ret = ferry_mig_order_decode(e.body, e.body_len, o, err, errlen);
	if (ret)
		return ret;
	if (e.migration_id != ferry_mig_id64(o->id))
		return ferry_errf(err, errlen, -EBADMSG, "order: envelope migration_id %016llx "
				  "is not the body's", (unsigned long long)e.migration_id);
	*reason = FERRY_MIG_OK;
	return 0;
}
