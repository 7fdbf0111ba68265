// SPDX-License-Identifier: MIT
/* cfi: CIE and FDE headers are parsed in one pass over a section, each
 * length checked against the section's end before it is used; FDEs find their
 * CIE by binary search among the CIEs of their section (a pointer to anything
 * else, the FDE itself included, refuses the FDE). A CIE's initial
 * instructions run once, on first use, and their resulting state is kept for
 * its FDEs and for DW_CFA_restore. A program runs front to back once: rows
 * are emitted when the location advances, so the work per FDE is its length.
 * Expressions are classified once, when their instruction runs, and rows
 * translated into struct uw_rule, by cfi_rule.
 * Depends on cfi_cur, cfi_rule, uw_table's types, base/vec and libdw's DWARF
 * constants only; never prints.
 */
#include "symbolize/cfi.h"

#include "symbolize/cfi_cur.h"
#include "symbolize/cfi_rule.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"

struct cie {
	uint32_t offset;	/* in its section */
	uint32_t insns, insns_len;
	uint64_t caf;		/* code alignment factor */
	int64_t daf;		/* data alignment factor */
	uint8_t fde_enc;	/* DW_EH_PE_* of FDE addresses */
	uint8_t sec;
	bool z;			/* FDEs carry augmentation data */
	bool signal;		/* 'S': signal trampoline frames */
	uint8_t init_status;	/* 0: not run yet, else 1 + enum cfi_status */
	struct cfi_rule_state init;	/* after the initial instructions */
};

struct cfi {
	struct uw_limits lim;
	struct uw_cfi_section secs[CFI_MAX_SECTIONS];
	size_t nsecs;
	uint64_t bytes;		/* section bytes accepted */
	struct cie *cies;
	size_t ncies, cap_cies;
	struct cfi_fde *fdes;
	size_t nfdes, cap_fdes;
	struct cfi_rule_state *stack;	/* remember_state, max_depth entries */
};

struct uw_limits uw_limits__default(void)
{
	return (struct uw_limits){
		.max_cfi_bytes = 128ULL << 20,
		.max_rows = 4U << 20,
		.max_fdes = 1U << 20,
		.max_cies = 64U << 10,
		.max_insns = 1U << 20,
		.max_depth = 64,
	};
}

struct cfi *cfi__new(const struct uw_limits *lim)
{
	struct cfi *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->lim = lim ? *lim : uw_limits__default();
	if (c->lim.max_depth > CFI_MAX_DEPTH)
		c->lim.max_depth = CFI_MAX_DEPTH;
	c->stack = calloc(c->lim.max_depth ? c->lim.max_depth : 1, sizeof(*c->stack));
	if (!c->stack) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void cfi__free(struct cfi *c)
{
	if (!c)
		return;
	free(c->stack);
	free(c->cies);
	free(c->fdes);
	free(c);
}

struct cfi_fde *cfi__fdes(struct cfi *c, size_t **ret_n)
{
	*ret_n = &c->nfdes;
	return c->fdes;
}

/* --- entries ------------------------------------------------------------------- */

/* A CIE's body after its id, in [c->p, c->end). 0 or -EINVAL (not usable). */
static int parse_cie(struct cfi_cur *c, bool eh, struct cie *ret)
{
	const uint8_t *aug, *nul;
	uint8_t version, b;
	uint64_t ra;
	int err;

	ret->fde_enc = DW_EH_PE_absptr;
	if (cfi_cur__u8(c, &version) || (version != 1 && version != 3 && (eh || version != 4)))
		return -EINVAL;
	aug = c->p;
	nul = memchr(aug, 0, (size_t)(c->end - c->p));
	if (!nul)
		return -EINVAL;
	c->p = nul + 1;
	if (version == 4) {	/* address_size, segment_selector_size */
		uint8_t as, ss;

		if (cfi_cur__u8(c, &as) || cfi_cur__u8(c, &ss) || as != 8 || ss != 0)
			return -EINVAL;
	}
	if (cfi_cur__uleb(c, &ret->caf) || cfi_cur__sleb(c, &ret->daf))
		return -EINVAL;
	if (version == 1) {
		err = cfi_cur__u8(c, &b);
		ra = b;
	} else {
		err = cfi_cur__uleb(c, &ra);
	}
	if (err)
		return err;
	if (aug[0] == 'z') {
		struct cfi_cur d;
		uint64_t len;

		if (cfi_cur__uleb(c, &len) || len > (uint64_t)(c->end - c->p))
			return -EINVAL;
		d = (struct cfi_cur){ c->p, c->p + len };
		c->p += len;
		ret->z = true;
		for (const uint8_t *a = aug + 1; *a; a++) {
			uint64_t v;

			switch (*a) {
			case 'R':
				if (cfi_cur__u8(&d, &ret->fde_enc))
					return -EINVAL;
				break;
			case 'L':
				if (cfi_cur__u8(&d, &b))
					return -EINVAL;
				break;
			case 'P':	/* the personality routine: skipped, never followed */
				if (cfi_cur__u8(&d, &b) || b == DW_EH_PE_omit ||
				    cfi_cur__encoded(&d, b & 0x0f, &(struct uw_cfi_section){ 0 }, false, &v))
					return -EINVAL;
				break;
			case 'S':
				ret->signal = true;
				break;
			case 'B':
			case 'G':
				break;
			default:
				return -EINVAL;	/* unknown: the FDE fields cannot be found */
			}
		}
	} else if (aug[0] && strcmp((const char *)aug, "S")) {
		return -EINVAL;
	} else if (aug[0] == 'S') {
		ret->signal = true;
	}
	return 0;
}

static const struct cie *cie_find(const struct cfi *c, size_t first, uint64_t offset)
{
	size_t lo = first, hi = c->ncies;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->cies[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->ncies && c->cies[lo].offset == offset ? &c->cies[lo] : NULL;
}

/* An FDE's header: its CIE from the offset parked in f->cie, its range, and
 * its program, from the body after the CIE pointer (f->insns, f->insns_len). */
static int decode_fde(const struct cfi *c, size_t first_cie, struct cfi_fde *f)
{
	const struct uw_cfi_section *sec = &c->secs[f->sec];
	const uint8_t *base = sec->data;
	struct cfi_cur cur = { base + f->insns, base + f->insns + f->insns_len };
	const struct cie *cie = cie_find(c, first_cie, f->cie);
	uint64_t start, len, auglen;

	if (!cie)
		return -EINVAL;
	if (cfi_cur__encoded(&cur, cie->fde_enc, sec, true, &start) ||
	    cfi_cur__encoded(&cur, cie->fde_enc & 0x0f, sec, false, &len))
		return -EINVAL;
	if (!len || start + len < start)
		return -EINVAL;
	if (cie->z) {
		if (cfi_cur__uleb(&cur, &auglen) || auglen > (uint64_t)(cur.end - cur.p))
			return -EINVAL;
		cur.p += auglen;
	}
	f->start = start;
	f->end = start + len;
	f->cie = (uint32_t)(cie - c->cies);
	f->insns = (uint32_t)(cur.p - base);
	f->insns_len = (uint32_t)(cur.end - cur.p);
	return 0;
}

int cfi__add_section(struct cfi *c, const struct uw_cfi_section *sec, struct uw_table_stats *st)
{
	const uint8_t *data = sec->data;
	size_t off = 0, first_cie = c->ncies, first_fde = c->nfdes, kept;
	int err;

	if (c->nsecs == CFI_MAX_SECTIONS)
		return -E2BIG;
	if (!sec->size)
		return 0;
	if (!data || sec->size > UINT32_MAX || sec->size > c->lim.max_cfi_bytes - c->bytes) {
		st->limited[UW_LIMIT_BYTES]++;
		return 0;
	}
	c->bytes += sec->size;
	c->secs[c->nsecs] = *sec;
	while (off < sec->size) {
		struct cfi_cur cur = { data + off, data + sec->size };
		uint64_t len, id;
		size_t body, end;
		bool off64 = false;

		if (cfi_cur__fixed(&cur, 4, false, &len)) {
			st->entries_bad++;	/* trailing bytes */
			break;
		}
		if (len == 0)
			break;		/* terminator */
		if (len == 0xffffffff) {
			if (cfi_cur__fixed(&cur, 8, false, &len)) {
				st->entries_bad++;
				break;
			}
			off64 = true;
		} else if (len >= 0xfffffff0) {
			st->entries_bad++;
			break;
		}
		body = (size_t)(cur.p - data);
		if (len > sec->size - body) {
			st->entries_bad++;	/* past the section: nothing after it can be found */
			break;
		}
		end = body + (size_t)len;
		cur.end = data + end;
		off = end;
		if (cfi_cur__fixed(&cur, !sec->eh && off64 ? 8 : 4, false, &id)) {
			st->entries_bad++;
			continue;
		}
		if (sec->eh ? id == 0 : id == (off64 ? ~0ULL : 0xffffffffULL)) {
			struct cie cie = { .offset = (uint32_t)(body - (off64 ? 12 : 4)),
					   .sec = (uint8_t)c->nsecs };

			if (parse_cie(&cur, sec->eh, &cie)) {
				st->entries_bad++;
				continue;
			}
			if (c->ncies >= c->lim.max_cies) {
				st->limited[UW_LIMIT_ENTRIES]++;
				continue;
			}
			cie.insns = (uint32_t)(cur.p - data);
			cie.insns_len = (uint32_t)(cur.end - cur.p);
			err = VEC_RESERVE(c->cies, c->ncies, c->cap_cies, 1);
			if (err)
				return err;
			c->cies[c->ncies++] = cie;
		} else {
			/* .eh_frame: the distance back from the pointer to its CIE;
			 * .debug_frame: the CIE's offset in the section */
			uint64_t cie_off = sec->eh ? (uint64_t)body - id : id;

			if ((sec->eh && id > body) || cie_off >= sec->size) {
				st->entries_bad++;
				continue;
			}
			if (c->nfdes >= c->lim.max_fdes) {
				st->limited[UW_LIMIT_ENTRIES]++;
				continue;
			}
			err = VEC_RESERVE(c->fdes, c->nfdes, c->cap_fdes, 1);
			if (err)
				return err;
			c->fdes[c->nfdes++] = (struct cfi_fde){
				.insns = (uint32_t)(cur.p - data),
				.insns_len = (uint32_t)(cur.end - cur.p),
				.cie = (uint32_t)cie_off,
				.sec = (uint8_t)c->nsecs,
				.debug = !sec->eh,
			};
		}
	}
	c->nsecs++;
	/* the CIEs of this section are sorted by offset: resolve the FDEs' */
	kept = first_fde;
	for (size_t i = first_fde; i < c->nfdes; i++) {
		struct cfi_fde f = c->fdes[i];

		if (decode_fde(c, first_cie, &f)) {
			st->entries_bad++;
			continue;
		}
		c->fdes[kept++] = f;
	}
	c->nfdes = kept;
	return 0;
}

/* --- programs ------------------------------------------------------------------------ */

struct run {
	struct cfi *c;
	const struct cie *cie;
	const struct uw_cfi_section *sec;
	struct cfi_rule_state s;
	const struct cfi_rule_state *init;	/* DW_CFA_restore's source */
	uint32_t depth, insns;
	uint64_t loc, end;
	bool in_cie;
	cfi_row_fn row;
	void *ctx;
	uint64_t *unsupported;
};

#define RUN_DONE (-1000)	/* the location passed the FDE's end */

static int emit(struct run *r)
{
	struct uw_rule rule = cfi_rule__translate(&r->s, r->cie->signal, r->unsupported);

	return r->row(r->ctx, r->loc, &rule);
}

static int advance(struct run *r, uint64_t to)
{
	int err;

	if (r->in_cie || to < r->loc)
		return CFI_MALFORMED;
	if (to == r->loc)
		return 0;
	err = emit(r);
	if (err)
		return err;
	r->loc = to;
	return r->loc >= r->end ? RUN_DONE : 0;
}

static int advance_by(struct run *r, uint64_t delta)
{
	uint64_t d;

	if (__builtin_mul_overflow(delta, r->cie->caf, &d) || r->loc + d < r->loc)
		return CFI_MALFORMED;
	return advance(r, r->loc + d);
}

/* The rule of a register the row form tracks in s, or NULL. */
static struct cfi_rule_reg *tracked(struct cfi_rule_state *s, uint64_t reg)
{
	switch (reg) {
	case CFI_R_RA:
		return &s->ra;
	case CFI_R_RBP:
		return &s->rbp;
	case CFI_R_RBX:
		return &s->rbx;
	}
	return NULL;
}

static void set_reg(struct run *r, uint64_t reg, struct cfi_rule_reg rule)
{
	struct cfi_rule_reg *t = tracked(&r->s, reg);

	if (t)
		*t = rule;
}

/* DW_CFA_restore: the CIE's rule; in the CIE itself, the ABI's */
static void restore(struct run *r, uint64_t reg)
{
	struct cfi_rule_state from = r->init ? *r->init : cfi_rule__abi();
	struct cfi_rule_reg *t = tracked(&r->s, reg);

	if (t)
		*t = *tracked(&from, reg);
}

/* off * data_alignment_factor, or false on overflow */
static bool scaled(const struct run *r, int64_t off, int64_t *ret)
{
	return !__builtin_mul_overflow(off, r->cie->daf, ret);
}

/* DW_CFA_def_cfa_register / _offset apply to a register + offset rule */
static bool cfa_is_reg(struct run *r)
{
	if (r->s.cfa.kind == CFI_CFA_UNSET)
		r->s.cfa.kind = CFI_CFA_REG;
	return r->s.cfa.kind == CFI_CFA_REG;
}

/* One instruction at c; CFI_OK, a CFI_* status, RUN_DONE or -ENOMEM. */
static int step(struct run *r, struct cfi_cur *c)
{
	uint64_t reg, u, len;
	int64_t s, off;
	uint8_t op;

	if (cfi_cur__u8(c, &op))
		return CFI_MALFORMED;
	switch (op & 0xc0) {
	case DW_CFA_advance_loc:
		return advance_by(r, op & 0x3f);
	case DW_CFA_offset:
		if (cfi_cur__uleb(c, &u) || u > INT64_MAX || !scaled(r, (int64_t)u, &off))
			return CFI_MALFORMED;
		set_reg(r, op & 0x3f, (struct cfi_rule_reg){ .kind = CFI_REG_AT_CFA, .off = off });
		return 0;
	case DW_CFA_restore:
		restore(r, op & 0x3f);
		return 0;
	}
	switch (op) {
	case DW_CFA_nop:
		return 0;
	case DW_CFA_set_loc:
		if (r->in_cie || cfi_cur__encoded(c, r->cie->fde_enc, r->sec, true, &u))
			return CFI_MALFORMED;
		return advance(r, u);
	case DW_CFA_advance_loc1:
	case DW_CFA_advance_loc2:
	case DW_CFA_advance_loc4:
		if (cfi_cur__fixed(c, op == DW_CFA_advance_loc1 ? 1 : op == DW_CFA_advance_loc2 ? 2 : 4,
			      false, &u))
			return CFI_MALFORMED;
		return advance_by(r, u);
	case DW_CFA_offset_extended:
	case DW_CFA_GNU_negative_offset_extended:
		if (cfi_cur__uleb(c, &reg) || cfi_cur__uleb(c, &u) || u > INT64_MAX ||
		    !scaled(r, op == DW_CFA_offset_extended ? (int64_t)u : -(int64_t)u, &off))
			return CFI_MALFORMED;
		set_reg(r, reg, (struct cfi_rule_reg){ .kind = CFI_REG_AT_CFA, .off = off });
		return 0;
	case DW_CFA_offset_extended_sf:
		if (cfi_cur__uleb(c, &reg) || cfi_cur__sleb(c, &s) || !scaled(r, s, &off))
			return CFI_MALFORMED;
		set_reg(r, reg, (struct cfi_rule_reg){ .kind = CFI_REG_AT_CFA, .off = off });
		return 0;
	case DW_CFA_val_offset:
	case DW_CFA_register:
		if (cfi_cur__uleb(c, &reg) || cfi_cur__uleb(c, &u))
			return CFI_MALFORMED;
		set_reg(r, reg, (struct cfi_rule_reg){ .kind = CFI_REG_OTHER });
		return 0;
	case DW_CFA_val_offset_sf:
		if (cfi_cur__uleb(c, &reg) || cfi_cur__sleb(c, &s))
			return CFI_MALFORMED;
		set_reg(r, reg, (struct cfi_rule_reg){ .kind = CFI_REG_OTHER });
		return 0;
	case DW_CFA_restore_extended:
		if (cfi_cur__uleb(c, &reg))
			return CFI_MALFORMED;
		restore(r, reg);
		return 0;
	case DW_CFA_undefined:
	case DW_CFA_same_value:
		if (cfi_cur__uleb(c, &reg))
			return CFI_MALFORMED;
		set_reg(r, reg, (struct cfi_rule_reg){
			.kind = op == DW_CFA_undefined ? CFI_REG_UNDEF : CFI_REG_SAME });
		return 0;
	case DW_CFA_remember_state:
		if (r->depth >= r->c->lim.max_depth)
			return CFI_LIMIT_DEPTH;
		r->c->stack[r->depth++] = r->s;
		return 0;
	case DW_CFA_restore_state:
		if (!r->depth)
			return CFI_MALFORMED;
		r->s = r->c->stack[--r->depth];
		return 0;
	case DW_CFA_def_cfa:
		if (cfi_cur__uleb(c, &reg) || cfi_cur__uleb(c, &u) || u > INT64_MAX)
			return CFI_MALFORMED;
		r->s.cfa = (struct cfi_rule_cfa){ .kind = CFI_CFA_REG, .reg = reg, .off = (int64_t)u };
		return 0;
	case DW_CFA_def_cfa_sf:
		if (cfi_cur__uleb(c, &reg) || cfi_cur__sleb(c, &s) || !scaled(r, s, &off))
			return CFI_MALFORMED;
		r->s.cfa = (struct cfi_rule_cfa){ .kind = CFI_CFA_REG, .reg = reg, .off = off };
		return 0;
	case DW_CFA_def_cfa_register:
		if (cfi_cur__uleb(c, &reg) || !cfa_is_reg(r))
			return CFI_MALFORMED;
		r->s.cfa.reg = reg;
		return 0;
	case DW_CFA_def_cfa_offset:
		if (cfi_cur__uleb(c, &u) || u > INT64_MAX || !cfa_is_reg(r))
			return CFI_MALFORMED;
		r->s.cfa.off = (int64_t)u;
		return 0;
	case DW_CFA_def_cfa_offset_sf:
		if (cfi_cur__sleb(c, &s) || !scaled(r, s, &off) || !cfa_is_reg(r))
			return CFI_MALFORMED;
		r->s.cfa.off = off;
		return 0;
	case DW_CFA_def_cfa_expression:
		if (cfi_cur__uleb(c, &len) || len > (uint64_t)(c->end - c->p))
			return CFI_MALFORMED;
		r->s.cfa = cfi_rule__cfa_expr(c->p, (size_t)len);
		c->p += len;
		return 0;
	case DW_CFA_expression:
	case DW_CFA_val_expression:
		if (cfi_cur__uleb(c, &reg) || cfi_cur__uleb(c, &len) || len > (uint64_t)(c->end - c->p))
			return CFI_MALFORMED;
		set_reg(r, reg, op == DW_CFA_expression ? cfi_rule__reg_expr(c->p, (size_t)len) :
			(struct cfi_rule_reg){ .kind = CFI_REG_OTHER });
		c->p += len;
		return 0;
	case DW_CFA_GNU_args_size:
		return cfi_cur__uleb(c, &u) ? CFI_MALFORMED : 0;
	default:
		return CFI_MALFORMED;
	}
}

static int exec(struct run *r, uint32_t insns, uint32_t len)
{
	const uint8_t *base = r->sec->data;
	struct cfi_cur c = { base + insns, base + insns + len };

	while (c.p < c.end) {
		int err;

		if (++r->insns > r->c->lim.max_insns)
			return CFI_LIMIT_INSNS;
		err = step(r, &c);
		if (err)
			return err;
	}
	return 0;
}

/* The state after a CIE's initial instructions, computed once. Registers
 * the CIE leaves alone keep the x86_64 ABI's defaults (cfi_rule__abi()). */
static int cie_init(struct cfi *c, struct cie *cie, uint32_t *insns)
{
	struct run r = { .c = c, .cie = cie, .sec = &c->secs[cie->sec], .in_cie = true };
	int st;

	if (cie->init_status)
		return cie->init_status - 1;
	r.s = cfi_rule__abi();
	/* a CIE emits no rows (advances are refused in it): only CFI_* comes back */
	st = exec(&r, cie->insns, cie->insns_len);
	cie->init = r.s;
	cie->init_status = (uint8_t)(1 + st);
	*insns = r.insns;
	return st;
}

int cfi__run_fde(struct cfi *c, const struct cfi_fde *f, cfi_row_fn row, void *ctx,
		 uint64_t *unsupported)
{
	struct cie *cie = &c->cies[f->cie];
	struct run r = { .c = c, .cie = cie, .sec = &c->secs[f->sec], .loc = f->start,
			 .end = f->end, .row = row, .ctx = ctx, .unsupported = unsupported };
	int st;

	st = cie_init(c, cie, &r.insns);
	if (st == CFI_OK) {
		r.s = cie->init;
		r.init = &cie->init;
		st = exec(&r, f->insns, f->insns_len);
		if (st == CFI_OK)
			st = emit(&r);	/* the last row, up to the FDE's end */
		else if (st == RUN_DONE)
			st = CFI_OK;
	}
	if (st == CFI_MALFORMED) {
		/* no unwinding from where the program went wrong, as libdw did */
		const struct uw_rule unsup = { .cfa = UW_CFA_UNSUPPORTED };
		int err = row(ctx, r.loc, &unsup);

		if (err)
			return err;
	}
	return st;
}
