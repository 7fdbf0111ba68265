// SPDX-License-Identifier: MIT
/* Losses a user sees in record's summary. Kernel stacks were lost to stack
 * id collisions at 99 Hz (1-7 per 150-sample `dd` run under -a, where perf
 * loses none): stacks are now keyed by the hash of their frames in a plain
 * hash map, so a `dd` loop under -a loses none. bench/stack-collisions.sh
 * measures the same over several runs. */
#include <check.h>
#include <signal.h>
#include <sys/prctl.h>

#include "tests/record_util.h"

/* record_util.h helpers this suite does not use */
static const char *(*const unused_fx)(const char *) __attribute__((unused)) = fx;
static struct prof (*const unused_load)(const char *) __attribute__((unused)) = load;

/* Samples of dd with a kernel frame under a syscall, in a folded file of any size. */
static long dd_kernel_samples(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long n = 0;

	ck_assert_ptr_nonnull(f);
	while (getline(&line, &cap, f) > 0) {
		const char *sp = strrchr(line, ' ');

		if (!strncmp(line, "dd;", 3) && strstr(line, ";do_syscall_64;") && sp)
			n += atol(sp + 1);
	}
	free(line);
	fclose(f);
	return n;
}

START_TEST(test_record__dd_under_all_cpus_loses_no_kernel_stack)
{
	char *dd[] = { "/bin/sh", "-c", "while :; do dd if=/dev/zero of=/dev/null bs=1M "
		       "count=2000 2>/dev/null; done", NULL };
	char *rec[] = { cprof, "-a", "-F", "99", "-d", "10", "-f", "folded", "-o",
			(char *)tmpf("dd.folded"), NULL };
	pid_t d = fork();
	const char *err, *lost;
	int st;

	if (d == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* gone with the test, even on a timeout */
		execv(dd[0], dd);
		_exit(126);
	}
	ck_assert_int_gt(d, 0);
	st = run(rec, tmpf("dd.err"));
	kill(-d, SIGKILL);
	waitpid(d, NULL, 0);
	err = slurp(tmpf("dd.err"));
	ck_assert_msg(st == 0, "cprof exited %d: %s", st, err);
	lost = strstr(err, "lost: ");
	ck_assert_msg(lost, "no loss count in: %s", err);
	ck_assert_msg(!strstr(err, "collision"), "stacks lost to collisions: %s", err);
	ck_assert_msg(!strstr(err, "stack map"), "stacks lost to a full map: %s", err);
	/* and dd's kernel stacks are there */
	ck_assert_msg(dd_kernel_samples(tmpf("dd.folded")) > 0, "no kernel frames of dd");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record_losses");
	TCase *tc = tcase_create("dd");
	SRunner *sr;
	int failed;

	record_util__init("record_losses");
	if (access(cprof, X_OK)) {
		fprintf(stderr, "%s is not built\n", cprof);
		return 1;
	}
	if (geteuid() != 0) {
		printf("SKIP: BPF tests need root (or CAP_BPF + CAP_PERFMON)\n");
		return 77;
	}
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_record__dd_under_all_cpus_loses_no_kernel_stack);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
