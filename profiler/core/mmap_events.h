/* SPDX-License-Identifier: MIT */
/* mmap_events: executable mappings taken from the kernel as they happen, so
 * that processes gone before /proc/PID/maps could be read keep their user
 * stacks. One PERF_COUNT_SW_DUMMY event per online CPU, system-wide, with
 * mmap2 (build-ids where the kernel gives them), comm_exec and task records,
 * read through perf_ring.h and applied in time order to a sym_proc_events
 * table that the symbolizer consults at each capture. The object a record or
 * agent session holds beside its sampler: new before the launched command
 * runs, pump in the poll loop, flush after each drain-and-symbolize pass. */
#ifndef CPROF_MMAP_EVENTS_H
#define CPROF_MMAP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/sym_proc_events.h"
#include "symbolize/sym_session.h"

struct mmap_events;

struct mmap_events_stats {
	int nr_cpus;		/* rings open */
	uint64_t records;	/* records applied */
	uint64_t lost;		/* records the kernel dropped (PERF_RECORD_LOST): a ring was full */
	uint64_t failed;	/* records read but not stored (out of memory, corrupt ring) */
	uint64_t processes;	/* processes known from events now */
	uint64_t forks, execs, exits, mmaps;
};

/* Opens the events (needs CAP_PERFMON or root) and attaches their table to
 * sym, which must outlive the object. data_pages: per-CPU ring size in pages,
 * a power of two; 0 = 64. NULL and errno on failure; *ret_what names the
 * step that failed. */
struct mmap_events *mmap_events__new(struct sym_session *sym, size_t data_pages,
				     const char **ret_what);
/* Detaches from the symbolizer, closes and frees; NULL is a no-op. */
void mmap_events__free(struct mmap_events *me);

/* Applies every record written so far. Returns the number applied. Also
 * called by the symbolizer before each capture. */
int mmap_events__pump(struct mmap_events *me);
/* The i-th ring's fd (i from 0; -1 past the last): readable once the ring is
 * a quarter full, for a poll to wait on with its other rings. */
int mmap_events__fd(const struct mmap_events *me, int i);
/* After a drain-and-symbolize pass: processes that exited before the
 * previous call are forgotten. */
void mmap_events__flush(struct mmap_events *me);
/* Also drop each process flush forgets from the symbolizer (the agent, which
 * forgets exited processes between windows; record keeps them to the end). */
void mmap_events__forget_in_symbolizer(struct mmap_events *me);
void mmap_events__stats(const struct mmap_events *me, struct mmap_events_stats *ret);

/* Told each record as it is applied (after the symbolizer's table has it),
 * in time order, so the kernel walk's entry of a process can take a new
 * mapping before /proc would be read (profiler/core/kunwind.h). Called
 * inside mmap_events__pump(), which the symbolizer calls too: a listener
 * must not call into the symbolizer. */
struct mmap_events_listener {
	/* an executable mapping of pid: m and what it points to are valid
	 * for the call only; anon: no file behind it (JIT code) */
	void (*mapped)(void *ctx, int pid, const struct sym_proc_events_map *m, bool anon);
	void (*exec)(void *ctx, int pid);	/* the mappings that follow are a new image's */
	void (*pumped)(void *ctx);		/* the end of a pump that applied records */
	void *ctx;
};

/* Replaces the listener; NULL for none. l is copied. */
void mmap_events__listen(struct mmap_events *me, const struct mmap_events_listener *l);

#endif
