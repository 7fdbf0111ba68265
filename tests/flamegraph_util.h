/* SPDX-License-Identifier: MIT */
/* Shared by check_flamegraph and check_flamegraph_limits: rendering a folded
 * text or a profile to an SVG in memory, saving it under $OUT/test-output/,
 * and reading the frames back (value, geometry, colour, name). Test-only;
 * header-only because each suite is one translation unit. */
#ifndef CPROF_TESTS_FLAMEGRAPH_UTIL_H
#define CPROF_TESTS_FLAMEGRAPH_UTIL_H

#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/flamegraph.h"
#include "export/folded_read.h"
#include "export/pprof.h"
#include "export/profile_read.h"
#include "export/profile_write.h"
#include "export/pb_profile.h"


#define CHART_W 1180.0	/* default width 1200 minus two 10 px pads */
#define FRAME_H 16.0

struct frame_rec {
	int64_t v;
	double x, y, w;
	int r, g, b;
	char name[256];		/* escaped, as in the title */
	char title[512];
};

static inline const char *out_dir(void)
{
	const char *o = getenv("OUT");

	return o && *o ? o : "build";
}

static inline char *test_output_path(const char *name)
{
	char *dir = NULL, *path = NULL;

	ck_assert_int_gt(asprintf(&dir, "%s/test-output", out_dir()), 0);
	mkdir(dir, 0755);
	ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
	free(dir);
	return path;
}

/* Parses a folded text into a finished profile; *ret_b owns it. */
static inline const Perftools__Profiles__Profile *folded(const char *text, struct pb_profile **ret_b)
{
	const Perftools__Profiles__Profile *p;

	ck_assert_int_eq(folded_read__parse(text, strlen(text), ret_b, NULL), 0);
	p = pb_profile__finish(*ret_b);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* not inlined: GCC then sees open_memstream()'s buffer as a local that
 * dangles (-Wdangling-pointer), which it is not */
static __attribute__((noinline, unused)) char *render(const Perftools__Profiles__Profile *p, const struct flamegraph_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(flamegraph__write(p, o, f), 0);
	fclose(f);
	return buf;
}

static inline void save(const char *svg, const char *name)
{
	char *path = test_output_path(name);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(svg, f);
	fclose(f);
	free(path);
}

/* xmllint exit status for svg (written to test-output/name). */
static inline int xmllint(const char *svg, const char *name)
{
	char *path = test_output_path(name), *cmd = NULL;
	int rc;

	save(svg, name);
	ck_assert_int_gt(asprintf(&cmd, "xmllint --noout '%s'", path), 0);
	rc = system(cmd);
	free(cmd);
	free(path);
	return rc;
}

static inline double attr(const char *s, const char *end, const char *name)
{
	const char *a = memmem(s, end - s, name, strlen(name));

	ck_assert_msg(a != NULL, "no %s", name);
	return strtod(a + strlen(name), NULL);
}

/* Frames in document order (pre-order); returns how many. */
static inline size_t parse_frames(const char *svg, struct frame_rec *out, size_t max)
{
	const char *s = svg, *end, *t, *te;
	size_t n = 0, len;

	while ((s = strstr(s, "<g data-v=\"")) && n < max) {
		struct frame_rec *f = &out[n++];

		end = strstr(s, "</g>");
		ck_assert_ptr_nonnull(end);
		f->v = strtoll(s + 11, NULL, 10);
		t = strstr(s, "<title>") + 7;
		te = strstr(t, "</title>");
		len = (size_t)(te - t) < sizeof(f->title) - 1 ? (size_t)(te - t) : sizeof(f->title) - 1;
		memcpy(f->title, t, len);
		f->title[len] = '\0';
		len = strrchr(f->title, '(') - f->title - 1;
		memcpy(f->name, f->title, len);
		f->name[len] = '\0';
		f->x = attr(s, end, "<rect x=\"");
		f->y = attr(s, end, " y=\"");
		f->w = attr(s, end, " width=\"");
		ck_assert_int_eq(sscanf(strstr(s, "fill=\"rgb(") + 10, "%d,%d,%d", &f->r, &f->g, &f->b), 3);
		s = end;
	}
	return n;
}

static inline const struct frame_rec *find(const struct frame_rec *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	return NULL;
}

static const char three_stacks[] =
	"main;a;hot_a 60\n"
	"main;b;hot_b 30\n"
	"main;b 7\n"
	"main;c;d;e 3\n";


#endif
