// SPDX-License-Identifier: MIT
/* Tests for symbolize/proc_events: a forked child inherits its parent's
 * mappings until exec, the exec'd image's maps replace them (the old ones only
 * answer where nothing new is mapped), an exited process stays until the second
 * flush, start times estimated from the fork time match /proc's tick or the one
 * before, and the symbolizer uses these maps for a process /proc no longer has. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>

#include "base/proc.h"
#include "symbolize/sym_proc_events.h"
#include "symbolize/sym_session.h"

#define TICK 10000000ull	/* ns per USER_HZ tick */
/* a pid no live process has: /proc cannot answer for it */
#define PARENT 4000001
#define CHILD 4000002

static void map(struct sym_proc_events *pe, int pid, uint64_t start, uint64_t len, uint32_t prot,
		const char *path)
{
	struct sym_proc_events_map m = { .start = start, .len = len, .prot = prot, .path = path };

	ck_assert_int_eq(sym_proc_events__mmap(pe, pid, &m), 0);
}

static struct sym_proc_events *new_pe(void)
{
	struct sym_proc_events *pe = sym_proc_events__new(NULL);

	ck_assert_ptr_nonnull(pe);
	return pe;
}

/* A parent born at tick 500 (fork at 500.2 ticks) that exec'd /bin/sh. */
static struct sym_proc_events *with_parent(void)
{
	struct sym_proc_events *pe = new_pe();

	ck_assert_int_eq(sym_proc_events__fork(pe, PARENT, 1, 500 * TICK + 2000000), 0);
	ck_assert_int_eq(sym_proc_events__exec(pe, PARENT, "sh"), 0);
	map(pe, PARENT, 0x1000, 0x1000, PROT_READ | PROT_EXEC, "/bin/sh");
	map(pe, PARENT, 0x7000, 0x1000, PROT_READ | PROT_EXEC, "/lib/libc.so.6");
	map(pe, PARENT, 0x9000, 0x1000, PROT_READ | PROT_WRITE, "/data"); /* not code */
	return pe;
}

static struct sym_proc_maps *lookup(struct sym_proc_events *pe, int pid, uint64_t st,
				    bool *complete)
{
	struct sym_proc_events_view v;

	ck_assert_int_eq(sym_proc_events__lookup(pe, pid, st, &v), 0);
	if (complete)
		*complete = v.complete;
	return v.maps;
}

START_TEST(test_proc_events__child_inherits_its_parents_maps_until_exec)
{
	struct sym_proc_events *pe = with_parent();
	struct sym_proc_maps *m;
	bool complete;

	ck_assert_int_eq(sym_proc_events__fork(pe, CHILD, PARENT, 600 * TICK + 5000), 0);
	m = lookup(pe, CHILD, 600, &complete);
	ck_assert(complete);
	ck_assert_uint_eq(m->n, 2);
	ck_assert_str_eq(m->entries[0].path, "/bin/sh");
	ck_assert_str_eq(m->entries[1].path, "/lib/libc.so.6");
	ck_assert_str_eq(m->entries[1].perms, "r-xp");
	sym_proc_maps__free(m);
	/* the child's own mapping is its own: the parent does not see it */
	map(pe, CHILD, 0x20000, 0x1000, PROT_EXEC, "/usr/lib/x.so");
	m = lookup(pe, PARENT, 500, NULL);
	ck_assert_uint_eq(m->n, 2);
	sym_proc_maps__free(m);
	sym_proc_events__free(pe);
}
END_TEST

START_TEST(test_proc_events__exec_replaces_inherited_maps_and_keeps_them_only_where_nothing_new_is)
{
	struct sym_proc_events *pe = with_parent();
	struct sym_proc_maps *m;

	ck_assert_int_eq(sym_proc_events__fork(pe, CHILD, PARENT, 600 * TICK), 0);
	ck_assert_int_eq(sym_proc_events__exec(pe, CHILD, "true"), 0);
	/* the new image lands over the old /bin/sh range */
	map(pe, CHILD, 0x1000, 0x2000, PROT_READ | PROT_EXEC, "/bin/true");
	m = lookup(pe, CHILD, 600, NULL);
	ck_assert_uint_eq(m->n, 2);
	ck_assert_uint_eq(m->entries[0].start, 0x1000);
	ck_assert_uint_eq(m->entries[0].end, 0x3000);
	ck_assert_str_eq(m->entries[0].path, "/bin/true");
	ck_assert(!m->entries[0].pre_exec);
	/* pre-exec libc still answers its range (samples unwound after the exec),
	 * marked: the in-kernel unwinder does not load its table */
	ck_assert_str_eq(m->entries[1].path, "/lib/libc.so.6");
	ck_assert(m->entries[1].pre_exec);
	sym_proc_maps__free(m);
	/* a second exec drops the first image's inherited maps altogether */
	ck_assert_int_eq(sym_proc_events__exec(pe, CHILD, "true2"), 0);
	map(pe, CHILD, 0x7000, 0x1000, PROT_EXEC, "/lib/libc2.so");
	m = lookup(pe, CHILD, 600, NULL);
	ck_assert_uint_eq(m->n, 2);
	ck_assert_str_eq(m->entries[0].path, "/bin/true");	/* pre-exec, not covered */
	ck_assert(m->entries[0].pre_exec);
	ck_assert_str_eq(m->entries[1].path, "/lib/libc2.so");
	ck_assert(!m->entries[1].pre_exec);
	sym_proc_maps__free(m);
	/* the cheap test answers as the lookup does: new and pre-exec maps,
	 * not data, not another process, not an address nothing maps */
	ck_assert(sym_proc_events__covers(pe, CHILD, 600, 0x7800));
	ck_assert(sym_proc_events__covers(pe, CHILD, 600, 0x2fff));
	ck_assert(!sym_proc_events__covers(pe, CHILD, 600, 0x3000));
	ck_assert(!sym_proc_events__covers(pe, PARENT, 500, 0x9000));
	ck_assert(!sym_proc_events__covers(pe, CHILD, 700, 0x7800));
	sym_proc_events__free(pe);
}
END_TEST

struct forgotten {
	int n, pid;
	uint64_t start_ticks;
	bool estimated;
};

static void on_forget(void *ctx, int pid, uint64_t start_ticks, bool estimated)
{
	struct forgotten *f = ctx;

	f->n++;
	f->pid = pid;
	f->start_ticks = start_ticks;
	f->estimated = estimated;
}

START_TEST(test_proc_events__keeps_an_exited_process_until_the_second_flush)
{
	struct sym_proc_events *pe = with_parent();
	struct sym_proc_events_view v;
	struct sym_proc_maps *m;
	struct forgotten f = { 0 };

	sym_proc_events__on_forget(pe, on_forget, &f);

	ck_assert_int_eq(sym_proc_events__fork(pe, CHILD, PARENT, 600 * TICK), 0);
	ck_assert_int_eq(sym_proc_events__exit(pe, CHILD), 0);
	m = lookup(pe, CHILD, 600, NULL);
	sym_proc_maps__free(m);
	sym_proc_events__flush(pe);	/* the pass that drains its last samples */
	m = lookup(pe, CHILD, 600, NULL);
	ck_assert_uint_eq(m->n, 2);
	sym_proc_maps__free(m);
	ck_assert_int_eq(f.n, 0);
	sym_proc_events__flush(pe);
	ck_assert_int_eq(sym_proc_events__lookup(pe, CHILD, 600, &v), -ENOENT);
	/* told once, with the estimated start, so the session drops it too */
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.pid, CHILD);
	ck_assert_uint_eq(f.start_ticks, 600);
	ck_assert(f.estimated);
	/* the parent, alive, stays */
	m = lookup(pe, PARENT, 500, NULL);
	sym_proc_maps__free(m);
	sym_proc_events__free(pe);
}
END_TEST

START_TEST(test_proc_events__matches_the_start_tick_of_a_fork_time_and_no_other)
{
	struct sym_proc_events *pe = with_parent();
	struct sym_proc_events_view v;
	struct sym_proc_maps *m;

	/* forked at 700.00002 ticks: /proc may say 699 (fork record just after a
	 * tick boundary) or 700 */
	ck_assert_int_eq(sym_proc_events__fork(pe, CHILD, PARENT, 700 * TICK + 200), 0);
	m = lookup(pe, CHILD, 700, NULL);
	sym_proc_maps__free(m);
	m = lookup(pe, CHILD, 699, NULL);
	sym_proc_maps__free(m);
	ck_assert_int_eq(sym_proc_events__lookup(pe, CHILD, 701, &v), -ENOENT);
	ck_assert_int_eq(sym_proc_events__lookup(pe, CHILD, 650, &v), -ENOENT);
	/* pid reuse: the newer process answers for its own start only */
	ck_assert_int_eq(sym_proc_events__exit(pe, CHILD), 0);
	ck_assert_int_eq(sym_proc_events__fork(pe, CHILD, 1, 900 * TICK), 0);
	map(pe, CHILD, 0x50000, 0x1000, PROT_EXEC, "/bin/other");
	m = lookup(pe, CHILD, 900, NULL);
	ck_assert_uint_eq(m->n, 1);
	ck_assert_str_eq(m->entries[0].path, "/bin/other");
	sym_proc_maps__free(m);
	m = lookup(pe, CHILD, 700, NULL);
	ck_assert_uint_eq(m->n, 2);
	sym_proc_maps__free(m);
	sym_proc_events__free(pe);
}
END_TEST

START_TEST(test_proc_events__a_new_mapping_replaces_what_it_overlaps)
{
	struct sym_proc_events *pe = with_parent();
	struct sym_proc_maps *m;

	map(pe, PARENT, 0x800, 0x7000, PROT_EXEC, "/big");	/* covers 0x800..0x7800 */
	m = lookup(pe, PARENT, 500, NULL);
	ck_assert_uint_eq(m->n, 1);
	ck_assert_str_eq(m->entries[0].path, "/big");
	sym_proc_maps__free(m);
	sym_proc_events__free(pe);
}
END_TEST

START_TEST(test_proc_events__anonymous_code_has_an_empty_path_as_in_proc_maps)
{
	struct sym_proc_events *pe = with_parent();
	struct sym_proc_maps *m;

	map(pe, PARENT, 0x30000, 0x1000, PROT_READ | PROT_EXEC, "//anon");	/* JIT code */
	m = lookup(pe, PARENT, 500, NULL);
	ck_assert_uint_eq(m->n, 3);
	ck_assert_str_eq(m->entries[2].path, "");
	sym_proc_maps__free(m);
	sym_proc_events__free(pe);
}
END_TEST

START_TEST(test_proc_events__symbolizer_captures_a_gone_process_from_events)
{
	struct sym_proc_events *pe = new_pe();
	struct sym_session *s = sym_session__new(NULL);
	struct sym_stats st;

	ck_assert_ptr_nonnull(s);
	/* /proc has no such process: without events the capture fails */
	ck_assert_int_eq(sym_session__add_process(s, CHILD, 600), -ESRCH);
	sym_session__stats(s, &st);
	ck_assert_uint_eq(st.processes_unmapped, 1);
	sym_session__set_proc_events(s, pe, NULL, NULL);
	ck_assert_int_eq(sym_proc_events__fork(pe, CHILD, PARENT, 600 * TICK), 0);
	ck_assert_int_eq(sym_proc_events__exec(pe, CHILD, "gone"), 0);
	map(pe, CHILD, 0x10000, 0x1000, PROT_EXEC, "/nonexistent/gone");
	ck_assert_int_eq(sym_proc_events__exit(pe, CHILD), 0);
	ck_assert_int_eq(sym_session__add_process(s, CHILD, 600), 0);
	ck_assert(sym_session__covers(s, CHILD, 600, 0x10800));
	ck_assert(!sym_session__covers(s, CHILD, 600, 0x20000));
	sym_session__stats(s, &st);
	ck_assert_uint_eq(st.processes_from_events, 1);
	sym_session__free(s);
	sym_proc_events__free(pe);
}
END_TEST

START_TEST(test_proc_events__tell_a_process_that_maps_no_python_without_its_maps)
{
	struct sym_proc_events *pe = with_parent();
	struct sym_session *s = sym_session__new(NULL);

	ck_assert_ptr_nonnull(s);
	/* no events: it may */
	ck_assert(sym_session__may_map_python(s, CHILD, 600));
	sym_session__set_proc_events(s, pe, NULL, NULL);
	ck_assert(!sym_session__may_map_python(s, PARENT, 500));	/* sh and libc only */
	ck_assert_int_eq(sym_proc_events__fork(pe, CHILD, PARENT, 600 * TICK), 0);
	ck_assert(!sym_session__may_map_python(s, CHILD, 600));	/* inherited */
	ck_assert_int_eq(sym_proc_events__exec(pe, CHILD, "python3"), 0);
	ck_assert(!sym_session__may_map_python(s, CHILD, 600));	/* ld.so still mapping */
	map(pe, CHILD, 0x10000, 0x1000, PROT_READ | PROT_EXEC, "/usr/bin/python3.11");
	ck_assert(sym_session__may_map_python(s, CHILD, 600));
	ck_assert_int_eq(sym_proc_events__exec(pe, CHILD, "app"), 0);
	map(pe, CHILD, 0x10000, 0x1000, PROT_READ | PROT_EXEC, "/opt/app");
	ck_assert(!sym_session__may_map_python(s, CHILD, 600));
	map(pe, CHILD, 0x20000, 0x1000, PROT_READ | PROT_EXEC, "/usr/lib/libpython3.12.so.1.0");
	ck_assert(sym_session__may_map_python(s, CHILD, 600));
	/* a process the events never saw whole (born before them): it may */
	ck_assert(sym_session__may_map_python(s, PARENT + 10, 700));
	sym_session__free(s);
	sym_proc_events__free(pe);
}
END_TEST

/* A gone process of another mount namespace: its binary's path leads nowhere
 * here, but the kernel gave its build-id, and the same build is already open
 * (this test program, captured live): its addresses are named. */
__attribute__((noinline)) int proc_events_marker_function(int x)
{
	return x * 3 + 1;
}

START_TEST(test_proc_events__a_binary_out_of_reach_resolves_by_its_kernel_build_id)
{
	struct sym_proc_events *pe = new_pe();
	struct sym_session *s = sym_session__new(NULL);
	struct sym_proc_maps *self = sym_proc_maps__read(getpid());
	uint64_t addr = (uint64_t)(uintptr_t)proc_events_marker_function, st;
	const struct sym_proc_maps_entry *text = NULL;
	struct sym_proc_events_map m = { .prot = PROT_READ | PROT_EXEC, .path = "/gone/ns/prog" };
	struct sym_result r;
	uint8_t bid[20];
	size_t n;

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(self);
	ck_assert_int_eq(proc__start_ticks(getpid(), &st), 0);
	ck_assert_int_eq(sym_session__resolve_user(s, getpid(), st, addr, false, &r), 0);
	ck_assert_ptr_nonnull(r.mapping);
	n = strlen(r.mapping->build_id) / 2;
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n && i < sizeof(bid); i++)
		sscanf(r.mapping->build_id + 2 * i, "%2hhx", &bid[i]);
	for (size_t i = 0; i < self->n; i++)
		if (self->entries[i].start <= addr && addr < self->entries[i].end)
			text = &self->entries[i];
	ck_assert_ptr_nonnull(text);
	m.start = text->start;
	m.len = text->end - text->start;
	m.pgoff = text->offset;
	m.build_id = bid;
	m.build_id_size = (uint32_t)n;
	sym_session__set_proc_events(s, pe, NULL, NULL);
	ck_assert_int_eq(sym_proc_events__fork(pe, CHILD, PARENT, 600 * TICK), 0);
	ck_assert_int_eq(sym_proc_events__exec(pe, CHILD, "prog"), 0);
	ck_assert_int_eq(sym_proc_events__mmap(pe, CHILD, &m), 0);
	ck_assert_int_eq(sym_session__resolve_user(s, CHILD, 600, addr, false, &r), 0);
	ck_assert_ptr_nonnull(r.mapping);
	ck_assert_str_eq(r.mapping->path, "/gone/ns/prog");
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "proc_events_marker_function");
	sym_proc_maps__free(self);
	sym_session__free(s);
	sym_proc_events__free(pe);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proc_events");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_proc_events__child_inherits_its_parents_maps_until_exec);
	tcase_add_test(tc, test_proc_events__exec_replaces_inherited_maps_and_keeps_them_only_where_nothing_new_is);
	tcase_add_test(tc, test_proc_events__keeps_an_exited_process_until_the_second_flush);
	tcase_add_test(tc, test_proc_events__matches_the_start_tick_of_a_fork_time_and_no_other);
	tcase_add_test(tc, test_proc_events__a_new_mapping_replaces_what_it_overlaps);
	tcase_add_test(tc, test_proc_events__anonymous_code_has_an_empty_path_as_in_proc_maps);
	tcase_add_test(tc, test_proc_events__symbolizer_captures_a_gone_process_from_events);
	tcase_add_test(tc, test_proc_events__tell_a_process_that_maps_no_python_without_its_maps);
	tcase_add_test(tc, test_proc_events__a_binary_out_of_reach_resolves_by_its_kernel_build_id);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
