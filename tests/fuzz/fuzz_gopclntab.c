// SPDX-License-Identifier: MIT
/* Fuzz target: a Go binary's function table (.gopclntab, found through the
 * ELF image or its moduledata), as the symbolizer reads stripped Go binaries
 * that other users run, then lookups with inline chains. */
#include "symbolize/sym_gopclntab.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_util__cstring(data, size);	/* libelf wants it writable */
	struct sym_elf_frame frames[16];
	struct sym_gopclntab *g;

	if (!copy)
		return 0;
	g = sym_gopclntab__from_image(copy, size);
	if (g) {
		(void)sym_gopclntab__version(g);
		for (size_t i = 0; i < 8; i++) {
			uint64_t a = fuzz_util__addr(data, size, i);

			(void)sym_gopclntab__resolve(g, a, frames, 16);
			(void)sym_gopclntab__resolve(g, 0x400000 + a % 0x100000, frames, 16);
		}
	}
	sym_gopclntab__free(g);
	free(copy);
	return 0;
}
