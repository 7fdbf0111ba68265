// SPDX-License-Identifier: MIT
/* Integration test of the bounded unwind table build (BPF, as root): while
 * `nobody` runs uw_hostile (hand-written .eh_frame a fuzzer could produce:
 * libdw took ~50 s and ~600 MB on its table), `cprof -a -d 3` must finish on
 * time within a few hundred MB, and the stacks of the 50/30/20 workload
 * running beside it must come out whole and named; the summary shows what
 * the reader refused. Exits 77 (skip) where BPF
 * cannot be used. */
#define _GNU_SOURCE
#include <check.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>
#include <sys/resource.h>

#include "tests/record_util.h"

/* Starts path with one argument as user nobody. */
static pid_t spawn_nobody(const char *path, const char *arg)
{
	struct passwd *pw = getpwnam("nobody");
	pid_t pid;

	ck_assert_ptr_nonnull(pw);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
			_exit(125);
		execl(path, path, arg, (char *)NULL);
		_exit(126);
	}
	return pid;
}

/* The workload's chains, leaf first, down to main (tests/fixtures/uw_work.c). */
static const char *const chains[3][7] = {
	{ "hot_a", "chain_a", "run_work", "main", NULL },
	{ "hot_b", "mid_b", "chain_b", "run_work", "main", NULL },
	{ "hot_c", "deep_c", "mid_c", "chain_c", "run_work", "main", NULL },
};

struct tally {
	int64_t total, lost, hot, whole, hostile;
};

/* Whether sample s of the workload holds one of the chains, whole. */
static void tally_sample(const struct prof *pr, const Perftools__Profiles__Sample *s,
			 struct tally *t)
{
	const char *names[64];
	size_t n = 0;

	for (size_t i = 0; i < s->n_location_id && n < 64; i++) {
		const Perftools__Profiles__Location *l = pprof_index__location(pr->idx, s->location_id[i]);
		const Perftools__Profiles__Mapping *m = l->mapping_id ?
			pprof_index__mapping(pr->idx, l->mapping_id) : NULL;
		const char *file = m ? pprof__str(pr->p, m->filename) : "";

		if (file[0] == '[')
			continue;	/* kernel */
		for (size_t j = 0; j < l->n_line && n < 64; j++)
			names[n++] = pprof__str(pr->p,
				pprof_index__function(pr->idx, l->line[j]->function_id)->name);
		if (!l->n_line)
			names[n++] = "?";
	}
	if (n && names[0][0] == '[') {
		/* "[user stack lost: stack ring buffer full]": a counted loss of a
		 * CPU-starved cprof, not a stack the tables unwound */
		t->lost += s->value[0];
		return;
	}
	for (int h = 0; h < 3; h++) {
		bool ok = true;

		if (!n || strcmp(names[0], chains[h][0]))
			continue;
		t->hot += s->value[0];
		for (size_t k = 0; chains[h][k]; k++)
			ok &= k < n && !strcmp(names[k], chains[h][k]);
		if (ok)
			t->whole += s->value[0];
	}
}

START_TEST(test_hostile_cfi__costs_cprof_little_and_other_stacks_stay_whole)
{
	const char *out = tmpf("all.pb.gz"), *err = tmpf("all.err");
	char *argv[] = { cprof, "-a", "-d", "3", "-F", "499", "-o", (char *)out, NULL };
	pid_t hostile = spawn_nobody(fx("uw_hostile"), "12");
	pid_t work = spawn((char *[]){ (char *)fx("uw_work_pie"), "12", NULL }, NULL);
	struct tally w = { 0 };
	struct rusage ru;
	double t0, secs;
	struct prof pr;
	int st;
	pid_t rec;

	usleep(300000);	/* both are running and mapped */
	t0 = now_s();
	rec = spawn(argv, err);
	while (wait4(rec, &st, 0, &ru) < 0)
		ck_assert_int_eq(errno, EINTR);
	secs = now_s() - t0;
	kill(hostile, SIGKILL);
	kill(work, SIGKILL);
	waitpid(hostile, NULL, 0);
	waitpid(work, NULL, 0);
	printf("cprof -a -d 3 beside uw_hostile: %.1f s, peak RSS %ld MiB\n%s", secs,
	       ru.ru_maxrss / 1024, slurp(err));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "cprof: status %#x: %s", st, slurp(err));
	ck_assert_msg(secs < 15, "cprof -a -d 3 took %.1f s", secs);
	ck_assert_msg(ru.ru_maxrss < 300 * 1024, "cprof peaked at %ld MiB", ru.ru_maxrss / 1024);
	/* what the reader refused is shown: 4 malformed entries, 1 FDE too deep */
	ck_assert_msg(strstr(slurp(err), " CFI entries dropped (malformed or over limits)"), "%s",
		      slurp(err));

	pr = load(out);
	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];
		const char *proc = label_str(&pr, s, "process");

		if (!strcmp(proc, "uw_hostile"))
			w.hostile += s->value[0];
		if (strcmp(proc, "uw_work_pie"))
			continue;
		w.total += s->value[0];
		tally_sample(&pr, s, &w);
	}
	unload(&pr);
	printf("uw_work_pie: %ld samples (%ld lost, counted), %ld in hot_a/b/c, %ld with the "
	       "whole chain; uw_hostile: %ld samples\n", (long)w.total, (long)w.lost, (long)w.hot,
	       (long)w.whole, (long)w.hostile);
	/* its table was needed: the hostile binary was sampled */
	ck_assert_int_gt(w.hostile, 0);
	/* 3 s at 499 Hz, sharing 2 CPUs with the hostile spinner and any other
	 * load on the machine: a few hundred samples, often fewer on a busy CI */
	ck_assert_int_ge(w.total - w.lost, 30);
	ck_assert_int_ge(w.hot * 100, (w.total - w.lost) * 90);
	ck_assert_msg(w.whole * 100 >= w.hot * 95, "whole chain in %ld of %ld samples",
		      (long)w.whole, (long)w.hot);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile_cfi");
	TCase *tc = tcase_create("record");
	SRunner *sr;
	int failed;

	record_util__init("hostile_cfi");
	if (geteuid() != 0) {
		printf("SKIP: BPF tests need root (or CAP_BPF + CAP_PERFMON)\n");
		return 77;
	}
	/* the old libdw build took about a minute on uw_hostile's table */
	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, test_hostile_cfi__costs_cprof_little_and_other_stacks_stay_whole);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
