// SPDX-License-Identifier: MIT
/* python: which processes stay pending for another look at their
 * interpreter. Each look reads /proc/PID/maps, so a process that has exited
 * must leave the list at once, not after PYTHON_MAX_TRIES polls; a live one
 * that is not Python yet after an exec stays (ld.so may still be mapping),
 * looked at from polls less and less often. */
#include <check.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include "base/proc.h"
#include "profiler/core/python.h"

static int nr_set;

static int count_set(void *ctx, uint32_t tgid, const struct cprof_py_proc *p)
{
	(void)ctx, (void)tgid, (void)p;
	nr_set++;
	return 0;
}

/* A child that is not Python (this test binary), pausing until killed. */
static pid_t start_child(uint64_t *ret_start)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		pause();
		_exit(0);
	}
	ck_assert_int_eq(proc__start_ticks(pid, ret_start), 0);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}

static struct cprof_event event(uint32_t type, pid_t pid, uint64_t start)
{
	return (struct cprof_event){ .type = type, .tgid = (uint32_t)pid, .start_ticks = start };
}

/* A live child that is not Python, seen by a new py as it execs; its exec
 * event in *ret_e. */
static pid_t exec_child(struct python *py, struct sym_python *sp, uint64_t *ret_start,
			struct cprof_event *ret_e)
{
	pid_t pid = start_child(ret_start);

	ck_assert_ptr_nonnull(sp);
	python__init(py, sp, count_set, NULL);
	*ret_e = event(CPROF_EV_EXEC, pid, *ret_start);
	python__on_event(py, ret_e);
	return pid;
}

START_TEST(test_python__an_exited_process_leaves_the_pending_list_at_its_exit_event)
{
	struct sym_python *sp = sym_python__new();
	struct python py;
	struct cprof_event e;
	uint64_t start;
	pid_t pid = exec_child(&py, sp, &start, &e);

	python__poll(&py);
	ck_assert_uint_eq(py.npending, 1);	/* alive, not Python yet: looked at again */
	reap(pid);
	e = event(CPROF_EV_EXIT, pid, start + 1);	/* another process of that pid */
	python__on_event(&py, &e);
	ck_assert_uint_eq(py.npending, 1);
	e = event(CPROF_EV_EXIT, pid, start);
	python__on_event(&py, &e);
	ck_assert_uint_eq(py.npending, 0);
	sym_python__free(sp);
}
END_TEST

/* Polled every 10 ms for 1.5 s, a live process that is not Python is
 * looked at 4 times (at once, 0.2, 0.6 and 1.4 s), not 15, and still waits. */
START_TEST(test_python__polls_look_at_a_pending_process_less_and_less_often)
{
	struct sym_python *sp = sym_python__new();
	struct python py;
	struct cprof_event e;
	uint64_t start;
	pid_t pid = exec_child(&py, sp, &start, &e);

	for (int i = 0; i < 150; i++) {
		python__poll(&py);
		usleep(10000);
	}
	ck_assert_uint_eq(py.npending, 1);
	ck_assert_uint_ge(py.pending[0].tries, 3);
	ck_assert_uint_le(py.pending[0].tries, 5);
	reap(pid);
	sym_python__free(sp);
}
END_TEST

START_TEST(test_python__a_process_gone_before_its_exit_event_settles_at_the_next_poll)
{
	struct sym_python *sp = sym_python__new();
	struct python py;
	struct cprof_event e;
	uint64_t start;
	pid_t pid = exec_child(&py, sp, &start, &e);

	ck_assert_uint_eq(py.npending, 1);
	reap(pid);
	python__poll(&py);
	ck_assert_uint_eq(py.npending, 0);
	/* and one already gone at its exec is not added at all */
	python__on_event(&py, &e);
	ck_assert_uint_eq(py.npending, 0);
	/* never Python: no entry to delete at its exec, nothing pushed */
	ck_assert_int_eq(nr_set, 0);
	sym_python__free(sp);
}
END_TEST

static Suite *python_suite(void)
{
	Suite *s = suite_create("python");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_python__an_exited_process_leaves_the_pending_list_at_its_exit_event);
	tcase_add_test(tc, test_python__a_process_gone_before_its_exit_event_settles_at_the_next_poll);
	tcase_add_test(tc, test_python__polls_look_at_a_pending_process_less_and_less_often);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(python_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
