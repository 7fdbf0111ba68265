/* SPDX-License-Identifier: MIT */
/* uw_unwind: walks a copy of a user stack (x86_64) from the registers of a
 * sample, with the unwind tables of the code it passes through (uw_table), and
 * produces the same raw form as frame-pointer stacks: the sampled ip, then
 * return addresses, leaf first. It stops at the outermost frame, at the end of
 * the copy, or at a frame it cannot trust, and says which. The code lookup is a
 * callback, so the walker knows nothing of processes (sym_session.h provides
 * one over a sym_session). uw_stats counts the stops per binary for the
 * end-of-run summary. Never prints; libc only besides uw_table.
 */
#ifndef CPROF_SYM_UNWINDER_H
#define CPROF_SYM_UNWINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/uw_table.h"

#define UW_MAX_FRAMES 1024

enum uw_mode {
	UW_MODE_DWARF = 1,	/* unwind tables only: stop where there are none */
	UW_MODE_AUTO = 2,	/* unwind tables, frame pointers where there are none (JIT code) */
};

enum uw_stop {
	UW_STOP_OUTERMOST = 0,	/* complete: the thread's first frame (or a zero return address) */
	UW_STOP_TRUNCATED,	/* the frame lies beyond the copied window (--stack-size) */
	UW_STOP_COPY_SHORT,	/* beyond a copy that ended early: the stack was unreadable there */
	UW_STOP_NO_INFO,	/* code without unwind information (and, in auto mode, no frame pointer) */
	UW_STOP_NO_MAPPING,	/* an address in no executable mapping of the process */
	UW_STOP_UNSUPPORTED,	/* an unwind rule the table cannot express */
	UW_STOP_BAD_FRAME,	/* a frame that cannot be right (stack pointer not growing, ...) */
	UW_STOP_DEPTH,		/* UW_MAX_FRAMES or the caller's maximum reached */
	UW_NR_STOPS,
};

struct uw_regs {
	uint64_t ip, sp, bp, bx;
};

struct uw_stack {
	const uint8_t *data;	/* bytes copied from regs.sp upwards */
	uint32_t len;		/* bytes copied */
	uint32_t limit;		/* bytes asked for: len < limit means the copy ended early */
};

struct uw_object {
	uint64_t start, limit;		/* [start, limit): addresses this answer holds for */
	uint64_t bias;			/* table pc (ELF vaddr) = address - bias */
	const struct uw_table *table;	/* NULL: no unwind information here */
	const char *name;		/* for statistics (a path), may be NULL */
	uint64_t entry_start, entry_end; /* [start, end): the binary's entry code (its ELF
					    e_entry, _start) in addresses; a frame there is
					    the outermost; empty when unknown */
	bool has_rule;			/* every pc in [start, limit) unwinds by rule, in any
					   mode, table ignored: code of a known layout that
					   has no CFI (CPython's perf trampolines) */
	struct uw_rule rule;
};

/* Describe the code at addr: 0 and *ret, -ENOENT when addr is in no executable
 * mapping, other -errno to abort. Whatever *ret points to must stay valid until
 * uw_unwind() returns. */
typedef int (*uw_find_object_fn)(void *ctx, uint64_t addr, struct uw_object *ret);

struct uw_result {
	uint32_t nr;		/* frames written to ips */
	enum uw_stop stop;
	const char *stop_object;	/* name of the object the last frame was in, may be NULL */
	uint32_t need;		/* UW_STOP_TRUNCATED: bytes of copy the walk needed to go on
				   (at least: the frames beyond may need more); else 0 */
};

/* Unwind one stack copy into ips[0..max) (max >= 1): ips[0] is regs->ip, the
 * rest return addresses (exact pcs after a signal frame). Returns 0 and fills
 * *ret, or the callback's error. */
int uw_unwind(enum uw_mode mode, const struct uw_regs *regs, const struct uw_stack *stack,
	      uw_find_object_fn find, void *ctx, uint64_t *ips, uint32_t max,
	      struct uw_result *ret)
	__attribute__((warn_unused_result));

/* Plain words for people: "complete", "stack unreadable", ...; static. */
const char *uw_stop__name(enum uw_stop stop);
/* The same stop as a snake_case metric label: "stack_unreadable"; static. */
const char *uw_stop__key(enum uw_stop stop);

/* --- statistics: stops per binary, bounded ---------------------------------- */

struct uw_stats_entry {
	const char *name;	/* binary path; "[other]" past the bound; "" for the total */
	uint64_t stacks;	/* stacks whose last frame was in this binary */
	uint64_t stops[UW_NR_STOPS];
	uint32_t max_need;	/* largest need of its truncated stacks (uw_result) */
};

struct uw_stats;

/* At most max_objects binaries are told apart (0: 256); the rest add to
 * "[other]". NULL and errno on failure. */
struct uw_stats *uw_stats__new(size_t max_objects)
	__attribute__((warn_unused_result));
void uw_stats__free(struct uw_stats *s);
/* Count one unwound stack. Names are copied. 0 or -ENOMEM. */
int uw_stats__add(struct uw_stats *s, const struct uw_result *r)
	__attribute__((warn_unused_result));
/* Totals over all stacks. */
const struct uw_stats_entry *uw_stats__total(const struct uw_stats *s);
/* Per binary, in first-seen order; valid until the next add or free. */
size_t uw_stats__count(const struct uw_stats *s);
const struct uw_stats_entry *uw_stats__entry(const struct uw_stats *s, size_t i);

#endif
