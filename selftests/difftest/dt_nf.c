// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include "ctconfig.h"
#include "log.h"
#include "rules.h"
#include "dt_frame.h"
#include "dt_nf.h"

#define NS_CLIENT	"dif-a"
#define NS_ROUTER	"dif-nf"
#define NS_SERVER	"dif-b"
#define MARKER_PORT	9
/* Only a lost marker waits this long: it is a test failure, not a verdict. */
#define MARKER_WAIT_MS	3000

const __u8 dt_host_mac[2][6] = {
	{ 0x02, 0x00, 0x00, 0x00, 0x01, 0x02 },
	{ 0x02, 0x00, 0x00, 0x00, 0x02, 0x02 },
};
const __u8 dt_router_mac[2][6] = {
	{ 0x02, 0x00, 0x00, 0x00, 0x01, 0x01 },
	{ 0x02, 0x00, 0x00, 0x00, 0x02, 0x01 },
};

static const char *const host_ns[2] = { NS_CLIENT, NS_SERVER };
static const char *const host_if[2] = { "dif-a0", "dif-b0" };
static const char *const marker_ip[2] = { "198.18.1.250", "198.18.2.250" };

static __attribute__((format(printf, 1, 2))) int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	pr_debug("+ %s\n", cmd);
	rc = system(cmd);
	if (rc != 0) {
		pr_warn("command failed (status %d): %s\n", rc, cmd);
		return -EIO;
	}
	return 0;
}

static int tool_missing(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) != 0;
}

static const char *const setup_cmds[] = {
	"ip netns add " NS_CLIENT,
	"ip netns add " NS_ROUTER,
	"ip netns add " NS_SERVER,
	"ip -n " NS_ROUTER " link add dif-in address 02:00:00:00:01:01 type veth"
	" peer name dif-a0 address 02:00:00:00:01:02 netns " NS_CLIENT,
	"ip -n " NS_ROUTER " link add dif-out address 02:00:00:00:02:01 type veth"
	" peer name dif-b0 address 02:00:00:00:02:02 netns " NS_SERVER,
	/* The far ends are wires for AF_PACKET only: no stack answers there. */
	"ip netns exec " NS_CLIENT " sysctl -qw net.ipv6.conf.dif-a0.disable_ipv6=1",
	"ip netns exec " NS_SERVER " sysctl -qw net.ipv6.conf.dif-b0.disable_ipv6=1",
	"ip -n " NS_CLIENT " link set dif-a0 up",
	"ip -n " NS_SERVER " link set dif-b0 up",
	"ip netns exec " NS_ROUTER " sysctl -qw net.ipv4.ip_forward=1"
	" net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0"
	" net.ipv4.conf.default.rp_filter=0",
	"ip -n " NS_ROUTER " addr add 198.18.1.1/24 dev dif-in",
	"ip -n " NS_ROUTER " addr add 198.18.2.1/24 dev dif-out",
	"ip -n " NS_ROUTER " addr add 2001:db8:1::1/64 dev dif-in nodad",
	"ip -n " NS_ROUTER " addr add 2001:db8:2::1/64 dev dif-out nodad",
	"ip -n " NS_ROUTER " link set lo up",
	"ip -n " NS_ROUTER " link set dif-in up",
	"ip -n " NS_ROUTER " link set dif-out up",
	"ip -n " NS_ROUTER " neigh replace 198.18.1.2 lladdr 02:00:00:00:01:02 dev dif-in nud permanent",
	"ip -n " NS_ROUTER " neigh replace 198.18.1.250 lladdr 02:00:00:00:01:02 dev dif-in nud permanent",
	"ip -n " NS_ROUTER " neigh replace 2001:db8:1::2 lladdr 02:00:00:00:01:02 dev dif-in nud permanent",
	"ip -n " NS_ROUTER " neigh replace 198.18.2.2 lladdr 02:00:00:00:02:02 dev dif-out nud permanent",
	"ip -n " NS_ROUTER " neigh replace 198.18.2.250 lladdr 02:00:00:00:02:02 dev dif-out nud permanent",
	"ip -n " NS_ROUTER " neigh replace 2001:db8:2::2 lladdr 02:00:00:00:02:02 dev dif-out nud permanent",
};

/*
 * The ruleset of the brief. Markers are untracked (raw prerouting) and let
 * through first, so they never touch the conntrack table under test.
 */
/* Can this kernel and nft do conntrack matches at all? */
static int nft_ct_usable(void)
{
	return !run("ip netns exec " NS_ROUTER " nft 'add table inet dif_probe;"
		    " add chain inet dif_probe c;"
		    " add rule inet dif_probe c ct state established accept;"
		    " delete table inet dif_probe'");
}

static int load_ruleset(const char *allow_rules)
{
	char path[] = "/tmp/dif-nft-XXXXXX";
	FILE *f;
	int fd, err;

	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out_unlink;
	}
	fprintf(f,
		"table inet dif {\n"
		"  chain pre {\n"
		"    type filter hook prerouting priority raw; policy accept;\n"
		"    ip saddr { %s, %s } udp dport %d notrack\n"
		"  }\n"
		"  chain forward_filter {\n"
		"    type filter hook forward priority filter; policy drop;\n"
		"    ip saddr { %s, %s } udp dport %d ct state untracked accept\n"
		"    ct state invalid drop\n"
		"    ct state established,related accept\n"
		"%s"
		"    drop\n"
		"  }\n"
		"}\n",
		marker_ip[0], marker_ip[1], MARKER_PORT,
		marker_ip[0], marker_ip[1], MARKER_PORT, allow_rules);
	if (fclose(f)) {
		err = -errno;
		goto out_unlink;
	}
	err = run("ip netns exec " NS_ROUTER " nft -f %s", path);
out_unlink:
	unlink(path);
	return err;
}

/* An AF_PACKET socket on ifname inside namespace ns. */
static int open_packet_sock(const char *ns, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	char path[128];
	int self, there, fd = -1, one = 1, err;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	there = open(path, O_RDONLY | O_CLOEXEC);
	if (there < 0) {
		err = -errno;
		goto out_close_self;
	}
	if (setns(there, CLONE_NEWNET)) {
		err = -errno;
		goto out_close_there;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	err = fd < 0 ? -errno : 0;
	sll.sll_ifindex = if_nametoindex(ifname);
	if (!err && (!sll.sll_ifindex ||
		     bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
		     setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
				sizeof(one))))
		err = -errno ? -errno : -ENODEV;
	if (setns(self, CLONE_NEWNET) && !err)
		err = -errno;
	if (err && fd >= 0) {
		close(fd);
		fd = -1;
	}
out_close_there:
	close(there);
out_close_self:
	close(self);
	if (err)
		pr_warn("cannot open a packet socket on %s/%s: %s\n", ns, ifname,
			strerror(-err));
	return err ? err : fd;
}

void dt_nf_teardown(struct dt_nf *nf)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (nf->sock[i] >= 0)
			close(nf->sock[i]);
		nf->sock[i] = -1;
	}
	/* Also removes what a killed earlier run left behind. */
	if (system("for n in " NS_CLIENT " " NS_ROUTER " " NS_SERVER "; do"
		   " ip netns del $n 2>/dev/null; done; true"))
		pr_warn("cannot run ip netns del\n");
	nf->netns_made = 0;
}

int dt_nf_setup(struct dt_nf *nf, const char *allow_rules)
{
	cpu_set_t cpus;
	size_t i;
	int err;

	nf->sock[0] = nf->sock[1] = -1;
	nf->markers = 0;
	if (tool_missing("nft") || tool_missing("conntrack")) {
		pr_warn("nft or conntrack tool missing\n");
		return -EOPNOTSUPP;
	}
	/* One CPU: frames and their markers stay in order in the backlog. */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		return -errno;

	dt_nf_teardown(nf);
	nf->netns_made = 1;
	for (i = 0; i < sizeof(setup_cmds) / sizeof(setup_cmds[0]); i++) {
		err = run("%s", setup_cmds[i]);
		if (err)
			return err;
	}
	if (!nft_ct_usable())
		return -EOPNOTSUPP;
	err = load_ruleset(allow_rules);
	if (err)
		return err;
	err = run("ip netns exec " NS_ROUTER " sysctl -qw"
		  " net.netfilter.nf_conntrack_tcp_loose=0"
		  " net.netfilter.nf_conntrack_tcp_be_liberal=0"
		  " net.netfilter.nf_conntrack_checksum=1");
	if (err)
		return -EOPNOTSUPP;
	/* Debugging aid: DIF_LOG_INVALID=1 logs conntrack's reasons to dmesg. */
	if (getenv("DIF_LOG_INVALID") &&
	    run("ip netns exec " NS_ROUTER " sysctl -qw"
		" net.netfilter.nf_conntrack_log_invalid=255"))
		pr_warn("cannot enable nf_conntrack_log_invalid\n");
	for (i = 0; i < 2; i++) {
		nf->sock[i] = open_packet_sock(host_ns[i], host_if[i]);
		if (nf->sock[i] < 0)
			return nf->sock[i];
	}
	return 0;
}

/* The IP packet of frame, with TTL/hop limit and IPv4 checksum zeroed
 * (the router changes them), into out; returns its length or 0. */
static int normalize(const __u8 *frame, int len, __u8 *out)
{
	const struct ethhdr *eth = (const void *)frame;
	int l3 = len - (int)sizeof(*eth), ip_len;

	if (l3 < (int)sizeof(struct iphdr))
		return 0;
	if (eth->h_proto == htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)out;

		memcpy(out, frame + sizeof(*eth), l3);
		ip_len = ntohs(ip->tot_len);
		ip->ttl = 0;
		ip->check = 0;
	} else if (eth->h_proto == htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)out;

		if (l3 < (int)sizeof(*ip6))
			return 0;
		memcpy(out, frame + sizeof(*eth), l3);
		ip_len = sizeof(*ip6) + ntohs(ip6->payload_len);
		ip6->hop_limit = 0;
	} else {
		return 0;
	}
	return ip_len <= l3 ? ip_len : 0;
}

static int same_packet(const __u8 *a, int alen, const __u8 *b, int blen)
{
	static __u8 na[DT_FRAME_MAX], nb[DT_FRAME_MAX];
	int la, lb;

	if (alen > DT_FRAME_MAX || blen > DT_FRAME_MAX)
		return 0;
	la = normalize(a, alen, na);
	lb = normalize(b, blen, nb);
	return la && la == lb && !memcmp(na, nb, la);
}

static int build_marker(struct dt_nf *nf, int side, __u8 *buf)
{
	struct dt_host src = { .family = AF_INET }, dst = { .family = AF_INET };
	struct dt_l4 l4 = {
		.proto = IPPROTO_UDP,
		.sport = 1024 + nf->markers % 60000,
		.dport = MARKER_PORT,
		.payload_len = 8,
	};

	inet_pton(AF_INET, marker_ip[side], src.ip);
	inet_pton(AF_INET, marker_ip[!side], dst.ip);
	nf->markers++;
	return dt_build_frame(buf, DT_FRAME_MAX, dt_host_mac[side],
			      dt_router_mac[side], &src, &dst, &l4);
}

static void drain(int fd)
{
	__u8 buf[DT_FRAME_MAX];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int send_frame(int fd, const __u8 *frame, int len)
{
	ssize_t n = send(fd, frame, len, 0);

	if (n != len) {
		pr_warn("AF_PACKET send: %s\n", n < 0 ? strerror(errno) : "short");
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

int dt_nf_inject(struct dt_nf *nf, int side, const __u8 *frame, int len)
{
	__u8 marker[DT_FRAME_MAX], buf[DT_FRAME_MAX];
	int mlen, rx = nf->sock[!side], seen = 0, err;
	struct pollfd pfd = { .fd = rx, .events = POLLIN };
	ssize_t n;

	drain(nf->sock[0]);
	drain(nf->sock[1]);
	mlen = build_marker(nf, side, marker);
	if (mlen < 0)
		return mlen;
	err = send_frame(nf->sock[side], frame, len);
	if (!err)
		err = send_frame(nf->sock[side], marker, mlen);
	if (err)
		return err;
	for (;;) {
		if (poll(&pfd, 1, MARKER_WAIT_MS) <= 0) {
			pr_warn("marker frame lost: the router path is broken\n");
			return -ETIMEDOUT;
		}
		n = recv(rx, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		if (same_packet(buf, n, marker, mlen))
			return seen;
		if (same_packet(buf, n, frame, len))
			seen = 1;
	}
}

int dt_nf_ct_flush(void)
{
	return run("ip netns exec " NS_ROUTER " conntrack -F 2>/dev/null");
}

static int ct_line_state(const char *line, __u8 proto)
{
	char name[32];
	int st;

	switch (proto) {
	case IPPROTO_TCP:
		/* "tcp 6 <timeout> <STATE> src=..." */
		if (sscanf(line, "%*s %*d %*d %31s", name) != 1)
			return -EINVAL;
		if (!strcmp(name, "LISTEN"))	/* old name of SYN_SENT2 */
			return FERRY_TCP_SYN_SENT2;
		st = ferry_state_parse(name);
		if (st < 0)
			pr_warn("unknown conntrack TCP state '%s'\n", name);
		return st;
	case IPPROTO_UDP:
		return strstr(line, "[UNREPLIED]") ? FERRY_UDP_UNREPLIED :
						     FERRY_UDP_REPLIED;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return strstr(line, "[UNREPLIED]") ? FERRY_ICMP_UNREPLIED :
						     FERRY_ICMP_REPLIED;
	default:
		return strstr(line, "[UNREPLIED]") ? FERRY_OTHER_UNREPLIED :
						     FERRY_OTHER_REPLIED;
	}
}

/* conntrack -L names protocols as the rule language does. */
static const char *proto_name(__u8 proto)
{
	return ferry_proto_name(proto) ?: "unknown";
}

int dt_nf_ct_state(__u8 proto, const char *client, const char *server)
{
	char line[1024], word[32], csrc[80], ssrc[80];
	int state = FERRY_CT_NONE, found = 0;
	FILE *p;

	snprintf(csrc, sizeof(csrc), "src=%s ", client);
	snprintf(ssrc, sizeof(ssrc), "src=%s ", server);
	p = popen("ip netns exec " NS_ROUTER " conntrack -L 2>/dev/null", "r");
	if (!p)
		return -errno;
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "%31s", word) != 1 ||
		    strcmp(word, proto_name(proto)) ||
		    !strstr(line, csrc) || !strstr(line, ssrc))
			continue;
		if (found++) {
			pr_warn("more than one conntrack entry: %s", line);
			state = -EEXIST;
			continue;
		}
		state = ct_line_state(line, proto);
	}
	if (pclose(p)) {
		pr_warn("conntrack -L failed\n");
		return -EIO;
	}
	return state;
}
