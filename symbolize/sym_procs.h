/* SPDX-License-Identifier: MIT */
/* sym_procs: the symbolizer's process table. A process is keyed by (pid,
 * start_ticks), so PID reuse cannot mix two programs; its executable
 * mappings are captured from /proc/PID/maps, or from what kernel events
 * reported (sym_proc_events.h) for a process /proc can no longer show. Entries
 * leave by remove (exit), eviction (the bound, LRU) or exec, and are kept
 * "retired" until sym_procs__flush(), so results handed out stay valid.
 * Depends on sym_bins, sym_jit, proc_maps, proc_events and base/ only; uses
 * only the value types of sym_session.h; never prints.
 */
#ifndef CPROF_SYM_PROCS_H
#define CPROF_SYM_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/sym_bins.h"
#include "symbolize/sym_jit.h"
#include "symbolize/sym_lru.h"
#include "symbolize/sym_runtime.h"
#include "symbolize/sym_session.h"

struct sym_procs;
struct sym_proc_events;

enum sym_pmap_kind {
	SYM_PMAP_NONE, /* nothing to name it with ([vsyscall], unopenable file) */
	SYM_PMAP_FILE, /* an ELF file */
	SYM_PMAP_VDSO,
	SYM_PMAP_ANON, /* anonymous code: perf-PID.map */
};

/* One executable mapping of a process. */
struct sym_pmap {
	struct sym_mapping pub; /* what results point at; owns path and build_id */
	enum sym_pmap_kind kind;
	struct sym_bin_ref bin; /* SYM_PMAP_FILE: its binary in sym_bins */
	bool pre_exec;          /* of the image before the last exec: no longer mapped */
	bool uw_bias_set;       /* uw_bias computed (sym_unwind) */
	uint64_t uw_bias;       /* ELF vaddr = address - uw_bias */
};

/* One process as captured. Owned by the table; valid until the next
 * sym_procs__flush() after it left the table. */
struct sym_proc {
	int pid;
	int nspid;              /* pid inside its namespace: names its perf map;
				 * read with its first anonymous code (nspid_read) */
	bool nspid_read;
	uint64_t start_ticks;
	char key[48];
	char comm[64];
	struct sym_pmap *maps;  /* sorted by start */
	size_t nmaps;
	struct sym_jit jit;
	enum sym_runtime runtime; /* from the files it maps, as last captured */
	uint64_t recaptured_ns; /* last recapture for an ip outside the maps (sym_unwind) */
	struct sym_lru lru;
	struct sym_proc *retired_next;
};

struct sym_procs_stats {
	uint64_t processes;         /* captured (cumulative) */
	uint64_t evicted;           /* dropped by the bound */
	uint64_t unmapped;          /* captured without executable mappings (each once) */
	uint64_t from_events;       /* captures answered by kernel events */
};

/* New empty table of at most max_processes processes, opening binaries into
 * bins (borrowed: must outlive the table). NULL and errno on failure. */
struct sym_procs *sym_procs__new(size_t max_processes, struct sym_bins *bins)
	__attribute__((warn_unused_result));
/* Frees every process, retired ones too; NULL is a no-op. */
void sym_procs__free(struct sym_procs *t);

/* See sym_session__set_proc_events(). */
void sym_procs__set_events(struct sym_procs *t, struct sym_proc_events *pe,
			   int (*pump)(void *ctx), void *ctx);

/* Whether the kernel's mapping events, pumped first, know a mapping of p at
 * addr: a capture now would cover it, however recent the last one. */
bool sym_procs__events_cover(struct sym_procs *t, const struct sym_proc *p, uint64_t addr);
/* Whether kernel events show (pid, start_ticks) mapping executable code of
 * a file whose path pred accepts: 1 yes, 0 no (every exec mapping since its
 * birth or exec was seen), -ENOENT when they cannot tell, -ENOMEM. */
int sym_procs__events_match(struct sym_procs *t, int pid, uint64_t start_ticks,
			    bool (*pred)(const char *path));

/* The process in the table, NULL when unknown. Not touched. */
struct sym_proc *sym_procs__get(struct sym_procs *t, int pid, uint64_t start_ticks);
/* Same, touched as most recently used; the last one found is remembered, and
 * then returned without a lookup (nor a touch). NULL when unknown. */
struct sym_proc *sym_procs__get_recent(struct sym_procs *t, int pid, uint64_t start_ticks);
/* Mark p the most recently used. */
void sym_procs__touch(struct sym_procs *t, struct sym_proc *p);

/* See sym_session__add_process(), __exec() and __remove_process(). */
int sym_procs__add(struct sym_procs *t, int pid, uint64_t start_ticks)
	__attribute__((warn_unused_result));
int sym_procs__exec(struct sym_procs *t, int pid, uint64_t start_ticks)
	__attribute__((warn_unused_result));
int sym_procs__remove(struct sym_procs *t, int pid, uint64_t start_ticks);

/* The mapping of p that holds addr, NULL when none does. */
struct sym_pmap *sym_procs__find_mapping(const struct sym_proc *p, uint64_t addr);

/* The binary of a file or vDSO mapping (reopened if the cache evicted it),
 * NULL when there is none. Valid until the next call into bins. */
struct sym_elf *sym_procs__elf(struct sym_procs *t, struct sym_proc *p, struct sym_pmap *pm);

/* Free what left the table (processes, and the maps exec replaced). */
void sym_procs__flush(struct sym_procs *t);

size_t sym_procs__count(const struct sym_procs *t);
const struct sym_procs_stats *sym_procs__stats(const struct sym_procs *t);

#endif /* CPROF_SYM_PROCS_H */
