// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The SOM's control socket (ctlsock.h, as the agent's): `ferryctl som
 * status` sends "som status" with its standard streams; a forked child
 * prints the registry to the client's stdout and answers with the exit
 * status, so a slow client never stalls the loop. Children are reaped on
 * SIGCHLD.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include "ctlsock.h"
#include "log.h"
#include "som.h"

int som_control_open(struct som *som)
{
	char err[256];
	int fd;

	fd = ferry_ctl_listen(som->cfg.control_socket, err, sizeof(err));
	if (fd < 0) {
		pr_warn("control socket: %s\n", err);
		return fd;
	}
	som->ctl.ev = SOM_EV_CTL;
	som->ctl.fd = fd;
	pr_info("control socket %s (mode 0600)\n", som->cfg.control_socket);
	return som_loop_add(som, &som->ctl, EPOLLIN);
}

void som_control_accept(struct som *som)
{
	struct som_watch *w;
	int conn;

	while ((conn = accept4(som->ctl.fd, NULL, NULL,
			       SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		w = malloc(sizeof(*w));
		if (!w) {
			close(conn);
			continue;
		}
		w->ev = SOM_EV_CTL_REQ;
		w->fd = conn;
		if (som_loop_add(som, w, EPOLLIN | EPOLLRDHUP)) {
			close(conn);
			free(w);
		}
	}
}

static void done(struct som *som, struct som_watch *w)
{
	som_loop_del(som, w);
	close(w->fd);
	free(w);
}

static void print_host(FILE *f, const struct som_host *h, __u64 now_ms)
{
	char b64[FERRY_PUBKEY_B64_LEN], a[64], fns[64];
	__u32 i;

	ferry_pubkey_to_base64(h->pk, b64);
	ferry_functions_format(h->p.functions, fns, sizeof(fns));
	fprintf(f, "host %u name %s key %s addresses ", h->p.host_id,
		h->p.name[0] ? h->p.name : "-", b64);
	for (i = 0; i < h->p.naddrs; i++) {
		ferry_wire_addr_format(&h->p.addrs[i], a, sizeof(a));
		fprintf(f, "%s%s", i ? "," : "", a);
	}
	fprintf(f, " functions %s schema %u..%u capacity %u\n", fns,
		h->p.schema_min, h->p.schema_max, h->p.capacity);
	if (h->conn)
		fprintf(f, "  state connected from %s", h->addr);
	else
		fprintf(f, "  state lost (%s)", h->lost_why);
	if (h->last_heartbeat_ms)
		fprintf(f, ", last heartbeat %.1f s ago",
			(double)(now_ms - h->last_heartbeat_ms) / 1000);
	fprintf(f, ", load %llu\n", (unsigned long long)h->p.load);
}

static void print_notice(FILE *f, const struct som_notice *e)
{
	static const char *const reasons[] = { "route", "neigh", "link", "explicit" };
	char a[64];
	__u32 i;

	fprintf(f, "notify tde %u vm %s zone %u addresses ", e->tde_host,
		e->n.vm[0] ? e->n.vm : "-", e->n.zone);
	for (i = 0; i < e->n.naddrs; i++) {
		ferry_wire_addr_format(&e->n.addrs[i], a, sizeof(a));
		fprintf(f, "%s%s", i ? "," : "", a);
	}
	if (!e->n.naddrs)
		fprintf(f, "-");
	if (e->n.has_mac)
		fprintf(f, " mac %02x:%02x:%02x:%02x:%02x:%02x", e->n.mac[0],
			e->n.mac[1], e->n.mac[2], e->n.mac[3], e->n.mac[4],
			e->n.mac[5]);
	fprintf(f, " from %u to %u reason %s\n", e->n.from_host, e->n.to_host,
		e->n.reason < 4 ? reasons[e->n.reason] : "?");
}

int som_print_status(const struct som *som, int fd)
{
	const struct ferry_hs_peer *p;
	__u64 now = som_realtime_ms();
	__u32 i, ntde = 0, idx;
	FILE *f = fdopen(fd, "w");

	if (!f)
		return 1;
	fprintf(f, "som: pid %d, up %llu s, connections %u, handshakes %llu, "
		"refused %llu, over limits %llu\n", (int)getpid(),
		(unsigned long long)(now - som->started_ms) / 1000, som->nconns,
		(unsigned long long)som->handshakes,
		(unsigned long long)som->refusals,
		(unsigned long long)som->limit_drops);
	fprintf(f, "hosts: %u\n", som->nhosts);
	for (i = 0; i < som->nhosts; i++)
		print_host(f, &som->hosts[i], now);
	for (i = 0; i < som->cfg.max_connections; i++)
		if (som->conns[i] && som->conns[i]->up &&
		    ferry_session_peer(&som->conns[i]->s)->role == FERRY_ROLE_TDE)
			ntde++;
	fprintf(f, "tdes: %u\n", ntde);
	for (i = 0; i < som->cfg.max_connections; i++) {
		const struct som_conn *c = som->conns[i];

		if (!c || !c->up)
			continue;
		p = ferry_session_peer(&c->s);
		if (p->role == FERRY_ROLE_TDE)
			fprintf(f, "tde %u from %s notifications %llu\n", p->host_id,
				c->srcstr, (unsigned long long)c->notifies);
	}
	fprintf(f, "notifications: %u (of %llu received)\n", som->notice_count,
		(unsigned long long)som->notices_total);
	for (i = 0; i < som->notice_count; i++) {
		idx = (som->notice_next + som->cfg.max_notifications -
		       som->notice_count + i) % som->cfg.max_notifications;
		print_notice(f, &som->notices[idx]);
	}
	return fclose(f) ? 1 : 0;
}

static void run_child(struct som *som, struct ferry_ctl_req *req, int conn)
{
	sigset_t none;
	int status;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (!strcmp(req->argv[1], "migrations"))
		status = som_print_migrations(som, req->fds[1], req->argc == 3);
	else
		status = som_print_status(som, req->fds[1]);
	ferry_ctl_reply(conn, status, NULL);
	_exit(status);
}

static bool known(const struct ferry_ctl_req *req)
{
	if (req->argc < 2 || strcmp(req->argv[0], "som"))
		return false;
	if (req->argc == 2 && !strcmp(req->argv[1], "status"))
		return true;
	return !strcmp(req->argv[1], "migrations") &&
	       (req->argc == 2 || (req->argc == 3 && !strcmp(req->argv[2], "--json")));
}

void som_control_request(struct som *som, struct som_watch *w)
{
	struct ferry_ctl_req req;
	char err[SOM_ERR_MAX];
	pid_t pid;
	int ret;

	ret = ferry_ctl_recv(w->fd, som->owner, &req, err, sizeof(err));
	if (ret == -EAGAIN)
		return;
	if (ret == -ENODATA) {
		done(som, w);
		return;
	}
	if (ret) {
		pr_info("control: request refused: %s\n", err);
		ferry_ctl_reply(w->fd, 2, err);
		done(som, w);
		return;
	}
	if (req.argc >= 1 && !strcmp(req.argv[0], "migrate")) {
		ret = som_mig_control(som, req.argc, req.argv, w->fd, req.fds[1],
				      err, sizeof(err));
		if (ret < 0)
			ferry_ctl_reply(w->fd, 2, err);
		else if (!ret)
			ferry_ctl_reply(w->fd, 0, NULL);
		ferry_ctl_req_close(&req);
		if (ret == 1) {		/* answered when the migration ends */
			som_loop_del(som, w);
			free(w);
		} else {
			done(som, w);
		}
		return;
	}
	if (!known(&req)) {
		ferry_ctl_reply(w->fd, 2, "the SOM answers 'som status', "
			       "'som migrations [--json]' and 'migrate' only");
	} else {
		fflush(stderr);
		pid = fork();
		if (pid == 0)
			run_child(som, &req, w->fd);
		if (pid < 0)
			ferry_ctl_reply(w->fd, 1, "cannot start the command");
	}
	ferry_ctl_req_close(&req);
	done(som, w);
}

void som_control_close(struct som *som)
{
	if (som->ctl.fd >= 0) {
		close(som->ctl.fd);
		unlink(som->cfg.control_socket);
		som->ctl.fd = -1;
	}
}
