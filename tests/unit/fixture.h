/* SPDX-License-Identifier: MIT */
/* fixture: where the unit tests find the fixtures the Makefile built
 * ($OUT/fixtures, OUT defaulting to build). Header only, for check tests. */
#ifndef CPROF_TESTS_UNIT_FIXTURE_H
#define CPROF_TESTS_UNIT_FIXTURE_H

#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Whether a file whose path contains lib is mapped in this process (a
 * library loaded or not). */
static inline bool fixture__mapped(const char *lib)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	bool found = false;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, lib) != NULL;
	fclose(f);
	return found;
}

#endif
