/* SPDX-License-Identifier: MIT */
/* sym_clock: the monotonic clock the symbolizer's rate limits and build
 * timings read. Header only; libc only.
 */
#ifndef CPROF_SYM_CLOCK_H
#define CPROF_SYM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t sym_clock__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* CPROF_SYM_CLOCK_H */
