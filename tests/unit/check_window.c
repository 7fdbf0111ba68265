// SPDX-License-Identifier: MIT
/* The window bookkeeping record and agent share (profiler/core/window.h):
 * spans are numbered from 1, follow each other without gap or overlap, take
 * their wall-clock start from the window's start, and never last 0 ns. */
#include <check.h>
#include <stdlib.h>

#include "profiler/core/window.h"

START_TEST(test_window__spans_follow_each_other_without_gap)
{
	struct window w = {0};
	struct window_span a, b;

	window__start(&w, 1000000, 500);
	window__close(&w, 1000000 + 10000, 500 + 9000, &a);
	window__close(&w, 1000000 + 25000, 500 + 24000, &b);
	ck_assert_uint_eq(a.seq, 1);
	ck_assert_uint_eq(b.seq, 2);
	ck_assert_int_eq(a.time_nanos, 1000000);
	ck_assert_int_eq(a.duration_nanos, 9000);
	/* the second starts where the first closed */
	ck_assert_int_eq(b.time_nanos, 1000000 + 10000);
	ck_assert_int_eq(b.duration_nanos, 15000);
}
END_TEST

START_TEST(test_window__a_clock_that_did_not_move_still_gives_1_ns)
{
	struct window w = {0};
	struct window_span s;

	window__start(&w, 7, 42);
	window__close(&w, 7, 42, &s);
	ck_assert_int_eq(s.duration_nanos, 1);
	window__close(&w, 8, 41, &s);	/* a monotonic clock going back: never <= 0 */
	ck_assert_int_eq(s.duration_nanos, 1);
}
END_TEST

START_TEST(test_window__is_due_once_the_interval_has_passed)
{
	struct window w = {0};

	window__start(&w, 0, 1000);
	ck_assert(!window__due(&w, 1000, 10));
	ck_assert(!window__due(&w, 1009, 10));
	ck_assert(window__due(&w, 1010, 10));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("window");
	TCase *tc = tcase_create("spans");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_window__spans_follow_each_other_without_gap);
	tcase_add_test(tc, test_window__a_clock_that_did_not_move_still_gives_1_ns);
	tcase_add_test(tc, test_window__is_due_once_the_interval_has_passed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
