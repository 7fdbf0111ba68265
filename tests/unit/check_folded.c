// SPDX-License-Identifier: MIT
/* Tests for export/folded: one constructed profile (inline frames, unnamed
 * frames with and without a mapping, names with ';' and newlines, comm labels,
 * stacks that merge and stacks that sum to zero) and its exact folded text. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/folded.h"
#include "export/pprof.h"
#include "export/pb_profile.h"

static const struct pb_value_type cpu_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" },
};

static struct pb_profile *folded_profile(void)
{
	struct pb_profile_opts opts = {
		.sample_types = cpu_types, .n_sample_types = 2,
		.period_type = { "cpu", "nanoseconds" }, .period = 10,
	};
	struct pb_line main_ln = { "main", "main", "/app.c", 1, 1 };
	struct pb_line work_ln[] = { { "inl_leaf", NULL, "/app.h", 2, 1 }, { "work", NULL, "/app.c", 3, 1 } };
	struct pb_line leaf_ln = { "leaf", NULL, "/app.c", 4, 1 };
	struct pb_line weird_ln = { "we;ird\nname", NULL, NULL, 0, 0 };
	struct pb_line noname_ln = { "", NULL, NULL, 0, 0 };
	struct pb_label app[] = { { "comm", "app" } };
	struct pb_label app_pid[] = { { "comm", "app" }, { "pid", NULL, 1, "pid" } };
	struct pb_label other[] = { { "comm", "other" } };
	struct pb_label empty[] = { { "comm", "" } };
	struct pb_label semi[] = { { "comm", "app;x" } };
	struct pb_label pid1[] = { { "pid", NULL, 1, "pid" } };
	struct pb_label pid2[] = { { "pid", NULL, 2, "pid" } };
	struct pb_profile *p = pb_profile__new(&opts);
	uint64_t m, l_main, l_work, l_leaf, l_raw, l_nomap, l_weird, l_noname;

	ck_assert_ptr_nonnull(p);
	m = pb_profile__add_mapping(p, 0x400000, 0x500000, 0x1000, "/usr/bin/app", NULL);
	l_main = pb_profile__add_location(p, m, 0x400100, &main_ln, 1);
	l_work = pb_profile__add_location(p, m, 0x400200, work_ln, 2);
	l_leaf = pb_profile__add_location(p, m, 0x400300, &leaf_ln, 1);
	l_raw = pb_profile__add_location(p, m, 0x400abc, NULL, 0);
	l_nomap = pb_profile__add_location(p, 0, 0xffffffff81000010ULL, NULL, 0);
	l_weird = pb_profile__add_location(p, m, 0x400400, &weird_ln, 1);
	l_noname = pb_profile__add_location(p, m, 0x400500, &noname_ln, 1);
	ck_assert_uint_eq(l_noname, 7);
	{
		uint64_t s1[] = { l_leaf, l_work, l_main };
		uint64_t s3[] = { l_raw, l_main };
		uint64_t s4[] = { l_nomap, l_weird, l_main };
		uint64_t s5[] = { l_noname, l_main };
		uint64_t s8[] = { l_leaf, l_main };
		int64_t v3[] = { 3, 30 }, v2[] = { 2, 20 }, v1[] = { 1, 10 }, v4[] = { 4, 40 };
		int64_t v0[] = { 0, 5 }, vp[] = { 5, 5 }, vn[] = { -5, -5 };

		ck_assert_int_eq(pb_profile__add_sample(p, s1, 3, v3, app, 1), 0);
		ck_assert_int_eq(pb_profile__add_sample(p, s1, 3, v2, app_pid, 2), 0);
		ck_assert_int_eq(pb_profile__add_sample(p, s3, 2, v1, other, 1), 0);
		ck_assert_int_eq(pb_profile__add_sample(p, s4, 3, v4, NULL, 0), 0);
		ck_assert_int_eq(pb_profile__add_sample(p, s5, 2, v0, empty, 1), 0);
		ck_assert_int_eq(pb_profile__add_sample(p, s1, 3, v1, semi, 1), 0);
		ck_assert_int_eq(pb_profile__add_sample(p, NULL, 0, v2, app, 1), 0);
		ck_assert_int_eq(pb_profile__add_sample(p, s8, 2, vp, pid1, 1), 0);
		ck_assert_int_eq(pb_profile__add_sample(p, s8, 2, vn, pid2, 1), 0);
	}
	return p;
}

/* Runs folded__write into memory; returns the malloc'd text. */
static char *fold(const Perftools__Profiles__Profile *msg, int index, const char *group, int *ret_err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	*ret_err = folded__write(msg, index, group, f);
	fclose(f);
	return text;
}

START_TEST(test_folded__writes_exact_lines_grouped_by_comm)
{
	struct pb_profile *p = folded_profile();
	int err;
	char *text = fold(pb_profile__finish(p), 0, "comm", &err);

	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(text,
			 "app 2\n"
			 "app:x;main;work;inl_leaf;leaf 1\n"
			 "app;main;work;inl_leaf;leaf 5\n"
			 "main;we:ird name;0xffffffff81000010 4\n"
			 "other;main;app+0x1abc 1\n");
	free(text);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_folded__writes_exact_lines_without_group_for_another_sample_type)
{
	struct pb_profile *p = folded_profile();
	int err;
	char *text = fold(pb_profile__finish(p), 1, NULL, &err);

	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(text,
			 "[unknown] 20\n"
			 "main;app+0x1500 5\n"
			 "main;app+0x1abc 10\n"
			 "main;we:ird name;0xffffffff81000010 40\n"
			 "main;work;inl_leaf;leaf 60\n");
	free(text);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_folded__ignores_a_group_label_no_sample_has)
{
	struct pb_profile *p = folded_profile();
	int err;
	char *text = fold(pb_profile__finish(p), 1, "thread", &err);
	char *plain = fold(pb_profile__finish(p), 1, NULL, &err);

	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(text, plain);
	free(text);
	free(plain);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_folded__reads_a_decoded_profile_with_foreign_ids)
{
	struct pb_profile *p = folded_profile();
	Perftools__Profiles__Profile *d;
	uint8_t *gz;
	size_t len;
	int err;
	char *text;

	ck_assert_int_eq(pprof__encode_gzip(pb_profile__finish(p), &gz, &len), 0);
	ck_assert_int_eq(pprof__decode(gz, len, &d), 0);
	/* Renumber the locations the way another producer might. */
	for (size_t i = 0; i < d->n_location; i++)
		d->location[i]->id = 1000 + 7 * (d->n_location - i);
	for (size_t i = 0; i < d->n_sample; i++)
		for (size_t j = 0; j < d->sample[i]->n_location_id; j++)
			d->sample[i]->location_id[j] = 1000 + 7 * (d->n_location - (d->sample[i]->location_id[j] - 1));
	text = fold(d, 0, "comm", &err);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(text,
			 "app 2\n"
			 "app:x;main;work;inl_leaf;leaf 1\n"
			 "app;main;work;inl_leaf;leaf 5\n"
			 "main;we:ird name;0xffffffff81000010 4\n"
			 "other;main;app+0x1abc 1\n");
	free(text);
	free(gz);
	pprof__free(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_folded__rejects_a_sample_index_out_of_range)
{
	struct pb_profile *p = folded_profile();
	int err;
	char *text = fold(pb_profile__finish(p), 2, NULL, &err);

	ck_assert_int_eq(err, -EINVAL);
	ck_assert_str_eq(text, "");
	free(text);
	text = fold(pb_profile__finish(p), -1, NULL, &err);
	ck_assert_int_eq(err, -EINVAL);
	free(text);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_folded__reports_a_location_that_does_not_resolve)
{
	struct pb_profile *p = folded_profile();
	Perftools__Profiles__Profile *d;
	uint8_t *gz;
	size_t len;
	int err;
	char *text;

	ck_assert_int_eq(pprof__encode_gzip(pb_profile__finish(p), &gz, &len), 0);
	ck_assert_int_eq(pprof__decode(gz, len, &d), 0);
	d->sample[0]->location_id[0] = 424242;
	text = fold(d, 0, NULL, &err);
	ck_assert_int_eq(err, -EBADMSG);
	free(text);
	free(gz);
	pprof__free(d);
	pb_profile__free(p);
}
END_TEST

static Suite *folded_suite(void)
{
	Suite *s = suite_create("folded");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_folded__writes_exact_lines_grouped_by_comm);
	tcase_add_test(tc, test_folded__writes_exact_lines_without_group_for_another_sample_type);
	tcase_add_test(tc, test_folded__ignores_a_group_label_no_sample_has);
	tcase_add_test(tc, test_folded__reads_a_decoded_profile_with_foreign_ids);
	tcase_add_test(tc, test_folded__rejects_a_sample_index_out_of_range);
	tcase_add_test(tc, test_folded__reports_a_location_that_does_not_resolve);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(folded_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
