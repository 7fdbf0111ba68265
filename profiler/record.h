/* SPDX-License-Identifier: MIT */
/* record: one profiling session from start to written file. Targets are pids,
 * a launched command (and its children), or the whole machine. */
#ifndef CPROF_RECORD_H
#define CPROF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct launch_user;

enum record_format { RECORD_PPROF, RECORD_FOLDED, RECORD_SVG };

/* How user stacks are taken. auto: walked in the kernel with the unwind
 * tables, frame pointers where there are none (a stack copy for processes it
 * cannot walk); copy: the same from a copy of the stack; dwarf: a copy, unwind
 * tables only. fp: the kernel follows frame pointers. */
enum record_unwind { RECORD_UNWIND_AUTO = 0, RECORD_UNWIND_DWARF, RECORD_UNWIND_FP,
		     RECORD_UNWIND_COPY };

struct record_opts {
	unsigned int freq;
	bool cycles, all, idle, verbose, quiet;
	bool profile_self;	/* sample cprof's own process too (-a) */
	bool follow_children;	/* --pid: what the targets fork (and have) too */
	bool no_python;		/* --no-python */
	const pid_t *pids;
	size_t nr_pids;
	char *const *cmd;	/* NULL-terminated argv, or NULL */
	const struct launch_user *user;	/* --user: cmd runs as this user; NULL: none */
	const char *user_name;	/* as given, for messages */
	double duration;	/* seconds; 0 = until stopped or the targets exit */
	const char *output;	/* "-" = stdout */
	enum record_format format;
	const char *flamegraph;	/* an SVG written beside the main output, or NULL */
	uint32_t max_stacks;
	/* --net: traffic counters on these interfaces, written to net_output;
	 * with no CPU target (no pids, all or cmd) only those are recorded */
	const char *const *net_ifaces;
	size_t nr_net_ifaces;
	bool net_xdp;
	const char *net_output;
	enum record_unwind unwind;
	uint32_t stack_size;	/* bytes of user stack copied per sample; 0 = default */
	uint64_t unwind_memory;	/* --unwind-memory bytes; 0 = default */
	bool off_cpu;		/* --off-cpu: blocked time too */
	uint64_t off_cpu_min_ns;	/* --off-cpu-min */
	bool cmd_stdout_to_stderr;	/* cmd's stdout is cprof's stderr (profile on stdout) */
};

/* Runs the session and returns the process exit status: 0, 1 on a runtime
 * failure (already reported on stderr), or the command's status with --. */
int record__run(const struct record_opts *opts);

#endif
