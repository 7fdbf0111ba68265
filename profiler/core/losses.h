/* SPDX-License-Identifier: MIT */
/* losses: the one table of what the sampler can lose and why, for every
 * place that shows it: record's stderr summary and profile comments, and the
 * agent's cprof_drops_total{reason} metric. A counter of enum cprof_drop is
 * either in the table or named not a loss here; tests/unit/check_losses.c holds
 * every counter to that. Depends on bpf/sample.h only. */
#ifndef CPROF_LOSSES_H
#define CPROF_LOSSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

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

#endif
