/* SPDX-License-Identifier: MIT */
/* regex_bound: POSIX regcomp() behind a size bound. glibc expands every
 * repetition by copying its operand, so a short pattern such as "a++++...+" or
 * "((a{200}){200}){200}" makes regcomp allocate gigabytes. Patterns here come
 * from flags and config files (--comm, --focus); a mistyped one must fail with
 * a message, not exhaust the host. libc only.
 */
#ifndef CPROF_BASE_REGEX_BOUND_H
#define CPROF_BASE_REGEX_BOUND_H

#include <regex.h>
#include <stddef.h>

/* Longest pattern accepted, and the most regex nodes its repetitions may
 * expand to (an estimate that counts each operand copy). */
#define REGEX_BOUND_MAX_LEN	1024
#define REGEX_BOUND_MAX_NODES	10000
/* ... and the most nodes times repetition operators (each node's epsilon
 * closure grows with the repetitions around it): ~90 MB in glibc's regcomp. */
#define REGEX_BOUND_MAX_CLOSURE	500000

/* Compiles pattern into *re with cflags, as regcomp() does, after checking
 * that its expansion stays within the bounds above. 0 (free *re with
 * regfree), -E2BIG (too long or too complex: nothing compiled) or -EINVAL
 * (regcomp refused it). why (may be NULL) gets a one-line reason on failure. */
int regex_bound__compile(regex_t *re, const char *pattern, int cflags, char *why, size_t why_len)
	__attribute__((warn_unused_result));

/* The expansion estimate alone: nodes, capped at REGEX_BOUND_MAX_NODES + 1. */
size_t regex_bound__nodes(const char *pattern);

#endif
