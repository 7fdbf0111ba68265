// SPDX-License-Identifier: MIT
/* cfi_rule: see cfi_rule.h. An expression is decoded into at most MAX_OPS
 * operations of the few kinds the known forms use, then matched against
 * those forms whole; anything else is "other", never a guess.
 * Depends on uw_table's types, cfi_cur and libdw's DWARF constants only.
 */
#include "symbolize/cfi_rule.h"

#include <dwarf.h>

#include "symbolize/cfi_cur.h"


struct op {
	uint8_t atom;
	uint64_t reg;		/* DW_OP_breg*: the register */
	int64_t num;		/* DW_OP_breg*: offset; DW_OP_plus_uconst: operand */
};

#define MAX_OPS 10

/* Decode up to MAX_OPS operations of the kinds the known forms use; returns
 * their count, or -1 for a longer expression or another operation. */
static int decode_ops(const uint8_t *p, size_t len, struct op *ops)
{
	struct cfi_cur c = { p, p + len };
	int n = 0;

	while (c.p < c.end) {
		struct op *o = &ops[n];
		uint64_t u;

		if (n == MAX_OPS || cfi_cur__u8(&c, &o->atom))
			return -1;
		if (o->atom >= DW_OP_breg0 && o->atom <= DW_OP_breg31) {
			o->reg = o->atom - DW_OP_breg0;
			o->atom = DW_OP_bregx;
			if (cfi_cur__sleb(&c, &o->num))
				return -1;
		} else if (o->atom == DW_OP_bregx) {
			if (cfi_cur__uleb(&c, &o->reg) || cfi_cur__sleb(&c, &o->num))
				return -1;
		} else if (o->atom == DW_OP_plus_uconst) {
			if (cfi_cur__uleb(&c, &u))
				return -1;
			o->num = (int64_t)u;
		} else if (!(o->atom >= DW_OP_lit0 && o->atom <= DW_OP_lit31) &&
			   o->atom != DW_OP_and && o->atom != DW_OP_ge && o->atom != DW_OP_shl &&
			   o->atom != DW_OP_plus && o->atom != DW_OP_deref) {
			return -1;
		}
		n++;
	}
	return n;
}

static bool is_breg(const struct op *o, uint64_t reg)
{
	return o->atom == DW_OP_bregx && o->reg == reg;
}

/* DW_CFA_def_cfa_expression: *(reg + off) (signal frames, stack realignment)
 * or binutils' lazy PLT: rsp + off + (((rip & 15) >= thr) << 3). */
struct cfi_rule_cfa cfi_rule__cfa_expr(const uint8_t *p, size_t len)
{
	struct op o[MAX_OPS];
	int n = decode_ops(p, len, o);

	if (n == 2 && o[0].atom == DW_OP_bregx && o[1].atom == DW_OP_deref)
		return (struct cfi_rule_cfa){ .kind = CFI_CFA_DEREF, .reg = o[0].reg, .off = o[0].num };
	if (n == 9 && is_breg(&o[0], CFI_R_RSP) && is_breg(&o[1], CFI_R_RA) && o[1].num == 0 &&
	    o[2].atom == DW_OP_lit15 && o[3].atom == DW_OP_and && o[4].atom >= DW_OP_lit0 &&
	    o[4].atom <= DW_OP_lit15 && o[5].atom == DW_OP_ge && o[6].atom == DW_OP_lit3 &&
	    o[7].atom == DW_OP_shl && o[8].atom == DW_OP_plus)
		return (struct cfi_rule_cfa){ .kind = CFI_CFA_PLT, .reg = CFI_R_RSP, .off = o[0].num,
					  .thr = (uint8_t)(o[4].atom - DW_OP_lit0) };
	return (struct cfi_rule_cfa){ .kind = CFI_CFA_OTHER };
}

/* DW_CFA_expression: the address the register is saved at, computed from the
 * CFA pushed first: CFA + off (no op, or DW_OP_plus_uconst), or rbp + off
 * (DW_OP_breg6, as GCC emits after realigning the stack). */
struct cfi_rule_reg cfi_rule__reg_expr(const uint8_t *p, size_t len)
{
	struct op o[MAX_OPS];
	int n = decode_ops(p, len, o);

	if (n == 0)
		return (struct cfi_rule_reg){ .kind = CFI_REG_AT_CFA };
	if (n == 1 && o[0].atom == DW_OP_plus_uconst)
		return (struct cfi_rule_reg){ .kind = CFI_REG_AT_CFA, .off = o[0].num };
	if (n == 1 && is_breg(&o[0], CFI_R_RBP))
		return (struct cfi_rule_reg){ .kind = CFI_REG_AT_RBP, .off = o[0].num };
	return (struct cfi_rule_reg){ .kind = CFI_REG_OTHER };
}

/* --- rows ----------------------------------------------------------------------- */

struct cfi_rule_state cfi_rule__abi(void)
{
	return (struct cfi_rule_state){ .rbp.kind = CFI_REG_SAME, .rbx.kind = CFI_REG_SAME };
}

/* rbp's and rbx's rules share their numbers, so one translation serves both */
_Static_assert(UW_RBP_SAME == (int)UW_RBX_SAME && UW_RBP_AT_CFA == (int)UW_RBX_AT_CFA &&
	       UW_RBP_UNDEFINED == (int)UW_RBX_UNDEFINED, "uw_rbp_rule and uw_rbx_rule");

/* A saved register's rule as a row holds it: the enum uw_rbp_rule value in
 * *ret_rule (UW_RBP_AT_RBP only when at_rbp), and the slot's offset in
 * units of unit bytes, within [lo, hi], in *ret_off. false when the rule
 * had to become undefined: saved in another register, by another
 * expression, or where the offset cannot say. */
static bool saved_rule(const struct cfi_rule_reg *g, bool at_rbp, int64_t unit, int64_t lo,
		       int64_t hi, uint8_t *ret_rule, int64_t *ret_off)
{
	*ret_off = 0;
	switch (g->kind) {
	case CFI_REG_UNDEF:
		*ret_rule = UW_RBP_UNDEFINED;
		return true;
	case CFI_REG_UNSPEC:
	case CFI_REG_SAME:
		*ret_rule = UW_RBP_SAME;
		return true;
	case CFI_REG_AT_CFA:
	case CFI_REG_AT_RBP:
		if ((g->kind == CFI_REG_AT_CFA || at_rbp) && g->off % unit == 0 &&
		    g->off / unit >= lo && g->off / unit <= hi) {
			*ret_rule = g->kind == CFI_REG_AT_CFA ? UW_RBP_AT_CFA : UW_RBP_AT_RBP;
			*ret_off = g->off / unit;
			return true;
		}
		break;
	}
	*ret_rule = UW_RBP_UNDEFINED;
	return false;
}

struct uw_rule cfi_rule__translate(const struct cfi_rule_state *s, bool signal,
				   uint64_t *unsupported)
{
	const struct uw_rule unsup = { .cfa = UW_CFA_UNSUPPORTED };
	struct uw_rule r = { 0 };
	uint8_t rule;
	int64_t off;
	bool lost;

	/* the caller's rip: undefined marks the outermost frame */
	if (s->ra.kind == CFI_REG_UNDEF || s->ra.kind == CFI_REG_UNSPEC) {
		r.cfa = UW_CFA_OUTERMOST;
		return r;
	}
	if (signal) {
		/* glibc's __restore_rt: CFA = *(rsp + offsetof(ucontext, rsp)) */
		if (s->cfa.kind == CFI_CFA_DEREF && s->cfa.reg == CFI_R_RSP) {
			r.cfa = UW_CFA_SIGNAL;
			return r;
		}
		goto out_unsupported;
	}
	switch (s->cfa.kind) {
	case CFI_CFA_REG:
		if (s->cfa.reg == CFI_R_RSP)
			r.cfa = UW_CFA_RSP;
		else if (s->cfa.reg == CFI_R_RBP)
			r.cfa = UW_CFA_RBP;
		else if (s->cfa.reg == CFI_R_RBX)
			r.cfa = UW_CFA_RBX;
		else
			goto out_unsupported;
		break;
	case CFI_CFA_DEREF:
		if (s->cfa.reg != CFI_R_RBP)
			goto out_unsupported;
		r.cfa = UW_CFA_RBP_DEREF;
		break;
	case CFI_CFA_PLT:
		r.cfa = UW_CFA_PLT;
		r.rbp_off = s->cfa.thr;
		break;
	default:
		goto out_unsupported;
	}
	if (s->cfa.off < INT32_MIN || s->cfa.off > INT32_MAX)
		goto out_unsupported;
	r.cfa_off = (int32_t)s->cfa.off;
	/* the return address must be at CFA - 8, as every x86_64 call leaves it */
	if (s->ra.kind != CFI_REG_AT_CFA || s->ra.off != -8)
		goto out_unsupported;
	if (r.cfa == UW_CFA_PLT)
		return r;	/* rbp_off holds the threshold; PLT stubs leave rbp alone */
	/* a save slot the row cannot hold loses its register (one row
	 * counted once), not the frame */
	lost = !saved_rule(&s->rbp, true, 1, INT16_MIN, INT16_MAX, &rule, &off);
	r.rbp = rule;
	r.rbp_off = (int16_t)off;
	/* rbx's slot in words (push and mov leave it aligned) */
	lost |= !saved_rule(&s->rbx, false, 8, INT8_MIN, INT8_MAX, &rule, &off);
	r.rbx = rule;
	r.rbx_off = (int8_t)off;
	if (lost)
		(*unsupported)++;
	return r;

out_unsupported:
	(*unsupported)++;
	return unsup;
}
