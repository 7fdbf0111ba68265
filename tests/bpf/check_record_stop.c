// SPDX-License-Identifier: MIT
/* How record stops. On a signal sent to cprof alone (kill, timeout, systemd,
 * CI), `cprof -- CMD` passes it to the command, kills a command that ignores
 * it after a grace period instead of waiting forever, and writes the profile
 * whole; a signal during start-up (the BPF load) ends the run cleanly instead
 * of killing it with a temporary file left behind. A sampler failure mid-run
 * makes the run exit 1 naming it. */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "tests/record_util.h"

/* record_util.h helpers this suite does not use */
static const char *(*const unused_fx)(const char *) __attribute__((unused)) = fx;

/* Waits up to limit_s; on timeout kills pid and fails. Returns the raw status. */
static int wait_within(pid_t pid, double limit_s, const char *err)
{
	double t0 = now_s();
	int st;

	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (now_s() - t0 > limit_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			ck_abort_msg("cprof still running %.0f s after the signal: %s", limit_s,
				     slurp(err));
		}
		usleep(20000);
	}
	return st;
}

/* The first child of pid, once it has exec'd comm (up to 10 s), or 0. */
static pid_t child_named(pid_t pid, const char *comm)
{
	char path[64], buf[64];

	for (int i = 0; i < 500; i++) {
		FILE *f;
		pid_t c = 0;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
		f = fopen(path, "r");
		if (f && fscanf(f, "%d", &c) == 1) {
			fclose(f);
			snprintf(path, sizeof(path), "/proc/%d/comm", c);
			f = fopen(path, "r");
			if (f && fgets(buf, sizeof(buf), f) && !strncmp(buf, comm, strlen(comm))) {
				fclose(f);
				return c;
			}
		}
		if (f)
			fclose(f);
		usleep(20000);
	}
	return 0;
}

static bool temp_files_left(const char *base)
{
	char prefix[128];
	DIR *d = opendir(tmp);
	struct dirent *e;
	bool found = false;

	snprintf(prefix, sizeof(prefix), ".%s.", base);
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			found = true;
	if (d)
		closedir(d);
	return found;
}

/* Removes what an earlier run (of an older cprof) may have left. */
static void remove_temp_files(const char *base)
{
	char prefix[128], path[700];
	DIR *d = opendir(tmp);
	struct dirent *e;

	snprintf(prefix, sizeof(prefix), ".%s.", base);
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
}

static int64_t total_samples(const char *path)
{
	struct prof pr = load(path);
	int64_t total = 0;

	for (size_t i = 0; i < pr.p->n_sample; i++)
		total += pr.p->sample[i]->value[0];
	unload(&pr);
	return total;
}

START_TEST(test_record__sigterm_to_cprof_ends_it_and_the_command_with_the_profile_whole)
{
	char *rec[] = { cprof, "-o", (char *)tmpf("term.pb.gz"), "--", "sleep", "1000", NULL };
	pid_t c, child;
	double t0;
	int st;

	remove_temp_files("term.pb.gz");
	c = spawn(rec, tmpf("term.err"));
	ck_assert_int_gt(c, 0);

	child = child_named(c, "sleep");
	ck_assert_msg(child > 0, "no sleep under cprof: %s", slurp(tmpf("term.err")));
	sleep(1);
	t0 = now_s();
	kill(c, SIGTERM);
	st = wait_within(c, 20, tmpf("term.err"));
	ck_assert_msg(now_s() - t0 < 10, "took %.1f s", now_s() - t0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM, "status %#x: %s", st,
		      slurp(tmpf("term.err")));
	ck_assert_msg(kill(child, 0) && errno == ESRCH, "the command %d is still there", child);
	ck_assert_int_ge(total_samples(tmpf("term.pb.gz")), 0);
	ck_assert(!temp_files_left("term.pb.gz"));
}
END_TEST

START_TEST(test_record__a_command_ignoring_the_signal_is_killed_not_waited_for)
{
	char *rec[] = { cprof, "-o", (char *)tmpf("ign.pb.gz"), "--", "sh", "-c",
			"trap '' INT TERM HUP; while :; do :; done", NULL };
	pid_t c, child;
	int st;

	remove_temp_files("ign.pb.gz");
	c = spawn(rec, tmpf("ign.err"));
	ck_assert_int_gt(c, 0);

	child = child_named(c, "sh");
	ck_assert_msg(child > 0, "no sh under cprof: %s", slurp(tmpf("ign.err")));
	sleep(2);
	kill(c, SIGTERM);
	/* the old cprof forwarded the signal and then waited forever */
	st = wait_within(c, 30, tmpf("ign.err"));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL, "status %#x: %s", st,
		      slurp(tmpf("ign.err")));
	ck_assert_msg(strstr(slurp(tmpf("ign.err")), "did not exit on"), "%s",
		      slurp(tmpf("ign.err")));
	ck_assert_msg(kill(child, 0) && errno == ESRCH, "the command %d is still there", child);
	/* ~2 s of a busy loop at 99 Hz (fewer on a loaded machine), written whole */
	ck_assert_int_ge(total_samples(tmpf("ign.pb.gz")), 20);
	ck_assert(!temp_files_left("ign.pb.gz"));
}
END_TEST

/* SIGTERM as soon as the output's temporary file exists: before the BPF
 * load is done. The old cprof installed its handlers after the load, died of
 * the signal and left the temporary file. */
START_TEST(test_record__sigterm_during_start_up_ends_cleanly)
{
	char *rec[] = { cprof, "-o", (char *)tmpf("early.pb.gz"), "--", "sleep", "1000", NULL };
	pid_t c;
	int st;

	remove_temp_files("early.pb.gz");
	c = spawn(rec, tmpf("early.err"));
	ck_assert_int_gt(c, 0);

	for (int i = 0; i < 5000 && !temp_files_left("early.pb.gz"); i++)
		usleep(1000);
	ck_assert_msg(temp_files_left("early.pb.gz"), "no temporary file appeared");
	kill(c, SIGTERM);
	st = wait_within(c, 20, tmpf("early.err"));
	ck_assert_msg(WIFEXITED(st), "cprof died of signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	ck_assert_int_eq(WEXITSTATUS(st), 128 + SIGTERM);
	ck_assert_msg(!temp_files_left("early.pb.gz"), "a temporary file was left behind");
}
END_TEST

/* One drain fails mid-run (an LD_PRELOAD shim fails the map walk with EIO).
 * The old cprof took the failed walk for an empty map, dropped that slot
 * and exited 0; now the run exits 1 naming the cause, with what was sampled
 * written (the failed slot is kept, and taken by the final drain). */
START_TEST(test_record__a_drain_failing_mid_run_exits_1_naming_the_cause)
{
	char *rec[] = { cprof, "-a", "-d", "4", "-o", (char *)tmpf("fault.pb.gz"), NULL };
	char shim[400];
	pid_t burner;
	int st;

	/* something to sample: an idle CI machine gives -a almost nothing */
	burner = fork();
	ck_assert_int_ge(burner, 0);
	if (burner == 0) {
		alarm(30);
		for (volatile unsigned long n = 0;; n++)
			;
	}
	snprintf(shim, sizeof(shim), "%s/fault_bpf.so", fixtures);
	ck_assert_msg(access(shim, R_OK) == 0, "%s is not built", shim);
	setenv("LD_PRELOAD", shim, 1);
	setenv("CPROF_FAULT_AFTER_MS", "2000", 1);
	st = wait_within(spawn(rec, tmpf("fault.err")), 60, tmpf("fault.err"));
	unsetenv("LD_PRELOAD");
	kill(burner, SIGKILL);
	waitpid(burner, NULL, 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s", st,
		      slurp(tmpf("fault.err")));
	ck_assert_msg(strstr(slurp(tmpf("fault.err")), "draining samples: Input/output error"),
		      "%s", slurp(tmpf("fault.err")));
	ck_assert_msg(strstr(slurp(tmpf("fault.err")), "sampling failed"), "%s",
		      slurp(tmpf("fault.err")));
	/* 4 s of one busy CPU at 99 Hz is ~400 */
	ck_assert_int_gt(total_samples(tmpf("fault.pb.gz")), 50);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record_stop");
	TCase *tc = tcase_create("signals");
	SRunner *sr;
	int failed;

	record_util__init("record_stop");
	if (access(cprof, X_OK)) {
		fprintf(stderr, "%s is not built\n", cprof);
		return 1;
	}
	if (geteuid() != 0) {
		printf("SKIP: BPF tests need root (or CAP_BPF + CAP_PERFMON)\n");
		return 77;
	}
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_record__sigterm_to_cprof_ends_it_and_the_command_with_the_profile_whole);
	tcase_add_test(tc, test_record__a_command_ignoring_the_signal_is_killed_not_waited_for);
	tcase_add_test(tc, test_record__sigterm_during_start_up_ends_cleanly);
	tcase_add_test(tc, test_record__a_drain_failing_mid_run_exits_1_naming_the_cause);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
