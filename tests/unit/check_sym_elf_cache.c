// SPDX-License-Identifier: MIT
/* Tests for what the symbolizer keeps and when it reads it: an address
 * resolved again comes from the cache of answers (sym_frames' sym_rcache)
 * and says exactly what the first answer said; a separate debug file looked for
 * early (sym_elf__debug_elf(), as sym_unwind does when it first meets a
 * binary, while /proc/PID/root still leads to it) still serves after the
 * file moved away; an idle binary lets go of its DWARF (sym_elf__shed())
 * and says the same after, from the answers kept and read again, except
 * where it could not read it again. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/sym_elf.h"
#include "symbolize/sym_frames.h"
#include "symbolize/sym_session.h"
#include "tests/unit/fixture.h"

/* The ELF vaddr of symbol name in path, from nm; 0 when absent. */
static uint64_t nm_vaddr(const char *path, const char *name)
{
	char cmd[PATH_MAX + 200], line[128];
	unsigned long long v = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm '%s' | awk '$3 == \"%s\" { print $1 }'", path, name);
	p = popen(cmd, "r");
	if (p && fgets(line, sizeof(line), p))
		v = strtoull(line, NULL, 16);
	if (p)
		pclose(p);
	return v;
}

static struct sym_elf *open_elf(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sym_elf *e;

	ck_assert_int_ge(fd, 0);
	e = sym_elf__open(path, fd, NULL);
	ck_assert_ptr_nonnull(e);
	return e;
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

START_TEST(test_sym_elf_cache__an_address_resolved_again_gives_the_same_frames)
{
	/* sym_inline's code segment has p_offset == p_vaddr: mapped at BASE,
	 * the address BASE + vaddr is at file offset vaddr */
	const uint64_t base = 0x7f0000000000ull;
	struct sym_mapping m = { .start = base + 0x1000, .limit = base + 0x2000, .offset = 0x1000,
				 .path = "sym_inline", .build_id = "" };
	struct sym_frames *fr = sym_frames__new();
	char path[PATH_MAX];
	struct sym_elf *e;
	uint64_t outer;
	int inlined = 0;

	fixture__path("sym_inline", path, sizeof(path));
	outer = nm_vaddr(path, "inl_outer");
	ck_assert_uint_ne(outer, 0);
	ck_assert_ptr_nonnull(fr);
	e = open_elf(path);
	for (uint64_t a = outer; a < outer + 256; a++) {
		struct sym_result r1 = { 0 }, r2 = { 0 };

		ck_assert_int_eq(sym_frames__from_elf(fr, e, &m, base + a, &r1), 0);
		ck_assert_int_eq(sym_frames__from_elf(fr, e, &m, base + a, &r2), 0);
		ck_assert_uint_eq(r1.nframes, r2.nframes);
		for (uint32_t i = 0; i < r1.nframes; i++) {
			ck_assert_str_eq(r1.frames[i].name, r2.frames[i].name);
			ck_assert_str_eq(r1.frames[i].file ? r1.frames[i].file : "",
					 r2.frames[i].file ? r2.frames[i].file : "");
			ck_assert_uint_eq(r1.frames[i].line, r2.frames[i].line);
			ck_assert_uint_eq(r1.frames[i].start_line, r2.frames[i].start_line);
		}
		inlined += r1.nframes == 2 && !strcmp(r1.frames[0].name, "inl_leaf");
		if (!r1.nframes || strcmp(r1.frames[r1.nframes - 1].name, "inl_outer") != 0)
			break;	/* past the end of inl_outer */
	}
	ck_assert_int_gt(inlined, 0);
	sym_elf__free(e);
	sym_frames__free(fr);
}
END_TEST

/* Every address of inl_outer through fr (the answers kept) into r[], and
 * the number of addresses inside it. */
#define SPAN 256
static int resolve_outer(struct sym_frames *fr, struct sym_elf *e, uint64_t outer,
			 struct sym_result *r)
{
	const uint64_t base = 0x7f0000000000ull;
	struct sym_mapping m = { .start = base + 0x1000, .limit = base + 0x2000, .offset = 0x1000,
				 .path = "sym_inline", .build_id = "" };
	int n;

	for (n = 0; n < SPAN; n++) {
		memset(&r[n], 0, sizeof(r[n]));
		ck_assert_int_eq(sym_frames__from_elf(fr, e, &m, base + outer + n, &r[n]), 0);
		if (!r[n].nframes || strcmp(r[n].frames[r[n].nframes - 1].name, "inl_outer") != 0)
			break;
	}
	return n;
}

static void same_results(const struct sym_result *a, const struct sym_result *b, int n)
{
	for (int k = 0; k < n; k++) {
		ck_assert_uint_eq(a[k].nframes, b[k].nframes);
		for (uint32_t i = 0; i < a[k].nframes; i++) {
			ck_assert_str_eq(a[k].frames[i].name, b[k].frames[i].name);
			ck_assert_str_eq(a[k].frames[i].file ? a[k].frames[i].file : "",
					 b[k].frames[i].file ? b[k].frames[i].file : "");
			ck_assert_uint_eq(a[k].frames[i].line, b[k].frames[i].line);
		}
	}
}

START_TEST(test_sym_elf_cache__a_shed_binary_says_the_same)
{
	static struct sym_result before[SPAN], kept[SPAN], again[SPAN];
	struct sym_frames *fr = sym_frames__new(), *fresh = sym_frames__new();
	char path[PATH_MAX];
	struct sym_elf *e;
	uint64_t outer;
	int n, inlined = 0;

	fixture__path("sym_inline", path, sizeof(path));
	outer = nm_vaddr(path, "inl_outer");
	ck_assert_uint_ne(outer, 0);
	e = open_elf(path);
	/* nothing built yet: nothing to let go of */
	ck_assert_int_eq(sym_elf__shed(e, 0), 0);
	n = resolve_outer(fr, e, outer, before);
	ck_assert_int_gt(n, 4);
	for (int k = 0; k < n; k++)
		inlined += before[k].nframes == 2 && !strcmp(before[k].frames[0].name, "inl_leaf");
	ck_assert_int_gt(inlined, 0);
	/* asked of just now: kept for an hour's idleness */
	ck_assert_int_eq(sym_elf__shed(e, 3600ull * 1000000000ull), 0);
	ck_assert_int_eq(sym_elf__shed(e, 0), 1);
	/* the answers kept outlive what the binary let go of */
	ck_assert_int_eq(resolve_outer(fr, e, outer, kept), n);
	same_results(before, kept, n);
	/* and a binary asked again builds it all again */
	ck_assert_int_eq(resolve_outer(fresh, e, outer, again), n);
	same_results(before, again, n);
	/* the file's pages given back are read again, the same */
	sym_elf__page_out(e);
	sym_frames__free(fresh);
	fresh = sym_frames__new();
	ck_assert_int_eq(resolve_outer(fresh, e, outer, again), n);
	same_results(before, again, n);
	ck_assert_int_eq(sym_elf__shed(e, 0), 1);
	sym_elf__free(e);
	sym_frames__free(fr);
	sym_frames__free(fresh);
}
END_TEST

/* A file its owner could change is read into memory, not mapped: it is not
 * read again, so it keeps all it has. */
START_TEST(test_sym_elf_cache__a_file_read_into_memory_is_not_shed)
{
	static struct sym_result before[SPAN], after[SPAN];
	char src[PATH_MAX], dir[] = "/tmp/check_sym_elf_shed.XXXXXX", copy[PATH_MAX + 32];
	char cmd[4 * PATH_MAX];
	struct sym_frames *fr = sym_frames__new(), *fresh = sym_frames__new();
	struct sym_elf *e;
	uint64_t outer;
	int n;

	fixture__path("sym_inline", src, sizeof(src));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/sym_inline", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chown 65534 '%s'", src, copy, copy);
	ck_assert_int_eq(system(cmd), 0);
	outer = nm_vaddr(copy, "inl_outer");
	e = open_elf(copy);
	n = resolve_outer(fr, e, outer, before);
	ck_assert_int_gt(n, 4);
	ck_assert_int_eq(sym_elf__shed(e, 0), -EPERM);
	ck_assert_int_eq(resolve_outer(fresh, e, outer, after), n);
	same_results(before, after, n);
	sym_elf__free(e);
	sym_frames__free(fr);
	sym_frames__free(fresh);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_sym_elf_cache__a_debug_file_found_early_serves_after_it_moved)
{
	char src[PATH_MAX], dir[] = "/tmp/check_sym_elf_cache.XXXXXX";
	char bin[PATH_MAX + 32], dbg[PATH_MAX + 32], away[PATH_MAX + 32], cmd[3 * PATH_MAX];
	struct sym_elf_frame f[SYM_MAX_INLINE];
	struct sym_elf *early, *late;
	uint64_t work;

	fixture__path("sym_dbglink", src, sizeof(src));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.debug' '%s/'", src, src, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(bin, sizeof(bin), "%s/sym_dbglink", dir);
	snprintf(dbg, sizeof(dbg), "%s/sym_dbglink.debug", dir);
	snprintf(away, sizeof(away), "%s/elsewhere", dir);
	work = nm_vaddr(dbg, "sym_work");
	ck_assert_uint_ne(work, 0);

	early = open_elf(bin);
	ck_assert_ptr_nonnull(sym_elf__debug_elf(early));
	/* found next to the binary, not under a debug root: not let go of */
	ck_assert_int_eq(sym_elf__shed(early, 0), -EPERM);
	late = open_elf(bin);
	ck_assert_int_eq(rename(dbg, away), 0);

	/* found while it was there: DWARF names the file and line */
	ck_assert_int_eq(sym_elf__resolve(early, work, f, SYM_MAX_INLINE), 1);
	ck_assert_str_eq(f[0].name, "sym_work");
	ck_assert_str_eq(base_name(f[0].file), "sym_prog.c");
	ck_assert_uint_gt(f[0].line, 0);
	/* looked for only after it left: no DWARF (what the early look is for) */
	ck_assert_int_le(sym_elf__resolve(late, work, f, SYM_MAX_INLINE), 1);
	ck_assert(!f[0].file || !f[0].line);

	sym_elf__free(early);
	sym_elf__free(late);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_elf_cache");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_elf_cache__an_address_resolved_again_gives_the_same_frames);
	tcase_add_test(tc, test_sym_elf_cache__a_debug_file_found_early_serves_after_it_moved);
	tcase_add_test(tc, test_sym_elf_cache__a_shed_binary_says_the_same);
	tcase_add_test(tc, test_sym_elf_cache__a_file_read_into_memory_is_not_shed);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
