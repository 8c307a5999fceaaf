/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Harness for datapath tests: the ferry_fw_test skeleton (fake clock) with
 * pinning disabled, run over frames with BPF_PROG_TEST_RUN. Every run
 * reports the XDP/TC verdict and the reason the datapath counted for it
 * (the one per-reason counter that moved), so a test asserts both.
 */
#ifndef FERRY_DPTEST_H
#define FERRY_DPTEST_H

#include <linux/types.h>
#include "ferry/layout.h"
#include "pktbuild.h"

#define DPT_SEC(s)	((__u64)(s) * 1000000000ull)
/* Where the fake clock starts: far from 0, so expiry arithmetic is honest. */
#define DPT_T0		DPT_SEC(1000)
#define DPT_NO_REASON	(-1)	/* no counter moved, or more than one */

struct ferry_fw_test;

struct dpt {
	struct ferry_fw_test *skel;
	int xdp_fd;
	int tc_fd;
	int rulesets_fd;
	int btf_fd;
	__u32 rule_type_id;
	__u32 ifindex;		/* ingress of dpt_send(): 1 (loopback) */
};

/*
 * Move the test process into a private network namespace with loopback up
 * and n interfaces dpt0..dpt<n-1>, veths (for zones per interface);
 * ifindexes[i] receives their indexes. Everything goes with the process.
 */
int dpt_netns_setup(unsigned int n, __u32 *ifindexes);

/* Open and load the test datapath, ct table of ct_max entries (0: as
 * built), default config, no rules, fake clock at DPT_T0. 0 or -errno. */
int dpt_open(struct dpt *d, __u32 ct_max);
void dpt_close(struct dpt *d);

int dpt_config_write(struct dpt *d, const struct ferry_config *cfg);
int dpt_config_read(struct dpt *d, struct ferry_config *cfg);
/* The zone of packets arriving on ifindex with VLAN id vlan (0: untagged). */
int dpt_set_zone(struct dpt *d, __u32 ifindex, __u16 vlan, __u32 zone);
/* Replace the rule set by rules[0..n). */
int dpt_set_rules(struct dpt *d, const struct ferry_rule *rules, __u32 n);

void dpt_set_now(struct dpt *d, __u64 ns);
void dpt_advance(struct dpt *d, __u64 ns);
__u64 dpt_now(struct dpt *d);

/* Run one frame through ferry_xdp / ferry_tc as received on ifindex.
 * Returns the program's verdict (XDP_* / TC_ACT_*) or -errno; *reason
 * (may be NULL) gets the enum ferry_reason counted, or DPT_NO_REASON. */
int dpt_run_xdp(struct dpt *d, const void *frame, size_t len, __u32 ifindex,
		int *reason);
int dpt_run_tc(struct dpt *d, const void *frame, size_t len, __u32 ifindex,
	       int *reason);
/* Run frame through TC (tc) or XDP; out (*out_len bytes) gets the frame
 * as the program left it, *out_len its length. */
int dpt_run_out(struct dpt *d, int tc, const void *frame, size_t len,
		__u32 ifindex, void *out, size_t *out_len, int *reason);
/* Build s and run it through XDP on d->ifindex / on ifindex. */
int dpt_send(struct dpt *d, const struct pkt_spec *s, int *reason);
int dpt_send_on(struct dpt *d, const struct pkt_spec *s, __u32 ifindex,
		int *reason);

/* Packets counted for a reason, summed over CPUs; all of them. */
__u64 dpt_reason_count(struct dpt *d, int reason);
int dpt_reason_counts(struct dpt *d, __u64 out[FERRY_REASON_MAX]);

/*
 * The flow of the packet s in zone, keyed as bpf/lib/ct.h does. *src_lo
 * (may be NULL) tells if s's source is the key's lower endpoint: the flow
 * was opened by s's source iff f->orig_lo == *src_lo. 0 or -ENOENT.
 */
int dpt_flow(struct dpt *d, __u32 zone, const struct pkt_spec *s,
	     struct ferry_flow *f, int *src_lo);
/* Remove that flow, as the agent's GC would. 0 or -errno. */
int dpt_flow_delete(struct dpt *d, __u32 zone, const struct pkt_spec *s);
void dpt_flow_key(__u32 zone, const struct pkt_spec *s,
		  struct ferry_flow_key *k, int *src_lo);
/* Number of entries in the connection table; empty it. */
int dpt_flow_count(struct dpt *d);
int dpt_flow_flush(struct dpt *d);

/* A rule matching everything (any zone, family, protocol, address, port). */
void dpt_rule_init(struct ferry_rule *r, __u32 id, __u8 action);
/* Restrict r to a source (is_src) or destination prefix "addr/len";
 * sets the rule's family. 0 or -EINVAL. */
int dpt_rule_prefix(struct ferry_rule *r, int is_src, const char *cidr);
/* Install one allow-all rule (id 1). */
int dpt_allow_all(struct dpt *d);

/*
 * A TCP segment of the connection whose client-to-server packets look like
 * c2s: from the server if reply, with the given flags, numbers and payload.
 */
struct pkt_spec dpt_seg(const struct pkt_spec *c2s, int reply, __u8 flags,
			__u32 seq, __u32 ack, size_t len);
/* SYN (cseq), SYN/ACK (sseq), ACK: 0 if each passed as it should. */
int dpt_handshake(struct dpt *d, const struct pkt_spec *c2s, __u32 cseq,
		  __u32 sseq);

/* cmocka fixtures: *state is a fresh struct dpt, with one allow-all rule
 * (dpt_setup) or none (dpt_setup_norules). */
int dpt_setup(void **state);
int dpt_setup_norules(void **state);
int dpt_teardown(void **state);

#endif
