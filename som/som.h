/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ferry-som, the State Orchestration Master: it authenticates and
 * authorizes SOAs and TDEs (IF(M,A) F1), keeps the registry of State Hosts
 * (F2) with their heartbeats, persists it in a journal, accepts TDE
 * notifications (IF(M,T) F1) and runs the migrations they start (F3),
 * journaled too. One thread, one epoll loop.
 */
#ifndef FERRY_SOM_H
#define FERRY_SOM_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/types.h>
#include "authkeys.h"
#include "identity.h"
#include "migorder.h"
#include "somproto.h"
#include "wiresession.h"

#define SOM_PATH_MAX		256
#define SOM_LISTEN_MAX		8
#define SOM_SOURCES_MAX		1024
#define SOM_ERR_MAX		512
#define SOM_ADDR_STR		64	/* "[v6]:port" */
#define SOM_TICK_MS		100
/*
 * The relay's flow control (relay.c): when more than HIGH bytes wait to be
 * written to a migration's destination, the source's connection is not read
 * until every destination it feeds has under LOW bytes waiting.
 */
#define SOM_RELAY_HIGH		(4u << 20)
#define SOM_RELAY_LOW		(1u << 20)

/* The configuration (config.c); docs/operations.md has the format. */
struct som_config {
	char identity_key[SOM_PATH_MAX];
	char authorized_keys[SOM_PATH_MAX];
	char control_socket[108];
	char journal[SOM_PATH_MAX];
	__u32 nlisten;
	struct sockaddr_storage listen[SOM_LISTEN_MAX];
	__u32 heartbeat_ms, lost_ms;
	/* [limits] */
	__u32 max_connections;
	__u32 max_pending_per_source;
	__u32 handshakes_per_second;	/* per source address, burst as much */
	__u32 frames_per_second;	/* per peer */
	__u32 handshake_timeout_ms;	/* also bounds a partly received frame */
	__u32 max_notifications;	/* kept for `ferryctl som status` */
	/* [migration] */
	__u32 mig_deadline_ms;		/* notify to installed, at most */
	__u32 max_migrations;		/* kept for `ferryctl som migrations` */
};

int som_config_read(const char *path, struct som_config *cfg, char *err,
		    size_t errlen);
int som_config_parse(const char *text, const char *name, struct som_config *cfg,
		     char *err, size_t errlen);

/* What an epoll registration points to. */
enum som_ev {
	SOM_EV_SIGNAL = 1,
	SOM_EV_TICK,
	SOM_EV_LISTEN,
	SOM_EV_CONN,		/* a struct som_conn, of which it is the head */
	SOM_EV_CTL,
	SOM_EV_CTL_REQ,		/* malloc'ed, freed with its connection */
};

struct som_watch {
	enum som_ev ev;
	int fd;
};

/* One source address: pending handshakes and its handshake token bucket. */
struct som_source {
	__u8 addr[16];		/* IPv6 or v4-mapped */
	__u32 pending;
	__u32 refused;		/* since the last log line about it */
	__u64 tokens_at_ns;	/* bucket: full at this time (virtual clock) */
	__u64 last_log_ns;
	bool used;
};

/* One TCP connection of the protocol. */
struct som_conn {
	struct som_watch w;	/* first: epoll points here */
	struct sockaddr_storage src;
	char srcstr[SOM_ADDR_STR];
	struct som_source *source;	/* while the handshake runs */
	struct ferry_session s;
	bool up;
	bool closing;			/* flush the output, then close */
	bool paused;			/* not read: a destination is behind (relay.c) */
	int host;			/* registry index of a registered SOA, -1 */
	__u64 accepted_ns;
	__u64 partial_since_ns;		/* 0: no partial frame */
	__u64 window_ns;		/* frame rate: this second's start */
	__u32 window_frames;
	__u64 notifies;
	struct som *som;
};

struct som_host {
	struct ferry_host_profile p;
	__u8 pk[FERRY_WIRE_KEY_LEN];	/* the key it registered with */
	__u64 registered_ms;		/* realtime of the journaled profile */
	__u64 last_heartbeat_ms;	/* realtime, 0: none since start */
	__u64 last_seen_ns;		/* monotonic */
	struct som_conn *conn;		/* NULL: lost (or not back yet) */
	char addr[SOM_ADDR_STR];	/* of its last connection */
	char lost_why[64];
};

struct som_notice {
	struct ferry_notify n;
	__u32 tde_host;
	__u64 received_ms;
};

enum som_mig_phase {
	SOM_MIG_PREPARING,	/* PREPARE sent, waiting for READY */
	SOM_MIG_UPLOADING,	/* UPLOAD sent, waiting for the first DATA */
	SOM_MIG_INSTALLING,	/* DATA relayed, waiting for DONE */
	SOM_MIG_DONE,
	SOM_MIG_FAILED,
};

/* One migration (migrate.c): its times are monotonic ns, 0: not reached. */
struct som_mig {
	__u8 id[16];
	struct ferry_notify n;
	enum som_mig_phase phase;
	int reason;			/* enum ferry_mig_reason */
	char why[128];
	__u64 flows, accepted, rejected, chunks;
	__u64 pauses;			/* times the relay held the source back */
	__u64 t_notify, t_order, t_first, t_installed, t_released;
	__u64 deadline_ns;
	__u64 started_ms;		/* CLOCK_REALTIME of the notification */
	__u32 deadline_ms;		/* as configured when it started */
	__u8 order[FERRY_MIG_ORDER_MAX];	/* sealed: PREPARE and UPLOAD */
	size_t order_len;
	int wait_fd, wait_out;		/* a `ferryctl migrate --wait`, or -1 */
	/* ended by a restart: the side still to be told (ABORT) when it registers */
	bool abort_from, abort_to;
};

/* Kinds of journal records (journal.c, migjournal.c). */
enum som_jrec {
	SOM_JREC_HOST = 1,
	SOM_JREC_MIG_START,
	SOM_JREC_MIG_PHASE,
	SOM_JREC_MIG_END,
};

/* The largest payload of a migration record. */
#define SOM_JREC_MAX	(1 + 16 + 8 + 4 + FERRY_SOMPROTO_MSG_MAX)

struct som {
	const char *config_path;
	struct som_config cfg;
	struct ferry_identity id;
	struct ferry_authkeys *keys;
	uid_t owner;
	int epfd;
	struct som_watch sig, tick, ctl;
	struct som_watch listen[SOM_LISTEN_MAX];
	__u32 nlisten;
	struct som_conn **conns;	/* max_connections slots */
	__u32 nconns;
	struct som_source sources[SOM_SOURCES_MAX];
	/* registry */
	struct som_host *hosts;
	__u32 nhosts, hosts_cap;
	int journal_fd;
	__u32 journal_records;
	/* recent notifications, a ring */
	struct som_notice *notices;
	__u32 notice_next, notice_count;
	__u64 notices_total;
	/* migrations, oldest first; finished ones beyond max are dropped */
	struct som_mig *migs;
	__u32 nmigs;
	__u32 relay_paused;		/* connections paused by the relay */
	/* figures */
	__u64 handshakes, refusals, limit_drops;
	__u64 started_ms;
	bool stop;
};

/* listen.c: listening sockets, accepting, per-source limits */
int som_listen_open(struct som *som);
void som_listen_close(struct som *som);
void som_accept(struct som *som, struct som_watch *lw);
void som_source_done(struct som *som, struct som_conn *c);

/* conn.c: one connection's session */
void som_conn_event(struct som *som, struct som_conn *c, unsigned int events);
void som_conn_close(struct som *som, struct som_conn *c, int reason,
		    const char *why);
void som_conn_flush(struct som *som, struct som_conn *c);
void som_conns_tick(struct som *som);
void som_conns_recheck(struct som *som);
int som_authorize(void *ctx, const struct ferry_hs_peer *peer, char *why,
		  size_t whylen);

/* registry.c */
int som_register(struct som *som, struct som_conn *c,
		 const struct ferry_host_profile *p);
void som_heartbeat(struct som *som, struct som_conn *c, __u64 load);
void som_host_gone(struct som *som, struct som_conn *c, const char *why);
void som_hosts_tick(struct som *som);
void som_notice_add(struct som *som, struct som_conn *c,
		    const struct ferry_notify *n);
int som_host_find(const struct som *som, __u32 host_id);
int som_host_put(struct som *som, const struct ferry_host_profile *p,
		 const __u8 pk[FERRY_WIRE_KEY_LEN], __u64 registered_ms);

/* migrate.c */
int som_mig_start(struct som *som, const struct ferry_notify *n, char *err,
		  size_t errlen);
int som_mig_msg(struct som *som, struct som_conn *c, __u8 type,
		const __u8 *msg, size_t len, char *why, size_t whylen);
void som_mig_conn_gone(struct som *som, struct som_conn *c);
void som_mig_tick(struct som *som);
int som_mig_control(struct som *som, int argc, char **argv, int conn, int out,
		    char *err, size_t errlen);
int som_print_migrations(const struct som *som, int fd, bool json);
void som_mig_free(struct som *som);

bool som_mig_running(const struct som_mig *m);
struct som_mig *som_mig_slot(struct som *som);
void som_mig_host_back(struct som *som, struct som_conn *c);
struct som_conn *som_host_conn(struct som *som, __u32 host_id);

/* migjournal.c: migrations in the journal */
int som_migj_encode(const struct som_mig *m, enum som_jrec kind, __u8 *buf,
		    size_t size);
int som_migj_replay(struct som *som, const __u8 *p, size_t len, char *err,
		    size_t errlen);
void som_migj_restarted(struct som *som);

/* relay.c: flow control of the DATA relay */
void som_relay_sent(struct som *som, struct som_mig *m, struct som_conn *src,
		    struct som_conn *dst);
void som_relay_drained(struct som *som, struct som_conn *c);
void som_relay_recheck(struct som *som, struct som_conn *src);
bool som_relay_feeding(struct som *som, const struct som_conn *c);
void som_relay_closed(struct som *som, struct som_conn *c);

/* journal.c */
int som_journal_open(struct som *som);
int som_journal_append(struct som *som, const struct som_host *h);
int som_journal_mig(struct som *som, const struct som_mig *m, enum som_jrec kind,
		    bool sync);
int som_journal_sync(struct som *som);
/* big-endian n-byte integers of the journal's records */
void som_put_be(__u8 *p, __u64 v, int n);
__u64 som_get_be(const __u8 *p, int n);
void som_journal_close(struct som *som);

/* control.c */
int som_control_open(struct som *som);
void som_control_accept(struct som *som);
void som_control_request(struct som *som, struct som_watch *w);
void som_control_close(struct som *som);
int som_print_status(const struct som *som, int fd);

/* loop.c */
int som_loop_add(struct som *som, struct som_watch *w, unsigned int events);
int som_loop_mod(struct som *som, struct som_watch *w, unsigned int events);
void som_loop_del(struct som *som, struct som_watch *w);
int som_run(struct som *som);
int som_reload_keys(struct som *som);

__u64 som_now_ns(void);		/* monotonic */
__u64 som_realtime_ms(void);
void som_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif
