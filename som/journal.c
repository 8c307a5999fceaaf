// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The SOM's journal: an append-only file of host profiles and migrations.
 *
 *	"FERRYJ2\n"                          8-byte header (version 2)
 *	record: length (4, BE) | crc32 (4, BE) | payload
 *	payload: kind (1) | body
 *	kind 1, a host: identity key (32) | registered_ms (8, BE) | REGISTER message
 *	kinds 2..4, a migration's START, PHASE, END: migjournal.c
 *
 * Version 1 ("FERRYJ1\n") had host records only, without the kind byte; it
 * is still read, and the compaction at start rewrites it as version 2.
 *
 * A profile is appended and fdatasync'ed before REGISTERED is sent, so an
 * acknowledged registration survives a crash; a record is written with one
 * write() after the file's end, so a crash leaves at worst a torn last
 * record, which the CRC or the length finds at replay and which is
 * dropped (the agent re-registers anyway). A record that is whole but does
 * not make sense (a REGISTER that does not decode, an END of a migration
 * never started) is skipped with a log line. At start the file is replayed
 * (the last record of a host wins; a migration with no END was running and
 * is recorded failed, som-restarted), then compacted: one record per host
 * and the START (+ PHASE or END) of each migration kept in memory, written
 * to FILE.tmp, fsync'ed, renamed over FILE, directory fsync'ed. It is
 * compacted again when it holds more than twice that + 64 records.
 * docs/operations.md says why not SQLite.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "durable.h"
#include "log.h"
#include "som.h"

#define MAGIC_V1	"FERRYJ1\n"
#define MAGIC		"FERRYJ2\n"
#define MAGIC_LEN	8
#define REC_HDR		8
#define HOST_FIXED	40	/* key, registered_ms */
#define PAYLOAD_MAX	(1 + HOST_FIXED + FERRY_SOMPROTO_MSG_MAX)
#define JOURNAL_MAX	(64u << 20)

void som_put_be(__u8 *p, __u64 v, int n)
{
	while (n--) {
		p[n] = (__u8)v;
		v >>= 8;
	}
}

__u64 som_get_be(const __u8 *p, int n)
{
	__u64 v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* The payload of h's record into buf; its length or -errno. */
static int encode_host(const struct som_host *h, __u8 *buf, size_t size)
{
	int len;

	if (size < 1 + HOST_FIXED)
		return -ENOSPC;
	buf[0] = SOM_JREC_HOST;
	memcpy(buf + 1, h->pk, 32);
	som_put_be(buf + 1 + 32, h->registered_ms, 8);
	len = ferry_register_encode(&h->p, buf + 1 + HOST_FIXED,
				    size - 1 - HOST_FIXED);
	return len < 0 ? len : 1 + HOST_FIXED + len;
}

/* The header of the record whose payload of plen bytes is at rec + REC_HDR. */
static size_t frame(__u8 *rec, int plen)
{
	som_put_be(rec, (__u64)plen, 4);
	som_put_be(rec + 4, crc32(0, rec + REC_HDR, (uInt)plen), 4);
	return REC_HDR + (size_t)plen;
}

/* A host's record body: key, registered_ms, REGISTER. */
static int replay_host(struct som *som, const __u8 *p, size_t len, char *err,
		       size_t errlen)
{
	struct ferry_host_profile prof;

	if (len < HOST_FIXED) {
		snprintf(err, errlen, "a host record of %zu bytes", len);
		return -EBADMSG;
	}
	if (ferry_register_decode(p + HOST_FIXED, len - HOST_FIXED, &prof, err, errlen))
		return -EBADMSG;
	return som_host_put(som, &prof, p, som_get_be(p + 32, 8)) < 0 ? -ENOMEM : 0;
}

static int replay_one(struct som *som, int version, const __u8 *p, size_t len,
		      char *err, size_t errlen)
{
	if (version == 1)
		return replay_host(som, p, len, err, errlen);
	if (p[0] == SOM_JREC_HOST)
		return replay_host(som, p + 1, len - 1, err, errlen);
	return som_migj_replay(som, p, len, err, errlen);
}

/* Replay text[0..len) of a version's journal; the number of records taken. */
static int replay(struct som *som, int version, const __u8 *text, size_t len)
{
	char err[FERRY_SOMPROTO_ERR_MAX];
	size_t off = MAGIC_LEN;
	__u32 plen, n = 0;
	int ret;

	while (off < len) {
		if (len - off < REC_HDR)
			goto torn;
		plen = (__u32)som_get_be(text + off, 4);
		if (plen < (version == 1 ? HOST_FIXED : 1) || plen > PAYLOAD_MAX ||
		    len - off - REC_HDR < plen)
			goto torn;
		if (som_get_be(text + off + 4, 4) != crc32(0, text + off + REC_HDR, plen))
			goto torn;
		ret = replay_one(som, version, text + off + REC_HDR, plen, err,
				 sizeof(err));
		if (ret == -ENOMEM)
			return ret;
		if (ret)
			pr_warn("journal %s: record at %zu: %s; skipped\n",
				som->cfg.journal, off, err);
		off += REC_HDR + plen;
		n++;
	}
	return (int)n;
torn:
	pr_warn("journal %s: torn or corrupt record at offset %zu (of %zu): "
		"the rest is dropped\n", som->cfg.journal, off, len);
	return (int)n;
}

static int write_rec(int fd, __u8 *rec, int plen)
{
	return plen < 0 ? plen : ferry_write_all(fd, rec, frame(rec, plen));
}

/* The records of migration m: START, then its PHASE or its END. */
static int write_mig(int fd, const struct som_mig *m, __u32 *n)
{
	__u8 rec[REC_HDR + SOM_JREC_MAX];
	int err;

	err = write_rec(fd, rec, som_migj_encode(m, SOM_JREC_MIG_START,
						 rec + REC_HDR, SOM_JREC_MAX));
	if (err)
		return err;
	(*n)++;
	if (m->phase == SOM_MIG_PREPARING)
		return 0;
	(*n)++;
	return write_rec(fd, rec, som_migj_encode(m, som_mig_running(m) ?
						  SOM_JREC_MIG_PHASE : SOM_JREC_MIG_END,
						  rec + REC_HDR, SOM_JREC_MAX));
}

/* Rewrite the journal with what is in memory; reopen it for appends. */
static int compact(struct som *som)
{
	char tmp[SOM_PATH_MAX + 8];
	__u8 rec[REC_HDR + PAYLOAD_MAX];
	__u32 i, n = 0;
	int fd, err;

	fd = ferry_replace_begin(som->cfg.journal, tmp, sizeof(tmp));
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	err = ferry_write_all(fd, MAGIC, MAGIC_LEN);
	for (i = 0; i < som->nhosts && !err; i++, n++)
		err = write_rec(fd, rec, encode_host(&som->hosts[i], rec + REC_HDR,
						     PAYLOAD_MAX));
	for (i = 0; i < som->nmigs && !err; i++)
		err = write_mig(fd, &som->migs[i], &n);
	if (err) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	err = ferry_replace_commit(fd, tmp, som->cfg.journal);
	if (err)
		goto fail;
	if (som->journal_fd >= 0)
		close(som->journal_fd);
	som->journal_fd = open(som->cfg.journal, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (som->journal_fd < 0) {
		err = -errno;
		goto fail;
	}
	som->journal_records = n;
	return 0;
fail:
	pr_warn("journal %s: compaction failed: %s\n", som->cfg.journal,
		strerror(-err));
	return -EIO;
}

int som_journal_open(struct som *som)
{
	struct stat st;
	__u8 *text;
	ssize_t n;
	int fd, ret, version;

	som->journal_fd = -1;
	fd = open(som->cfg.journal, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st)) {
		pr_warn("journal %s: %s\n", som->cfg.journal, strerror(errno));
		return -errno;
	}
	if (st.st_size > JOURNAL_MAX) {
		pr_warn("journal %s: larger than %u bytes\n", som->cfg.journal,
			JOURNAL_MAX);
		close(fd);
		return -EFBIG;
	}
	text = malloc((size_t)st.st_size + 1);
	n = text ? read(fd, text, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(text);
		pr_warn("journal %s: cannot read it\n", som->cfg.journal);
		return -EIO;
	}
	version = n >= MAGIC_LEN && !memcmp(text, MAGIC, MAGIC_LEN) ? 2 :
		  n >= MAGIC_LEN && !memcmp(text, MAGIC_V1, MAGIC_LEN) ? 1 : 0;
	if (n && !version) {
		free(text);
		pr_warn("journal %s: not a ferry-som journal (no FERRYJ2 or FERRYJ1 "
			"header)\n", som->cfg.journal);
		return -EINVAL;
	}
	ret = n ? replay(som, version, text, (size_t)n) : 0;
	free(text);
	if (ret < 0)
		return ret;
	pr_info("journal %s: version %d, %d record(s), %u host(s), %u migration(s)\n",
		som->cfg.journal, n ? version : 2, ret, som->nhosts, som->nmigs);
	som_migj_restarted(som);
	return compact(som);
}

/* Append one record whose payload (plen bytes) is at rec + REC_HDR. */
static int append(struct som *som, __u8 *rec, int plen, bool sync)
{
	int err;

	err = write_rec(som->journal_fd, rec, plen);
	if (!err && sync && fdatasync(som->journal_fd))
		err = -errno;
	if (err) {
		pr_warn("journal %s: %s\n", som->cfg.journal, strerror(-err));
		return err;
	}
	if (++som->journal_records > 2 * (som->nhosts + 2 * som->nmigs) + 64)
		compact(som);
	return 0;
}

int som_journal_append(struct som *som, const struct som_host *h)
{
	__u8 rec[REC_HDR + PAYLOAD_MAX];

	return append(som, rec, encode_host(h, rec + REC_HDR, PAYLOAD_MAX), true);
}

int som_journal_mig(struct som *som, const struct som_mig *m, enum som_jrec kind,
		    bool sync)
{
	__u8 rec[REC_HDR + SOM_JREC_MAX];

	return append(som, rec, som_migj_encode(m, kind, rec + REC_HDR, SOM_JREC_MAX),
		      sync);
}

int som_journal_sync(struct som *som)
{
	if (fdatasync(som->journal_fd)) {
		pr_warn("journal %s: %s\n", som->cfg.journal, strerror(errno));
		return -errno;
	}
	return 0;
}

void som_journal_close(struct som *som)
{
	if (som->journal_fd >= 0)
		close(som->journal_fd);
	som->journal_fd = -1;
}
