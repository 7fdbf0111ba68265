/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): the input as a
 * NUL-terminated copy for the parsers that take strings. Test code only. */
#ifndef CPROF_FUZZ_UTIL_H
#define CPROF_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd copy of data with a NUL after it; NULL when out of memory. */
static inline char *fuzz_util__cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* A few addresses taken from the input, for lookups after a parse. */
static inline uint64_t fuzz_util__addr(const uint8_t *data, size_t size, size_t i)
{
	uint64_t a = 0;

	if (size >= 8)
		memcpy(&a, data + (i * 8) % (size - 7), 8);
	return a;
}

#endif
