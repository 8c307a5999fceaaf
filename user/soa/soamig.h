/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's side of a migration, inside ferry-soa: migrate.c takes the
 * SOM's migration messages and runs the source's upload; migrecv.c is the
 * destination (receivers, the file of finished migrations).
 */
#ifndef FERRY_SOAMIG_H
#define FERRY_SOAMIG_H

#include "cthandover.h"
#include "migdest.h"
#include "migdonefile.h"
#include "soa.h"
#include "somproto.h"

/* Migrations received at once (the SOM may send two VMs to one host). */
#define SOA_MIG_RECV_MAX	4

struct soa_recv {
	struct ferry_mig_recv *r;	/* NULL: a free slot */
	struct ferry_mig_dest dest;	/* r points to it */
	struct ferry_import_nat nat;
	bool has_nat;
	__u8 id[FERRY_MIG_ID_LEN];
};

struct soa_mig {
	struct ferry_mig_done *done;
	struct ferry_mig_done_file *file;	/* NULL: no migration is received */
	struct soa_recv recv[SOA_MIG_RECV_MAX];
	int retry_fd;		/* timerfd while one waits for the table; -1 */
	bool retry_armed;
	__u8 up_id[FERRY_MIG_ID_LEN];	/* being uploaded */
	__u64 up_deadline_ms;		/* its order's expiry */
	int up_err;			/* why emit failed, or 0 */
};

/* migrate.c */
__u64 soa_mig_now_s(void);
int soa_mig_send(struct soa *soa, const struct ferry_migmsg *mm);
void soa_mig_send_reason(struct soa *soa, __u8 type, const __u8 *id, int reason);

/* migrecv.c */
int soa_recv_open(struct soa *soa, struct soa_mig *g);
void soa_recv_close(struct soa_mig *g);
void soa_recv_prepare(struct soa *soa, struct soa_mig *g,
		      const struct ferry_migmsg *mm);
void soa_recv_data(struct soa *soa, struct soa_mig *g,
		   const struct ferry_migmsg *mm);
void soa_recv_abort(struct soa *soa, struct soa_mig *g, const struct ferry_migmsg *mm);
/* The retry timer fired: the migrations waiting for the table try again. */
void soa_recv_retry_timer(struct soa *soa);
/* Is a migration being received? */
bool soa_recv_active(const struct soa *soa);
void soa_recv_drop_all(struct soa_mig *g, const char *why);

#endif
