// SPDX-License-Identifier: MIT
/* map_drain against a fake hash map: every key handed out exactly once and
 * the map left empty, past 1024 keys (where the old clear_map() reallocated
 * its key buffer under a live pointer) and past 64 Ki keys, by batch and by
 * walk, and when the callback fails part-way (the old drain returned then
 * and left the slot full, to be counted again). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "profiler/core/map_drain.h"
#include "tests/fake_map.h"

struct key {
	uint32_t id;
	uint32_t pad;
	char rest[32];		/* the size of a count key */
};

struct seen {
	uint32_t *times;
	uint64_t sum;
	size_t calls, fail_at;	/* fail_at > 0: the fail_at-th call returns -ENOMEM */
};

static int count_entry(void *arg, const void *key, const void *value)
{
	struct seen *s = arg;
	const struct key *k = key;
	const uint64_t *v = value;

	s->times[k->id]++;
	s->sum += v[0] + v[1];
	return ++s->calls == s->fail_at ? -ENOMEM : 0;
}

static struct fake_map *filled(size_t n)
{
	struct fake_map *m = fake_map__new(sizeof(struct key), 2 * sizeof(uint64_t), n);

	for (size_t i = 0; i < n; i++) {
		struct key k = { .id = (uint32_t)i };
		uint64_t v[2] = { 1, 2 };

		memset(k.rest, (int)(i * 7), sizeof(k.rest));
		ck_assert_int_eq(fake_map__add(m, &k, v), 0);
	}
	return m;
}

/* Drains n keys and checks each came out once, the values intact, none left. */
static void drain_and_check(size_t n, int batch, uint32_t chunk)
{
	struct fake_map *m = filled(n);
	struct seen s = { .times = calloc(n, sizeof(uint32_t)) };
	struct map_drain_opts o = { .key_size = sizeof(struct key), .value_size = 2 * sizeof(uint64_t),
				    .chunk = chunk };
	int64_t got;

	m->batch_ok = batch;
	got = map_drain__run(&fake_map_ops, m, &o, count_entry, &s);
	ck_assert_int_eq(got, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(s.times[i] == 1, "key %zu handed out %u times", i, s.times[i]);
	ck_assert_uint_eq(s.sum, 3 * n);
	ck_assert_uint_eq(m->live, 0);
	if (!batch)	/* each key deleted once: nothing read after its delete */
		ck_assert_uint_eq(m->deletes, n);
	free(s.times);
	fake_map__free(m);
}

START_TEST(test_map_drain__walk_hands_out_1500_keys_exactly_once)
{
	drain_and_check(1500, 0, 0);
}
END_TEST

START_TEST(test_map_drain__walk_hands_out_70000_keys_exactly_once)
{
	drain_and_check(70000, 0, 0);
}
END_TEST

START_TEST(test_map_drain__batch_hands_out_70000_keys_exactly_once)
{
	drain_and_check(70000, 1, 0);
}
END_TEST

START_TEST(test_map_drain__odd_chunks_and_a_one_key_map_drain_whole)
{
	drain_and_check(1, 0, 0);
	drain_and_check(1, 1, 0);
	drain_and_check(1025, 0, 7);
	drain_and_check(1025, 1, 7);
	drain_and_check(0, 0, 0);
}
END_TEST

START_TEST(test_map_drain__batch_failing_part_way_falls_back_to_the_walk)
{
	size_t n = 5000;
	struct fake_map *m = filled(n);
	struct seen s = { .times = calloc(n, sizeof(uint32_t)) };
	struct map_drain_opts o = { .key_size = sizeof(struct key), .value_size = 2 * sizeof(uint64_t) };

	m->batch_ok = 1;
	m->batch_enospc_after = 3;	/* two batches of 1024, then a bucket too big */
	ck_assert_int_eq(map_drain__run(&fake_map_ops, m, &o, count_entry, &s), (int64_t)n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(s.times[i] == 1, "key %zu handed out %u times", i, s.times[i]);
	ck_assert_uint_eq(m->live, 0);
	ck_assert_uint_eq(m->deletes, n - 2048);
	free(s.times);
	fake_map__free(m);
}
END_TEST

/* The old drain returned on ENOMEM with the slot still full: the next drain
 * counted the same samples again. */
static void fail_part_way(int batch)
{
	size_t n = 3000;
	struct fake_map *m = filled(n);
	struct seen s = { .times = calloc(n, sizeof(uint32_t)), .fail_at = 100 };
	struct map_drain_opts o = { .key_size = sizeof(struct key), .value_size = 2 * sizeof(uint64_t) };

	m->batch_ok = batch;
	ck_assert_int_eq(map_drain__run(&fake_map_ops, m, &o, count_entry, &s), -ENOMEM);
	ck_assert_uint_eq(m->live, 0);
	ck_assert_int_eq(map_drain__run(&fake_map_ops, m, &o, count_entry, &s), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(s.times[i] == 1, "key %zu handed out %u times", i, s.times[i]);
	free(s.times);
	fake_map__free(m);
}

START_TEST(test_map_drain__a_failing_callback_still_empties_the_map_once)
{
	fail_part_way(0);
	fail_part_way(1);
}
END_TEST

START_TEST(test_map_drain__keys_only_deletes_without_lookups)
{
	size_t n = 20000;
	struct fake_map *m = filled(n);
	struct map_drain_opts o = { .key_size = sizeof(struct key) };

	ck_assert_int_eq(map_drain__run(&fake_map_ops, m, &o, NULL, NULL), (int64_t)n);
	ck_assert_uint_eq(m->live, 0);
	ck_assert_uint_eq(m->lookups, 0);
	fake_map__free(m);
}
END_TEST

static int refuse_delete(void *map, const void *key)
{
	(void)map; (void)key;
	return -EPERM;
}

START_TEST(test_map_drain__a_map_error_is_returned_and_nothing_is_handed_out_undeleted)
{
	struct fake_map *m = filled(10);
	struct map_ops ops = fake_map_ops;
	struct seen s = { .times = calloc(10, sizeof(uint32_t)) };
	struct map_drain_opts o = { .key_size = sizeof(struct key), .value_size = 2 * sizeof(uint64_t) };

	ops.delete = refuse_delete;
	ops.lookup_and_delete_batch = NULL;
	ck_assert_int_eq(map_drain__run(&ops, m, &o, count_entry, &s), -EPERM);
	ck_assert_uint_eq(s.calls, 0);
	free(s.times);
	fake_map__free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("map_drain");
	TCase *tc = tcase_create("fake map");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_map_drain__walk_hands_out_1500_keys_exactly_once);
	tcase_add_test(tc, test_map_drain__walk_hands_out_70000_keys_exactly_once);
	tcase_add_test(tc, test_map_drain__batch_hands_out_70000_keys_exactly_once);
	tcase_add_test(tc, test_map_drain__odd_chunks_and_a_one_key_map_drain_whole);
	tcase_add_test(tc, test_map_drain__batch_failing_part_way_falls_back_to_the_walk);
	tcase_add_test(tc, test_map_drain__a_failing_callback_still_empties_the_map_once);
	tcase_add_test(tc, test_map_drain__keys_only_deletes_without_lookups);
	tcase_add_test(tc, test_map_drain__a_map_error_is_returned_and_nothing_is_handed_out_undeleted);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
