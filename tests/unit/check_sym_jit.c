// SPDX-License-Identifier: MIT
/* Tests for sym_jit, a process's perf map: names from the file, reloads
 * rate-limited, a refused file counted once and never used. Uses this test
 * process's own /tmp/perf-PID.map. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/sym_jit.h"

static char map_path[64];

static void write_map(const char *text)
{
	FILE *f;

	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", getpid());
	f = fopen(map_path, "we");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_sym_jit__names_jit_code_and_reloads_after_exec)
{
	uint64_t refused[SAFE_FILE_NR_REFUSALS] = { 0 };
	struct sym_jit j = { 0 };
	const char *name;

	write_map("1000 100 jit_one\n");
	ck_assert(sym_jit__exists(getpid(), getpid()));
	ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x1010, &name, refused), 0);
	ck_assert_str_eq(name, "jit_one");
	ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x5000, &name, refused), -ENOENT);
	/* changed within the second: not looked at again yet */
	write_map("1000 100 jit_one\n5000 100 jit_two\n");
	ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x5010, &name, refused), -ENOENT);
	sym_jit__reset(&j);
	ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x5010, &name, refused), 0);
	ck_assert_str_eq(name, "jit_two");
	for (int i = 0; i < SAFE_FILE_NR_REFUSALS; i++)
		ck_assert_uint_eq(refused[i], 0);
	sym_jit__release(&j);
	unlink(map_path);
	ck_assert(!sym_jit__exists(getpid(), getpid()));
}
END_TEST

START_TEST(test_sym_jit__a_refused_map_is_counted_once_and_names_nothing)
{
	uint64_t refused[SAFE_FILE_NR_REFUSALS] = { 0 }, total = 0;
	struct sym_jit j = { 0 };
	const char *name;
	char target[80];

	write_map("1000 100 jit_one\n");
	ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x1010, &name, refused), 0);
	/* the map becomes a symlink: refused, and the map loaded before is dropped */
	snprintf(target, sizeof(target), "%s.real", map_path);
	ck_assert_int_eq(rename(map_path, target), 0);
	ck_assert_int_eq(symlink(target, map_path), 0);
	for (int round = 0; round < 2; round++) {
		sym_jit__reset(&j);
		ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x1010, &name, refused),
				 -ENOENT);
	}
	for (int i = 0; i < SAFE_FILE_NR_REFUSALS; i++)
		total += refused[i];
	ck_assert_uint_eq(total, 1);
	sym_jit__release(&j);
	unlink(map_path);
	unlink(target);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_jit");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_jit__names_jit_code_and_reloads_after_exec);
	tcase_add_test(tc, test_sym_jit__a_refused_map_is_counted_once_and_names_nothing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
