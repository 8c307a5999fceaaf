// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The set of finished migrations on disk; see migdonefile.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "durable.h"
#include "migdonefile.h"
#include "numparse.h"

#define FILE_MAX	(16u << 20)
#define LINE_MAX_LEN	64	/* 32 hex, a space, 20 digits */

struct ferry_mig_done_file {
	char path[PATH_MAX];
	int fd;
	__u32 lines;		/* entries in the file */
};

static int bad(char *err, size_t errlen, const char *name, __u32 line,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int bad(char *err, size_t errlen, const char *name, __u32 line,
	       const char *fmt, ...)
{
	int n = snprintf(err, errlen, "%s:%u: ", name, line);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "ID EXPIRES" of line l (NUL-terminated, no newline). */
static int parse_entry(char *l, const char *name, __u32 line,
		       __u8 id[FERRY_MIG_ID_LEN], __u64 *expires, char *err,
		       size_t errlen)
{
	char *sp = strchr(l, ' ');
	int i, hi, lo;

	if (!sp || sp - l != 2 * FERRY_MIG_ID_LEN)
		return bad(err, errlen, name, line, "'%.*s' is not a migration id (32 "
			   "lowercase hex digits) followed by one space", 40, l);
	for (i = 0; i < FERRY_MIG_ID_LEN; i++) {
		hi = hex_digit(l[2 * i]);
		lo = hex_digit(l[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return bad(err, errlen, name, line, "'%.32s' is not a migration "
				   "id (32 lowercase hex digits)", l);
		id[i] = (__u8)(hi << 4 | lo);
	}
	if (ferry_parse_u64(sp + 1, ~0ull, expires))
		return bad(err, errlen, name, line, "'%s' is not an expiry (decimal "
			   "seconds since the epoch)", sp + 1);
	return 0;
}

int ferry_mig_done_parse(const char *text, size_t len, const char *name,
			 struct ferry_mig_done *done, __u64 now_s, int *torn,
			 char *err, size_t errlen)
{
	char l[LINE_MAX_LEN + 2];
	__u8 id[FERRY_MIG_ID_LEN];
	const char *p = text, *nl;
	__u32 line = 0;
	__u64 expires;
	size_t n;
	int ret;

	*torn = 0;
	while (p < text + len) {
		line++;
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (!nl) {	/* cut short by a crash while appending */
			*torn = 1;
			return line == 1 ? bad(err, errlen, name, 1, "no header line "
					       "'%s'", FERRY_MIG_DONE_FILE_HEADER) : 0;
		}
		n = (size_t)(nl - p);
		if (n > LINE_MAX_LEN || memchr(p, '\0', n))
			return bad(err, errlen, name, line, "not a line of this file "
				   "(too long, or a NUL byte)");
		memcpy(l, p, n);
		l[n] = '\0';
		p = nl + 1;
		if (line == 1) {
			if (strcmp(l, FERRY_MIG_DONE_FILE_HEADER))
				return bad(err, errlen, name, 1, "'%s' is not the header "
					   "'%s'", l, FERRY_MIG_DONE_FILE_HEADER);
			continue;
		}
		ret = parse_entry(l, name, line, id, &expires, err, errlen);
		if (ret)
			return ret;
		if (expires > now_s)
			ferry_mig_done_add(done, id, expires, now_s);
	}
	if (!line)
		return bad(err, errlen, name, 1, "empty file, no header line '%s'",
			   FERRY_MIG_DONE_FILE_HEADER);
	return 0;
}

static int entry_line(const __u8 *id, __u64 expires, char *out, size_t len)
{
	char hex[2 * FERRY_MIG_ID_LEN + 1];

	ferry_mig_id_hex(id, hex);
	return snprintf(out, len, "%s %llu\n", hex, (unsigned long long)expires);
}

/* Rewrite the file with the unexpired ids of done; reopen it for appends. */
static int rewrite(struct ferry_mig_done_file *f, const struct ferry_mig_done *done,
		   __u64 now_s)
{
	char tmp[PATH_MAX + 8], l[LINE_MAX_LEN + 2];
	__u8 id[FERRY_MIG_ID_LEN];
	__u32 i, n = 0;
	__u64 expires;
	int fd, ret;

	fd = ferry_replace_begin(f->path, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	ret = ferry_write_all(fd, FERRY_MIG_DONE_FILE_HEADER "\n",
			      sizeof(FERRY_MIG_DONE_FILE_HEADER));
	for (i = 0; i < ferry_mig_done_count(done) && !ret; i++) {
		ferry_mig_done_get(done, i, id, &expires);
		if (expires <= now_s)
			continue;
		ret = ferry_write_all(fd, l, (size_t)entry_line(id, expires, l,
								sizeof(l)));
		n++;
	}
	if (ret) {
		close(fd);
		unlink(tmp);
		return ret;
	}
	ret = ferry_replace_commit(fd, tmp, f->path);
	if (ret)
		return ret;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = open(f->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	f->lines = n;
	return 0;
}

/* The file's text (NULL and *len 0 if there is none): malloc'ed. */
static int slurp(const char *path, char **text, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) || st.st_size > FILE_MAX) {
		close(fd);
		return st.st_size > FILE_MAX ? -EFBIG : -errno;
	}
	*text = malloc((size_t)st.st_size + 1);
	n = *text ? read(fd, *text, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(*text);
		*text = NULL;
		return -EIO;
	}
	*len = (size_t)n;
	return 0;
}

struct ferry_mig_done_file *ferry_mig_done_file_open(const char *path,
						     struct ferry_mig_done *done,
						     __u64 now_s, char *err,
						     size_t errlen)
{
	struct ferry_mig_done_file *f = calloc(1, sizeof(*f));
	int ret, torn = 0;
	size_t len;
	char *text;

	if (!f) {
		snprintf(err, errlen, "%s: out of memory", path);
		return errno = ENOMEM, NULL;
	}
	f->fd = -1;
	snprintf(f->path, sizeof(f->path), "%s", path);
	ret = slurp(path, &text, &len);
	if (ret) {
		snprintf(err, errlen, "%s: cannot read it: %s", path, strerror(-ret));
		goto fail;
	}
	ret = text ? ferry_mig_done_parse(text, len, path, done, now_s, &torn,
					  err, errlen) : 0;
	free(text);
	if (ret)
		goto fail;
	if (torn)	/* not an error: an append cut short; the rewrite drops it */
		snprintf(err, errlen, "%s: the last line was cut short (a crash while "
			 "appending): dropped", path);
	else
		err[0] = '\0';
	ret = rewrite(f, done, now_s);
	if (ret) {
		snprintf(err, errlen, "%s: cannot rewrite it: %s", path, strerror(-ret));
		goto fail;
	}
	return f;
fail:
	ferry_mig_done_file_close(f);
	errno = -ret;
	return NULL;
}

int ferry_mig_done_file_note(struct ferry_mig_done_file *f,
			     const struct ferry_mig_done *done,
			     const __u8 id[FERRY_MIG_ID_LEN], __u64 expires_s,
			     __u64 now_s, char *err, size_t errlen)
{
	char l[LINE_MAX_LEN + 2];
	int ret;

	err[0] = '\0';
	ret = ferry_write_all(f->fd, l, (size_t)entry_line(id, expires_s, l,
							    sizeof(l)));
	if (!ret && fdatasync(f->fd))
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "%s: cannot append: %s", f->path, strerror(-ret));
		return ret;
	}
	if (++f->lines > 2 * ferry_mig_done_count(done) + 64) {
		ret = rewrite(f, done, now_s);
		if (ret)	/* the line is synced: only the compaction failed */
			snprintf(err, errlen, "%s: cannot compact it: %s", f->path,
				 strerror(-ret));
	}
	return 0;
}

void ferry_mig_done_file_close(struct ferry_mig_done_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}
