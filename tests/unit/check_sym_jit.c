// SPDX-License-Identifier: MIT
/* Tests for sym_jit, a process's perf map: names from the file, reloads
 * rate-limited, a refused file counted once and never used, CPython's
 * trampolines given their unwind rule. Uses this test
 * process's own /tmp/perf-PID.map. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
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

START_TEST(test_sym_jit__python_trampolines_unwind_by_their_fixed_layout)
{
	uint64_t refused[SAFE_FILE_NR_REFUSALS] = { 0 };
	struct sym_jit j = { 0 };
	struct uw_rule rule;
	uint64_t start, limit;

	/* an 11-byte py:: entry is a trampoline; other sizes or names are not */
	write_map("1000 b py::f:/x.py\n2000 c py::g:/x.py\n3000 b jit_h\n");
	/* the return site after call *%rcx: CFA = rsp + 16, rbp untouched */
	ck_assert_int_eq(sym_jit__unwind_rule(&j, getpid(), getpid(), 0x1005, refused, &start,
					      &limit, &rule), 0);
	ck_assert_uint_eq(start, 0x1004);
	ck_assert_uint_eq(limit, 0x100a);
	ck_assert_uint_eq(rule.cfa, UW_CFA_RSP);
	ck_assert_int_eq(rule.cfa_off, 16);
	ck_assert_uint_eq(rule.rbp, UW_RBP_SAME);
	/* at the entry (before sub) and at the ret (after add): rsp + 8 */
	ck_assert_int_eq(sym_jit__unwind_rule(&j, getpid(), getpid(), 0x1000, refused, &start,
					      &limit, &rule), 0);
	ck_assert_uint_eq(start, 0x1000);
	ck_assert_uint_eq(limit, 0x1004);
	ck_assert_int_eq(rule.cfa_off, 8);
	ck_assert_int_eq(sym_jit__unwind_rule(&j, getpid(), getpid(), 0x100a, refused, &start,
					      &limit, &rule), 0);
	ck_assert_uint_eq(start, 0x100a);
	ck_assert_uint_eq(limit, 0x100b);
	ck_assert_int_eq(rule.cfa_off, 8);
	ck_assert_int_eq(sym_jit__unwind_rule(&j, getpid(), getpid(), 0x2005, refused, &start,
					      &limit, &rule), -ENOENT);
	ck_assert_int_eq(sym_jit__unwind_rule(&j, getpid(), getpid(), 0x3005, refused, &start,
					      &limit, &rule), -ENOENT);
	ck_assert_int_eq(sym_jit__unwind_rule(&j, getpid(), getpid(), 0x100b, refused, &start,
					      &limit, &rule), -ENOENT);
	sym_jit__release(&j);
	unlink(map_path);
}
END_TEST

START_TEST(test_sym_jit__unwinding_does_not_delay_names_from_a_map_written_at_exit)
{
	uint64_t refused[SAFE_FILE_NR_REFUSALS] = { 0 };
	struct sym_jit j = { 0 };
	struct uw_rule rule;
	uint64_t start, limit;
	const char *name;

	/* while the process runs: no map yet */
	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", getpid());
	unlink(map_path);
	ck_assert_int_eq(sym_jit__unwind_rule(&j, getpid(), getpid(), 0x1000, refused, &start,
					      &limit, &rule), -ENOENT);
	/* the JVM writes it as it exits; symbolization comes right after */
	write_map("1000 100 Hot::c\n");
	ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x1010, &name, refused), 0);
	ck_assert_str_eq(name, "Hot::c");
	sym_jit__release(&j);
	unlink(map_path);
}
END_TEST

/* A jitdump header and one JIT_CODE_LOAD: "f" at 0x1000, 4 bytes of code. */
static const uint8_t small_dump[] = {
	'D', 'T', 'i', 'J', 1, 0, 0, 0, 40, 0, 0, 0, 62, 0, 0, 0, 0, 0, 0, 0, 0xd2, 4, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 62, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xd2, 4, 0, 0, 0xd2, 4, 0, 0,
	0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0,
	1, 0, 0, 0, 0, 0, 0, 0, 'f', 0, 0xcc, 0xcc, 0xcc, 0xcc,
};

START_TEST(test_sym_jit__names_from_a_jitdump_only_when_its_owner_wrote_it)
{
	uint64_t refused[SAFE_FILE_NR_REFUSALS] = { 0 }, total = 0;
	struct sym_jit j = { 0 };
	const char *name;
	char path[64];
	FILE *f;

	ck_assert(sym_jit__is_dump_path("/home/u/.debug/jit/java-jit-1/jit-42.dump"));
	ck_assert(!sym_jit__is_dump_path("/tmp/jit-42.dump.bak"));
	ck_assert(!sym_jit__is_dump_path("/tmp/jit-.dump"));
	snprintf(path, sizeof(path), "/tmp/jit-%d.dump", getpid());
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(small_dump, 1, sizeof(small_dump), f), sizeof(small_dump));
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(sym_jit__set_dump(&j, path), 0);
	ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x1002, &name, refused), 0);
	ck_assert_str_eq(name, "f");
	/* written by someone else than the process (root can give it away) */
	if (getuid() == 0) {
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		sym_jit__reset(&j);
		/* a miss looks at the file again: refused, and what it named is dropped */
		ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x9000, &name, refused),
				 -ENOENT);
		ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x1002, &name, refused),
				 -ENOENT);
		for (int i = 0; i < SAFE_FILE_NR_REFUSALS; i++)
			total += refused[i];
		ck_assert_uint_eq(total, 1);
	}
	sym_jit__release(&j);
	unlink(path);
}
END_TEST

START_TEST(test_sym_jit__finds_a_jitdump_mapped_after_the_capture)
{
	uint64_t refused[SAFE_FILE_NR_REFUSALS] = { 0 };
	struct sym_jit j = { 0 };
	const char *name;
	char path[64];
	void *marker;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/jit-%d.dump", getpid());
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(small_dump, 1, sizeof(small_dump), f), sizeof(small_dump));
	ck_assert_int_eq(fclose(f), 0);
	/* mapped executable, as jitdump writers do for profilers to find it; the
	 * process table never told sym_jit about it */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	marker = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(marker, MAP_FAILED);
	close(fd);
	ck_assert_int_eq(sym_jit__lookup(&j, getpid(), getpid(), 0x1002, &name, refused), 0);
	ck_assert_str_eq(name, "f");
	sym_jit__release(&j);
	munmap(marker, 4096);
	unlink(path);
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
	tcase_add_test(tc, test_sym_jit__python_trampolines_unwind_by_their_fixed_layout);
	tcase_add_test(tc, test_sym_jit__unwinding_does_not_delay_names_from_a_map_written_at_exit);
	tcase_add_test(tc, test_sym_jit__names_from_a_jitdump_only_when_its_owner_wrote_it);
	tcase_add_test(tc, test_sym_jit__finds_a_jitdump_mapped_after_the_capture);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
