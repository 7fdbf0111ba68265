/* SPDX-License-Identifier: MIT */
/* compress: every zlib and zstd call of the tree, whole-buffer: gzip for
 * pprof files and the exporters, a bounded gunzip for the pprof reader,
 * zstd and a bounded unzstd for the spool, and zlib's CRC-32.
 * gzip is gzip framing (1f 8b, what pprof readers and Pyroscope/Parca
 * accept), never a zlib wrapper; zstd frames carry a content checksum, so a
 * torn or corrupted spool file fails to decompress instead of decoding
 * garbage. Library code: returns -errno, never prints. */
#ifndef CPROF_BASE_COMPRESS_H
#define CPROF_BASE_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* gzip at best speed. On success *ret_buf is malloc'd (caller frees).
 * Returns 0, -EFBIG (input over 4 GiB), -ENOMEM or -EIO. */
int compress__gzip(const void *buf, size_t len, uint8_t **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));

/* zstd at `level` (1..19; 0 = zstd's default), with a content checksum and the
 * content size in the frame header. *ret_buf is malloc'd. 0, -ENOMEM, -EIO. */
int compress__zstd(const void *buf, size_t len, int level, uint8_t **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Decompresses one zstd frame of at most max_len bytes of content. *ret_buf
 * is malloc'd. 0, -EBADMSG (not zstd, truncated, checksum mismatch), -EFBIG
 * (content over max_len), -ENOMEM. */
int compress__unzstd(const void *buf, size_t len, size_t max_len, uint8_t **ret_buf,
		     size_t *ret_len) __attribute__((warn_unused_result));

/* Decompresses gzip data (gzip framing only, never a zlib wrapper; several
 * concatenated members are one stream, as gzip(1) reads them) into at most
 * max bytes, never allocating past max. *ret_out is malloc'd (caller frees).
 * 0, -EBADMSG (not gzip, corrupt, truncated, garbage after a member),
 * -EFBIG (more than max bytes, or input over 4 GiB), -ENOMEM. */
int compress__gunzip(const void *buf, size_t len, size_t max, uint8_t **ret_out,
		     size_t *ret_len) __attribute__((warn_unused_result));

/* zlib's CRC-32 (the gzip and .gnu_debuglink checksum) of len bytes at buf,
 * continuing crc (0 to start). */
uint32_t compress__crc32(uint32_t crc, const void *buf, size_t len);

#endif /* CPROF_BASE_COMPRESS_H */
