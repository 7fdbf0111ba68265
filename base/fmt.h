/* SPDX-License-Identifier: MIT */
/* fmt: integers in decimal, for hash keys built many times a second (a
 * process's "pid" or "pid:start"), where snprintf's parsing of its format
 * cost more than the lookup. Header only; libc only.
 */
#ifndef CPROF_BASE_FMT_H
#define CPROF_BASE_FMT_H

#include <stdint.h>

/* Writes v in decimal and a NUL at dst (21 bytes at most); returns the
 * NUL's address. */
static inline char *fmt__u64(char *dst, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*dst++ = tmp[--n];
	*dst = '\0';
	return dst;
}

#endif /* CPROF_BASE_FMT_H */
