/* SPDX-License-Identifier: MIT */
/* hex: bytes as lowercase hex digits (build-ids, keys). Header only; libc
 * only.
 */
#ifndef CPROF_BASE_HEX_H
#define CPROF_BASE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2 * n digits and a NUL at dst (2 * n + 1 bytes); returns the NUL's
 * address. */
static inline char *hex__encode(char *dst, const uint8_t *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		*dst++ = digits[src[i] >> 4];
		*dst++ = digits[src[i] & 15];
	}
	*dst = '\0';
	return dst;
}

#endif /* CPROF_BASE_HEX_H */
