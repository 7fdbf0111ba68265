// SPDX-License-Identifier: MIT
/* Tests for export/report and export/report_units: go tool pprof's number
 * formats, and the exact text of -top, -traces and the per-process and
 * per-thread totals for a hand-built profile with an inlined function, a
 * function both inlined and called, an unsymbolized library frame and
 * cprof's labels. The expected texts are what go tool pprof 1.19 prints for
 * the same profile (tests/e2e/test-report.sh checks that against go itself). */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/pb_profile.h"
#include "export/report.h"
#include "export/report_units.h"

static const struct pb_value_type types[] = {
	{ "samples", "count" }, { "cpu", "nanoseconds" },
};

struct fixture {
	struct pb_profile *b;
	uint64_t main, mid_leaf, mid, libc, leaf;	/* location ids */
};

static void add(struct fixture *f, const uint64_t *locs, size_t n, int64_t count, int64_t pid,
		int64_t tid, const char *comm, const char *process)
{
	int64_t v[2] = { count, count * 10000000 };
	struct pb_label l[4] = {
		{ .key = "pid", .num = pid, .num_unit = "id" },
		{ .key = "tid", .num = tid, .num_unit = "id" },
		{ .key = "comm", .str = comm },
		{ .key = "process", .str = process },
	};

	ck_assert_int_eq(pb_profile__add_sample(f->b, locs, n, v, l, process ? 4 : 3), 0);
}

/* main -> mid -> leaf (inlined into mid): 6; main -> mid: 3; main -> mid ->
 * libc (no symbols): 1; with_direct: main -> leaf (a real call): 1. */
static const Perftools__Profiles__Profile *build(struct fixture *f, bool with_direct)
{
	struct pb_profile_opts o = { .sample_types = types, .n_sample_types = 2 };
	struct pb_line l_main = { .name = "main" }, l_mid = { .name = "mid" };
	struct pb_line l_leaf[2] = { { .name = "leaf" }, { .name = "mid" } };
	uint64_t app, libc;

	f->b = pb_profile__new(&o);
	ck_assert_ptr_nonnull(f->b);
	app = pb_profile__add_mapping(f->b, 0x1000, 0x2000, 0, "/usr/bin/app", "");
	libc = pb_profile__add_mapping(f->b, 0x7000, 0x8000, 0, "/lib/libc.so.6", "");
	f->main = pb_profile__add_location(f->b, app, 0x1010, &l_main, 1);
	f->mid_leaf = pb_profile__add_location(f->b, app, 0x1020, l_leaf, 2);
	f->mid = pb_profile__add_location(f->b, app, 0x1030, &l_mid, 1);
	f->libc = pb_profile__add_location(f->b, libc, 0x7010, NULL, 0);
	f->leaf = pb_profile__add_location(f->b, app, 0x1040, l_leaf, 1);
	add(f, (uint64_t[]){ f->mid_leaf, f->main }, 2, 6, 10, 10, "app", "app");
	add(f, (uint64_t[]){ f->mid, f->main }, 2, 3, 10, 11, "worker", "app");
	add(f, (uint64_t[]){ f->libc, f->mid, f->main }, 3, 1, 20, 20, "other", NULL);
	if (with_direct)
		add(f, (uint64_t[]){ f->leaf, f->main }, 2, 1, 10, 10, "app", "app");
	return pb_profile__finish(f->b);
}

static char *render(const Perftools__Profiles__Profile *p, const struct report_opts *o, int want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report__write(p, o, f), want);
	fclose(f);
	return buf;
}

START_TEST(test_report_units__scale_and_format_like_go)
{
	char b[REPORT_UNITS_BUF];

	ck_assert_str_eq(report_units__label(b, sizeof(b), 10000000, "nanoseconds", "ms"), "10ms");
	ck_assert_str_eq(report_units__label(b, sizeof(b), 1500000000, "nanoseconds", "s"), "1.50s");
	ck_assert_str_eq(report_units__label(b, sizeof(b), 686868686, "nanoseconds", "minimum"),
			 "686.87ms");
	ck_assert_str_eq(report_units__label(b, sizeof(b), 1000, "nanoseconds", "s"), "0");
	ck_assert_str_eq(report_units__label(b, sizeof(b), 1536, "bytes", "auto"), "1.50kB");
	ck_assert_str_eq(report_units__label(b, sizeof(b), -1536, "bytes", "auto"), "-1.50kB");
	ck_assert_str_eq(report_units__label(b, sizeof(b), 7200000000000, "nanoseconds", "auto"),
			 "2hrs");
	ck_assert_str_eq(report_units__label(b, sizeof(b), 123, "count", "count"), "123");
	/* a unit no family knows is printed as given, as Go does */
	ck_assert_str_eq(report_units__label(b, sizeof(b), 5, "objects", "objects"), "5objects");
	ck_assert_str_eq(report_units__percent(b, sizeof(b), 1, 1), "  100%");
	ck_assert_str_eq(report_units__percent(b, sizeof(b), 3824, 10000), "38.24%");
	ck_assert_str_eq(report_units__percent(b, sizeof(b), 5, 1000), "  0.5%");
	ck_assert_str_eq(report_units__percent(b, sizeof(b), 0, 1000), "    0%");
	ck_assert_str_eq(report_units__percent(b, sizeof(b), 0, 0), "    0%");
	/* smallest row 10ms of 4.86s: 100x it (1s) is under the total: seconds */
	ck_assert_str_eq(report_units__output(3, 10000000, 4860000000, "nanoseconds"), "s");
	ck_assert_str_eq(report_units__output(3, 10000000, 100000000, "nanoseconds"), "ms");
	ck_assert_str_eq(report_units__output(3, 2, 10, "count"), "count");
	ck_assert_str_eq(report_units__output(0, 0, 10, "nanoseconds"), "minimum");
}
END_TEST

START_TEST(test_report__top_marks_inlined_functions_and_names_unsymbolized_frames)
{
	struct fixture f;
	const Perftools__Profiles__Profile *p = build(&f, false);
	struct report_opts o;
	char *out;

	report_opts__init(&o);
	out = render(p, &o, 0);
	ck_assert_str_eq(out,
		"File: app\n"
		"Type: cpu\n"
		"Showing nodes accounting for 100ms, 100% of 100ms total\n"
		"      flat  flat%   sum%        cum   cum%\n"
		"      60ms 60.00% 60.00%       60ms 60.00%  leaf (inline)\n"
		"      30ms 30.00% 90.00%      100ms   100%  mid\n"
		"      10ms 10.00%   100%       10ms 10.00%  [libc.so.6]\n"
		"         0     0%   100%      100ms   100%  main\n");
	free(out);
	o.cum = true;
	o.nodecount = 2;
	o.sample_index = "samples";
	out = render(p, &o, 0);
	ck_assert_str_eq(out,
		"File: app\n"
		"Type: samples\n"
		"Showing nodes accounting for 3, 30.00% of 10 total\n"
		"Showing top 2 nodes out of 4\n"
		"      flat  flat%   sum%        cum   cum%\n"
		"         0     0%     0%         10   100%  main\n"
		"         3 30.00% 30.00%         10   100%  mid\n");
	free(out);
	pb_profile__free(f.b);
}
END_TEST

START_TEST(test_report__a_function_both_inlined_and_called_is_partial_inline)
{
	struct fixture f;
	const Perftools__Profiles__Profile *p = build(&f, true);
	struct report_opts o;
	char *out;

	report_opts__init(&o);
	out = render(p, &o, 0);
	ck_assert_ptr_nonnull(strstr(out, "      70ms 63.64% 63.64%       70ms 63.64%  leaf "
					  "(partial-inline)\n"));
	free(out);
	pb_profile__free(f.b);
}
END_TEST

START_TEST(test_report__drops_functions_under_the_node_fraction)
{
	struct fixture f;
	const Perftools__Profiles__Profile *p = build(&f, false);
	struct report_opts o;
	char *out;

	report_opts__init(&o);
	o.nodefraction = 0.2;	/* 20ms: [libc.so.6] (10ms) goes */
	out = render(p, &o, 0);
	ck_assert_ptr_nonnull(strstr(out, "Showing nodes accounting for 90ms, 90.00% of 100ms total\n"
					  "Dropped 1 node (cum <= 20ms)\n"));
	ck_assert_ptr_null(strstr(out, "libc"));
	free(out);
	pb_profile__free(f.b);
}
END_TEST

START_TEST(test_report__focus_keeps_shares_of_the_whole_profile)
{
	struct fixture f;
	const Perftools__Profiles__Profile *p = build(&f, false);
	struct report_opts o;
	char *out;

	report_opts__init(&o);
	o.focus = "^leaf$";
	out = render(p, &o, 0);
	ck_assert_str_eq(out,
		"File: app\n"
		"Type: cpu\n"
		"Active filters:\n"
		"   focus=^leaf$\n"
		"Showing nodes accounting for 60ms, 60.00% of 100ms total\n"
		"      flat  flat%   sum%        cum   cum%\n"
		"      60ms 60.00% 60.00%       60ms 60.00%  leaf (inline)\n"
		"         0     0% 60.00%       60ms 60.00%  main\n"
		"         0     0% 60.00%       60ms 60.00%  mid\n");
	free(out);
	/* a mapping file matches too; --ignore drops what it matches */
	o.focus = "libc";
	o.ignore = "^main$";
	free(render(p, &o, -ENOMSG));
	o.focus = "nothing-like-this";
	o.ignore = NULL;
	free(render(p, &o, -ENOMSG));
	pb_profile__free(f.b);
}
END_TEST

START_TEST(test_report__traces_print_labels_sorted_then_frames_leaf_first)
{
	struct fixture f;
	const Perftools__Profiles__Profile *p = build(&f, false);
	struct report_opts o;
	char *out;

	report_opts__init(&o);
	o.kind = REPORT_TRACES;
	out = render(p, &o, 0);
	ck_assert_str_eq(out,
		"File: app\n"
		"Type: cpu\n"
		"-----------+-------------------------------------------------------\n"
		"      comm:  app\n"
		"   process:  app\n"
		"       pid:  10\n"
		"       tid:  10\n"
		"      60ms   leaf (inline)\n"
		"             mid\n"
		"             main\n"
		"-----------+-------------------------------------------------------\n"
		"      comm:  worker\n"
		"   process:  app\n"
		"       pid:  10\n"
		"       tid:  11\n"
		"      30ms   mid\n"
		"             main\n"
		"-----------+-------------------------------------------------------\n"
		"      comm:  other\n"
		"       pid:  20\n"
		"       tid:  20\n"
		"      10ms   [libc.so.6]\n"
		"             mid\n"
		"             main\n"
		"-----------+-------------------------------------------------------\n");
	free(out);
	pb_profile__free(f.b);
}
END_TEST

START_TEST(test_report__totals_per_process_and_per_thread)
{
	struct fixture f;
	const Perftools__Profiles__Profile *p = build(&f, false);
	struct report_opts o;
	char *out;

	report_opts__init(&o);
	o.kind = REPORT_PROCESSES;
	out = render(p, &o, 0);
	ck_assert_str_eq(strstr(out, "Showing"),
		"Showing 2 processes accounting for 100ms, 100% of 100ms total\n"
		"     total total%   sum%        pid  process\n"
		"      90ms 90.00% 90.00%         10  app\n"
		"      10ms 10.00%   100%         20  other\n");
	free(out);
	o.kind = REPORT_THREADS;
	out = render(p, &o, 0);
	ck_assert_str_eq(strstr(out, "Showing"),
		"Showing 3 threads accounting for 100ms, 100% of 100ms total\n"
		"     total total%   sum%        pid        tid  thread (process)\n"
		"      60ms 60.00% 60.00%         10         10  app\n"
		"      30ms 30.00% 90.00%         10         11  worker (app)\n"
		"      10ms 10.00%   100%         20         20  other\n");
	free(out);
	pb_profile__free(f.b);
}
END_TEST

START_TEST(test_report__sample_index_by_name_number_or_default)
{
	struct fixture f;
	const Perftools__Profiles__Profile *p = build(&f, false);
	struct report_opts o;

	ck_assert_int_eq(report__sample_index(p, NULL), 1);
	ck_assert_int_eq(report__sample_index(p, "0"), 0);
	ck_assert_int_eq(report__sample_index(p, "cpu"), 1);
	ck_assert_int_eq(report__sample_index(p, "inuse_samples"), 0);
	ck_assert_int_eq(report__sample_index(p, "2"), -ENOENT);
	ck_assert_int_eq(report__sample_index(p, "alloc_space"), -ENOENT);
	report_opts__init(&o);
	o.sample_index = "bytes";
	free(render(p, &o, -ENOENT));
	pb_profile__free(f.b);
}
END_TEST

/* A name with terminal escapes is printed with them defused. */
START_TEST(test_report__control_characters_in_names_are_not_written)
{
	struct pb_profile_opts po = { .sample_types = types, .n_sample_types = 2 };
	struct pb_line l = { .name = "evil\x1b]0;owned\x07" };
	struct pb_profile *b = pb_profile__new(&po);
	struct report_opts o;
	int64_t v[2] = { 1, 1 };
	uint64_t loc;
	char *out;

	loc = pb_profile__add_location(b, 0, 0x10, &l, 1);
	ck_assert_int_eq(pb_profile__add_sample(b, &loc, 1, v, NULL, 0), 0);
	report_opts__init(&o);
	out = render(pb_profile__finish(b), &o, 0);
	ck_assert_ptr_nonnull(strstr(out, "  evil?]0;owned?\n"));
	ck_assert_ptr_null(strchr(out, '\x1b'));
	free(out);
	pb_profile__free(b);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_report_units__scale_and_format_like_go);
	tcase_add_test(tc, test_report__top_marks_inlined_functions_and_names_unsymbolized_frames);
	tcase_add_test(tc, test_report__a_function_both_inlined_and_called_is_partial_inline);
	tcase_add_test(tc, test_report__drops_functions_under_the_node_fraction);
	tcase_add_test(tc, test_report__focus_keeps_shares_of_the_whole_profile);
	tcase_add_test(tc, test_report__traces_print_labels_sorted_then_frames_leaf_first);
	tcase_add_test(tc, test_report__totals_per_process_and_per_thread);
	tcase_add_test(tc, test_report__sample_index_by_name_number_or_default);
	tcase_add_test(tc, test_report__control_characters_in_names_are_not_written);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
