// SPDX-License-Identifier: MIT
/* vec: one realloc-doubling with overflow checks, instead of one per array. */
#include "base/vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int vec__reserve(void **arr, size_t *cap, size_t n, size_t more, size_t size)
{
	size_t want, ncap;
	void *tmp;

	if (!size || n > SIZE_MAX - more)
		return -ENOMEM;
	want = n + more;
	if (want <= *cap)
		return 0;
	ncap = *cap < VEC_MIN_CAP ? VEC_MIN_CAP : *cap;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	tmp = realloc(*arr, ncap * size);
	if (!tmp)
		return -ENOMEM;
	*arr = tmp;
	*cap = ncap;
	return 0;
}
