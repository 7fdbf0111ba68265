// SPDX-License-Identifier: MIT
/* regex_bound: ordinary patterns compile, patterns whose repetitions would
 * make regcomp() allocate gigabytes are refused before it runs. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/regex_bound.h"

START_TEST(test_regex_bound__compiles_ordinary_patterns)
{
	static const char *const ok[] = { "^python3?$", "(java|node)", "[[:alpha:]_]+",
					  "a{1000}", "x[]a]*y", "\\(lit\\)+", "",
					  "(a|b)*c+d?[0-9]{1,3}(e+f*)+" };
	regex_t re;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(regex_bound__compile(&re, ok[i], REG_EXTENDED | REG_NOSUB, NULL, 0) == 0,
			      "%s", ok[i]);
		regfree(&re);
	}
}
END_TEST

/* The fuzzer's finds: 70 stacked '+' made glibc's regcomp use over 1 GB, 10
 * made it use 700 MB. With
 * the address space capped at 512 MiB, an unbounded regcomp would fail or
 * die; the bound refuses it at once. */
START_TEST(test_regex_bound__refuses_stacked_and_nested_repetitions)
{
	static const char *const bombs[] = {
		"py++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++",
		"((a{200}){200}){200}", "(((((((((((((((((((((((((x*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*)*",
		/* fuzz_agent_config: only 2048 nodes, but 700 MB of closures */
		"a*++++++++++", "((((((((((a*)+)+)+)+)+)+)+)+)+)+",
	};
	struct rlimit rl = { 512ul << 20, 512ul << 20 };
	char why[128];
	regex_t re;

#ifndef __SANITIZE_ADDRESS__	/* ASan reserves terabytes of shadow: no RLIMIT_AS there */
	setrlimit(RLIMIT_AS, &rl);
#else
	(void)rl;
#endif
	for (size_t i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
		ck_assert_int_eq(regex_bound__compile(&re, bombs[i], REG_EXTENDED, why, sizeof(why)),
				 -E2BIG);
		ck_assert_ptr_nonnull(strstr(why, "expand"));
	}
}
END_TEST

START_TEST(test_regex_bound__says_why_regcomp_refused)
{
	char why[128] = "";
	regex_t re;

	ck_assert_int_eq(regex_bound__compile(&re, "(unclosed", REG_EXTENDED, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_ne(why, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regex_bound");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_regex_bound__compiles_ordinary_patterns);
	tcase_add_test(tc, test_regex_bound__refuses_stacked_and_nested_repetitions);
	tcase_add_test(tc, test_regex_bound__says_why_regcomp_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
