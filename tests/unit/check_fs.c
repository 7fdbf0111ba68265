// SPDX-License-Identifier: MIT
/* fs: mkdir -p creates each missing parent with the caller's mode, leaves
 * existing directories alone, and names the failure; a stream parser runs
 * over a string or a path with its errno kept; a write is whole, at an
 * offset or at the position; a copy is whole, bounded, between files on
 * disk and into a memfd alike. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/mman.h>

#include "base/fs.h"

static char root[] = "/tmp/check_fs.XXXXXX";

static mode_t mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	return st.st_mode & 07777;
}

START_TEST(test_fs__mkdir_p_creates_parents_with_the_mode)
{
	char path[PATH_MAX];

	umask(022);
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/a//b/c/", root);
	ck_assert_int_eq(fs__mkdir_p(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/a", root);
	ck_assert_uint_eq(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/a/b/c", root);
	ck_assert_uint_eq(mode_of(path), 0700);
	/* existing: fine, and its mode is left as it was */
	ck_assert_int_eq(fs__mkdir_p(path, 0755), 0);
	ck_assert_uint_eq(mode_of(path), 0700);
}
END_TEST

START_TEST(test_fs__mkdir_p_names_the_failure)
{
	char path[PATH_MAX + 16], file[PATH_MAX], *huge;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(file, sizeof(file), "%s/file", root);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/sub", file);
	ck_assert_int_eq(fs__mkdir_p(path, 0755), -ENOTDIR);
	ck_assert_int_eq(fs__mkdir_p("", 0755), -ENAMETOOLONG);
	huge = malloc(PATH_MAX + 10);
	memset(huge, 'a', PATH_MAX + 9);
	huge[PATH_MAX + 9] = '\0';
	ck_assert_int_eq(fs__mkdir_p(huge, 0755), -ENAMETOOLONG);
	free(huge);
}
END_TEST

/* Counts the lines of f; NULL with errno EBADMSG when ctx says so. */
static void *count_lines(FILE *f, void *ctx)
{
	static size_t n;
	char *line = NULL;
	size_t cap = 0;

	n = 0;
	while (getline(&line, &cap, f) >= 0)
		n++;
	free(line);
	if (ctx) {
		errno = EBADMSG;
		return NULL;
	}
	return &n;
}

START_TEST(test_fs__parse_runs_a_parser_over_a_string_or_a_path)
{
	size_t *n;

	n = fs__parse_string("a\nb\nc", count_lines, NULL);
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(*n, 3);
	n = fs__parse_string("", count_lines, NULL);
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(*n, 0);
	n = fs__parse_path("/proc/self/maps", count_lines, NULL);
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_gt(*n, 3);
	/* the parser's errno survives fclose */
	errno = 0;
	ck_assert_ptr_null(fs__parse_string("x", count_lines, (void *)1));
	ck_assert_int_eq(errno, EBADMSG);
	errno = 0;
	ck_assert_ptr_null(fs__parse_path("/nonexistent/x", count_lines, NULL));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static int stop_at_x(char *line, void *ctx)
{
	(*(int *)ctx)++;
	return line[0] == 'x' ? -ECANCELED : 0;
}

START_TEST(test_fs__each_line_stops_at_the_first_error)
{
	FILE *f = fmemopen((void *)"a\nb\nx\nc\n", 8, "r");
	int n = 0;

	ck_assert_int_eq(fs__each_line(f, stop_at_x, &n), -ECANCELED);
	ck_assert_int_eq(n, 3);
	fclose(f);
	f = fmemopen((void *)"a\nb", 3, "r");	/* no final newline */
	n = 0;
	ck_assert_int_eq(fs__each_line(f, stop_at_x, &n), 0);
	ck_assert_int_eq(n, 2);
	fclose(f);
}
END_TEST

START_TEST(test_fs__write_all_writes_at_an_offset_or_the_position)
{
	int fd = memfd_create("check_fs", 0);
	char buf[16] = "";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fs__write_all(fd, "abcdef", 6, -1), 0);
	ck_assert_int_eq(fs__write_all(fd, "XY", 2, 1), 0);
	ck_assert_int_eq(fs__write_all(fd, "gh", 2, -1), 0);	/* the position: 6 */
	ck_assert_int_eq(pread(fd, buf, sizeof(buf) - 1, 0), 8);
	ck_assert_str_eq(buf, "aXYdefgh");
	close(fd);
	ck_assert_int_eq(fs__write_all(-1, "a", 1, 0), -EBADF);
}
END_TEST

START_TEST(test_fs__copy_copies_whole_files_within_a_bound)
{
	char path[] = "/tmp/check_fs_copy.XXXXXX";
	int in = mkstemp(path), out = memfd_create("check_fs", 0), disk;
	size_t size = 300000;
	char *data = malloc(size), *back = malloc(size);
	uint64_t len = 0;

	ck_assert(in >= 0 && out >= 0 && data && back);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)(i * 7 + i / 251);
	ck_assert_int_eq(fs__write_all(in, data, size, 0), 0);
	/* a file on disk into a memfd: by hand where copy_file_range cannot */
	ck_assert_int_eq(fs__copy(in, out, size, &len), 0);
	ck_assert_uint_eq(len, size);
	ck_assert_int_eq(pread(out, back, size, 0), (ssize_t)size);
	ck_assert_int_eq(memcmp(data, back, size), 0);
	/* one byte over the bound */
	ck_assert_int_eq(fs__copy(in, out, size - 1, &len), -EFBIG);
	/* and back to a file on disk */
	disk = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	if (disk >= 0) {
		memset(back, 0, size);
		ck_assert_int_eq(fs__copy(out, disk, UINT64_MAX, &len), 0);
		ck_assert_uint_eq(len, size);
		ck_assert_int_eq(pread(disk, back, size, 0), (ssize_t)size);
		ck_assert_int_eq(memcmp(data, back, size), 0);
		close(disk);
	}
	unlink(path);
	close(in);
	close(out);
	free(data);
	free(back);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_fs__mkdir_p_creates_parents_with_the_mode);
	tcase_add_test(tc, test_fs__mkdir_p_names_the_failure);
	tcase_add_test(tc, test_fs__parse_runs_a_parser_over_a_string_or_a_path);
	tcase_add_test(tc, test_fs__each_line_stops_at_the_first_error);
	tcase_add_test(tc, test_fs__write_all_writes_at_an_offset_or_the_position);
	tcase_add_test(tc, test_fs__copy_copies_whole_files_within_a_bound);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
