// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's side of a migration (docs/migration.md "Orchestration"), on
 * its link to the SOM: the SOM's migration messages, and the source's
 * upload. As destination see migrecv.c. As source: UPLOAD runs the export
 * of the order's VM through the per-VM index, each signed CHUNK and the
 * COMMIT sent as DATA as they are made, each after the link's output has
 * drained to UPLOAD_HIGH (the SOM reads us only as fast as the destination
 * takes the data, som/relay.c); a failure sends UPLOAD_FAILED. RELEASE is
 * logged: the source keeps its copy of the flows, which expire as the
 * traffic moves to the destination.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"
#include "migsource.h"
#include "soamig.h"

#define CHUNK_BYTES	(64u << 10)
/* Output the source lets wait before it waits for its socket itself. */
#define UPLOAD_HIGH	(1u << 20)

__u64 soa_mig_now_s(void)
{
	return (__u64)time(NULL);
}

int soa_mig_send(struct soa *soa, const struct ferry_migmsg *mm)
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

void soa_mig_send_reason(struct soa *soa, __u8 type, const __u8 *id, int reason)
{
	struct ferry_migmsg mm = { .type = type, .reason = (__u32)reason };

	memcpy(mm.id, id, FERRY_MIG_ID_LEN);
	if (soa_mig_send(soa, &mm))
		pr_warn("migration: cannot send message type %u\n", type);
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
		g->up_err = soa_mig_send(soa, &mm);
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
		.host_id = soa->cfg->host_id, .ops = &soa->ops,
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
		soa_mig_send_reason(soa, FERRY_MSG_UPLOAD_FAILED, o.id,
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
		soa_recv_prepare(soa, g, &mm);
		return 0;
	case FERRY_MSG_UPLOAD:
		on_upload(soa, g, &mm);
		return 0;
	case FERRY_MSG_DATA:
		soa_recv_data(soa, g, &mm);
		return 0;
	case FERRY_MSG_RELEASE:
		pr_info("migration: released: the destination installed the flows; "
			"ours expire as the traffic moves\n");
		return 0;
	case FERRY_MSG_ABORT:
		pr_warn("migration: aborted by the SOM: %s\n",
			ferry_mig_reason_name(mm.reason));
		soa_recv_abort(soa, g, &mm);
		return 0;
	default:
		pr_warn("migration message %u is not for an agent\n", type);
		return -EPROTO;
	}
}

/* The link to the SOM dropped: the migrations being received are abandoned. */
void soa_mig_link_lost(struct soa *soa)
{
	if (soa->mig)
		soa_recv_drop_all(soa->mig, "link to the SOM lost");
}

int soa_mig_open(struct soa *soa)
{
	int ret = -ENOMEM;

	soa->mig = calloc(1, sizeof(*soa->mig));
	if (!soa->mig)
		return ret;
	soa->mig->retry_fd = -1;
	soa->mig->done = ferry_mig_done_new(FERRY_MIG_DONE_DEFAULT);
	/* only an agent with a link to the SOM takes part in migrations */
	if (soa->mig->done)
		ret = soa->cfg->has_security ? soa_recv_open(soa, soa->mig) : 0;
	if (ret)
		soa_mig_close(soa);
	return ret;
}

void soa_mig_close(struct soa *soa)
{
	if (!soa->mig)
		return;
	soa_recv_close(soa->mig);
	ferry_mig_done_free(soa->mig->done);
	free(soa->mig);
	soa->mig = NULL;
}
