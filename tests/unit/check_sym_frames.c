// SPDX-License-Identifier: MIT
/* Tests for sym_frames: frame strings are interned and demangled once, and
 * dropped by flush only past their bound. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_frames.h"

START_TEST(test_sym_frames__demangles_and_interns_a_name)
{
	struct sym_frames *fr = sym_frames__new();
	struct sym_frame a = { 0 }, b = { 0 };

	ck_assert_ptr_nonnull(fr);
	ck_assert_int_eq(sym_frames__set(fr, &a, "_Z3foov", "/src/foo.cc", 12, 10), 0);
	ck_assert_str_eq(a.name, "foo()");
	ck_assert_str_eq(a.system_name, "_Z3foov");
	ck_assert_str_eq(a.file, "/src/foo.cc");
	ck_assert_uint_eq(a.line, 12);
	ck_assert_uint_eq(a.start_line, 10);
	ck_assert_int_eq(sym_frames__set(fr, &b, "_Z3foov", NULL, 0, 0), 0);
	/* the same strings, not copies */
	ck_assert_ptr_eq(a.name, b.name);
	ck_assert_ptr_eq(a.system_name, b.system_name);
	ck_assert_ptr_null(b.file);
	ck_assert_int_eq(sym_frames__set(fr, &b, "main", NULL, 0, 0), 0);
	ck_assert_ptr_eq(b.name, b.system_name); /* C names stay as they are */
	sym_frames__free(fr);
	sym_frames__free(NULL);
}
END_TEST

START_TEST(test_sym_frames__flush_drops_strings_only_past_the_bound)
{
	struct sym_frames *fr = sym_frames__new();
	struct sym_frame a = { 0 }, b = { 0 };

	ck_assert_ptr_nonnull(fr);
	ck_assert_int_eq(sym_frames__set(fr, &a, "_Z3barv", NULL, 0, 0), 0);
	sym_frames__flush(fr, 1 << 20);
	ck_assert_int_eq(sym_frames__set(fr, &b, "_Z3barv", NULL, 0, 0), 0);
	ck_assert_ptr_eq(a.name, b.name); /* kept: under 1 MiB */
	sym_frames__flush(fr, 0);
	ck_assert_int_eq(sym_frames__set(fr, &b, "_Z3barv", NULL, 0, 0), 0);
	ck_assert_str_eq(b.name, "bar()");
	ck_assert_str_eq(b.system_name, "_Z3barv");
	sym_frames__free(fr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_frames");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_frames__demangles_and_interns_a_name);
	tcase_add_test(tc, test_sym_frames__flush_drops_strings_only_past_the_bound);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
