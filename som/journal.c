// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The registry's journal: an append-only file of host profiles.
 *
 *	"FERRYJ1\n"                          8-byte header
 *	record: length (4, BE) | crc32 (4, BE) | payload
 *	payload: identity key (32) | registered_ms (8, BE) | REGISTER message
 *
 * A profile is appended and fdatasync'ed before REGISTERED is sent, so an
 * acknowledged registration survives a crash; a record is written with one
 * write() after the file's end, so a crash leaves at worst a torn last
 * record, which the CRC or the length finds at replay and which is
 * dropped (the agent re-registers anyway). At start the file is replayed
 * (the last record of a host wins), then compacted: one record per host
 * written to FILE.tmp, fsync'ed, renamed over FILE, directory fsync'ed.
 * It is compacted again when it holds more than twice the hosts + 64
 * records. docs/operations.md says why not SQLite.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "log.h"
#include "som.h"

#define MAGIC		"FERRYJ1\n"
#define MAGIC_LEN	8
#define REC_HDR		8
#define PAYLOAD_MAX	(32 + 8 + FERRY_SOMPROTO_MSG_MAX)
#define JOURNAL_MAX	(64u << 20)

static void put_be(__u8 *p, __u64 v, int n)
{
	while (n--) {
		p[n] = (__u8)v;
		v >>= 8;
	}
}

static __u64 get_be(const __u8 *p, int n)
{
	__u64 v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* One record of h into buf; its length or -ENOSPC. */
static int encode(const struct som_host *h, __u8 *buf, size_t size)
{
	int len;

	if (size < REC_HDR + 40)
		return -ENOSPC;
	memcpy(buf + REC_HDR, h->pk, 32);
	put_be(buf + REC_HDR + 32, h->registered_ms, 8);
	len = ferry_register_encode(&h->p, buf + REC_HDR + 40,
				    size - REC_HDR - 40);
	if (len < 0)
		return len;
	len += 40;
	put_be(buf, (__u64)len, 4);
	put_be(buf + 4, crc32(0, buf + REC_HDR, (uInt)len), 4);
	return len + REC_HDR;
}

static int write_all(int fd, const __u8 *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Replay text[0..len); returns the number of records taken. */
static int replay(struct som *som, const __u8 *text, size_t len)
{
	struct ferry_host_profile p;
	char err[FERRY_SOMPROTO_ERR_MAX];
	size_t off = MAGIC_LEN;
	__u32 plen, n = 0;

	while (off < len) {
		if (len - off < REC_HDR)
			goto torn;
		plen = (__u32)get_be(text + off, 4);
		if (plen < 40 || plen > PAYLOAD_MAX || len - off - REC_HDR < plen)
			goto torn;
		if (get_be(text + off + 4, 4) != crc32(0, text + off + REC_HDR, plen))
			goto torn;
		if (ferry_register_decode(text + off + REC_HDR + 40, plen - 40, &p,
					  err, sizeof(err))) {
			pr_warn("journal %s: record at %zu: %s; skipped\n",
				som->cfg.journal, off, err);
		} else if (som_host_put(som, &p, text + off + REC_HDR,
					get_be(text + off + REC_HDR + 32, 8)) < 0) {
			return -ENOMEM;
		}
		off += REC_HDR + plen;
		n++;
	}
	return (int)n;
torn:
	pr_warn("journal %s: torn or corrupt record at offset %zu (of %zu): "
		"the rest is dropped\n", som->cfg.journal, off, len);
	return (int)n;
}

static int fsync_dir(const char *path)
{
	char copy[SOM_PATH_MAX];
	int fd, ret = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* Rewrite the journal with one record per host; reopen it for appends. */
static int compact(struct som *som)
{
	char tmp[SOM_PATH_MAX + 8];
	__u8 rec[REC_HDR + PAYLOAD_MAX];
	int fd, len, err;
	__u32 i;

	snprintf(tmp, sizeof(tmp), "%s.tmp", som->cfg.journal);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	err = write_all(fd, (const __u8 *)MAGIC, MAGIC_LEN);
	for (i = 0; i < som->nhosts && !err; i++) {
		len = encode(&som->hosts[i], rec, sizeof(rec));
		err = len < 0 ? len : write_all(fd, rec, (size_t)len);
	}
	if (err || fsync(fd) || close(fd) || rename(tmp, som->cfg.journal))
		goto fail;
	fsync_dir(som->cfg.journal);
	if (som->journal_fd >= 0)
		close(som->journal_fd);
	som->journal_fd = open(som->cfg.journal, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (som->journal_fd < 0)
		goto fail;
	som->journal_records = som->nhosts;
	return 0;
fail:
	pr_warn("journal %s: compaction failed: %s\n", som->cfg.journal,
		strerror(errno));
	unlink(tmp);
	return -EIO;
}

int som_journal_open(struct som *som)
{
	struct stat st;
	__u8 *text;
	ssize_t n;
	int fd, ret;

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
	if (n && (n < MAGIC_LEN || memcmp(text, MAGIC, MAGIC_LEN))) {
		free(text);
		pr_warn("journal %s: not a ferry-som journal (no FERRYJ1 header)\n",
			som->cfg.journal);
		return -EINVAL;
	}
	ret = n ? replay(som, text, (size_t)n) : 0;
	free(text);
	if (ret < 0)
		return ret;
	pr_info("journal %s: %d record(s), %u host(s)\n", som->cfg.journal, ret,
		som->nhosts);
	return compact(som);
}

int som_journal_append(struct som *som, const struct som_host *h)
{
	__u8 rec[REC_HDR + PAYLOAD_MAX];
	int len = encode(h, rec, sizeof(rec)), err;

	if (len < 0)
		return len;
	err = write_all(som->journal_fd, rec, (size_t)len);
	if (!err && fdatasync(som->journal_fd))
		err = -errno;
	if (err) {
		pr_warn("journal %s: %s\n", som->cfg.journal, strerror(-err));
		return err;
	}
	if (++som->journal_records > 2 * som->nhosts + 64)
		compact(som);
	return 0;
}

void som_journal_close(struct som *som)
{
	if (som->journal_fd >= 0)
		close(som->journal_fd);
	som->journal_fd = -1;
}
