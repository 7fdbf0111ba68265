// SPDX-License-Identifier: MIT
/* sym_python_mem: the three line-table formats, decoded as CPython itself
 * does (tables and expected lines taken from CPython 3.8, 3.10 and 3.12 for
 * one function), hostile tables, and str bodies to UTF-8. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_python_mem.h"

/* def f(n):\n    x = 0\n    for i in range(n):\n        x += i\n\n    return x */

START_TEST(test_sym_py_mem__lnotab_gives_lines_of_byte_offsets)
{
	static const uint8_t t[] = { 0x00, 0x01, 0x04, 0x01, 0x0c, 0x01, 0x0a, 0x02 };

	/* dis.findlinestarts: (0, 2), (4, 3), (16, 4), (26, 6) */
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LNOTAB, t, sizeof(t), 1, 0), 2);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LNOTAB, t, sizeof(t), 1, 3), 2);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LNOTAB, t, sizeof(t), 1, 4), 3);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LNOTAB, t, sizeof(t), 1, 20), 4);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LNOTAB, t, sizeof(t), 1, 28), 6);
}
END_TEST

START_TEST(test_sym_py_mem__linetable310_gives_lines_of_code_units)
{
	static const uint8_t t[] = { 0x04, 0x01, 0x0c, 0x01, 0x0a, 0x01, 0x04, 0x02 };

	/* co_lines() in code units: [0,2) 2, [2,8) 3, [8,13) 4, [13,15) 6 */
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LINETABLE310, t, sizeof(t), 1, 0), 2);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LINETABLE310, t, sizeof(t), 1, 2), 3);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LINETABLE310, t, sizeof(t), 1, 7), 3);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LINETABLE310, t, sizeof(t), 1, 12), 4);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LINETABLE310, t, sizeof(t), 1, 14), 6);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LINETABLE310, t, sizeof(t), 1, 15), 0);
}
END_TEST

START_TEST(test_sym_py_mem__location_table_gives_lines_of_code_units)
{
	static const uint8_t t[] = {
		0x80, 0x00, 0xd8, 0x08, 0x09, 0x80, 0x41, 0xdc, 0x0d, 0x12, 0x90, 0x31, 0x8b, 0x58,
		0xf2, 0x00, 0x01, 0x05, 0x0f, 0x88, 0x01, 0xd8, 0x08, 0x09, 0x88, 0x51, 0x89, 0x06,
		0x89, 0x01, 0xf0, 0x03, 0x01, 0x05, 0x0f, 0xf0, 0x06, 0x00, 0x0c, 0x0d, 0x80, 0x48,
	};
	/* co_lines(): [0,1) 1, [1,3) 2, [3,17) 3, [17,23) 4, [23,24) 3, [24,26) 6 */
	static const uint32_t want[26] = {
		1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 3, 6, 6,
	};

	for (uint32_t off = 0; off < 26; off++)
		ck_assert_msg(sym_py_mem__line(SYM_PY_LOCATIONS, t, sizeof(t), 1, off) == want[off],
			      "offset %u", off);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LOCATIONS, t, sizeof(t), 1, 26), 0);
}
END_TEST

START_TEST(test_sym_py_mem__hostile_tables_give_no_line_and_stay_in_bounds)
{
	/* cut in the middle of a long entry; no entry start bit; huge deltas */
	static const uint8_t cut[] = { 0xf0, 0xff };
	static const uint8_t nosync[] = { 0x01, 0x02, 0x03 };
	static const uint8_t neg[] = { 0x00, 0x80, 0x00, 0x80, 0x00, 0x80 };
	uint8_t *big = malloc(4096);

	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LOCATIONS, cut, sizeof(cut), 1, 5), 0);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LOCATIONS, nosync, sizeof(nosync), 1, 0), 0);
	/* lnotab lines pushed below 1 give no line, never a wrapped one */
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LNOTAB, neg, sizeof(neg), 1, 100), 0);
	ck_assert_uint_eq(sym_py_mem__line(SYM_PY_LINETABLE310, neg, 1, 1, 0), 0);
	ck_assert_ptr_nonnull(big);
	memset(big, 0xf7, 4096);	/* code 14 forever, each varint runs on */
	(void)sym_py_mem__line(SYM_PY_LOCATIONS, big, 4096, 1, 1000000);
	free(big);
}
END_TEST

START_TEST(test_sym_py_mem__utf8_encodes_every_kind_and_cuts_whole)
{
	static const uint8_t l1[] = { 'c', 'a', 'f', 0xe9 };
	static const uint16_t u2[] = { 0x41, 0x20ac };
	static const uint32_t u4[] = { 0x1f40d, 0xd800, 0 };
	char buf[16];

	ck_assert_int_eq(sym_py_mem__utf8(1, l1, 4, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "caf\xc3\xa9");
	ck_assert_int_eq(sym_py_mem__utf8(2, u2, 2, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "A\xe2\x82\xac");
	/* a lone surrogate and a NUL become U+FFFD */
	ck_assert_int_eq(sym_py_mem__utf8(4, u4, 3, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "\xf0\x9f\x90\x8d\xef\xbf\xbd\xef\xbf\xbd");
	/* no room for the euro sign: cut before it */
	ck_assert_int_eq(sym_py_mem__utf8(2, u2, 2, buf, 3), 0);
	ck_assert_str_eq(buf, "A");
	ck_assert_int_eq(sym_py_mem__utf8(3, u2, 2, buf, sizeof(buf)), -22);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_python_mem");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_py_mem__lnotab_gives_lines_of_byte_offsets);
	tcase_add_test(tc, test_sym_py_mem__linetable310_gives_lines_of_code_units);
	tcase_add_test(tc, test_sym_py_mem__location_table_gives_lines_of_code_units);
	tcase_add_test(tc, test_sym_py_mem__hostile_tables_give_no_line_and_stay_in_bounds);
	tcase_add_test(tc, test_sym_py_mem__utf8_encodes_every_kind_and_cuts_whole);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
