// SPDX-License-Identifier: MIT
/* regex_bound: an upper estimate of what regcomp() will build, from a single
 * pass over the ERE syntax (escapes, bracket expressions, groups,
 * repetitions), then regcomp() itself. The estimate saturates, so it cannot
 * overflow whatever the pattern. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/regex_bound.h"

#define CAP (REGEX_BOUND_MAX_NODES + 1)
#define MAX_DEPTH 64

static size_t sat_add(size_t a, size_t b)
{
	return a + b > CAP ? CAP : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
	return b && a > CAP / b ? CAP : (a * b > CAP ? CAP : a * b);
}

/* Skips a bracket expression starting at p[0] == '['; returns the index
 * after its closing ']', or the string's end. */
static size_t skip_bracket(const char *p, size_t i)
{
	i++;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	while (p[i] && p[i] != ']') {
		if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
			char kind = p[i + 1];
			const char *end;

			i += 2;
			end = p + i;
			while (*end && !(end[0] == kind && end[1] == ']'))
				end++;
			i = *end ? (size_t)(end - p) + 2 : (size_t)(end - p);
			continue;
		}
		i++;
	}
	return p[i] ? i + 1 : i;
}

/* {m}, {m,} or {m,n} at p + i: the largest count it allows (m + 1 for an
 * open range: one more copy and a star), and *ret_end after the '}'. 0 when
 * it is not a valid interval (regcomp will say so). */
static size_t interval_max(const char *p, size_t i, size_t *ret_end)
{
	char *end;
	unsigned long m, n;

	m = strtoul(p + i + 1, &end, 10);
	if (end == p + i + 1)
		return 0;
	n = m;
	if (*end == ',') {
		const char *s = end + 1;

		n = strtoul(s, &end, 10);
		if (end == s)
			n = m + 1;
	}
	if (*end != '}')
		return 0;
	*ret_end = (size_t)(end - p) + 1;
	return (m > n ? m : n) + 1;
}

/* Both estimates: nodes, and (*ret_reps) repetition operators once every
 * operand is copied. */
static size_t estimate(const char *p, size_t *ret_reps)
{
	size_t total[MAX_DEPTH + 1] = { 0 }, last[MAX_DEPTH + 1] = { 0 };
	size_t rtotal[MAX_DEPTH + 1] = { 0 }, rlast[MAX_DEPTH + 1] = { 0 };
	size_t depth = 0, i = 0, factor, end;

	*ret_reps = 0;

	while (p[i]) {
		switch (p[i]) {
		case '(':
			if (depth == MAX_DEPTH)
				return CAP;
			depth++;
			total[depth] = 1;
			last[depth] = 0;
			rtotal[depth] = rlast[depth] = 0;
			i++;
			continue;
		case ')':
			if (depth) {
				size_t g = total[depth], r = rtotal[depth--];

				total[depth] = sat_add(total[depth], g);
				last[depth] = g;
				rtotal[depth] = sat_add(rtotal[depth], r);
				rlast[depth] = r;
			}
			i++;
			continue;
		case '|':
			last[depth] = 0;
			rlast[depth] = 0;
			i++;
			continue;
		case '*': case '+': case '?':
			factor = 2;
			i++;
			break;
		case '{':
			factor = interval_max(p, i, &end);
			if (!factor) {
				i++;
				continue;
			}
			i = end;
			break;
		case '[':
			i = skip_bracket(p, i);
			last[depth] = 1;
			rlast[depth] = 0;
			total[depth] = sat_add(total[depth], 1);
			continue;
		case '\\':
			if (p[i + 1])
				i++;
			/* fall through */
		default:
			i++;
			last[depth] = 1;
			rlast[depth] = 0;
			total[depth] = sat_add(total[depth], 1);
			continue;
		}
		/* a repetition: its operand is copied factor - 1 more times, with
		 * the repetitions inside it, and the operator adds one */
		total[depth] = sat_add(total[depth], sat_mul(last[depth], factor - 1));
		last[depth] = sat_mul(last[depth], factor);
		rtotal[depth] = sat_add(rtotal[depth], sat_add(sat_mul(rlast[depth], factor - 1), 1));
		rlast[depth] = sat_add(sat_mul(rlast[depth], factor), 1);
	}
	while (depth) {
		size_t g = total[depth], r = rtotal[depth--];

		total[depth] = sat_add(total[depth], g);
		rtotal[depth] = sat_add(rtotal[depth], r);
	}
	*ret_reps = rtotal[0];
	return total[0];
}

size_t regex_bound__nodes(const char *p)
{
	size_t reps;

	return estimate(p, &reps);
}

int regex_bound__compile(regex_t *re, const char *pattern, int cflags, char *why, size_t why_len)
{
	size_t nodes, reps;
	char buf[128];
	int rc;

	if (strlen(pattern) > REGEX_BOUND_MAX_LEN) {
		if (why)
			snprintf(why, why_len, "longer than %d characters", REGEX_BOUND_MAX_LEN);
		return -E2BIG;
	}
	nodes = estimate(pattern, &reps);
	if (nodes > REGEX_BOUND_MAX_NODES) {
		if (why)
			snprintf(why, why_len, "its repetitions expand past %d nodes",
				 REGEX_BOUND_MAX_NODES);
		return -E2BIG;
	}
	/* glibc keeps an epsilon closure per node: repetitions nested in
	 * repetitions make those sets grow with nodes times repetitions
	 * ("a*++++++++++" is 2048 nodes but 700 MB) */
	if (nodes * reps > REGEX_BOUND_MAX_CLOSURE) {
		if (why)
			snprintf(why, why_len, "its nested repetitions expand into too many states");
		return -E2BIG;
	}
	rc = regcomp(re, pattern, cflags);
	if (rc) {
		if (why) {
			regerror(rc, re, buf, sizeof(buf));
			snprintf(why, why_len, "%s", buf);
		}
		return -EINVAL;
	}
	return 0;
}
