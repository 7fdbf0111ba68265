// SPDX-License-Identifier: MIT
/* runtime_hint: a stack ended in JIT code when its walk stopped early with
 * its last frame in an anonymous executable mapping ("[jit]" with a perf map
 * or jitdump, "[anon]" without), the way a JIT without frame pointers or
 * unwind tables ends it.
 */
#include "profiler/core/runtime_hint.h"

#include <stdio.h>
#include <string.h>

/* "most walks": more than half, and enough of them to mean it */
#define HINT_MIN_STACKS 20

static bool jit_path(const char *path)
{
	return path && (!strcmp(path, "[jit]") || !strcmp(path, "[anon]"));
}

void runtime_hint__add(struct runtime_hint *h, enum sym_runtime r, const struct uw_result *res)
{
	if (!h || r <= SYM_RUNTIME_NONE || r >= SYM_NR_RUNTIMES)
		return;
	h->stacks[r]++;
	if (res->stop != UW_STOP_OUTERMOST && jit_path(res->stop_object))
		h->jit_ended[r]++;
}

void runtime_hint__add_profile(struct runtime_hint *h, struct sym_session *sym,
			       const struct raw_profile *rp)
{
	for (size_t i = 0; i < raw_profile__nr_samples(rp); i++) {
		const struct raw_sample *s = raw_profile__sample(rp, i);
		const struct raw_stack *u = raw_profile__stack(rp, s->ustack);
		uint64_t n = s->count ? (uint64_t)s->count : 1;	/* off-CPU: one block */
		struct sym_result r;
		enum sym_runtime rt;

		if (!u || !u->nr || !s->pid)
			continue;
		rt = sym_session__runtime(sym, (int)s->pid, s->start_ticks);
		if (rt <= SYM_RUNTIME_NONE || rt >= SYM_NR_RUNTIMES)
			continue;
		h->stacks[rt] += n;
		/* a stop marker after the last frame walked: where did it stop? */
		if (u->nr >= 2 && RAW_IP_IS_MARKER(u->ips[u->nr - 1]) &&
		    sym_session__resolve_user(sym, (int)s->pid, s->start_ticks, u->ips[u->nr - 2],
					      u->nr > 2, &r) == 0 &&
		    r.mapping && jit_path(r.mapping->path))
			h->jit_ended[rt] += n;
	}
}

bool runtime_hint__due(const struct runtime_hint *h, enum sym_runtime r)
{
	return r > SYM_RUNTIME_NONE && r < SYM_NR_RUNTIMES && h->stacks[r] >= HINT_MIN_STACKS &&
	       h->jit_ended[r] * 2 > h->stacks[r];
}

void runtime_hint__format_one(const struct runtime_hint *h, enum sym_runtime r, char *buf,
			      size_t len)
{
	snprintf(buf, len, "hint: %.0f %% of %s stacks end in JIT code: %s",
		 h->stacks[r] ? 100.0 * (double)h->jit_ended[r] / (double)h->stacks[r] : 0.0,
		 sym_runtime__name(r), sym_runtime__hint(r));
}

int runtime_hint__format(const struct runtime_hint *h, char *buf, size_t len)
{
	size_t off = 0;
	int n = 0;

	buf[0] = '\0';
	for (int r = SYM_RUNTIME_NONE + 1; r < SYM_NR_RUNTIMES; r++) {
		if (!runtime_hint__due(h, r) || off + 2 >= len)
			continue;
		if (n)
			off += (size_t)snprintf(buf + off, len - off, "; ");
		runtime_hint__format_one(h, r, buf + off, len - off);
		off += strlen(buf + off);
		n++;
	}
	return n;
}
