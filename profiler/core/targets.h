/* SPDX-License-Identifier: MIT */
/* targets: the processes a session was asked to follow (--pid), each keyed by
 * (pid, start time) so a reused pid is never taken for its predecessor. A
 * target is gone when the kernel says it exited or /proc no longer shows it
 * with the same start time. Depends on base/proc only; no BPF. */
#ifndef CPROF_TARGETS_H
#define CPROF_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	uint64_t start_ticks;
	bool gone;
};

struct targets {
	struct target *t;
	size_t n, cap;
};

/* Appends (pid, start_ticks). 0 or -ENOMEM. */
int targets__add(struct targets *ts, pid_t pid, uint64_t start_ticks)
	__attribute__((warn_unused_result));
/* The kernel reported (pid, start_ticks) exited: that target is gone. */
void targets__exited(struct targets *ts, pid_t pid, uint64_t start_ticks);
/* Re-checks the targets still alive against /proc; true while any is. */
bool targets__alive(struct targets *ts);
void targets__release(struct targets *ts);

#endif /* CPROF_TARGETS_H */
