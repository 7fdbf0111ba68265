// SPDX-License-Identifier: MIT
/* Tests for sym_lru, the recency list under the symbolizer's bounded caches:
 * order of use, the oldest as eviction candidate, and unlinking. */
#include <check.h>
#include <stdlib.h>

#include "symbolize/sym_lru.h"

struct item {
	int id;
	struct sym_lru lru;
};

static int oldest_id(const struct sym_lru *head)
{
	struct sym_lru *n = sym_lru__oldest(head);

	return n ? sym_lru__entry(n, struct item, lru)->id : -1;
}

static int newest_id(const struct sym_lru *head)
{
	struct sym_lru *n = sym_lru__newest(head);

	return n ? sym_lru__entry(n, struct item, lru)->id : -1;
}

START_TEST(test_sym_lru__an_empty_list_has_no_oldest)
{
	struct sym_lru head;

	sym_lru__init(&head);
	ck_assert(sym_lru__empty(&head));
	ck_assert_ptr_null(sym_lru__oldest(&head));
	ck_assert_ptr_null(sym_lru__newest(&head));
}
END_TEST

START_TEST(test_sym_lru__the_oldest_is_the_least_recently_touched)
{
	struct item it[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };
	struct sym_lru head;

	sym_lru__init(&head);
	for (int i = 0; i < 3; i++) {
		sym_lru__init(&it[i].lru);
		sym_lru__push_front(&head, &it[i].lru);
	}
	ck_assert_int_eq(oldest_id(&head), 0);
	ck_assert_int_eq(newest_id(&head), 2);
	sym_lru__touch(&head, &it[0].lru);
	ck_assert_int_eq(oldest_id(&head), 1);
	ck_assert_int_eq(newest_id(&head), 0);
	/* evict everything, oldest first: 1, 2, 0 */
	int want[3] = { 1, 2, 0 };

	for (int i = 0; i < 3; i++) {
		struct sym_lru *n = sym_lru__oldest(&head);

		ck_assert_int_eq(sym_lru__entry(n, struct item, lru)->id, want[i]);
		sym_lru__unlink(n);
	}
	ck_assert(sym_lru__empty(&head));
}
END_TEST

START_TEST(test_sym_lru__unlinking_twice_is_harmless)
{
	struct item a = { .id = 7 }, b = { .id = 8 };
	struct sym_lru head;

	sym_lru__init(&head);
	sym_lru__init(&a.lru);
	sym_lru__init(&b.lru);
	sym_lru__push_front(&head, &a.lru);
	sym_lru__push_front(&head, &b.lru);
	sym_lru__unlink(&a.lru);
	sym_lru__unlink(&a.lru);
	ck_assert_int_eq(oldest_id(&head), 8);
	ck_assert_int_eq(newest_id(&head), 8);
	sym_lru__unlink(&b.lru);
	ck_assert(sym_lru__empty(&head));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_lru");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_lru__an_empty_list_has_no_oldest);
	tcase_add_test(tc, test_sym_lru__the_oldest_is_the_least_recently_touched);
	tcase_add_test(tc, test_sym_lru__unlinking_twice_is_harmless);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
