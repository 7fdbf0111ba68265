/* SPDX-License-Identifier: MIT */
/* cfi: a bounded reader of x86_64 call frame information (.eh_frame and
 * .debug_frame), written for input an attacker controls. Every length, offset
 * and operand is checked against the end of the entry or section that holds
 * it; nothing is allocated in proportion to a value read from the input (only
 * to the count of entries, under limits); each CIE's initial instructions run
 * once, and each FDE's program runs once, front to back, emitting a row at
 * each location advance. Work is therefore linear in the bytes read.
 * Only the rules struct uw_rule can express are tracked: the CFA, the return
 * address (r16), rbp (r6) and rbx (r3). libc only; never prints.
 */
#ifndef CPROF_SYM_CFI_H
#define CPROF_SYM_CFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/uw_table.h"

/* An FDE whose header decoded: its code range [start, end) and program. */
struct cfi_fde {
	uint64_t start, end;
	uint32_t insns;		/* program: offset in its section ... */
	uint32_t insns_len;	/* ... and length */
	uint32_t cie;		/* index of its CIE in the reader */
	uint8_t sec;		/* index of its section in the reader */
	bool debug;		/* from .debug_frame */
};

enum cfi_status {
	CFI_OK = 0,
	CFI_MALFORMED,		/* an instruction or operand the reader refuses */
	CFI_LIMIT_INSNS,	/* more instructions than uw_limits.max_insns */
	CFI_LIMIT_DEPTH,	/* DW_CFA_remember_state nested deeper than max_depth */
	CFI_LIMIT_ROWS,		/* the row sink refused a row (its own bound) */
};

struct cfi;

/* A reader of up to CFI_MAX_SECTIONS sections, NULL and errno on ENOMEM.
 * lim (copied) bounds its work; NULL means uw_limits__default(). max_depth
 * is at most CFI_MAX_DEPTH (the stack is allocated up front). */
#define CFI_MAX_SECTIONS 4
#define CFI_MAX_DEPTH 1024
struct cfi *cfi__new(const struct uw_limits *lim)
	__attribute__((warn_unused_result));
/* NULL is a no-op. */
void cfi__free(struct cfi *c);

/* Parse every CIE and FDE header of sec (borrowed until cfi__free()). Entries
 * that do not decode are skipped and counted in st->entries_bad; entries past
 * a limit in st->limited[]. Returns 0, or -ENOMEM, or -E2BIG when the reader
 * already holds CFI_MAX_SECTIONS sections. */
int cfi__add_section(struct cfi *c, const struct uw_cfi_section *sec, struct uw_table_stats *st)
	__attribute__((warn_unused_result));

/* The FDEs parsed so far, in section order; the caller may reorder and drop
 * entries (n is updated through *ret_n). Borrowed until cfi__free(). */
struct cfi_fde *cfi__fdes(struct cfi *c, size_t **ret_n);

/* Called for each row: the rule that holds from pc to the next row's pc (or
 * the FDE's end). A nonzero return stops the FDE and is returned by
 * cfi__run_fde() (use CFI_LIMIT_ROWS, or a -errno). */
typedef int (*cfi_row_fn)(void *ctx, uint64_t pc, const struct uw_rule *rule);

/* Run f's program once, emitting its rows in pc order. Returns CFI_OK;
 * CFI_MALFORMED after emitting an UNSUPPORTED row where the program went
 * wrong; CFI_LIMIT_* when a limit cut the FDE short (its rows so far were
 * emitted: the caller decides whether to keep them); or what row() returned.
 * Rules the row form cannot express are counted in *unsupported. */
int cfi__run_fde(struct cfi *c, const struct cfi_fde *f, cfi_row_fn row, void *ctx,
		 uint64_t *unsupported)
	__attribute__((warn_unused_result));

#endif
