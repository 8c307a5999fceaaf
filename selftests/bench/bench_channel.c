// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control protocol's costs: a whole handshake with both sides in
 * memory (no socket: the cryptography and the state machines), the
 * encrypted channel's throughput over a real loopback TCP connection (a
 * sender thread sealing 64 KiB records, a receiver reassembling and
 * opening them), and the one-way latency of a small record (half a
 * ping-pong round trip of 64-byte sealed records, TCP_NODELAY). The
 * sender and the receiver are pinned to CPUs 0 and 1 (if there are two),
 * and the throughput is the best of three runs: the machine is shared.
 * Usage: bench_channel [MiB to send per run (512)]
 */
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "channel.h"
#include "handshake.h"
#include "numparse.h"
#include "wireframe.h"

#define HS_RUNS		2000
#define REC_LEN		65536
#define PINGS		20000
#define PING_LEN	64

static struct ferry_identity som, soa;
static double responder_s;	/* time spent in the responder's calls */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int allow(void *ctx, const struct ferry_hs_peer *peer, char *why, size_t n)
{
	return FERRY_REASON_OK;
}

/* Pass one side's output frames to the other. */
static int pass(struct ferry_hs *from, struct ferry_hs *to)
{
	const __u8 *out;
	size_t len, blen;
	double t0 = now_s();
	int ret = 0;

	out = ferry_hs_output(from, &len);
	ferry_hs_output_done(from, len);
	while (len >= FERRY_WIRE_HDR_LEN && ret >= 0) {
		blen = (size_t)out[0] << 24 | out[1] << 16 | out[2] << 8 | out[3];
		ret = ferry_hs_recv(to, out + FERRY_WIRE_HDR_LEN, blen);
		out += FERRY_WIRE_HDR_LEN + blen;
		len -= FERRY_WIRE_HDR_LEN + blen;
	}
	if (!to->initiator)
		responder_s += now_s() - t0;
	return ret;
}

/* One whole handshake in memory; the session keys of both sides. */
static int handshake(struct ferry_session_keys *ki, struct ferry_session_keys *kr)
{
	struct ferry_hs_config ci = { .id = &soa, .role = FERRY_ROLE_SOA, .host_id = 7,
				      .pinned_pk = som.pk };
	struct ferry_hs_config cr = { .id = &som, .role = FERRY_ROLE_SOM,
				      .authorize = allow };
	struct ferry_hs i, r;

	double t0;

	if (ferry_hs_init(&i, &ci, true))
		return -1;
	t0 = now_s();
	if (ferry_hs_init(&r, &cr, false))
		return -1;
	responder_s += now_s() - t0;
	if (pass(&i, &r) < 0 || pass(&r, &i) < 0 || pass(&i, &r) != 1 ||
	    pass(&r, &i) != 1)
		return -1;
	if (ferry_hs_keys(&i, ki) || ferry_hs_keys(&r, kr))
		return -1;
	return 0;
}

static int bench_handshake(void)
{
	struct ferry_session_keys ki, kr;
	double t0, dt;
	int n;

	responder_s = 0;
	t0 = now_s();
	for (n = 0; n < HS_RUNS; n++)
		if (handshake(&ki, &kr)) {
			fprintf(stderr, "bench_channel: handshake failed\n");
			return -1;
		}
	dt = now_s() - t0;
	printf("bench: wire_handshake_us %.1f us\n", dt / HS_RUNS * 1e6);
	printf("bench: wire_handshakes_per_s %.0f hs/s\n", HS_RUNS / dt);
	/* the SOM's share: what one core of it could complete */
	printf("bench: wire_som_handshakes_per_s %.0f hs/s\n", HS_RUNS / responder_s);
	return 0;
}

/* A connected loopback TCP pair. */
static int tcp_pair(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l, one = 1;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &alen))
		return -errno;
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[0] < 0 || connect(fds[0], (void *)&a, sizeof(a)))
		return -errno;
	fds[1] = accept(l, NULL, NULL);
	close(l);
	if (fds[1] < 0)
		return -errno;
	setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int write_all(int fd, const __u8 *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

struct receiver {
	int fd;
	struct ferry_channel ch;
	__u64 bytes;		/* message bytes opened */
	int closed;		/* the CLOSE came */
	int ret;
};

static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Read, reassemble, open; until the peer's CLOSE. */
static void *receive(void *arg)
{
	struct receiver *rv = arg;
	struct ferry_frame_rx rx;
	size_t len, used, blen, mlen;
	static __u8 buf[1 << 18];
	char err[FERRY_CHANNEL_ERR_MAX];
	const __u8 *p, *m;
	ssize_t n;
	__u8 *body, type;
	int ret;

	pin(1);
	ferry_frame_rx_init(&rx, FERRY_WIRE_FRAME_MAX);
	while (!rv->closed) {
		n = read(rv->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (p = buf, len = n; len; p += used, len -= used) {
			ret = ferry_frame_rx_feed(&rx, p, len, &used, err, sizeof(err));
			if (ret < 0)
				goto out;
			if (!ret)
				continue;
			body = ferry_frame_rx_body_mut(&rx, &blen);
			if (ferry_channel_open(&rv->ch, body, blen, &type, &m, &mlen, err,
					       sizeof(err)))
				goto out;
			rv->bytes += mlen;
			if (type == FERRY_MSG_CLOSE)
				rv->closed = 1;
		}
	}
out:
	rv->ret = rv->closed ? 0 : -1;
	if (rv->ret)
		fprintf(stderr, "bench_channel: receiver: %s\n", err);
	ferry_frame_rx_free(&rx);
	return NULL;
}

/* MB/s of one run, or < 0. */
static double throughput(__u64 mib)
{
	struct ferry_session_keys ki, kr;
	struct ferry_channel tx;
	struct receiver rv = {};
	__u64 recs = mib * (1 << 20) / REC_LEN, i;
	pthread_t th;
	__u8 *buf;
	size_t len;
	double t0, dt;
	int fds[2];

	buf = malloc(REC_LEN + FERRY_CHANNEL_OVERHEAD);
	if (!buf || handshake(&ki, &kr) || tcp_pair(fds))
		return -1;
	pin(0);
	ferry_channel_init(&tx, &ki);
	ferry_channel_init(&rv.ch, &kr);
	rv.fd = fds[1];
	memset(buf, 0x5a, REC_LEN + FERRY_CHANNEL_OVERHEAD);
	t0 = now_s();
	if (pthread_create(&th, NULL, receive, &rv))
		return -1;
	for (i = 0; i < recs; i++) {
		/* the message is written in place, as a daemon would */
		if (ferry_channel_seal(&tx, FERRY_MSG_APP_MIN, buf + FERRY_CHANNEL_MSG_OFF,
				       REC_LEN, buf, REC_LEN + FERRY_CHANNEL_OVERHEAD,
				       &len) || write_all(fds[0], buf, len))
			break;
	}
	if (!ferry_channel_seal_close(&tx, 0, buf, 64, &len))
		write_all(fds[0], buf, len);
	pthread_join(th, NULL);
	dt = now_s() - t0;
	close(fds[0]);
	close(fds[1]);
	free(buf);
	if (rv.ret || rv.bytes != recs * REC_LEN + 1)
		return -1;
	return recs * REC_LEN / dt / 1e6;
}

static int bench_throughput(__u64 mib)
{
	double best = 0, mbs;
	int run;

	for (run = 0; run < 3; run++) {
		mbs = throughput(mib);
		if (mbs < 0)
			return -1;
		if (mbs > best)
			best = mbs;
	}
	printf("bench: wire_channel_throughput %.0f MB/s\n", best);
	return 0;
}

/* Seal, send, receive one record, open it. */
static int hop(struct ferry_channel *tx, int txfd, struct ferry_channel *rx, int rxfd,
	       struct ferry_frame_rx *fr)
{
	__u8 buf[PING_LEN + FERRY_CHANNEL_OVERHEAD], in[256], *body, type;
	size_t len, used, blen, mlen, off;
	char err[FERRY_CHANNEL_ERR_MAX];
	const __u8 *m;
	ssize_t n;
	int ret;

	memset(buf + FERRY_CHANNEL_MSG_OFF, 1, PING_LEN);
	if (ferry_channel_seal(tx, FERRY_MSG_APP_MIN, buf + FERRY_CHANNEL_MSG_OFF,
			       PING_LEN, buf, sizeof(buf), &len) ||
	    write_all(txfd, buf, len))
		return -1;
	for (;;) {
		n = read(rxfd, in, sizeof(in));
		if (n <= 0)
			return -1;
		for (off = 0; off < (size_t)n; off += used) {
			ret = ferry_frame_rx_feed(fr, in + off, n - off, &used, err,
						  sizeof(err));
			if (ret < 0)
				return -1;
			if (!ret)
				continue;
			body = ferry_frame_rx_body_mut(fr, &blen);
			return ferry_channel_open(rx, body, blen, &type, &m, &mlen, err,
						  sizeof(err));
		}
	}
}

static int bench_latency(void)
{
	struct ferry_session_keys ki, kr;
	struct ferry_channel a_tx, b_rx;
	struct ferry_frame_rx fa, fb;
	double t0, dt;
	int fds[2], i;

	if (handshake(&ki, &kr) || tcp_pair(fds))
		return -1;
	/* one session: a's records go to b and b's back to a */
	ferry_channel_init(&a_tx, &ki);
	ferry_channel_init(&b_rx, &kr);
	ferry_frame_rx_init(&fa, FERRY_WIRE_FRAME_MAX);
	ferry_frame_rx_init(&fb, FERRY_WIRE_FRAME_MAX);
	t0 = now_s();
	for (i = 0; i < PINGS; i++)
		if (hop(&a_tx, fds[0], &b_rx, fds[1], &fb) ||
		    hop(&b_rx, fds[1], &a_tx, fds[0], &fa))
			return -1;
	dt = now_s() - t0;
	printf("bench: wire_msg_latency_us %.1f us\n", dt / (2.0 * PINGS) * 1e6);
	ferry_frame_rx_free(&fa);
	ferry_frame_rx_free(&fb);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

int main(int argc, char **argv)
{
	__u8 seed[32];
	__u64 mib = 512;

	if (argc > 1 && ferry_parse_u64(argv[1], 1 << 20, &mib)) {
		fprintf(stderr, "usage: bench_channel [MiB]\n");
		return 2;
	}
	memset(seed, 1, sizeof(seed));
	ferry_identity_from_seed(&som, seed);
	memset(seed, 2, sizeof(seed));
	ferry_identity_from_seed(&soa, seed);
	if (bench_handshake() || bench_throughput(mib) || bench_latency()) {
		fprintf(stderr, "bench_channel: failed\n");
		return 1;
	}
	return 0;
}
