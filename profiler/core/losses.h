/* SPDX-License-Identifier: MIT */
/* losses: the one table of what the sampler can lose and why, for every
 * place that shows it: record's stderr summary and profile comments, and the
 * agent's cprof_drops_total{reason} metric. A counter of enum cprof_drop is
 * either in the table or named not a loss here; tests/unit/check_losses.c holds
 * every counter to that. The same for the Python frames a sample can lose
 * (its native stack kept), by reason and CPython version: the summary lines
 * and cprof_python_frames_lost_total{reason,version}. Depends on
 * bpf/sample.h and bpf/python.h only. */
#ifndef CPROF_LOSSES_H
#define CPROF_LOSSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include "bpf/python.h"
#include "bpf/sample.h"

struct loss {
	enum cprof_drop counter;
	const char *one;	/* plain English after "1 ", with the fix where there is one */
	const char *many;	/* after any other count */
	const char *metric;	/* snake_case reason label: "user_stack_missing" */
	/* Off-CPU losses whose time is known: the counter holding it, in ns
	 * (shown beside the count and as cprof_off_cpu_lost_seconds_total);
	 * CPROF_SAMPLES (0) when there is none. */
	enum cprof_drop ns;
};

extern const struct loss losses__table[];
extern const size_t losses__nr;

/* Counters that count work done, not losses (samples taken, stack copies),
 * and the time figures of losses in the table (their `ns`). */
bool losses__not_a_loss(enum cprof_drop counter);

/* Counts into c one drained entry that could not be stored (out of memory):
 * count CPU samples, or an off-CPU entry (state set) of off_ns. */
void losses__unstored(uint64_t c[CPROF_NR_COUNTERS], uint64_t count, uint8_t state,
		      uint64_t off_ns);

/* The nonzero losses of c as "3 user stacks missing, 1 stack lost to a full
 * stack map, 2 off-CPU blocks lost to a full counts map (raise --max-stacks): 0.031 s",
 * or "none"; truncated to len (always terminated when len > 0). */
void losses__format(const uint64_t c[CPROF_NR_COUNTERS], char *buf, size_t len);

/* The off-CPU time lost over every reason of the table, ns. */
uint64_t losses__off_cpu_lost_ns(const uint64_t c[CPROF_NR_COUNTERS]);

/* The Prometheus family cprof_drops_total{reason=...}: HELP, TYPE and one
 * line per table entry, zeros included; then cprof_off_cpu_lost_seconds_total
 * {reason=...}, one line per entry with a time. */
void losses__write_metrics(const uint64_t c[CPROF_NR_COUNTERS], FILE *f);

/* Why Python frames were lost or left unnamed. */
enum loss_py_reason {
	LOSS_PY_UNKNOWN_VERSION,	/* no layout for this CPython: native frames only */
	LOSS_PY_TSTATE_UNREADABLE,
	LOSS_PY_FRAME_UNREADABLE,
	LOSS_PY_FRAMES_CUT,
	LOSS_PY_TRUNCATED,
	LOSS_PY_CODE_UNREADABLE,	/* code objects, not samples: their frames unnamed */
	LOSS_PY_NOT_WALKED,		/* processes the BPF map had no room for */
	LOSS_PY_NR,
};

struct loss_py {
	int pyc;		/* the BPF walk's counter (enum cprof_py_counter); -1: userspace's */
	const char *one, *many;	/* what is counted: "sample", "samples" */
	const char *text;	/* the reason in plain English */
	const char *metric;	/* snake_case reason label */
};

/* Indexed by enum loss_py_reason. */
extern const struct loss_py losses__python[LOSS_PY_NR];

/* The BPF walk's counters that count work done (stacks taken, threads
 * that never ran Python), not losses. */
bool losses__py_not_a_loss(int pyc);

/* A nonzero Python loss: how many of one reason in one version. */
struct loss_py_count {
	enum loss_py_reason why;
	char version[8];	/* "3.11"; "" when the reason has none */
	uint64_t n;
};

/* One line per count, "Python frames lost: 3 samples of Python 3.11:
 * thread state unreadable", separated by '\n'; "" when n is 0; cut to len
 * with "..." (always terminated when len > 0). */
void losses__format_python(const struct loss_py_count *l, size_t n, char *buf, size_t len);

/* The Prometheus family cprof_python_frames_lost_total{reason,version}:
 * HELP, TYPE and one line per count. */
void losses__write_python_metrics(const struct loss_py_count *l, size_t n, FILE *f);

#endif
