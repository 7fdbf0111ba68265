/* SPDX-License-Identifier: MIT */
/* vec: growing a caller's array. The array stays a plain `T *arr` with its
 * own count and capacity fields (so existing structs keep their shape);
 * vec__reserve() makes room for `more` entries past n, doubling, and checks
 * every multiplication for overflow. libc only; never prints.
 */
#ifndef CPROF_BASE_VEC_H
#define CPROF_BASE_VEC_H

#include <stddef.h>

/* Ensures *cap >= n + more for an array of elements of `size` bytes at *arr
 * (NULL with *cap 0 to start), reallocating it (capacity at least doubles,
 * at least VEC_MIN_CAP). 0, or -ENOMEM with *arr and *cap unchanged (the
 * old array is still valid and still the caller's). */
#define VEC_MIN_CAP 16
int vec__reserve(void **arr, size_t *cap, size_t n, size_t more, size_t size)
	__attribute__((warn_unused_result));

/* VEC_RESERVE(arr, n, cap, more) for `T *arr; size_t n, cap;`. */
#define VEC_RESERVE(arr, n, cap, more) \
	vec__reserve((void **)&(arr), &(cap), (n), (more), sizeof(*(arr)))

#endif /* CPROF_BASE_VEC_H */
