/* SPDX-License-Identifier: MIT */
/* folded_read: parses folded stacks ("root;...;leaf COUNT" per line, the input
 * of flamegraph.pl) into a pprof profile through the pb_profile builder, so
 * every reader of profiles (flame graphs, diffs) takes folded input too.
 * Library code: returns -errno, never prints; depends only on export/pb_profile. */
#ifndef CPROF_EXPORT_FOLDED_READ_H
#define CPROF_EXPORT_FOLDED_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/pb_profile.h"

struct folded_read_stats {
	size_t lines;		/* non-empty, non-comment lines */
	size_t samples;		/* lines added as samples (count > 0) */
	size_t bad_lines;	/* skipped: no count, a bad count, or no frames */
	size_t first_bad_line;	/* 1-based line number of the first, 0 if none */
	size_t truncated_lines;	/* lines cut at FOLDED_READ_MAX_FRAMES */
	size_t deepest;		/* frames in the deepest line */
};

/* Frames kept per line (the flame graph's FLAMEGRAPH_MAX_DEPTH). A deeper line
 * keeps its FOLDED_READ_MAX_FRAMES - 1 root-most frames and ends in a frame
 * named "[truncated N frames]", N the frames it stands for; the rest of the
 * line is only counted, so memory stays bounded per line. */
#define FOLDED_READ_MAX_FRAMES 4096
/* Distinct frames (locations) in one input, about 400 bytes each once built:
 * -E2BIG beyond. */
#define FOLDED_READ_MAX_LOCATIONS (1024UL * 1024)

/* True if buf starts like folded text: no NUL or other control bytes besides
 * tab, CR and LF in the first 4 KiB, and the first non-empty line ends in
 * whitespace and a decimal count. */
bool folded_read__looks_like(const uint8_t *buf, size_t len);

/* Parses buf (len bytes, need not be NUL-terminated). Frames are split on ';'
 * (empty frames dropped); the count follows the last run of blanks. Lines
 * that are empty or start with '#' are ignored; malformed lines are skipped
 * and counted in stats. Name conventions of stackcollapse scripts are kept:
 * a "_[k]" suffix puts the frame in a "[kernel.kallsyms]" mapping, "_[j]" in
 * "[jit]" ("_[i]", inlined, is dropped); "0xHEX" and "FILE+0xHEX" become
 * unsymbolized locations (in mapping FILE). The profile has one sample type,
 * samples/count, and identical stacks are merged. On success *ret is a new
 * builder: call pb_profile__finish() to get the message, pb_profile__free()
 * to free both. stats (may be NULL) is filled on success. Returns 0, -ENODATA
 * (no valid line at all), -EOVERFLOW (the counts of one stack sum past
 * INT64_MAX), -E2BIG (over FOLDED_READ_MAX_LOCATIONS), -ENOMEM, or -EINVAL
 * (NULL args). Takes any bytes (the fuzz
 * target's entry point). */
int folded_read__parse(const char *buf, size_t len, struct pb_profile **ret,
		       struct folded_read_stats *stats)
	__attribute__((warn_unused_result));

#endif /* CPROF_EXPORT_FOLDED_READ_H */
