// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ferryctl log: the events of rules marked `log`, from the ring buffer. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "datapath.h"
#include "ferryctl.h"
#include "numparse.h"
#include "rules.h"

struct log_ctx {
	__u32 seen;
	__u32 max;	/* 0: no limit */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int print_event(void *data, void *buf, size_t size)
{
	const struct ferry_log_event *ev = buf;
	struct log_ctx *c = data;
	int af = ev->family == FERRY_AF_INET6 ? AF_INET6 : AF_INET;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], pb[8];
	const char *proto = ferry_proto_name(ev->proto);

	if (size < sizeof(*ev))
		return 0;
	if (!proto) {
		snprintf(pb, sizeof(pb), "%u", ev->proto);
		proto = pb;
	}
	printf("%llu.%09llu rule=%u %s zone=%u ifindex=%u %s src=%s dst=%s",
	       (unsigned long long)(ev->time_ns / 1000000000ull),
	       (unsigned long long)(ev->time_ns % 1000000000ull), ev->rule_id,
	       ev->action == FERRY_ACT_ALLOW ? "allow" : "deny", ev->zone,
	       ev->ifindex, proto, inet_ntop(af, ev->saddr, s, sizeof(s)) ?: "?",
	       inet_ntop(af, ev->daddr, d, sizeof(d)) ?: "?");
	if (ev->proto == IPPROTO_TCP || ev->proto == IPPROTO_UDP)
		printf(" sport=%u dport=%u", ntohs(ev->sport), ntohs(ev->dport));
	putchar('\n');
	fflush(stdout);
	c->seen++;
	return c->max && c->seen >= c->max ? 1 : 0;
}

/* ferryctl log [--count N] [--timeout SECONDS] */
int cmd_log(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct log_ctx c = { 0 };
	struct ring_buffer *rb;
	__u32 timeout = 0;
	time_t end;
	int fd, opt, err = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'n' && !ferry_parse_u32(optarg, 1u << 30, &c.max) && c.max)
			continue;
		if (opt == 't' && !ferry_parse_u32(optarg, 86400, &timeout) && timeout)
			continue;
		fprintf(stderr, "usage: ferryctl log [--count 1..2^30] "
			"[--timeout 1..86400 seconds]\n");
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "ferryctl log: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	fd = ferry_dp_map_fd(ferryctl_instance, "ferry_log");
	if (fd < 0) {
		fprintf(stderr, "ferryctl log: instance '%s' has no log: %s\n",
			ferryctl_instance, strerror(-fd));
		return 1;
	}
	rb = ring_buffer__new(fd, print_event, &c, NULL);
	if (!rb) {
		fprintf(stderr, "ferryctl log: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	end = time(NULL) + timeout;
	while (!stop && !(c.max && c.seen >= c.max) &&
	       (!timeout || time(NULL) < end)) {
		err = ring_buffer__poll(rb, 200);
		if (err == -EINTR)
			break;
		if (err < 0) {
			fprintf(stderr, "ferryctl log: %s\n", strerror(-err));
			break;
		}
		err = 0;
	}
	ring_buffer__free(rb);
	close(fd);
	if (!err && c.max && c.seen < c.max) {
		fprintf(stderr, "ferryctl log: %u of %u events before the timeout\n",
			c.seen, c.max);
		return 1;
	}
	return err ? 1 : 0;
}
