// SPDX-License-Identifier: MIT
/* fmt and hex: the two key and build-id writers print what snprintf's
 * "%" PRIu64 and "%02x" printed, NUL included, and say where they ended. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/hex.h"

START_TEST(test_fmt__u64_prints_as_snprintf_does)
{
	static const uint64_t v[] = { 0, 7, 10, 99, 4194304, 1234567890123ull, UINT64_MAX };
	char got[32], want[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *end;

		memset(got, 'x', sizeof(got));
		end = fmt__u64(got, v[i]);
		snprintf(want, sizeof(want), "%" PRIu64, v[i]);
		ck_assert_str_eq(got, want);
		ck_assert_ptr_eq(end, got + strlen(want));
	}
}
END_TEST

START_TEST(test_hex__encodes_as_snprintf_does)
{
	static const uint8_t id[] = { 0x00, 0x0f, 0x7e, 0xbc, 0xff, 0x10 };
	char got[16], want[16] = "";

	memset(got, 'x', sizeof(got));
	for (size_t i = 0; i < sizeof(id); i++)
		snprintf(want + 2 * i, 3, "%02x", id[i]);
	ck_assert_ptr_eq(hex__encode(got, id, sizeof(id)), got + 2 * sizeof(id));
	ck_assert_str_eq(got, want);
	ck_assert_ptr_eq(hex__encode(got, id, 0), got);
	ck_assert_str_eq(got, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_fmt__u64_prints_as_snprintf_does);
	tcase_add_test(tc, test_hex__encodes_as_snprintf_does);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
