// SPDX-License-Identifier: MIT
/* Fuzz target: jitdump files (jit-PID.dump), written by other users. The
 * input is fed whole, then again in two pieces split where its first byte
 * says, as a growing file is read. */
#include "symbolize/sym_jitdump.h"
#include "tests/fuzz/fuzz_util.h"

static void lookups(const struct sym_jitdump *d, const uint8_t *data, size_t size)
{
	const char *name;

	for (size_t i = 0; i < 4; i++)
		(void)sym_perf_map__lookup(sym_jitdump__map(d), fuzz_util__addr(data, size, i), &name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sym_jitdump *d = sym_jitdump__new();
	size_t split;
	int64_t pos;

	if (!d)
		return 0;
	(void)sym_jitdump__feed(d, data, size);
	lookups(d, data, size);
	sym_jitdump__free(d);

	d = sym_jitdump__new();
	if (!d)
		return 0;
	split = size ? (size_t)data[0] * size / 256 : 0;
	pos = sym_jitdump__feed(d, data, split);
	if (pos >= 0 && (uint64_t)pos < size)
		(void)sym_jitdump__feed(d, data + pos, size - (size_t)pos);
	lookups(d, data, size);
	sym_jitdump__free(d);
	return 0;
}
