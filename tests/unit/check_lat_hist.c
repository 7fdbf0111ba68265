// SPDX-License-Identifier: MIT
/* The bench's latency histogram: the BPF side's bucket of a value and
 * userspace's bounds of a bucket agree at every edge, and percentiles of a
 * histogram built by hand come out as the middles of the right buckets
 * (nearest rank: 99 % of 100 values is the 99th, not the 100th). */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "profiler/core/lat_hist.h"

/* n values of ns each, as the program counts them */
static void add(uint64_t c[CPROF_NR_COUNTERS], uint64_t ns, uint64_t n)
{
	c[CPROF_LAT_BUCKET0 + cprof_lat_bucket(ns)] += n;
	c[CPROF_LAT_NS] += ns * n;
}

START_TEST(test_lat_hist__bucket_of_a_value_is_the_bucket_whose_bounds_hold_it)
{
	uint64_t lo, hi, prev_hi = 0;

	for (uint32_t i = 0; i < CPROF_LAT_NR_BUCKETS; i++) {
		lat_hist__bounds(i, &lo, &hi);
		ck_assert_uint_eq(lo, prev_hi);		/* no gap, no overlap */
		ck_assert_uint_eq(cprof_lat_bucket(lo), i);
		if (hi != UINT64_MAX) {
			ck_assert_uint_eq(cprof_lat_bucket(hi - 1), i);
			/* a bucket is at most 1/16 of its lower bound wide */
			ck_assert_msg(i == 0 || (hi - lo) * 16 <= lo, "bucket %u: [%llu, %llu)", i,
				      (unsigned long long)lo, (unsigned long long)hi);
		}
		prev_hi = hi;
	}
	ck_assert_uint_eq(prev_hi, UINT64_MAX);
	ck_assert_uint_eq(cprof_lat_bucket(0), 0);
	ck_assert_uint_eq(cprof_lat_bucket(127), 0);
	ck_assert_uint_eq(cprof_lat_bucket(128), 1);
	ck_assert_uint_eq(cprof_lat_bucket(1000), 1 + (9 - 7) * 16 + 15);	/* [992, 1024) */
	ck_assert_uint_eq(cprof_lat_bucket((1ULL << 22) - 1), CPROF_LAT_NR_BUCKETS - 2);
	ck_assert_uint_eq(cprof_lat_bucket(1ULL << 22), CPROF_LAT_NR_BUCKETS - 1);
	ck_assert_uint_eq(cprof_lat_bucket(UINT64_MAX), CPROF_LAT_NR_BUCKETS - 1);
}
END_TEST

START_TEST(test_lat_hist__percentiles_are_the_middles_of_the_buckets_at_their_ranks)
{
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	struct lat_hist_summary s;

	add(c, 1000, 50);	/* [992, 1024): ranks 1..50 */
	add(c, 2000, 40);	/* [1984, 2048): 51..90 */
	add(c, 10000, 9);	/* [9728, 10240): 91..99 */
	add(c, 5000000, 1);	/* past the last bound: 100 */
	ck_assert_int_eq(lat_hist__summary(c, &s), 0);
	ck_assert_uint_eq(s.count, 100);
	ck_assert_uint_eq(s.p50_ns, 1008);
	ck_assert_uint_eq(s.p90_ns, 2016);
	ck_assert_uint_eq(s.p99_ns, 9984);
	ck_assert_double_eq_tol(s.mean_ns, (50 * 1000 + 40 * 2000 + 9 * 10000 + 5e6) / 100, 1e-9);
	ck_assert_uint_eq(lat_hist__percentile(&c[CPROF_LAT_BUCKET0], 5001), 2016);
	ck_assert_uint_eq(lat_hist__percentile(&c[CPROF_LAT_BUCKET0], 10000), 1ULL << 22);
	ck_assert_uint_eq(lat_hist__percentile(&c[CPROF_LAT_BUCKET0], 0), 1008);	/* rank 1 */
}
END_TEST

START_TEST(test_lat_hist__one_value_is_every_percentile)
{
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	struct lat_hist_summary s;

	add(c, 100, 1);		/* under the first bound: [0, 128) */
	ck_assert_int_eq(lat_hist__summary(c, &s), 0);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_uint_eq(s.p50_ns, 64);
	ck_assert_uint_eq(s.p99_ns, 64);
	ck_assert_double_eq(s.mean_ns, 100);
}
END_TEST

START_TEST(test_lat_hist__an_empty_histogram_has_no_summary)
{
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	struct lat_hist_summary s;

	c[CPROF_SAMPLES] = 10;	/* sampled, but not timed: the knob was off */
	ck_assert_int_eq(lat_hist__summary(c, &s), -ENOENT);
	ck_assert_uint_eq(lat_hist__percentile(&c[CPROF_LAT_BUCKET0], 5000), 0);
}
END_TEST

START_TEST(test_lat_hist__the_line_marks_percentiles_past_the_histogram)
{
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	struct lat_hist_summary s;
	char buf[256];

	add(c, 1000, 98);
	add(c, 6000000, 2);
	c[CPROF_LAT_CLOCK_NS] = 100 * 31;
	ck_assert_int_eq(lat_hist__summary(c, &s), 0);
	lat_hist__format(&s, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "100 target samples, P50 1008 ns, P90 1008 ns, "
			     "P99 >= 4194304 ns, mean 120980 ns (entry to exit, with its clock "
			     "reads: 31 ns each)"), "%s", buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lat_hist");
	TCase *tc = tcase_create("lat_hist");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_lat_hist__bucket_of_a_value_is_the_bucket_whose_bounds_hold_it);
	tcase_add_test(tc, test_lat_hist__percentiles_are_the_middles_of_the_buckets_at_their_ranks);
	tcase_add_test(tc, test_lat_hist__one_value_is_every_percentile);
	tcase_add_test(tc, test_lat_hist__an_empty_histogram_has_no_summary);
	tcase_add_test(tc, test_lat_hist__the_line_marks_percentiles_past_the_histogram);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
