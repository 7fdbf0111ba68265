// SPDX-License-Identifier: MIT
/* Fuzz target: CPython line tables (co_lnotab, 3.10's co_linetable, the
 * 3.11+ location table) and str bodies, as cprof reads them from the memory
 * of Python processes other users run. The first byte picks the format. */
#include "symbolize/sym_python_mem.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[64];

	if (size < 1)
		return 0;
	for (uint32_t i = 0; i < 8; i++) {
		uint32_t off = (uint32_t)fuzz_util__addr(data, size, i) % 70000;

		(void)sym_py_mem__line((enum sym_py_lines)(1 + data[0] % 3), data + 1, size - 1,
				       data[0], off);
	}
	(void)sym_py_mem__utf8(1, data, size, buf, sizeof(buf));
	(void)sym_py_mem__utf8(2, data, size / 2, buf, sizeof(buf));
	(void)sym_py_mem__utf8(4, data, size / 4, buf, sizeof(buf));
	return 0;
}
