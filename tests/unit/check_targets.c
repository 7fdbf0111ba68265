// SPDX-License-Identifier: MIT
/* The session's targets (profiler/core/targets.h): a target is (pid, start
 * time); an exit event for the same pid with another start time (a reused
 * pid) leaves it alive; an exited child is seen as gone through /proc. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "base/proc.h"
#include "profiler/core/targets.h"

START_TEST(test_targets__a_live_pid_is_alive_until_its_exit_event)
{
	struct targets ts = {0};
	uint64_t st;

	ck_assert_int_eq(proc__start_ticks(getpid(), &st), 0);
	ck_assert_int_eq(targets__add(&ts, getpid(), st), 0);
	ck_assert(targets__alive(&ts));
	targets__exited(&ts, getpid(), st + 1);	/* another process of that pid */
	ck_assert(targets__alive(&ts));
	targets__exited(&ts, getpid(), st);
	ck_assert(!targets__alive(&ts));
	targets__release(&ts);
}
END_TEST

START_TEST(test_targets__a_reaped_child_is_gone_without_an_event)
{
	struct targets ts = {0};
	uint64_t st, me;
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	if (!child) {
		pause();
		_exit(0);
	}
	ck_assert_int_eq(proc__start_ticks(child, &st), 0);
	ck_assert_int_eq(proc__start_ticks(getpid(), &me), 0);
	ck_assert_int_eq(targets__add(&ts, child, st), 0);
	ck_assert_int_eq(targets__add(&ts, getpid(), me), 0);
	ck_assert(targets__alive(&ts));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert(targets__alive(&ts));		/* this process still is */
	ck_assert(ts.t[0].gone);
	ck_assert(!ts.t[1].gone);
	targets__exited(&ts, getpid(), me);
	ck_assert(!targets__alive(&ts));
	targets__release(&ts);
}
END_TEST

START_TEST(test_targets__grow_past_their_first_allocation)
{
	struct targets ts = {0};

	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(targets__add(&ts, 1000000 + i, (uint64_t)i), 0);
	ck_assert_uint_eq(ts.n, 100);
	ck_assert_int_eq(ts.t[99].pid, 1000099);
	ck_assert(!targets__alive(&ts));	/* no such pids */
	targets__release(&ts);
	ck_assert_uint_eq(ts.n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("targets");
	TCase *tc = tcase_create("targets");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_targets__a_live_pid_is_alive_until_its_exit_event);
	tcase_add_test(tc, test_targets__a_reaped_child_is_gone_without_an_event);
	tcase_add_test(tc, test_targets__grow_past_their_first_allocation);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
