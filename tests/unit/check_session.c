// SPDX-License-Identifier: MIT
/* The session record and agent share (profiler/core/session.h), on a fake
 * sampler (no BPF): the stop order, drains that tick the components, --pid
 * targets and their exit, the loop's ways to end, the BPF error hints, and
 * the window bookkeeping. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/proc.h"
#include "profiler/core/sampler.h"
#include "profiler/core/session.h"
#include "profiler/core/stop_signal.h"

/* The fake: what the session asked of it, in order. */
struct sampler {
	struct sampler_opts o;
};

static char calls[1024];
static int fail_new, fail_start, fail_poll, fail_drain;
static uint32_t exit_pid;	/* poll() reports this pid's exit once */
static uint64_t exit_start;

static void log_call(const char *what)
{
	size_t n = strlen(calls);

	snprintf(calls + n, sizeof(calls) - n, "%s%s", n ? " " : "", what);
}

static struct sampler *fake_new(const struct sampler_opts *o, const char **ret_what)
{
	struct sampler *sp;

	log_call("new");
	if (fail_new) {
		*ret_what = "loading the BPF object";
		errno = fail_new;
		return NULL;
	}
	sp = calloc(1, sizeof(*sp));
	sp->o = *o;
	return sp;
}

static void fake_free(struct sampler *sp)
{
	free(sp);
}

static int fake_add_target(struct sampler *sp, uint32_t tgid)
{
	char buf[32];

	(void)sp;
	snprintf(buf, sizeof(buf), "add:%u", tgid);
	log_call(buf);
	return 0;
}

static int fake_start(struct sampler *sp, const char **ret_what)
{
	(void)sp;
	log_call("start");
	*ret_what = "attaching perf events";
	return -fail_start;
}

static void fake_stop(struct sampler *sp)
{
	(void)sp;
	log_call("stop");
}

static int fake_poll(struct sampler *sp, int timeout_ms)
{
	log_call(timeout_ms ? "poll" : "poll0");
	if (fail_poll)
		return -fail_poll;
	if (exit_pid) {
		struct cprof_event e = { .type = CPROF_EV_EXIT, .tgid = exit_pid,
					 .start_ticks = exit_start };

		exit_pid = 0;
		sp->o.on_event(sp->o.ctx, &e);
		return 1;
	}
	usleep(1000);
	return 0;
}

static int64_t fake_drain(struct sampler *sp, struct raw_profile *rp)
{
	struct raw_sample s = { .pid = 1, .tid = 1, .ustack = RAW_STACK_NONE,
				.kstack = RAW_STACK_NONE, .count = 1 };

	(void)sp;
	log_call("drain");
	if (fail_drain)
		return -fail_drain;
	return raw_profile__add(rp, &s) ? -ENOMEM : 1;
}

static int fake_counters(struct sampler *sp, uint64_t ret[CPROF_NR_COUNTERS])
{
	(void)sp;
	memset(ret, 0, CPROF_NR_COUNTERS * sizeof(*ret));
	return 0;
}

static int fake_nr_cpus(const struct sampler *sp)
{
	(void)sp;
	return 2;
}

static const struct session_sampler_ops fake = {
	.new = fake_new, .free = fake_free, .add_target = fake_add_target,
	.start = fake_start, .stop = fake_stop, .poll = fake_poll, .drain = fake_drain,
	.counters = fake_counters, .nr_cpus = fake_nr_cpus,
};

static int seen_events;

static void on_process(void *ctx, const struct cprof_event *e)
{
	(void)ctx;
	(void)e;
	seen_events++;
}

static struct session *open_session(bool cycles)
{
	struct session_opts o = { .freq = 99, .all = true, .unwind = SESSION_UNWIND_FP,
				  .cycles = cycles, .perm_fix = "run as root",
				  .cycles_fix = "use cpu-clock", .on_process = on_process };
	char why[256] = "";
	struct session *s = session__new_on(&o, &fake, why, sizeof(why));

	ck_assert_msg(s != NULL, "%s", why);
	return s;
}

static void setup(void)
{
	calls[0] = '\0';
	fail_new = fail_start = fail_poll = fail_drain = 0;
	exit_pid = 0;
	seen_events = 0;
}

START_TEST(test_session__stops_with_a_poll_on_each_side)
{
	struct session *s = open_session(false);
	char why[256];

	ck_assert_int_eq(session__start(s, why, sizeof(why)), 0);
	calls[0] = '\0';
	session__stop(s);
	ck_assert_str_eq(calls, "poll0 stop poll0");
	session__free(s);
}
END_TEST

static int ticks;

static void tick(void *ctx)
{
	(void)ctx;
	ticks++;
}

START_TEST(test_session__a_drain_moves_samples_and_ticks_the_components_even_failing)
{
	struct session *s = open_session(false);
	struct session_stats st;

	ck_assert_int_eq(session__add_component(s, &(struct session_component){ tick, NULL }), 0);
	ck_assert_int_eq(session__drain(s), 1);
	ck_assert_int_eq(session__drain(s), 1);
	ck_assert_uint_eq(raw_profile__total(session__raw(s)), 2);
	fail_drain = EIO;
	ck_assert_int_eq(session__drain(s), -EIO);
	ck_assert_int_eq(ticks, 3);
	session__stats(s, &st);
	ck_assert_uint_eq(st.stack_window, 0);	/* --unwind fp */
	session__free(s);
}
END_TEST

START_TEST(test_session__a_pid_target_ends_the_run_when_it_exits)
{
	struct session *s = open_session(false);
	char why[256], want[32];
	uint64_t st;
	int err = 0;
	struct session_loop l = { .end_mono = session__clock_ns(CLOCK_MONOTONIC) + 10000000000LL,
				  .on_drain = (bool (*)(void *))NULL };

	ck_assert_int_eq(session__add_pid(s, 999999999, why, sizeof(why)), -ESRCH);
	ck_assert_str_eq(why, "pid 999999999 does not exist");
	ck_assert_int_eq(session__add_pid(s, getpid(), why, sizeof(why)), 0);
	snprintf(want, sizeof(want), "new add:%d", getpid());
	ck_assert_str_eq(calls, want);
	ck_assert_int_eq(seen_events, 1);	/* the front end saw it as a new process */
	ck_assert_int_eq(session__start(s, why, sizeof(why)), 0);
	ck_assert(session__targets_alive(s));
	ck_assert_int_eq(proc__start_ticks(getpid(), &st), 0);
	exit_pid = (uint32_t)getpid();
	exit_start = st;
	ck_assert_int_eq(session__run(s, &l, &err), SESSION_END_TARGETS);
	ck_assert_int_eq(seen_events, 2);
	session__free(s);
}
END_TEST

static int drains;

static bool count_drain(void *ctx)
{
	drains++;
	return session__tick(ctx) < 0;
}

static bool stop_now(void *ctx)
{
	(void)ctx;
	return true;
}

START_TEST(test_session__the_loop_ends_on_deadline_caller_poll_failure_and_signal)
{
	struct session *s = open_session(false);
	char why[256];
	int err = 0;
	int64_t t0;
	struct session_loop l = { .on_drain = count_drain, .ctx = s };

	ck_assert_int_eq(session__start(s, why, sizeof(why)), 0);
	t0 = session__clock_ns(CLOCK_MONOTONIC);
	l.end_mono = t0 + 1300000000LL;	/* one drain is due after 1 s */
	ck_assert_int_eq(session__run(s, &l, &err), SESSION_END_DEADLINE);
	ck_assert_int_ge(session__clock_ns(CLOCK_MONOTONIC) - t0, 1300000000LL);
	ck_assert_int_eq(drains, 1);
	l.end_mono = INT64_MAX;
	l.should_stop = stop_now;
	ck_assert_int_eq(session__run(s, &l, &err), SESSION_END_CALLER);
	l.should_stop = NULL;
	fail_poll = EBADF;
	ck_assert_int_eq(session__run(s, &l, &err), SESSION_END_POLL);
	ck_assert_int_eq(err, -EBADF);
	fail_poll = 0;
	stop_signal__request(SIGTERM);
	ck_assert_int_eq(session__run(s, &l, &err), SESSION_END_SIGNAL);
	session__free(s);
}
END_TEST

START_TEST(test_session__a_refused_start_names_the_step_and_the_fix)
{
	struct session *s = open_session(true);
	char why[256];

	fail_start = EPERM;
	ck_assert_int_eq(session__start(s, why, sizeof(why)), -EPERM);
	ck_assert_str_eq(why, "attaching perf events: Operation not permitted: run as root");
	fail_start = ENOENT;	/* with --event cycles: the event is missing */
	ck_assert_int_eq(session__start(s, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "the hardware event 'cycles' is not available on this machine "
			 "(common in VMs): use cpu-clock");
	session__free(s);
	fail_new = EACCES;
	ck_assert_ptr_null(session__new_on(&(struct session_opts){ .perm_fix = "fix" }, &fake,
					   why, sizeof(why)));
	ck_assert_str_eq(why, "loading the BPF object: Permission denied: fix");
}
END_TEST

START_TEST(test_session__windows_are_numbered_and_start_afresh)
{
	struct session *s = open_session(false);
	struct window_span a, b;
	char why[256];

	ck_assert_int_eq(session__start(s, why, sizeof(why)), 0);
	ck_assert_int_eq(session__drain(s), 1);
	session__close_window(s, &a);
	ck_assert_int_eq(session__end_window(s, false), 0);
	ck_assert_uint_eq(raw_profile__total(session__raw(s)), 0);	/* a new window */
	session__close_window(s, &b);
	ck_assert_uint_eq(a.seq, 1);
	ck_assert_uint_eq(b.seq, 2);
	ck_assert_int_ge(b.time_nanos, a.time_nanos);
	ck_assert_int_gt(a.duration_nanos, 0);
	session__free(s);
}
END_TEST

START_TEST(test_session__one_mapping_line_for_both_front_ends)
{
	char buf[256];

	session__mapping_summary(NULL, buf, sizeof(buf));	/* stopped before a session */
	ck_assert_str_eq(buf, "processes with unknown mappings: 0; mapping events off "
			 "(/proc only)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("fake sampler");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_session__stops_with_a_poll_on_each_side);
	tcase_add_test(tc, test_session__a_drain_moves_samples_and_ticks_the_components_even_failing);
	tcase_add_test(tc, test_session__a_pid_target_ends_the_run_when_it_exits);
	tcase_add_test(tc, test_session__the_loop_ends_on_deadline_caller_poll_failure_and_signal);
	tcase_add_test(tc, test_session__a_refused_start_names_the_step_and_the_fix);
	tcase_add_test(tc, test_session__windows_are_numbered_and_start_afresh);
	tcase_add_test(tc, test_session__one_mapping_line_for_both_front_ends);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
