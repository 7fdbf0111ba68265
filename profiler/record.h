/* SPDX-License-Identifier: MIT */
/* record: one profiling session from start to written file. Targets are pids,
 * a launched command (and its children), or the whole machine. */
#ifndef CPROF_RECORD_H
#define CPROF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum record_format { RECORD_PPROF, RECORD_FOLDED, RECORD_SVG };

struct record_opts {
	unsigned int freq;
	bool cycles, all, idle, verbose, quiet;
	const pid_t *pids;
	size_t nr_pids;
	char *const *cmd;	/* NULL-terminated argv, or NULL */
	double duration;	/* seconds; 0 = until stopped or the targets exit */
	const char *output;	/* "-" = stdout */
	enum record_format format;
	const char *flamegraph;	/* an SVG written beside the main output, or NULL */
	uint32_t max_stacks;
};

/* Runs the session and returns the process exit status: 0, 1 on a runtime
 * failure (already reported on stderr), or the command's status with --. */
int record__run(const struct record_opts *opts);

#endif
