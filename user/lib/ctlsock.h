/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's local control socket: how ferryctl asks a running ferry-soa
 * to run one of its commands. A UNIX SOCK_SEQPACKET socket, mode 0600 in a
 * 0700 directory, and only peers of uid 0 or the agent's own uid are served.
 *
 * A request is one message: the bytes "FCTL", a version byte (1), then the
 * command's arguments, each ended by a NUL, with the client's stdin, stdout
 * and stderr attached as SCM_RIGHTS. The agent runs the command with those
 * as its standard streams, so output and bundles flow straight between the
 * command and the client's files. The reply is one message: the command's
 * exit status as a 4-byte little-endian integer, then an optional message
 * (why the agent refused to run it). docs/operations.md has the details.
 */
#ifndef FERRY_CTLSOCK_H
#define FERRY_CTLSOCK_H

#include <stddef.h>
#include <sys/types.h>

#define FERRY_CTL_RUN_DIR	"/run/ferry"
#define FERRY_CTL_MSG_MAX	4096
#define FERRY_CTL_ARGS_MAX	64
#define FERRY_CTL_VERSION	1

/* Default socket of an instance: /run/ferry/<instance>.sock. */
int ferry_ctl_default_path(const char *instance, char *buf, size_t len);

/*
 * Run argv[0..argc) in the agent listening at path, with this process's
 * standard streams. Returns 0 with the command's exit status in *status,
 * -ENOENT or -ECONNREFUSED when no agent listens there (the caller may run
 * the command itself), or another -errno with a message in err.
 */
int ferry_ctl_call(const char *path, int argc, char **argv, int *status,
		   char *err, size_t errlen);

/* Listen at path: a socket already there that nobody serves is replaced,
 * one that an agent serves is -EADDRINUSE. Non-blocking fd or -errno. */
int ferry_ctl_listen(const char *path, char *err, size_t errlen);

struct ferry_ctl_req {
	int argc;
	char *argv[FERRY_CTL_ARGS_MAX + 1];	/* point into buf */
	int fds[3];				/* stdin, stdout, stderr */
	uid_t uid;
	pid_t pid;
	char buf[FERRY_CTL_MSG_MAX];
};

/*
 * Receive the request on a connection accepted from the listening socket,
 * refusing peers other than root or owner_uid, malformed messages and
 * missing descriptors. 0, or -errno with a message in err (fds closed);
 * -ENODATA: the client closed without asking anything.
 */
int ferry_ctl_recv(int conn, uid_t owner_uid, struct ferry_ctl_req *req,
		   char *err, size_t errlen);
void ferry_ctl_req_close(struct ferry_ctl_req *req);

/* Answer with an exit status and, if msg is not NULL, why. */
int ferry_ctl_reply(int conn, int status, const char *msg);

/* Pure parsing of a request's bytes (for tests): 0 or -EINVAL + err. */
int ferry_ctl_parse(struct ferry_ctl_req *req, size_t len, char *err,
		    size_t errlen);

#endif
