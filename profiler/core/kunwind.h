/* SPDX-License-Identifier: MIT */
/* kunwind: feeds the in-kernel unwinder (bpf/unwind.bpf.h, --unwind auto).
 * For each target process it pushes the process's executable mappings, and
 * the rows of each binary's unwind table (built and cached by the symbolizer,
 * sym_session__unwind_objects) into one big BPF array shared by build-id.
 * The array is bounded (--unwind-memory); binaries no pushed process maps
 * are evicted when room is needed. A process whose tables do not fit, or
 * that maps more than CPROF_UW_MAX_MAPS pieces of code, is not pushed: its
 * samples keep going to the stack copy, and the reason is counted.
 * Code a pushed process maps later (the libraries ld.so maps after exec,
 * dlopen) comes as a mapping event (kunwind__mapped, from the kernel's
 * mmap records): a binary whose rows are in the kernel is added to the
 * process's entry at once, with no /proc read; one whose are not is pushed
 * (its rows loaded) at the next kunwind__pump. The BPF side wakes
 * userspace when such code first runs (bpf/unwind.bpf.h), before its
 * samples. A sample whose walk still meets code in no mapping (events
 * lost, or off) has the process pushed again: at once after exec, then at
 * most every KUNWIND_REPUSH_NS, backing off while pushes find no new
 * mapping. One whose tables did not
 * fit is pushed again, backing off the same way, only after a process that
 * held tables exited: their room may now be enough.
 * Reaches the maps through their fds only; never prints. */
#ifndef CPROF_KUNWIND_H
#define CPROF_KUNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/unwind.h"
#include "symbolize/sym_session.h"

#define KUNWIND_DEFAULT_BYTES	(64u << 20)	/* --unwind-memory default */
#define KUNWIND_REPUSH_NS	20000000LL	/* between pushes a process asks for */
#define KUNWIND_REPUSH_MAX_NS	2000000000LL	/* ... backing off to this */
/* A userspace table whose rows are in the kernel is freed once no stack
 * copy has used it for this long (compiled again if one does), least
 * recently wanted first, while the tables hold more than KEEP_BYTES: the
 * few every new process needs (ld.so, libc, the vDSO), wanted by the stack
 * copies of its first samples, stay rather than be compiled again and
 * again. */
#define KUNWIND_TABLE_IDLE_NS		5000000000LL
#define KUNWIND_TABLE_KEEP_BYTES	(1u << 20)

struct kunwind_maps {
	int rows_fd;		/* uw_rows: BPF_F_MMAPABLE array of struct cprof_uw_row */
	uint32_t max_rows;
	int procs_fd;		/* uw_procs: tgid -> struct cprof_uw_proc */
};

/* Why a process is left to the stack copy. */
enum kunwind_fallback {
	KUNWIND_FB_MEMORY = 0,	/* its tables do not fit --unwind-memory */
	KUNWIND_FB_MAPPINGS,	/* more than CPROF_UW_MAX_MAPS executable mappings */
	KUNWIND_FB_UNKNOWN,	/* its mappings could not be read (gone, or refused) */
	KUNWIND_NR_FALLBACKS,
};

struct kunwind_stats {
	uint64_t pushes;		/* mapping sets pushed (cumulative) */
	uint64_t added;			/* mappings added from mapping events (cumulative) */
	uint64_t asked;			/* pushes a mapping event asked for: rows not in (cumulative) */
	uint64_t procs;			/* processes pushed now */
	uint64_t binaries;		/* binaries with rows in the kernel now */
	uint64_t loaded, evicted;	/* binaries' rows loaded / evicted (cumulative) */
	uint64_t rows, max_rows;	/* rows in use now, and room */
	uint64_t fallback[KUNWIND_NR_FALLBACKS];	/* processes, each once per reason */
};

struct kunwind;

/* NULL and errno on failure. */
struct kunwind *kunwind__new(struct sym_session *sym, const struct kunwind_maps *m)
	__attribute__((warn_unused_result));
void kunwind__free(struct kunwind *k);

/* The process was captured in sym (first seen, exec): push its mappings and
 * tables. 0, or -ENOMEM; a process that cannot be pushed is counted, not an
 * error. */
int kunwind__push(struct kunwind *k, int pid, uint64_t start_ticks)
	__attribute__((warn_unused_result));
/* A sample of the process came as a stack copy, or the kernel walk met code
 * in no mapping (CPROF_EV_REMAP): push it again at kunwind__pump when it is
 * known and its back-off (see above) has passed. now_ns: CLOCK_MONOTONIC. */
void kunwind__copied(struct kunwind *k, int pid, uint64_t start_ticks, int64_t now_ns);
/* Pushes what kunwind__copied() and kunwind__mapped() asked for (after
 * kunwind__flush()). */
void kunwind__pump(struct kunwind *k, int64_t now_ns);

/* One executable mapping as the kernel reported it at mmap
 * (profiler/core/mmap_events.h). */
struct kunwind_map {
	uint64_t start, len, pgoff;
	const uint8_t *build_id;	/* NULL: none reported; borrowed for the call */
	uint32_t build_id_size;
	bool anon;			/* no file behind it (JIT code): frame pointers */
};

/* pid mapped m. Only a process pushed (a target) takes it; it goes into the
 * kernel at the next kunwind__flush(): one map update for all of a
 * process's, when its binary's rows are in the kernel and m maps the part
 * of it a push saw mapped; else a push is asked for, done at kunwind__pump.
 * Calls nothing of the symbolizer (an mmap_events listener). */
void kunwind__mapped(struct kunwind *k, int pid, const struct kunwind_map *m);
/* pid exec'd: the mappings reported next are its new image's, pushed whole
 * at kunwind__push(), not added to the old entry. */
void kunwind__exec_seen(struct kunwind *k, int pid);
/* Adds what kunwind__mapped() took (kept for later when called during a
 * push). Calls nothing of the symbolizer. */
void kunwind__flush(struct kunwind *k);
/* The process exited at exit_ns (CLOCK_MONOTONIC, the exit event's): its
 * mappings leave the kernel (the kernel took out an entry pushed before
 * then: no system call), its binaries may go. */
void kunwind__exited(struct kunwind *k, int pid, uint64_t start_ticks, int64_t exit_ns);

void kunwind__stats(const struct kunwind *k, struct kunwind_stats *ret);
/* "table memory (--unwind-memory)", ...: static. */
const char *kunwind_fallback__name(enum kunwind_fallback f);

#endif
