// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flowcheck: a TCP transfer whose content is verified end to end.
 *
 *   flowcheck server PORT               serve, a process per connection
 *   flowcheck client ADDR PORT BYTES    send BYTES as fast as possible
 *   flowcheck stream ADDR PORT SECONDS  send 16 KiB every 10 ms for SECONDS
 *
 * The client sends an 8-byte seed, then a pseudo-random stream from that
 * seed, then shuts its side down. The server checks every byte against the
 * same stream and answers with three numbers: the bytes that matched before
 * the first difference, the bytes it received, and the longest time in
 * microseconds it waited between two reads (the flow's longest stall). The
 * client exits 0 iff everything it sent arrived intact, 3 if the flow
 * stalled (no progress for STALL_S seconds), 1 on any other failure.
 * Addresses may be IPv4 or IPv6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "numparse.h"

#define CHUNK		65536
#define STREAM_CHUNK	16384
#define STREAM_PERIOD_MS 10
#define STALL_S		5
#define SERVE_IDLE_S	60

/* xorshift64*: the byte stream both sides compute. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void fill(uint64_t *s, unsigned char *buf, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v = next(s);

		memcpy(buf + i, &v, 8);
	}
}

static int read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);

		if (r <= 0)
			return -1;
		done += r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);

		if (w <= 0)
			return -1;
		done += w;
	}
	return 0;
}

/* Compare a received block with the expected stream; returns matching bytes. */
static size_t match(const unsigned char *got, const unsigned char *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (got[i] != want[i])
			break;
	return i;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

static void serve(int c)
{
	static unsigned char got[CHUNK], want[CHUNK];
	uint64_t seed, state, counts[3] = { 0, 0, 0 }, pos = 0, last;
	int ok = 1;

	if (read_full(c, &seed, sizeof(seed)))
		return;
	state = seed ? seed : 1;
	last = now_us();
	for (;;) {
		ssize_t r = read(c, got, CHUNK);
		uint64_t t = now_us();
		size_t off, m;

		if (r <= 0)
			break;
		if (t - last > counts[2])
			counts[2] = t - last;
		last = t;
		/* the stream is generated in CHUNK blocks, aligned to pos */
		for (off = 0; off < (size_t)r; ) {
			size_t in_block = pos % CHUNK, n = CHUNK - in_block;

			if (in_block == 0)
				fill(&state, want, CHUNK);
			if (n > (size_t)r - off)
				n = r - off;
			m = ok ? match(got + off, want + in_block, n) : 0;
			if (ok && m < n)
				ok = 0;
			counts[0] += ok ? n : m;
			pos += n;
			off += n;
		}
		counts[1] += r;
	}
	write_full(c, counts, sizeof(counts));
}

static int server(const char *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, one = 1, zero = 0;
	__u32 p;

	if (ferry_parse_u32(port, 65535, &p)) {
		fprintf(stderr, "flowcheck: bad port '%s'\n", port);
		return 2;
	}
	sa.sin6_port = htons(p);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		perror("flowcheck: server");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	for (;;) {
		int c = accept(fd, NULL, NULL);
		pid_t pid;

		if (c < 0)
			continue;
		pid = fork();
		if (pid == 0) {		/* one process per flow */
			struct timeval idle = { .tv_sec = SERVE_IDLE_S };

			/* Gone with the server, and with a flow that stalls for good. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
			close(fd);
			serve(c);
			_exit(0);
		}
		if (pid < 0)
			perror("flowcheck: fork");
		close(c);
	}
}

static int dial(const char *addr, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct timeval tv = { .tv_sec = STALL_S };
	int fd, err;

	err = getaddrinfo(addr, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "flowcheck: %s port %s: %s\n", addr, port, gai_strerror(err));
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		fprintf(stderr, "flowcheck: connect to %s port %s: %s\n", addr, port,
			strerror(errno));
		freeaddrinfo(ai);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	freeaddrinfo(ai);
	/* A write or read blocked this long means the flow is stalled. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

struct sender {
	int fd;
	uint64_t state;
	uint64_t sent;
	unsigned char buf[CHUNK];
};

static int send_seed(struct sender *s)
{
	struct timespec ts;
	uint64_t seed;

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ull;
	s->state = seed;
	return write_full(s->fd, &seed, sizeof(seed));
}

/* The next n bytes of the stream; n divides CHUNK. */
static int send_more(struct sender *s, size_t n)
{
	size_t off = s->sent % CHUNK;

	if (off == 0)
		fill(&s->state, s->buf, CHUNK);
	if (write_full(s->fd, s->buf + off, n))
		return -1;
	s->sent += n;
	return 0;
}

/* Shut down, read the server's verdict, report. */
static int finish(struct sender *s)
{
	uint64_t counts[3];

	shutdown(s->fd, SHUT_WR);
	if (read_full(s->fd, counts, sizeof(counts)))
		return -1;
	printf("sent %llu received %llu intact %llu max_gap_ms %llu\n",
	       (unsigned long long)s->sent, (unsigned long long)counts[1],
	       (unsigned long long)counts[0],
	       (unsigned long long)(counts[2] / 1000));
	return counts[0] == s->sent && counts[1] == s->sent ? 0 : 1;
}

static int failed(struct sender *s, const char *addr)
{
	int stalled = errno == EAGAIN || errno == EWOULDBLOCK;

	if (stalled)
		fprintf(stderr, "flowcheck: flow to %s stalled after %llu bytes: "
			"no progress for %d s\n", addr,
			(unsigned long long)s->sent, STALL_S);
	else
		fprintf(stderr, "flowcheck: flow to %s failed after %llu bytes: %s\n",
			addr, (unsigned long long)s->sent, strerror(errno));
	return stalled ? 3 : 1;
}

/*
 * The end of a transfer: after sending (send_err 0) the server's verdict,
 * else what went wrong. Closes the socket; returns the exit status.
 */
static int conclude(struct sender *s, const char *addr, int send_err)
{
	int ret = send_err ? -1 : finish(s);

	if (ret < 0)
		ret = failed(s, addr);
	close(s->fd);
	return ret;
}

static int client(const char *addr, const char *port, const char *bytes)
{
	static struct sender s;
	__u64 total;

	if (ferry_parse_u64(bytes, 1ull << 40, &total)) {
		fprintf(stderr, "flowcheck: bad byte count '%s'\n", bytes);
		return 2;
	}
	s.fd = dial(addr, port);
	if (s.fd < 0)
		return 1;
	if (send_seed(&s))
		goto out_fail;
	while (s.sent < total) {
		size_t n = total - s.sent < CHUNK ? total - s.sent : CHUNK;

		if (send_more(&s, n))
			goto out_fail;
	}
	return conclude(&s, addr, 0);
out_fail:
	return conclude(&s, addr, -1);
}

static int stream(const char *addr, const char *port, const char *seconds)
{
	static struct sender s;
	struct timespec period = { .tv_nsec = STREAM_PERIOD_MS * 1000000L };
	uint64_t end;
	__u32 secs;

	if (ferry_parse_u32(seconds, 86400, &secs) || !secs) {
		fprintf(stderr, "flowcheck: bad duration '%s' (1..86400 s)\n", seconds);
		return 2;
	}
	s.fd = dial(addr, port);
	if (s.fd < 0)
		return 1;
	if (send_seed(&s))
		goto out_fail;
	end = now_us() + secs * 1000000ull;
	while (now_us() < end) {
		if (send_more(&s, STREAM_CHUNK))
			goto out_fail;
		nanosleep(&period, NULL);
	}
	return conclude(&s, addr, 0);
out_fail:
	return conclude(&s, addr, -1);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "stream"))
		return stream(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: flowcheck server PORT | flowcheck client ADDR PORT BYTES |"
		" flowcheck stream ADDR PORT SECONDS\n");
	return 2;
}
