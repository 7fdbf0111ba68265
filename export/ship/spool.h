/* SPDX-License-Identifier: MIT */
/* spool: an ordered, bounded, crash-safe queue of opaque records (encoded
 * deltas) between the agent and the uploader. Each record is one file
 * DIR/<seq as 16 hex digits>.spool: a 24-byte header (magic, sample count,
 * content length) and one zstd frame with a checksum. Files are written to a
 * temporary name, fsync'd and renamed, so a crash leaves whole records or
 * none; records are deleted only when the caller says they were delivered
 * (spool__remove). Over max_bytes the oldest records not being uploaded are
 * dropped first, and counted. Without a directory the same queue lives in
 * memory. The spool survives restarts: spool__open() picks up what a previous
 * run left, in order. An advisory lock keeps two agents off one directory.
 * The directory must be private to cprof's user (owned by the effective uid,
 * not writable by group or others), and no name in it is followed as a link.
 * When a record cannot be written to the directory (disk full, quota, I/O
 * error, read-only), it is held in memory instead, in the same queue and
 * order, within mem_max_bytes; spool__persist() writes such records out.
 * Thread-safe (one mutex). Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_SPOOL_H
#define CPROF_EXPORT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/ship/spool_record.h"

/* Sequence numbers run from 1; a record named with 0 or above this (a name
 * written by hand, or by a bug) is renumbered at open, never trusted to
 * order the queue or to derive the next number. */
#define SPOOL_SEQ_MAX	((1ULL << 48) - 1)

struct spool_opts {
	const char *dir;	/* NULL: in memory; created (mode 0700) if missing; copied */
	uint64_t max_bytes;	/* bound on stored (compressed) bytes; 0 = 256 MiB */
	uint64_t mem_max_bytes;	/* bound on records held in memory because the
				 * directory could not be written; 0 = 32 MiB (or
				 * max_bytes if smaller) */
	int zstd_level;		/* 0 = 3 */
};

struct spool_info {
	uint64_t seq;		/* increasing; survives restarts */
	uint64_t samples;	/* as given to spool__append() */
	uint64_t bytes;		/* stored size */
};

struct spool_stats {
	uint64_t files, bytes, samples;		/* held now */
	uint64_t appended, removed;		/* cumulative, this process */
	uint64_t dropped, dropped_samples;	/* evicted over max_bytes (or bigger than it) */
	uint64_t corrupt, corrupt_samples;	/* unreadable records found and deleted */
	uint64_t recovered, recovered_samples;	/* records found by spool__open() */
	uint64_t stale_tmp;			/* temporaries of a killed run, deleted at open */
	uint64_t write_errors;			/* records the directory could not take */
	int last_write_error;			/* errno of the latest of those, or 0 */
	uint64_t spooled;			/* records written to the directory (or, without
						 * one, kept in memory) */
	uint64_t held;				/* records held in memory because the directory
						 * could not take them */
	uint64_t mem_files, mem_bytes, mem_samples;	/* of those, held now */
	uint64_t mem_dropped, mem_dropped_samples;	/* dropped: memory queue full */
	uint64_t renumbered;			/* records found with a sequence number out of
						 * range (0, or near the wrap) and renamed to
						 * the end of the queue */
	uint64_t max_bytes, mem_max_bytes;
};

struct spool;

/* Opens (or creates) the spool. NULL and errno: EBUSY when another process
 * holds DIR's lock; EPERM when DIR is not owned by the effective uid or is
 * writable by group or others (spool__check_dir() says which)
	__attribute__((warn_unused_result)); ELOOP when
 * DIR/.lock is a symbolic link; ENOTDIR, EACCES, ENOMEM... Temporaries
 * left by a crash are deleted; records too big to be real
 * (SPOOL_RECORD_MAX_FILE) or unreadable are deleted and counted as corrupt. */
struct spool *spool__open(const struct spool_opts *opts);

/* Whether dir may hold a spool: 0 when it is owned by the effective uid and
 * not writable by group or others, or does not exist yet; -EPERM with the
 * reason in why ("owned by uid 65534, not uid 0" or "writable by group or
 * others (mode 0777)"); -errno when it cannot be examined. */
int spool__check_dir(const char *dir, char *why, size_t why_len);

/* Writes the records held in memory to the directory, oldest first, until
 * one fails. Returns the number still held in memory (lost at
 * spool__free()); 0 in memory mode. */
uint64_t spool__persist(struct spool *sp);
/* Closes the spool; records stay on disk (and are lost in memory mode). NULL: no-op. */
void spool__free(struct spool *sp);

/* Compresses and stores len bytes, after dropping the oldest unpinned records
 * that would push the total over max_bytes. When the directory cannot take
 * the record, it is counted in write_errors and held in memory (0 is still
 * returned), after dropping the oldest unpinned records held in memory over
 * mem_max_bytes. Returns 0 and, when ret_seq is not NULL, the record's
 * sequence number; -EFBIG when the record alone is bigger than max_bytes
 * (dropped and counted); -ENOBUFS when it could be neither written nor held
 * in memory (dropped and counted in mem_dropped); -ENOMEM. */
int spool__append(struct spool *sp, const void *buf, size_t len, uint64_t samples,
		  uint64_t *ret_seq)
	__attribute__((warn_unused_result));

/* Pins the oldest record with seq > after_seq and describes it: a pinned
 * record is never dropped by the size bound. 0, or -ENOENT when there is none. */
int spool__pin_next(struct spool *sp, uint64_t after_seq, struct spool_info *ret)
	__attribute__((warn_unused_result));
/* Unpins (after a failed upload: the record may be dropped again). Unknown seq: no-op. */
void spool__unpin(struct spool *sp, uint64_t seq);

/* Reads and decompresses record seq into a malloc'd buffer (caller frees).
 * 0; -ENOENT (no such record); -EBADMSG when the record is corrupt: it is then
 * deleted and counted in corrupt / corrupt_samples; -ENOMEM. */
int spool__read(struct spool *sp, uint64_t seq, uint8_t **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Deletes record seq (delivered, or rejected for good). 0 or -ENOENT. */
int spool__remove(struct spool *sp, uint64_t seq);

void spool__stats(struct spool *sp, struct spool_stats *ret);

#endif /* CPROF_EXPORT_SPOOL_H */
