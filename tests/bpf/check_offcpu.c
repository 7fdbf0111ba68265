// SPDX-License-Identifier: MIT
/* Integration tests of `cprof --off-cpu`: the real binary (BPF, as root)
 * against fixtures that sleep, wait for a lock, read a pipe and are preempted
 * in known functions, read as a user would: the off_cpu sample type under
 * those functions against the time the fixture measured itself, the thread
 * state labels, and on + off adding up to wall time. Exits 77 (skip) where
 * BPF cannot be used. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/record_util.h"

/* --- reading profiles ------------------------------------------------------ */

static int64_t label_num(const struct prof *pr, const Perftools__Profiles__Sample *s,
			 const char *key)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (!strcmp(pprof__str(pr->p, s->label[i]->key), key))
			return s->label[i]->num;
	return -1;
}

/* Has the sample a frame named name (substring when sub), among kernel frames
 * only when kernel, user frames only otherwise? Kernel frames are the ones in
 * a mapping named [...] (not [vdso]), or in none. */
static bool has_frame(const struct prof *pr, const Perftools__Profiles__Sample *s,
		      const char *name, bool sub, int kernel)
{
	for (size_t i = 0; i < s->n_location_id; i++) {
		const Perftools__Profiles__Location *l =
			pprof_index__location(pr->idx, s->location_id[i]);
		const Perftools__Profiles__Mapping *m = l->mapping_id ?
			pprof_index__mapping(pr->idx, l->mapping_id) : NULL;
		const char *file = m ? pprof__str(pr->p, m->filename) : "";
		bool k = !m || (file[0] == '[' && strcmp(file, "[vdso]"));

		if (kernel >= 0 && k != (bool)kernel)
			continue;
		for (size_t j = 0; j < l->n_line; j++) {
			const char *f = pprof__str(pr->p,
				pprof_index__function(pr->idx, l->line[j]->function_id)->name);

			if (sub ? strstr(f, name) != NULL : !strcmp(f, name))
				return true;
		}
	}
	return false;
}

static int type_index(const struct prof *pr, const char *type)
{
	int i = pprof__sample_index(pr->p, type);

	ck_assert_msg(i >= 0, "no sample type %s", type);
	return i;
}

/* --- sleep and burn -------------------------------------------------------- */

struct measured {
	long long wall, slept, burned;
};

static struct measured read_measured(const char *out)
{
	struct measured m = {0};

	ck_assert_msg(sscanf(slurp(out), "wall %lld slept %lld burned %lld", &m.wall, &m.slept,
			     &m.burned) == 3, "fixture said: %s", slurp(out));
	return m;
}

/* Records offcpu_sleep for 3 s with extra cprof options; returns its figures.
 * Off-CPU time is measured, not sampled: over 5 s the time under
 * sleep_a_while came within 16 ms of what the fixture slept, against a band
 * of a tenth of the wall time (300 ms at 3 s). */
static struct measured record_sleep(const char *name, const char *unwind, const char *min)
{
	char pb[64], err[64], out[64];
	char *argv[16];
	int n = 0, st;
	pid_t pid;

	snprintf(pb, sizeof(pb), "%s.pb.gz", name);
	snprintf(err, sizeof(err), "%s.err", name);
	snprintf(out, sizeof(out), "%s.out", name);
	argv[n++] = cprof;
	argv[n++] = "--off-cpu";
	argv[n++] = "--unwind";
	argv[n++] = (char *)unwind;
	if (min) {
		argv[n++] = "--off-cpu-min";
		argv[n++] = (char *)min;
	}
	argv[n++] = "-o";
	argv[n++] = strdup(tmpf(pb));
	argv[n++] = "--";
	argv[n++] = strdup(fx("offcpu_sleep"));
	argv[n++] = "3";
	argv[n] = NULL;
	pid = spawn_out(argv, strdup(tmpf(out)), strdup(tmpf(err)));
	st = wait_status(pid);
	ck_assert_msg(st == 0, "cprof exited %d: %s", st, slurp(tmpf(err)));
	return read_measured(tmpf(out));
}

START_TEST(test_offcpu__sleep_is_half_of_wall_under_the_sleeping_function)
{
	struct measured m = record_sleep("sleep", "auto", NULL);
	struct prof pr = load(tmpf("sleep.pb.gz"));
	int off = type_index(&pr, "off_cpu"), smp = type_index(&pr, "samples");
	int64_t under_sleep = 0, sleeping_with_nanosleep = 0, sleeping = 0;
	int64_t cpu = 0, cpu_in_burn = 0;
	double share;

	/* the types, and CPU stays what go tool pprof shows first */
	ck_assert_int_eq(pr.p->n_sample_type, 4);
	ck_assert_int_eq(pprof__sample_index(pr.p, NULL), type_index(&pr, "cpu"));
	ck_assert_int_eq(type_index(&pr, "wall"), 3);
	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];

		if (s->value[off]) {
			if (has_frame(&pr, s, "sleep_a_while", false, 0))
				under_sleep += s->value[off];
			if (!strcmp(label_str(&pr, s, "thread_state"), "sleeping")) {
				sleeping += s->value[off];
				if (has_frame(&pr, s, "nanosleep", true, 1))
					sleeping_with_nanosleep += s->value[off];
			}
			ck_assert_int_eq(s->value[smp], 0);
			ck_assert_int_eq(s->value[3], s->value[off]);	/* wall */
		} else {
			cpu += s->value[smp];
			if (has_frame(&pr, s, "burn_cpu", false, 0))
				cpu_in_burn += s->value[smp];
			ck_assert_str_eq(label_str(&pr, s, "thread_state"), "");
		}
	}
	share = (double)under_sleep / m.wall;
	ck_assert_msg(share > 0.40 && share < 0.60,
		      "off-CPU under sleep_a_while: %.1f %% of %.2f s wall, want 50 +- 10",
		      100 * share, m.wall / 1e9);
	/* and it is the time the fixture measured in that function */
	ck_assert_msg(llabs(under_sleep - m.slept) < m.wall / 10,
		      "off-CPU under sleep_a_while %.3f s, the fixture slept %.3f s",
		      under_sleep / 1e9, m.slept / 1e9);
	/* blocked in nanosleep, and said so */
	ck_assert_msg(sleeping > m.slept / 2 && sleeping_with_nanosleep > sleeping * 9 / 10,
		      "sleeping %.3f s, %.3f s of it under a kernel *nanosleep* frame",
		      sleeping / 1e9, sleeping_with_nanosleep / 1e9);
	/* on-CPU samples still name the worker */
	ck_assert_msg(cpu > 0 && cpu_in_burn * 10 >= cpu * 8,
		      "%ld of %ld CPU samples under burn_cpu", (long)cpu_in_burn, (long)cpu);
	ck_assert_msg(strstr(slurp(tmpf("sleep.err")), "off-CPU: "), "%s", slurp(tmpf("sleep.err")));
	unload(&pr);
}
END_TEST

/* cprof flamegraph draws the off_cpu type of the profile the first test
 * wrote: the sleeping function's share of the title's total. */
START_TEST(test_offcpu__flamegraph_draws_the_off_cpu_type)
{
	char *argv[] = { cprof, "flamegraph", strdup(tmpf("sleep.pb.gz")), "--sample-type",
			 "off_cpu", "-o", strdup(tmpf("sleep-off.svg")), NULL };
	char *svg, *t;
	double share = -1;
	int st = run(argv, tmpf("fg.err"));

	ck_assert_msg(st == 0, "cprof flamegraph exited %d: %s", st, slurp(tmpf("fg.err")));
	svg = slurp(tmpf("sleep-off.svg"));
	ck_assert_msg(strstr(svg, "off_cpu (nanoseconds), total"), "no off_cpu subtitle");
	ck_assert_msg(strstr(svg, "Off-CPU Time Flame Graph"), "not titled as off-CPU time");
	t = strstr(svg, "sleep_a_while (");
	ck_assert_msg(t && sscanf(strchr(t, ',') + 1, "%lf%%", &share) == 1, "no sleep_a_while");
	/* of off-CPU time: the sleeps, and not the preemptions of burn_cpu */
	ck_assert_msg(share > 50, "sleep_a_while: %.1f %% of off-CPU time", share);
}
END_TEST

/* With frame pointers, the off-CPU user stacks come from the kernel's walk
 * as CPU samples' do. Debian's libc keeps no frame pointer: the caller of
 * nanosleep() is skipped, as for CPU samples, so main is what is checked. */
START_TEST(test_offcpu__frame_pointer_stacks_reach_main)
{
	struct measured m = record_sleep("sleep_fp", "fp", NULL);
	struct prof pr = load(tmpf("sleep_fp.pb.gz"));
	int off = type_index(&pr, "off_cpu");
	int64_t sleeping = 0, from_main = 0;

	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];

		if (strcmp(label_str(&pr, s, "thread_state"), "sleeping"))
			continue;
		sleeping += s->value[off];
		if (has_frame(&pr, s, "main", false, 0) && has_frame(&pr, s, "nanosleep", true, 1))
			from_main += s->value[off];
	}
	ck_assert_msg(sleeping > m.slept / 2 && from_main > sleeping * 9 / 10,
		      "sleeping %.3f s (fixture: %.3f s), %.3f s of it from main through a "
		      "kernel nanosleep", sleeping / 1e9, m.slept / 1e9, from_main / 1e9);
	unload(&pr);
}
END_TEST

START_TEST(test_offcpu__blocks_under_the_minimum_are_counted_not_recorded)
{
	/* every sleep asks for 10 ms: a busy machine may stretch a few */
	struct measured m = record_sleep("sleep_min", "auto", "50ms");
	struct prof pr = load(tmpf("sleep_min.pb.gz"));
	int off = type_index(&pr, "off_cpu");
	int64_t total = 0;

	for (size_t i = 0; i < pr.p->n_sample; i++)
		if (has_frame(&pr, pr.p->sample[i], "sleep_a_while", false, 0))
			total += pr.p->sample[i]->value[off];
	ck_assert_msg(total < m.slept / 10, "%.3f s of %.3f s of 10 ms sleeps recorded with "
		      "--off-cpu-min 50ms", total / 1e9, m.slept / 1e9);
	ck_assert_msg(strstr(slurp(tmpf("sleep_min.err")), "shorter than --off-cpu-min 50.000 ms"),
		      "%s", slurp(tmpf("sleep_min.err")));
	unload(&pr);
}
END_TEST

/* --- contention, I/O and preemption: one recording --------------------------- */

#define BLOCK_SECS 4

static int block_status = -1;

static void record_block(void)
{
	char *argv[] = { cprof, "--off-cpu", "-o", strdup(tmpf("block.pb.gz")), "--",
			 strdup(fx("offcpu_block")), "4", NULL };

	block_status = run(argv, tmpf("block.err"));
}

struct by_thread {
	int64_t off, cpu_ns, off_where, off_kernel, preempted;
};

/* Off-CPU and CPU time of the thread named comm; off_where: off-CPU under
 * the user function fn, off_kernel: of that, under a kernel frame with ksub. */
static struct by_thread thread_times(const struct prof *pr, const char *comm, const char *fn,
				     const char *ksub)
{
	int off = type_index(pr, "off_cpu"), cpu = type_index(pr, "cpu");
	struct by_thread t = {0};

	for (size_t i = 0; i < pr->p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr->p->sample[i];

		if (strcmp(label_str(pr, s, "comm"), comm))
			continue;
		t.off += s->value[off];
		t.cpu_ns += s->value[cpu];
		if (!strcmp(label_str(pr, s, "thread_state"), "preempted"))
			t.preempted += s->value[off];
		if (s->value[off] && has_frame(pr, s, fn, false, -1)) {
			t.off_where += s->value[off];
			if (ksub && has_frame(pr, s, ksub, true, 1))
				t.off_kernel += s->value[off];
		}
	}
	return t;
}

START_TEST(test_offcpu__lock_wait_is_under_its_caller)
{
	struct prof pr;
	struct by_thread t;

	ck_assert_msg(block_status == 0, "cprof exited %d: %s", block_status,
		      slurp(tmpf("block.err")));
	pr = load(tmpf("block.pb.gz"));
	t = thread_times(&pr, "waiter", "wait_for_lock", "futex");
	/* the holder keeps the lock 20 of every 21 ms */
	ck_assert_msg(t.off_where > BLOCK_SECS * 1e9 * 0.6 && t.off_kernel > t.off_where * 9 / 10,
		      "waiter: %.3f s off-CPU under wait_for_lock, %.3f s of it in a futex wait, "
		      "of %d s", t.off_where / 1e9, t.off_kernel / 1e9, BLOCK_SECS);
	unload(&pr);
}
END_TEST

START_TEST(test_offcpu__pipe_read_shows_the_read)
{
	struct prof pr;
	struct by_thread t;

	ck_assert_msg(block_status == 0, "cprof exited %d", block_status);
	pr = load(tmpf("block.pb.gz"));
	t = thread_times(&pr, "reader", "read_pipe", "pipe_read");
	ck_assert_msg(t.off_where > BLOCK_SECS * 1e9 * 0.6 && t.off_kernel > t.off_where * 9 / 10,
		      "reader: %.3f s off-CPU under read_pipe, %.3f s of it in pipe_read, of %d s",
		      t.off_where / 1e9, t.off_kernel / 1e9, BLOCK_SECS);
	unload(&pr);
}
END_TEST

/* Two spinners share one CPU: each is preempted for the other. Their
 * off-CPU time is labelled preempted, under the function they were
 * preempted in (the default unwinding walks their stack in the kernel as they
 * are preempted; only their first samples, before their tables are in, are
 * under the frame that says the stack is not taken), and on + off is their
 * wall time, not more: nothing is counted twice. */
START_TEST(test_offcpu__preemption_is_labelled_and_not_counted_twice)
{
	static const char *const comms[2] = { "spin0", "spin1" }, *const fns[2] = { "spin_a",
										 "spin_b" };
	struct prof pr;

	ck_assert_msg(block_status == 0, "cprof exited %d", block_status);
	pr = load(tmpf("block.pb.gz"));
	for (int i = 0; i < 2; i++) {
		struct by_thread t = thread_times(&pr, comms[i], fns[i], NULL);
		double wall = (double)(t.off + t.cpu_ns) / (BLOCK_SECS * 1e9);

		ck_assert_msg(t.off > BLOCK_SECS * 1e9 * 0.2, "%s: only %.3f s off-CPU", comms[i],
			      t.off / 1e9);
		ck_assert_msg(t.preempted > t.off * 9 / 10, "%s: %.3f s of %.3f s off-CPU preempted",
			      comms[i], t.preempted / 1e9, t.off / 1e9);
		ck_assert_msg(t.off_where > t.off * 8 / 10, "%s: %.3f s of %.3f s under %s",
			      comms[i], t.off_where / 1e9, t.off / 1e9, fns[i]);
		ck_assert_msg(wall > 0.8 && wall < 1.15,
			      "%s: on %.3f s + off %.3f s is %.2f times its %d s", comms[i],
			      t.cpu_ns / 1e9, t.off / 1e9, wall, BLOCK_SECS);
	}
	unload(&pr);
}
END_TEST

/* The same spinners in the other unwind modes. With frame pointers the
 * user stack is taken as the thread is preempted too (it is current then;
 * at the switch-in it is not, and it may go back to user mode with no system
 * call exit): their preempted time is under the function they were
 * preempted in. With stack copies it cannot be (the copy's record carries
 * the time, known only at the switch-in): it is under the frame that says
 * so. */
START_TEST(test_offcpu__preemption_user_stack_by_unwind_mode)
{
	static const char *const comms[2] = { "spin0", "spin1" }, *const fns[2] = { "spin_a",
										 "spin_b" };
	static const char *const marker = "[preempted: user stack not taken]";
	static const char *const modes[2] = { "fp", "copy" };

	for (int m = 0; m < 2; m++) {
		char pb[64], err[64];
		char *argv[] = { cprof, "--off-cpu", "--unwind", (char *)modes[m], "-o", pb, "--",
				 strdup(fx("offcpu_block")), "3", NULL };
		struct prof pr;
		int st;

		snprintf(pb, sizeof(pb), "%s", tmpf(m ? "block_copy.pb.gz" : "block_fp.pb.gz"));
		snprintf(err, sizeof(err), "%s", tmpf(m ? "block_copy.err" : "block_fp.err"));
		st = run(argv, err);
		ck_assert_msg(st == 0, "--unwind %s: cprof exited %d: %s", modes[m], st, slurp(err));
		pr = load(pb);
		for (int i = 0; i < 2; i++) {
			struct by_thread t = thread_times(&pr, comms[i], fns[i], NULL);
			struct by_thread no = thread_times(&pr, comms[i], marker, NULL);
			int64_t want = m ? no.off_where : t.off_where;
			int64_t other = m ? t.off_where : no.off_where;

			ck_assert_msg(t.preempted > 3 * 1e9 * 0.2, "--unwind %s: %s: only %.3f s "
				      "preempted", modes[m], comms[i], t.preempted / 1e9);
			ck_assert_msg(want > t.preempted * 8 / 10 && other < t.preempted / 10,
				      "--unwind %s: %s: of %.3f s preempted, %.3f s under %s, %.3f s "
				      "under %s", modes[m], comms[i], t.preempted / 1e9,
				      t.off_where / 1e9, fns[i], no.off_where / 1e9, marker);
		}
		unload(&pr);
	}
}
END_TEST

/* A block in a page fault (userfaultfd) ends without a system call exit; the
 * thread runs on (a getppid, a nanosleep) before cprof runs in it again. Its
 * time is under the fault's kernel stack and a frame that says the user
 * stack was not taken, never under after_fault or nap_after, where the
 * thread was when it was recorded. (A thread switched out on its way back
 * from the fault, its user registers still those it faulted with, has its
 * block under touch_page, where it faulted: right too; on a busy machine.) */
START_TEST(test_offcpu__fault_block_is_not_charged_to_where_the_thread_ran_on)
{
	char *argv[] = { cprof, "--off-cpu", "-o", strdup(tmpf("fault.pb.gz")), "--",
			 strdup(fx("offcpu_fault")), "3", NULL };
	pid_t pid = spawn_out(argv, strdup(tmpf("fault.out")), strdup(tmpf("fault.err")));
	int st = wait_status(pid), faults = 0, off;
	int64_t in_fault = 0, marked = 0, wrong = 0, where = 0;
	struct prof pr;

	ck_assert_msg(st == 0, "cprof exited %d: %s", st, slurp(tmpf("fault.err")));
	ck_assert_msg(sscanf(slurp(tmpf("fault.out")), "faults %d", &faults) == 1 && faults > 20,
		      "fixture: %s", slurp(tmpf("fault.out")));
	pr = load(tmpf("fault.pb.gz"));
	off = type_index(&pr, "off_cpu");
	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];

		if (!s->value[off] || !has_frame(&pr, s, "handle_userfault", false, 1))
			continue;
		in_fault += s->value[off];
		if (has_frame(&pr, s, "[blocked outside a system call: user stack not taken]",
			      false, -1))
			marked += s->value[off];
		if (has_frame(&pr, s, "after_fault", false, 0) ||
		    has_frame(&pr, s, "nap_after", false, 0))
			wrong += s->value[off];
		else if (has_frame(&pr, s, "touch_page", false, 0))
			where += s->value[off];
	}
	/* each fault waits 20 ms for the handler */
	ck_assert_msg(in_fault > faults * 20000000LL / 2, "%.3f s in handle_userfault for %d "
		      "faults", in_fault / 1e9, faults);
	ck_assert_msg(wrong == 0 && marked + where == in_fault && marked > in_fault * 9 / 10,
		      "of %.3f s in handle_userfault, %.3f s marked, %.3f s under touch_page, "
		      "%.3f s under after_fault or nap_after", in_fault / 1e9, marked / 1e9,
		      where / 1e9, wrong / 1e9);
	unload(&pr);
}
END_TEST

/* --- the agent ------------------------------------------------------------- */

/* Runs the agent (file://, 1 s windows, --off-cpu and extra, --comm of a
 * name of this run's own), then offcpu_sleep under that name once it samples (so no block of the
 * fixture comes before it), then stops it after one more window; sums the
 * off-CPU time under sleep_a_while over the off-CPU deltas it wrote. */
static int64_t agent_sleep(const char *name, const char *extra, const char *extra_v,
			   struct measured *m, int *ret_deltas)
{
	char url[400], dir[PATH_MAX + 64], out[64], err[64];
	char comm[16], comm_re[24], link[PATH_MAX + 64], target[PATH_MAX];
	char *fx_argv[] = { link, "4", NULL };
	char *argv[16];
	int n = 0, st, off;
	int64_t sum = 0;
	pid_t f, ag;
	struct dirent *de;
	DIR *d;

	ck_assert_ptr_nonnull(realpath(tmp, dir));	/* file:// takes an absolute path */
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%s", name);
	mkdir(dir, 0700);
	/* a run before this one left its deltas */
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		char path[700];

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.')
			unlink(path);
	}
	closedir(d);
	/* a name of this run's own: --comm is machine-wide, and another run of
	 * these tests (another checkout) may have an offcpu_sleep going */
	snprintf(comm, sizeof(comm), "ocs%d", (int)getpid());
	snprintf(comm_re, sizeof(comm_re), "^%s$", comm);
	ck_assert_ptr_nonnull(realpath(fx("offcpu_sleep"), target));
	snprintf(link, sizeof(link), "%s/%s", dir, comm);
	unlink(link);
	ck_assert_int_eq(symlink(target, link), 0);
	snprintf(url, sizeof(url), "file://%s", dir);
	snprintf(out, sizeof(out), "%s.out", name);
	snprintf(err, sizeof(err), "%s.err", name);
	argv[n++] = cprof;
	argv[n++] = "agent";
	argv[n++] = "--url";
	argv[n++] = url;
	argv[n++] = "--comm";
	argv[n++] = comm_re;
	argv[n++] = "-i";
	argv[n++] = "1";
	argv[n++] = "--off-cpu";
	if (extra) {
		argv[n++] = (char *)extra;
		argv[n++] = (char *)extra_v;
	}
	argv[n] = NULL;
	/* the last run's log says "sampling " too: gone before the agent starts,
	 * or the fixture could start seconds before the agent does */
	unlink(tmpf(err));
	ag = spawn(argv, strdup(tmpf(err)));
	for (int i = 0; i < 300 && !strstr(slurp(tmpf(err)), "sampling "); i++)
		usleep(100000);
	ck_assert_msg(strstr(slurp(tmpf(err)), "sampling "), "the agent did not start: %s",
		      slurp(tmpf(err)));
	f = spawn_out(fx_argv, strdup(tmpf(out)), NULL);
	ck_assert_int_eq(wait_status(f), 0);
	usleep(1500000);	/* the window the fixture ended in closes */
	kill(ag, SIGTERM);
	st = wait_status(ag);
	ck_assert_msg(st == 0, "the agent exited %d: %s", st, slurp(tmpf(err)));
	*m = read_measured(tmpf(out));

	*ret_deltas = 0;
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		char path[700];
		struct prof pr;

		if (!strstr(de->d_name, ".pb.gz"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		pr = load(path);
		off = pprof__sample_index(pr.p, "off_cpu");
		if (off >= 0) {
			/* its own profile: off-CPU time alone */
			ck_assert_int_eq(pr.p->n_sample_type, 1);
			(*ret_deltas)++;
			for (size_t i = 0; i < pr.p->n_sample; i++)
				if (has_frame(&pr, pr.p->sample[i], "sleep_a_while", false, 0))
					sum += pr.p->sample[i]->value[off];
		}
		unload(&pr);
	}
	closedir(d);
	return sum;
}

/* Each block is in the window where it ends, once: the deltas add up to the
 * time the fixture slept, as CPU deltas add up to the samples taken. */
START_TEST(test_offcpu__agent_deltas_add_up_to_the_blocked_time)
{
	struct measured m;
	int deltas;
	int64_t sum = agent_sleep("agent", NULL, NULL, &m, &deltas);

	ck_assert_msg(deltas >= 3, "%d off-CPU deltas in 4 s of 1 s windows", deltas);
	ck_assert_msg(llabs(sum - m.slept) < m.wall / 10,
		      "off-CPU under sleep_a_while over %d deltas: %.3f s; the fixture slept %.3f s",
		      deltas, sum / 1e9, m.slept / 1e9);
}
END_TEST

/* Half of the blocks, each counted twice: the total stays (about 200 sleeps
 * of 10 ms: the sum's relative spread is ~7 %). */
START_TEST(test_offcpu__agent_probability_keeps_the_total)
{
	struct measured m;
	int deltas;
	int64_t sum = agent_sleep("agent_p", "--off-cpu-probability", "0.5", &m, &deltas);

	ck_assert_msg(llabs(sum - m.slept) < m.slept / 4,
		      "with probability 0.5: %.3f s under sleep_a_while; the fixture slept %.3f s",
		      sum / 1e9, m.slept / 1e9);
}
END_TEST

/* --- targets and errors ------------------------------------------------------ */

START_TEST(test_offcpu__pid_records_only_that_process)
{
	/* lives well past cprof's start (the kernel walker's verification
	 * takes a second or more on a loaded machine) and its 2 s; killed
	 * below */
	char *a_argv[] = { strdup(fx("offcpu_sleep")), "10", NULL };
	pid_t a = spawn(a_argv, NULL), b = spawn(a_argv, NULL);
	char pid[16];
	char *argv[] = { cprof, "--off-cpu", "--pid", pid, "-d", "2", "-o",
			 strdup(tmpf("pid.pb.gz")), NULL };
	struct prof pr;
	int off, st;
	int64_t total = 0;

	snprintf(pid, sizeof(pid), "%d", (int)a);
	usleep(200000);
	st = run(argv, tmpf("pid.err"));
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	wait_status(a);
	wait_status(b);
	ck_assert_msg(st == 0, "cprof exited %d: %s", st, slurp(tmpf("pid.err")));
	pr = load(tmpf("pid.pb.gz"));
	off = type_index(&pr, "off_cpu");
	for (size_t i = 0; i < pr.p->n_sample; i++) {
		ck_assert_int_eq(label_num(&pr, pr.p->sample[i], "pid"), a);
		total += pr.p->sample[i]->value[off];
	}
	ck_assert_msg(total > 0.6e9, "only %.3f s off-CPU for pid %d in 2 s", total / 1e9, (int)a);
	unload(&pr);
}
END_TEST

START_TEST(test_offcpu__usage_errors_exit_2)
{
	char *no_off[] = { cprof, "--off-cpu-min", "5ms", "-a", "-d", "1", NULL };
	char *bad_min[] = { cprof, "--off-cpu", "--off-cpu-min", "soon", "-a", NULL };
	char *too_long[] = { cprof, "--off-cpu", "--off-cpu-min", "2m", "-a", NULL };
	char *no_target[] = { cprof, "--off-cpu", "--net", "lo", NULL };

	ck_assert_int_eq(run(no_off, tmpf("u1.err")), 2);
	ck_assert_msg(strstr(slurp(tmpf("u1.err")), "--off-cpu-min applies to --off-cpu"), "%s",
		      slurp(tmpf("u1.err")));
	ck_assert_int_eq(run(bad_min, tmpf("u2.err")), 2);
	ck_assert_msg(strstr(slurp(tmpf("u2.err")), "'soon'"), "%s", slurp(tmpf("u2.err")));
	ck_assert_int_eq(run(too_long, NULL), 2);
	ck_assert_int_eq(run(no_target, tmpf("u4.err")), 2);
	ck_assert_msg(strstr(slurp(tmpf("u4.err")), "--off-cpu is for CPU targets"), "%s",
		      slurp(tmpf("u4.err")));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("offcpu");
	TCase *errors = tcase_create("errors"), *sleep = tcase_create("sleep"),
	      *block = tcase_create("block");
	SRunner *sr;
	int failed;

	record_util__init("offcpu");
	if (access(cprof, X_OK)) {
		fprintf(stderr, "%s is not built\n", cprof);
		return 1;
	}
	tcase_add_test(errors, test_offcpu__usage_errors_exit_2);
	suite_add_tcase(s, errors);
	if (!bpf_usable("or CAP_BPF + CAP_PERFMON")) {
		sr = srunner_create(s);
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		return failed ? 1 : 77;
	}
	tcase_set_timeout(sleep, 60);
	tcase_add_test(sleep, test_offcpu__sleep_is_half_of_wall_under_the_sleeping_function);
	tcase_add_test(sleep, test_offcpu__flamegraph_draws_the_off_cpu_type);
	tcase_add_test(sleep, test_offcpu__frame_pointer_stacks_reach_main);
	tcase_add_test(sleep, test_offcpu__blocks_under_the_minimum_are_counted_not_recorded);
	tcase_add_test(sleep, test_offcpu__pid_records_only_that_process);
	tcase_add_test(sleep, test_offcpu__fault_block_is_not_charged_to_where_the_thread_ran_on);
	tcase_add_test(sleep, test_offcpu__agent_deltas_add_up_to_the_blocked_time);
	tcase_add_test(sleep, test_offcpu__agent_probability_keeps_the_total);
	suite_add_tcase(s, sleep);
	tcase_set_timeout(block, 60);
	tcase_add_unchecked_fixture(block, record_block, NULL);
	tcase_add_test(block, test_offcpu__lock_wait_is_under_its_caller);
	tcase_add_test(block, test_offcpu__pipe_read_shows_the_read);
	tcase_add_test(block, test_offcpu__preemption_is_labelled_and_not_counted_twice);
	tcase_add_test(block, test_offcpu__preemption_user_stack_by_unwind_mode);
	suite_add_tcase(s, block);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
