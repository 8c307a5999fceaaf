// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's side of a migration (docs/migration.md "Orchestration"), on
 * its link to the SOM. As destination: PREPARE opens a receiver (the SOM's
 * signature, this host as destination, expiry, idempotency by id) and
 * answers READY or REFUSED; each DATA is fed to it; when it installs (at
 * the commit) or fails, DONE carries the result; ABORT frees it (nothing
 * was installed: installation happens only at the commit). As source:
 * UPLOAD runs the export of the order's VM through the per-VM index, each
 * signed CHUNK and the COMMIT sent as DATA as they are made; a failure
 * sends UPLOAD_FAILED. RELEASE is logged: the source keeps its copy of the
 * flows, which expire as the traffic moves to the destination.
 *
 * One receiver at a time (a second PREPARE is refused). The set of finished
 * migration ids is kept in STATE_DIR/INSTANCE.migrations-done
 * (migdonefile.h): each installed migration is synced there before DONE
 * is sent, so a replayed order answers already-done across restarts too.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "datapath.h"
#include "log.h"
#include "migdest.h"
#include "migdonefile.h"
#include "migsource.h"
#include "soa.h"
#include "somproto.h"

#define CHUNK_BYTES	(64u << 10)
/* Output the source lets wait before it waits for its socket itself. */
#define UPLOAD_HIGH	(1u << 20)

struct soa_mig {
	struct ferry_mig_done *done;
	struct ferry_mig_done_file *file;	/* NULL: no migration is received */
	struct ferry_mig_recv *recv;
	struct ferry_mig_dest dest;	/* the receiver points to it */
	struct ferry_import_nat nat;
	bool has_nat;
	__u8 id[FERRY_MIG_ID_LEN];	/* being received */
	__u8 up_id[FERRY_MIG_ID_LEN];	/* being uploaded */
	__u64 up_deadline_ms;		/* its order's expiry */
	int up_err;			/* why emit failed, or 0 */
};

static __u64 now_s(void)
{
	return (__u64)time(NULL);
}

static int send_msg(struct soa *soa, const struct ferry_migmsg *mm)
{
	size_t cap = mm->env_len + 128;
	__u8 *buf = malloc(cap);
	int len, ret = -ENOMEM;

	if (!buf)
		return ret;
	len = ferry_migmsg_encode(mm, buf, cap);
	ret = len < 0 ? len : soa_somlink_send(soa, mm->type, buf, (size_t)len);
	free(buf);
	return ret;
}

static void send_reason(struct soa *soa, __u8 type, const __u8 *id, int reason)
{
	struct ferry_migmsg mm = { .type = type, .reason = (__u32)reason };

	memcpy(mm.id, id, FERRY_MIG_ID_LEN);
	if (send_msg(soa, &mm))
		pr_warn("migration: cannot send message type %u\n", type);
}

static void nat_close(struct soa_mig *g)
{
	if (!g->has_nat)
		return;
	close(g->nat.rev_fd);
	close(g->nat.pools_fd);
	close(g->nat.fwds_fd);
	g->has_nat = false;
}

static void nat_open(struct soa *soa, struct soa_mig *g)
{
	const char *inst = soa->cfg->instance;

	g->nat.rev_fd = ferry_dp_map_fd(inst, "ferry_nat_rev");
	g->nat.pools_fd = ferry_dp_map_fd(inst, "ferry_nat_pools");
	g->nat.fwds_fd = ferry_dp_map_fd(inst, "ferry_nat_fwds");
	g->has_nat = g->nat.rev_fd >= 0 && g->nat.pools_fd >= 0 &&
		     g->nat.fwds_fd >= 0;
	if (g->has_nat)
		return;
	if (g->nat.rev_fd >= 0)
		close(g->nat.rev_fd);
	if (g->nat.pools_fd >= 0)
		close(g->nat.pools_fd);
	if (g->nat.fwds_fd >= 0)
		close(g->nat.fwds_fd);
}

static void recv_end(struct soa_mig *g)
{
	if (g->recv)
		ferry_mig_recv_free(g->recv);
	g->recv = NULL;
	nat_close(g);
}

static bool writer_running(const struct soa *soa)
{
	int i;

	for (i = 0; i < SOA_CHILDREN_MAX; i++)
		if (soa->children[i].pid && soa->children[i].writes)
			return true;
	return false;
}

static void on_prepare(struct soa *soa, struct soa_mig *g,
		       const struct ferry_migmsg *mm)
{
	struct ferry_mig_dest *d = &g->dest;
	__u8 id[FERRY_MIG_ID_LEN] = {};
	struct ferry_mig_result res = {};
	struct ferry_mig_order o;
	char err[FERRY_MIG_ERR_MAX];
	int reason;

	/* the id, to answer with: the order's, if it opens at all */
	if (!ferry_mig_order_open(mm->env, mm->env_len, soa->cfg->som_public_key,
				  &o, &reason, err, sizeof(err)))
		memcpy(id, o.id, sizeof(id));
	if (g->recv || writer_running(soa) || !g->file) {
		pr_warn("migration: PREPARE refused: %s\n",
			g->recv ? "a migration is being received" :
			!g->file ? "no file of finished migrations ([security] added "
				   "by a reload: restart the agent)" :
				   "an import is running");
		send_reason(soa, FERRY_MSG_REFUSED, id, FERRY_MIG_INTERNAL);
		return;
	}
	memcpy(g->id, id, sizeof(g->id));
	nat_open(soa, g);
	*d = (struct ferry_mig_dest){
		.som_pk = soa->cfg->som_public_key, .host_id = soa->cfg->host_id,
		.done = g->done, .ct_fd = soa->ct_fd, .config_fd = soa->config_fd,
		.rulesets_fd = soa->rulesets_fd, .index = &soa->links.ix,
		.nat = g->has_nat ? &g->nat : NULL,
	};
	g->recv = ferry_mig_recv_new(d, mm->env, mm->env_len, now_s(), &res);
	if (!g->recv) {
		pr_warn("migration: order refused: %s (%s)\n",
			ferry_mig_reason_name((unsigned int)res.reason), res.msg);
		nat_close(g);
		send_reason(soa, FERRY_MSG_REFUSED, g->id,
			    res.reason ? res.reason : FERRY_MIG_INTERNAL);
		return;
	}
	pr_info("migration: order accepted, ready to receive\n");
	send_reason(soa, FERRY_MSG_READY, g->id, 0);
}

static void send_done(struct soa *soa, struct soa_mig *g)
{
	const struct ferry_mig_result *r = ferry_mig_recv_result(g->recv);
	struct ferry_migmsg mm = { .type = FERRY_MSG_DONE };
	int i;

	memcpy(mm.id, g->id, sizeof(mm.id));
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
	if (send_msg(soa, &mm))
		pr_warn("migration: cannot send DONE\n");
}

/* Installed: on disk before the SOM hears DONE. */
static void note_done(struct soa_mig *g)
{
	const struct ferry_mig_order *o = ferry_mig_recv_order(g->recv);
	char err[FERRY_MIG_DONE_FILE_ERR_MAX];

	if (ferry_mig_done_file_note(g->file, g->done, o->id, o->expires_s, now_s(),
				     err, sizeof(err)))
		pr_warn("migration: installed, but not recorded as done (%s): after "
			"a restart a replay of its order would import again\n", err);
	else if (err[0])
		pr_warn("migration: %s\n", err);
}

static void on_data(struct soa *soa, struct soa_mig *g,
		    const struct ferry_migmsg *mm)
{
	int ret;

	if (!g->recv || memcmp(mm->id, g->id, sizeof(g->id))) {
		pr_info("migration: DATA for a migration not being received: ignored\n");
		return;
	}
	ret = ferry_mig_recv_feed(g->recv, mm->env, mm->env_len, now_s());
	if (!ret)
		return;
	if (ret == 1)
		note_done(g);
	send_done(soa, g);
	recv_end(g);
}

static int emit(void *ctx, __u32 type, __u64 seq, const __u8 *env, size_t len)
{
	struct soa *soa = ctx;
	struct soa_mig *g = soa->mig;
	struct ferry_migmsg mm = { .type = FERRY_MSG_DATA, .env = env,
				   .env_len = len };

	(void)type;
	(void)seq;
	memcpy(mm.id, g->up_id, sizeof(mm.id));
	/* flow control: the SOM reads us only as fast as the destination */
	g->up_err = soa_somlink_drain(soa, UPLOAD_HIGH, g->up_deadline_ms);
	if (!g->up_err)
		g->up_err = send_msg(soa, &mm);
	return g->up_err;
}

static void on_upload(struct soa *soa, struct soa_mig *g,
		      const struct ferry_migmsg *mm)
{
	struct ferry_mig_result res = {};
	struct ferry_mig_order o;
	char err[FERRY_MIG_ERR_MAX];
	int reason = 0, ret;
	struct ferry_mig_source s = {
		.order = &o, .id = soa_somlink_identity(soa),
		.host_id = soa->cfg->host_id, .ct_fd = soa->ct_fd,
		.config_fd = soa->config_fd, .index = &soa->links.ix,
		.chunk_bytes = CHUNK_BYTES, .emit = emit, .ctx = soa,
	};

	ret = ferry_mig_order_open(mm->env, mm->env_len, soa->cfg->som_public_key,
				   &o, &reason, err, sizeof(err));
	if (ret) {
		pr_warn("migration: UPLOAD order: %s\n", err);
		/* no id to answer with: the SOM's deadline ends it */
		return;
	}
	memcpy(g->up_id, o.id, sizeof(g->up_id));
	g->up_deadline_ms = o.expires_s * 1000;
	g->up_err = 0;
	ret = ferry_mig_source_run(&s, &res);
	if (ret) {
		/* waiting for the socket outlasted the order */
		if (g->up_err == -ETIME)
			res.reason = FERRY_MIG_EXPIRED;
		pr_warn("migration: export failed: %s (%s)\n",
			ferry_mig_reason_name((unsigned int)res.reason), res.msg);
		send_reason(soa, FERRY_MSG_UPLOAD_FAILED, o.id,
			    res.reason ? res.reason : FERRY_MIG_INTERNAL);
		return;
	}
	pr_info("migration: exported %llu flows in %llu chunks\n",
		(unsigned long long)res.flows, (unsigned long long)res.chunks);
}

int soa_mig_msg(struct soa *soa, __u8 type, const __u8 *msg, size_t len)
{
	struct soa_mig *g = soa->mig;
	char err[FERRY_SOMPROTO_ERR_MAX];
	struct ferry_migmsg mm;

	if (ferry_migmsg_decode(type, msg, len, &mm, err, sizeof(err))) {
		pr_warn("migration message %u: %s\n", type, err);
		return -EBADMSG;
	}
	switch (type) {
	case FERRY_MSG_PREPARE:
		on_prepare(soa, g, &mm);
		return 0;
	case FERRY_MSG_UPLOAD:
		on_upload(soa, g, &mm);
		return 0;
	case FERRY_MSG_DATA:
		on_data(soa, g, &mm);
		return 0;
	case FERRY_MSG_RELEASE:
		pr_info("migration: released: the destination installed the flows; "
			"ours expire as the traffic moves\n");
		return 0;
	case FERRY_MSG_ABORT:
		pr_warn("migration: aborted by the SOM: %s\n",
			ferry_mig_reason_name(mm.reason));
		if (g->recv && !memcmp(mm.id, g->id, sizeof(g->id)))
			recv_end(g);
		else if (ferry_mig_done_has(g->done, mm.id))
			pr_warn("migration: it was installed here already (the SOM did "
				"not hear DONE): its flows stay\n");
		return 0;
	default:
		pr_warn("migration message %u is not for an agent\n", type);
		return -EPROTO;
	}
}

/* The link to the SOM dropped: a migration being received is abandoned. */
void soa_mig_link_lost(struct soa *soa)
{
	if (soa->mig && soa->mig->recv) {
		pr_warn("migration: link to the SOM lost: receiver dropped, nothing installed\n");
		recv_end(soa->mig);
	}
}

/* The finished migrations of this instance, from the state directory. */
static int open_done_file(struct soa *soa, struct soa_mig *g)
{
	char path[PATH_MAX], err[FERRY_MIG_DONE_FILE_ERR_MAX];

	if (mkdir(soa->state_dir, 0700) && errno != EEXIST) {
		pr_warn("state directory %s: %s\n", soa->state_dir, strerror(errno));
		return -errno;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.migrations-done",
			     soa->state_dir, soa->cfg->instance) >= sizeof(path))
		return -ENAMETOOLONG;
	g->file = ferry_mig_done_file_open(path, g->done, now_s(), err, sizeof(err));
	if (!g->file) {
		pr_warn("%s\n", err);
		return -errno;
	}
	if (err[0])
		pr_warn("%s\n", err);
	pr_info("finished migrations: %s, %u not expired\n", path,
		ferry_mig_done_count(g->done));
	return 0;
}

int soa_mig_open(struct soa *soa)
{
	int ret = -ENOMEM;

	soa->mig = calloc(1, sizeof(*soa->mig));
	if (!soa->mig)
		return ret;
	soa->mig->done = ferry_mig_done_new(FERRY_MIG_DONE_DEFAULT);
	/* only an agent with a link to the SOM takes part in migrations */
	if (soa->mig->done)
		ret = soa->cfg->has_security ? open_done_file(soa, soa->mig) : 0;
	if (ret)
		soa_mig_close(soa);
	return ret;
}

void soa_mig_close(struct soa *soa)
{
	if (!soa->mig)
		return;
	recv_end(soa->mig);
	ferry_mig_done_file_close(soa->mig->file);
	ferry_mig_done_free(soa->mig->done);
	free(soa->mig);
	soa->mig = NULL;
}
