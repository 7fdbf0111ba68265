// SPDX-License-Identifier: MIT
/* Integration tests of `cprof record`: run the real binary (BPF, as root)
 * against fixtures with known hot functions and read what a user would: the
 * shares, the exact stacks, go tool pprof's view, exit statuses, and files
 * that survive signals. Exits 77 (skip) where BPF cannot be used. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests/record_util.h"

/* --- reading profiles
 ----------------------------------------------------- */

static int64_t label_num(const struct prof *pr, const Perftools__Profiles__Sample *s,
			 const char *key)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (!strcmp(pprof__str(pr->p, s->label[i]->key), key))
			return s->label[i]->num;
	return -1;
}

/* Function names of a sample, leaf first, inline frames expanded. */
static size_t frames(const struct prof *pr, const Perftools__Profiles__Sample *s,
		     const char **names, const Perftools__Profiles__Location **locs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_location_id && n < max; i++) {
		const Perftools__Profiles__Location *l = pprof_index__location(pr->idx, s->location_id[i]);

		if (!l->n_line) {
			locs[n] = l;
			names[n++] = "?";
		}
		for (size_t j = 0; j < l->n_line && n < max; j++) {
			const Perftools__Profiles__Function *f =
				pprof_index__function(pr->idx, l->line[j]->function_id);
			locs[n] = l;
			names[n++] = pprof__str(pr->p, f->name);
		}
	}
	return n;
}

static bool is_kernel(const struct prof *pr, const Perftools__Profiles__Location *l)
{
	const Perftools__Profiles__Mapping *m = l->mapping_id ?
		pprof_index__mapping(pr->idx, l->mapping_id) : NULL;

	return m && pprof__str(pr->p, m->filename)[0] == '[' &&
	       strcmp(pprof__str(pr->p, m->filename), "[vdso]");
}

/* Index of the first user (non-kernel) frame. */
static size_t first_user(const struct prof *pr, const Perftools__Profiles__Location **locs, size_t n)
{
	size_t i = 0;

	while (i < n && is_kernel(pr, locs[i]))
		i++;
	return i;
}

/* --- the shared 50/30/20 recording ----------------------------------------- */

static char work_pb[400];
static char work_err[400];
static int work_status = -1;

static void record_work(void)
{
	/* The frame-pointer path; --unwind dwarf|auto is check_dwarf_record's.
	 * (Those reach _start, which has no line info, so the mapping's
	 * has_filenames/has_line_numbers are rightly false there.) */
	/* 499 Hz: ~3000 samples, so the shares' +-5 band is 5 sigma, not 2.5
	 * (594 samples at 99 Hz failed it in CI now and then) */
	char *argv[] = { cprof, "--unwind", "fp", "-F", "499", "-o", (char *)tmpf("work.pb.gz"),
			 "--", (char *)fx("work"), "6", NULL };

	snprintf(work_pb, sizeof(work_pb), "%s", tmpf("work.pb.gz"));
	snprintf(work_err, sizeof(work_err), "%s", tmpf("work.err"));
	work_status = run(argv, work_err);
}

static const char *chains[3][6] = {
	{ "hot_a", "chain_a", "run_work", "main", NULL },
	{ "hot_b", "mid_b", "chain_b", "run_work", "main", NULL },
	{ "hot_c", "deep_c", "mid_c", "chain_c", "run_work", "main" },
};

START_TEST(test_record__hot_function_shares_match_the_workload)
{
	struct prof pr;
	int64_t by_leaf[3] = {0}, total = 0;

	ck_assert_msg(work_status == 0, "cprof exited %d: %s", work_status, slurp(work_err));
	pr = load(work_pb);
	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];
		const Perftools__Profiles__Location *locs[300];
		const char *names[300];
		size_t n = frames(&pr, s, names, locs, 300), u = first_user(&pr, locs, n);

		total += s->value[0];
		for (int h = 0; h < 3; h++)
			if (u < n && !strcmp(names[u], chains[h][0]))
				by_leaf[h] += s->value[0];
	}
	/* A floor, not a rate check: the fixture gets less than a full CPU when
	 * the machine is busy, and shares are what this test is about. */
	ck_assert_msg(total >= 6 * 499 / 3, "only %ld samples in 6 s at 499 Hz", (long)total);
	for (int h = 0; h < 3; h++) {
		double share = 100.0 * by_leaf[h] / total, want = (double[]){ 50, 30, 20 }[h];

		ck_assert_msg(share > want - 5 && share < want + 5,
			      "%s: %.1f %% of %ld samples, want %.0f +- 5", chains[h][0], share,
			      (long)total, want);
	}
	unload(&pr);
}
END_TEST

START_TEST(test_record__whole_chain_from_main_in_95_percent_of_samples)
{
	struct prof pr = load(work_pb);
	int64_t with_leaf[3] = {0}, whole[3] = {0};

	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];
		const Perftools__Profiles__Location *locs[300];
		const char *names[300];
		size_t n = frames(&pr, s, names, locs, 300), u = first_user(&pr, locs, n);

		for (int h = 0; h < 3; h++) {
			bool ok = true;
			size_t k;

			if (u >= n || strcmp(names[u], chains[h][0]))
				continue;
			with_leaf[h] += s->value[0];
			for (k = 0; k < 6 && chains[h][k]; k++)
				ok &= u + k < n && !strcmp(names[u + k], chains[h][k]);
			if (ok)
				whole[h] += s->value[0];
		}
	}
	for (int h = 0; h < 3; h++) {
		ck_assert_int_gt(with_leaf[h], 0);
		ck_assert_msg(whole[h] * 100 >= with_leaf[h] * 95,
			      "%s: whole chain in %ld of %ld samples", chains[h][0],
			      (long)whole[h], (long)with_leaf[h]);
	}
	unload(&pr);
}
END_TEST

/* Whether location l names a function, file and line in each of its lines */
static bool lined(const struct prof *pr, const Perftools__Profiles__Location *l)
{
	if (!l->n_line)
		return false;
	for (size_t j = 0; j < l->n_line; j++) {
		const Perftools__Profiles__Function *f =
			pprof_index__function(pr->idx, l->line[j]->function_id);

		if (!f || l->line[j]->line <= 0 || !*pprof__str(pr->p, f->filename))
			return false;
	}
	return true;
}

/* The debug build's mapping: its frames in the samples come with file and
 * line, all but a stray one in a thousand (a frame-pointer walk out of
 * libc, built without them, may come back with an address of the
 * program's that has no line, such as its PLT: CI saw the flags below
 * cleared once); and its has_* flags say whether all do, as pprof means
 * them. */
static void check_lined(const struct prof *pr, const Perftools__Profiles__Mapping *m)
{
	uint64_t frames = 0, with_line = 0;
	bool all = true;

	for (size_t i = 0; i < pr->p->n_sample; i++)
		for (size_t k = 0; k < pr->p->sample[i]->n_location_id; k++) {
			const Perftools__Profiles__Location *l =
				pprof_index__location(pr->idx, pr->p->sample[i]->location_id[k]);

			if (!l || l->mapping_id != m->id)
				continue;
			frames += (uint64_t)pr->p->sample[i]->value[0];	/* samples */
			with_line += lined(pr, l) ? (uint64_t)pr->p->sample[i]->value[0] : 0;
		}
	for (size_t i = 0; i < pr->p->n_location; i++)
		if (pr->p->location[i]->mapping_id == m->id)
			all = all && lined(pr, pr->p->location[i]);
	ck_assert_uint_gt(frames, 1000);
	ck_assert_msg(with_line * 1000 >= frames * 999, "%llu of %llu frames in %s with a line",
		      (unsigned long long)with_line, (unsigned long long)frames,
		      pprof__str(pr->p, m->filename));
	ck_assert_int_eq(m->has_functions && m->has_filenames && m->has_line_numbers, all);
	ck_assert_int_eq(m->has_line_numbers, all);
}

START_TEST(test_record__debug_build_has_file_line_and_build_id)
{
	struct prof pr = load(work_pb);
	const Perftools__Profiles__Mapping *work_map = NULL;
	bool found = false;

	for (size_t i = 0; i < pr.p->n_location; i++) {
		const Perftools__Profiles__Location *l = pr.p->location[i];
		const Perftools__Profiles__Function *f;
		const Perftools__Profiles__Mapping *m;
		const char *file;

		if (!l->n_line)
			continue;
		f = pprof_index__function(pr.idx, l->line[l->n_line - 1]->function_id);
		if (strcmp(pprof__str(pr.p, f->name), "chain_a"))
			continue;
		found = true;
		file = pprof__str(pr.p, f->filename);
		ck_assert_msg(strstr(file, "work.c"), "chain_a in '%s'", file);
		/* chain_a is one line: its call to hot_a is on the line it starts on. */
		ck_assert_int_eq(l->line[l->n_line - 1]->line, f->start_line);
		ck_assert_int_gt(f->start_line, 0);
		m = pprof_index__mapping(pr.idx, l->mapping_id);
		ck_assert_ptr_nonnull(m);
		ck_assert_msg(strstr(pprof__str(pr.p, m->filename), "fixtures/work"), "mapping %s",
			      pprof__str(pr.p, m->filename));
		ck_assert_int_eq(strlen(pprof__str(pr.p, m->build_id)), 40);
		work_map = m;
	}
	ck_assert_msg(found, "no location in chain_a");
	check_lined(&pr, work_map);
	ck_assert_int_eq(pr.p->n_sample_type, 2);
	ck_assert_str_eq(pprof__str(pr.p, pr.p->sample_type[1]->type), "cpu");
	ck_assert_str_eq(pprof__str(pr.p, pr.p->sample_type[1]->unit), "nanoseconds");
	ck_assert_int_eq(pr.p->period, 1000000000 / 499);
	ck_assert_int_gt(pr.p->duration_nanos, 5000000000LL);
	unload(&pr);
}
END_TEST

static const char *go_pprof(const char *mode, const char *file)
{
	char *argv[] = { "/usr/bin/go", "tool", "pprof", (char *)mode, (char *)file, NULL };
	const char *out = tmpf("pprof.out");
	pid_t pid;

	setenv("HOME", tmp, 1);
	pid = spawn_out(argv, out, tmpf("pprof.err"));
	ck_assert_msg(wait_status(pid) == 0, "go tool pprof %s failed: %s", mode,
		      slurp(tmpf("pprof.err")));
	return slurp(out);
}

START_TEST(test_record__go_tool_pprof_reads_top_and_traces)
{
	const char *top = go_pprof("-top", work_pb);

	ck_assert_msg(strstr(top, "hot_a") && strstr(top, "hot_b") && strstr(top, "hot_c"),
		      "-top: %s", top);
	const char *traces = go_pprof("-traces", work_pb);
	ck_assert_msg(strstr(traces, "chain_a") && strstr(traces, "run_work") &&
		      strstr(traces, "comm:"), "-traces: %.2000s", traces);
}
END_TEST

START_TEST(test_record__folded_output_has_comm_and_whole_stacks)
{
	char *argv[] = { cprof, "-q", "-f", "folded", "-o", (char *)tmpf("work.folded"), "--",
			 (char *)fx("work"), "2", NULL };
	const char *txt;

	ck_assert_int_eq(run(argv, tmpf("folded.err")), 0);
	txt = slurp(tmpf("work.folded"));
	ck_assert_msg(strstr(txt, "work;") && strstr(txt, ";main;run_work;chain_a;hot_a "),
		      "folded: %.1000s", txt);
}
END_TEST

START_TEST(test_record__cxx_names_are_demangled)
{
	char *argv[] = { cprof, "-q", "-o", (char *)tmpf("cxx.pb.gz"), "--",
			 (char *)fx("work_cxx"), "3", NULL };
	struct prof pr;
	bool found = false;

	ck_assert_int_eq(run(argv, tmpf("cxx.err")), 0);
	pr = load(tmpf("cxx.pb.gz"));
	for (size_t i = 0; i < pr.p->n_function; i++) {
		const Perftools__Profiles__Function *f = pr.p->function[i];

		if (strcmp(pprof__str(pr.p, f->name), "work::Burner<5>::hot(unsigned long)"))
			continue;
		found = true;
		ck_assert_str_eq(pprof__str(pr.p, f->system_name), "_ZN4work6BurnerILi5EE3hotEm");
	}
	ck_assert_msg(found, "no demangled work::Burner<5>::hot(unsigned long): %s",
		      go_pprof("-top", tmpf("cxx.pb.gz")));
	unload(&pr);
}
END_TEST

START_TEST(test_record__returns_the_command_exit_status)
{
	char *ok[] = { cprof, "-q", "-o", (char *)tmpf("st.pb.gz"), "--", (char *)fx("work"),
		       "0.3", "3", NULL };
	char *missing[] = { cprof, "-q", "-o", (char *)tmpf("st2.pb.gz"), "--",
			    "/nonexistent/program", NULL };

	ck_assert_int_eq(run(ok, tmpf("st.err")), 3);
	ck_assert_int_eq(access(tmpf("st.pb.gz"), R_OK), 0);
	ck_assert_int_eq(run(missing, tmpf("st2.err")), 127);
	ck_assert_msg(strstr(slurp(tmpf("st2.err")), "/nonexistent/program"), "%s",
		      slurp(tmpf("st2.err")));
}
END_TEST

START_TEST(test_record__process_that_exits_mid_run_is_symbolized)
{
	char *rec[] = { cprof, "-q", "-a", "-d", "6", "-o", (char *)tmpf("mid.pb.gz"), NULL };
	char *work[] = { (char *)fx("work"), "1.5", NULL };
	pid_t c = spawn(rec, tmpf("mid.err")), w;
	int64_t hot = 0, unnamed = 0;
	struct prof pr;

	/* once cprof samples: loading its kernel walker takes a second or two
	 * on a loaded machine */
	usleep(2500000);
	w = spawn(work, NULL);
	ck_assert_int_eq(wait_status(w), 0);	/* gone before cprof symbolizes */
	ck_assert_msg(wait_status(c) == 0, "%s", slurp(tmpf("mid.err")));
	pr = load(tmpf("mid.pb.gz"));
	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];
		const Perftools__Profiles__Location *locs[300];
		const char *names[300];
		size_t n = frames(&pr, s, names, locs, 300), u = first_user(&pr, locs, n);

		if (label_num(&pr, s, "pid") != w || u >= n)
			continue;
		if (!strncmp(names[u], "hot_", 4))
			hot += s->value[0];
		else if (!strcmp(names[u], "?"))
			unnamed += s->value[0];
	}
	ck_assert_msg(hot >= 100, "pid %d: %ld samples in hot_*, %ld unnamed", w, (long)hot,
		      (long)unnamed);
	unload(&pr);
}
END_TEST

static bool temp_files_left(const char *prefix)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	bool found = false;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && strcmp(e->d_name, prefix))
			found = true;
	if (d)
		closedir(d);
	return found;
}

START_TEST(test_record__sigint_mid_run_leaves_a_complete_file)
{
	char *work[] = { (char *)fx("work"), "30", NULL };
	pid_t w = spawn(work, NULL), c;
	char pid[16];
	struct prof pr;
	int64_t total = 0;

	snprintf(pid, sizeof(pid), "%d", w);
	char *rec[] = { cprof, "--pid", pid, "-o", (char *)tmpf("int.pb.gz"), NULL };
	c = spawn(rec, tmpf("int.err"));
	sleep(4);	/* 3 s of sampling after the BPF load */
	kill(c, SIGINT);
	ck_assert_msg(wait_status(c) == 0, "%s", slurp(tmpf("int.err")));
	kill(w, SIGKILL);
	wait_status(w);
	pr = load(tmpf("int.pb.gz"));
	for (size_t i = 0; i < pr.p->n_sample; i++)
		total += pr.p->sample[i]->value[0];
	ck_assert_msg(total > 99, "%ld samples in 3 s", (long)total);
	ck_assert_msg(!temp_files_left("int.pb.gz"), "a temporary file was left behind");
	ck_assert_msg(strstr(slurp(tmpf("int.err")), "lost: none"), "%s", slurp(tmpf("int.err")));
	unload(&pr);
}
END_TEST

START_TEST(test_record__stops_when_the_target_pid_exits)
{
	/* alive past cprof's start: loading the kernel walker takes a second */
	char *work[] = { (char *)fx("work"), "3", NULL };
	pid_t w = spawn(work, NULL);
	char pid[16];
	struct timespec a, b;

	snprintf(pid, sizeof(pid), "%d", w);
	char *rec[] = { cprof, "-q", "--pid", pid, "-o", (char *)tmpf("pid.pb.gz"), NULL };
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t c = spawn(rec, tmpf("pid.err"));
	wait_status(w);
	ck_assert_msg(wait_status(c) == 0, "%s", slurp(tmpf("pid.err")));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_msg(b.tv_sec - a.tv_sec < 10, "cprof kept running after its target exited");
	ck_assert_int_eq(access(tmpf("pid.pb.gz"), R_OK), 0);
}
END_TEST

START_TEST(test_record__a_process_lives_on_after_its_main_thread_exits)
{
	/* main leaves with pthread_exit() at 0.3 s, a thread burns for 3 s:
	 * the process is not gone, nor are its samples */
	char *rec[] = { cprof, "-F", "99", "-o", (char *)tmpf("leader.pb.gz"), "--",
			(char *)fx("leader_exit"), "3", NULL };
	int64_t burn = 0, total = 0;
	struct prof pr;

	ck_assert_msg(run(rec, tmpf("leader.err")) == 0, "%s", slurp(tmpf("leader.err")));
	ck_assert_msg(strstr(slurp(tmpf("leader.err")), "lost: none"), "%s",
		      slurp(tmpf("leader.err")));
	pr = load(tmpf("leader.pb.gz"));
	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];
		const Perftools__Profiles__Location *locs[300];
		const char *names[300];
		size_t n = frames(&pr, s, names, locs, 300), u = first_user(&pr, locs, n);

		total += s->value[0];
		if (u + 1 < n && !strcmp(names[u], "after_leader") && !strcmp(names[u + 1], "burner"))
			burn += s->value[0];
	}
	/* 3 s at 99 Hz: about 300, less the time the BPF load takes */
	ck_assert_msg(burn >= 200, "%ld of %ld samples in after_leader", (long)burn, (long)total);
	unload(&pr);
}
END_TEST

START_TEST(test_record__syscall_fixture_shows_kernel_frames_under_user_frames)
{
	char *argv[] = { cprof, "-q", "-o", (char *)tmpf("sys.pb.gz"), "--",
			 (char *)fx("syscalls"), "3", NULL };
	int64_t total = 0, kernel_under_user = 0;
	struct prof pr;

	ck_assert_int_eq(run(argv, tmpf("sys.err")), 0);
	pr = load(tmpf("sys.pb.gz"));
	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];
		const Perftools__Profiles__Location *locs[300];
		const char *names[300];
		size_t n = frames(&pr, s, names, locs, 300), u = first_user(&pr, locs, n);

		total += s->value[0];
		/* kernel frames first (leaf side), then exactly raw_read <- read_loop <- main */
		if (u > 0 && u + 2 < n && !strcmp(names[u], "raw_read") &&
		    !strcmp(names[u + 1], "read_loop") && !strcmp(names[u + 2], "main") &&
		    strcmp(names[0], "?"))
			kernel_under_user += s->value[0];
	}
	ck_assert_msg(kernel_under_user * 2 >= total,
		      "kernel frames under raw_read in %ld of %ld samples", (long)kernel_under_user,
		      (long)total);
	ck_assert(is_kernel(&pr, pprof_index__location(pr.idx, pr.p->sample[0]->location_id[0])) ||
		  pr.p->n_sample > 1);
	unload(&pr);
}
END_TEST

/* The file name of a profile's first mapping, the one go tool pprof shows
 * as "File:". */
static void assert_first_mapping(const char *file, const char *want_base)
{
	struct prof pr = load(file);
	const char *name, *base;

	ck_assert_uint_gt(pr.p->n_mapping, 0);
	name = pr.p->string_table[pr.p->mapping[0]->filename];
	base = strrchr(name, '/');
	if (want_base)
		ck_assert_str_eq(base ? base + 1 : name, want_base);
	else
		ck_assert_msg(name[0] == '/', "first mapping %s is not a file", name);
	unload(&pr);
}

/* kernel-heavy: the kernel's mapping came first before the change */
START_TEST(test_record__the_target_executable_is_the_first_mapping)
{
	char *cmd[] = { cprof, "-q", "-o", (char *)tmpf("main.pb.gz"), "--",
			(char *)fx("syscalls"), "2", NULL };
	char *sys[] = { (char *)fx("syscalls"), "3", NULL };
	char pid[16];
	pid_t w;

	ck_assert_int_eq(run(cmd, tmpf("main.err")), 0);
	assert_first_mapping(tmpf("main.pb.gz"), "syscalls");

	w = spawn(sys, NULL);
	snprintf(pid, sizeof(pid), "%d", w);
	char *bypid[] = { cprof, "-q", "--pid", pid, "-d", "1", "-o", (char *)tmpf("mainp.pb.gz"),
			  NULL };
	ck_assert_int_eq(run(bypid, tmpf("mainp.err")), 0);
	assert_first_mapping(tmpf("mainp.pb.gz"), "syscalls");

	wait_status(w);
	/* -a: the busiest process's executable, whichever it is on a shared
	 * machine; a busy one of its own, started now (loading the kernel
	 * walker takes a second) */
	w = spawn(sys, NULL);
	char *all[] = { cprof, "-q", "-a", "-d", "1", "-o", (char *)tmpf("maina.pb.gz"), NULL };
	ck_assert_int_eq(run(all, tmpf("maina.err")), 0);
	assert_first_mapping(tmpf("maina.pb.gz"), NULL);
	wait_status(w);
}
END_TEST

/* Plural words agree with their counts; -a names its busiest processes. */
START_TEST(test_record__summary_agrees_in_number_and_names_the_top_processes)
{
	char *one[] = { cprof, "-o", (char *)tmpf("one.pb.gz"), "--", (char *)fx("syscalls"), "1",
			NULL };
	char *all[] = { cprof, "-a", "-d", "1", "-o", (char *)tmpf("all.pb.gz"), NULL };
	char *sys[] = { (char *)fx("syscalls"), "2", NULL };
	const char *err;
	pid_t w, w2;

	ck_assert_int_eq(run(one, tmpf("one.err")), 0);
	err = slurp(tmpf("one.err"));
	ck_assert_msg(strstr(err, " from 1 process over "), "%s", err);
	ck_assert_msg(!strstr(err, "1 processes") && !strstr(err, " 1 samples"), "%s", err);
	ck_assert_msg(!strstr(err, "top processes"), "%s", err);

	/* two busy processes of our own: an idle machine (cprof leaves itself
	 * out) may run nothing else */
	w = spawn(sys, NULL);
	w2 = spawn(sys, NULL);
	ck_assert_int_eq(run(all, tmpf("all.err")), 0);
	wait_status(w);
	wait_status(w2);
	err = slurp(tmpf("all.err"));
	/* several processes, the busiest named with pid, comm and share */
	ck_assert_msg(strstr(err, " processes over "), "%s", err);
	ck_assert_msg(strstr(err, "cprof: top processes: "), "%s", err);
	ck_assert_msg(strstr(err, " %, "), "%s", err);
}
END_TEST

/* --- errors (no sampling needed) ---------------------------------------- */

START_TEST(test_record__usage_errors_exit_2_with_a_hint)
{
	char *bad_freq[] = { cprof, "-F", "0", "-a", NULL };
	char *big_freq[] = { cprof, "-F", "10001", "-a", NULL };
	char *unknown[] = { cprof, "--frobnicate", NULL };
	char *nothing[] = { cprof, "-d", "1", NULL };
	char *bad_dur[] = { cprof, "-a", "-d", "soon", NULL };
	char *bad_event[] = { cprof, "-a", "-e", "bogus", NULL };

	ck_assert_int_eq(run(bad_freq, tmpf("u.err")), 2);
	ck_assert_msg(strstr(slurp(tmpf("u.err")), "cprof --help"), "%s", slurp(tmpf("u.err")));
	ck_assert_int_eq(run(big_freq, NULL), 2);
	ck_assert_int_eq(run(unknown, tmpf("u.err")), 2);
	ck_assert_msg(strstr(slurp(tmpf("u.err")), "--frobnicate"), "%s", slurp(tmpf("u.err")));
	ck_assert_int_eq(run(nothing, NULL), 2);
	ck_assert_int_eq(run(bad_dur, NULL), 2);
	ck_assert_int_eq(run(bad_event, NULL), 2);
}
END_TEST

START_TEST(test_record__missing_pid_and_unwritable_output_exit_1_naming_the_cause)
{
	char *gone[] = { cprof, "--pid", "999999999", "-o", (char *)tmpf("gone.pb.gz"), NULL };
	char *unwritable[] = { cprof, "-a", "-d", "30", "-o", "/nonexistent-dir/x.pb.gz", NULL };
	char *help[] = { cprof, "--help", NULL };
	char *version[] = { cprof, "--version", NULL };
	struct timespec a, b;

	ck_assert_int_eq(run(gone, tmpf("gone.err")), 1);
	ck_assert_msg(strstr(slurp(tmpf("gone.err")), "pid 999999999 does not exist"), "%s",
		      slurp(tmpf("gone.err")));
	ck_assert_int_ne(access(tmpf("gone.pb.gz"), F_OK), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(run(unwritable, tmpf("unw.err")), 1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_msg(b.tv_sec - a.tv_sec < 5, "failed only after sampling");
	ck_assert_msg(strstr(slurp(tmpf("unw.err")), "/nonexistent-dir/x.pb.gz"), "%s",
		      slurp(tmpf("unw.err")));
	ck_assert_int_eq(run(help, NULL), 0);
	ck_assert_int_eq(run(version, NULL), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record");
	TCase *errors = tcase_create("errors"), *work = tcase_create("work"),
	      *others = tcase_create("others");
	SRunner *sr;
	int failed;

	record_util__init("record");
	if (access(cprof, X_OK)) {
		fprintf(stderr, "%s is not built\n", cprof);
		return 1;
	}
	tcase_add_test(errors, test_record__usage_errors_exit_2_with_a_hint);
	tcase_add_test(errors, test_record__missing_pid_and_unwritable_output_exit_1_naming_the_cause);
	suite_add_tcase(s, errors);
	if (!bpf_usable("or CAP_BPF + CAP_PERFMON")) {
		sr = srunner_create(s);
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		return failed ? 1 : 77;
	}
	tcase_set_timeout(work, 60);
	tcase_add_unchecked_fixture(work, record_work, NULL);
	tcase_add_test(work, test_record__hot_function_shares_match_the_workload);
	tcase_add_test(work, test_record__whole_chain_from_main_in_95_percent_of_samples);
	tcase_add_test(work, test_record__debug_build_has_file_line_and_build_id);
	tcase_add_test(work, test_record__go_tool_pprof_reads_top_and_traces);
	suite_add_tcase(s, work);
	tcase_set_timeout(others, 60);
	tcase_add_test(others, test_record__folded_output_has_comm_and_whole_stacks);
	tcase_add_test(others, test_record__cxx_names_are_demangled);
	tcase_add_test(others, test_record__returns_the_command_exit_status);
	tcase_add_test(others, test_record__process_that_exits_mid_run_is_symbolized);
	tcase_add_test(others, test_record__sigint_mid_run_leaves_a_complete_file);
	tcase_add_test(others, test_record__stops_when_the_target_pid_exits);
	tcase_add_test(others, test_record__a_process_lives_on_after_its_main_thread_exits);
	tcase_add_test(others, test_record__syscall_fixture_shows_kernel_frames_under_user_frames);
	tcase_add_test(others, test_record__the_target_executable_is_the_first_mapping);
	tcase_add_test(others, test_record__summary_agrees_in_number_and_names_the_top_processes);
	suite_add_tcase(s, others);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
