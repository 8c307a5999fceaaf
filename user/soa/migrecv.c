// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The destination's side of a migration (docs/migration.md
 * "Orchestration"). PREPARE opens a receiver (the SOM's signature, this
 * host as destination, expiry, not finished already) and is answered READY
 * or REFUSED; each DATA is fed to its receiver; once the outcome is final
 * (installed at the commit, or failed and settled: a jump in seq waits for
 * the skipped chunk or the commit, so that a reordering is named as such)
 * DONE carries it, and an installed migration's id is first synced to the
 * file of finished migrations (migdonefile.h) so that a replay answers
 * already-done after a restart too. ABORT, or the link to the SOM
 * dropping, frees the receiver, which removes what it inserted: its flows
 * become visible only at the commit. Up to SOA_MIG_RECV_MAX migrations
 * are received at once; one at a time inserts its flows as they come (the
 * table's one open import), the others decode theirs and install when it
 * has ended. An import of another process (`ferryctl --direct import`)
 * holding the table is waited for too: while a migration waits, a timer
 * tries it again every SOA_RECV_RETRY_MS, within the migration's deadline
 * (the SOM aborts it past that). Commands that write state are refused
 * meanwhile (control.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include "datapath.h"
#include "log.h"
#include "soaloop.h"
#include "soamig.h"

#define SOA_RECV_RETRY_MS	100

static void nat_close(struct soa_recv *v)
{
	if (!v->has_nat)
		return;
	close(v->nat.pools_fd);
	close(v->nat.fwds_fd);
	v->has_nat = false;
}

static void nat_open(struct soa *soa, struct soa_recv *v)
{
	const char *inst = soa->cfg->instance;

	v->nat.pools_fd = ferry_dp_map_fd(inst, "ferry_nat_pools");
	v->nat.fwds_fd = ferry_dp_map_fd(inst, "ferry_nat_fwds");
	v->has_nat = v->nat.pools_fd >= 0 && v->nat.fwds_fd >= 0;
	if (v->has_nat)
		return;
	if (v->nat.pools_fd >= 0)
		close(v->nat.pools_fd);
	if (v->nat.fwds_fd >= 0)
		close(v->nat.fwds_fd);
}

static void recv_end(struct soa_recv *v)
{
	if (v->r)
		ferry_mig_recv_free(v->r);
	v->r = NULL;
	nat_close(v);
}

static struct soa_recv *find(struct soa_mig *g, const __u8 *id)
{
	int i;

	for (i = 0; i < SOA_MIG_RECV_MAX; i++)
		if (g->recv[i].r && !memcmp(g->recv[i].id, id, FERRY_MIG_ID_LEN))
			return &g->recv[i];
	return NULL;
}

static bool writer_running(const struct soa *soa)
{
	int i;

	for (i = 0; i < SOA_CHILDREN_MAX; i++)
		if (soa->children[i].pid && soa->children[i].writes)
			return true;
	return false;
}

/* Why PREPARE cannot be taken now, or NULL; *slot gets a free receiver. */
static const char *busy(struct soa *soa, struct soa_mig *g, const __u8 *id,
			struct soa_recv **slot)
{
	int i;

	*slot = NULL;
	for (i = 0; i < SOA_MIG_RECV_MAX && !*slot; i++)
		if (!g->recv[i].r)
			*slot = &g->recv[i];
	if (!g->file)
		return "no file of finished migrations ([security] added by a "
		       "reload: restart the agent)";
	if (writer_running(soa))
		return "an import is running";
	if (find(g, id))
		return "this migration is being received already";
	if (!*slot)
		return "too many migrations being received";
	return NULL;
}

void soa_recv_prepare(struct soa *soa, struct soa_mig *g,
		      const struct ferry_migmsg *mm)
{
	__u8 id[FERRY_MIG_ID_LEN] = {};
	struct ferry_mig_result res = {};
	struct ferry_mig_order o;
	char err[FERRY_MIG_ERR_MAX];
	struct soa_recv *v;
	const char *why;
	int reason;

	/* the id, to answer with: the order's, if it opens at all */
	if (!ferry_mig_order_open(mm->env, mm->env_len, soa->cfg->som_public_key,
				  &o, &reason, err, sizeof(err)))
		memcpy(id, o.id, sizeof(id));
	why = busy(soa, g, id, &v);
	if (why) {
		pr_warn("migration: PREPARE refused: %s\n", why);
		soa_mig_send_reason(soa, FERRY_MSG_REFUSED, id, FERRY_MIG_INTERNAL);
		return;
	}
	memcpy(v->id, id, sizeof(v->id));
	nat_open(soa, v);
	v->dest = (struct ferry_mig_dest){
		.som_pk = soa->cfg->som_public_key, .host_id = soa->cfg->host_id,
		.done = g->done, .ops = &soa->ops,
		.rulesets_fd = soa->rulesets_fd,
		.nat = v->has_nat ? &v->nat : NULL,
	};
	v->r = ferry_mig_recv_new(&v->dest, mm->env, mm->env_len, soa_mig_now_s(),
				  &res);
	if (!v->r) {
		pr_warn("migration: order refused: %s (%s)\n",
			ferry_mig_reason_name((unsigned int)res.reason), res.msg);
		nat_close(v);
		soa_mig_send_reason(soa, FERRY_MSG_REFUSED, id,
				    res.reason ? res.reason : FERRY_MIG_INTERNAL);
		return;
	}
	pr_info("migration: order accepted, ready to receive\n");
	soa_mig_send_reason(soa, FERRY_MSG_READY, id, 0);
}

static void send_done(struct soa *soa, const struct soa_recv *v)
{
	const struct ferry_mig_result *r = ferry_mig_recv_result(v->r);
	struct ferry_migmsg mm = { .type = FERRY_MSG_DONE };
	int i;

	memcpy(mm.id, v->id, sizeof(mm.id));
	mm.reason = (__u32)r->reason;
	mm.flows = r->flows;
	mm.accepted = r->count[FERRY_IMPORT_ACCEPTED];
	for (i = 0; i < FERRY_MIGMSG_NREJECT && i + 1 < FERRY_IMPORT_REASON_MAX; i++)
		mm.rejected[i] = r->count[i + 1];
	/* all or nothing: a failed migration installed none */
	if (mm.accepted > mm.flows || r->reason)
		mm.accepted = 0;
	if (r->reason)
		pr_warn("migration: failed: %s (%s)\n",
			ferry_mig_reason_name((unsigned int)r->reason), r->msg);
	else
		pr_info("migration: installed %llu of %llu flows\n",
			(unsigned long long)mm.accepted, (unsigned long long)mm.flows);
	if (soa_mig_send(soa, &mm))
		pr_warn("migration: cannot send DONE\n");
}

/* Installed: on disk before the SOM hears DONE. */
static void note_done(struct soa_mig *g, const struct soa_recv *v)
{
	const struct ferry_mig_order *o = ferry_mig_recv_order(v->r);
	char err[FERRY_MIG_DONE_FILE_ERR_MAX];

	if (ferry_mig_done_file_note(g->file, g->done, o->id, o->expires_s,
				     soa_mig_now_s(), err, sizeof(err)))
		pr_warn("migration: installed, but not recorded as done (%s): after "
			"a restart a replay of its order would import again\n", err);
	else if (err[0])
		pr_warn("migration: %s\n", err);
}

/* v's outcome ret (feed's or retry's): once final, DONE and the end. */
static void settle(struct soa *soa, struct soa_mig *g, struct soa_recv *v, int ret)
{
	if (!ret || !ferry_mig_recv_settled(v->r))
		return;
	if (ret == 1)
		note_done(g, v);
	send_done(soa, v);
	/* Confirmed: now the per-VM index, off the migration's clock. */
	if (ret == 1 && (ret = ferry_mig_recv_index(v->r)))
		pr_warn("migration: noting the installed flows in the VM index: %s "
			"(exports of the VM walk the table)\n", strerror(-ret));
	recv_end(v);
}

/* The retry timer ticking (on) or stopped; a system call only when that
 * changes (retry_waiting runs at every DATA). */
static void arm_retry(struct soa_mig *g, bool on)
{
	struct itimerspec its = { 0 };

	if (on == g->retry_armed)
		return;
	g->retry_armed = on;
	if (on) {
		its.it_value.tv_nsec = SOA_RECV_RETRY_MS * 1000000l;
		its.it_interval = its.it_value;
	}
	if (g->retry_fd >= 0 && timerfd_settime(g->retry_fd, 0, &its, NULL))
		pr_warn("migration: retry timer: %s\n", strerror(errno));
}

/*
 * A migration ended, or the timer ticked: one whose commit waited for the
 * table installs if the table's import is free now. The timer runs while
 * one still waits.
 */
static void retry_waiting(struct soa *soa, struct soa_mig *g)
{
	bool waiting = false;
	int i;

	for (i = 0; i < SOA_MIG_RECV_MAX; i++) {
		struct soa_recv *v = &g->recv[i];

		if (v->r && ferry_mig_recv_waiting(v->r))
			settle(soa, g, v, ferry_mig_recv_retry(v->r, soa_mig_now_s()));
		if (v->r && ferry_mig_recv_waiting(v->r))
			waiting = true;
	}
	arm_retry(g, waiting);
}

void soa_recv_retry_timer(struct soa *soa)
{
	__u64 ticks;

	if (!soa->mig || read(soa->mig->retry_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	retry_waiting(soa, soa->mig);
}

void soa_recv_data(struct soa *soa, struct soa_mig *g,
		   const struct ferry_migmsg *mm)
{
	struct soa_recv *v = find(g, mm->id);

	if (!v) {	/* e.g. the rest of one that failed: many may follow */
		pr_debug("migration: DATA for a migration not being received: ignored\n");
		return;
	}
	settle(soa, g, v, ferry_mig_recv_feed(v->r, mm->env, mm->env_len,
					      soa_mig_now_s()));
	retry_waiting(soa, g);
}

void soa_recv_abort(struct soa *soa, struct soa_mig *g, const struct ferry_migmsg *mm)
{
	struct soa_recv *v = find(g, mm->id);

	if (v)
		recv_end(v);
	else if (ferry_mig_done_has(g->done, mm->id))
		pr_warn("migration: it was installed here already (the SOM did not "
			"hear DONE): its flows stay\n");
	retry_waiting(soa, g);
}

bool soa_recv_active(const struct soa *soa)
{
	int i;

	for (i = 0; soa->mig && i < SOA_MIG_RECV_MAX; i++)
		if (soa->mig->recv[i].r)
			return true;
	return false;
}

void soa_recv_drop_all(struct soa_mig *g, const char *why)
{
	int i;

	for (i = 0; i < SOA_MIG_RECV_MAX; i++)
		if (g->recv[i].r) {
			pr_warn("migration: %s: receiver dropped, nothing installed\n",
				why);
			recv_end(&g->recv[i]);
		}
}

/* The finished migrations of this instance, from the state directory. */
int soa_recv_open(struct soa *soa, struct soa_mig *g)
{
	char path[PATH_MAX], err[FERRY_MIG_DONE_FILE_ERR_MAX];
	int ret;

	if (mkdir(soa->state_dir, 0700) && errno != EEXIST) {
		ret = -errno;
		pr_warn("state directory %s: %s\n", soa->state_dir, strerror(-ret));
		return ret;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.migrations-done",
			     soa->state_dir, soa->cfg->instance) >= sizeof(path))
		return -ENAMETOOLONG;
	g->file = ferry_mig_done_file_open(path, g->done, soa_mig_now_s(), err,
					   sizeof(err));
	if (!g->file) {
		ret = -errno;
		pr_warn("%s\n", err);
		return ret;
	}
	if (err[0])
		pr_warn("%s\n", err);
	pr_info("finished migrations: %s, %u not expired\n", path,
		ferry_mig_done_count(g->done));
	g->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ret = g->retry_fd < 0 ? -errno :
	      soa_loop_add(soa, g->retry_fd, SOA_EV_MIG_RETRY, EPOLLIN);
	if (ret)
		pr_warn("migration: retry timer: %s\n", strerror(-ret));
	return ret;
}

void soa_recv_close(struct soa_mig *g)
{
	int i;

	for (i = 0; i < SOA_MIG_RECV_MAX; i++)
		recv_end(&g->recv[i]);
	ferry_mig_done_file_close(g->file);
	g->file = NULL;
	if (g->retry_fd >= 0)
		close(g->retry_fd);
	g->retry_fd = -1;
}
