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
 * Thread-safe (one mutex). Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_SPOOL_H
#define CPROF_EXPORT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spool_opts {
	const char *dir;	/* NULL: in memory; created (mode 0700) if missing; copied */
	uint64_t max_bytes;	/* bound on stored (compressed) bytes; 0 = 256 MiB */
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
	uint64_t write_errors;			/* appends that failed on I/O */
	uint64_t max_bytes;
};

struct spool;

/* Opens (or creates) the spool. NULL and errno: EBUSY when another process
 * holds DIR's lock, ENOTDIR, EACCES, ENOMEM... */
struct spool *spool__open(const struct spool_opts *opts);
/* Closes the spool; records stay on disk (and are lost in memory mode). NULL: no-op. */
void spool__free(struct spool *sp);

/* Compresses and stores len bytes, after dropping the oldest unpinned records
 * that would push the total over max_bytes. Returns 0 and, when ret_seq is
 * not NULL, the record's sequence number; -EFBIG when the record alone is
 * bigger than max_bytes (dropped and counted); -ENOMEM; -errno of a failed
 * write (nothing stored). */
int spool__append(struct spool *sp, const void *buf, size_t len, uint64_t samples,
		  uint64_t *ret_seq);

/* Pins the oldest record with seq > after_seq and describes it: a pinned
 * record is never dropped by the size bound. 0, or -ENOENT when there is none. */
int spool__pin_next(struct spool *sp, uint64_t after_seq, struct spool_info *ret);
/* Unpins (after a failed upload: the record may be dropped again). Unknown seq: no-op. */
void spool__unpin(struct spool *sp, uint64_t seq);

/* Reads and decompresses record seq into a malloc'd buffer (caller frees).
 * 0; -ENOENT (no such record); -EBADMSG when the record is corrupt: it is then
 * deleted and counted in corrupt / corrupt_samples; -ENOMEM. */
int spool__read(struct spool *sp, uint64_t seq, uint8_t **ret_buf, size_t *ret_len);

/* Deletes record seq (delivered, or rejected for good). 0 or -ENOENT. */
int spool__remove(struct spool *sp, uint64_t seq);

void spool__stats(struct spool *sp, struct spool_stats *ret);

#endif /* CPROF_EXPORT_SPOOL_H */
