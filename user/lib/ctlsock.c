// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "ctlsock.h"
#include "errmsg.h"

static const char magic[4] = { 'F', 'C', 'T', 'L' };

int ferry_ctl_default_path(const char *instance, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.sock", FERRY_CTL_RUN_DIR, instance);

	if (n < 0 || (size_t)n >= len ||
	    (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static int encode_request(char *buf, int argc, char **argv, size_t *len)
{
	size_t used = sizeof(magic) + 1, n;
	int i;

	if (argc < 1 || argc > FERRY_CTL_ARGS_MAX)
		return -E2BIG;
	memcpy(buf, magic, sizeof(magic));
	buf[sizeof(magic)] = FERRY_CTL_VERSION;
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]) + 1;
		if (n > FERRY_CTL_MSG_MAX - used)
			return -E2BIG;
		memcpy(buf + used, argv[i], n);
		used += n;
	}
	*len = used;
	return 0;
}

static int send_request(int fd, const char *buf, size_t len)
{
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	char cbuf[CMSG_SPACE(sizeof(fds))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

static int read_reply(int fd, int *status, char *err, size_t errlen)
{
	char buf[FERRY_CTL_MSG_MAX];
	ssize_t n;
	int32_t st;

	do
		n = recv(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ferry_errf(err, errlen, -errno, "reading the agent's answer: %s",
				  strerror(errno));
	if (n < (ssize_t)sizeof(st))
		return ferry_errf(err, errlen, -EPROTO,
				  "the agent closed the connection without an answer");
	memcpy(&st, buf, sizeof(st));
	*status = (int)le32toh((uint32_t)st);
	buf[n] = '\0';
	if (n > (ssize_t)sizeof(st))
		snprintf(err, errlen, "%s", buf + sizeof(st));
	else if (errlen)
		err[0] = '\0';
	return 0;
}

int ferry_ctl_call(const char *path, int argc, char **argv, int *status,
		   char *err, size_t errlen)
{
	char buf[FERRY_CTL_MSG_MAX];
	struct sockaddr_un sa;
	size_t len;
	int fd, ret;

	ret = make_addr(path, &sa);
	if (ret)
		return ferry_errf(err, errlen, ret, "%s: socket path too long", path);
	ret = encode_request(buf, argc, argv, &len);
	if (ret)
		return ferry_errf(err, errlen, ret, "too many or too long arguments");
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ferry_errf(err, errlen, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		ferry_errf(err, errlen, ret, "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = send_request(fd, buf, len);
	if (ret) {
		ferry_errf(err, errlen, ret, "sending to the agent: %s", strerror(-ret));
		goto out;
	}
	ret = read_reply(fd, status, err, errlen);
out:
	close(fd);
	return ret;
}

/* Is someone serving path? A refused connection means a stale socket. */
static int probe_stale(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		ret = -EADDRINUSE;
	else if (errno != ECONNREFUSED && errno != ENOENT)
		ret = -errno;
	close(fd);
	return ret;
}

int ferry_ctl_listen(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	char *slash;
	int fd, ret;

	if (make_addr(path, &sa))
		return ferry_errf(err, errlen, -ENAMETOOLONG, "%s: socket path too long",
				  path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return ferry_errf(err, errlen, -errno, "cannot create %s: %s",
					  dir, strerror(errno));
	}
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return ferry_errf(err, errlen, -EEXIST,
					  "%s exists and is not a socket", path);
		ret = probe_stale(&sa);
		if (ret == -EADDRINUSE)
			return ferry_errf(err, errlen, ret,
					  "%s: another agent serves this socket", path);
		if (ret)
			return ferry_errf(err, errlen, ret, "%s: %s", path, strerror(-ret));
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ferry_errf(err, errlen, -errno, "socket: %s", strerror(errno));
	/* Created 0600: nobody else may connect, not even for a moment. */
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!ret && listen(fd, 16))
		ret = -errno;
	if (ret) {
		close(fd);
		return ferry_errf(err, errlen, ret, "cannot listen at %s: %s", path,
				  strerror(-ret));
	}
	return fd;
}

int ferry_ctl_parse(struct ferry_ctl_req *req, size_t len, char *err,
		    size_t errlen)
{
	size_t pos = sizeof(magic) + 1;
	char *nul;

	req->argc = 0;
	if (len < pos || memcmp(req->buf, magic, sizeof(magic)))
		return ferry_errf(err, errlen, -EINVAL, "not a control request");
	if (req->buf[sizeof(magic)] != FERRY_CTL_VERSION)
		return ferry_errf(err, errlen, -EINVAL,
				  "control request version %u, this agent speaks %u",
				  (unsigned char)req->buf[sizeof(magic)],
				  FERRY_CTL_VERSION);
	if (len == pos)
		return ferry_errf(err, errlen, -EINVAL, "control request without a command");
	while (pos < len) {
		nul = memchr(req->buf + pos, '\0', len - pos);
		if (!nul)
			return ferry_errf(err, errlen, -EINVAL,
					  "control request: argument %d is not terminated",
					  req->argc + 1);
		if (req->argc == FERRY_CTL_ARGS_MAX)
			return ferry_errf(err, errlen, -EINVAL,
					  "control request: more than %d arguments",
					  FERRY_CTL_ARGS_MAX);
		req->argv[req->argc++] = req->buf + pos;
		pos = nul - req->buf + 1;
	}
	req->argv[req->argc] = NULL;
	return 0;
}

/* The descriptors of the message, exactly three. */
static int take_fds(struct msghdr *msg, int fds[3])
{
	struct cmsghdr *c;
	size_t n;
	int ret = -EINVAL;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n == 3 && ret) {
			memcpy(fds, CMSG_DATA(c), 3 * sizeof(int));
			ret = 0;
		} else {
			/* Never keep descriptors we will not use. */
			int tmp[n];

			memcpy(tmp, CMSG_DATA(c), n * sizeof(int));
			while (n)
				close(tmp[--n]);
		}
	}
	return ret;
}

int ferry_ctl_recv(int conn, uid_t owner_uid, struct ferry_ctl_req *req,
		   char *err, size_t errlen)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = req->buf, .iov_len = sizeof(req->buf) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	ssize_t n;
	int ret;

	req->fds[0] = req->fds[1] = req->fds[2] = -1;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		return ferry_errf(err, errlen, -errno, "peer credentials: %s",
				  strerror(errno));
	req->uid = cred.uid;
	req->pid = cred.pid;
	n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return ferry_errf(err, errlen, -errno, "receiving a request: %s",
				  strerror(errno));
	ret = take_fds(&msg, req->fds);
	if (n == 0) {
		ferry_ctl_req_close(req);
		return ferry_errf(err, errlen, -ENODATA, "the client left without a request");
	}
	if (cred.uid != 0 && cred.uid != owner_uid) {
		ferry_ctl_req_close(req);
		return ferry_errf(err, errlen, -EPERM, "uid %u may not use this agent",
				  (unsigned int)cred.uid);
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		ferry_ctl_req_close(req);
		return ferry_errf(err, errlen, -EINVAL, "control request too long");
	}
	if (ret) {
		ferry_ctl_req_close(req);
		return ferry_errf(err, errlen, ret,
				  "control request without stdin, stdout and stderr");
	}
	ret = ferry_ctl_parse(req, n, err, errlen);
	if (ret)
		ferry_ctl_req_close(req);
	return ret;
}

void ferry_ctl_req_close(struct ferry_ctl_req *req)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (req->fds[i] >= 0)
			close(req->fds[i]);
		req->fds[i] = -1;
	}
}

int ferry_ctl_reply(int conn, int status, const char *msg)
{
	char buf[FERRY_CTL_MSG_MAX];
	uint32_t st = htole32((uint32_t)status);
	size_t len = sizeof(st);

	memcpy(buf, &st, sizeof(st));
	if (msg) {
		len += strnlen(msg, sizeof(buf) - sizeof(st) - 1);
		memcpy(buf + sizeof(st), msg, len - sizeof(st));
	}
	return send(conn, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len ?
	       0 : -errno;
}
