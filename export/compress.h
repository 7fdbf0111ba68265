/* SPDX-License-Identifier: MIT */
/* compress: whole-buffer gzip and zstd for the exporters and the spool.
 * gzip is gzip framing (1f 8b, what pprof readers and Pyroscope/Parca
 * accept), never a zlib wrapper; zstd frames carry a content checksum, so a
 * torn or corrupted spool file fails to decompress instead of decoding
 * garbage. Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_COMPRESS_H
#define CPROF_EXPORT_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* gzip at best speed. On success *ret_buf is malloc'd (caller frees).
 * Returns 0, -EFBIG (input over 4 GiB), -ENOMEM or -EIO. */
int compress__gzip(const void *buf, size_t len, uint8_t **ret_buf, size_t *ret_len);

/* zstd at `level` (1..19; 0 = zstd's default), with a content checksum and the
 * content size in the frame header. *ret_buf is malloc'd. 0, -ENOMEM, -EIO. */
int compress__zstd(const void *buf, size_t len, int level, uint8_t **ret_buf, size_t *ret_len);

/* Decompresses one zstd frame of at most max_len bytes of content. *ret_buf
 * is malloc'd. 0, -EBADMSG (not zstd, truncated, checksum mismatch), -EFBIG
 * (content over max_len), -ENOMEM. */
int compress__unzstd(const void *buf, size_t len, size_t max_len, uint8_t **ret_buf,
		     size_t *ret_len);

#endif /* CPROF_EXPORT_COMPRESS_H */
