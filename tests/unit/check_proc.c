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
#include <time.h>
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
	ck_assert_uint_eq(st.utime, 5);
	ck_assert_uint_eq(st.stime, 3);
	ck_assert_uint_eq(st.cutime, 0);
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

static void burn_ms(int ms)
{
	struct timespec a, b;
	volatile unsigned long sink = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			sink += i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

/* A child and a grandchild (waiting on pipes) are found, and nothing else;
 * the CPU a reaped child burnt counts to the descendants. */
START_TEST(test_proc__descendants_and_their_cpu_time)
{
	int hold[2], ready[2];
	pid_t child, gchild = 0, burner;
	struct proc_stat *d;
	uint64_t self, desc0, desc1;
	size_t n;
	char c;

	ck_assert_int_eq(pipe(hold), 0);
	ck_assert_int_eq(pipe(ready), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pid_t g = fork();

		if (g == 0) {
			close(hold[1]);
			if (read(hold[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		close(hold[1]);
		if (write(ready[1], &g, sizeof(g)) != sizeof(g) || read(hold[0], &c, 1) < 0)
			_exit(1);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	close(hold[0]);
	ck_assert_int_eq(read(ready[0], &gchild, sizeof(gchild)), sizeof(gchild));
	ck_assert_int_eq(proc__descendants(getpid(), &d, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(d[0].pid == child || d[1].pid == child);
	ck_assert(d[0].pid == gchild || d[1].pid == gchild);
	free(d);
	ck_assert_int_eq(proc__descendants(gchild, &d, &n), 0);	/* a leaf */
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(d);
	close(hold[1]);
	waitpid(child, NULL, 0);

	ck_assert_int_eq(proc__family_ticks(getpid(), &self, &desc0), 0);
	burner = fork();
	ck_assert_int_ge(burner, 0);
	if (burner == 0) {
		burn_ms(300);
		_exit(0);
	}
	waitpid(burner, NULL, 0);
	ck_assert_int_eq(proc__family_ticks(getpid(), &self, &desc1), 0);
	/* 300 ms of CPU: 30 ticks at 100 Hz; tick accounting is coarse */
	ck_assert_msg(desc1 - desc0 >= (uint64_t)sysconf(_SC_CLK_TCK) / 5,
		      "descendants' ticks %llu -> %llu", (unsigned long long)desc0,
		      (unsigned long long)desc1);
	ck_assert_int_eq(proc__family_ticks(999999999, &self, &desc1), -ESRCH);
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
	tcase_add_test(tc, test_proc__descendants_and_their_cpu_time);
	tcase_add_test(tc, test_proc__read_is_bounded_and_terminated);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
