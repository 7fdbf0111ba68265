/* SPDX-License-Identifier: MIT */
/* collect: what record and agent sessions both do with drained samples before
 * symbolizing them: unwind stack-copy records into raw stacks, and recapture
 * a process's maps when its samples land in code mapped after its capture. */
#ifndef CPROF_COLLECT_H
#define CPROF_COLLECT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/sample.h"
#include "profiler/core/raw_profile.h"
#include "profiler/core/runtime_hint.h"
#include "symbolize/sym_session.h"
#include "symbolize/unwinder.h"

struct collect_unwind {
	struct sym_session *sym;
	enum uw_mode mode;
	uint32_t stack_window;	/* bytes the kernel was asked to copy */
	struct uw_stats *stats;	/* stop reasons per binary; borrowed */
	struct runtime_hint *hints; /* stacks ended in JIT code per runtime; borrowed, may be NULL */
};

/* The body of a sampler unwind callback: unwinds one record while its process
 * (usually) still lives into ips (leaf first, at most max). A stack that
 * stopped before the thread's first frame ends in RAW_IP_MARKER(reason).
 * Returns the number of ips, -EFAULT for a record without an ip, or -ENOMEM. */
int collect__unwind_record(const struct collect_unwind *cu, const struct cprof_stack_record *r,
			   const void *stack, uint64_t *ips, uint32_t max);

/* Checks the samples of rp from index `from` on (new keys are appended, so
 * a session passes what the previous call returned): a user address outside
 * its process's captured maps (ld.so or dlopen mapped code after the
 * capture) makes that process be captured again, once per call. Adds failed
 * captures to *failures and returns the index to start from next time. */
size_t collect__refresh_mappings(struct sym_session *sym, const struct raw_profile *rp,
				 size_t from, uint64_t *failures);

#endif
