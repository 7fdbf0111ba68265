/* SPDX-License-Identifier: MIT */
/* record_summary: the parts of record's end-of-run summary that need more
 * than a line (see record_summary.c). */
#ifndef CPROF_RECORD_SUMMARY_H
#define CPROF_RECORD_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/core/pprof_build.h"
#include "profiler/core/raw_profile.h"
#include "profiler/core/session.h"

/* Stack-copy mode: the overall line into buf (also a profile comment) --
 * how many stacks are complete, why the others stopped, the unwind tables'
 * cost --; with print, it and one line per binary with a notable stop
 * reason (and its fix) on stderr. c: the BPF counters. */
void record_summary__unwind(struct session *core, const struct session_stats *st,
			    const uint64_t c[CPROF_NR_COUNTERS], bool print, char *buf, size_t len);
/* The --stack-size (a power of two up to CPROF_STACK_COPY_MAX) above need,
 * the deepest a truncated walk had to read (uw_stats_entry.max_need); 0
 * when even the maximum would not hold it. */
uint32_t record_summary__stack_size_for(uint32_t need);
/* Files other users control that were refused, as "perf maps refused: 1
 * not a regular file; mapped files refused: ..."; "" when none. */
void record_summary__refusals(struct session *core, char *buf, size_t len);
/* Distinct processes, (pid, start time), among the samples of rp. */
size_t record_summary__processes(const struct raw_profile *rp);

/* For -a: the busiest processes, at most max, on one line of stderr:
 * "top processes: 1234 gcc 61.0 %, 99 python3 20.3 %". */
void record_summary__top_processes(const struct raw_profile *rp, size_t max);

/* Per binary that lacked symbols, the top few by addresses, on stderr:
 * "N addresses without symbols in BINARY: install its debug package or
 * set DEBUGINFOD_URLS". */
void record_summary__missing_symbols(const struct pprof_build_stats *bs, size_t max);

#endif /* CPROF_RECORD_SUMMARY_H */
