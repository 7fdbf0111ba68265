// SPDX-License-Identifier: MIT
/* Shared by record.c and agent.c; see collect.h. Neither function keeps state
 * of its own: the caller owns the cursor and the counters. */
#include <errno.h>

#include "profiler/core/collect.h"

int collect__unwind_record(const struct collect_unwind *cu, const struct cprof_stack_record *r,
			   const void *stack, uint64_t *ips, uint32_t max)
{
	struct uw_regs regs = { .ip = r->ip, .sp = r->sp, .bp = r->bp, .bx = r->bx };
	/* sample.bpf.c stops copying once more than CPROF_STACK_COPY_MAX minus
	 * a page is in (its verifier's bound), so a 64 KiB window can come
	 * back up to a page short: that is the window's end, a truncation,
	 * not memory that could not be read */
	uint32_t limit = r->stack_len > CPROF_STACK_COPY_MAX - 4096 ? r->stack_len : cu->stack_window;
	struct uw_stack st = { .data = stack, .len = r->stack_len, .limit = limit };
	struct uw_result res;
	uint32_t n;
	int err;

	if (!r->ip)
		return -EFAULT;
	err = sym_session__unwind(cu->sym, (int)r->tgid, r->start_ticks, cu->mode, &regs, &st,
				  ips, max - 1, &res);
	if (err == -ENOMEM)
		return err;
	if (err) {
		/* the process is gone and was never captured: its leaf only */
		res = (struct uw_result){ .nr = 1, .stop = UW_STOP_NO_MAPPING };
		ips[0] = r->ip;
	}
	/* a main thread's whole depth is known: the hint can name a window
	 * that holds it, not just one past where this walk ended */
	if (res.stop == UW_STOP_TRUNCATED && r->stack_top > r->sp &&
	    r->stack_top - r->sp > res.need)
		res.need = r->stack_top - r->sp < UINT32_MAX ? (uint32_t)(r->stack_top - r->sp)
							     : UINT32_MAX;
	if (uw_stats__add(cu->stats, &res))
		return -ENOMEM;
	if (cu->hints)
		runtime_hint__add(cu->hints, sym_session__runtime(cu->sym, (int)r->tgid,
								  r->start_ticks), &res);
	n = res.nr;
	if (res.stop != UW_STOP_OUTERMOST)
		ips[n++] = RAW_IP_MARKER(res.stop);
	return (int)n;
}

size_t collect__refresh_mappings(struct sym_session *sym, const struct raw_profile *rp,
				 size_t from, uint64_t *failures)
{
	size_t n = raw_profile__nr_samples(rp);
	uint32_t done_pid = 0;
	uint64_t done_start = 0;

	for (size_t i = from; i < n; i++) {
		const struct raw_sample *rs = raw_profile__sample(rp, i);
		const struct raw_stack *st = raw_profile__stack(rp, rs->ustack);

		if (!st || !rs->pid || (rs->pid == done_pid && rs->start_ticks == done_start))
			continue;
		for (uint32_t j = 0; j < st->nr; j++) {
			/* a marker (why an unwind stopped) is in no mapping */
			if (RAW_IP_IS_MARKER(st->ips[j]) ||
			    sym_session__covers(sym, rs->pid, rs->start_ticks, st->ips[j]))
				continue;
			if (sym_session__exec(sym, rs->pid, rs->start_ticks))
				(*failures)++;
			done_pid = rs->pid;
			done_start = rs->start_ticks;
			break;
		}
	}
	return n;
}
