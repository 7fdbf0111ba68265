// SPDX-License-Identifier: MIT
/* Tests for symbolize/proc_maps: the /proc/PID/maps lines that break naive
 * parsers (spaces in paths, " (deleted)", anonymous and [bracketed]
 * mappings, hex device numbers, top-of-address-space ranges), and a live
 * read of our own maps.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/sym_proc_maps.h"

static const char MAPS[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1048602                    /usr/bin/cat\n"
	"55d0c0a02000-55d0c0a07000 r-xp 00002000 fd:01 1048602                    /usr/bin/cat\n"
	"55d0c1e4f000-55d0c1e70000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1a2b000000-7f1a2b021000 r-xp 00001000 103:0a 393222                    /opt/My App/lib/libfoo bar.so\n"
	"7f1a2c000000-7f1a2c010000 r-xp 00000000 00:00 0 \n"
	"7f1a2d000000-7f1a2d004000 r-xp 00003000 08:11 77 /tmp/jit (deleted) copy (deleted)\n"
	"7ffd5e5a1000-7ffd5e5c2000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd5e5f7000-7ffd5e5f9000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static struct sym_proc_maps *parse_fixture(void)
{
	struct sym_proc_maps *m = sym_proc_maps__parse_string(MAPS);

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n, 9);
	return m;
}

START_TEST(test_proc_maps__parses_a_plain_file_mapping)
{
	struct sym_proc_maps *m = parse_fixture();
	const struct sym_proc_maps_entry *e = &m->entries[1];

	ck_assert_uint_eq(e->start, 0x55d0c0a02000ull);
	ck_assert_uint_eq(e->end, 0x55d0c0a07000ull);
	ck_assert_uint_eq(e->offset, 0x2000);
	ck_assert_str_eq(e->perms, "r-xp");
	ck_assert(sym_proc_maps_entry__executable(e));
	ck_assert(!sym_proc_maps_entry__executable(&m->entries[0]));
	ck_assert_uint_eq(e->dev_major, 0xfd);
	ck_assert_uint_eq(e->dev_minor, 1);
	ck_assert_uint_eq(e->inode, 1048602);
	ck_assert_str_eq(e->path, "/usr/bin/cat");
	ck_assert(!e->deleted);
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_proc_maps__keeps_spaces_inside_paths)
{
	struct sym_proc_maps *m = parse_fixture();

	ck_assert_str_eq(m->entries[3].path, "/opt/My App/lib/libfoo bar.so");
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_proc_maps__reads_device_numbers_as_hex)
{
	struct sym_proc_maps *m = parse_fixture();

	ck_assert_uint_eq(m->entries[3].dev_major, 0x103);
	ck_assert_uint_eq(m->entries[3].dev_minor, 0x0a);
	ck_assert_uint_eq(m->entries[3].offset, 0x1000);
	ck_assert_uint_eq(m->entries[5].dev_major, 8);
	ck_assert_uint_eq(m->entries[5].dev_minor, 0x11);
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_proc_maps__strips_only_the_final_deleted_suffix_and_remembers_it)
{
	struct sym_proc_maps *m = parse_fixture();

	ck_assert_str_eq(m->entries[5].path, "/tmp/jit (deleted) copy");
	ck_assert(m->entries[5].deleted);
	ck_assert_uint_eq(m->entries[5].inode, 77);
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_proc_maps__gives_anonymous_mappings_an_empty_path)
{
	struct sym_proc_maps *m = parse_fixture();

	ck_assert_str_eq(m->entries[4].path, "");
	ck_assert_uint_eq(m->entries[4].inode, 0);
	ck_assert(sym_proc_maps_entry__executable(&m->entries[4]));
	ck_assert(!m->entries[4].deleted);
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_proc_maps__keeps_bracketed_pseudo_paths)
{
	struct sym_proc_maps *m = parse_fixture();

	ck_assert_str_eq(m->entries[2].path, "[heap]");
	ck_assert_str_eq(m->entries[6].path, "[stack]");
	ck_assert_str_eq(m->entries[7].path, "[vdso]");
	ck_assert_str_eq(m->entries[8].path, "[vsyscall]");
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_proc_maps__handles_addresses_at_the_top_of_the_address_space)
{
	struct sym_proc_maps *m = parse_fixture();

	ck_assert_uint_eq(m->entries[8].start, 0xffffffffff600000ull);
	ck_assert_uint_eq(m->entries[8].end, 0xffffffffff601000ull);
	ck_assert_str_eq(m->entries[8].perms, "--xp");
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_proc_maps__skips_lines_that_are_not_maps_lines)
{
	struct sym_proc_maps *m = sym_proc_maps__parse_string(
		"garbage\n"
		"\n"
		"1000-2000 r-xp 00000000 00:00 0 /a\n"
		"3000-2000 r-xp 00000000 00:00 0 /end-before-start\n"
		"4000-5000 r-xp 00000000 00:00 0 /no-newline-at-end");

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n, 2);
	ck_assert_str_eq(m->entries[0].path, "/a");
	ck_assert_str_eq(m->entries[1].path, "/no-newline-at-end");
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_proc_maps__parses_a_single_line_in_place)
{
	char line[] = "7f00-8f00 r-xp 00001000 fe:00 42 /lib/x.so (deleted)\n";
	struct sym_proc_maps_entry e;

	ck_assert_int_eq(sym_proc_maps__parse_line(line, &e), 0);
	ck_assert_uint_eq(e.start, 0x7f00);
	ck_assert_uint_eq(e.end, 0x8f00);
	ck_assert_str_eq(e.path, "/lib/x.so");
	ck_assert(e.deleted);
	char bad[] = "not a maps line";

	ck_assert_int_eq(sym_proc_maps__parse_line(bad, &e), -EINVAL);
}
END_TEST

START_TEST(test_proc_maps__reads_the_live_maps_of_this_process)
{
	struct sym_proc_maps *m = sym_proc_maps__read(getpid());
	uintptr_t here = (uintptr_t)&test_proc_maps__reads_the_live_maps_of_this_process_fn;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bool found = false;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	for (size_t i = 0; i < m->n; i++) {
		const struct sym_proc_maps_entry *e = &m->entries[i];

		if (here >= e->start && here < e->end) {
			ck_assert(sym_proc_maps_entry__executable(e));
			ck_assert_str_eq(e->path, exe);
			found = true;
		}
	}
	ck_assert(found);
	sym_proc_maps__free(m);
	ck_assert_ptr_null(sym_proc_maps__read(-1));
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

static Suite *proc_maps_suite(void)
{
	Suite *s = suite_create("proc_maps");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_proc_maps__parses_a_plain_file_mapping);
	tcase_add_test(tc, test_proc_maps__keeps_spaces_inside_paths);
	tcase_add_test(tc, test_proc_maps__reads_device_numbers_as_hex);
	tcase_add_test(tc, test_proc_maps__strips_only_the_final_deleted_suffix_and_remembers_it);
	tcase_add_test(tc, test_proc_maps__gives_anonymous_mappings_an_empty_path);
	tcase_add_test(tc, test_proc_maps__keeps_bracketed_pseudo_paths);
	tcase_add_test(tc, test_proc_maps__handles_addresses_at_the_top_of_the_address_space);
	tcase_add_test(tc, test_proc_maps__skips_lines_that_are_not_maps_lines);
	tcase_add_test(tc, test_proc_maps__parses_a_single_line_in_place);
	tcase_add_test(tc, test_proc_maps__reads_the_live_maps_of_this_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proc_maps_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
