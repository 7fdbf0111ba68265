// SPDX-License-Identifier: MIT
/* Fuzz target: an ELF image (symbols, DWARF lines and inline chains through
 * libdw) as the symbolizer opens binaries that other users map. */
#include "symbolize/sym_elf.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sym_elf_frame frames[16];
	struct sym_elf *e;
	uint64_t vaddr;

	/* no debug directories: only what the image itself holds */
	e = sym_elf__open_image("fuzz", data, size, "");
	if (!e)
		return 0;
	(void)sym_elf__build_id(e);
	for (size_t i = 0; i < 4; i++) {
		uint64_t a = fuzz_util__addr(data, size, i);

		(void)sym_elf__resolve(e, a, frames, 16);
		if (sym_elf__offset_to_vaddr(e, a & 0xffffff, &vaddr) == 0)
			(void)sym_elf__resolve(e, vaddr, frames, 16);
	}
	sym_elf__free(e);
	return 0;
}
