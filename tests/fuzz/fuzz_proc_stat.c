// SPDX-License-Identifier: MIT
/* Fuzz target: a /proc/PID/stat line, whose comm any user sets (spaces,
 * parentheses, digits), as the agent parses it for every new process. */
#include "base/proc.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_util__cstring(data, size);
	struct proc_stat st;

	if (!line)
		return 0;
	(void)proc__parse_stat(line, &st);
	free(line);
	return 0;
}
