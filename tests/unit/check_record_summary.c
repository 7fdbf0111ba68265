// SPDX-License-Identifier: MIT
/* record_summary: the --stack-size a truncated walk would have fitted in. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "profiler/record_summary.h"

START_TEST(test_record_summary__suggests_the_stack_size_that_fits_the_deepest_need)
{
	/* just past the default 16 KiB window: twice it */
	ck_assert_uint_eq(record_summary__stack_size_for(16392), 32768);
	/* past 32 KiB: 64 KiB, not the 32768 the hint always said */
	ck_assert_uint_eq(record_summary__stack_size_for(40000), 65536);
	ck_assert_uint_eq(record_summary__stack_size_for(65536), 65536);
	/* past the maximum: no size would do */
	ck_assert_uint_eq(record_summary__stack_size_for(65537), 0);
	ck_assert_uint_eq(record_summary__stack_size_for(70000), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record_summary");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_record_summary__suggests_the_stack_size_that_fits_the_deepest_need);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
