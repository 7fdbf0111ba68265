// SPDX-License-Identifier: MIT
/* utf8: the one decoder, validator, in-place repair and sanitizer. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

START_TEST(test_utf8__decodes_and_refuses_what_is_not_utf8)
{
	uint32_t cp;

	ck_assert_uint_eq(utf8__decode("A", 1, 0, &cp), 1);
	ck_assert_uint_eq(cp, 'A');
	ck_assert_uint_eq(utf8__decode("\xc3\xa9", 2, 0, &cp), 2);
	ck_assert_uint_eq(cp, 0xe9);
	ck_assert_uint_eq(utf8__decode("\xf0\x9f\x94\xa5", 4, 0, &cp), 4);
	ck_assert_uint_eq(cp, 0x1f525);
	ck_assert_uint_eq(utf8__decode("\xc3\xa9", 1, 0, &cp), 0);	/* cut short */
	ck_assert_uint_eq(utf8__decode("\xc0\xaf", 2, 0, &cp), 0);	/* overlong */
	ck_assert_uint_eq(utf8__decode("\xe0\x80\xaf", 3, 0, &cp), 0);	/* overlong */
	ck_assert_uint_eq(utf8__decode("\xed\xa0\x80", 3, 0, &cp), 0);	/* surrogate */
	ck_assert_uint_eq(utf8__decode("\xf4\x90\x80\x80", 4, 0, &cp), 0); /* > U+10FFFF */
	ck_assert_uint_eq(utf8__decode("\x80", 1, 0, &cp), 0);
	ck_assert_uint_eq(utf8__decode("\xef\xbf\xbe", 3, 0, &cp), 3);	/* U+FFFE */
	ck_assert_uint_eq(utf8__decode("\xef\xbf\xbe", 3, UTF8_XML, &cp), 0);
	ck_assert(utf8__valid("caf\xc3\xa9"));
	ck_assert(!utf8__valid("caf\xe9"));
	ck_assert(utf8__valid(""));
}
END_TEST

START_TEST(test_utf8__repair_replaces_bad_bytes_in_place)
{
	char s[] = "a\xff" "b\xc3\xa9\xe2\x82";

	ck_assert_uint_eq(utf8__repair(s, '?'), 3);
	ck_assert_str_eq(s, "a?b\xc3\xa9??");
	ck_assert_uint_eq(utf8__repair(s, '?'), 0);
}
END_TEST

START_TEST(test_utf8__sanitize_writes_replacement_characters_and_never_splits)
{
	char buf[64];

	ck_assert_uint_eq(utf8__sanitize("a\xff" "b", buf, sizeof(buf), 0), 5);
	ck_assert_str_eq(buf, "a\xef\xbf\xbd" "b");
	/* controls pass without UTF8_XML, become U+FFFD with it */
	utf8__sanitize("a\tb", buf, sizeof(buf), 0);
	ck_assert_str_eq(buf, "a\tb");
	utf8__sanitize("a\tb\x7f", buf, sizeof(buf), UTF8_XML);
	ck_assert_str_eq(buf, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	/* a forbidden 3-byte character is one invalid lead and two stray bytes */
	utf8__sanitize("\xef\xbf\xbf", buf, sizeof(buf), UTF8_XML);
	ck_assert_str_eq(buf, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	utf8__sanitize(NULL, buf, sizeof(buf), 0);
	ck_assert_str_eq(buf, "");
	/* truncation keeps whole sequences */
	ck_assert_uint_eq(utf8__sanitize("\xc3\xa9\xc3\xa9", buf, 4, 0), 2);
	ck_assert_str_eq(buf, "\xc3\xa9");
	ck_assert_uint_eq(utf8__sanitize("x", buf, 0, 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_utf8__decodes_and_refuses_what_is_not_utf8);
	tcase_add_test(tc, test_utf8__repair_replaces_bad_bytes_in_place);
	tcase_add_test(tc, test_utf8__sanitize_writes_replacement_characters_and_never_splits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
