/* SPDX-License-Identifier: MIT */
/* sym_proc_events: the executable mappings of processes as the kernel reported
 * them while they happened (perf MMAP2, FORK, COMM exec, EXIT records; read by
 * profiler/core/mmap_events.c), so a process that is gone before /proc/PID/maps
 * could be read still has its maps. Pure data: no /proc access unless
 * opts.read_proc, no perf, no printing.
 *
 * A process is a generation per pid, keyed like the symbolizer's table by
 * (pid, start_ticks). A generation born by FORK inherits its parent's maps;
 * an exec moves them aside (they still answer addresses no new mapping
 * covers: samples taken before the exec are unwound after it) and the new
 * image's maps replace them. An EXIT keeps the maps until the second
 * sym_proc_events__flush() after it, so samples drained after the exit still
 * resolve.
 * Depends on sym_proc_maps and base/ (proc, strmap, vec) only; never prints.
 */
#ifndef CPROF_SYM_PROC_EVENTS_H
#define CPROF_SYM_PROC_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/sym_proc_maps.h"

struct sym_proc_events;

struct sym_proc_events_opts {
	size_t max_processes;	/* generations kept; 0 = 65536; the oldest go first */
	bool read_proc;		/* a parent never seen: read /proc/PPID/maps at its child's FORK */
};

struct sym_proc_events_map {	/* one MMAP2 record */
	uint64_t start, len, pgoff;
	uint32_t maj, min;
	uint64_t ino;
	uint32_t prot;		/* PROT_*; only PROT_EXEC mappings are kept */
	const char *path;	/* as the mapping process saw it; copied */
	const uint8_t *build_id; /* NULL when the record carried none */
	uint32_t build_id_size;
};

struct sym_proc_events_stats {
	uint64_t forks, execs, exits, mmaps;	/* records applied */
	uint64_t processes;			/* generations now */
	uint64_t evicted;			/* dropped by the bound */
	uint64_t parents_read;			/* parents taken from /proc at a fork */
};

/* What is known of one process: maps in ascending address order, the new
 * image's first, then pre-exec maps that overlap none of them (pre_exec set). */
struct sym_proc_events_view {
	struct sym_proc_maps *maps;	/* owned by the caller: sym_proc_maps__free() */
	bool complete;			/* every exec mapping since birth or exec was seen */
	char comm[16];			/* "" when unknown */
};

struct sym_proc_events *sym_proc_events__new(const struct sym_proc_events_opts *opts)
	__attribute__((warn_unused_result));
void sym_proc_events__free(struct sym_proc_events *pe);

/* Clock: time_ns is CLOCK_BOOTTIME, the clock of /proc/PID/stat's start
 * time; start_ticks of a forked process is estimated from it (USER_HZ 100).
 * Each returns 0 or -ENOMEM (what could not be stored is lost, counted by
 * the caller). */
int sym_proc_events__fork(struct sym_proc_events *pe, int pid, int ppid, uint64_t time_ns)
	__attribute__((warn_unused_result));
int sym_proc_events__exec(struct sym_proc_events *pe, int pid, const char *comm)
	__attribute__((warn_unused_result));
int sym_proc_events__comm(struct sym_proc_events *pe, int pid, const char *comm)
	__attribute__((warn_unused_result));
int sym_proc_events__mmap(struct sym_proc_events *pe, int pid, const struct sym_proc_events_map *m)
	__attribute__((warn_unused_result));
int sym_proc_events__exit(struct sym_proc_events *pe, int pid)
	__attribute__((warn_unused_result));

/* After each drain-and-symbolize pass: forgets the processes whose exit was
 * applied before the previous flush, calling on_forget (if set) for each. */
void sym_proc_events__flush(struct sym_proc_events *pe);

/* Called by sym_proc_events__flush() for each exited process it forgets, so a
 * session can drop it from its other caches too. estimated: start_ticks came
 * from the fork time, the process's own may be one tick lower. */
typedef void (*sym_proc_events_forget_fn)(void *ctx, int pid, uint64_t start_ticks,
					  bool estimated);
void sym_proc_events__on_forget(struct sym_proc_events *pe, sym_proc_events_forget_fn fn,
				void *ctx);

/* The maps of (pid, start_ticks): 0 with *ret filled, -ENOENT when that
 * process was never reported, -ENOMEM. A generation estimated from a FORK
 * time matches start_ticks equal to the estimate or one tick before it (the
 * fork record follows the start by microseconds). */
int sym_proc_events__lookup(struct sym_proc_events *pe, int pid, uint64_t start_ticks,
			    struct sym_proc_events_view *ret)
	__attribute__((warn_unused_result));

/* Whether the maps of (pid, start_ticks) cover addr: a cheap test, with no
 * copy, for whether a fresh lookup would answer an address. */
bool sym_proc_events__covers(const struct sym_proc_events *pe, int pid, uint64_t start_ticks,
			     uint64_t addr);

/* Whether a file the process maps (or mapped before its exec, as a lookup
 * shows) satisfies pred: 1; 0 when none does and the maps are complete;
 * -ENOENT when the process is unknown or its maps incomplete and none does.
 * No copy: the per-process check the whole-machine agent makes most. */
int sym_proc_events__match(const struct sym_proc_events *pe, int pid, uint64_t start_ticks,
			   bool (*pred)(const char *path));

void sym_proc_events__stats(const struct sym_proc_events *pe, struct sym_proc_events_stats *ret);

#endif
