// SPDX-License-Identifier: MIT
/* Tests for sym_bins, the binary cache: one binary per build-id whatever the
 * mapping, the LRU bound, reopening an evicted binary only when it is
 * still the file captured, and a mapping found by device and inode while
 * its file is unchanged. Uses this test's own mappings. */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "symbolize/sym_bins.h"
#include "symbolize/sym_proc_maps.h"

/* The first executable mapping of this process whose path contains what. */
static const struct sym_proc_maps_entry *find_exec(const struct sym_proc_maps *m, const char *what)
{
	for (size_t i = 0; i < m->n; i++)
		if (sym_proc_maps_entry__executable(&m->entries[i]) &&
		    m->entries[i].path[0] == '/' && strstr(m->entries[i].path, what))
			return &m->entries[i];
	return NULL;
}

static const struct sym_proc_maps_entry *self_exe(const struct sym_proc_maps *m)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	return find_exec(m, exe);
}

START_TEST(test_sym_bins__opens_a_binary_once_under_its_build_id)
{
	struct sym_proc_maps *m = sym_proc_maps__read(getpid());
	struct sym_bins *c = sym_bins__new(8, "/nonexistent-debug");
	struct sym_bin_ref a = { 0 }, b = { 0 };
	char *bid_a = NULL, *bid_b = NULL, *key = NULL;
	const struct sym_proc_maps_entry *me;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(c);
	me = self_exe(m);
	ck_assert_ptr_nonnull(me);
	ck_assert_int_eq(sym_bins__attach(c, getpid(), me, &a, &bid_a), 1);
	ck_assert_int_eq(sym_bins__attach(c, getpid(), me, &b, &bid_b), 1);
	ck_assert_str_ne(bid_a, "");	/* gcc links with --build-id */
	ck_assert_str_eq(bid_a, bid_b);
	ck_assert_str_eq(a.key, b.key);
	ck_assert_uint_eq(sym_bins__stats(c)->opened, 1);
	ck_assert_uint_eq(sym_bins__count(c), 1);
	ck_assert_ptr_nonnull(sym_bins__get(c, &a));
	ck_assert_int_eq(sym_bins__key_for_build_id(c, bid_a, &key), 0);
	ck_assert_str_eq(key, a.key);
	free(key);
	ck_assert_int_eq(sym_bins__key_for_build_id(c, "00112233", &key), 0);
	ck_assert_ptr_null(key);
	free(b.key), free(bid_b);
	/* a build-id the kernel reported finds it without an open */
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(sym_bins__attach_build_id(c, "00112233", &b, &bid_b), 0);
	ck_assert_ptr_null(b.key);
	ck_assert_int_eq(sym_bins__attach_build_id(c, bid_a, &b, &bid_b), 1);
	ck_assert_str_eq(b.key, a.key);
	ck_assert_str_eq(bid_b, bid_a);
	ck_assert_uint_eq(sym_bins__stats(c)->opened, 1);
	free(a.key), free(b.key), free(bid_a), free(bid_b);
	sym_bins__free(c);
	sym_bins__free(NULL);
	sym_proc_maps__free(m);
}
END_TEST

START_TEST(test_sym_bins__evicts_the_oldest_and_reopens_the_same_file)
{
	struct sym_proc_maps *m = sym_proc_maps__read(getpid());
	struct sym_bins *c = sym_bins__new(1, "/nonexistent-debug");
	struct sym_bin_ref exe = { 0 }, libc = { 0 }, wrong;
	char *bid_exe = NULL, *bid_libc = NULL;
	const struct sym_proc_maps_entry *me_exe, *me_libc;
	struct sym_elf *elf;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(c);
	me_exe = self_exe(m);
	me_libc = find_exec(m, "libc.so");
	ck_assert_ptr_nonnull(me_exe);
	ck_assert_ptr_nonnull(me_libc);
	ck_assert_int_eq(sym_bins__attach(c, getpid(), me_exe, &exe, &bid_exe), 1);
	ck_assert_int_eq(sym_bins__attach(c, getpid(), me_libc, &libc, &bid_libc), 1);
	ck_assert_uint_eq(sym_bins__stats(c)->evicted, 1);
	ck_assert_uint_eq(sym_bins__count(c), 1);
	ck_assert_ptr_null(sym_bins__get(c, &exe));
	/* a reopen that finds another build is refused, and remembered */
	wrong = exe;
	wrong.key = exe.key;
	ck_assert_ptr_null(sym_bins__reopen(c, &wrong, getpid(), true, me_exe->start, me_exe->end,
					    me_exe->path, "00112233"));
	ck_assert(wrong.reopen_failed);
	ck_assert(!exe.reopen_failed);
	elf = sym_bins__reopen(c, &exe, getpid(), true, me_exe->start, me_exe->end, me_exe->path,
			       bid_exe);
	ck_assert_ptr_nonnull(elf);
	ck_assert_str_eq(sym_elf__build_id(elf), bid_exe);
	ck_assert_ptr_eq(sym_bins__get(c, &exe), elf);
	ck_assert_ptr_null(sym_bins__get(c, &libc)); /* the bound is 1 */
	ck_assert_uint_eq(sym_bins__stats(c)->opened, 3);
	ck_assert_uint_eq(sym_bins__stats(c)->evicted, 2);
	free(exe.key), free(libc.key), free(bid_exe), free(bid_libc);
	sym_bins__free(c);
	sym_proc_maps__free(m);
}
END_TEST

/* A mapping that names its file by device and inode only (as /proc shows
 * it; a fork of a process read there has no build-id) finds a binary
 * attached before without a path walk, while the file is the one opened:
 * once changed in place, it is looked up by its path again. */
START_TEST(test_sym_bins__a_mapping_finds_its_binary_by_device_and_inode)
{
	char dir[] = "/tmp/check_sym_bins.XXXXXX", path[PATH_MAX], cmd[2 * PATH_MAX + 16];
	struct sym_proc_maps *m = sym_proc_maps__read(getpid());
	struct sym_bins *c = sym_bins__new(8, "/nonexistent-debug");
	struct sym_bin_ref ref[3] = { { 0 } };
	char *bid[3] = { NULL };
	struct sym_proc_maps_entry me;
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/copy", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", self_exe(m)->path, path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	me = (struct sym_proc_maps_entry){ .start = 0x1000, .end = 0x2000, .perms = "r-xp",
					   .path = path, .inode = st.st_ino,
					   .dev_major = major(st.st_dev), .dev_minor = minor(st.st_dev) };
	ck_assert_int_eq(sym_bins__attach(c, getpid(), &me, &ref[0], &bid[0]), 1);
	ck_assert_uint_eq(sym_bins__stats(c)->mapping_hits, 0);
	ck_assert_int_eq(sym_bins__attach(c, getpid(), &me, &ref[1], &bid[1]), 1);
	ck_assert_uint_eq(sym_bins__stats(c)->mapping_hits, 1);
	ck_assert_str_eq(ref[1].key, ref[0].key);
	ck_assert_uint_eq(ref[1].st_ino, st.st_ino);
	/* changed in place: same inode, other size and time */
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_int_eq(sym_bins__attach(c, getpid(), &me, &ref[2], &bid[2]), 1);
	ck_assert_uint_eq(sym_bins__stats(c)->mapping_hits, 1);
	for (int i = 0; i < 3; i++)
		free(ref[i].key), free(bid[i]);
	sym_bins__free(c);
	sym_proc_maps__free(m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_sym_bins__a_file_that_cannot_be_opened_attaches_nothing)
{
	struct sym_bins *c = sym_bins__new(8, "/nonexistent-debug");
	struct sym_proc_maps_entry me = { .start = 0x1000, .end = 0x2000, .perms = "r-xp",
					  .path = "/nonexistent/cprof-test.so", .inode = 1 };
	struct sym_bin_ref ref = { 0 };
	char *bid = NULL;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sym_bins__attach(c, getpid(), &me, &ref, &bid), 0);
	ck_assert_ptr_null(ref.key);
	ck_assert_ptr_null(bid);
	ck_assert_uint_eq(sym_bins__count(c), 0);
	ck_assert_ptr_nonnull(sym_bins__vdso(c)); /* x86-64 Linux maps one */
	ck_assert_ptr_eq(sym_bins__vdso(c), sym_bins__vdso(c));
	sym_bins__free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_bins");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_bins__opens_a_binary_once_under_its_build_id);
	tcase_add_test(tc, test_sym_bins__evicts_the_oldest_and_reopens_the_same_file);
	tcase_add_test(tc, test_sym_bins__a_file_that_cannot_be_opened_attaches_nothing);
	tcase_add_test(tc, test_sym_bins__a_mapping_finds_its_binary_by_device_and_inode);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
