// SPDX-License-Identifier: MIT
/* Fuzz target: kallsyms text and lookups in the table it makes, at addresses
 * from the input and symbol by symbol through every module's range, which
 * decodes names from every block of the compressed names. */
#include <errno.h>
#include <string.h>

#include "symbolize/sym_kallsyms.h"
#include "tests/fuzz/fuzz_util.h"

#define WALK_STEPS 4096

/* A symbol contains the address it was looked up at, and names it at one
 * pointer, with one text, every time. */
static void check(const struct sym_kallsyms *k, uint64_t addr, const struct sym_ksym *sym)
{
	struct sym_ksym again;
	int err;

	if (sym->addr > addr || addr >= sym->end || !sym->name || !*sym->name)
		__builtin_trap();
	err = sym_kallsyms__lookup(k, addr, &again);
	if (err == -ENOMEM)
		return;
	if (err < 0 || again.name != sym->name || again.addr != sym->addr || again.end != sym->end ||
	    again.module_idx != sym->module_idx)
		__builtin_trap();
}

/* Each span ends at the next symbol's start: from a module's start, one
 * lookup a symbol (a step past what names nothing). */
static void walk(const struct sym_kallsyms *k)
{
	size_t steps = 0;

	for (uint32_t m = 0; m < sym_kallsyms__nmodules(k) && steps < WALK_STEPS; m++) {
		uint64_t addr, limit;

		if (sym_kallsyms__module(k, m, NULL, &addr, &limit) < 0)
			__builtin_trap();
		while (addr < limit && steps++ < WALK_STEPS) {
			struct sym_ksym sym;

			if (sym_kallsyms__lookup(k, addr, &sym) < 0) {
				if (addr + 16 < addr)
					break;
				addr += 16;
				continue;
			}
			check(k, addr, &sym);
			addr = sym.end;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_util__cstring(data, size);
	struct sym_kallsyms *k;
	struct sym_ksym sym;

	if (!text)
		return 0;
	k = sym_kallsyms__parse_string(text);
	if (k) {
		for (size_t i = 0; i < 4; i++) {
			uint64_t addr = fuzz_util__addr(data, size, i);

			if (sym_kallsyms__lookup(k, addr, &sym) == 0)
				check(k, addr, &sym);
		}
		for (size_t i = 0; i < sym_kallsyms__nmodules(k); i++) {
			const char *name;
			uint64_t start, limit;

			(void)sym_kallsyms__module(k, (uint32_t)i, &name, &start, &limit);
		}
		walk(k);
		(void)sym_kallsyms__bytes(k);
	}
	sym_kallsyms__free(k);
	free(text);
	return 0;
}
