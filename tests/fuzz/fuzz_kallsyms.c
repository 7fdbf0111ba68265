// SPDX-License-Identifier: MIT
/* Fuzz target: kallsyms text and lookups in the table it makes. */
#include "symbolize/sym_kallsyms.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_util__cstring(data, size);
	struct sym_kallsyms *k;
	struct sym_ksym sym;

	if (!text)
		return 0;
	k = sym_kallsyms__parse_string(text);
	if (k) {
		for (size_t i = 0; i < 4; i++)
			(void)sym_kallsyms__lookup(k, fuzz_util__addr(data, size, i), &sym);
		for (size_t i = 0; i < sym_kallsyms__nmodules(k); i++) {
			const char *name;
			uint64_t start, limit;

			(void)sym_kallsyms__module(k, (uint32_t)i, &name, &start, &limit);
		}
	}
	sym_kallsyms__free(k);
	free(text);
	return 0;
}
