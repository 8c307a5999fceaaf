// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flowcheck: a TCP transfer whose content is verified end to end.
 *
 *   flowcheck server PORT             serve forever (one connection at a time)
 *   flowcheck client ADDR PORT BYTES  send BYTES, exit 0 iff all arrived intact
 *
 * The client sends an 8-byte seed, then BYTES of a pseudo-random stream from
 * that seed, then shuts its side down. The server checks every byte against
 * the same stream and answers with the count of bytes that matched before
 * the first difference, and the count it received. Addresses may be IPv4 or
 * IPv6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "numparse.h"

#define CHUNK	65536

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

static void serve(int c)
{
	static unsigned char got[CHUNK], want[CHUNK];
	uint64_t seed, state, counts[2] = { 0, 0 }, pos = 0;
	int ok = 1;

	if (read_full(c, &seed, sizeof(seed)))
		return;
	state = seed ? seed : 1;
	for (;;) {
		ssize_t r = read(c, got, CHUNK);
		size_t off, m;

		if (r <= 0)
			break;
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
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		serve(c);
		close(c);
	}
}

static int client(const char *addr, const char *port, const char *bytes)
{
	static unsigned char buf[CHUNK];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	uint64_t seed, state, sent = 0, counts[2];
	__u64 total;
	struct timespec ts;
	int fd, err;

	if (ferry_parse_u64(bytes, 1ull << 40, &total)) {
		fprintf(stderr, "flowcheck: bad byte count '%s'\n", bytes);
		return 2;
	}
	err = getaddrinfo(addr, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "flowcheck: %s port %s: %s\n", addr, port, gai_strerror(err));
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		fprintf(stderr, "flowcheck: connect to %s port %s: %s\n", addr, port,
			strerror(errno));
		return 1;
	}
	freeaddrinfo(ai);
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ull;
	state = seed;
	if (write_full(fd, &seed, sizeof(seed)))
		goto out_io;
	while (sent < total) {
		size_t n = total - sent < CHUNK ? total - sent : CHUNK;

		fill(&state, buf, CHUNK);
		if (write_full(fd, buf, n))
			goto out_io;
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	if (read_full(fd, counts, sizeof(counts)))
		goto out_io;
	close(fd);
	printf("sent %llu received %llu intact %llu\n", (unsigned long long)total,
	       (unsigned long long)counts[1], (unsigned long long)counts[0]);
	return counts[0] == total && counts[1] == total ? 0 : 1;
out_io:
	fprintf(stderr, "flowcheck: transfer to %s failed after %llu bytes: %s\n",
		addr, (unsigned long long)sent, strerror(errno));
	close(fd);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: flowcheck server PORT | flowcheck client ADDR PORT BYTES\n");
	return 2;
}
