// SPDX-License-Identifier: MIT
/* Fuzz target: compiling an ELF image's .eh_frame / .debug_frame into unwind
 * rows, as cprof does for every binary a target maps, then lookups. */
#include <gelf.h>
#include <libelf.h>

#include "symbolize/uw_table.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_util__cstring(data, size);	/* elf_memory wants it writable */
	struct uw_table *t;
	struct uw_rule rule;
	Elf *elf;

	if (!copy)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_memory(copy, size);
	if (elf) {
		t = uw_table__build(elf, NULL, NULL);
		if (t) {
			for (size_t i = 0; i < 8; i++)
				(void)uw_table__lookup(t, fuzz_util__addr(data, size, i), &rule);
			(void)uw_table__stats(t);
		}
		uw_table__free(t);
		elf_end(elf);
	}
	free(copy);
	return 0;
}
