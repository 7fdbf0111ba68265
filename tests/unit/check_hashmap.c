// SPDX-License-Identifier: MIT
/* hashmap: the index every cache and interner of the tree sits on. Entries
 * live in the test's own array; the table maps hashes to their indices. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"

#define N 20000

static uint64_t keys[N];

static bool eq_u64(const void *ctx, uint32_t idx, const void *key)
{
	const uint64_t *arr = ctx;

	return arr[idx] == *(const uint64_t *)key;
}

static uint32_t h_of(uint64_t k)
{
	return hash__fold(hash__fnv1a(HASH_FNV1A_SEED, &k, sizeof(k)));
}

START_TEST(test_hash__fnv1a_matches_the_reference_vectors)
{
	/* FNV-1a 64 test vectors (Fowler/Noll/Vo): "", "a", "foobar" */
	ck_assert_uint_eq(hash__fnv1a_str(""), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(hash__fnv1a_str("a"), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(hash__fnv1a_str("foobar"), 0x85944171f73967e8ULL);
	ck_assert_uint_eq(hash__fnv1a(HASH_FNV1A_SEED, "foobar", 6), 0x85944171f73967e8ULL);
	ck_assert_uint_eq(hash__fold(0x0000000100000002ULL), 3);
}
END_TEST

START_TEST(test_hashmap__interns_across_growth)
{
	struct hashmap m;
	uint32_t idx;

	hashmap__init(&m, eq_u64, keys);
	ck_assert(!hashmap__find(&m, h_of(1), &(uint64_t){ 1 }, &idx));	/* empty: no table yet */
	for (uint32_t i = 0; i < N; i++) {
		keys[i] = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
		ck_assert(!hashmap__find(&m, h_of(keys[i]), &keys[i], &idx));
		ck_assert_int_eq(hashmap__insert(&m, h_of(keys[i]), i), 0);
	}
	ck_assert_uint_eq(hashmap__count(&m), N);
	for (uint32_t i = 0; i < N; i++) {
		ck_assert(hashmap__find(&m, h_of(keys[i]), &keys[i], &idx));
		ck_assert_uint_eq(idx, i);
	}
	hashmap__release(&m);
	ck_assert_uint_eq(hashmap__count(&m), 0);
	hashmap__release(&m);	/* twice is fine */
}
END_TEST

/* Every entry under the same hash: the equality callback alone tells them
 * apart, and removal in the middle of one long run keeps the rest findable. */
START_TEST(test_hashmap__colliding_hashes_and_removal_keep_every_entry_findable)
{
	struct hashmap m;
	uint32_t idx;

	hashmap__init(&m, eq_u64, keys);
	for (uint32_t i = 0; i < 500; i++) {
		keys[i] = i;
		ck_assert_int_eq(hashmap__insert(&m, 7, i), 0);
	}
	for (uint32_t i = 0; i < 500; i += 3)
		ck_assert_int_eq(hashmap__remove(&m, 7, i), 0);
	ck_assert_int_eq(hashmap__remove(&m, 7, 0), -ENOENT);
	for (uint32_t i = 0; i < 500; i++) {
		bool found = hashmap__find(&m, 7, &keys[i], &idx);

		ck_assert_int_eq(found, i % 3 != 0);
		if (found)
			ck_assert_uint_eq(idx, i);
	}
	/* renumber: entry 499 moved to slot 0 of the caller's array */
	keys[0] = keys[499];
	ck_assert_int_eq(hashmap__renumber(&m, 7, 499, 0), 0);
	ck_assert(hashmap__find(&m, 7, &keys[499], &idx));
	ck_assert_uint_eq(idx, 0);
	hashmap__clear(&m);
	ck_assert_uint_eq(hashmap__count(&m), 0);
	ck_assert(!hashmap__find(&m, 7, &keys[1], &idx));
	hashmap__release(&m);
}
END_TEST

/* Removal with wrap-around at the end of the slot array: entries homed near
 * the last slot spill into slot 0 and must move back correctly. */
START_TEST(test_hashmap__removal_wraps_around_the_end)
{
	struct hashmap m;
	uint32_t idx;

	hashmap__init(&m, eq_u64, keys);
	ck_assert_int_eq(hashmap__reserve(&m, 10), 0);	/* 64 slots */
	for (uint32_t i = 0; i < 10; i++) {
		keys[i] = i;
		hashmap__add(&m, i < 5 ? 62 : 0, i);	/* 62, 63, 0, 1, 2 then 3.. */
	}
	ck_assert_int_eq(hashmap__remove(&m, 62, 1), 0);
	ck_assert_int_eq(hashmap__remove(&m, 0, 5), 0);
	for (uint32_t i = 0; i < 10; i++) {
		bool found = hashmap__find(&m, i < 5 ? 62 : 0, &keys[i], &idx);

		ck_assert_int_eq(found, i != 1 && i != 5);
	}
	hashmap__release(&m);
}
END_TEST

START_TEST(test_hashmap__reserve_refuses_what_cannot_be_indexed)
{
	struct hashmap m;

	hashmap__init(&m, eq_u64, keys);
	ck_assert_int_eq(hashmap__reserve(&m, (size_t)UINT32_MAX), -ENOMEM);
	ck_assert_uint_eq(hashmap__count(&m), 0);
	hashmap__release(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hashmap");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_hash__fnv1a_matches_the_reference_vectors);
	tcase_add_test(tc, test_hashmap__interns_across_growth);
	tcase_add_test(tc, test_hashmap__colliding_hashes_and_removal_keep_every_entry_findable);
	tcase_add_test(tc, test_hashmap__removal_wraps_around_the_end);
	tcase_add_test(tc, test_hashmap__reserve_refuses_what_cannot_be_indexed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
