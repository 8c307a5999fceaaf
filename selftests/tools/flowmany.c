// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flowmany: many paced TCP flows from one process, each byte checked, each
 * flow's longest stall measured by its receiver.
 *
 *   flowmany serve PORT                      one epoll loop, any number of flows
 *   flowmany run ADDR PORT FLOWS SECONDS [PERIOD_MS]
 *
 * run opens FLOWS connections (IPv4 or IPv6), then every PERIOD_MS
 * (default 50) writes a 64-byte message on each, for SECONDS. A message
 * starts with the time it was written (CLOCK_MONOTONIC, microseconds, 8
 * bytes little-endian); its other bytes are (k * 131 + i * 7) & 0xff for
 * the flow's i-th byte, k sent first as 4 bytes. At the end it shuts its
 * side down; the server, at the EOF, answers with four 8-byte numbers:
 * bytes intact before the first wrong one, bytes received, the longest
 * gap in microseconds between two reads, the longest a message took from
 * its write to its read. run waits up to 10 s for the answers, then prints
 *
 *   flows N alive A broken B stall_median_ms M stall_p99_ms P stall_max_ms X
 *         delay_median_ms M delay_p99_ms P delay_max_ms X
 *
 * over the flows' longest gaps and longest delays (a flow is alive iff
 * every byte it sent arrived intact) and exits 0 iff all are alive. A
 * gap also counts the time the sender took to come round to the flow; a
 * delay is the path's alone (and the receiver's). Every loop is bounded in
 * flows, time and bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include "numparse.h"

#define FLOWS_MAX	65536
#define MSG		64
#define ANSWER_S	10

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

static unsigned char pattern(uint32_t k, uint64_t i)
{
	return (k * 131 + i * 7) & 0xff;
}

/* As many descriptors as the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return;
	r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
}

/* ---- server ---- */

#define STAMP		8	/* a message's first bytes: when it was written */

struct rx {
	int fd;
	uint32_t k;
	uint8_t hdr;		/* bytes of k read */
	uint64_t got, intact, last_us, gap_us;
	uint64_t stamp, delay_us;
	int bad;
};

/* Byte i of the flow: its position in its message says what it is. */
static void rx_byte(struct rx *r, unsigned char c, uint64_t now)
{
	unsigned int off = r->got % MSG;

	if (off < STAMP) {
		r->stamp |= (uint64_t)c << (8 * off);
		if (off == STAMP - 1) {
			if (now > r->stamp && now - r->stamp > r->delay_us)
				r->delay_us = now - r->stamp;
			r->stamp = 0;
		}
	} else if (c != pattern(r->k, r->got)) {
		r->bad = 1;
	}
	if (!r->bad)
		r->intact++;
}

static void rx_data(struct rx *r, const unsigned char *b, size_t n, uint64_t now)
{
	size_t i = 0;

	while (r->hdr < 4 && i < n)
		r->k |= (uint32_t)b[i++] << (8 * r->hdr++);
	for (; i < n; i++, r->got++)
		rx_byte(r, b[i], now);
}

static void rx_answer(struct rx *r)
{
	uint64_t a[4] = { r->intact, r->got, r->gap_us, r->delay_us };

	if (write(r->fd, a, sizeof(a)) != sizeof(a))
		perror("flowmany: answer");
}

static int listen_on(const char *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, one = 1, zero = 0;
	__u32 p;

	if (ferry_parse_u32(port, 65535, &p) || !p) {
		fprintf(stderr, "flowmany: bad port '%s'\n", port);
		return -1;
	}
	sa.sin6_port = htons(p);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		perror("flowmany: listen");
		return -1;
	}
	return fd;
}

static void rx_read(struct rx *r)
{
	unsigned char b[4096];
	uint64_t t = now_us();
	ssize_t n;

	while ((n = read(r->fd, b, sizeof(b))) > 0) {
		if (r->last_us && t - r->last_us > r->gap_us)
			r->gap_us = t - r->last_us;
		r->last_us = t;
		rx_data(r, b, n, t);
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		if (n == 0)
			rx_answer(r);
		close(r->fd);
		r->fd = -1;
		free(r);
	}
}

static int serve(const char *port)
{
	struct epoll_event ev, evs[256];
	int lfd, ep, n, i, c;
	struct rx *r;

	raise_nofile();
	lfd = listen_on(port);
	ep = epoll_create1(0);
	if (lfd < 0 || ep < 0)
		return 1;
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr) {
				rx_read(evs[i].data.ptr);
				continue;
			}
			while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				r = calloc(1, sizeof(*r));
				if (!r) {
					close(c);
					continue;
				}
				r->fd = c;
				ev.events = EPOLLIN;
				ev.data.ptr = r;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
			}
		}
	}
}

/* ---- client ---- */

struct tx {
	int fd;
	uint64_t sent;
	uint64_t answer[4];
	size_t answered;	/* bytes of the answer read */
	int dead;		/* a write failed */
};

static int dial(const struct addrinfo *ai, uint32_t k)
{
	unsigned char hdr[4] = { k, k >> 8, k >> 16, k >> 24 };
	int fd = socket(ai->ai_family, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) ||
	    write(fd, hdr, 4) != 4) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* The next message, or the rest of one a full socket took only part of. */
static void tx_send(struct tx *t, uint32_t k)
{
	unsigned char b[MSG];
	uint64_t i, off = t->sent % MSG, stamp = now_us();
	ssize_t w;

	if (t->dead)
		return;
	for (i = 0; i < MSG; i++)
		b[i] = i < STAMP ? stamp >> (8 * i) : pattern(k, t->sent - off + i);
	w = write(t->fd, b + off, MSG - off);
	if (w > 0)
		t->sent += w;
	else if (w < 0 && errno != EAGAIN)
		t->dead = 1;
}

/* Read the answers of every flow, until all came or ANSWER_S passed. */
static void collect(struct tx *t, uint32_t n)
{
	uint64_t end = now_us() + ANSWER_S * 1000000ull;
	uint32_t k, left = n;
	ssize_t r;

	for (k = 0; k < n; k++)
		shutdown(t[k].fd, SHUT_WR);
	while (left && now_us() < end) {
		left = 0;
		for (k = 0; k < n; k++) {
			if (t[k].answered == sizeof(t[k].answer))
				continue;
			r = read(t[k].fd, (char *)t[k].answer + t[k].answered,
				 sizeof(t[k].answer) - t[k].answered);
			if (r > 0)
				t[k].answered += r;
			if (t[k].answered < sizeof(t[k].answer))
				left++;
		}
		if (left)
			usleep(10000);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* " NAME_median_ms M NAME_p99_ms P NAME_max_ms X" of the alive flows' v */
static void print_spread(const char *name, uint64_t *v, uint32_t n, uint32_t alive)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf(" %s_median_ms %.0f %s_p99_ms %.0f %s_max_ms %.0f", name,
	       alive ? v[(alive - 1) / 2] / 1000.0 : -1.0, name,
	       alive ? v[(alive - 1) * 99 / 100] / 1000.0 : -1.0, name,
	       alive ? v[alive - 1] / 1000.0 : -1.0);
}

static int report(struct tx *t, uint32_t n)
{
	uint64_t *gaps = calloc(n, sizeof(*gaps)), *delays = calloc(n, sizeof(*delays));
	uint32_t k, alive = 0;

	if (!gaps || !delays)
		return 1;
	for (k = 0; k < n; k++) {
		int ok = !t[k].dead && t[k].answered == sizeof(t[k].answer) &&
			 t[k].answer[0] == t[k].sent && t[k].answer[1] == t[k].sent;

		alive += ok;
		gaps[k] = ok ? t[k].answer[2] : UINT64_MAX;
		delays[k] = ok ? t[k].answer[3] : UINT64_MAX;
	}
	printf("flows %u alive %u broken %u", n, alive, n - alive);
	print_spread("stall", gaps, n, alive);
	print_spread("delay", delays, n, alive);
	putchar('\n');
	free(gaps);
	free(delays);
	return alive == n ? 0 : 3;
}

static int run(char **argv, int argc)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	__u32 n, secs, period = 50, k;
	uint64_t end, next;
	struct tx *t;
	int err;

	if (ferry_parse_u32(argv[2], FLOWS_MAX, &n) || !n ||
	    ferry_parse_u32(argv[3], 3600, &secs) || !secs ||
	    (argc > 4 && (ferry_parse_u32(argv[4], 10000, &period) || !period))) {
		fprintf(stderr, "flowmany run: FLOWS 1..%u, SECONDS 1..3600, PERIOD_MS 1..10000\n",
			FLOWS_MAX);
		return 2;
	}
	err = getaddrinfo(argv[0], argv[1], &hints, &ai);
	if (err) {
		fprintf(stderr, "flowmany: %s port %s: %s\n", argv[0], argv[1],
			gai_strerror(err));
		return 2;
	}
	raise_nofile();
	t = calloc(n, sizeof(*t));
	if (!t)
		return 1;
	for (k = 0; k < n; k++) {
		t[k].fd = dial(ai, k);
		if (t[k].fd < 0) {
			fprintf(stderr, "flowmany: connection %u: %s\n", k, strerror(errno));
			return 1;
		}
	}
	freeaddrinfo(ai);
	fprintf(stderr, "flowmany: %u flows open\n", n);
	end = now_us() + secs * 1000000ull;
	for (next = now_us(); next < end; next += period * 1000ull) {
		for (k = 0; k < n; k++)
			tx_send(&t[k], k);
		while (now_us() < next + period * 1000ull && now_us() < end)
			usleep(1000);
	}
	collect(t, n);
	return report(t, n);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(argv[2]);
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "run"))
		return run(argv + 2, argc - 2);
	fprintf(stderr, "usage: flowmany serve PORT | "
		"flowmany run ADDR PORT FLOWS SECONDS [PERIOD_MS]\n");
	return 2;
}
