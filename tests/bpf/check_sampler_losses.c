// SPDX-License-Identifier: MIT
/* The real sampler with a stack map of two entries, the whole machine at
 * 999 Hz: the map fills at once. The old drain read the kernel's -ENOMEM
 * stack id as its own allocation failure and failed (record exited 1 with no
 * profile, the agent never cleared the slot); now every sample is drained,
 * the lost stacks are counted and named in the profile. And with a counts
 * map of two entries, the off-CPU time lost to it is counted. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "export/folded.h"
#include "export/pb_profile.h"
#include "profiler/core/pprof_build.h"
#include "profiler/core/sampler.h"
#include "symbolize/sym_session.h"

START_TEST(test_sampler__a_full_stack_map_drains_and_names_the_lost_stacks)
{
	struct sampler_opts so = { .freq = 999, .all = true, .stack_entries = 2 };
	struct raw_profile *rp = raw_profile__new();
	uint64_t c[CPROF_NR_COUNTERS];
	uint64_t map_full = 0, total = 0;
	const char *what = "";
	struct sampler *s;
	struct sym_session *sym = sym_session__new(NULL);
	struct pprof_build_opts bo = { .freq = 999 };
	struct pprof_build_stats bs;
	struct pb_profile *prof = NULL;
	static char out[1 << 20];
	pid_t busy;
	FILE *f;

	ck_assert(rp && sym);
	/* something with several stacks to sample: cprof leaves its own process
	 * out, and an idle CI machine runs little else */
	busy = fork();
	ck_assert_int_ge(busy, 0);
	if (busy == 0) {
		int fd = open("/dev/null", O_WRONLY);

		alarm(10);
		for (volatile unsigned long n = 0;; n++)
			if (!(n & 1023) && write(fd, "x", 1) < 0)
				_exit(1);
	}
	s = sampler__new(&so, &what);
	ck_assert_msg(s, "%s: %s", what, strerror(errno));
	ck_assert_int_eq(sampler__start(s, &what), 0);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_ge(sampler__poll(s, 100), 0);
		if (i == 5)	/* a drain mid-run, with the slot full of lost stacks */
			ck_assert_int_ge(sampler__drain(s, rp), 0);
	}
	sampler__stop(s);
	kill(busy, SIGKILL);
	waitpid(busy, NULL, 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_ge(sampler__drain(s, rp), 0);
	ck_assert_int_eq(sampler__counters(s, c), 0);
	ck_assert_msg(c[CPROF_DROP_STACK_MAP_FULL] > 0, "the 2-entry stack map never filled");
	for (size_t i = 0; i < raw_profile__nr_samples(rp); i++) {
		const struct raw_sample *r = raw_profile__sample(rp, i);

		if (r->kstack == RAW_STACK_MAP_FULL || r->ustack == RAW_STACK_MAP_FULL)
			map_full += r->count;
		total += r->count;
	}
	/* every sample taken is in the profile: none lost with its stack */
	ck_assert_uint_eq(total, c[CPROF_SAMPLES] - c[CPROF_DROP_COUNTS_FULL]);
	ck_assert_uint_gt(map_full, 0);
	ck_assert_uint_eq(c[CPROF_DROP_DRAIN_NOMEM], 0);

	ck_assert_int_eq(pprof_build(rp, sym, &bo, &prof, &bs), 0);
	f = fmemopen(out, sizeof(out) - 1, "w");
	ck_assert_int_eq(folded__write(pb_profile__finish(prof), 0, "comm", f), 0);
	fclose(f);
	ck_assert_msg(strstr(out, "stack lost: stack map full]"), "no lost-stack frame in:\n%.2000s",
		      out);
	pb_profile__free(prof);
	sampler__free(s);
	sym_session__free(sym);
	raw_profile__free(rp);
}
END_TEST

/* --- off-CPU ------------------------------------------------------------------ */

#define SLEEPERS 6

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A child that waits for go, sleeps 10 ms at a time for 2 s and writes the
 * wall time it spent in nanosleep to out. */
static pid_t sleeper(int go, int out)
{
	pid_t pid = fork();
	struct timespec ten = { 0, 10000000 };
	int64_t end, slept = 0, t;
	char c;

	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	alarm(20);
	if (read(go, &c, 1) != 1)
		_exit(1);
	for (end = mono_ns() + 2000000000LL; mono_ns() < end; slept += mono_ns() - t) {
		t = mono_ns();
		nanosleep(&ten, NULL);
	}
	_exit(write(out, &slept, sizeof(slept)) == sizeof(slept) ? 0 : 1);
}

/* Six threads that sleep, a counts map of two entries: most blocks find it
 * full. Their time was counted nowhere (only how many); now what is
 * recorded and what is lost add up to the time the sleepers slept. */
START_TEST(test_sampler__off_cpu_time_lost_to_a_full_counts_map_is_counted)
{
	struct sampler_opts so = { .freq = 1, .max_stacks = 2, .off_cpu = true,
				   .off_cpu_min_ns = 1000000 };
	struct raw_profile *rp = raw_profile__new();
	uint64_t c[CPROF_NR_COUNTERS];
	int64_t slept = 0, v, recorded = 0, lost;
	pid_t pids[SLEEPERS];
	const char *what = "";
	int go[2], out[2], st;
	struct sampler *s;

	ck_assert(rp && !pipe(go) && !pipe(out));
	for (int i = 0; i < SLEEPERS; i++)
		pids[i] = sleeper(go[0], out[1]);
	s = sampler__new(&so, &what);
	ck_assert_msg(s, "%s: %s", what, strerror(errno));
	for (int i = 0; i < SLEEPERS; i++)
		ck_assert_int_eq(sampler__add_target(s, (uint32_t)pids[i]), 0);
	ck_assert_int_eq(sampler__start(s, &what), 0);
	ck_assert_int_eq(write(go[1], "gggggg", SLEEPERS), SLEEPERS);
	for (int i = 0; i < SLEEPERS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert_msg(WIFEXITED(st) && !WEXITSTATUS(st), "sleeper %d: status %d", i, st);
		ck_assert_int_eq(read(out[0], &v, sizeof(v)), sizeof(v));
		slept += v;
		if (i == 2)	/* a drain mid-run */
			ck_assert_int_ge(sampler__drain(s, rp), 0);
	}
	sampler__stop(s);
	for (int i = 0; i < 2; i++)
		ck_assert_int_ge(sampler__drain(s, rp), 0);
	ck_assert_int_eq(sampler__counters(s, c), 0);
	for (size_t i = 0; i < raw_profile__nr_samples(rp); i++)
		recorded += (int64_t)raw_profile__sample(rp, i)->off_ns;
	lost = (int64_t)c[CPROF_OFFCPU_COUNTS_FULL_NS];
	ck_assert_msg(c[CPROF_DROP_OFFCPU_COUNTS_FULL] > 0, "the 2-entry counts map never filled");
	ck_assert_msg(lost > slept / 4, "%.3f s lost of %.3f s slept", lost / 1e9, slept / 1e9);
	/* each 10 ms sleep is one block of its wall time; preemptions between
	 * them add a little */
	ck_assert_msg(llabs(recorded + lost - slept) < slept / 10,
		      "recorded %.3f s + lost %.3f s, the sleepers slept %.3f s", recorded / 1e9,
		      lost / 1e9, slept / 1e9);
	ck_assert_uint_eq(c[CPROF_DROP_OFFCPU_OVERWRITTEN], 0);
	sampler__free(s);
	raw_profile__free(rp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sampler_losses");
	TCase *tc = tcase_create("bpf");
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		printf("SKIP: BPF tests need root (or CAP_BPF + CAP_PERFMON)\n");
		return 77;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sampler__a_full_stack_map_drains_and_names_the_lost_stacks);
	tcase_add_test(tc, test_sampler__off_cpu_time_lost_to_a_full_counts_map_is_counted);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
