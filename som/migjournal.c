// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Migrations in the journal (journal.c has the file; docs/operations.md
 * "The journal" the format). Three record kinds, each a payload whose
 * first byte is the kind; integers big-endian, times in ms since the
 * notification with all ones for "not reached":
 *
 *   2 START  id (16) | started_ms (8, CLOCK_REALTIME) | deadline_ms (4)
 *            | the notification, as a NOTIFY message (protocol.md)
 *   3 PHASE  id (16) | phase (1) | times (4 x 8: order, first chunk,
 *            installed, released)
 *   4 END    id (16) | phase (1: done or failed) | reason (1) | flows,
 *            accepted, rejected, chunks, pauses (5 x 8) | times (4 x 8)
 *            | why: length (1) + bytes
 *
 * START is written before PREPARE is sent (and synced right after), END
 * synced once the outcome is known; PHASE is written without a sync (it
 * only refines the report of a migration that a restart ends anyway). At
 * replay, a migration with a START and no END was running when the SOM
 * stopped: som_migj_restarted() records it failed, som-restarted, and
 * marks both sides to be told (ABORT) when they register again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "log.h"
#include "som.h"

#define NS_PER_MS	1000000ull
#define NOT_REACHED	(~0ull)
#define START_FIXED	(1 + 16 + 8 + 4)
#define PHASE_LEN	(1 + 16 + 1 + 4 * 8)
#define END_FIXED	(1 + 16 + 1 + 1 + 5 * 8 + 4 * 8 + 1)

/* The times of m, as ms since its notification. */
static void put_times(__u8 *p, const struct som_mig *m)
{
	const __u64 t[4] = { m->t_order, m->t_first, m->t_installed, m->t_released };
	int i;

	for (i = 0; i < 4; i++)
		som_put_be(p + 8 * i, t[i] ? (t[i] - m->t_notify) / NS_PER_MS : NOT_REACHED, 8);
}

/*
 * Times of a migration loaded from the journal: relative to t_notify = 1
 * (not a monotonic time any more; 0 stays "not reached").
 */
static void get_times(const __u8 *p, struct som_mig *m)
{
	__u64 *t[4] = { &m->t_order, &m->t_first, &m->t_installed, &m->t_released };
	__u64 v;
	int i;

	m->t_notify = 1;
	for (i = 0; i < 4; i++) {
		v = som_get_be(p + 8 * i, 8);
		*t[i] = v == NOT_REACHED ? 0 : 1 + v * NS_PER_MS;
	}
}

int som_migj_encode(const struct som_mig *m, enum som_jrec kind, __u8 *buf,
		    size_t size)
{
	size_t why = strlen(m->why) > 255 ? 255 : strlen(m->why);
	__u64 v[5] = { m->flows, m->accepted, m->rejected, m->chunks, m->pauses };
	int len, i;

	if (size < SOM_JREC_MAX)	/* also > END_FIXED + 255 */
		return -ENOSPC;
	buf[0] = (__u8)kind;
	memcpy(buf + 1, m->id, 16);
	switch (kind) {
	case SOM_JREC_MIG_START:
		som_put_be(buf + 17, m->started_ms, 8);
		som_put_be(buf + 25, m->deadline_ms, 4);
		len = ferry_notify_encode(&m->n, buf + START_FIXED, size - START_FIXED);
		return len < 0 ? len : START_FIXED + len;
	case SOM_JREC_MIG_PHASE:
		buf[17] = (__u8)m->phase;
		put_times(buf + 18, m);
		return PHASE_LEN;
	case SOM_JREC_MIG_END:
		buf[17] = (__u8)m->phase;
		buf[18] = (__u8)m->reason;
		for (i = 0; i < 5; i++)
			som_put_be(buf + 19 + 8 * i, v[i], 8);
		put_times(buf + 59, m);
		buf[91] = (__u8)why;
		memcpy(buf + END_FIXED, m->why, why);
		return END_FIXED + (int)why;
	default:
		return -EINVAL;
	}
}

static struct som_mig *find(struct som *som, const __u8 *id)
{
	__u32 i;

	for (i = 0; i < som->nmigs; i++)
		if (!memcmp(som->migs[i].id, id, 16))
			return &som->migs[i];
	return NULL;
}

static int replay_start(struct som *som, const __u8 *p, size_t len, char *err,
			size_t errlen)
{
	struct ferry_notify n;
	struct som_mig *m;

	if (len < START_FIXED)
		return snprintf(err, errlen, "START of %zu bytes", len), -EBADMSG;
	if (find(som, p + 1))
		return snprintf(err, errlen, "a second START of one migration"), -EEXIST;
	if (ferry_notify_decode(p + START_FIXED, len - START_FIXED, &n, err, errlen))
		return -EBADMSG;
	m = som_mig_slot(som);
	if (!m)
		return snprintf(err, errlen, "more running migrations than max_migrations"),
		       -ENOSPC;
	memcpy(m->id, p + 1, 16);
	m->n = n;
	m->started_ms = som_get_be(p + 17, 8);
	m->deadline_ms = (__u32)som_get_be(p + 25, 4);
	m->phase = SOM_MIG_PREPARING;
	m->wait_fd = m->wait_out = -1;
	m->t_notify = 1;
	return 0;
}

static bool phase_ok(__u8 phase, bool end)
{
	return end ? phase == SOM_MIG_DONE || phase == SOM_MIG_FAILED :
		     phase <= SOM_MIG_INSTALLING;
}

static int replay_update(struct som *som, const __u8 *p, size_t len, bool end,
			 char *err, size_t errlen)
{
	__u64 *v[5];
	struct som_mig *m;
	int i;

	if (len < (end ? END_FIXED : PHASE_LEN) || (end && len != END_FIXED + (size_t)p[91]) ||
	    (!end && len != PHASE_LEN))
		return snprintf(err, errlen, "%s of %zu bytes", end ? "END" : "PHASE",
				len), -EBADMSG;
	if (!phase_ok(p[17], end) || (end && p[18] > FERRY_MIG_REASON_MAX))
		return snprintf(err, errlen, "phase %u, reason %u", p[17], p[18]),
		       -EBADMSG;
	m = find(som, p + 1);
	if (!m || !som_mig_running(m))
		return snprintf(err, errlen, "%s of a migration %s", end ? "END" : "PHASE",
				m ? "ended already" : "never started"), -ENOENT;
	m->phase = p[17];
	if (!end) {
		get_times(p + 18, m);
		return 0;
	}
	m->reason = p[18];
	v[0] = &m->flows, v[1] = &m->accepted, v[2] = &m->rejected;
	v[3] = &m->chunks, v[4] = &m->pauses;
	for (i = 0; i < 5; i++)
		*v[i] = som_get_be(p + 19 + 8 * i, 8);
	get_times(p + 59, m);
	snprintf(m->why, sizeof(m->why), "%.*s", p[91], (const char *)p + END_FIXED);
	return 0;
}

int som_migj_replay(struct som *som, const __u8 *p, size_t len, char *err,
		    size_t errlen)
{
	switch (p[0]) {
	case SOM_JREC_MIG_START:
		return replay_start(som, p, len, err, errlen);
	case SOM_JREC_MIG_PHASE:
		return replay_update(som, p, len, false, err, errlen);
	case SOM_JREC_MIG_END:
		return replay_update(som, p, len, true, err, errlen);
	default:
		snprintf(err, errlen, "unknown record kind %u", p[0]);
		return -EBADMSG;
	}
}

static const char *const phase_names[] = { "preparing", "uploading", "installing" };

/* After the replay: what was running ended with the SOM that ran it. */
void som_migj_restarted(struct som *som)
{
	char hex[2 * FERRY_MIG_ID_LEN + 1];
	struct som_mig *m;
	__u32 i;

	for (i = 0; i < som->nmigs; i++) {
		m = &som->migs[i];
		if (!som_mig_running(m))
			continue;
		snprintf(m->why, sizeof(m->why), "the SOM restarted during the "
			 "migration (%s)", phase_names[m->phase]);
		m->phase = SOM_MIG_FAILED;
		m->reason = FERRY_MIG_SOM_RESTARTED;
		m->abort_from = m->abort_to = true;
		ferry_mig_id_hex(m->id, hex);
		pr_warn("migration %s failed: som-restarted (%s); hosts %u and %u "
			"get ABORT when they register\n", hex, m->why, m->n.from_host,
			m->n.to_host);
	}
}
