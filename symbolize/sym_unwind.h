/* SPDX-License-Identifier: MIT */
/* sym_unwind: the hand-off from the symbolizer's process table to the stack
 * unwinder. Unwind tables are compiled from a binary's .eh_frame /
 * .debug_frame on first need, cached by binary key (build-id) in an LRU
 * bounded in bytes and shared by every process mapping that binary; an ip
 * outside the process's maps makes it recapture them, at most every 50 ms.
 * Depends on sym_procs, sym_bins, sym_jit, unwinder, uw_table, sym_frames (the entry
 * span) and base/ only; never prints.
 */
#ifndef CPROF_SYM_UNWIND_H
#define CPROF_SYM_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/sym_procs.h"
#include "symbolize/unwinder.h"

struct sym_unwind;

struct sym_unwind_stats {
	uint64_t tables_built;     /* compiled (cumulative) */
	uint64_t tables_evicted;   /* dropped by the bound */
	uint64_t build_ns;         /* time spent compiling them (cumulative) */
	uint64_t rows_unsupported; /* CFI rows the compact form cannot express */
	uint64_t cfi_dropped;      /* CFI entries left out */
	uint64_t tables_released;  /* freed by sym_unwind__release_idle() */
	uint64_t tables_rebuilt;   /* compiled again after that (in tables_built too) */
};

/* New empty cache of at most max_bytes of tables, for the processes of procs
 * (borrowed: must outlive it). Perf maps read to unwind JIT code (CPython's
 * trampolines) count their refusals in perf_maps_refused[SAFE_FILE_NR_REFUSALS]
 * (borrowed too). NULL and errno on failure. */
struct sym_unwind *sym_unwind__new(size_t max_bytes, struct sym_procs *procs,
				   uint64_t *perf_maps_refused)
	__attribute__((warn_unused_result));
/* NULL is a no-op. */
void sym_unwind__free(struct sym_unwind *u);

/* Unwind a stack copy of p (see sym_session__unwind()): 0 with ips and *ret
 * filled, or -errno (-ENOMEM). The tables this stack used are kept until the
 * next call, whatever the bound. */
int sym_unwind__stack(struct sym_unwind *u, struct sym_proc *p, enum uw_mode mode,
		      const struct uw_regs *regs, const struct uw_stack *stack, uint64_t *ips,
		      uint32_t max, struct uw_result *ret)
	__attribute__((warn_unused_result));

/* The executable mappings of p with their tables (see
 * sym_session__unwind_objects()): fn's nonzero return, or 0. The tables
 * are spared by the bound until the next call. */
int sym_unwind__objects(struct sym_unwind *u, struct sym_proc *p, sym_unwind_object_fn fn,
			void *ctx)
	__attribute__((warn_unused_result));

/* Frees the tables no stack copy used for idle_ns whose rows held(ctx, key)
 * says are kept elsewhere (the kernel's walk), least recently wanted first,
 * until the tables hold keep_bytes or less: a table is compiled again when
 * a stack copy needs it, and an object of sym_unwind__objects() may then
 * come with its key but no table: fn returns -ENODATA for its table. The
 * number freed. */
size_t sym_unwind__release_idle(struct sym_unwind *u, uint64_t idle_ns, size_t keep_bytes,
				bool (*held)(void *ctx, const char *key), void *ctx);

/* Tables held now (binaries without CFI included), and their bytes. */
size_t sym_unwind__count(const struct sym_unwind *u);
size_t sym_unwind__bytes(const struct sym_unwind *u);
const struct sym_unwind_stats *sym_unwind__stats(const struct sym_unwind *u);

#endif /* CPROF_SYM_UNWIND_H */
