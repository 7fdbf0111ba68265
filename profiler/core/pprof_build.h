/* SPDX-License-Identifier: MIT */
/* pprof_build: turns drained raw samples into a pprof profile, symbolizing each
 * distinct (process, address) once. Go runtime conventions: sample types
 * [samples/count, cpu/nanoseconds], period 1e9/Hz. Lost stacks stay in the
 * profile as a named frame, so totals never shrink. */
#ifndef CPROF_PPROF_BUILD_H
#define CPROF_PPROF_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "export/pb_profile.h"
#include "profiler/core/raw_profile.h"
#include "symbolize/sym_session.h"

struct pprof_build_opts {
	unsigned int freq;
	int64_t time_nanos, duration_nanos;
	const char *const *comments;
	size_t nr_comments;
	/* Agent mode: per-sample labels stay low-cardinality, only the numeric
	 * pid (Pyroscope turns every string sample label into a series). */
	bool low_cardinality;
};

struct pprof_build_stats {
	uint64_t locations, symbolized, unsymbolized;
	uint64_t func_starts;	/* of symbolized: named only by a function start (no symbol) */
};

/* On success *ret_profile is a new builder the caller frees with pb_profile__free(). */
int pprof_build(const struct raw_profile *rp, struct sym_session *sym,
		const struct pprof_build_opts *opts, struct pb_profile **ret_profile,
		struct pprof_build_stats *ret_stats);

#endif
