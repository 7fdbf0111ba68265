// SPDX-License-Identifier: MIT
/* The walk keeps rsp, rbp, rbx and rip of the current frame and steps to
 * the caller with the row of the current pc: CFA from rsp, rbp or rbx,
 * return address at CFA - 8, rbp and rbx from their save slots. Return
 * addresses are looked up at pc - 1 (a call may be the last instruction of
 * a function); the leaf and the frame a signal interrupted are looked up at
 * their exact pc. Every read goes through the copy's bounds, so a frame past
 * the window is reported as truncated and never filled with guesses.
 * Depends on uw_table and base/vec only; never prints.
 */
#include "symbolize/unwinder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"

#define OBJ_CACHE 8

/* offsets in the x86_64 ucontext_t at a signal frame's rsp (uc_mcontext at 40) */
#define UC_RBP (40 + 10 * 8)
#define UC_RBX (40 + 11 * 8)
#define UC_RSP (40 + 15 * 8)
#define UC_RIP (40 + 16 * 8)

enum rd { RD_OK = 0, RD_BELOW, RD_BEYOND };

struct walk {
	const struct uw_stack *st;
	uint64_t base;		/* address of st->data[0] */
	uw_find_object_fn find;
	void *ctx;
	struct uw_object objs[OBJ_CACHE];
	unsigned int nobjs, next_obj;
	uint64_t need;		/* end of the furthest read past the copy */
};

static enum rd rd(struct walk *w, uint64_t addr, uint64_t *ret)
{
	uint64_t off;

	if (addr < w->base)
		return RD_BELOW;
	off = addr - w->base;
	if (off > w->st->len || w->st->len - off < 8) {
		/* how big a copy would have held it: the --stack-size hint */
		if (off + 8 > w->need)
			w->need = off + 8;
		return RD_BEYOND;
	}
	memcpy(ret, w->st->data + off, 8);
	return RD_OK;
}

/* The caller's value of a register from its save slot at addr into *reg:
 * the register's state after (state: before). */
static enum rd rd_saved(struct walk *w, uint64_t addr, uint64_t *reg, enum rd state)
{
	uint64_t v;
	enum rd r = rd(w, addr, &v);

	if (r == RD_OK) {
		*reg = v;
		return RD_OK;
	}
	/* below the stack pointer: the epilogue already popped it, the
	 * register holds the caller's value; beyond the copy: only fatal if
	 * a caller needs the register */
	return r == RD_BELOW ? state : r;
}

static enum uw_stop rd_stop(const struct walk *w, enum rd r)
{
	if (r == RD_BEYOND)
		return w->st->len < w->st->limit ? UW_STOP_COPY_SHORT : UW_STOP_TRUNCATED;
	return UW_STOP_BAD_FRAME;
}

static int find(struct walk *w, uint64_t addr, const struct uw_object **ret)
{
	int err;

	for (unsigned int i = 0; i < w->nobjs; i++)
		if (addr >= w->objs[i].start && addr < w->objs[i].limit) {
			*ret = &w->objs[i];
			return 0;
		}
	err = w->find(w->ctx, addr, &w->objs[w->next_obj]);
	if (err)
		return err;
	*ret = &w->objs[w->next_obj];
	w->next_obj = (w->next_obj + 1) % OBJ_CACHE;
	if (w->nobjs < OBJ_CACHE)
		w->nobjs++;
	return 0;
}

int uw_unwind(enum uw_mode mode, const struct uw_regs *regs, const struct uw_stack *stack,
	      uw_find_object_fn find_fn, void *ctx, uint64_t *ips, uint32_t max,
	      struct uw_result *ret)
{
	struct walk w = { .st = stack, .base = regs->sp, .find = find_fn, .ctx = ctx };
	uint64_t pc = regs->ip, sp = regs->sp, bp = regs->bp, bx = regs->bx;
	enum rd bp_state = RD_OK;	/* RD_OK: bp known; else why it is not */
	enum rd bx_state = RD_OK;	/* and bx */
	const struct uw_object *obj = NULL;
	enum uw_stop stop;
	bool exact = true, by_fp = false;
	uint32_t nr = 0;
	int err;

	if (max > UW_MAX_FRAMES)
		max = UW_MAX_FRAMES;
	ips[nr++] = pc;
	for (;;) {
		uint64_t lookup = exact ? pc : pc - 1, cfa, ra;
		struct uw_rule rule;
		enum rd r;
		bool have_rule;

		if (nr >= max) {
			stop = UW_STOP_DEPTH;
			break;
		}
		err = find(&w, lookup, &obj);
		if (err == -ENOENT) {
			stop = UW_STOP_NO_MAPPING;
			if (!by_fp) {
				obj = NULL;
			} else {
				/* rbp was not a frame pointer (code without CFI that
				 * keeps none, e.g. glibc's clone3 past its FDE's end):
				 * what it led to is no caller. Say where the walk
				 * really stopped, in the object the walk left (find()
				 * failed without touching obj), and keep the guess
				 * out of the stack. */
				nr--;
				stop = UW_STOP_NO_INFO;
			}
			break;
		}
		if (err)
			return err;
		if (lookup >= obj->entry_start && lookup < obj->entry_end) {
			/* _start of the program or of ld.so: nothing called it */
			stop = UW_STOP_OUTERMOST;
			break;
		}
		if (obj->has_rule) {
			rule = obj->rule;
			have_rule = true;
		} else {
			have_rule = obj->table &&
				    uw_table__lookup(obj->table, lookup - obj->bias, &rule) == 0;
		}
		if (!have_rule) {
			if (mode != UW_MODE_AUTO) {
				stop = UW_STOP_NO_INFO;
				break;
			}
			/* frame pointers: CFA = rbp + 16, rbp saved at CFA - 16 */
			if (bp_state != RD_OK) {
				stop = rd_stop(&w, bp_state);
				break;
			}
			if (!bp) {
				stop = UW_STOP_OUTERMOST;
				break;
			}
			rule = (struct uw_rule){ .cfa = UW_CFA_RBP, .cfa_off = 16,
						 .rbp = UW_RBP_AT_CFA, .rbp_off = -16 };
		}
		by_fp = !have_rule;

		switch (rule.cfa) {
		case UW_CFA_OUTERMOST:
			stop = UW_STOP_OUTERMOST;
			goto out;
		case UW_CFA_UNSUPPORTED:
			stop = UW_STOP_UNSUPPORTED;
			goto out;
		case UW_CFA_SIGNAL:
			/* the handler returned into __restore_rt: rsp is at the ucontext */
			if ((r = rd(&w, sp + UC_RIP, &ra)) || (r = rd(&w, sp + UC_RSP, &cfa))) {
				stop = rd_stop(&w, r);
				goto out;
			}
			bp_state = rd(&w, sp + UC_RBP, &bp);
			bx_state = rd(&w, sp + UC_RBX, &bx);
			/* the interrupted sp may be anywhere (an alternate signal
			 * stack): later reads outside the copy stop the walk */
			if (!ra) {
				stop = UW_STOP_OUTERMOST;
				goto out;
			}
			ips[nr++] = ra;
			pc = ra;
			sp = cfa;
			exact = true;	/* interrupted, not called */
			continue;
		case UW_CFA_RSP:
			cfa = sp + (int64_t)rule.cfa_off;
			break;
		case UW_CFA_PLT:
			cfa = sp + (int64_t)rule.cfa_off + ((pc & 15) >= (uint64_t)rule.rbp_off ? 8 : 0);
			break;
		case UW_CFA_RBP:
		case UW_CFA_RBP_DEREF:
			if (bp_state != RD_OK) {
				stop = rd_stop(&w, bp_state);
				goto out;
			}
			cfa = bp + (int64_t)rule.cfa_off;
			if (rule.cfa == UW_CFA_RBP_DEREF && (r = rd(&w, cfa, &cfa))) {
				stop = rd_stop(&w, r);
				goto out;
			}
			break;
		case UW_CFA_RBX:
			if (bx_state != RD_OK) {
				stop = rd_stop(&w, bx_state);
				goto out;
			}
			cfa = bx + (int64_t)rule.cfa_off;
			break;
		default:
			stop = UW_STOP_UNSUPPORTED;
			goto out;
		}
		/* a caller's frame is above its callee's */
		if (cfa <= sp) {
			stop = UW_STOP_BAD_FRAME;
			break;
		}
		r = rd(&w, cfa - 8, &ra);
		if (r) {
			stop = rd_stop(&w, r);
			break;
		}
		if (rule.rbx == UW_RBX_AT_CFA)
			bx_state = rd_saved(&w, cfa + 8 * (int64_t)rule.rbx_off, &bx, bx_state);
		else if (rule.rbx != UW_RBX_SAME)
			bx_state = RD_BELOW;	/* undefined */
		if (rule.cfa != UW_CFA_PLT) {
			switch (rule.rbp) {
			case UW_RBP_SAME:
				break;
			case UW_RBP_AT_CFA:
			case UW_RBP_AT_RBP:
				if (rule.rbp == UW_RBP_AT_RBP && bp_state != RD_OK)
					break;
				bp_state = rd_saved(&w, (rule.rbp == UW_RBP_AT_CFA ? cfa : bp) +
							(int64_t)rule.rbp_off, &bp, bp_state);
				break;
			default:
				bp_state = RD_BELOW;
			}
		}
		if (!ra) {
			stop = UW_STOP_OUTERMOST;
			break;
		}
		ips[nr++] = ra;
		pc = ra;
		sp = cfa;
		exact = false;
	}
out:
	ret->nr = nr;
	ret->stop = stop;
	ret->stop_object = obj ? obj->name : NULL;
	ret->need = stop == UW_STOP_TRUNCATED ? (uint32_t)(w.need < UINT32_MAX ? w.need : UINT32_MAX) : 0;
	return 0;
}

/* One table, both forms: the words of the summary and the profile's
 * "[unwind stopped: ...]" frame, and the snake_case label of the agent's
 * cprof_unwind_stops_total{stop=...}. */
static const struct { const char *name, *key; } stops[UW_NR_STOPS] = {
	[UW_STOP_OUTERMOST] = { "complete", "complete" },
	[UW_STOP_TRUNCATED] = { "truncated", "truncated" },
	[UW_STOP_COPY_SHORT] = { "stack unreadable", "stack_unreadable" },
	[UW_STOP_NO_INFO] = { "no unwind info", "no_unwind_info" },
	[UW_STOP_NO_MAPPING] = { "no mapping", "no_mapping" },
	[UW_STOP_UNSUPPORTED] = { "unsupported unwind rule", "unsupported_unwind_rule" },
	[UW_STOP_BAD_FRAME] = { "bad frame", "bad_frame" },
	[UW_STOP_DEPTH] = { "too deep", "too_deep" },
};

const char *uw_stop__name(enum uw_stop stop)
{
	return (unsigned int)stop < UW_NR_STOPS ? stops[stop].name : "?";
}

const char *uw_stop__key(enum uw_stop stop)
{
	return (unsigned int)stop < UW_NR_STOPS ? stops[stop].key : "unknown";
}

/* --- statistics ------------------------------------------------------------ */

struct uw_stats {
	struct uw_stats_entry total;
	struct uw_stats_entry *v;	/* v[0] is "[other]", used once the bound is hit */
	size_t n, cap, max;
};

struct uw_stats *uw_stats__new(size_t max_objects)
{
	struct uw_stats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->max = max_objects ? max_objects : 256;
	s->total.name = "";
	return s;
}

void uw_stats__free(struct uw_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free((char *)s->v[i].name);
	free(s->v);
	free(s);
}

static struct uw_stats_entry *stats_entry(struct uw_stats *s, const char *name)
{
	struct uw_stats_entry *e;

	/* a handful of binaries in practice: a linear scan, newest first */
	for (size_t i = s->n; i-- > 0;)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	if (s->n >= s->max)
		name = "[other]";
	if (s->n >= s->max) {
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->v[i].name, name))
				return &s->v[i];
	}
	if (VEC_RESERVE(s->v, s->n, s->cap, 1))
		return NULL;
	e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	s->n++;
	return e;
}

int uw_stats__add(struct uw_stats *s, const struct uw_result *r)
{
	struct uw_stats_entry *e;

	s->total.stacks++;
	s->total.stops[r->stop]++;
	e = stats_entry(s, r->stop_object ? r->stop_object : "[unknown]");
	if (!e)
		return -ENOMEM;
	e->stacks++;
	e->stops[r->stop]++;
	if (r->need > e->max_need)
		e->max_need = r->need;
	if (r->need > s->total.max_need)
		s->total.max_need = r->need;
	return 0;
}

const struct uw_stats_entry *uw_stats__total(const struct uw_stats *s)
{
	return &s->total;
}

size_t uw_stats__count(const struct uw_stats *s)
{
	return s->n;
}

const struct uw_stats_entry *uw_stats__entry(const struct uw_stats *s, size_t i)
{
	return i < s->n ? &s->v[i] : NULL;
}
