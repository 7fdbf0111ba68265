/* SPDX-License-Identifier: MIT */
/* clock: CLOCK_MONOTONIC in nanoseconds, for rate limits, timeouts and
 * timings. Header only; libc only.
 */
#ifndef CPROF_BASE_CLOCK_H
#define CPROF_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif /* CPROF_BASE_CLOCK_H */
