// SPDX-License-Identifier: MIT
/* Fuzz target: the function-start index that names stripped code
 * (lib+0xVADDR), built from raw .eh_frame / .debug_frame bytes as
 * fuzz_cfi.c feeds them: the first byte says which kind, the rest is the
 * section at address 0x401000. */
#include "symbolize/sym_fstarts.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uw_cfi_section sec;
	struct sym_fstarts *f;
	uint64_t start;

	if (size < 1)
		return 0;
	sec = (struct uw_cfi_section){
		.data = data + 1, .size = size - 1, .addr = 0x401000,
		.text_base = 0x400000, .data_base = 0x600000, .eh = !(data[0] & 1),
	};
	f = sym_fstarts__from_sections(&sec, 1);
	if (f) {
		(void)sym_fstarts__count(f);
		for (size_t i = 0; i < 8; i++)
			(void)sym_fstarts__lookup(f, 0x400000 + fuzz_util__addr(data, size, i) % 0x10000,
						  &start);
	}
	sym_fstarts__free(f);
	return 0;
}
