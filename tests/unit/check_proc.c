// SPDX-License-Identifier: MIT
/* proc: the one /proc reader. Stat lines whose comm holds spaces and
 * parentheses, this process's own stat and status, and a pid that is gone. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/proc.h"

/* 52 fields as Linux 6.x prints them; comm "a) (b c" holds ") (" and spaces */
static const char stat_line[] =
	"4242 (a) (b c) S 17 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 "
	"987654321 12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
	"0 0 0 0 0 0 0 0\n";

START_TEST(test_proc__parses_stat_with_a_hostile_comm)
{
	struct proc_stat st;

	ck_assert_int_eq(proc__parse_stat(stat_line, &st), 0);
	ck_assert_int_eq(st.pid, 4242);
	ck_assert_str_eq(st.comm, "a) (b c");
	ck_assert_int_eq(st.state, 'S');
	ck_assert_int_eq(st.ppid, 17);
	ck_assert_uint_eq(st.flags, 4194560);
	ck_assert_uint_eq(st.start_ticks, 987654321);
}
END_TEST

START_TEST(test_proc__refuses_malformed_stat_lines)
{
	struct proc_stat st;

	ck_assert_int_eq(proc__parse_stat("", &st), -EINVAL);
	ck_assert_int_eq(proc__parse_stat("12 noparens S 1 2 3", &st), -EINVAL);
	ck_assert_int_eq(proc__parse_stat("12 (x) S 1 2 3 4 5 6", &st), -EINVAL);	/* short */
	ck_assert_int_eq(proc__parse_stat("x (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
					  &st), -EINVAL);
	ck_assert_int_eq(proc__parse_stat(") 1 (", &st), -EINVAL);
}
END_TEST

START_TEST(test_proc__reads_this_process)
{
	struct proc_stat st;
	uint64_t t1, t2;
	char comm[PROC_COMM_LEN];
	long tgid, nspid;

	ck_assert_int_eq(prctl(PR_SET_NAME, "cp (x) y"), 0);
	ck_assert_int_eq(proc__stat(getpid(), &st), 0);
	ck_assert_int_eq(st.pid, getpid());
	ck_assert_int_eq(st.ppid, getppid());
	ck_assert_str_eq(st.comm, "cp (x) y");
	ck_assert_int_eq(st.state, 'R');
	ck_assert_int_eq(proc__start_ticks(getpid(), &t1), 0);
	ck_assert_int_eq(proc__start_ticks(getpid(), &t2), 0);
	ck_assert_uint_eq(t1, t2);
	ck_assert_uint_eq(t1, st.start_ticks);
	ck_assert_int_eq(proc__comm(getpid(), comm, sizeof(comm)), 0);
	ck_assert_str_eq(comm, "cp (x) y");
	ck_assert_int_eq(proc__status_field(getpid(), "Tgid", &tgid), 0);
	ck_assert_int_eq(tgid, getpid());
	ck_assert_int_eq(proc__status_field(getpid(), "NSpid", &nspid), 0);
	ck_assert_int_eq(nspid, getpid());	/* the test runs in its own namespace's view */
	ck_assert_int_eq(proc__status_field(getpid(), "NoSuchField", &tgid), -ENOENT);
	ck_assert_int_eq(proc__status_field(getpid(), "Tgi", &tgid), -ENOENT);	/* whole names only */
}
END_TEST

START_TEST(test_proc__a_gone_pid_is_esrch)
{
	struct proc_stat st;
	uint64_t t;
	char comm[16] = "x";
	long v;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(proc__stat(pid, &st), -ESRCH);
	ck_assert_int_eq(proc__start_ticks(pid, &t), -ESRCH);
	ck_assert_int_eq(proc__status_field(pid, "Tgid", &v), -ESRCH);
	ck_assert_int_eq(proc__comm(pid, comm, sizeof(comm)), -ESRCH);
	ck_assert_str_eq(comm, "");
	ck_assert_int_eq(proc__start_ticks(-5, &t), -ESRCH);
}
END_TEST

START_TEST(test_proc__read_is_bounded_and_terminated)
{
	char buf[8];
	ssize_t n = proc__read("/proc/self/stat", buf, sizeof(buf));

	ck_assert_int_eq(n, 7);
	ck_assert_uint_eq(strlen(buf), 7);
	ck_assert_int_eq(proc__read("/proc/self/nonexistent", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(proc__read("/proc/self/stat", buf, 0), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_proc__parses_stat_with_a_hostile_comm);
	tcase_add_test(tc, test_proc__refuses_malformed_stat_lines);
	tcase_add_test(tc, test_proc__reads_this_process);
	tcase_add_test(tc, test_proc__a_gone_pid_is_esrch);
	tcase_add_test(tc, test_proc__read_is_bounded_and_terminated);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
