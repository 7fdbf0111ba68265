// SPDX-License-Identifier: MIT
/* Tests for sym_rcache, the per-binary memory of resolved addresses: the
 * frames come back as they went in (inline chains whole, "nothing to name"
 * too), a miss is a miss, max cuts as the resolver does, the strings are
 * its own copies, and the bounds start over. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_rcache.h"

START_TEST(test_sym_rcache__frames_come_back_as_put)
{
	struct sym_rcache *c = sym_rcache__new();
	struct sym_elf_frame in[3] = {
		{ .name = "inlined_leaf", .file = "/src/a.c", .line = 10, .start_line = 8 },
		{ .name = "inlined_mid", .file = "/src/a.c", .line = 20, .start_line = 18 },
		{ .name = "physical", .file = "/src/b.c", .line = 30, .start_line = 28 },
	};
	struct sym_elf_frame fs = { .func_start = true, .start = 0x1000 };
	struct sym_elf_frame out[4];

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sym_rcache__find(c, 7, 0x1234, out, 4), -1);
	sym_rcache__put(c, 7, 0x1234, in, 3);
	sym_rcache__put(c, 7, 0x1010, &fs, 1);
	sym_rcache__put(c, 7, 0x9999, NULL, 0);	/* nothing names it: remembered too */
	ck_assert_int_eq(sym_rcache__find(c, 7, 0x1234, out, 4), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(out[i].name, in[i].name);
		ck_assert_str_eq(out[i].file, in[i].file);
		ck_assert_uint_eq(out[i].line, in[i].line);
		ck_assert_uint_eq(out[i].start_line, in[i].start_line);
		ck_assert(!out[i].func_start);
	}
	ck_assert_int_eq(sym_rcache__find(c, 7, 0x1010, out, 4), 1);
	ck_assert(out[0].func_start && out[0].start == 0x1000 && !out[0].name);
	ck_assert_int_eq(sym_rcache__find(c, 7, 0x9999, out, 4), 0);
	ck_assert_int_eq(sym_rcache__find(c, 7, 0x1235, out, 4), -1);
	/* the same address of another binary is another answer */
	ck_assert_int_eq(sym_rcache__find(c, 8, 0x1234, out, 4), -1);
	/* a second put of a known address changes nothing */
	sym_rcache__put(c, 7, 0x1234, &fs, 1);
	ck_assert_int_eq(sym_rcache__find(c, 7, 0x1234, out, 2), 2);
	ck_assert_str_eq(out[0].name, "inlined_leaf");
	ck_assert_str_eq(out[1].name, "physical");
	ck_assert_uint_eq(sym_rcache__count(c), 3);
	sym_rcache__free(c);
}
END_TEST

START_TEST(test_sym_rcache__the_bound_starts_over)
{
	struct sym_rcache *c = sym_rcache__new();
	struct sym_elf_frame f = { .name = "f" }, out[1];

	for (uint64_t a = 0; a < SYM_RCACHE_MAX_ADDRS; a++)
		sym_rcache__put(c, 7, a, &f, 1);
	ck_assert_uint_eq(sym_rcache__count(c), SYM_RCACHE_MAX_ADDRS);
	ck_assert_int_eq(sym_rcache__find(c, 7, 0, out, 1), 1);
	sym_rcache__put(c, 7, SYM_RCACHE_MAX_ADDRS, &f, 1);
	ck_assert_uint_eq(sym_rcache__count(c), 1);
	ck_assert_int_eq(sym_rcache__find(c, 7, 0, out, 1), -1);
	ck_assert_int_eq(sym_rcache__find(c, 7, SYM_RCACHE_MAX_ADDRS, out, 1), 1);
	sym_rcache__free(c);
}
END_TEST

/* What a binary lent to name an address may be gone (sym_elf__shed()) by
 * the time the answer is asked for again. */
START_TEST(test_sym_rcache__answers_outlive_the_strings_put)
{
	struct sym_rcache *c = sym_rcache__new();
	char *name = strdup("ns::lent_name"), *file = strdup("/src/lent.cc");
	struct sym_elf_frame in = { .name = name, .file = file, .line = 5 }, out[1];

	sym_rcache__put(c, 7, 0x40, &in, 1);
	memset(name, 'X', strlen(name));
	memset(file, 'Y', strlen(file));
	free(name);
	free(file);
	ck_assert_int_eq(sym_rcache__find(c, 7, 0x40, out, 1), 1);
	ck_assert_str_eq(out[0].name, "ns::lent_name");
	ck_assert_str_eq(out[0].file, "/src/lent.cc");
	sym_rcache__free(c);
}
END_TEST

START_TEST(test_sym_rcache__the_string_bound_starts_over)
{
	struct sym_rcache *c = sym_rcache__new();
	size_t len = 4000, n = SYM_RCACHE_MAX_STRINGS / len + 2;
	char *name = malloc(len + 1);
	struct sym_elf_frame f = { .name = name }, out[1];

	/* distinct long names: the strings, not the addresses, reach their bound */
	for (uint64_t a = 0; a < n; a++) {
		memset(name, 'a' + (int)(a % 26), len);
		snprintf(name, len + 1, "%08llu", (unsigned long long)a);
		name[8] = 'z';
		name[len] = 0;
		sym_rcache__put(c, 7, a, &f, 1);
	}
	ck_assert_uint_lt(sym_rcache__count(c), n);
	ck_assert_uint_ge(sym_rcache__count(c), 1);
	ck_assert_int_eq(sym_rcache__find(c, 7, 0, out, 1), -1);
	ck_assert_int_eq(sym_rcache__find(c, 7, n - 1, out, 1), 1);
	ck_assert_int_eq(strncmp(out[0].name, name, len), 0);
	free(name);
	sym_rcache__free(c);
}
END_TEST

START_TEST(test_sym_rcache__no_cache_is_always_a_miss)
{
	struct sym_elf_frame f = { .name = "f" }, out[1];

	sym_rcache__put(NULL, 7, 1, &f, 1);
	ck_assert_int_eq(sym_rcache__find(NULL, 7, 1, out, 1), -1);
	sym_rcache__free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_rcache");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_rcache__frames_come_back_as_put);
	tcase_add_test(tc, test_sym_rcache__the_bound_starts_over);
	tcase_add_test(tc, test_sym_rcache__answers_outlive_the_strings_put);
	tcase_add_test(tc, test_sym_rcache__the_string_bound_starts_over);
	tcase_add_test(tc, test_sym_rcache__no_cache_is_always_a_miss);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
