// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The registry of State Hosts (IF(M,A) F2): one entry per host id with
 * its profile, the key it registered with, its connection and its last
 * heartbeat. A host is connected while a session of its key is up and
 * heartbeats arrive; it is lost when the session ends or no heartbeat
 * came for lost_timeout_ms. Profiles are journaled (journal.c) before
 * REGISTERED is sent, so what an agent was told is registered survives a
 * SOM crash. Also the bounded list of recent TDE notifications.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "som.h"

#define NS_PER_MS	1000000ull

int som_host_find(const struct som *som, __u32 host_id)
{
	__u32 i;

	for (i = 0; i < som->nhosts; i++)
		if (som->hosts[i].p.host_id == host_id)
			return (int)i;
	return -1;
}

/* Insert or replace the entry of p->host_id; its index or -ENOMEM. */
int som_host_put(struct som *som, const struct ferry_host_profile *p,
		 const __u8 pk[FERRY_WIRE_KEY_LEN], __u64 registered_ms)
{
	struct som_host *h;
	int i = som_host_find(som, p->host_id);

	if (i < 0) {
		if (som->nhosts == som->hosts_cap) {
			__u32 cap = som->hosts_cap ? som->hosts_cap * 2 : 16;

			h = realloc(som->hosts, cap * sizeof(*h));
			if (!h)
				return -ENOMEM;
			som->hosts = h;
			som->hosts_cap = cap;
		}
		i = (int)som->nhosts++;
		memset(&som->hosts[i], 0, sizeof(som->hosts[i]));
		snprintf(som->hosts[i].lost_why, sizeof(som->hosts[i].lost_why),
			 "not connected since the SOM started");
	}
	h = &som->hosts[i];
	h->p = *p;
	memcpy(h->pk, pk, FERRY_WIRE_KEY_LEN);
	h->registered_ms = registered_ms;
	return i;
}

static int send_registered(struct som *som, struct som_conn *c, __u32 host_id)
{
	struct ferry_registered r = {
		.host_id = host_id,
		.heartbeat_ms = som->cfg.heartbeat_ms,
		.lost_ms = som->cfg.lost_ms,
	};
	__u8 buf[FERRY_SOMPROTO_MSG_MAX];
	int len = ferry_registered_encode(&r, buf, sizeof(buf));

	if (len < 0)
		return len;
	return ferry_session_send(&c->s, FERRY_MSG_REGISTERED, buf, (size_t)len);
}

int som_register(struct som *som, struct som_conn *c,
		 const struct ferry_host_profile *p)
{
	const struct ferry_hs_peer *peer = ferry_session_peer(&c->s);
	int i = som_host_find(som, p->host_id), err;
	__u64 registered_ms = som_realtime_ms();
	struct som_host *h;
	bool changed;
	char fns[64];

	changed = i < 0 || !ferry_profile_same(&som->hosts[i].p, p) ||
		  memcmp(som->hosts[i].pk, peer->pk, FERRY_WIRE_KEY_LEN);
	if (!changed)
		registered_ms = som->hosts[i].registered_ms;
	if (i >= 0 && som->hosts[i].conn && som->hosts[i].conn != c) {
		pr_info("host %u: a new session replaces the one from %s\n",
			p->host_id, som->hosts[i].conn->srcstr);
		som_conn_close(som, som->hosts[i].conn, FERRY_REASON_OK,
			       "replaced by a new session");
	}
	i = som_host_put(som, p, peer->pk, registered_ms);
	if (i < 0)
		return i;
	h = &som->hosts[i];
	if (changed) {
		err = som_journal_append(som, h);
		if (err)
			return err;
	}
	h->conn = c;
	c->host = i;
	h->last_heartbeat_ms = som_realtime_ms();
	h->last_seen_ns = som_now_ns();
	snprintf(h->addr, sizeof(h->addr), "%s", c->srcstr);
	h->lost_why[0] = '\0';
	ferry_functions_format(p->functions, fns, sizeof(fns));
	pr_info("registered host %u '%s' from %s: %u address(es), functions %s, "
		"schema %u..%u, capacity %u, load %llu%s\n", p->host_id, p->name,
		c->srcstr, p->naddrs, fns, p->schema_min, p->schema_max,
		p->capacity, (unsigned long long)p->load,
		changed ? "" : " (unchanged)");
	err = send_registered(som, c, p->host_id);
	if (!err)	/* after REGISTERED: the agent takes them only then */
		som_mig_host_back(som, c);
	return err;
}

void som_heartbeat(struct som *som, struct som_conn *c, __u64 load)
{
	struct som_host *h = &som->hosts[c->host];

	h->p.load = load;
	h->last_heartbeat_ms = som_realtime_ms();
	h->last_seen_ns = som_now_ns();
	pr_debug("host %u: heartbeat, load %llu\n", h->p.host_id,
		 (unsigned long long)load);
}

void som_host_gone(struct som *som, struct som_conn *c, const char *why)
{
	struct som_host *h = &som->hosts[c->host];

	if (h->conn == c) {
		h->conn = NULL;
		snprintf(h->lost_why, sizeof(h->lost_why), "%s", why);
		pr_warn("host %u lost: %s\n", h->p.host_id, why);
	}
	c->host = -1;
}

/* Hosts silent for lost_timeout_ms are lost: their session is closed. */
void som_hosts_tick(struct som *som)
{
	__u64 now = som_now_ns(), limit = (__u64)som->cfg.lost_ms * NS_PER_MS;
	char why[64];
	__u32 i;

	for (i = 0; i < som->nhosts; i++) {
		struct som_host *h = &som->hosts[i];

		/* the relay does not read it: its heartbeats wait unread */
		if (h->conn && h->conn->paused)
			h->last_seen_ns = now;
		if (!h->conn || now - h->last_seen_ns <= limit)
			continue;
		snprintf(why, sizeof(why), "no heartbeat for %u ms",
			 som->cfg.lost_ms);
		som_conn_close(som, h->conn, FERRY_REASON_OK, why);
	}
}

void som_notice_add(struct som *som, struct som_conn *c,
		    const struct ferry_notify *n)
{
	struct som_notice *e = &som->notices[som->notice_next];
	char addr[64] = "-", why[SOM_ERR_MAX];

	e->n = *n;
	e->tde_host = ferry_session_peer(&c->s)->host_id;
	e->received_ms = som_realtime_ms();
	som->notice_next = (som->notice_next + 1) % som->cfg.max_notifications;
	if (som->notice_count < som->cfg.max_notifications)
		som->notice_count++;
	som->notices_total++;
	c->notifies++;
	if (n->naddrs)
		ferry_wire_addr_format(&n->addrs[0], addr, sizeof(addr));
	pr_info("notify from TDE %u: vm '%s' zone %u address %s moved from host %u "
		"to host %u\n", e->tde_host, n->vm, n->zone, addr, n->from_host,
		n->to_host);
	if (som_mig_start(som, n, why, sizeof(why)) < 0)
		pr_warn("notify from TDE %u: no migration: %s\n", e->tde_host, why);
}
