// SPDX-License-Identifier: MIT
/* Tests for the symbolizer's small parts: demangling (C++ and Rust legacy),
 * perf-PID.map parsing and lookup, string interning, the string-keyed hash,
 * and the session's process lifecycle (remove, flush, name buffers).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include "base/proc.h"
#include "symbolize/sym_demangle.h"
#include "symbolize/sym_perf_map.h"
#include "symbolize/sym_strtab.h"
#include "symbolize/sym_session.h"
#include "tests/unit/fixture.h"

static void expect_demangled(const char *mangled, const char *want)
{
	char *got = sym_demangle(mangled);

	ck_assert_msg(got, "%s did not demangle", mangled);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_demangle__decodes_cxx_names)
{
	expect_demangled("_ZN8cprof_fx5inner5twiceIiEET_S2_RKNS0_5PointE",
			 "int cprof_fx::inner::twice<int>(int, cprof_fx::inner::Point const&)");
	expect_demangled("_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)");
	expect_demangled("_Z3foov", "foo()");
}
END_TEST

START_TEST(test_demangle__decodes_rust_legacy_names_without_the_hash)
{
	expect_demangled("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write");
	expect_demangled("_ZN66_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h6d8b0d6b5b2a3a1eE",
			 "<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop");
	expect_demangled("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h1f2e3d4c5b6a7980E.llvm.123",
			 "std::rt::lang_start::{{closure}}");
}
END_TEST

START_TEST(test_demangle__leaves_plain_c_names_alone)
{
	errno = 0;
	ck_assert_ptr_null(sym_demangle("main"));
	ck_assert_ptr_null(sym_demangle("_start"));
	ck_assert_ptr_null(sym_demangle("_Znot_really_mangled!"));
}
END_TEST


/* libstdc++ is loaded for the first C++ name, not at start: C and Rust names
 * never map it. Fork mode gives each test a fresh process. */
START_TEST(test_demangle__loads_libstdcxx_only_for_the_first_cxx_name)
{
#ifdef __SANITIZE_ADDRESS__
	bool at_start = fixture__mapped("/libstdc++.so");	/* libubsan links it: names only */
#else
	bool at_start = false;
#endif
	char *d;

	ck_assert_ptr_null(sym_demangle("main"));
	expect_demangled("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write");
	if (!at_start)
		ck_assert_msg(!fixture__mapped("/libstdc++.so"), "libstdc++ mapped without a C++ name");
	expect_demangled("_ZN8cprof_fx5inner5twiceIiEET_S2_RKNS0_5PointE",
			 "int cprof_fx::inner::twice<int>(int, cprof_fx::inner::Point const&)");
	ck_assert(fixture__mapped("/libstdc++.so"));
	d = sym_demangle("_Z3foov");	/* the second name takes the loaded pointer */
	ck_assert_str_eq(d, "foo()");
	free(d);
}
END_TEST

START_TEST(test_perf_map__finds_symbols_by_start_and_size)
{
	struct sym_perf_map *m = sym_perf_map__parse_string(
		"7f0000001000 40 LazyCompile:~foo /app/x.js:1\n"
		"not a line\n"
		"7f0000000000 100 stub_a\n"
		"7f0000001040 0 zero_sized\n"
		"7f0000002000 20 old_code\n"
		"7f0000002000 30 new_code\n");
	const char *name;

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(sym_perf_map__count(m), 3);
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x7f0000000000ull, &name), 0);
	ck_assert_str_eq(name, "stub_a");
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x7f00000000ffull, &name), 0);
	ck_assert_str_eq(name, "stub_a");
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x7f0000000100ull, &name), -ENOENT);
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x7f000000103full, &name), 0);
	ck_assert_str_eq(name, "LazyCompile:~foo /app/x.js:1");
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x7f0000001040ull, &name), -ENOENT);
	/* regenerated at the same address: the later line wins */
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x7f000000202full, &name), 0);
	ck_assert_str_eq(name, "new_code");
	sym_perf_map__free(m);
}
END_TEST

START_TEST(test_strtab__interns_each_string_once)
{
	struct sym_strtab *t = sym_strtab__new();
	char buf[32];
	const char *a, *b;

	ck_assert_ptr_nonnull(t);
	a = sym_strtab__intern(t, "vfs_read");
	strcpy(buf, "vfs_read");
	b = sym_strtab__intern(t, buf);
	ck_assert_ptr_eq(a, b);
	ck_assert_str_eq(a, "vfs_read");
	ck_assert_ptr_ne(a, sym_strtab__intern(t, "vfs_write"));
	for (int i = 0; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "fn_%d", i);
		ck_assert_str_eq(sym_strtab__intern(t, buf), buf);
	}
	ck_assert_ptr_eq(sym_strtab__intern(t, "vfs_read"), a);
	ck_assert_uint_gt(sym_strtab__bytes(t), 20000 * 5);
	sym_strtab__reset(t);
	ck_assert_uint_eq(sym_strtab__bytes(t), 0);
	sym_strtab__free(t);
}
END_TEST

START_TEST(test_symbolizer__reads_start_ticks_and_process_names)
{
	struct sym_session *s = sym_session__new(NULL);
	uint64_t st, st2;
	char buf[64], tiny[2];
	struct sym_stats stats;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(proc__start_ticks(getpid(), &st), 0);
	ck_assert_int_eq(proc__start_ticks(getpid(), &st2), 0);
	ck_assert_uint_eq(st, st2);
	ck_assert_int_eq(proc__start_ticks(-5, &st2), -ESRCH);

	ck_assert_int_eq(sym_session__add_process(s, getpid(), st), 0);
	ck_assert_int_eq(sym_session__add_process(s, getpid(), st), 0); /* idempotent */
	ck_assert_int_eq(sym_session__process_name(s, getpid(), st, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "check_symbolize"); /* comm is cut at 15 bytes */
	ck_assert_int_eq(sym_session__process_name(s, getpid(), st, tiny, sizeof(tiny)), -ENOSPC);
	sym_session__stats(s, &stats);
	ck_assert_uint_eq(stats.processes, 1);
	ck_assert_uint_eq(stats.processes_cached, 1);

	/* removed: gone from the table, its mappings live until flush */
	ck_assert_int_eq(sym_session__remove_process(s, getpid(), st), 0);
	ck_assert_int_eq(sym_session__remove_process(s, getpid(), st), -ENOENT);
	ck_assert_int_eq(sym_session__process_name(s, getpid(), st, buf, sizeof(buf)), -ENOENT);
	sym_session__flush(s);
	sym_session__stats(s, &stats);
	ck_assert_uint_eq(stats.processes_cached, 0);
	sym_session__free(s);
	sym_session__free(NULL);
}
END_TEST

/* main() of this very test, through the session: the same code path the
 * profiler takes for every user frame. */
START_TEST(test_symbolizer__names_a_function_of_this_process)
{
	struct sym_session *s = sym_session__new(NULL);
	struct sym_result r;
	uint64_t st;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(proc__start_ticks(getpid(), &st), 0);
	ck_assert_int_eq(sym_session__resolve_user(s, getpid(), st, (uint64_t)(uintptr_t)&sym_demangle + 2,
						   false, &r), 0);
	ck_assert_uint_ge(r.nframes, 1);
	ck_assert_str_eq(r.frames[r.nframes - 1].name, "sym_demangle");
	ck_assert_ptr_nonnull(r.frames[r.nframes - 1].file);
	ck_assert_str_eq(strrchr(r.frames[r.nframes - 1].file, '/'), "/sym_demangle.c");
	/* an address no mapping covers */
	ck_assert_int_eq(sym_session__resolve_user(s, getpid(), st, 0x10, false, &r), 0);
	ck_assert_ptr_null(r.mapping);
	ck_assert_uint_eq(r.nframes, 0);
	sym_session__free(s);
}
END_TEST

/* A process that exited and is not reaped yet (a zombie: `cprof -- CMD`
 * before waitpid) reads as empty maps: a recapture then must keep the maps
 * it ran with, or every sample it left would lose its names. */
START_TEST(test_symbolizer__a_zombie_keeps_the_maps_it_ran_with)
{
	struct sym_session *s = sym_session__new(NULL);
	uint64_t addr = (uint64_t)(uintptr_t)&sym_demangle + 2, st;
	struct sym_result r;
	int fds[2];
	char c;
	pid_t pid;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();	/* killed below */
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(proc__start_ticks(pid, &st), 0);
	ck_assert_int_eq(sym_session__add_process(s, pid, st), 0);
	ck_assert(sym_session__covers(s, pid, st, addr));
	kill(pid, SIGKILL);
	/* wait for the zombie without reaping it */
	for (int i = 0; i < 500; i++) {
		struct proc_stat ps;

		ck_assert_int_eq(proc__stat(pid, &ps), 0);
		if (ps.state == 'Z')
			break;
		usleep(10000);
	}
	ck_assert_int_ne(sym_session__exec(s, pid, st), 0);
	ck_assert(sym_session__covers(s, pid, st, addr));
	ck_assert_int_eq(sym_session__resolve_user(s, pid, st, addr, false, &r), 0);
	ck_assert_uint_ge(r.nframes, 1);
	ck_assert_str_eq(r.frames[r.nframes - 1].name, "sym_demangle");
	waitpid(pid, NULL, 0);
	close(fds[0]);
	sym_session__free(s);
}
END_TEST

static Suite *symbolizer_suite(void)
{
	Suite *s = suite_create("symbolizer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_demangle__decodes_cxx_names);
	tcase_add_test(tc, test_demangle__decodes_rust_legacy_names_without_the_hash);
	tcase_add_test(tc, test_demangle__leaves_plain_c_names_alone);
	tcase_add_test(tc, test_demangle__loads_libstdcxx_only_for_the_first_cxx_name);
	tcase_add_test(tc, test_perf_map__finds_symbols_by_start_and_size);
	tcase_add_test(tc, test_strtab__interns_each_string_once);
	tcase_add_test(tc, test_symbolizer__reads_start_ticks_and_process_names);
	tcase_add_test(tc, test_symbolizer__names_a_function_of_this_process);
	tcase_add_test(tc, test_symbolizer__a_zombie_keeps_the_maps_it_ran_with);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(symbolizer_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
