// SPDX-License-Identifier: MIT
/* pprof_build (profiler/core/pprof_build.h) without BPF: raw samples of this very
 * process become a pprof profile with Go's sample types and period, totals
 * kept (a lost stack stays as a named frame), this file's function named,
 * comments carried, and agent mode keeping only the numeric labels. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/types.h>

#include "base/proc.h"
#include "bpf/python.h"
#include "profiler/core/pprof_build.h"

__attribute__((noinline)) int pprof_build_test_leaf(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

static const char *str(const Perftools__Profiles__Profile *p, int64_t i)
{
	return i >= 0 && (size_t)i < p->n_string_table ? p->string_table[i] : "";
}

static const Perftools__Profiles__Function *func(const Perftools__Profiles__Profile *p,
						  uint64_t id)
{
	for (size_t i = 0; i < p->n_function; i++)
		if (p->function[i]->id == id)
			return p->function[i];
	return NULL;
}

static const Perftools__Profiles__Location *loc(const Perftools__Profiles__Profile *p,
						 uint64_t id)
{
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	return NULL;
}

/* The name of the first line of a sample's leaf location. */
static const char *leaf_name(const Perftools__Profiles__Profile *p,
			     const Perftools__Profiles__Sample *s)
{
	const Perftools__Profiles__Location *l = s->n_location_id ? loc(p, s->location_id[0]) : NULL;
	const Perftools__Profiles__Function *f = l && l->n_line ? func(p, l->line[0]->function_id) : NULL;

	return f ? str(p, f->name) : "";
}

struct fixture {
	struct raw_profile *rp;
	struct sym_session *sym;
};

static struct fixture make(void)
{
	struct fixture fx = { raw_profile__new(), sym_session__new(NULL) };
	uint64_t st, ips[1] = { (uint64_t)(uintptr_t)pprof_build_test_leaf + 4 };
	struct raw_sample s = { .pid = (uint32_t)getpid(), .tid = (uint32_t)getpid(),
				.kstack = RAW_STACK_NONE, .count = 7 };
	int idx;

	ck_assert_ptr_nonnull(fx.rp);
	ck_assert_ptr_nonnull(fx.sym);
	ck_assert_int_eq(proc__start_ticks(getpid(), &st), 0);
	s.start_ticks = st;
	snprintf(s.comm, sizeof(s.comm), "pbtest");
	ck_assert_int_eq(sym_session__add_process(fx.sym, getpid(), st), 0);
	idx = raw_profile__intern_stack(fx.rp, ips, 1);
	ck_assert_int_ge(idx, 0);
	s.ustack = idx;
	ck_assert_int_eq(raw_profile__add(fx.rp, &s), 0);
	s.ustack = RAW_STACK_MAP_FULL;	/* lost: kept as a named frame */
	s.count = 2;
	ck_assert_int_eq(raw_profile__add(fx.rp, &s), 0);
	return fx;
}

START_TEST(test_pprof_build__keeps_totals_types_period_and_names_the_function)
{
	struct fixture fx = make();
	const char *comments[] = { "hello comment" };
	struct pprof_build_opts bo = { .freq = 99, .time_nanos = 123, .duration_nanos = 456,
				       .comments = comments, .nr_comments = 1 };
	struct pprof_build_stats bs = {0};
	struct pb_profile *prof = NULL;
	const Perftools__Profiles__Profile *p;
	int64_t total = 0, cpu = 0;
	bool named = false, lost = false, comment = false;

	ck_assert_int_eq(pprof_build(fx.rp, fx.sym, &bo, &prof, &bs), 0);
	p = pb_profile__finish(prof);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->n_sample_type, 2);
	ck_assert_str_eq(str(p, p->sample_type[0]->type), "samples");
	ck_assert_str_eq(str(p, p->sample_type[0]->unit), "count");
	ck_assert_str_eq(str(p, p->sample_type[1]->type), "cpu");
	ck_assert_str_eq(str(p, p->sample_type[1]->unit), "nanoseconds");
	ck_assert_int_eq(p->period, 1000000000LL / 99);
	ck_assert_int_eq(p->time_nanos, 123);
	ck_assert_int_eq(p->duration_nanos, 456);
	for (size_t i = 0; i < p->n_sample; i++) {
		const char *n = leaf_name(p, p->sample[i]);

		total += p->sample[i]->value[0];
		cpu += p->sample[i]->value[1];
		named |= strstr(n, "pprof_build_test_leaf") != NULL;
		lost |= !strcmp(n, "[user stack lost: stack map full]");
	}
	for (size_t i = 0; i < p->n_comment; i++)
		comment |= !strcmp(str(p, p->comment[i]), "hello comment");
	ck_assert_int_eq(total, 9);
	ck_assert_int_eq(cpu, 9 * (1000000000LL / 99));
	ck_assert_msg(named, "the leaf function is not named");
	ck_assert(lost);
	ck_assert(comment);
	ck_assert_uint_ge(bs.symbolized, 1);
	pb_profile__free(prof);
	raw_profile__free(fx.rp);
	sym_session__free(fx.sym);
}
END_TEST

/* The profile (the caller frees it) of one sample of this process whose
 * user stack is ips and Python stack py (npy frames, none when 0). */
static struct pb_profile *build_one(const uint64_t *ips, uint32_t nips, const uint64_t *py,
				    uint32_t npy)
{
	struct raw_profile *rp = raw_profile__new();
	struct sym_session *sym = sym_session__new(NULL);
	struct raw_sample s = { .pid = (uint32_t)getpid(), .tid = (uint32_t)getpid(),
				.kstack = RAW_STACK_NONE, .count = 1 };
	struct pprof_build_opts bo = { .freq = 99 };
	struct pb_profile *prof = NULL;
	uint64_t st;

	ck_assert_ptr_nonnull(rp);
	ck_assert_ptr_nonnull(sym);
	ck_assert_int_eq(proc__start_ticks(getpid(), &st), 0);
	s.start_ticks = st;
	ck_assert_int_eq(sym_session__add_process(sym, getpid(), st), 0);
	s.ustack = raw_profile__intern_stack(rp, ips, nips);
	ck_assert_int_ge(s.ustack, 0);
	if (npy) {
		int idx = raw_profile__intern_stack(rp, py, npy);

		ck_assert_int_ge(idx, 0);
		s.pystack = idx + 1;
	}
	ck_assert_int_eq(raw_profile__add(rp, &s), 0);
	ck_assert_int_eq(pprof_build(rp, sym, &bo, &prof, NULL), 0);
	raw_profile__free(rp);
	sym_session__free(sym);
	return prof;
}

/* An address nothing names gets the name folded and SVG give it,
 * "MAPPING+0xOFFSET", not go tool pprof's "[[anon]]"; the mapping still
 * claims no functions, so a backend symbolizes it. */
START_TEST(test_pprof_build__names_an_unnamed_address_as_folded_and_svg_do)
{
	uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pb_profile *prof;
	const Perftools__Profiles__Profile *p;
	uint64_t ips[1];

	ck_assert_ptr_ne(code, MAP_FAILED);
	ips[0] = (uint64_t)(uintptr_t)code + 0x40;
	prof = build_one(ips, 1, NULL, 0);
	p = pb_profile__finish(prof);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->n_sample, 1);
	ck_assert_str_eq(leaf_name(p, p->sample[0]), "[anon]+0x40");
	for (size_t i = 0; i < p->n_mapping; i++)
		if (!strcmp(str(p, p->mapping[i]->filename), "[anon]"))
			ck_assert(!p->mapping[i]->has_functions);
	pb_profile__free(prof);
	munmap(code, 4096);
}
END_TEST

/* Stands for CPython's eval loop: pprof_build knows it by this name. */
__attribute__((noinline)) int _PyEval_EvalFrameDefault(int x)
{
	__asm__ volatile("" ::: "memory");
	return pprof_build_test_leaf(x) + 1;
}

/* The leaf-first function names of the one sample of a profile of this
 * process whose user stack is ips and Python stack py (npy frames). */
static void build_names(const uint64_t *ips, uint32_t nips, const uint64_t *py, uint32_t npy,
			char names[][64], size_t *ret_n)
{
	struct pb_profile *prof = build_one(ips, nips, py, npy);
	const Perftools__Profiles__Profile *p = pb_profile__finish(prof);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->n_sample, 1);
	*ret_n = 0;
	for (size_t i = 0; i < p->sample[0]->n_location_id; i++) {
		const Perftools__Profiles__Location *l = loc(p, p->sample[0]->location_id[i]);
		const Perftools__Profiles__Function *f = l && l->n_line ?
			func(p, l->line[l->n_line - 1]->function_id) : NULL;

		snprintf(names[(*ret_n)++], 64, "%s", f ? str(p, f->name) : "?");
	}
	pb_profile__free(prof);
}

/* CPython 3.12+ -X perf: each eval loop is called through a trampoline
 * that the perf map names "py::QUALNAME:FILE". Where the frame walk has
 * the Python frame too the trampoline is left out; past the walk's last
 * frame (a walk cut short, or none) it is the frame's only name and stays. */
START_TEST(test_pprof_build__drops_perf_trampolines_the_python_walk_has)
{
	uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t c = (uint64_t)(uintptr_t)code, eval = (uint64_t)(uintptr_t)_PyEval_EvalFrameDefault;
	/* leaf, then per Python frame its eval loop and the trampoline that
	 * called it (return addresses: one past the call) */
	uint64_t ips[] = { (uint64_t)(uintptr_t)pprof_build_test_leaf + 4,
			   eval + 5, c + 0x10 + 10, eval + 5, c + 0x20 + 10, eval + 5, c + 0x30 + 10 };
	/* three Python frames, each an eval loop's first (entry) */
	uint64_t py[] = { CPROF_PY_FRAME(0x1000, 2, 1), CPROF_PY_FRAME(0x2000, 2, 1),
			  CPROF_PY_FRAME(0x3000, 2, 1) };
	const char *unread = "[Python frame: code object unreadable]";
	const char *leaf = "pprof_build_test_leaf", *ev = "_PyEval_EvalFrameDefault";
	const char *whole[] = { leaf, unread, ev, unread, ev, unread, ev };
	const char *cut[] = { leaf, unread, ev, ev, "py::b:x.py", ev, "py::<module>:x.py" };
	const char *none[] = { leaf, ev, "py::c:x.py", ev, "py::b:x.py", ev, "py::<module>:x.py" };
	char path[64], names[16][64];
	size_t n;
	FILE *f;

	ck_assert_ptr_ne(code, MAP_FAILED);
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%llx b py::c:x.py\n%llx b py::b:x.py\n%llx b py::<module>:x.py\n",
		(unsigned long long)c + 0x10, (unsigned long long)c + 0x20,
		(unsigned long long)c + 0x30);
	fclose(f);

	build_names(ips, 7, py, 3, names, &n);
	ck_assert_uint_eq(n, 7);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(names[i], whole[i]);
	build_names(ips, 7, py, 1, names, &n);	/* the walk stopped after c */
	ck_assert_uint_eq(n, 7);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(names[i], cut[i]);
	build_names(ips, 7, NULL, 0, names, &n);	/* no walk */
	ck_assert_uint_eq(n, 7);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(names[i], none[i]);
	unlink(path);
	munmap(code, 4096);
}
END_TEST

START_TEST(test_pprof_build__agent_mode_keeps_only_numeric_labels)
{
	struct fixture fx = make();
	struct pprof_build_opts bo = { .freq = 99, .low_cardinality = true };
	struct pb_profile *prof = NULL;
	const Perftools__Profiles__Profile *p;

	ck_assert_int_eq(pprof_build(fx.rp, fx.sym, &bo, &prof, NULL), 0);
	p = pb_profile__finish(prof);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(p->n_sample, 1);
	for (size_t i = 0; i < p->n_sample; i++) {
		bool pid = false;

		for (size_t j = 0; j < p->sample[i]->n_label; j++) {
			const Perftools__Profiles__Label *l = p->sample[i]->label[j];

			ck_assert_msg(l->str == 0, "string label %s", str(p, l->key));
			pid |= !strcmp(str(p, l->key), "pid") && l->num == getpid();
		}
		ck_assert(pid);
	}
	pb_profile__free(prof);
	raw_profile__free(fx.rp);
	sym_session__free(fx.sym);
}
END_TEST

/* A CPU sample and an off-CPU block of the same thread and stack: two
 * samples of the raw profile (the state is part of the key), and the three
 * ways to build them. */
START_TEST(test_pprof_build__off_cpu_types_values_and_state_label)
{
	struct fixture fx = make();
	struct raw_sample s = *raw_profile__sample(fx.rp, 0);
	static const enum pprof_build_values modes[] = {
		PPROF_BUILD_CPU, PPROF_BUILD_CPU_OFF_CPU, PPROF_BUILD_OFF_CPU,
	};
	static const size_t want_types[] = { 2, 4, 1 };	/* sample types of each */

	s.count = 0;
	s.state = 'D';
	s.off_ns = 5000000;
	ck_assert_int_eq(raw_profile__add(fx.rp, &s), 0);
	s.off_ns = 1000000;	/* the same key: adds up */
	ck_assert_int_eq(raw_profile__add(fx.rp, &s), 0);
	ck_assert_uint_eq(raw_profile__nr_samples(fx.rp), 3);
	ck_assert_uint_eq(raw_profile__off_ns(fx.rp), 6000000);
	ck_assert_uint_eq(raw_profile__total(fx.rp), 9);
	for (size_t m = 0; m < 3; m++) {
		struct pprof_build_opts bo = { .freq = 100, .values = modes[m] };
		struct pb_profile *prof = NULL;
		const Perftools__Profiles__Profile *p;
		int64_t sums[4] = {0};
		size_t nt, states = 0;

		ck_assert_int_eq(pprof_build(fx.rp, fx.sym, &bo, &prof, NULL), 0);
		p = pb_profile__finish(prof);
		ck_assert_ptr_nonnull(p);
		nt = p->n_sample_type;
		ck_assert_uint_eq(nt, want_types[m]);
		for (size_t i = 0; i < p->n_sample; i++) {
			for (size_t j = 0; j < nt; j++)
				sums[j] += p->sample[i]->value[j];
			for (size_t j = 0; j < p->sample[i]->n_label; j++)
				if (!strcmp(str(p, p->sample[i]->label[j]->key), "thread_state")) {
					ck_assert_str_eq(str(p, p->sample[i]->label[j]->str),
							 "uninterruptible");
					states++;
				}
		}
		if (modes[m] == PPROF_BUILD_CPU) {
			ck_assert_uint_eq(p->n_sample, 2);	/* the block is left out */
			ck_assert_int_eq(sums[0], 9);
			ck_assert_uint_eq(states, 0);
		} else if (modes[m] == PPROF_BUILD_CPU_OFF_CPU) {
			ck_assert_uint_eq(p->n_sample, 3);
			ck_assert_str_eq(str(p, p->sample_type[2]->type), "off_cpu");
			ck_assert_str_eq(str(p, p->sample_type[3]->type), "wall");
			ck_assert_str_eq(str(p, p->default_sample_type), "cpu");
			ck_assert_int_eq(sums[0], 9);
			ck_assert_int_eq(sums[1], 9 * 10000000LL);
			ck_assert_int_eq(sums[2], 6000000);
			ck_assert_int_eq(sums[3], sums[1] + sums[2]);
			ck_assert_uint_eq(states, 1);
		} else {
			ck_assert_uint_eq(p->n_sample, 1);	/* CPU samples left out */
			ck_assert_str_eq(str(p, p->sample_type[0]->type), "off_cpu");
			ck_assert_str_eq(str(p, p->sample_type[0]->unit), "nanoseconds");
			ck_assert_int_eq(sums[0], 6000000);
			ck_assert_uint_eq(states, 1);
		}
		pb_profile__free(prof);
	}
	raw_profile__free(fx.rp);
	sym_session__free(fx.sym);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pprof_build");
	TCase *tc = tcase_create("build");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pprof_build__keeps_totals_types_period_and_names_the_function);
	tcase_add_test(tc, test_pprof_build__names_an_unnamed_address_as_folded_and_svg_do);
	tcase_add_test(tc, test_pprof_build__drops_perf_trampolines_the_python_walk_has);
	tcase_add_test(tc, test_pprof_build__agent_mode_keeps_only_numeric_labels);
	tcase_add_test(tc, test_pprof_build__off_cpu_types_values_and_state_label);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
