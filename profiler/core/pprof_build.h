/* SPDX-License-Identifier: MIT */
/* pprof_build: turns drained raw samples into a pprof profile, symbolizing each
 * distinct (process, address) once. Go runtime conventions: sample types
 * [samples/count, cpu/nanoseconds], period 1e9/Hz. Lost stacks stay in the
 * profile as a named frame, so totals never shrink. With off-CPU time
 * (--off-cpu) the types are [samples/count, cpu/nanoseconds,
 * off_cpu/nanoseconds, wall/nanoseconds] (wall = cpu + off_cpu, sample by
 * sample), cpu the default, and off-CPU samples carry a thread_state label;
 * or, for the agent's own off-CPU profile, [off_cpu/nanoseconds] alone. */
#ifndef CPROF_PPROF_BUILD_H
#define CPROF_PPROF_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "export/pb_profile.h"
#include "profiler/core/raw_profile.h"
#include "symbolize/sym_session.h"

enum pprof_build_values {
	PPROF_BUILD_CPU = 0,		/* CPU samples; off-CPU ones are left out */
	PPROF_BUILD_CPU_OFF_CPU,	/* both, and wall time */
	PPROF_BUILD_OFF_CPU,		/* off-CPU time only */
};

struct pprof_build_opts {
	unsigned int freq;
	enum pprof_build_values values;
	int64_t time_nanos, duration_nanos;
	const char *const *comments;
	size_t nr_comments;
	/* Agent mode: per-sample labels stay low-cardinality, only the numeric
	 * pid (Pyroscope turns every string sample label into a series). */
	bool low_cardinality;
	/* The process whose executable is the profile's first mapping (the
	 * one `go tool pprof` names in "File:"): the target of --pid or of
	 * cprof -- CMD; 0, or a pid without samples: the process with the
	 * most samples. */
	uint32_t main_pid;
};

#define PPROF_BUILD_MAX_NOSYM 128

struct pprof_build_stats {
	uint64_t locations, symbolized, unsymbolized;
	uint64_t func_starts;	/* of symbolized: named only by a function start (no symbol) */
	/* Per binary, the first PPROF_BUILD_MAX_NOSYM seen: addresses no
	 * symbol named (unnamed, or named by a function start only) and
	 * addresses a symbol named, so a binary that lacks symbols (most unnamed)
	 * tells apart from one with a few gaps (PLT stubs). Paths valid like
	 * the session's mappings (until sym_session__flush()). */
	struct pprof_build_nosym {
		const char *path;
		uint64_t addresses, named;
	} nosym[PPROF_BUILD_MAX_NOSYM];
	size_t n_nosym;
};

/* On success *ret_profile is a new builder the caller frees with pb_profile__free(). */
int pprof_build(const struct raw_profile *rp, struct sym_session *sym,
		const struct pprof_build_opts *opts, struct pb_profile **ret_profile,
		struct pprof_build_stats *ret_stats);

#endif
