// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket's protocol: every malformed request refused with its
 * message, and a real round trip over a listening socket: the arguments
 * and the three descriptors arrive, the status and message come back, the
 * socket is mode 0600, a stale socket is replaced and a served one is not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "ctlsock.h"

static void parse_err(const char *bytes, size_t len, const char *want)
{
	struct ferry_ctl_req req;
	char err[256] = "";

	memcpy(req.buf, bytes, len);
	assert_int_equal(ferry_ctl_parse(&req, len, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("message '%s' does not say '%s'", err, want);
}

static void test_parse_malformed(void **state)
{
	char many[FERRY_CTL_MSG_MAX];
	size_t i, len = 5;

	parse_err("", 0, "not a control request");
	parse_err("FCT", 3, "not a control request");
	parse_err("XCTL\1ct\0", 8, "not a control request");
	parse_err("FCTL\2ct\0", 8, "version 2, this agent speaks 1");
	parse_err("FCTL\1", 5, "without a command");
	parse_err("FCTL\1ct\0list", 12, "argument 2 is not terminated");
	memcpy(many, "FCTL\1", 5);
	for (i = 0; i <= FERRY_CTL_ARGS_MAX; i++) {
		memcpy(many + len, "a\0", 2);
		len += 2;
	}
	parse_err(many, len, "more than 64 arguments");
}

static void test_parse_ok(void **state)
{
	struct ferry_ctl_req req;
	char err[256];

	memcpy(req.buf, "FCTL\1ct\0list\0\0", 14);
	assert_int_equal(ferry_ctl_parse(&req, 14, err, sizeof(err)), 0);
	assert_int_equal(req.argc, 3);
	assert_string_equal(req.argv[0], "ct");
	assert_string_equal(req.argv[1], "list");
	assert_string_equal(req.argv[2], "");
	assert_null(req.argv[3]);
}

/* The client side in a child: exit status = what ferry_ctl_call gave. */
static pid_t call_in_child(const char *path, int out_fd)
{
	char *argv[] = { "export", "--zone", "7" };
	char err[256];
	int status, ret;
	pid_t pid = fork();

	if (pid)
		return pid;
	alarm(10);	/* never outlive a failed test */
	dup2(out_fd, STDOUT_FILENO);
	ret = ferry_ctl_call(path, 3, argv, &status, err, sizeof(err));
	if (ret || strcmp(err, "why not"))
		_exit(100);
	_exit(status);
}

static void test_round_trip(void **state)
{
	char dir[] = "/tmp/ferry-ctlsock-XXXXXX", path[128], err[256], buf[8];
	struct ferry_ctl_req req;
	struct stat st;
	int lfd, conn, pipefd[2], wstatus;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/a.sock", dir);
	lfd = ferry_ctl_listen(path, err, sizeof(err));
	assert_true(lfd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ferry_ctl_listen(path, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "another agent serves"));

	/* That second listener's probe left a connection without a request. */
	conn = accept(lfd, NULL, NULL);
	assert_true(conn >= 0);
	assert_int_equal(ferry_ctl_recv(conn, getuid(), &req, err, sizeof(err)),
			 -ENODATA);
	close(conn);

	assert_int_equal(pipe(pipefd), 0);
	pid = call_in_child(path, pipefd[1]);
	close(pipefd[1]);
	do
		conn = accept(lfd, NULL, NULL);
	while (conn < 0 && errno == EAGAIN && !usleep(1000));
	assert_true(conn >= 0);
	if (ferry_ctl_recv(conn, getuid(), &req, err, sizeof(err)))
		fail_msg("refused: %s", err);
	assert_int_equal(req.argc, 3);
	assert_string_equal(req.argv[2], "7");
	assert_int_equal(req.pid, pid);
	/* The client's stdout is ours to write to. */
	assert_int_equal(write(req.fds[1], "bundle", 6), 6);
	ferry_ctl_req_close(&req);
	assert_int_equal(ferry_ctl_reply(conn, 42, "why not"), 0);
	close(conn);
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	assert_int_equal(WEXITSTATUS(wstatus), 42);
	assert_int_equal(read(pipefd[0], buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "bundle", 6);
	close(pipefd[0]);

	/* Nobody serves it any more: a new listener replaces the stale one. */
	close(lfd);
	lfd = ferry_ctl_listen(path, err, sizeof(err));
	assert_true(lfd >= 0);
	close(lfd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/run", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_no_agent(void **state)
{
	char *argv[] = { "status" };
	char err[256];
	int status;

	assert_int_equal(ferry_ctl_call("/tmp/ferry-no-such-agent.sock", 1, argv,
					&status, err, sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_agent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
