/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Small files that must survive a crash: writes that are whole, and the
 * replacement of a file by a new version that is either the old or the
 * new one after a crash (write FILE.tmp, fsync, rename over FILE, fsync
 * the directory). Used by the SOM's journal and the agent's set of
 * finished migrations.
 */
#ifndef FERRY_DURABLE_H
#define FERRY_DURABLE_H

#include <stddef.h>

/* All of buf[0..len) to fd (retrying short writes and EINTR): 0 or -errno. */
int ferry_write_all(int fd, const void *buf, size_t len);
/* fsync the directory that holds path: 0 or -errno. */
int ferry_fsync_dir_of(const char *path);
/* Begin replacing path: the name path.tmp into tmp, and an fd open on it
 * (created 0600, truncated), or -errno. */
int ferry_replace_begin(const char *path, char *tmp, size_t tmplen);
/* Commit what was written to fd: fsync, close, rename tmp over path,
 * fsync the directory (best effort). 0 once renamed, or -errno (then tmp
 * is removed and path is unchanged). */
int ferry_replace_commit(int fd, const char *tmp, const char *path);

#endif
