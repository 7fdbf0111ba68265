/* SPDX-License-Identifier: MIT */
/* report: text reports of a decoded pprof profile (any producer) for people
 * without a Go toolchain, made to read exactly like `go tool pprof` on the
 * same file with -symbolize=none: its header, the -top table (same rows,
 * order, numbers, units and "(inline)" marks, nodes dropped under 0.5 % of
 * the total), its -traces, and per-process and per-thread totals from
 * cprof's sample labels (pid, tid, comm, process). Library code: returns
 * -errno, never prints; depends on export/pprof*, base/ and proto/. */
#ifndef CPROF_EXPORT_REPORT_H
#define CPROF_EXPORT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "proto/profile.pb-c.h"

enum report_kind {
	REPORT_TOP,		/* go tool pprof -top */
	REPORT_TRACES,		/* go tool pprof -traces */
	REPORT_PROCESSES,	/* totals per process (pid label) */
	REPORT_THREADS,		/* totals per thread (pid and tid labels) */
};

/* Every pointer is borrowed for the duration of one report__write() call. */
struct report_opts {
	enum report_kind kind;		/* default REPORT_TOP */
	/* A sample type name ("cpu", or "inuse_space" for "space"), or its
	 * decimal index; NULL: default_sample_type, else the last type. */
	const char *sample_index;
	/* POSIX EREs matched against each frame's function name, file name and
	 * mapping file: keep the samples with a frame matching focus and none
	 * matching ignore. Percentages stay relative to the whole profile. */
	const char *focus, *ignore;
	unsigned long nodecount;	/* top: at most this many rows; 0: all */
	double nodefraction;		/* top: drop functions whose |cum| is under
					 * this share of the total (default 0.005) */
	bool cum;			/* top: sort by cumulative value */
};

/* Fills opts with the defaults above. */
void report_opts__init(struct report_opts *opts);

/* Writes the report of p to out. Returns 0, or -EINVAL (bad opts, a focus or
 * ignore regex that does not compile, a profile without sample types),
 * -ENOENT (no such sample index), -ENOMSG (the filters kept no sample),
 * -EOVERFLOW (values sum past the int64 range), -E2BIG (more than
 * FLAMEGRAPH_MAX_NODES functions or REPORT_MAX_FRAMES frames), -ENOMEM,
 * -EIO (write error). */
int report__write(const Perftools__Profiles__Profile *p, const struct report_opts *opts,
		  FILE *out) __attribute__((warn_unused_result));

/* Index of the sample type named, or numbered, by index in p (NULL: the
 * default type), as go tool pprof's -sample_index takes it; -ENOENT. */
int report__sample_index(const Perftools__Profiles__Profile *p, const char *index);

#endif /* CPROF_EXPORT_REPORT_H */
