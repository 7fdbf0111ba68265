/* SPDX-License-Identifier: MIT */
/* fs: directory and file helpers shared by the modules that write files (the
 * spool, the file:// exporter, output directories, copies of debug files).
 * Library code: returns -errno, never prints. */
#ifndef CPROF_BASE_FS_H
#define CPROF_BASE_FS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* mkdir -p: creates path and each missing parent with `mode` (before the
 * umask); existing directories are left as they are, modes included. 0, or
 * -errno of the first mkdir that failed (-ENAMETOOLONG, -ENOTDIR, -EACCES...). */
int fs__mkdir_p(const char *path, mode_t mode) __attribute__((warn_unused_result));

/* Calls fn(line, ctx) on each line of f (its newline kept, NUL-terminated,
 * valid until fn returns) until the end or the first fn result < 0. Returns
 * 0, that result, or -errno (-EIO) of a read error. */
int fs__each_line(FILE *f, int (*fn)(char *line, void *ctx), void *ctx)
	__attribute__((warn_unused_result));

/* A parser of a whole stream: returns its result, or NULL with errno set. */
typedef void *(*fs_parse_fn)(FILE *f, void *ctx);

/* Runs parse(f, ctx) on path opened read-only (close-on-exec), closes it,
 * and returns what parse returned with parse's errno kept. NULL and the
 * errno of fopen when path cannot be opened (ENOENT...). */
void *fs__parse_path(const char *path, fs_parse_fn parse, void *ctx);

/* The same over a read-only stream on the NUL-terminated text (its NUL not
 * part of the stream; "" is an empty stream). */
void *fs__parse_string(const char *text, fs_parse_fn parse, void *ctx);

/* Writes all len bytes of buf to fd: at offset off, or at (and moving) the
 * file position when off < 0. Retries short writes and EINTR. 0 or -errno
 * (-EIO for a write that made no progress). */
int fs__write_all(int fd, const void *buf, size_t len, off_t off)
	__attribute__((warn_unused_result));

/* Copies the bytes of in from its start to the end into out from its start
 * (copy_file_range, by hand where that cannot), never more than max: 0 and
 * the length in *ret_len, -EFBIG past max, or -errno. Neither file position
 * moves. */
int fs__copy(int in, int out, uint64_t max, uint64_t *ret_len)
	__attribute__((warn_unused_result));

#endif /* CPROF_BASE_FS_H */
