// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket (ctlsock.h): each request runs ferryctl's command in
 * a child process with the client's standard streams, so a slow client
 * never stalls the agent; the exit status is the answer. Commands that
 * change state run one at a time. `reload` is the agent's own (as SIGHUP)
 * and `agent` prints its status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "ctlsock.h"
#include "ferryctl.h"
#include "log.h"
#include "soa.h"
#include "soaloop.h"
#include "soamig.h"

int soa_control_open(struct soa *soa)
{
	char err[256];
	int fd;

	snprintf(soa->ctl_path, sizeof(soa->ctl_path), "%s",
		 soa->cfg->control_socket);
	fd = ferry_ctl_listen(soa->ctl_path, err, sizeof(err));
	if (fd < 0) {
		pr_warn("control socket: %s\n", err);
		return fd;
	}
	soa->ctl_fd = fd;
	pr_info("control socket %s (mode 0600)\n", soa->ctl_path);
	return soa_loop_add(soa, fd, SOA_EV_LISTEN, EPOLLIN);
}

void soa_control_accept(struct soa *soa)
{
	int conn;

	while ((conn = accept4(soa->ctl_fd, NULL, NULL,
			       SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		if (soa_loop_add(soa, conn, SOA_EV_REQUEST, EPOLLIN | EPOLLRDHUP))
			close(conn);
}

static void finish(struct soa *soa, int conn, int status, const char *why)
{
	ferry_ctl_reply(conn, status, why);
	soa_loop_del(soa, conn);
	close(conn);
}

static struct soa_child *free_slot(struct soa *soa, bool writes,
				   const char **why)
{
	struct soa_child *c, *slot = NULL;

	/* a migration being received holds the table's import */
	if (writes && soa_recv_active(soa)) {
		*why = "busy: a migration is being received";
		return NULL;
	}
	for (c = soa->children; c < soa->children + SOA_CHILDREN_MAX; c++) {
		if (!c->pid && !slot)
			slot = c;
		if (c->pid && c->writes && writes) {
			*why = "busy: another command that changes state is running";
			return NULL;
		}
	}
	if (!slot)
		*why = "busy: too many commands running";
	return slot;
}

static void run_child(struct soa *soa, const struct ferryctl_command *cmd,
		      struct ferry_ctl_req *req)
{
	sigset_t none;
	int i, status;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	for (i = 0; i < 3; i++)
		if (dup2(req->fds[i], i) < 0)
			_exit(1);
	ferryctl_instance = soa->cfg->instance;
	if (!strcmp(req->argv[0], "agent"))
		status = soa_print_status(soa, STDOUT_FILENO);
	else
		status = cmd->run(req->argc, req->argv);
	fflush(stdout);
	fflush(stderr);
	_exit(status);
}

static void start(struct soa *soa, int conn, struct ferry_ctl_req *req)
{
	const struct ferryctl_command *cmd = ferryctl_find(req->argv[0]);
	bool agent = !strcmp(req->argv[0], "agent");
	bool writes = cmd && (cmd->flags & FERRYCTL_WRITES);
	struct soa_child *slot;
	const char *why = NULL;
	pid_t pid;

	if (!agent && (!cmd || !(cmd->flags & FERRYCTL_AGENT))) {
		pr_info("control: refused '%s' from pid %d\n", req->argv[0], req->pid);
		finish(soa, conn, 2, "not a command the agent runs "
		       "(run it with ferryctl --direct)");
		return;
	}
	slot = free_slot(soa, writes, &why);
	if (!slot) {
		finish(soa, conn, 1, why);
		return;
	}
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		finish(soa, conn, 1, "cannot start the command");
		return;
	}
	if (pid == 0)
		run_child(soa, cmd, req);
	slot->pid = pid;
	slot->conn = conn;
	slot->writes = writes;
	snprintf(slot->command, sizeof(slot->command), "%s", req->argv[0]);
	pr_debug("control: '%s' for pid %d runs as pid %d\n", req->argv[0],
		 req->pid, pid);
	soa_loop_mod(soa, conn, SOA_EV_RUNNING, EPOLLRDHUP);
}

/* A request arrived (or the client left before sending one). */
void soa_control_request(struct soa *soa, int conn)
{
	struct ferry_ctl_req req;
	char err[FERRY_SOA_ERR_MAX];
	int ret;

	ret = ferry_ctl_recv(conn, soa->owner, &req, err, sizeof(err));
	if (ret == -EAGAIN)
		return;
	if (ret == -ENODATA) {
		soa_loop_del(soa, conn);
		close(conn);
		return;
	}
	if (ret) {
		pr_info("control: request refused: %s\n", err);
		finish(soa, conn, 2, err);
		return;
	}
	if (!strcmp(req.argv[0], "reload") && req.argc == 1) {
		ferry_ctl_req_close(&req);
		ret = soa_reload(soa, err, sizeof(err));
		finish(soa, conn, ret ? 1 : 0, ret ? err : NULL);
		return;
	}
	start(soa, conn, &req);
	ferry_ctl_req_close(&req);
}

/* The client of a running command left: end the command. */
void soa_control_hangup(struct soa *soa, int conn)
{
	struct soa_child *c;

	for (c = soa->children; c < soa->children + SOA_CHILDREN_MAX; c++)
		if (c->pid && c->conn == conn) {
			pr_info("control: client of '%s' left, ending pid %d\n",
				c->command, c->pid);
			kill(c->pid, SIGTERM);
		}
	soa_loop_mod(soa, conn, SOA_EV_RUNNING, 0);
}

void soa_control_reap(struct soa *soa)
{
	struct soa_child *c;
	int wstatus, status;
	pid_t pid;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		for (c = soa->children; c < soa->children + SOA_CHILDREN_MAX; c++)
			if (c->pid == pid)
				break;
		if (c == soa->children + SOA_CHILDREN_MAX)
			continue;
		status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
			 128 + WTERMSIG(wstatus);
		pr_debug("control: '%s' (pid %d) ended: %d\n", c->command, pid,
			 status);
		finish(soa, c->conn, status, NULL);
		memset(c, 0, sizeof(*c));
	}
}

void soa_control_close(struct soa *soa)
{
	struct soa_child *c;

	for (c = soa->children; c < soa->children + SOA_CHILDREN_MAX; c++)
		if (c->pid) {
			kill(c->pid, SIGTERM);
			waitpid(c->pid, NULL, 0);
			finish(soa, c->conn, 143, "the agent is stopping");
			memset(c, 0, sizeof(*c));
		}
	if (soa->ctl_fd >= 0) {
		close(soa->ctl_fd);
		unlink(soa->ctl_path);
		soa->ctl_fd = -1;
	}
}
