// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow control of the DATA relay (docs/migration.md "Orchestration"). The
 * SOM relays each DATA of a migration from the source to the destination
 * as it arrives; what the destination's socket does not take at once waits
 * in that session's output. When more than SOM_RELAY_HIGH bytes wait there,
 * the source's connection is paused: the loop stops reading it (EPOLLIN
 * dropped), TCP pushes back, and the source's export waits for its socket
 * (user/soa/migrate.c). When every destination the source feeds has fewer
 * than SOM_RELAY_LOW bytes waiting, it is read again. So the SOM holds at
 * most HIGH bytes per destination, plus what one read (64 KiB) and one
 * frame can add once the mark is passed, whatever the size of the VM.
 *
 * A paused source is not blamed for its silence: its heartbeats wait unread
 * in the socket (registry.c refreshes its last-seen time while paused).
 */
#include "log.h"
#include "som.h"

static size_t waiting(const struct som_conn *c)
{
	size_t len;

	ferry_session_output(&c->s, &len);
	return len;
}

static __u32 host_of(const struct som_conn *c)
{
	return ferry_session_peer(&c->s)->host_id;
}

/* Between UPLOAD and DONE: DATA may flow. */
static bool relaying(const struct som_mig *m)
{
	return m->phase == SOM_MIG_UPLOADING || m->phase == SOM_MIG_INSTALLING;
}

/* Does a destination fed by src_host still have LOW bytes waiting? */
static bool held_back(struct som *som, __u32 src_host)
{
	struct som_conn *dst;
	__u32 i;

	for (i = 0; i < som->nmigs; i++) {
		if (!relaying(&som->migs[i]) || som->migs[i].n.from_host != src_host)
			continue;
		dst = som_host_conn(som, som->migs[i].n.to_host);
		if (dst && waiting(dst) >= SOM_RELAY_LOW)
			return true;
	}
	return false;
}

static void set_paused(struct som *som, struct som_conn *c, bool on)
{
	c->paused = on;
	if (on)
		som->relay_paused++;
	else
		som->relay_paused--;
	pr_debug("relay: host %u %s\n", host_of(c), on ? "paused" : "resumed");
	som_conn_flush(som, c);		/* its events follow c->paused */
}

/* A DATA of m went from src into dst's output. */
void som_relay_sent(struct som *som, struct som_mig *m, struct som_conn *src,
		    struct som_conn *dst)
{
	if (src->paused || waiting(dst) <= SOM_RELAY_HIGH)
		return;
	m->pauses++;
	set_paused(som, src, true);
}

/* Read src again if no destination it feeds is behind any more. */
void som_relay_recheck(struct som *som, struct som_conn *src)
{
	if (src && src->paused && !src->closing && !held_back(som, host_of(src)))
		set_paused(som, src, false);
}

/* c's output was flushed: the sources that wait for it may go on. */
void som_relay_drained(struct som *som, struct som_conn *c)
{
	__u32 i, host;

	if (!som->relay_paused || c->host < 0 || waiting(c) >= SOM_RELAY_LOW)
		return;
	host = host_of(c);
	for (i = 0; i < som->nmigs; i++)
		if (relaying(&som->migs[i]) && som->migs[i].n.to_host == host)
			som_relay_recheck(som, som_host_conn(som,
						som->migs[i].n.from_host));
}

/* Is c the source of a migration whose DATA flows (flow-controlled)? */
bool som_relay_feeding(struct som *som, const struct som_conn *c)
{
	__u32 i;

	if (c->host < 0)
		return false;
	for (i = 0; i < som->nmigs; i++)
		if (relaying(&som->migs[i]) &&
		    som->migs[i].n.from_host == host_of(c))
			return true;
	return false;
}

/* c is closing: it no longer counts as paused. */
void som_relay_closed(struct som *som, struct som_conn *c)
{
	if (!c->paused)
		return;
	c->paused = false;
	som->relay_paused--;
}
