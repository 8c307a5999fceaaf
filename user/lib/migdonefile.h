/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The destination's set of finished migrations (migdest.h) on disk, so
 * that a replayed order answers "already done" after the agent restarts
 * too. A text file, docs/operations.md "Finished migrations":
 *
 *	ferry-migrations-done 1
 *	<migration id: 32 lowercase hex digits> <expires_s: decimal>
 *	...
 *
 * Opening reads it strictly (any other line is an error naming the file
 * and the line; only a last line cut short by a crash, without its
 * newline, is dropped), keeps the ids not yet expired, and rewrites the
 * file with only those (FILE.tmp, fsync, rename). Each finished migration
 * is then appended as one line and fdatasync'ed before the agent confirms
 * DONE; when the file holds more than twice the set + 64 lines it is
 * rewritten again.
 */
#ifndef FERRY_MIGDONEFILE_H
#define FERRY_MIGDONEFILE_H

#include <stddef.h>
#include <linux/types.h>
#include "migdest.h"

#define FERRY_MIG_DONE_FILE_HEADER	"ferry-migrations-done 1"
#define FERRY_MIG_DONE_FILE_ERR_MAX	(4096 + 160)

struct ferry_mig_done_file;

/*
 * Parse text[0..len) (name: for messages) into done, skipping ids expired
 * at now_s. 0 (*torn set if a last line without newline was dropped), or
 * -EINVAL with "NAME:LINE: what is wrong" in err.
 */
int ferry_mig_done_parse(const char *text, size_t len, const char *name,
			 struct ferry_mig_done *done, __u64 now_s, int *torn,
			 char *err, size_t errlen);

/*
 * Load path into done (a missing file is an empty set), rewrite it with the
 * unexpired ids, and keep it open for appends. NULL with errno set and a
 * message in err; else err is "" or a warning (a torn last line dropped).
 */
struct ferry_mig_done_file *ferry_mig_done_file_open(const char *path,
						     struct ferry_mig_done *done,
						     __u64 now_s, char *err,
						     size_t errlen);
/*
 * Append (id, expires_s), already in done, and sync it: 0 (err then holds
 * a warning if the compaction that followed failed, else "") or -errno.
 */
int ferry_mig_done_file_note(struct ferry_mig_done_file *f,
			     const struct ferry_mig_done *done,
			     const __u8 id[FERRY_MIG_ID_LEN], __u64 expires_s,
			     __u64 now_s, char *err, size_t errlen);
void ferry_mig_done_file_close(struct ferry_mig_done_file *f);

#endif
