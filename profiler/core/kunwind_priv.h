/* SPDX-License-Identifier: MIT */
/* kunwind_priv: kunwind's state, shared by its two files (kunwind.c pushes
 * processes and their binaries' rows, kunwind_mapped.c adds the mappings
 * the kernel's mapping events report). Not for use outside them. */
#ifndef CPROF_KUNWIND_PRIV_H
#define CPROF_KUNWIND_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strmap.h"
#include "profiler/core/kunwind.h"

struct kuw_bin {
	char *key;
	uint32_t first, count;	/* its rows, page index first */
	uint32_t pages;		/* entries of the page index */
	uint64_t base;		/* ELF vaddr of pc 0 */
	uint32_t users;		/* mappings of pushed processes naming it */
	/* as a push saw it mapped, for a mapping event's: the file offset
	 * mapped, and what the vaddr at a mapping's start is past it */
	bool seg_known;
	uint64_t seg_pgoff;
	uint64_t seg_vaddr_off;	/* vaddr at start - file offset of start */
	uint64_t entry_vaddr;	/* its entry point; 0: none */
};

/* A mapping event waiting for kunwind__flush(). */
struct kuw_mapped {
	int pid;
	uint64_t start_ticks;	/* of the process it was taken for */
	uint64_t start, end, pgoff;
	char key[2 + 2 * 20 + 1];	/* "b:" and the build-id; "": none (or anon) */
	bool anon;
	size_t seq;		/* order of arrival, kept among a process's */
};

#define KUNWIND_MAX_MAPPED 4096	/* events held between flushes; more ask for pushes */

struct kuw_proc {
	int pid;
	uint64_t start_ticks;
	struct kuw_bin **bins;	/* one per mapping with a table (a binary may repeat) */
	size_t nbins;
	int64_t pushed_ns;	/* last push (or attempt) */
	int64_t pushed_done_ns;	/* when the last push's update had returned */
	int64_t gap_ns;		/* before the next push asked for: 0 after exec, then
				 * doubled while pushes find nothing new */
	uint32_t nr_pushed;	/* mappings in the last push */
	bool pushed;		/* its entry is in the kernel */
	bool execd;		/* exec seen in the mapping events, not pushed since */
	bool want;		/* kunwind__copied() asked for a push */
	bool stuck;		/* fell back for a reason a push cannot fix before exec */
	bool wait_room;		/* fell back for table memory: pushed again (backing
				 * off) once a process holding tables is gone */
	uint64_t room_seen;	/* k->gone when it fell back for memory */
	bool fell_back[KUNWIND_NR_FALLBACKS];	/* counted once each */
	struct kuw_proc *prev, *next;	/* every process, to free them */
};

struct kunwind {
	struct sym_session *sym;
	struct kunwind_maps m;
	struct strmap *bins_by_key;
	struct kuw_bin **bins;		/* sorted by first */
	size_t nbins, bins_cap;
	struct strmap *procs;		/* "pid" -> struct kuw_proc */
	struct kuw_proc *all;
	int *want;			/* pids kunwind__copied() marked */
	size_t nwant, want_cap;
	struct kunwind_stats st;
	/* the push being built */
	struct cprof_uw_proc up;
	struct kuw_bin *pbins[CPROF_UW_MAX_MAPS];
	size_t npbins;
	int fail;			/* enum kunwind_fallback of the failed push */
	uint64_t gen;			/* pushes so far: each one's cprof_uw_proc.gen */
	uint64_t gone;			/* exits of processes that held tables */
	int64_t released_ns;		/* last sym_session__release_unwind_tables() */
	bool pushing;			/* in push(): k->up is taken */
	/* mapping events (kunwind__mapped) */
	struct kuw_mapped *mapped;
	size_t nmapped, mapped_cap;
	struct cprof_uw_proc fast;	/* an entry read back, the event's mappings added */
};

/* The process's record, or NULL. */
struct kuw_proc *kunwind__proc_get(struct kunwind *k, int pid);
/* CLOCK_MONOTONIC, ns. */
int64_t kunwind__now(void);

#endif
