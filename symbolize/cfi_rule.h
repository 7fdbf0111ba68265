/* SPDX-License-Identifier: MIT */
/* cfi_rule: what the CFI reader (cfi.c) knows of one row — the rules of the
 * CFA, the return address and rbp as DWARF states them — and their
 * translation into the compact struct uw_rule, which expresses only the
 * forms an x86_64 unwinder with rsp, rbp and rip meets; every other form
 * becomes UW_CFA_UNSUPPORTED or an undefined register, and is counted.
 * DWARF expressions are classified here once, when their instruction runs.
 * libc and libdw's DWARF constants only; never prints.
 */
#ifndef CPROF_SYM_CFI_RULE_H
#define CPROF_SYM_CFI_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/uw_table.h"

/* x86_64 DWARF register numbers */
#define CFI_R_RBX 3
#define CFI_R_RBP 6
#define CFI_R_RSP 7
#define CFI_R_RA  16

enum cfi_rule_reg_kind {
	CFI_REG_UNSPEC = 0,	/* no rule: for rip, the end of the chain */
	CFI_REG_UNDEF,
	CFI_REG_SAME,
	CFI_REG_AT_CFA,		/* saved at CFA + off (DW_CFA_offset, or an expression) */
	CFI_REG_AT_RBP,		/* saved at rbp + off (DW_CFA_expression DW_OP_breg6) */
	CFI_REG_OTHER,		/* anything else: another register, a value, an expression */
};

struct cfi_rule_reg {
	int64_t off;
	uint8_t kind;		/* enum cfi_rule_reg_kind */
};

enum cfi_rule_cfa_kind {
	CFI_CFA_UNSET = 0,
	CFI_CFA_REG,		/* reg + off */
	CFI_CFA_DEREF,		/* *(reg + off): DW_OP_bregN off; DW_OP_deref */
	CFI_CFA_PLT,		/* binutils' lazy PLT expression, threshold in thr */
	CFI_CFA_OTHER,		/* another expression */
};

struct cfi_rule_cfa {
	int64_t off;
	uint64_t reg;
	uint8_t kind;		/* enum cfi_rule_cfa_kind */
	uint8_t thr;
};

/* The rules of one row, as the CFA instructions left them. */
struct cfi_rule_state {
	struct cfi_rule_cfa cfa;
	struct cfi_rule_reg ra, rbp, rbx;
};

/* The rules before any instruction: the x86_64 ABI's (rbp and rbx are
 * callee-saved: the same value; rip has no rule). */
struct cfi_rule_state cfi_rule__abi(void);

/* DW_CFA_def_cfa_expression's len bytes at p: a deref of a register plus
 * offset, binutils' lazy PLT form, or CFI_CFA_OTHER. */
struct cfi_rule_cfa cfi_rule__cfa_expr(const uint8_t *p, size_t len);
/* DW_CFA_expression's len bytes at p: where the register is saved, at the
 * CFA or rbp plus an offset, or CFI_REG_OTHER. */
struct cfi_rule_reg cfi_rule__reg_expr(const uint8_t *p, size_t len);

/* The row s states, in an FDE of a signal frame's CIE or not; a form
 * struct uw_rule cannot express adds one to *unsupported. */
struct uw_rule cfi_rule__translate(const struct cfi_rule_state *s, bool signal,
				   uint64_t *unsupported);

#endif
