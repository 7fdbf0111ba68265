// SPDX-License-Identifier: MIT
/* Fuzz target: raw .eh_frame / .debug_frame bytes straight into the CFI
 * reader, without an ELF wrapper to get past (more of the reader is reached
 * than through fuzz_unwind_table). The first byte says which section kind it
 * is; the rest is the section, at address 0x401000. */
#include "symbolize/uw_table.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uw_limits lim = uw_limits__default();
	struct uw_cfi_section sec;
	struct uw_table *t;
	struct uw_rule rule;

	if (size < 1)
		return 0;
	sec = (struct uw_cfi_section){
		.data = data + 1, .size = size - 1, .addr = 0x401000,
		.text_base = 0x400000, .data_base = 0x600000, .eh = !(data[0] & 1),
	};
	t = uw_table__build_sections(&sec, 1, &lim);
	if (t)
		for (size_t i = 0; i < 8; i++)
			(void)uw_table__lookup(t, 0x400000 + fuzz_util__addr(data, size, i) % 0x10000,
					       &rule);
	uw_table__free(t);
	return 0;
}
