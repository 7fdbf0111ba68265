/* SPDX-License-Identifier: MIT */
/* atomic_file: output files appear whole or not at all. Data goes to a
 * temporary file beside the destination (same directory, so rename(2) is
 * atomic), which commit renames over the path and abort unlinks. "-" means
 * stdout, written directly. A temporary is flock'ed by its writer for its
 * whole life, so one left by a killed run (SIGKILL, a crash, power loss) is
 * told from one being written, and is swept: by the next open of the same
 * path, or by atomic_file__sweep() over a directory.
 * Library code: returns -errno, never prints. */
#ifndef CPROF_BASE_ATOMIC_FILE_H
#define CPROF_BASE_ATOMIC_FILE_H

#include <stdio.h>

/* Embedded by the caller. path and tmp_path are owned (malloc'd) by the
 * struct; tmp_path is NULL for stdout. f is the stream to write to, valid
 * until commit or abort. All three are NULL after commit or abort. */
struct atomic_file {
	char *path;
	char *tmp_path;
	FILE *f;
};

/* Creates the temporary file ".BASENAME.XXXXXX.tmp" beside path (O_EXCL, mode
 * 0644 before umask) and locks it, so an unwritable destination fails now,
 * before any work; first sweeps the stale temporaries of the same path
 * (atomic_file__sweep(dir, BASENAME)). "-" selects stdout and creates nothing.
 * Returns 0, or -errno (-EINVAL for an empty path or a path ending in '/',
 * -EISDIR for an existing directory)
 * leaving *af untouched. */
int atomic_file__open(struct atomic_file *af, const char *path)
	__attribute__((warn_unused_result));

/* Flushes and fsyncs the data, renames the temporary file over path and
 * fsyncs the directory; for stdout, flushes only. Always releases af: on
 * failure the temporary file is unlinked and the destination left as it was.
 * Returns 0 or -errno (-EIO if an earlier write to f failed). */
int atomic_file__commit(struct atomic_file *af) __attribute__((warn_unused_result));

/* Closes and unlinks the temporary file and releases af. A no-op after
 * commit or abort, and for NULL. Never touches the destination. */
void atomic_file__abort(struct atomic_file *af);

/* Deletes the stale temporaries in dir: entries named ".BASE.XXXXXX.tmp"
 * (BASE = base, or any name when base is NULL; XXXXXX = 6 letters or
 * digits) that are regular files owned by the effective uid, not locked by
 * a live writer, and unchanged for ATOMIC_FILE_STALE_S seconds. Anything
 * else is left alone: links, other users' files, other names. Returns the
 * number deleted, or -errno when dir cannot be read. */
#define ATOMIC_FILE_STALE_S	5
int atomic_file__sweep(const char *dir, const char *base);

#endif /* CPROF_BASE_ATOMIC_FILE_H */
