/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ferry-soa, the State Orchestration Agent of one State Host: it loads the
 * datapath from its configuration (pinned, so it outlives the agent),
 * sweeps expired flows, and serves ferryctl on its control socket.
 */
#ifndef FERRY_SOA_H
#define FERRY_SOA_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "soaconfig.h"
#include "stateops.h"
#include "vmindex.h"
#include "identity.h"

#define SOA_CHILDREN_MAX	8	/* control commands running at once */

/* A control command running in a child process. */
struct soa_child {
	pid_t pid;		/* 0: free slot */
	int conn;		/* the client's connection, answered at exit */
	bool writes;		/* changes state: at most one at a time */
	char command[16];
};

#define SOA_STATE_DIR		"/var/lib/ferry"	/* the state directory's default */

struct soa {
	const char *config_path;
	char *state_dir;		/* files that outlive the agent */
	struct ferry_soa_config *cfg;
	uid_t owner;
	/* the datapath's maps, open for the agent's life */
	int ct_fd, config_fd, rulesets_fd, ifzones_fd;
	struct ferry_stateops ops;	/* moving flows: sweep, export, import */
	struct ferry_vm_index ix;	/* the per-VM index (ops' maps, borrowed) */
	/* event sources */
	int epfd, sigfd, gc_fd, ctl_fd;
	char ctl_path[FERRY_SOA_SOCK_MAX];
	struct soa_child children[SOA_CHILDREN_MAX];
	bool stop;
	/* the link to the SOM ([security]), somlink.c */
	struct soa_somlink *somlink;
	struct soa_mig *mig;		/* migrate.c */
	/* figures for `ferryctl agent` */
	pid_t pid;
	__u64 started_ns;
	__u64 reloads;
	__u64 gc_runs, gc_removed, gc_last_ns, gc_last_removed;
	__u64 gc_last_entries;
};

/* setup.c: the datapath from the configuration. soa_check: what the
 * parser cannot see (NAT as the datapath takes it), without the kernel. */
int soa_check(const struct soa *soa);
int soa_setup(struct soa *soa);
int soa_reload(struct soa *soa, char *err, size_t errlen);
void soa_teardown(struct soa *soa);

/* gc.c: one sweep of expired flows. */
int soa_gc(struct soa *soa);
int soa_gc_arm(struct soa *soa);

/* control.c: the control socket. */
int soa_control_open(struct soa *soa);
void soa_control_accept(struct soa *soa);
void soa_control_hangup(struct soa *soa, int conn);
void soa_control_reap(struct soa *soa);
void soa_control_close(struct soa *soa);

/* status.c: the agent's own status, `ferryctl agent`. */
int soa_print_status(const struct soa *soa, int fd);

/* somlink.c: connect, register and heartbeat to the SOM */
int soa_somlink_open(struct soa *soa);
void soa_somlink_event(struct soa *soa, unsigned int events);
void soa_somlink_timer(struct soa *soa);
void soa_somlink_close(struct soa *soa);
void soa_somlink_reload(struct soa *soa);
bool soa_somlink_registered(const struct soa *soa);
int soa_somlink_send(struct soa *soa, __u8 type, const __u8 *msg, size_t len);
int soa_somlink_drain(struct soa *soa, size_t max, __u64 deadline_ms);
const struct ferry_identity *soa_somlink_identity(const struct soa *soa);

/* migrate.c: the agent's side of a migration (IF(M,A) F3) */
int soa_mig_open(struct soa *soa);
void soa_mig_close(struct soa *soa);
int soa_mig_msg(struct soa *soa, __u8 type, const __u8 *msg, size_t len);
void soa_mig_link_lost(struct soa *soa);

/* loop.c */
int soa_run(struct soa *soa);

#endif
