// SPDX-License-Identifier: MIT
/* Tests for safe_file (guarded opens and bounded reads), the perf-map rules
 * of sym_proc_file, and the bounded perf-map parser. The owner tests chown
 * files to nobody, so they need root; they are skipped otherwise.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "symbolize/sym_perf_map.h"
#include "symbolize/sym_proc_file.h"
#include "base/safe_file.h"

#define NOBODY 65534

static char dir[64];

static const char *path_in(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cprof-safe-file-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* a FIFO that would block forever if opened for reading */
	alarm(10);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_safe_file__opens_a_regular_file_and_reads_it_whole)
{
	struct stat st;
	char *buf;
	size_t len;
	int fd;

	write_file(path_in("f"), "hello\n", 0644);
	fd = safe_file__open(path_in("f"), NULL, &st);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(st.st_size, 6);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(safe_file__read_all(fd, 6, &buf, &len), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq(buf, "hello\n");
	free(buf);
	close(fd);
	ck_assert_int_eq(safe_file__open(path_in("absent"), NULL, NULL), -ENOENT);
	ck_assert_int_eq(safe_file__refusal(-ENOENT), SAFE_FILE_NOT_REFUSED);
}
END_TEST

START_TEST(test_safe_file__a_fifo_is_refused_without_blocking)
{
	int fd;

	ck_assert_int_eq(mkfifo(path_in("fifo"), 0644), 0);
	fd = safe_file__open(path_in("fifo"), NULL, NULL); /* alarm(10) fails a hang */
	ck_assert_int_eq(fd, -ENODEV);
	ck_assert_int_eq(safe_file__refusal(fd), SAFE_FILE_NOT_REGULAR);
	ck_assert_str_eq(safe_file__refusal_name(safe_file__refusal(fd)), "not a regular file");
	/* a device is not even opened */
	ck_assert_int_eq(safe_file__open("/dev/zero", NULL, NULL), -ENODEV);
	ck_assert_int_eq(safe_file__open(dir, NULL, NULL), -ENODEV);
}
END_TEST

START_TEST(test_safe_file__a_symlink_is_refused_unless_following_is_asked)
{
	const struct safe_file_rules follow = { .follow = true };
	int fd;

	write_file(path_in("target"), "x", 0644);
	ck_assert_int_eq(symlink(path_in("target"), path_in("link")), 0);
	ck_assert_int_eq(symlink("/dev/zero", path_in("zero")), 0);
	ck_assert_int_eq(safe_file__open(path_in("link"), NULL, NULL), -ELOOP);
	ck_assert_int_eq(safe_file__refusal(-ELOOP), SAFE_FILE_SYMLINK);
	ck_assert_int_eq(safe_file__open(path_in("zero"), NULL, NULL), -ELOOP);
	fd = safe_file__open(path_in("link"), &follow, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* followed or not, /dev/zero is no regular file */
	ck_assert_int_eq(safe_file__open(path_in("zero"), &follow, NULL), -ENODEV);
}
END_TEST

START_TEST(test_safe_file__a_foreign_owner_is_refused_root_is_trusted)
{
	struct safe_file_rules root_only = { .check_owner = true, .owner = 0 };
	struct safe_file_rules nobody = { .check_owner = true, .owner = NOBODY };
	int fd;

	if (geteuid() != 0) {
		printf("SKIP: chown needs root\n");
		return;
	}
	write_file(path_in("nobodys"), "x", 0644);
	ck_assert_int_eq(chown(path_in("nobodys"), NOBODY, NOBODY), 0);
	write_file(path_in("roots"), "x", 0644);
	fd = safe_file__open(path_in("nobodys"), &root_only, NULL);
	ck_assert_int_eq(fd, -EPERM);
	ck_assert_int_eq(safe_file__refusal(fd), SAFE_FILE_FOREIGN_OWNER);
	fd = safe_file__open(path_in("nobodys"), &nobody, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = safe_file__open(path_in("roots"), &nobody, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_safe_file__writable_by_others_is_refused_when_asked)
{
	struct safe_file_rules r = { .refuse_mode = S_IWOTH };
	int fd;

	write_file(path_in("w"), "x", 0666);
	ck_assert_int_eq(safe_file__open(path_in("w"), &r, NULL), -EACCES);
	ck_assert_int_eq(safe_file__refusal(-EACCES), SAFE_FILE_WRITABLE);
	fd = safe_file__open(path_in("w"), NULL, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_safe_file__sizes_and_reads_are_bounded)
{
	struct safe_file_rules r = { .max_size = 4 };
	char *buf;
	size_t len;
	int fd;

	write_file(path_in("five"), "12345", 0644);
	ck_assert_int_eq(safe_file__open(path_in("five"), &r, NULL), -EFBIG);
	ck_assert_int_eq(safe_file__refusal(-EFBIG), SAFE_FILE_TOO_BIG);
	r.max_size = 5;
	fd = safe_file__open(path_in("five"), &r, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(safe_file__read_all(fd, 4, &buf, &len), -EFBIG);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(safe_file__read_all(fd, 5, &buf, &len), 0);
	ck_assert_uint_eq(len, 5);
	free(buf);
	close(fd);
	/* a file that never ends (/proc/self/fd of /dev/zero, read directly) */
	fd = open("/dev/zero", O_RDONLY);
	ck_assert_int_eq(safe_file__read_all(fd, 1 << 20, &buf, &len), -EFBIG);
	close(fd);
}
END_TEST

START_TEST(test_safe_file__another_inode_is_refused)
{
	struct safe_file_rules r = { .check_identity = true };
	struct stat st;
	int fd;

	write_file(path_in("a"), "a", 0644);
	write_file(path_in("b"), "b", 0644);
	ck_assert_int_eq(stat(path_in("a"), &st), 0);
	r.dev = st.st_dev;
	r.ino = st.st_ino;
	fd = safe_file__open(path_in("a"), &r, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(safe_file__open(path_in("b"), &r, NULL), -ESTALE);
	ck_assert_int_eq(safe_file__refusal(-ESTALE), SAFE_FILE_OTHER_FILE);
}
END_TEST

START_TEST(test_safe_file__refusals_are_counted_by_name)
{
	uint64_t c[SAFE_FILE_NR_REFUSALS] = { 0 };
	char buf[128];

	ck_assert_uint_eq(safe_file__format_refusals(c, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "none");
	c[SAFE_FILE_NOT_REGULAR] = 1;
	c[SAFE_FILE_FOREIGN_OWNER] = 2;
	ck_assert_uint_eq(safe_file__format_refusals(c, buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "1 not a regular file, 2 foreign owner");
	ck_assert_str_eq(safe_file__refusal_key(SAFE_FILE_NOT_REGULAR), "not_regular");
}
END_TEST

/* --- the perf map of a process (our own: /proc/self/root is /) ------------- */

static char own_map[64];

static void own_map_setup(void)
{
	snprintf(own_map, sizeof(own_map), "/tmp/perf-%d.map", getpid());
	unlink(own_map);
	alarm(10);
}

static void own_map_teardown(void)
{
	unlink(own_map);
}

START_TEST(test_proc_file__perf_map_must_be_a_regular_file_of_the_process_owner)
{
	struct stat st;
	int fd, pid = getpid();

	ck_assert_int_eq(sym_proc_file__open_perf_map(pid, pid, &st), -ENOENT);
	ck_assert_int_eq(mkfifo(own_map, 0644), 0);
	ck_assert_int_eq(sym_proc_file__open_perf_map(pid, pid, &st), -ENODEV);
	unlink(own_map);
	ck_assert_int_eq(symlink("/dev/zero", own_map), 0);
	ck_assert_int_eq(sym_proc_file__open_perf_map(pid, pid, &st), -ELOOP);
	unlink(own_map);
	write_file(own_map, "1000 10 f\n", 0666);
	ck_assert_int_eq(sym_proc_file__open_perf_map(pid, pid, &st), -EACCES);
	ck_assert_int_eq(chmod(own_map, 0644), 0);
	fd = sym_proc_file__open_perf_map(pid, pid, &st);
	ck_assert_int_ge(fd, 0);
	close(fd);
	if (geteuid() == 0 && getuid() == 0) {
		ck_assert_int_eq(chown(own_map, NOBODY, NOBODY), 0);
		ck_assert_int_eq(sym_proc_file__open_perf_map(pid, pid, &st), -EPERM);
	}
}
END_TEST

/* --- the bounded parser ------------------------------------------------------- */

START_TEST(test_perf_map__overlong_lines_are_skipped_and_buffers_need_no_nul)
{
	size_t big = SYM_PERF_MAP_MAX_LINE + 100;
	char *text = malloc(big + 64);
	const char *name;
	struct sym_perf_map *m;
	int n;

	n = snprintf(text, 64, "1000 10 ");
	memset(text + n, 'x', big);
	strcpy(text + n + big, "\n2000 10 short\n3000 10 cut");
	/* the buffer ends before "cut": only "c" is seen */
	m = sym_perf_map__parse_buf(text, strlen(text) - 2);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(sym_perf_map__count(m), 2);
	ck_assert_uint_eq(sym_perf_map__skipped_long(m), 1);
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x1005, &name), -ENOENT);
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x2005, &name), 0);
	ck_assert_str_eq(name, "short");
	ck_assert_int_eq(sym_perf_map__lookup(m, 0x3005, &name), 0);
	ck_assert_str_eq(name, "c");
	sym_perf_map__free(m);
	free(text);
	m = sym_perf_map__parse_buf("", 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(sym_perf_map__count(m), 0);
	sym_perf_map__free(m);
}
END_TEST

START_TEST(test_perf_map__reading_an_endless_file_stops_at_the_bound)
{
	int fd = open("/dev/zero", O_RDONLY);

	ck_assert_ptr_null(sym_perf_map__read_fd(fd));
	ck_assert_int_eq(errno, EFBIG);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("safe_file");
	TCase *tc = tcase_create("safe_file"), *pm = tcase_create("perf_map");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_safe_file__opens_a_regular_file_and_reads_it_whole);
	tcase_add_test(tc, test_safe_file__a_fifo_is_refused_without_blocking);
	tcase_add_test(tc, test_safe_file__a_symlink_is_refused_unless_following_is_asked);
	tcase_add_test(tc, test_safe_file__a_foreign_owner_is_refused_root_is_trusted);
	tcase_add_test(tc, test_safe_file__writable_by_others_is_refused_when_asked);
	tcase_add_test(tc, test_safe_file__sizes_and_reads_are_bounded);
	tcase_add_test(tc, test_safe_file__another_inode_is_refused);
	tcase_add_test(tc, test_safe_file__refusals_are_counted_by_name);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(pm, own_map_setup, own_map_teardown);
	tcase_set_timeout(pm, 30);
	tcase_add_test(pm, test_proc_file__perf_map_must_be_a_regular_file_of_the_process_owner);
	tcase_add_test(pm, test_perf_map__overlong_lines_are_skipped_and_buffers_need_no_nul);
	tcase_add_test(pm, test_perf_map__reading_an_endless_file_stops_at_the_bound);
	suite_add_tcase(s, pm);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
