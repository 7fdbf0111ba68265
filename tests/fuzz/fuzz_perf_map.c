// SPDX-License-Identifier: MIT
/* Fuzz target: JIT perf maps (/tmp/perf-PID.map), written by other users. */
#include "symbolize/sym_perf_map.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sym_perf_map *m;
	const char *name;

	/* the bytes as read from the file: not NUL-terminated */
	m = sym_perf_map__parse_buf((const char *)data, size);
	if (m)
		for (size_t i = 0; i < 4; i++)
			(void)sym_perf_map__lookup(m, fuzz_util__addr(data, size, i), &name);
	sym_perf_map__free(m);
	return 0;
}
