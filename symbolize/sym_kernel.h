/* SPDX-License-Identifier: MIT */
/* sym_kernel: kernel addresses -> symbol and mapping. Reads /proc/kallsyms
 * once, on first use, and makes one mapping per module: "[kernel.kallsyms]"
 * for the core (build-id from /sys/kernel/notes), "[name]" for module name
 * (build-id from /sys/module/NAME/notes). Depends on kallsyms and base/ only;
 * uses only the value types of sym_session.h; never prints.
 */
#ifndef CPROF_SYM_KERNEL_H
#define CPROF_SYM_KERNEL_H

#include <stdint.h>

#include "symbolize/sym_session.h"

struct sym_kernel;

/* New, nothing read yet. NULL and errno on failure. */
struct sym_kernel *sym_kernel__new(void)
	__attribute__((warn_unused_result));
/* NULL is a no-op. */
void sym_kernel__free(struct sym_kernel *k);

/* Name one kernel address (already adjusted for a return address). Returns 0
 * with *ret_mapping (NULL when addr is in no kernel mapping) and *ret_name
 * (the raw symbol, NULL when nothing names it: unknown address, or
 * kallsyms unreadable or restricted -- then the core mapping when addr is in
 * the kernel half). Both stay valid until sym_kernel__free(). -ENOMEM. */
int sym_kernel__lookup(struct sym_kernel *k, uint64_t addr, const struct sym_mapping **ret_mapping,
		       const char **ret_name)
	__attribute__((warn_unused_result));

#endif /* CPROF_SYM_KERNEL_H */
