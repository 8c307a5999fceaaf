// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The migration engine (draft Figure 3, docs/migration.md "Orchestration"):
 * a notification (NOTIFY from an authorized TDE, or `ferryctl migrate`)
 * becomes a migration with a random id and a deadline; the SOM signs the
 * ORDER and sends PREPARE to the destination; on READY it sends UPLOAD to
 * the source and relays every DATA to the destination as it arrives; on
 * DONE it sends RELEASE to the source. Every failure (REFUSED, DONE with a
 * reason, UPLOAD_FAILED, a side disconnecting, the deadline) ends the
 * migration with a reason and ABORT to the side still there. The relay is
 * flow-controlled (relay.c); every migration is journaled (migjournal.c),
 * so that a restart ends the running ones as som-restarted and keeps the
 * list of finished ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "ctlsock.h"
#include "log.h"
#include "migorder.h"
#include "numparse.h"
#include "som.h"

#define NS_PER_MS	1000000ull

static const char *const phase_names[] = {
	"preparing", "uploading", "installing", "done", "failed",
};

bool som_mig_running(const struct som_mig *m)
{
	return m->phase < SOM_MIG_DONE;
}

struct som_conn *som_host_conn(struct som *som, __u32 host_id)
{
	int i = som_host_find(som, host_id);

	return i < 0 ? NULL : som->hosts[i].conn;
}

static int send_msg(struct som *som, struct som_conn *c,
		    const struct ferry_migmsg *mm)
{
	size_t cap = mm->env_len + 128;
	__u8 *buf = malloc(cap);
	int len, ret = -ENOMEM;

	if (!buf)
		return ret;
	len = ferry_migmsg_encode(mm, buf, cap);
	ret = len < 0 ? len : ferry_session_send(&c->s, mm->type, buf, (size_t)len);
	free(buf);
	if (!ret)
		som_conn_flush(som, c);
	return ret;
}

static void send_id(struct som *som, __u32 host_id, __u8 type,
		    const struct som_mig *m, int reason)
{
	struct ferry_migmsg mm = { .type = type, .reason = (__u32)reason };
	struct som_conn *c = som_host_conn(som, host_id);

	if (!c)
		return;
	memcpy(mm.id, m->id, sizeof(mm.id));
	if (send_msg(som, c, &mm))
		pr_warn("migration: cannot send type %u to host %u\n", type, host_id);
}

static long long ms_since(const struct som_mig *m, __u64 t)
{
	return t ? (long long)((t - m->t_notify) / NS_PER_MS) : -1;
}

/* Answer a `ferryctl migrate --wait` with the outcome. */
static void answer_waiter(struct som_mig *m)
{
	char hex[2 * FERRY_MIG_ID_LEN + 1];
	FILE *f;

	if (m->wait_fd < 0)
		return;
	ferry_mig_id_hex(m->id, hex);
	f = fdopen(m->wait_out, "w");
	if (f) {
		fprintf(f, "migration %s %s reason %s flows %llu accepted %llu "
			"rejected %llu ms %lld\n", hex, phase_names[m->phase],
			ferry_mig_reason_name((unsigned int)m->reason),
			(unsigned long long)m->flows,
			(unsigned long long)m->accepted,
			(unsigned long long)m->rejected, ms_since(m, m->t_installed));
		fclose(f);
	} else {
		close(m->wait_out);
	}
	ferry_ctl_reply(m->wait_fd, m->phase == SOM_MIG_DONE ? 0 : 1, NULL);
	close(m->wait_fd);
	m->wait_fd = m->wait_out = -1;
}

static void finish(struct som *som, struct som_mig *m, int reason,
		   const char *why)
{
	char hex[2 * FERRY_MIG_ID_LEN + 1];

	m->phase = reason ? SOM_MIG_FAILED : SOM_MIG_DONE;
	m->reason = reason;
	snprintf(m->why, sizeof(m->why), "%s", why);
	ferry_mig_id_hex(m->id, hex);
	if (reason)
		pr_warn("migration %s failed: %s (%s)\n", hex,
			ferry_mig_reason_name((unsigned int)reason), why);
	else
		pr_info("migration %s done: %llu flows, %llu accepted, %llu rejected, "
			"installed after %lld ms\n", hex, (unsigned long long)m->flows,
			(unsigned long long)m->accepted,
			(unsigned long long)m->rejected, ms_since(m, m->t_installed));
	som_journal_mig(som, m, SOM_JREC_MIG_END, true);
	answer_waiter(m);
	/* its source may be paused for it */
	som_relay_recheck(som, som_host_conn(som, m->n.from_host));
}

/* Fail a running migration: ABORT to both sides (a gone side is skipped). */
static void fail(struct som *som, struct som_mig *m, int reason, const char *why)
{
	send_id(som, m->n.from_host, FERRY_MSG_ABORT, m, reason);
	send_id(som, m->n.to_host, FERRY_MSG_ABORT, m, reason);
	finish(som, m, reason, why);
}

static struct som_mig *find(struct som *som, const __u8 *id)
{
	__u32 i;

	for (i = 0; i < som->nmigs; i++)
		if (!memcmp(som->migs[i].id, id, FERRY_MIG_ID_LEN))
			return &som->migs[i];
	return NULL;
}

static bool same_vm(const struct ferry_notify *a, const struct ferry_notify *b)
{
	__u32 i, j;

	if (a->zone != b->zone)
		return false;
	for (i = 0; i < a->naddrs; i++)
		for (j = 0; j < b->naddrs; j++)
			if (!memcmp(&a->addrs[i], &b->addrs[j], sizeof(a->addrs[i])))
				return true;
	return false;
}

/* A slot at the end; the oldest finished migration makes room. */
struct som_mig *som_mig_slot(struct som *som)
{
	__u32 i;

	if (som->nmigs == som->cfg.max_migrations) {
		for (i = 0; i < som->nmigs && som_mig_running(&som->migs[i]); i++)
			;
		if (i == som->nmigs)
			return NULL;
		memmove(&som->migs[i], &som->migs[i + 1],
			(som->nmigs - i - 1) * sizeof(som->migs[0]));
		som->nmigs--;
	}
	memset(&som->migs[som->nmigs], 0, sizeof(som->migs[0]));
	return &som->migs[som->nmigs++];
}

static void order_of(const struct som *som, const struct som_mig *m, int src,
		     struct ferry_mig_order *o)
{
	__u64 now_s = som_realtime_ms() / 1000;
	__u32 i;

	memset(o, 0, sizeof(*o));
	memcpy(o->id, m->id, FERRY_MIG_ID_LEN);
	o->vm.zone = m->n.zone;
	o->vm.n_addrs = m->n.naddrs;
	for (i = 0; i < m->n.naddrs; i++) {
		o->vm.family[i] = m->n.addrs[i].family == 4 ? FERRY_AF_INET :
							      FERRY_AF_INET6;
		memcpy(o->vm.addr[i], m->n.addrs[i].addr, 16);
	}
	o->vm.has_mac = m->n.has_mac;
	memcpy(o->vm.mac, m->n.mac, 6);
	o->src_host = m->n.from_host;
	memcpy(o->src_pk, som->hosts[src].pk, FERRY_WIRE_KEY_LEN);
	o->dst_host = m->n.to_host;
	o->issued_s = now_s;
	o->expires_s = now_s + som->cfg.mig_deadline_ms / 1000 + 1;
	o->max_flows = FERRY_MIG_MAX_FLOWS;
	o->max_bytes = FERRY_MIG_MAX_BYTES;
}

static int check_notify(struct som *som, const struct ferry_notify *n,
			char *err, size_t errlen)
{
	int src = som_host_find(som, n->from_host);
	int dst = som_host_find(som, n->to_host);
	__u32 i;

	if (n->from_host == n->to_host) {
		snprintf(err, errlen, "source and destination are both host %u",
			 n->from_host);
		return -EINVAL;
	}
	if (!n->naddrs || n->naddrs > FERRY_MIG_MAX_ADDRS) {
		snprintf(err, errlen, "the VM needs 1..%u addresses, not %u",
			 FERRY_MIG_MAX_ADDRS, n->naddrs);
		return -EINVAL;
	}
	if (src < 0 || !som->hosts[src].conn || dst < 0 || !som->hosts[dst].conn) {
		snprintf(err, errlen, "host %u is not registered and connected",
			 src < 0 || !som->hosts[src].conn ? n->from_host : n->to_host);
		return -ENOENT;
	}
	for (i = 0; i < som->nmigs; i++)
		if (som_mig_running(&som->migs[i]) && same_vm(&som->migs[i].n, n)) {
			snprintf(err, errlen, "a migration of this VM is running already");
			return -EALREADY;
		}
	return src;
}

int som_mig_start(struct som *som, const struct ferry_notify *n, char *err,
		  size_t errlen)
{
	struct ferry_migmsg mm = { .type = FERRY_MSG_PREPARE };
	char hex[2 * FERRY_MIG_ID_LEN + 1];
	struct ferry_mig_order o;
	struct som_mig *m;
	int src, ret;

	src = check_notify(som, n, err, errlen);
	if (src < 0)
		return src;
	m = som_mig_slot(som);
	if (!m) {
		snprintf(err, errlen, "%u migrations running: no room",
			 som->cfg.max_migrations);
		return -ENOSPC;
	}
	m->n = *n;
	m->wait_fd = m->wait_out = -1;
	m->t_notify = som_now_ns();
	m->started_ms = som_realtime_ms();
	m->deadline_ms = som->cfg.mig_deadline_ms;
	m->deadline_ns = m->t_notify + som->cfg.mig_deadline_ms * NS_PER_MS;
	ferry_mig_id_random(m->id);
	order_of(som, m, src, &o);
	ret = ferry_mig_order_seal(&o, &som->id, m->started_ms, m->order,
				   sizeof(m->order), &m->order_len);
	/* journaled before anyone hears of it, synced while the destination works */
	if (!ret && som_journal_mig(som, m, SOM_JREC_MIG_START, false))
		ret = -EIO;
	mm.env = m->order;
	mm.env_len = m->order_len;
	if (!ret)
		ret = send_msg(som, som_host_conn(som, n->to_host), &mm);
	if (ret) {
		snprintf(err, errlen, "cannot %s the order: %s", ret == -EIO ?
			 "journal" : "send", strerror(-ret));
		finish(som, m, FERRY_MIG_INTERNAL, err);
		return ret;
	}
	som_journal_sync(som);
	m->t_order = som_now_ns();
	ferry_mig_id_hex(m->id, hex);
	pr_info("migration %s: zone %u, %u addresses, host %u -> host %u: PREPARE sent\n",
		hex, n->zone, n->naddrs, n->from_host, n->to_host);
	return (int)(m - som->migs);
}

static int on_ready(struct som *som, struct som_mig *m)
{
	struct ferry_migmsg mm = { .type = FERRY_MSG_UPLOAD, .env = m->order,
				   .env_len = m->order_len };
	int src = som_host_find(som, m->n.from_host);

	if (m->phase != SOM_MIG_PREPARING)
		return -EPROTO;
	if (src < 0 || !som->hosts[src].conn) {
		fail(som, m, FERRY_MIG_SOURCE_LOST, "the source is gone");
		return 0;
	}
	/* the very order the destination accepted */
	if (send_msg(som, som->hosts[src].conn, &mm)) {
		fail(som, m, FERRY_MIG_INTERNAL, "cannot send UPLOAD");
		return 0;
	}
	m->phase = SOM_MIG_UPLOADING;
	som_journal_mig(som, m, SOM_JREC_MIG_PHASE, false);
	return 0;
}

static int on_data(struct som *som, struct som_mig *m, struct som_conn *src,
		   const struct ferry_migmsg *in)
{
	struct som_conn *dst = som_host_conn(som, m->n.to_host);
	struct ferry_migmsg mm = *in;

	if (m->phase != SOM_MIG_UPLOADING && m->phase != SOM_MIG_INSTALLING)
		return -EPROTO;
	if (!dst) {
		fail(som, m, FERRY_MIG_DESTINATION_LOST, "the destination is gone");
		return 0;
	}
	m->chunks++;
	if (!m->t_first) {
		m->t_first = som_now_ns();
		m->phase = SOM_MIG_INSTALLING;
		som_journal_mig(som, m, SOM_JREC_MIG_PHASE, false);
	}
	/* a source busy exporting sends DATA, not heartbeats: it is alive */
	som->hosts[src->host].last_seen_ns = som_now_ns();
	if (send_msg(som, dst, &mm)) {
		fail(som, m, FERRY_MIG_INTERNAL, "cannot relay DATA");
		return 0;
	}
	som_relay_sent(som, m, src, dst);
	return 0;
}

static int on_done(struct som *som, struct som_mig *m,
		   const struct ferry_migmsg *in)
{
	char why[64];
	__u32 i;

	if (m->phase != SOM_MIG_UPLOADING && m->phase != SOM_MIG_INSTALLING &&
	    m->phase != SOM_MIG_PREPARING)
		return -EPROTO;
	m->flows = in->flows;
	m->accepted = in->accepted;
	m->rejected = 0;
	for (i = 0; i < FERRY_MIGMSG_NREJECT; i++)
		m->rejected += in->rejected[i];
	if (in->reason) {
		snprintf(why, sizeof(why), "the destination failed");
		fail(som, m, (int)in->reason, why);
		return 0;
	}
	m->t_installed = som_now_ns();
	send_id(som, m->n.from_host, FERRY_MSG_RELEASE, m, 0);
	m->t_released = som_now_ns();
	finish(som, m, FERRY_MIG_OK, "ok");
	return 0;
}

int som_mig_msg(struct som *som, struct som_conn *c, __u8 type,
		const __u8 *msg, size_t len, char *why, size_t whylen)
{
	const struct ferry_hs_peer *peer = ferry_session_peer(&c->s);
	char err[FERRY_SOMPROTO_ERR_MAX];
	struct ferry_migmsg mm;
	struct som_mig *m;
	bool from_src;
	int ret;

	if (peer->role != FERRY_ROLE_SOA || c->host < 0 ||
	    type == FERRY_MSG_PREPARE || type == FERRY_MSG_UPLOAD ||
	    type == FERRY_MSG_RELEASE || type == FERRY_MSG_ABORT) {
		snprintf(why, whylen, "migration message %u from %s host %u", type,
			 ferry_role_name(peer->role), peer->host_id);
		return -EPROTO;
	}
	if (ferry_migmsg_decode(type, msg, len, &mm, err, sizeof(err))) {
		snprintf(why, whylen, "migration message %u: %s", type, err);
		return -EBADMSG;
	}
	m = find(som, mm.id);
	if (!m || !som_mig_running(m)) {
		/* the rest of a failed migration's upload: hundreds may follow */
		if (type == FERRY_MSG_DATA)
			pr_debug("DATA from host %u for a migration not running: ignored\n",
				 peer->host_id);
		else
			pr_info("migration message %u from host %u for a migration not running: ignored\n",
				type, peer->host_id);
		return 0;
	}
	from_src = type == FERRY_MSG_DATA || type == FERRY_MSG_UPLOAD_FAILED;
	if (peer->host_id != (from_src ? m->n.from_host : m->n.to_host)) {
		snprintf(why, whylen, "migration message %u from host %u, not a party",
			 type, peer->host_id);
		return -EACCES;
	}
	switch (type) {
	case FERRY_MSG_READY:
		ret = on_ready(som, m);
		break;
	case FERRY_MSG_REFUSED:
		fail(som, m, (int)mm.reason, "the destination refused the order");
		ret = 0;
		break;
	case FERRY_MSG_DATA:
		ret = on_data(som, m, c, &mm);
		break;
	case FERRY_MSG_DONE:
		ret = on_done(som, m, &mm);
		break;
	default:	/* UPLOAD_FAILED */
		fail(som, m, (int)mm.reason, "the source could not export");
		ret = 0;
		break;
	}
	if (ret)
		snprintf(why, whylen, "migration message %u out of order", type);
	return ret;
}

void som_mig_conn_gone(struct som *som, struct som_conn *c)
{
	__u32 i, host = ferry_session_peer(&c->s)->host_id;
	char why[64];
	int reason;

	for (i = 0; i < som->nmigs; i++) {
		struct som_mig *m = &som->migs[i];
		bool src;

		if (!som_mig_running(m) || (m->n.from_host != host && m->n.to_host != host))
			continue;
		src = m->n.from_host == host;
		reason = src ? FERRY_MIG_SOURCE_LOST : FERRY_MIG_DESTINATION_LOST;
		snprintf(why, sizeof(why), "the %s (host %u) disconnected",
			 src ? "source" : "destination", host);
		/* its connection is closing: ABORT only reaches the other side */
		send_id(som, src ? m->n.to_host : m->n.from_host, FERRY_MSG_ABORT, m,
			reason);
		finish(som, m, reason, why);
	}
}

/* A host registered again: tell it of migrations a restart ended. */
void som_mig_host_back(struct som *som, struct som_conn *c)
{
	__u32 i, host = ferry_session_peer(&c->s)->host_id;
	struct som_mig *m;

	for (i = 0; i < som->nmigs; i++) {
		m = &som->migs[i];
		if (m->abort_from && m->n.from_host == host) {
			send_id(som, host, FERRY_MSG_ABORT, m, m->reason);
			m->abort_from = false;
		}
		if (m->abort_to && m->n.to_host == host) {
			send_id(som, host, FERRY_MSG_ABORT, m, m->reason);
			m->abort_to = false;
		}
	}
}

void som_mig_tick(struct som *som)
{
	__u64 now = som_now_ns();
	__u32 i;

	for (i = 0; i < som->nmigs; i++)
		if (som_mig_running(&som->migs[i]) && now >= som->migs[i].deadline_ns)
			fail(som, &som->migs[i], FERRY_MIG_EXPIRED,
			     "the deadline passed");
}

/* "ZONE:ADDR[,ADDR...]" */
static int parse_vm(const char *s, struct ferry_notify *n, char *err,
		    size_t errlen)
{
	char buf[512], *colon, *a, *save = NULL;
	struct ferry_wire_addr *w;
	__u32 zone;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (!colon)
		goto bad;
	*colon = '\0';
	if (ferry_parse_u32(buf, 0xffffffffu, &zone))
		goto bad;
	n->zone = zone;
	for (a = strtok_r(colon + 1, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		if (n->naddrs == FERRY_WIRE_VM_ADDRS_MAX)
			goto bad;
		w = &n->addrs[n->naddrs++];
		memset(w, 0, sizeof(*w));
		if (inet_pton(AF_INET, a, w->addr) == 1)
			w->family = 4;
		else if (inet_pton(AF_INET6, a, w->addr) == 1)
			w->family = 6;
		else
			goto bad;
	}
	if (n->naddrs)
		return 0;
bad:
	snprintf(err, errlen, "--vm %s: not ZONE:ADDR[,ADDR...] (up to %u addresses)",
		 s, FERRY_WIRE_VM_ADDRS_MAX);
	return -EINVAL;
}

static int parse_host(const char *opt, const char *s, __u32 *id, char *err,
		      size_t errlen)
{
	__u32 v;

	if (ferry_parse_u32(s, 0xffffffffu, &v) || !v) {
		snprintf(err, errlen, "%s %s: not a host id (1..4294967295)", opt, s);
		return -EINVAL;
	}
	*id = v;
	return 0;
}

/*
 * "migrate --vm ZONE:ADDR[,ADDR...] --from ID --to ID [--wait]": 0 (answered:
 * the id on out), 1 (kept: answered when it ends), or <0 with err.
 */
int som_mig_control(struct som *som, int argc, char **argv, int conn, int out,
		    char *err, size_t errlen)
{
	struct ferry_notify n = { .reason = 3 };
	char hex[2 * FERRY_MIG_ID_LEN + 1];
	bool wait = false, vm = false;
	int i, idx;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait")) {
			wait = true;
		} else if (i + 1 < argc && !strcmp(argv[i], "--vm")) {
			if (parse_vm(argv[++i], &n, err, errlen))
				return -EINVAL;
			vm = true;
		} else if (i + 1 < argc && !strcmp(argv[i], "--from")) {
			if (parse_host("--from", argv[++i], &n.from_host, err, errlen))
				return -EINVAL;
		} else if (i + 1 < argc && !strcmp(argv[i], "--to")) {
			if (parse_host("--to", argv[++i], &n.to_host, err, errlen))
				return -EINVAL;
		} else {
			snprintf(err, errlen, "migrate: unknown or incomplete argument '%s'",
				 argv[i]);
			return -EINVAL;
		}
	}
	if (!vm || !n.from_host || !n.to_host) {
		snprintf(err, errlen, "migrate needs --vm, --from and --to");
		return -EINVAL;
	}
	n.time_ms = som_realtime_ms();
	idx = som_mig_start(som, &n, err, errlen);
	if (idx < 0)
		return idx;
	if (!som_mig_running(&som->migs[idx]))
		return -EIO;
	ferry_mig_id_hex(som->migs[idx].id, hex);
	if (!wait) {
		dprintf(out, "migration %s started\n", hex);
		return 0;
	}
	som->migs[idx].wait_out = dup(out);
	som->migs[idx].wait_fd = conn;
	return 1;
}

static void print_json(FILE *f, const struct som_mig *m)
{
	char hex[2 * FERRY_MIG_ID_LEN + 1], a[64];
	const char *c;
	__u32 i;

	ferry_mig_id_hex(m->id, hex);
	fprintf(f, "{\"id\": \"%s\", \"vm\": \"", hex);
	for (c = m->n.vm; *c; c++)	/* printable ASCII: only these need it */
		fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
	fprintf(f, "\", \"zone\": %u, \"addresses\": [", m->n.zone);
	for (i = 0; i < m->n.naddrs; i++) {
		ferry_wire_addr_format(&m->n.addrs[i], a, sizeof(a));
		fprintf(f, "%s\"%s\"", i ? ", " : "", a);
	}
	fprintf(f, "], \"from\": %u, \"to\": %u, \"phase\": \"%s\", \"reason\": \"%s\", "
		"\"flows\": %llu, \"accepted\": %llu, \"rejected\": %llu, "
		"\"pauses\": %llu, \"started_ms\": %llu, "
		"\"ms\": {\"order\": %lld, \"first_chunk\": %lld, \"installed\": %lld, "
		"\"released\": %lld}}", m->n.from_host, m->n.to_host,
		phase_names[m->phase], ferry_mig_reason_name((unsigned int)m->reason),
		(unsigned long long)m->flows, (unsigned long long)m->accepted,
		(unsigned long long)m->rejected, (unsigned long long)m->pauses,
		(unsigned long long)m->started_ms, ms_since(m, m->t_order),
		ms_since(m, m->t_first), ms_since(m, m->t_installed),
		ms_since(m, m->t_released));
}

static void print_text(FILE *f, const struct som_mig *m)
{
	char hex[2 * FERRY_MIG_ID_LEN + 1], a[64];
	__u32 i;

	ferry_mig_id_hex(m->id, hex);
	fprintf(f, "migration %s vm %s zone %u addresses ", hex,
		m->n.vm[0] ? m->n.vm : "-", m->n.zone);
	for (i = 0; i < m->n.naddrs; i++) {
		ferry_wire_addr_format(&m->n.addrs[i], a, sizeof(a));
		fprintf(f, "%s%s", i ? "," : "", a);
	}
	fprintf(f, " from %u to %u %s reason %s (%s)\n", m->n.from_host,
		m->n.to_host, phase_names[m->phase],
		ferry_mig_reason_name((unsigned int)m->reason),
		m->why[0] ? m->why : "running");
	fprintf(f, "  flows %llu accepted %llu rejected %llu chunks %llu pauses %llu; "
		"ms: order %lld first chunk %lld installed %lld released %lld\n",
		(unsigned long long)m->flows, (unsigned long long)m->accepted,
		(unsigned long long)m->rejected, (unsigned long long)m->chunks,
		(unsigned long long)m->pauses,
		ms_since(m, m->t_order), ms_since(m, m->t_first),
		ms_since(m, m->t_installed), ms_since(m, m->t_released));
}

int som_print_migrations(const struct som *som, int fd, bool json)
{
	FILE *f = fdopen(fd, "w");
	__u32 i;

	if (!f)
		return 1;
	if (json)
		fprintf(f, "[");
	for (i = 0; i < som->nmigs; i++) {
		if (json) {
			fprintf(f, "%s", i ? ",\n " : "");
			print_json(f, &som->migs[i]);
		} else {
			print_text(f, &som->migs[i]);
		}
	}
	if (json)
		fprintf(f, "]\n");
	else if (!som->nmigs)
		fprintf(f, "no migrations\n");
	return fclose(f) ? 1 : 0;
}

void som_mig_free(struct som *som)
{
	__u32 i;

	for (i = 0; i < som->nmigs; i++)
		if (som->migs[i].wait_fd >= 0) {
			close(som->migs[i].wait_out);
			ferry_ctl_reply(som->migs[i].wait_fd, 1, "the SOM stopped");
			close(som->migs[i].wait_fd);
		}
	free(som->migs);
	som->migs = NULL;
}
