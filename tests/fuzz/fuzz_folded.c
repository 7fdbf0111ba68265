// SPDX-License-Identifier: MIT
/* Fuzz target: folded stacks as `cprof flamegraph` reads them, through the
 * flame graph renderer (written to /dev/null). */
#include <stdio.h>

#include "export/flamegraph.h"
#include "export/folded_read.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flamegraph_opts opts;
	struct pb_profile *b = NULL;
	FILE *null;

	(void)folded_read__looks_like(data, size);
	if (folded_read__parse((const char *)data, size, &b, NULL) < 0)
		return 0;
	null = fopen("/dev/null", "w");
	if (null) {
		flamegraph_opts__init(&opts);
		(void)flamegraph__write(pb_profile__finish(b), &opts, null);
		fclose(null);
	}
	pb_profile__free(b);
	return 0;
}
