// SPDX-License-Identifier: MIT
/* strmap: the string-keyed map the symbolizer's caches use, on base/hashmap. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/strmap.h"

START_TEST(test_strmap__puts_gets_and_removes_across_growth)
{
	struct strmap *h = strmap__new();
	static int vals[5000];
	char key[32];

	ck_assert_ptr_nonnull(h);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "%d:%d", i, i * 7);
		ck_assert_int_eq(strmap__put(h, key, &vals[i]), 0);
	}
	ck_assert_uint_eq(strmap__count(h), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "%d:%d", i, i * 7);
		ck_assert_ptr_eq(strmap__get(h, key), &vals[i]);
	}
	ck_assert_int_eq(strmap__remove(h, "3:21"), 0);
	ck_assert_int_eq(strmap__remove(h, "3:21"), -ENOENT);
	ck_assert_ptr_null(strmap__get(h, "3:21"));
	ck_assert_uint_eq(strmap__count(h), 4999);
	strmap__free(h);
}
END_TEST

START_TEST(test_strmap__put_replaces_and_keys_are_copied)
{
	struct strmap *m = strmap__new();
	char key[16] = "abc";
	int a, b;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(strmap__put(m, key, &a), 0);
	key[0] = 'x';	/* the map holds its own copy */
	ck_assert_ptr_eq(strmap__get(m, "abc"), &a);
	ck_assert_ptr_null(strmap__get(m, "xbc"));
	ck_assert_int_eq(strmap__put(m, "abc", &b), 0);
	ck_assert_ptr_eq(strmap__get(m, "abc"), &b);
	ck_assert_uint_eq(strmap__count(m), 1);
	strmap__clear(m);
	ck_assert_uint_eq(strmap__count(m), 0);
	ck_assert_ptr_null(strmap__get(m, "abc"));
	ck_assert_int_eq(strmap__put(m, "", &a), 0);	/* the empty key is a key */
	ck_assert_ptr_eq(strmap__get(m, ""), &a);
	strmap__free(m);
	strmap__free(NULL);
}
END_TEST

START_TEST(test_strmap__removing_every_other_key_keeps_the_rest)
{
	struct strmap *m = strmap__new();
	static int vals[3000];
	char key[32];

	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(strmap__put(m, key, &vals[i]), 0);
	}
	for (int i = 0; i < 3000; i += 2) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(strmap__remove(m, key), 0);
	}
	ck_assert_uint_eq(strmap__count(m), 1500);
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (i % 2)
			ck_assert_ptr_eq(strmap__get(m, key), &vals[i]);
		else
			ck_assert_ptr_null(strmap__get(m, key));
	}
	strmap__free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strmap");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_strmap__puts_gets_and_removes_across_growth);
	tcase_add_test(tc, test_strmap__put_replaces_and_keys_are_copied);
	tcase_add_test(tc, test_strmap__removing_every_other_key_keeps_the_rest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
