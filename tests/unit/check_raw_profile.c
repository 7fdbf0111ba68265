// SPDX-License-Identifier: MIT
/* raw_profile: stacks intern by content, samples merge on their whole key and
 * nothing else, totals add up across thousands of entries (table growth). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/core/raw_profile.h"

START_TEST(test_raw_profile__interns_stacks_by_content)
{
	struct raw_profile *rp = raw_profile__new();
	uint64_t a[] = { 0x401000, 0x401100, 0x401200 }, b[] = { 0x401000, 0x401100 };
	int ia = raw_profile__intern_stack(rp, a, 3), ib = raw_profile__intern_stack(rp, b, 2);

	ck_assert_int_ge(ia, 0);
	ck_assert_int_ne(ia, ib);
	ck_assert_int_eq(raw_profile__intern_stack(rp, a, 3), ia);
	ck_assert_int_eq(raw_profile__stack(rp, ia)->nr, 3);
	ck_assert_uint_eq(raw_profile__stack(rp, ia)->ips[2], 0x401200);
	ck_assert_ptr_null(raw_profile__stack(rp, RAW_STACK_NONE));
	raw_profile__free(rp);
}
END_TEST

START_TEST(test_raw_profile__merges_samples_with_the_same_key_only)
{
	struct raw_profile *rp = raw_profile__new();
	struct raw_sample s = { .pid = 10, .tid = 11, .start_ticks = 5, .comm = "worker",
				.ustack = 0, .kstack = RAW_STACK_NONE, .count = 3 };

	ck_assert_int_eq(raw_profile__add(rp, &s), 0);
	s.count = 4;
	ck_assert_int_eq(raw_profile__add(rp, &s), 0);
	s.tid = 12;		/* another thread */
	ck_assert_int_eq(raw_profile__add(rp, &s), 0);
	s.tid = 11;
	s.start_ticks = 6;	/* a reused pid is another process */
	ck_assert_int_eq(raw_profile__add(rp, &s), 0);
	s.start_ticks = 5;
	strcpy(s.comm, "renamed");
	ck_assert_int_eq(raw_profile__add(rp, &s), 0);

	ck_assert_uint_eq(raw_profile__nr_samples(rp), 4);
	ck_assert_uint_eq(raw_profile__sample(rp, 0)->count, 7);
	ck_assert_uint_eq(raw_profile__total(rp), 7 + 4 + 4 + 4);
	raw_profile__free(rp);
}
END_TEST

START_TEST(test_raw_profile__keeps_every_count_across_table_growth)
{
	struct raw_profile *rp = raw_profile__new();
	uint64_t sum = 0;

	for (int round = 0; round < 2; round++)
		for (uint32_t i = 0; i < 50000; i++) {
			uint64_t ips[2] = { 0x1000 + i, 0x2000 };
			struct raw_sample s = { .pid = i % 97, .tid = i, .count = i % 5 + 1 };

			s.ustack = raw_profile__intern_stack(rp, ips, 2);
			s.kstack = RAW_STACK_NONE;
			ck_assert_int_ge(s.ustack, 0);
			ck_assert_int_eq(raw_profile__add(rp, &s), 0);
			sum += s.count;
		}
	ck_assert_uint_eq(raw_profile__nr_samples(rp), 50000);
	ck_assert_uint_eq(raw_profile__total(rp), sum);
	for (size_t i = 0; i < raw_profile__nr_samples(rp); i++) {
		const struct raw_sample *s = raw_profile__sample(rp, i);

		ck_assert_uint_eq(s->count, 2 * (s->tid % 5 + 1));
		ck_assert_uint_eq(raw_profile__stack(rp, s->ustack)->ips[0], 0x1000 + s->tid);
	}
	raw_profile__free(rp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raw_profile");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_raw_profile__interns_stacks_by_content);
	tcase_add_test(tc, test_raw_profile__merges_samples_with_the_same_key_only);
	tcase_add_test(tc, test_raw_profile__keeps_every_count_across_table_growth);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
