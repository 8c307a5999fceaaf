// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "ctconfig.h"
#include "flowfmt.h"
#include "rules.h"

void ferry_flow_dirs(const struct ferry_flow_key *k, const struct ferry_flow *f,
		     struct ferry_endpoints *orig, struct ferry_endpoints *reply)
{
	const __u8 *oa = f->orig_lo ? k->addr_lo : k->addr_hi;
	const __u8 *ra = f->orig_lo ? k->addr_hi : k->addr_lo;
	__be16 op = f->orig_lo ? k->port_lo : k->port_hi;
	__be16 rp = f->orig_lo ? k->port_hi : k->port_lo;

	memcpy(orig->src, oa, 16);
	memcpy(orig->dst, ra, 16);
	orig->sport = ntohs(op);
	orig->dport = ntohs(rp);
	memcpy(reply->src, ra, 16);
	memcpy(reply->dst, oa, 16);
	reply->sport = ntohs(rp);
	reply->dport = ntohs(op);
}

/* The protocol's name as rules spell it, or its number; buf holds 8. */
static const char *proto_str(__u8 proto, char *buf)
{
	const char *name = ferry_proto_name(proto);

	if (name)
		return name;
	snprintf(buf, 8, "%u", proto);
	return buf;
}

static const char *addr_str(__u8 family, const __u8 *a, char *buf)
{
	return inet_ntop(family == FERRY_AF_INET6 ? AF_INET6 : AF_INET, a, buf,
			 INET6_ADDRSTRLEN) ?: "?";
}

static long long remaining_s(const struct ferry_flow *f, __u64 now_ns)
{
	if (f->expires_ns <= now_ns)
		return 0;
	return (long long)((f->expires_ns - now_ns) / 1000000000ull);
}

static void print_dir(FILE *out, const struct ferry_flow_key *k,
		      const struct ferry_endpoints *e, const struct ferry_flow *f,
		      int dir)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	fprintf(out, " src=%s dst=%s", addr_str(k->family, e->src, s),
		addr_str(k->family, e->dst, d));
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		fprintf(out, " id=%u", e->sport);
	else if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP)
		fprintf(out, " sport=%u dport=%u", e->sport, e->dport);
	fprintf(out, " packets=%llu bytes=%llu", (unsigned long long)f->packets[dir],
		(unsigned long long)f->bytes[dir]);
}

static const char *nat_kind(__u8 kind)
{
	switch (kind & (FERRY_NAT_SNAT | FERRY_NAT_DNAT)) {
	case FERRY_NAT_SNAT:
		return "snat";
	case FERRY_NAT_DNAT:
		return "dnat";
	case FERRY_NAT_SNAT | FERRY_NAT_DNAT:
		return "snat+dnat";
	default:
		return "none";
	}
}

/* With a translation the reply goes as the far side sees it (as
 * conntrack shows it): from the translated destination to the
 * translated source. */
static void reply_dir(const struct ferry_flow *f, struct ferry_endpoints *r)
{
	if (!f->nat.kind)
		return;
	memcpy(r->src, f->nat.daddr, 16);
	memcpy(r->dst, f->nat.saddr, 16);
	r->sport = ntohs(f->nat.dport);
	r->dport = ntohs(f->nat.sport);
}

void ferry_flow_print(FILE *out, const struct ferry_flow_key *k,
		      const struct ferry_flow *f, __u64 now_ns)
{
	struct ferry_endpoints o, r;
	char pb[8];

	ferry_flow_dirs(k, f, &o, &r);
	reply_dir(f, &r);
	fprintf(out, "%-6s %-3u %lld %s", proto_str(k->proto, pb), k->proto,
		remaining_s(f, now_ns), ferry_state_name(f->state));
	print_dir(out, k, &o, f, FERRY_DIR_ORIG);
	if (!(f->flags & FERRY_FLOW_F_SEEN_REPLY))
		fputs(" [UNREPLIED]", out);
	print_dir(out, k, &r, f, FERRY_DIR_REPLY);
	if (f->flags & FERRY_FLOW_F_ASSURED)
		fputs(" [ASSURED]", out);
	if (f->nat.kind)
		fprintf(out, " nat=%s", nat_kind(f->nat.kind));
	fprintf(out, " zone=%u rule=%u\n", k->zone, f->rule_id);
}

void ferry_flow_print_json(FILE *out, const struct ferry_flow_key *k,
			   const struct ferry_flow *f, __u64 now_ns)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], pb[8];
	struct ferry_endpoints o, r;

	ferry_flow_dirs(k, f, &o, &r);
	fprintf(out, "{\"zone\":%u,\"family\":\"%s\",\"proto\":\"%s\",\"state\":\"%s\","
		"\"timeout\":%lld,\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u,"
		"\"packets\":[%llu,%llu],\"bytes\":[%llu,%llu],\"seen_reply\":%s,"
		"\"assured\":%s,\"rule\":%u",
		k->zone, k->family == FERRY_AF_INET6 ? "ipv6" : "ipv4",
		proto_str(k->proto, pb), ferry_state_name(f->state),
		remaining_s(f, now_ns), addr_str(k->family, o.src, s),
		addr_str(k->family, o.dst, d), o.sport, o.dport,
		(unsigned long long)f->packets[0], (unsigned long long)f->packets[1],
		(unsigned long long)f->bytes[0], (unsigned long long)f->bytes[1],
		f->flags & FERRY_FLOW_F_SEEN_REPLY ? "true" : "false",
		f->flags & FERRY_FLOW_F_ASSURED ? "true" : "false", f->rule_id);
	if (f->nat.kind) {
		/* the original direction as it leaves, translated */
		fprintf(out, ",\"nat\":{\"kind\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\","
			"\"sport\":%u,\"dport\":%u}", nat_kind(f->nat.kind),
			addr_str(k->family, f->nat.saddr, s),
			addr_str(k->family, f->nat.daddr, d), ntohs(f->nat.sport),
			ntohs(f->nat.dport));
	}
	fputc('}', out);
}
