// SPDX-License-Identifier: MIT
/* Fuzz target: /proc/PID/maps text, as another process's maps are read. */
#include "symbolize/sym_proc_maps.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_util__cstring(data, size);
	struct sym_proc_maps *m;

	if (!text)
		return 0;
	m = sym_proc_maps__parse_string(text);
	if (m)
		for (size_t i = 0; i < m->n; i++)
			(void)sym_proc_maps_entry__executable(&m->entries[i]);
	sym_proc_maps__free(m);
	free(text);
	return 0;
}
