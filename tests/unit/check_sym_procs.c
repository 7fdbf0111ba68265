// SPDX-License-Identifier: MIT
/* Tests for sym_procs, the process table: (pid, start time) keys, the
 * mapping search, the bound, and entries kept until flush. Uses this test
 * process and a child. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/proc.h"
#include "symbolize/sym_procs.h"

static uint64_t start_of(int pid)
{
	uint64_t st;

	ck_assert_int_eq(proc__start_ticks(pid, &st), 0);
	return st;
}

START_TEST(test_sym_procs__captures_this_process_and_finds_its_code)
{
	struct sym_bins *bins = sym_bins__new(8, "/nonexistent-debug");
	struct sym_procs *t = sym_procs__new(16, bins);
	uint64_t st = start_of(getpid()), addr = (uint64_t)(uintptr_t)&sym_procs__new;
	struct sym_proc *p;
	struct sym_pmap *pm;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(sym_procs__add(t, getpid(), st), 0);
	ck_assert_int_eq(sym_procs__add(t, getpid(), st), 0); /* idempotent */
	ck_assert_uint_eq(sym_procs__stats(t)->processes, 1);
	ck_assert_uint_eq(sym_procs__count(t), 1);
	p = sym_procs__get(t, getpid(), st);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(sym_procs__get_recent(t, getpid(), st), p);
	ck_assert_str_ne(p->comm, "");
	pm = sym_procs__find_mapping(p, addr);
	ck_assert_ptr_nonnull(pm);
	ck_assert_int_eq(pm->kind, SYM_PMAP_FILE);
	ck_assert(addr >= pm->pub.start && addr < pm->pub.limit);
	ck_assert_ptr_nonnull(sym_procs__elf(t, p, pm));
	ck_assert_ptr_null(sym_procs__find_mapping(p, 0x10));
	/* another start time is another process: not this one */
	ck_assert_ptr_null(sym_procs__get(t, getpid(), st + 1));
	ck_assert_int_eq(sym_procs__add(t, getpid(), st + 1), -ESRCH);
	ck_assert_uint_eq(sym_procs__stats(t)->unmapped, 1);
	ck_assert_int_eq(sym_procs__add(t, 0, st), -ESRCH);
	sym_procs__free(t);
	sym_procs__free(NULL);
	sym_bins__free(bins);
}
END_TEST

START_TEST(test_sym_procs__a_removed_process_lives_until_flush)
{
	struct sym_bins *bins = sym_bins__new(8, "/nonexistent-debug");
	struct sym_procs *t = sym_procs__new(16, bins);
	uint64_t st = start_of(getpid());
	struct sym_proc *p;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(sym_procs__add(t, getpid(), st), 0);
	p = sym_procs__get(t, getpid(), st);
	ck_assert_int_eq(sym_procs__exec(t, getpid(), st), 0); /* same table entry */
	ck_assert_ptr_eq(sym_procs__get(t, getpid(), st), p);
	ck_assert_uint_eq(sym_procs__stats(t)->processes, 1);
	ck_assert_int_eq(sym_procs__remove(t, getpid(), st), 0);
	ck_assert_int_eq(sym_procs__remove(t, getpid(), st), -ENOENT);
	ck_assert_ptr_null(sym_procs__get(t, getpid(), st));
	ck_assert_uint_eq(sym_procs__count(t), 0);
	ck_assert_uint_eq(p->pid, getpid()); /* still readable: retired, not freed */
	ck_assert_int_gt((int)p->nmaps, 0);
	sym_procs__flush(t);
	sym_procs__free(t);
	sym_bins__free(bins);
}
END_TEST

START_TEST(test_sym_procs__the_bound_evicts_the_least_recently_used)
{
	struct sym_bins *bins = sym_bins__new(8, "/nonexistent-debug");
	struct sym_procs *t = sym_procs__new(1, bins);
	uint64_t st = start_of(getpid()), cst;
	int child = fork();

	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	ck_assert_ptr_nonnull(t);
	cst = start_of(child);
	ck_assert_int_eq(sym_procs__add(t, getpid(), st), 0);
	ck_assert_int_eq(sym_procs__add(t, child, cst), 0);
	ck_assert_uint_eq(sym_procs__count(t), 1);
	ck_assert_uint_eq(sym_procs__stats(t)->evicted, 1);
	ck_assert_ptr_null(sym_procs__get(t, getpid(), st));
	ck_assert_ptr_nonnull(sym_procs__get(t, child, cst));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	sym_procs__free(t);
	sym_bins__free(bins);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_procs");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_procs__captures_this_process_and_finds_its_code);
	tcase_add_test(tc, test_sym_procs__a_removed_process_lives_until_flush);
	tcase_add_test(tc, test_sym_procs__the_bound_evicts_the_least_recently_used);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
