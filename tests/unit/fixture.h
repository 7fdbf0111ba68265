/* SPDX-License-Identifier: MIT */
/* fixture: where the unit tests find the fixtures the Makefile built
 * ($OUT/fixtures, OUT defaulting to build). Header only, for check tests. */
#ifndef CPROF_TESTS_UNIT_FIXTURE_H
#define CPROF_TESTS_UNIT_FIXTURE_H

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* The absolute path of fixture name into buf (PATH_MAX bytes); aborts the
 * test when it was not built. */
static inline void fixture__path(const char *name, char *buf, size_t len)
{
	const char *out = getenv("OUT") ? getenv("OUT") : "build";
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/fixtures/%s", out, name);
	if (len < PATH_MAX || !realpath(rel, buf))
		ck_abort_msg("fixture %s missing (make %s)", rel, rel);
}

#endif
