/* SPDX-License-Identifier: MIT */
/* folded: writes a pprof profile as folded stacks, the input of Brendan
 * Gregg's flamegraph.pl and of most flame graph tools. Library code: returns
 * -errno, never prints; depends only on proto/ and export/pprof. */
#ifndef CPROF_EXPORT_FOLDED_H
#define CPROF_EXPORT_FOLDED_H

#include <stdio.h>

#include "proto/profile.pb-c.h"

/* Writes one line per unique stack: frames root first joined by ';', a space,
 * the sum of value[sample_index] over the samples with that stack. Inline
 * frames (several Lines in one Location) expand to several frames, caller
 * first. A location or line without a function name prints as
 * "MAPPING_BASENAME+0xOFFSET" (OFFSET = file offset: address - memory_start +
 * file_offset) or "0xADDR" when it has no mapping or the mapping no filename.
 * ';' in names becomes ':', newlines (\n, \r) become ' '. If group_label is
 * non-NULL and a sample has a non-empty string label with that key, its value
 * is the first (root) frame ("comm;main;work;leaf 42"). A sample with no
 * frames at all prints as "[unknown]". Lines are sorted (strcmp), identical
 * stacks merged, and stacks whose sum is 0 skipped. p is only read.
 * Returns 0, -EINVAL (bad sample_index), -EBADMSG
 * (an id that does not resolve), -ENOMEM, or -EIO (write error on out). */
int folded__write(const Perftools__Profiles__Profile *p, int sample_index,
		  const char *group_label, FILE *out)
	__attribute__((warn_unused_result));

#endif /* CPROF_EXPORT_FOLDED_H */
