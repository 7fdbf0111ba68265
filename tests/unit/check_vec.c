// SPDX-License-Identifier: MIT
/* vec: growing a caller's array, with overflow refused and the old array
 * kept on failure. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/vec.h"

START_TEST(test_vec__grows_and_keeps_contents)
{
	int *arr = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 100000; i++) {
		ck_assert_int_eq(VEC_RESERVE(arr, n, cap, 1), 0);
		arr[n++] = i;
	}
	ck_assert_uint_ge(cap, n);
	ck_assert_uint_le(cap, 2 * n);
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(arr[i], i);
	ck_assert_int_eq(VEC_RESERVE(arr, n, cap, 0), 0);	/* nothing to do */
	free(arr);
}
END_TEST

START_TEST(test_vec__refuses_overflow_and_keeps_the_old_array)
{
	uint64_t *arr = NULL;
	size_t n = 0, cap = 0;

	ck_assert_int_eq(VEC_RESERVE(arr, n, cap, 3), 0);
	ck_assert_uint_eq(cap, VEC_MIN_CAP);
	uint64_t *old = arr;
	ck_assert_int_eq(VEC_RESERVE(arr, n, cap, SIZE_MAX / 4), -ENOMEM);
	ck_assert_int_eq(VEC_RESERVE(arr, SIZE_MAX - 1, cap, 2), -ENOMEM);
	ck_assert_ptr_eq(arr, old);
	ck_assert_uint_eq(cap, VEC_MIN_CAP);
	free(arr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vec");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_vec__grows_and_keeps_contents);
	tcase_add_test(tc, test_vec__refuses_overflow_and_keeps_the_old_array);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
