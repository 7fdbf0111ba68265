/* SPDX-License-Identifier: MIT */
/* profile_read: the one input reader of profiles. Reads a file ("-" = stdin)
 * with a bound, and tells its kind from the content, never the name: gzip
 * (1f 8b) is gunzipped (bounded), then folded text ("frame;frame COUNT") is
 * parsed through folded_read, anything else decoded and validated as pprof.
 * Used by `cprof flamegraph` (its input and --diff base) and the tests.
 * Library code: returns -errno with a reason for people in why, never prints;
 * depends on base/, export/pprof, export/folded_read and proto/. */
#ifndef CPROF_EXPORT_PROFILE_READ_H
#define CPROF_EXPORT_PROFILE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/folded_read.h"
#include "export/pb_profile.h"
#include "proto/profile.pb-c.h"

/* A loaded profile: exactly one of decoded (pprof) or built (folded) is set;
 * p is the profile either way, valid until profile_read__release(). */
struct profile_read {
	Perftools__Profiles__Profile *decoded;
	struct pb_profile *built;
	const Perftools__Profiles__Profile *p;
	bool gzip;				/* the input was gzip */
	bool folded;				/* the input was folded text */
	struct folded_read_stats folded_stats;	/* folded: what the parser skipped or cut */
};

/* Reads path ("-" = stdin, shown as "stdin" in why) into *r: at most max
 * bytes read, and at most max once gunzipped (0: PPROF_MAX_DECODED_SIZE).
 * Returns 0, or -errno with a sentence naming the input in why[why_len]:
 * the -errno of open/read, -EFBIG (over max, read or gunzipped), -ENODATA
 * (empty input, or folded text without a valid line), -EBADMSG (bad gzip, or
 * neither pprof nor folded), -E2BIG (a pprof sample with more than
 * PPROF_MAX_SAMPLE_LOCATIONS locations, or more than FOLDED_READ_MAX_LOCATIONS
 * distinct folded frames), -EOVERFLOW (folded counts), -ENOMEM. *r is
 * zeroed on failure. */
int profile_read__file(struct profile_read *r, const char *path, size_t max, char *why,
		       size_t why_len) __attribute__((warn_unused_result));

/* Like profile_read__file() on buf[0..len) (borrowed for the call); name
 * stands for the input in why. */
int profile_read__buf(struct profile_read *r, const uint8_t *buf, size_t len, size_t max,
		      const char *name, char *why, size_t why_len)
	__attribute__((warn_unused_result));

/* Frees what *r holds and zeroes it; a zeroed *r is a no-op. */
void profile_read__release(struct profile_read *r);

/* Reads path ("-" = stdin) as a pprof profile only (gzip or raw), bounded by
 * PPROF_MAX_DECODED_SIZE; *ret is the caller's (pprof__free). Returns 0, the
 * -errno of open/read, or pprof__decode()'s errors. */
int profile_read__pprof_file(const char *path, Perftools__Profiles__Profile **ret)
	__attribute__((warn_unused_result));

#endif /* CPROF_EXPORT_PROFILE_READ_H */
