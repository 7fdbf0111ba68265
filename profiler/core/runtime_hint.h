/* SPDX-License-Identifier: MIT */
/* runtime_hint: counts, per language runtime (sym_runtime), the unwound
 * stacks of its processes and those that ended in JIT code, so the summary
 * can say which flag would make them whole. Counted from the samples of a
 * raw profile, however their stacks were walked (in the kernel or from a
 * copy). Counters only; never prints.
 */
#ifndef CPROF_RUNTIME_HINT_H
#define CPROF_RUNTIME_HINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/core/raw_profile.h"
#include "symbolize/sym_runtime.h"
#include "symbolize/sym_session.h"
#include "symbolize/unwinder.h"

/* Zero-initialised = nothing counted. */
struct runtime_hint {
	uint64_t stacks[SYM_NR_RUNTIMES];
	uint64_t jit_ended[SYM_NR_RUNTIMES];
};

/* Count one unwound stack of a process running r. */
void runtime_hint__add(struct runtime_hint *h, enum sym_runtime r, const struct uw_result *res);

/* Counts the user stacks of rp's samples (weighted by their counts) into
 * h: per runtime of their process in sym, and those whose walk stopped
 * (RAW_IP_MARKER) with their last frame in anonymous executable memory.
 * Each raw profile is to be counted once. */
void runtime_hint__add_profile(struct runtime_hint *h, struct sym_session *sym,
			       const struct raw_profile *rp);

/* Whether r's stacks mostly ended in JIT code, enough of them to say so. */
bool runtime_hint__due(const struct runtime_hint *h, enum sym_runtime r);

/* r's hint, "hint: 98 % of Java stacks end in JIT code: run java with ...",
 * into buf (len > 0), whether due or not. */
void runtime_hint__format_one(const struct runtime_hint *h, enum sym_runtime r, char *buf,
			      size_t len);

/* One "hint: ..." per runtime whose stacks mostly ended in JIT code, joined
 * by "; ", into buf; the number of hints (0: buf is ""). */
int runtime_hint__format(const struct runtime_hint *h, char *buf, size_t len);

#endif /* CPROF_RUNTIME_HINT_H */
