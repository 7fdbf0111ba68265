// SPDX-License-Identifier: MIT
/* Integration tests of `cprof record --unwind dwarf|auto` (BPF, as root) on
 * code built without frame pointers: the 50/30/20 workload built -O2
 * -fomit-frame-pointer (PIE and non-PIE, hot functions in a shared library,
 * everything stripped with separate debug files) must show the right shares
 * and whole call chains; a recursion deeper than the stack copy must come out
 * as truncated, never as a wrong chain; Debian's python3 must unwind to its
 * first frame; and libunwind, given the very records cprof unwound, must find
 * the same frames. The frame-pointer result on the same binaries is printed
 * beside, not asserted. Exits 77 (skip) where BPF cannot be used. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "export/pprof.h"
#include "profiler/core/sampler.h"
#include "symbolize/sym_session.h"
#include "tests/record_util.h"
#include "tests/uw_libunwind.h"

#define PYTHON "/usr/bin/python3"

/* A CPU-bound Python job: recursion in the interpreter, about SECONDS long. */
static const char *python_job(void)
{
	const char *path = tmpf("job.py");
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs("import sys, time\n"
	      "def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
	      "end = time.time() + float(sys.argv[1])\n"
	      "while time.time() < end: fib(18)\n", f);
	fclose(f);
	return path;
}

/* --- reading profiles -------------------------------------------------------- */

#define MAX_FRAMES 1100

/* User frames of a sample, leaf first (kernel frames skipped), inline frames
 * expanded; unnamed ones as "?". */
static size_t user_frames(const struct prof *pr, const Perftools__Profiles__Sample *s,
			  const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_location_id && n < max; i++) {
		const Perftools__Profiles__Location *l = pprof_index__location(pr->idx, s->location_id[i]);
		const Perftools__Profiles__Mapping *m = l->mapping_id ?
			pprof_index__mapping(pr->idx, l->mapping_id) : NULL;
		const char *file = m ? pprof__str(pr->p, m->filename) : "";

		if (file[0] == '[' && strcmp(file, "[vdso]"))
			continue;	/* [kernel.kallsyms], modules */
		if (!l->n_line)
			names[n++] = "?";
		for (size_t j = 0; j < l->n_line && n < max; j++) {
			const Perftools__Profiles__Function *f =
				pprof_index__function(pr->idx, l->line[j]->function_id);

			names[n++] = pprof__str(pr->p, f->name);
		}
	}
	return n;
}

/* --- the 50/30/20 workload ------------------------------------------------- */

static const char *chains[3][5] = {
	{ "hot_a", "chain_a", "run_work", "main", NULL },
	{ "hot_b", "mid_b", "chain_b", "run_work", "main" },
	{ "hot_c", "deep_c", "mid_c", "chain_c", "run_work" },
};
static const char *chain_c_root = "main";	/* chains[2] goes on to main */

struct work_result {
	int64_t total, by_leaf[3], whole[3];
};

static struct work_result work_stats(const struct prof *pr, const char *process)
{
	struct work_result w = { 0 };

	for (size_t i = 0; i < pr->p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr->p->sample[i];
		const char *names[MAX_FRAMES];
		size_t n;

		if (strcmp(label_str(pr, s, "process"), process))
			continue;
		n = user_frames(pr, s, names, MAX_FRAMES);
		w.total += s->value[0];
		for (int h = 0; h < 3; h++) {
			bool ok = true;

			if (!n || strcmp(names[0], chains[h][0]))
				continue;
			w.by_leaf[h] += s->value[0];
			for (size_t k = 0; k < 5 && chains[h][k]; k++)
				ok &= k < n && !strcmp(names[k], chains[h][k]);
			if (h == 2)
				ok &= n > 5 && !strcmp(names[5], chain_c_root);
			if (ok)
				w.whole[h] += s->value[0];
		}
	}
	return w;
}

/* The builds at once, through a shell that starts them. uw_work_fp is built
 * with frame pointers, which GCC still leaves out of leaf functions. */
#define NR_BUILDS 3
static const char *const modes[] = { "dwarf", "auto", "fp" };
static const char *const builds[NR_BUILDS] = { "uw_work_pie", "uw_work_nopie", "uw_work_fp" };
static struct work_result results[3][NR_BUILDS];
static int record_status[3];
static char record_err[3][4096];

static void record_work(void)
{
	char script[1200];

	snprintf(script, sizeof(script), "%s 5 & %s 5 & %s 5 & wait", fx("uw_work_pie"),
		 fx("uw_work_nopie"), fx("uw_work_fp"));
	for (int m = 0; m < 3; m++) {
		char out[400], err[400];
		char *argv[] = { cprof, "--unwind", (char *)modes[m], "-F", "999", "-o", out, "--",
				 "/bin/sh", "-c", script, NULL };
		struct prof pr;

		snprintf(out, sizeof(out), "%s", tmpf(modes[m]));
		strcat(out, ".pb.gz");
		snprintf(err, sizeof(err), "%s.err", out);
		record_status[m] = wait_status(spawn(argv, err));
		snprintf(record_err[m], sizeof(record_err[m]), "%s", slurp(err));
		printf("cprof --unwind %s: %s", modes[m], record_err[m]);
		if (record_status[m])
			continue;
		pr = load(out);
		for (int b = 0; b < NR_BUILDS; b++)
			results[m][b] = work_stats(&pr, builds[b]);
		unload(&pr);
	}
	printf("50/30/20 workload, -O2 -fomit-frame-pointer, hot functions in a stripped shared library\n"
	       "(uw_work_fp: -O2 -fno-omit-frame-pointer, one binary):\n");
	printf("  %-14s %-6s %8s %22s %22s\n", "binary", "unwind", "samples", "shares a/b/c %",
	       "whole chain a/b/c %");
	for (int b = 0; b < NR_BUILDS; b++)
		for (int m = 0; m < 3; m++) {
			struct work_result *w = &results[m][b];
			double t = w->total ? (double)w->total : 1;

			printf("  %-14s %-6s %8ld %6.1f %6.1f %6.1f   %6.1f %6.1f %6.1f\n", builds[b],
			       modes[m], (long)w->total, 100 * w->by_leaf[0] / t, 100 * w->by_leaf[1] / t,
			       100 * w->by_leaf[2] / t,
			       100.0 * w->whole[0] / (w->by_leaf[0] ? w->by_leaf[0] : 1),
			       100.0 * w->whole[1] / (w->by_leaf[1] ? w->by_leaf[1] : 1),
			       100.0 * w->whole[2] / (w->by_leaf[2] ? w->by_leaf[2] : 1));
		}
	fflush(stdout);
}

static void check_shares(int m)
{
	ck_assert_msg(record_status[m] == 0, "cprof --unwind %s exited %d: %s", modes[m],
		      record_status[m], record_err[m]);
	for (int b = 0; b < NR_BUILDS; b++) {
		const struct work_result *w = &results[m][b];

		/* 5 s at 999 Hz, 3 programs on the CPUs, other load on the machine */
		ck_assert_msg(w->total >= 5 * 999 * 2 / 10, "%s: only %ld samples", builds[b],
			      (long)w->total);
		for (int h = 0; h < 3; h++) {
			double share = 100.0 * w->by_leaf[h] / w->total;
			double want = (double[]){ 50, 30, 20 }[h];

			ck_assert_msg(share > want - 5 && share < want + 5,
				      "--unwind %s, %s: %s %.1f %% of %ld samples, want %.0f +- 5",
				      modes[m], builds[b], chains[h][0], share, (long)w->total, want);
		}
	}
}

static void check_chains(int m)
{
	for (int b = 0; b < NR_BUILDS; b++)
		for (int h = 0; h < 3; h++) {
			const struct work_result *w = &results[m][b];

			ck_assert_int_gt(w->by_leaf[h], 0);
			ck_assert_msg(w->whole[h] * 100 >= w->by_leaf[h] * 95,
				      "--unwind %s, %s: whole chain under %s in %ld of %ld samples",
				      modes[m], builds[b], chains[h][0], (long)w->whole[h],
				      (long)w->by_leaf[h]);
		}
}

START_TEST(test_dwarf_record__shares_match_the_workload_without_frame_pointers)
{
	check_shares(0);
}
END_TEST

START_TEST(test_dwarf_record__whole_chain_in_95_percent_of_samples)
{
	check_chains(0);
}
END_TEST

START_TEST(test_auto_record__shares_match_the_workload_without_frame_pointers)
{
	check_shares(1);
}
END_TEST

START_TEST(test_auto_record__whole_chain_in_95_percent_of_samples)
{
	check_chains(1);
}
END_TEST

START_TEST(test_dwarf_record__summary_says_every_stack_is_complete)
{
	ck_assert_msg(strstr(record_err[0], "user stacks: ") &&
		      strstr(record_err[0], "(dwarf, 16 KiB window"), "%s", record_err[0]);
	/* auto walks in the kernel: whole, but for the samples taken before
	 * the tables were pushed (those come as copies) */
	ck_assert_msg(strstr(record_err[1], "walked in the kernel") &&
		      strstr(record_err[1], ": 100.0 % complete"), "%s", record_err[1]);
	ck_assert_msg(!strstr(record_err[0], "truncated"), "%s", record_err[0]);
}
END_TEST

/* --- a recursion deeper than the copy ------------------------------------- */

struct deep_result {
	int64_t total, truncated, complete, wrong;
	size_t max_recurse;
};

/* Each sample must be burn, recurse x N, then either the truncation marker
 * (N < 301) or run, main, ... _start (N == 301). */
static struct deep_result deep_stats(const char *path)
{
	struct prof pr = load(path);
	struct deep_result d = { 0 };

	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];
		const char *names[MAX_FRAMES];
		size_t n = user_frames(&pr, s, names, MAX_FRAMES), k = 0, r;

		if (strcmp(label_str(&pr, s, "process"), "uw_deep"))
			continue;
		d.total += s->value[0];
		if (k < n && !strcmp(names[k], "burn"))
			k++;
		for (r = 0; k < n && !strcmp(names[k], "recurse"); k++)
			r++;
		if (r > d.max_recurse)
			d.max_recurse = r;
		if (k + 1 == n && !strcmp(names[k], "[truncated: stack deeper than --stack-size]"))
			d.truncated += s->value[0];
		else if (r == 301 && k + 2 < n && !strcmp(names[k], "run") &&
			 !strcmp(names[k + 1], "main") && !strcmp(names[n - 1], "_start"))
			d.complete += s->value[0];
		else
			d.wrong += s->value[0];
	}
	unload(&pr);
	return d;
}

START_TEST(test_dwarf_record__deep_recursion_is_truncated_never_a_wrong_chain)
{
	char *argv[] = { cprof, "--unwind", "dwarf", "-o", (char *)tmpf("deep.pb.gz"), "--",
			 (char *)fx("uw_deep"), "3", NULL };
	char *wide[] = { cprof, "--unwind", "dwarf", "--stack-size", "65536", "-o",
			 (char *)tmpf("deep64.pb.gz"), "--", (char *)fx("uw_deep"), "3", NULL };
	struct deep_result d;

	ck_assert_int_eq(wait_status(spawn(argv, tmpf("deep.err"))), 0);
	d = deep_stats(tmpf("deep.pb.gz"));
	printf("uw_deep at 16 KiB: %ld samples, %ld truncated, %ld complete, %ld other; "
	       "up to %zu recurse frames\n", (long)d.total, (long)d.truncated, (long)d.complete,
	       (long)d.wrong, d.max_recurse);
	ck_assert_int_gt(d.total, 3 * 99 / 2);
	ck_assert_msg(d.truncated * 100 >= d.total * 90, "%ld of %ld samples truncated",
		      (long)d.truncated, (long)d.total);
	ck_assert_msg(d.complete == 0, "%ld samples claim a whole chain", (long)d.complete);
	/* what may remain: samples outside the recursion (startup, run's loop) */
	ck_assert_msg(d.wrong * 100 <= d.total * 5, "%ld of %ld samples in another shape",
		      (long)d.wrong, (long)d.total);
	/* 300 frames of about 160 bytes: 32 KiB would still truncate them */
	ck_assert_msg(strstr(slurp(tmpf("deep.err")),
			     "uw_deep: 100.0 % of stacks truncated at 16 KiB; try --stack-size 65536") ||
		      strstr(slurp(tmpf("deep.err")), "of stacks truncated at 16 KiB; try --stack-size 65536"),
		      "summary: %s", slurp(tmpf("deep.err")));

	ck_assert_int_eq(wait_status(spawn(wide, tmpf("deep64.err"))), 0);
	d = deep_stats(tmpf("deep64.pb.gz"));
	printf("uw_deep at 64 KiB: %ld samples, %ld truncated, %ld complete, %ld other\n",
	       (long)d.total, (long)d.truncated, (long)d.complete, (long)d.wrong);
	ck_assert_msg(d.complete * 100 >= d.total * 90, "%ld of %ld samples complete",
		      (long)d.complete, (long)d.total);
	ck_assert_int_eq(d.truncated, 0);

	/* deeper than the largest window: truncated (never "stack unreadable",
	 * which the copy a page short of 64 KiB made of it), and the way out */
	char *deeper[] = { cprof, "--unwind", "dwarf", "--stack-size", "65536", "-o",
			   (char *)tmpf("deep96.pb.gz"), "--", (char *)fx("uw_deep"), "2", "600", NULL };
	ck_assert_int_eq(wait_status(spawn(deeper, tmpf("deep96.err"))), 0);
	ck_assert_msg(strstr(slurp(tmpf("deep96.err")), "uw_deep: ") &&
		      strstr(slurp(tmpf("deep96.err")), " of stacks truncated at 64 KiB (the maximum): "
			     "deeper than the largest --stack-size (65536); build with "
			     "-fno-omit-frame-pointer and record with --unwind fp") &&
		      !strstr(slurp(tmpf("deep96.err")), "unreadable"),
		      "summary: %s", slurp(tmpf("deep96.err")));
}
END_TEST

/* --- a program nobody here wrote: Debian's python3 ----------------------------- */

struct py_result {
	int64_t total, to_main;
};

/* Reaches main: Py_BytesMain (main tail-calls it) and the first frame, _start. */
static struct py_result python_stats(const char *path)
{
	struct prof pr = load(path);
	struct py_result r = { 0 };

	for (size_t i = 0; i < pr.p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr.p->sample[i];
		const char *names[MAX_FRAMES];
		size_t n = user_frames(&pr, s, names, MAX_FRAMES);
		bool bytes_main = false;

		if (strncmp(label_str(&pr, s, "process"), "python3", 7))
			continue;
		r.total += s->value[0];
		for (size_t k = 0; k < n; k++)
			bytes_main |= !strcmp(names[k], "Py_BytesMain");
		if (bytes_main && n && !strcmp(names[n - 1], "_start"))
			r.to_main += s->value[0];
	}
	unload(&pr);
	return r;
}

START_TEST(test_dwarf_record__debian_python3_unwinds_to_main)
{
	const char *job = python_job();
	char *dwarf[] = { cprof, "--unwind", "dwarf", "-o", (char *)tmpf("py.pb.gz"), "--",
			  PYTHON, (char *)job, "4", NULL };
	char *fp[] = { cprof, "--unwind", "fp", "-o", (char *)tmpf("pyfp.pb.gz"), "--",
		       PYTHON, (char *)job, "2", NULL };
	struct py_result d, f;

	ck_assert_int_eq(wait_status(spawn(dwarf, tmpf("py.err"))), 0);
	ck_assert_int_eq(wait_status(spawn(fp, tmpf("pyfp.err"))), 0);
	d = python_stats(tmpf("py.pb.gz"));
	f = python_stats(tmpf("pyfp.pb.gz"));
	printf("python3 (Debian, no frame pointers): stack reaches main in %.1f %% of %ld samples "
	       "with --unwind dwarf, %.1f %% of %ld with --unwind fp\n",
	       100.0 * d.to_main / (d.total ? d.total : 1), (long)d.total,
	       100.0 * f.to_main / (f.total ? f.total : 1), (long)f.total);
	ck_assert_int_gt(d.total, 4 * 99 / 2);
	ck_assert_msg(d.to_main * 100 >= d.total * 90, "main reached in %ld of %ld samples",
		      (long)d.to_main, (long)d.total);
}
END_TEST

/* --- libunwind on the records cprof unwound ------------------------------------ */

#define MAX_RECORDS 300

struct kept {
	struct cprof_stack_record r;
	uint8_t *stack;
	uint64_t ips[256];
	struct uw_result res;
};

struct capture_ctx {
	struct sym_session *sym;
	struct kept *recs;
	size_t n;
	uint32_t window;
};

/* The sampler's unwind callback: unwind as cprof record does, keep a copy. */
static int keep_record(void *ctx, const struct cprof_stack_record *r, const void *stack,
		       uint64_t *ips, uint32_t max)
{
	struct capture_ctx *c = ctx;
	struct uw_regs regs = { .ip = r->ip, .sp = r->sp, .bp = r->bp, .bx = r->bx };
	struct uw_stack st = { .data = stack, .len = r->stack_len, .limit = c->window };
	struct uw_result res;
	struct kept *k;
	int err;

	err = sym_session__unwind(c->sym, (int)r->tgid, r->start_ticks, UW_MODE_DWARF, &regs, &st,
				  ips, max < 256 ? max : 256, &res);
	if (err)
		return err;
	if (c->n < MAX_RECORDS && r->ip < 0x800000000000ULL) {
		k = &c->recs[c->n++];
		k->r = *r;
		k->stack = malloc(r->stack_len ? r->stack_len : 1);
		ck_assert_ptr_nonnull(k->stack);
		memcpy(k->stack, stack, r->stack_len);
		memcpy(k->ips, ips, res.nr * sizeof(*ips));
		k->res = res;
	}
	return (int)res.nr;
}

/* Record pid for a while in-process, then (pid still alive) unwind every
 * record with libunwind too. Returns records compared; *ret_same how many
 * gave identical frames. */
static size_t compare_with_libunwind(pid_t pid, size_t *ret_same, size_t *ret_complete)
{
	struct capture_ctx c = { .window = CPROF_STACK_COPY_DEFAULT };
	struct sampler_opts so = { .freq = 199, .stack_window = CPROF_STACK_COPY_DEFAULT,
				   .unwind = keep_record, .ctx = &c };
	struct raw_profile *rp = raw_profile__new();
	const char *what = "";
	struct sampler *s;
	struct lu_target t;
	size_t same = 0, complete = 0;

	c.sym = sym_session__new(NULL);
	c.recs = calloc(MAX_RECORDS, sizeof(*c.recs));
	ck_assert(c.sym && c.recs && rp);
	s = sampler__new(&so, &what);
	ck_assert_msg(s, "%s: %s", what, strerror(errno));
	ck_assert_int_eq(sampler__add_target(s, (uint32_t)pid), 0);
	ck_assert_int_eq(sampler__start(s, &what), 0);
	for (int i = 0; i < 20 && c.n < MAX_RECORDS; i++)
		ck_assert_int_ge(sampler__poll(s, 100), 0);
	sampler__stop(s);
	ck_assert_int_ge(sampler__drain(s, rp), 0);
	ck_assert_uint_gt(c.n, 100);

	ck_assert_int_eq(lu_open(&t, pid), 0);
	for (size_t i = 0; i < c.n; i++) {
		struct kept *k = &c.recs[i];
		uint64_t lips[256];
		uint32_t n;
		bool eq;
		int lerr;

		t.ip = k->r.ip;
		t.sp = k->r.sp;
		t.bp = k->r.bp;
		t.bx = k->r.bx;
		t.stack = k->stack;
		t.stack_len = k->r.stack_len;
		n = lu_unwind(&t, lips, 256, &lerr);
		eq = n == k->res.nr && !memcmp(lips, k->ips, n * sizeof(*lips));
		same += eq;
		complete += k->res.stop == UW_STOP_OUTERMOST;
		if (!eq) {
			printf("record %zu differs: cprof %u frames (%s), libunwind %u (step %d):", i,
			       k->res.nr, uw_stop__name(k->res.stop), n, lerr);
			for (uint32_t j = 0; j < (n > k->res.nr ? n : k->res.nr) && j < 40; j++)
				printf(" %#lx/%#lx", j < k->res.nr ? (unsigned long)k->ips[j] : 0UL,
				       j < n ? (unsigned long)lips[j] : 0UL);
			printf("\n");
		}
		free(k->stack);
	}
	lu_close(&t);
	sampler__free(s);
	raw_profile__free(rp);
	sym_session__free(c.sym);
	free(c.recs);
	*ret_same = same;
	*ret_complete = complete;
	return c.n;
}

static void libunwind_agrees(char *const argv[], const char *what)
{
	pid_t pid = spawn(argv, NULL);
	size_t same, complete, n;

	usleep(300000);
	n = compare_with_libunwind(pid, &same, &complete);
	kill(pid, SIGKILL);
	wait_status(pid);
	printf("%s: libunwind gives the same frames for %zu of %zu records (%zu complete)\n",
	       what, same, n, complete);
	fflush(stdout);
	ck_assert_msg(same == n, "%s: %zu of %zu records differ from libunwind", what, n - same, n);
	ck_assert_msg(complete * 100 >= n * 90, "%s: %zu of %zu complete", what, complete, n);
}

START_TEST(test_dwarf_record__libunwind_finds_the_same_frames_in_the_workload)
{
	char *argv[] = { (char *)fx("uw_work_pie"), "30", NULL };

	libunwind_agrees(argv, "uw_work_pie");
}
END_TEST

START_TEST(test_dwarf_record__libunwind_finds_the_same_frames_in_python3)
{
	char *argv[] = { PYTHON, (char *)python_job(), "30", NULL };

	libunwind_agrees(argv, "python3");
}
END_TEST

/* --- options ---------------------------------------------------------------- */

START_TEST(test_dwarf_record__bad_unwind_options_exit_2_with_a_hint)
{
	char *bad_mode[] = { cprof, "-a", "--unwind", "frames", NULL };
	char *small[] = { cprof, "-a", "--stack-size", "100", NULL };
	char *big[] = { cprof, "-a", "--stack-size", "131072", NULL };
	char *fp_size[] = { cprof, "-a", "--unwind", "fp", "--stack-size", "32768", NULL };
	char *copy_mem[] = { cprof, "-a", "--unwind", "copy", "--unwind-memory", "1M", NULL };
	char *bad_mem[] = { cprof, "-a", "--unwind-memory", "lots", NULL };

	ck_assert_int_eq(wait_status(spawn(bad_mode, tmpf("opt.err"))), 2);
	ck_assert_msg(strstr(slurp(tmpf("opt.err")), "auto, copy, dwarf or fp"), "%s", slurp(tmpf("opt.err")));
	ck_assert_int_eq(wait_status(spawn(small, tmpf("opt.err"))), 2);
	ck_assert_msg(strstr(slurp(tmpf("opt.err")), "1024..65536"), "%s", slurp(tmpf("opt.err")));
	ck_assert_int_eq(wait_status(spawn(big, NULL)), 2);
	ck_assert_int_eq(wait_status(spawn(fp_size, tmpf("opt.err"))), 2);
	ck_assert_int_eq(wait_status(spawn(copy_mem, tmpf("opt.err"))), 2);
	ck_assert_msg(strstr(slurp(tmpf("opt.err")), "--unwind auto only"), "%s", slurp(tmpf("opt.err")));
	ck_assert_int_eq(wait_status(spawn(bad_mem, tmpf("opt.err"))), 2);
	ck_assert_msg(strstr(slurp(tmpf("opt.err")), "4K..16G"), "%s", slurp(tmpf("opt.err")));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dwarf_record");
	TCase *opts = tcase_create("options"), *work = tcase_create("work"),
	      *others = tcase_create("others");
	SRunner *sr;
	int failed;

	record_util__init("dwarf_record");
	tcase_add_test(opts, test_dwarf_record__bad_unwind_options_exit_2_with_a_hint);
	suite_add_tcase(s, opts);
	if (geteuid() != 0) {
		printf("SKIP: BPF tests need root (or CAP_BPF + CAP_PERFMON)\n");
		sr = srunner_create(s);
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		return failed ? 1 : 77;
	}
	tcase_set_timeout(work, 90);
	tcase_add_unchecked_fixture(work, record_work, NULL);
	tcase_add_test(work, test_dwarf_record__shares_match_the_workload_without_frame_pointers);
	tcase_add_test(work, test_dwarf_record__whole_chain_in_95_percent_of_samples);
	tcase_add_test(work, test_auto_record__shares_match_the_workload_without_frame_pointers);
	tcase_add_test(work, test_auto_record__whole_chain_in_95_percent_of_samples);
	tcase_add_test(work, test_dwarf_record__summary_says_every_stack_is_complete);
	suite_add_tcase(s, work);
	tcase_set_timeout(others, 60);
	tcase_add_test(others, test_dwarf_record__deep_recursion_is_truncated_never_a_wrong_chain);
	tcase_add_test(others, test_dwarf_record__debian_python3_unwinds_to_main);
	tcase_add_test(others, test_dwarf_record__libunwind_finds_the_same_frames_in_the_workload);
	tcase_add_test(others, test_dwarf_record__libunwind_finds_the_same_frames_in_python3);
	suite_add_tcase(s, others);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
