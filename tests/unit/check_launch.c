// SPDX-License-Identifier: MIT
/* launch (profiler/core/launch.h): the command is held before exec until
 * released, a failed exec is reported as its errno, the exit status reads
 * as a shell's, and a command that ignores the stop signal is killed after
 * the grace period rather than waited for. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/proc.h"
#include "profiler/core/launch.h"

static bool read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok;
}

START_TEST(test_launch__holds_the_command_until_released)
{
	struct launch l = { .go_fd = -1, .err_fd = -1 };
	char *argv[] = { "sh", "-c", "exit 3", NULL };
	char comm[64] = "";
	bool killed = true;

	ck_assert_int_eq(launch__start(&l, argv), 0);
	usleep(100000);
	ck_assert(read_comm(l.pid, comm, sizeof(comm)));
	ck_assert_msg(strncmp(comm, "sh", 2) != 0, "exec'd before release: %s", comm);
	ck_assert_int_eq(launch__release(&l), 0);
	ck_assert_int_eq(launch__wait(&l, 5000, &killed), 3);
	ck_assert(!killed);
	launch__release_fds(&l);
}
END_TEST

START_TEST(test_launch__a_missing_program_is_its_errno)
{
	struct launch l = { .go_fd = -1, .err_fd = -1 };
	char *argv[] = { "/nonexistent/program", NULL };
	bool killed;

	ck_assert_int_eq(launch__start(&l, argv), 0);
	ck_assert_int_eq(launch__release(&l), -ENOENT);
	ck_assert_int_eq(launch__wait(&l, 5000, &killed), 127);
	launch__release_fds(&l);
}
END_TEST

START_TEST(test_launch__a_command_ignoring_the_signal_is_killed_after_the_grace)
{
	struct launch l = { .go_fd = -1, .err_fd = -1 };
	char *argv[] = { "sh", "-c", "trap '' TERM; sleep 30", NULL };
	bool killed = false;

	ck_assert_int_eq(launch__start(&l, argv), 0);
	ck_assert_int_eq(launch__release(&l), 0);
	usleep(200000);
	kill(l.pid, SIGTERM);
	ck_assert_int_eq(launch__wait(&l, 300, &killed), 128 + SIGKILL);
	ck_assert(killed);
	launch__release_fds(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("launch");
	TCase *tc = tcase_create("launch");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_launch__holds_the_command_until_released);
	tcase_add_test(tc, test_launch__a_missing_program_is_its_errno);
	tcase_add_test(tc, test_launch__a_command_ignoring_the_signal_is_killed_after_the_grace);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
