/* SPDX-License-Identifier: MIT */
/* spool_record: the bytes of one spool record, apart from where it is kept.
 * A record is a 24-byte header (magic "CPSPOOL1", sample count, content
 * length, both little-endian u64) followed by one zstd frame with a content
 * checksum. Parsing works on a caller's buffer and trusts nothing in it:
 * every length is checked against fixed bounds before anything is allocated,
 * so it is safe on a file found on disk and is the fuzz target's entry
 * point. Pure: no I/O, no globals, never prints. */
#ifndef CPROF_EXPORT_SPOOL_RECORD_H
#define CPROF_EXPORT_SPOOL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_RECORD_HDR_LEN		24
/* Bounds far above any real delta (a pprof of one window is kilobytes to a
 * few MiB; the uploader sends at most 4 MiB per request). A file bigger than
 * MAX_FILE is never read: it is counted as corrupt and deleted. */
#define SPOOL_RECORD_MAX_FILE		(256ULL << 20)	/* header + zstd frame */
#define SPOOL_RECORD_MAX_CONTENT	(1ULL << 30)	/* decompressed */

struct spool_record_hdr {
	uint64_t samples;
	uint64_t content_len;
};

/* Writes the header of a record of content_len bytes into hdr. */
void spool_record__put_header(uint8_t hdr[SPOOL_RECORD_HDR_LEN], uint64_t samples,
			      uint64_t content_len);

/* Checks the header at the start of buf: len covers the header and at least
 * one byte of frame, the magic matches, content_len is within
 * SPOOL_RECORD_MAX_CONTENT. Fills *ret and returns 0, or -EBADMSG. Reads
 * only the first SPOOL_RECORD_HDR_LEN bytes of buf. */
int spool_record__parse_header(const void *buf, size_t len, struct spool_record_hdr *ret);

/* Parses a whole record (header + frame, len <= SPOOL_RECORD_MAX_FILE) and
 * decompresses its content, which must be exactly the header's content_len
 * bytes. On success *ret_buf is malloc'd (caller frees; never NULL, even for
 * empty content) and *ret_hdr filled. 0; -EBADMSG (bad header, too big,
 * not zstd, truncated, checksum or length mismatch); -ENOMEM. */
int spool_record__decode(const void *buf, size_t len, struct spool_record_hdr *ret_hdr,
			 uint8_t **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));

#endif /* CPROF_EXPORT_SPOOL_RECORD_H */
