// SPDX-License-Identifier: MIT
/* The loss table: every counter of enum cprof_drop is a loss with a summary
 * text and a metric, or named not a loss (the agent's metrics once left out
 * two losses of the default unwind mode); texts read right for 1 and many.
 * The same for the Python walk's counters and the Python losses userspace
 * counts (the agent's metrics once had none of them). */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/core/losses.h"

static const struct loss *find(int counter)
{
	for (size_t i = 0; i < losses__nr; i++)
		if ((int)losses__table[i].counter == counter)
			return &losses__table[i];
	return NULL;
}

START_TEST(test_losses__every_counter_is_a_loss_or_named_not_one)
{
	for (int c = 0; c < CPROF_NR_COUNTERS; c++) {
		const struct loss *l = find(c);

		ck_assert_msg(!l != !losses__not_a_loss(c),
			      "counter %d: %s", c, l ? "both a loss and not one" :
			      "neither in the loss table nor named not a loss");
	}
	/* the losses of the default (auto/dwarf) mode */
	ck_assert_ptr_nonnull(find(CPROF_DROP_RECORDS_FULL));
	ck_assert_ptr_nonnull(find(CPROF_DROP_USTACK_UNREADABLE));
	ck_assert_ptr_nonnull(find(CPROF_DROP_DRAIN_NOMEM));
}
END_TEST

START_TEST(test_losses__every_loss_has_a_unique_snake_case_metric_and_both_texts)
{
	for (size_t i = 0; i < losses__nr; i++) {
		const struct loss *l = &losses__table[i];

		ck_assert_msg(l->one && *l->one && l->many && *l->many, "loss %zu without text", i);
		ck_assert_str_ne(l->one, l->many);
		ck_assert_msg(l->metric && *l->metric, "loss %zu without a metric", i);
		for (const char *p = l->metric; *p; p++)
			ck_assert_msg(islower((unsigned char)*p) || *p == '_' || isdigit((unsigned char)*p),
				      "metric %s is not snake_case", l->metric);
		for (size_t j = 0; j < i; j++) {
			ck_assert_str_ne(l->metric, losses__table[j].metric);
			ck_assert_int_ne(l->counter, losses__table[j].counter);
		}
	}
}
END_TEST

START_TEST(test_losses__the_metrics_have_a_line_per_loss_with_its_value)
{
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	char *buf = NULL, line[160];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (int i = 0; i < CPROF_NR_COUNTERS; i++)
		c[i] = 1000 + i;
	losses__write_metrics(c, f);
	fclose(f);
	ck_assert_msg(strstr(buf, "# TYPE cprof_drops_total counter\n"), "%s", buf);
	for (size_t i = 0; i < losses__nr; i++) {
		snprintf(line, sizeof(line), "cprof_drops_total{reason=\"%s\"} %d\n",
			 losses__table[i].metric, 1000 + (int)losses__table[i].counter);
		ck_assert_msg(strstr(buf, line), "no '%s' in:\n%s", line, buf);
	}
	ck_assert_msg(strstr(buf, "reason=\"stack_ring_full\""), "%s", buf);
	ck_assert_msg(strstr(buf, "reason=\"user_stack_unreadable\""), "%s", buf);
	free(buf);
}
END_TEST

START_TEST(test_losses__the_summary_says_none_or_each_loss_in_the_right_number)
{
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	char buf[512];

	losses__format(c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "none");
	c[CPROF_SAMPLES] = 500;	/* not a loss */
	losses__format(c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "none");
	c[CPROF_DROP_KSTACK_COLLISION] = 1;
	c[CPROF_DROP_USTACK_MISSING] = 3;
	c[CPROF_DROP_DRAIN_NOMEM] = 2;
	losses__format(c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1 kernel stack lost to a stack id collision, 3 user stacks the "
			 "kernel could not read (paged out, or the thread was exiting), "
			 "2 samples lost for lack of memory");
	losses__format(c, buf, 12);	/* truncated, terminated */
	ck_assert_uint_eq(strlen(buf), 11);
}
END_TEST

/* Off-CPU losses whose time is known say it, in the summary and as seconds
 * by reason; probability sampling and filtering are not losses. */
START_TEST(test_losses__off_cpu_losses_show_their_time)
{
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	char buf[512], *m = NULL;
	size_t len = 0;
	FILE *f;

	c[CPROF_OFFCPU_UNSAMPLED] = 40;		/* not a loss */
	c[CPROF_DROP_OFFCPU_COUNTS_FULL] = 2;
	c[CPROF_OFFCPU_COUNTS_FULL_NS] = 31000000;
	c[CPROF_DROP_OFFCPU_UNSHIPPED] = 1;
	c[CPROF_OFFCPU_UNSHIPPED_NS] = 1500000000;
	c[CPROF_DROP_OFFCPU_THREADS_FULL] = 1;	/* its time is not known */
	losses__format(c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1 off-CPU block lost to a full thread table, "
			 "2 off-CPU blocks lost to a full counts map (raise --max-stacks): 0.031 s, "
			 "1 off-CPU stack's time in no profile (no attribution, or the profile "
			 "could not be built): 1.500 s");
	ck_assert_uint_eq(losses__off_cpu_lost_ns(c), 1531000000);
	f = open_memstream(&m, &len);
	losses__write_metrics(c, f);
	fclose(f);
	ck_assert_msg(strstr(m, "# TYPE cprof_off_cpu_lost_seconds_total counter\n"), "%s", m);
	ck_assert_msg(strstr(m, "cprof_off_cpu_lost_seconds_total{reason=\"off_cpu_counts_map_full\"} "
			     "0.031000000\n"), "%s", m);
	ck_assert_msg(strstr(m, "cprof_off_cpu_lost_seconds_total{reason=\"off_cpu_unshipped\"} "
			     "1.500000000\n"), "%s", m);
	ck_assert_msg(strstr(m, "cprof_off_cpu_lost_seconds_total{reason=\"off_cpu_overwritten\"} "
			     "0.000000000\n"), "%s", m);
	ck_assert_msg(!strstr(m, "lost_seconds_total{reason=\"off_cpu_threads_full\"}"), "%s", m);
	free(m);
}
END_TEST

START_TEST(test_losses__every_python_counter_is_a_loss_or_named_not_one)
{
	for (int c = 0; c < CPROF_PYC_NR; c++) {
		int found = 0;

		for (int i = 0; i < LOSS_PY_NR; i++)
			found += losses__python[i].pyc == c;
		ck_assert_msg(found == !losses__py_not_a_loss(c),
			      "Python counter %d: in the table %d times, %s", c, found,
			      losses__py_not_a_loss(c) ? "named not a loss" : "a loss");
	}
	for (int i = 0; i < LOSS_PY_NR; i++) {
		const struct loss_py *l = &losses__python[i];

		ck_assert_msg(l->one && l->many && l->text && l->metric, "Python loss %d", i);
		ck_assert_str_ne(l->one, l->many);
		for (const char *p = l->metric; *p; p++)
			ck_assert_msg(islower((unsigned char)*p) || *p == '_',
				      "metric %s is not snake_case", l->metric);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(l->metric, losses__python[j].metric);
	}
}
END_TEST

START_TEST(test_losses__python_losses_read_right_in_the_summary_and_the_metrics)
{
	struct loss_py_count l[] = {
		{ LOSS_PY_UNKNOWN_VERSION, "3.6", 124 },
		{ LOSS_PY_TSTATE_UNREADABLE, "3.11", 1 },
		{ LOSS_PY_CODE_UNREADABLE, "3.13", 2 },
		{ LOSS_PY_NOT_WALKED, "", 1 },
	};
	static const char *const want[] = {
		"# TYPE cprof_python_frames_lost_total counter\n",
		"cprof_python_frames_lost_total{reason=\"unknown_version\",version=\"3.6\"} 124\n",
		"cprof_python_frames_lost_total{reason=\"thread_state_unreadable\",version=\"3.11\"} 1\n",
		"cprof_python_frames_lost_total{reason=\"process_not_walked\",version=\"\"} 1\n",
	};
	char buf[512], *m = NULL;
	size_t len = 0;
	FILE *f;

	losses__format_python(l, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	losses__format_python(l, 4, buf, sizeof(buf));
	ck_assert_str_eq(buf,
		"Python frames lost: 124 samples of Python 3.6: unknown version, native frames only\n"
		"Python frames lost: 1 sample of Python 3.11: thread state unreadable\n"
		"Python frames lost: 2 code objects of Python 3.13: unreadable, their frames unnamed\n"
		"Python frames lost: 1 Python process: not walked, the BPF map was full");
	losses__format_python(l, 4, buf, 20);	/* cut, said, terminated */
	ck_assert_str_eq(buf, "Python frames lo...");

	f = open_memstream(&m, &len);
	losses__write_python_metrics(l, 4, f);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(m, want[i]), "no '%s' in:\n%s", want[i], m);
	free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("losses");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_losses__every_counter_is_a_loss_or_named_not_one);
	tcase_add_test(tc, test_losses__every_loss_has_a_unique_snake_case_metric_and_both_texts);
	tcase_add_test(tc, test_losses__the_metrics_have_a_line_per_loss_with_its_value);
	tcase_add_test(tc, test_losses__the_summary_says_none_or_each_loss_in_the_right_number);
	tcase_add_test(tc, test_losses__off_cpu_losses_show_their_time);
	tcase_add_test(tc, test_losses__every_python_counter_is_a_loss_or_named_not_one);
	tcase_add_test(tc, test_losses__python_losses_read_right_in_the_summary_and_the_metrics);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
