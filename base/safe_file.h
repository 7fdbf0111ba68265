/* SPDX-License-Identifier: MIT */
/* safe_file: the one way cprof opens a file someone else controls (perf maps,
 * mapped binaries, debug files). Opens without blocking (O_NONBLOCK: a FIFO
 * cannot stall the caller), without following a final symlink (unless told),
 * close-on-exec; then checks the opened fd, never the path: a regular file,
 * the expected owner, not writable by others, the expected identity, within
 * a size bound. Reads are bounded too. Refusals come back as distinct
 * -errno values that safe_file__reason() names, so callers can count them
 * by reason. libc only; never prints.
 */
#ifndef CPROF_BASE_SAFE_FILE_H
#define CPROF_BASE_SAFE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Why a file was refused, for counting; safe_file__refusal() maps a -errno. */
enum safe_file_refusal {
	SAFE_FILE_NOT_REFUSED,  /* opened, or absent (ENOENT): nothing to count */
	SAFE_FILE_SYMLINK,      /* -ELOOP: the final component is a symbolic link */
	SAFE_FILE_NOT_REGULAR,  /* -ENODEV: FIFO, device, socket, directory */
	SAFE_FILE_FOREIGN_OWNER,/* -EPERM: owned by neither the expected uid nor root */
	SAFE_FILE_WRITABLE,     /* -EACCES: writable by group/others as the rules forbid */
	SAFE_FILE_TOO_BIG,      /* -EFBIG: over the size bound */
	SAFE_FILE_OTHER_FILE,   /* -ESTALE: not the device/inode expected */
	SAFE_FILE_UNREADABLE,   /* any other error */
	SAFE_FILE_NR_REFUSALS
};

struct safe_file_rules {
	bool follow;            /* follow a final symlink (/proc/PID/map_files/ are magic links) */
	bool check_owner;       /* require st_uid == owner, or root (uid 0) */
	uid_t owner;
	mode_t refuse_mode;     /* refuse when any of these bits are set, e.g. S_IWOTH */
	bool check_identity;    /* require st_dev == dev (when dev != 0) and st_ino == ino */
	dev_t dev;
	ino_t ino;
	size_t max_size;        /* refuse a larger file (st_size); 0 = no bound at open */
};

/* Open path read-only under rules (NULL = a regular file, nothing more).
 * Returns an fd (O_CLOEXEC, blocking mode, owned by the caller) and, when
 * ret_st is not NULL, its fstat; or -errno: -ENOENT when absent, the
 * refusals above, -EBUSY when a lease holder would make the open wait, or
 * open's own error. Only a regular file is ever opened for reading (the
 * checks run on an O_PATH fd first): never blocks on a FIFO, never opens a
 * device. */
int safe_file__open(const char *path, const struct safe_file_rules *rules, struct stat *ret_st)
	__attribute__((warn_unused_result));

/* Check an fd the caller opened (O_PATH or O_NONBLOCK) against rules: 0, or
 * a refusal as above; *ret_st (when not NULL) gets its fstat either way
 * unless fstat itself failed. */
int safe_file__check(int fd, const struct safe_file_rules *rules, struct stat *ret_st)
	__attribute__((warn_unused_result));

/* Read the whole of fd from its current offset, at most max bytes: 0 with
 * *ret_buf (malloc'd, NUL-terminated, owned by the caller) and *ret_len, or
 * -EFBIG when there is more than max, -ENOMEM, -errno. */
int safe_file__read_all(int fd, size_t max, char **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Which refusal a -errno from safe_file__open()/__check() is. */
enum safe_file_refusal safe_file__refusal(int err);
/* Short reason, "not a regular file"; static string. */
const char *safe_file__refusal_name(enum safe_file_refusal r);
/* The same as a metric label value, "not_regular"; static string. */
const char *safe_file__refusal_key(enum safe_file_refusal r);

/* counts[r] files refused for reason r, as "1 not a regular file, 2 foreign
 * owner" into buf (truncated to len); "none" when all are 0. Returns the
 * total. */
unsigned long long safe_file__format_refusals(const uint64_t counts[SAFE_FILE_NR_REFUSALS],
					      char *buf, size_t len);

#endif
