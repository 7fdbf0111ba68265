// SPDX-License-Identifier: MIT
/* Fuzz target: JIT perf maps (/tmp/perf-PID.map), written by other users. */
#include "symbolize/perf_map.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_util__cstring(data, size);
	struct sym_perf_map *m;
	const char *name;

	if (!text)
		return 0;
	m = sym_perf_map__parse_string(text);
	if (m)
		for (size_t i = 0; i < 4; i++)
			(void)sym_perf_map__lookup(m, fuzz_util__addr(data, size, i), &name);
	sym_perf_map__free(m);
	free(text);
	return 0;
}
