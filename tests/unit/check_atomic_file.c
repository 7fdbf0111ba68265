// SPDX-License-Identifier: MIT
/* Tests for base/atomic_file: a committed file appears whole, an aborted
 * one leaves nothing (not even the temporary), an unwritable destination
 * fails at open, and "-" writes straight to stdout; the temporaries a killed
 * run left are swept, and only those. Each test works in its own fresh
 * directory so leftovers are visible. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/atomic_file.h"

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/check_atomic_file.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *path_in_dir(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* Number of entries in dir other than . and .. */
static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_atomic_file__commit_makes_the_whole_file_appear)
{
	struct atomic_file af;
	struct stat st;
	char path[128];

	make_dir();
	strcpy(path, path_in_dir("out.pb.gz"));
	ck_assert_int_eq(atomic_file__open(&af, path), 0);
	ck_assert_ptr_nonnull(af.tmp_path);
	ck_assert_str_eq(af.path, path);
	/* The temporary sits beside the destination, which does not exist yet. */
	ck_assert_int_eq(strncmp(af.tmp_path, dir, strlen(dir)), 0);
	ck_assert_ptr_null(strchr(af.tmp_path + strlen(dir) + 1, '/'));
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(count_entries(), 1);
	fputs("hello, profile\n", af.f);
	ck_assert_int_eq(atomic_file__commit(&af), 0);
	ck_assert_ptr_null(af.f);
	ck_assert_str_eq(slurp(path), "hello, profile\n");
	ck_assert_int_eq(count_entries(), 1);	/* no temporary left */
	atomic_file__abort(&af);		/* no-op after commit */
	ck_assert_str_eq(slurp(path), "hello, profile\n");
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__commit_replaces_an_existing_file_only_at_the_end)
{
	struct atomic_file af;
	char path[128];
	FILE *f;

	make_dir();
	strcpy(path, path_in_dir("out.folded"));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("old\n", f);
	fclose(f);
	ck_assert_int_eq(atomic_file__open(&af, path), 0);
	fputs("new\n", af.f);
	fflush(af.f);
	ck_assert_str_eq(slurp(path), "old\n");
	ck_assert_int_eq(atomic_file__commit(&af), 0);
	ck_assert_str_eq(slurp(path), "new\n");
	ck_assert_int_eq(count_entries(), 1);
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__abort_leaves_no_file_and_no_temporary)
{
	struct atomic_file af;
	char path[128], old[128];
	FILE *f;

	make_dir();
	strcpy(path, path_in_dir("never.pb.gz"));
	ck_assert_int_eq(atomic_file__open(&af, path), 0);
	fputs("half a profile", af.f);
	atomic_file__abort(&af);
	ck_assert_ptr_null(af.f);
	ck_assert_int_eq(count_entries(), 0);
	atomic_file__abort(&af);	/* twice is fine */
	atomic_file__abort(NULL);

	/* An existing destination is left exactly as it was. */
	strcpy(old, path_in_dir("kept"));
	f = fopen(old, "w");
	ck_assert_ptr_nonnull(f);
	fputs("kept\n", f);
	fclose(f);
	ck_assert_int_eq(atomic_file__open(&af, old), 0);
	fputs("replacement", af.f);
	atomic_file__abort(&af);
	ck_assert_str_eq(slurp(old), "kept\n");
	ck_assert_int_eq(count_entries(), 1);
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__open_fails_for_a_missing_directory)
{
	struct atomic_file af = { 0 };

	make_dir();
	ck_assert_int_eq(atomic_file__open(&af, path_in_dir("no/such/dir/out.pb.gz")), -ENOENT);
	ck_assert_ptr_null(af.f);
	ck_assert_ptr_null(af.path);
	ck_assert_int_eq(atomic_file__open(&af, path_in_dir("sub/")), -EINVAL);
	ck_assert_int_eq(atomic_file__open(&af, ""), -EINVAL);
	ck_assert_int_eq(count_entries(), 0);
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__open_refuses_an_existing_directory_before_any_work)
{
	struct atomic_file af = { 0 };

	make_dir();
	ck_assert_int_eq(mkdir(path_in_dir("out"), 0755), 0);
	ck_assert_int_eq(atomic_file__open(&af, path_in_dir("out")), -EISDIR);
	ck_assert_ptr_null(af.f);
	ck_assert_int_eq(count_entries(), 1);	/* no temporary beside it */
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__open_fails_for_an_unwritable_directory)
{
	char path[128];
	pid_t pid;
	int status;

	make_dir();
	ck_assert_int_eq(chmod(dir, 0755), 0);	/* mkdtemp made it 0700 */
	ck_assert_int_eq(mkdir(path_in_dir("ro"), 0555), 0);
	ck_assert_int_eq(chmod(path_in_dir("ro"), 0555), 0);
	strcpy(path, path_in_dir("ro/out.pb.gz"));
	/* root ignores directory modes: try it as nobody in a child. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct atomic_file af;

		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(2);
		_exit(atomic_file__open(&af, path) == -EACCES ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(chmod(path_in_dir("ro"), 0755), 0);
	ck_assert_int_eq(rmdir(path_in_dir("ro")), 0);
	ck_assert_int_eq(count_entries(), 0);
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__creates_the_file_0644_under_umask)
{
	struct atomic_file af;
	struct stat st;
	mode_t old;

	make_dir();
	old = umask(022);
	ck_assert_int_eq(atomic_file__open(&af, path_in_dir("a")), 0);
	ck_assert_int_eq(atomic_file__commit(&af), 0);
	ck_assert_int_eq(stat(path_in_dir("a"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	umask(077);
	ck_assert_int_eq(atomic_file__open(&af, path_in_dir("b")), 0);
	ck_assert_int_eq(atomic_file__commit(&af), 0);
	ck_assert_int_eq(stat(path_in_dir("b"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	umask(old);
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__dash_writes_to_stdout)
{
	struct atomic_file af;
	char path[128];
	int fd, saved;

	make_dir();
	strcpy(path, path_in_dir("stdout.txt"));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);

	ck_assert_int_eq(atomic_file__open(&af, "-"), 0);
	ck_assert_ptr_eq(af.f, stdout);
	ck_assert_ptr_null(af.tmp_path);
	fputs("to stdout\n", af.f);
	ck_assert_int_eq(atomic_file__commit(&af), 0);
	ck_assert_ptr_null(af.f);

	ck_assert_int_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	ck_assert_str_eq(slurp(path), "to stdout\n");
	/* stdout is still open and usable; nothing else was created. */
	ck_assert_int_ne(fcntl(STDOUT_FILENO, F_GETFD), -1);
	ck_assert_int_eq(count_entries(), 1);
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__commit_reports_a_failed_write_and_leaves_nothing)
{
	struct atomic_file af;
	int ro;

	make_dir();
	ck_assert_int_eq(atomic_file__open(&af, path_in_dir("bad")), 0);
	/* Swap a read-only descriptor under the stream: the flush fails the way
	 * a write to a full disk would. */
	ro = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(ro, 0);
	ck_assert_int_eq(dup2(ro, fileno(af.f)), fileno(af.f));
	close(ro);
	fputs("data that never reaches the disk", af.f);
	ck_assert_int_eq(atomic_file__commit(&af), -EBADF);
	ck_assert_ptr_null(af.f);
	ck_assert_int_eq(count_entries(), 0);
	atomic_file__abort(&af);
	remove_dir();
}
END_TEST

/* Creates dir/name holding "x", changed `age` seconds ago. */
static void make_tmp(const char *name, int age)
{
	char path[128];
	struct timespec ts[2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("x", f);
	ck_assert_int_eq(fclose(f), 0);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age;
	ts[1] = ts[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool exists(const char *name)
{
	return access(path_in_dir(name), F_OK) == 0 || errno != ENOENT;
}

START_TEST(test_atomic_file__open_sweeps_the_temporary_a_killed_run_left)
{
	struct atomic_file af;
	char path[128], left[128] = "";
	struct timespec ts[2];
	struct dirent *e;
	pid_t pid;
	int status;
	DIR *d;

	make_dir();
	snprintf(path, sizeof(path), "%s/out.pb.gz", dir);
	/* a run killed between open and commit */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (atomic_file__open(&af, path) || fputs("half a profile", af.f) < 0)
			_exit(1);
		fflush(af.f);
		raise(SIGKILL);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(count_entries(), 1);
	d = opendir(dir);
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strlen(e->d_name) > 2)
			snprintf(left, sizeof(left), "%s/%s", dir, e->d_name);
	closedir(d);
	ck_assert_str_ne(left, "");
	/* the next run, a while later */
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 60;
	ts[1] = ts[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, left, ts, 0), 0);
	ck_assert_int_eq(atomic_file__open(&af, path), 0);
	ck_assert_int_eq(access(left, F_OK), -1);
	fputs("whole", af.f);
	ck_assert_int_eq(atomic_file__commit(&af), 0);
	ck_assert_int_eq(count_entries(), 1);
	ck_assert_str_eq(slurp(path), "whole");
	remove_dir();
}
END_TEST

START_TEST(test_atomic_file__sweep_spares_what_is_not_a_stale_temporary_of_ours)
{
	char held_path[128], path[128];
	struct atomic_file af;
	int held;

	make_dir();
	make_tmp(".out.pb.gz.Stale1.tmp", 3600);
	make_tmp(".out.pb.gz.Fresh1.tmp", 0);			/* being created */
	make_tmp(".out.pb.gz.Held01.tmp", 3600);		/* a live writer's */
	make_tmp(".other.svg.Stale2.tmp", 3600);		/* another output's */
	make_tmp(".out.pb.gz.toolong.tmp", 3600);		/* not our pattern */
	make_tmp("out.pb.gz.Stale3.tmp", 3600);
	make_tmp(".out.pb.gz.Sta-e4.tmp", 3600);
	ck_assert_int_eq(symlink("/etc/passwd", path_in_dir(".out.pb.gz.Link01.tmp")), 0);
	snprintf(held_path, sizeof(held_path), "%s/.out.pb.gz.Held01.tmp", dir);
	held = open(held_path, O_RDONLY);
	ck_assert_int_ge(held, 0);
	ck_assert_int_eq(flock(held, LOCK_EX), 0);
	if (geteuid() == 0) {	/* another user's file with our pattern */
		make_tmp(".out.pb.gz.Nobody.tmp", 3600);
		ck_assert_int_eq(chown(path_in_dir(".out.pb.gz.Nobody.tmp"), 65534, 65534), 0);
		make_tmp(".out.pb.gz.Nobody.tmp", 3600);	/* keep the mtime old */
	}

	snprintf(path, sizeof(path), "%s/out.pb.gz", dir);
	ck_assert_int_eq(atomic_file__open(&af, path), 0);
	atomic_file__abort(&af);
	ck_assert(!exists(".out.pb.gz.Stale1.tmp"));
	ck_assert(exists(".out.pb.gz.Fresh1.tmp"));
	ck_assert(exists(".out.pb.gz.Held01.tmp"));
	ck_assert(exists(".other.svg.Stale2.tmp"));	/* not this output's */
	ck_assert(exists(".out.pb.gz.toolong.tmp"));
	ck_assert(exists("out.pb.gz.Stale3.tmp"));
	ck_assert(exists(".out.pb.gz.Sta-e4.tmp"));
	ck_assert(exists(".out.pb.gz.Link01.tmp"));
	if (geteuid() == 0)
		ck_assert(exists(".out.pb.gz.Nobody.tmp"));
	/* over the whole directory: the other output's too, nothing else */
	ck_assert_int_eq(atomic_file__sweep(dir, NULL), 1);
	ck_assert(!exists(".other.svg.Stale2.tmp"));
	ck_assert(exists(".out.pb.gz.Held01.tmp"));
	close(held);	/* the writer died: now it is stale */
	ck_assert_int_eq(atomic_file__sweep(dir, NULL), 1);
	ck_assert(!exists(".out.pb.gz.Held01.tmp"));
	ck_assert_int_eq(atomic_file__sweep("/nonexistent-dir", NULL), -ENOENT);
	/* a writer of the same path, in this process, idle for long: spared */
	{
		struct atomic_file live;
		struct timespec ts[2];

		snprintf(path, sizeof(path), "%s/live.svg", dir);
		ck_assert_int_eq(atomic_file__open(&live, path), 0);
		clock_gettime(CLOCK_REALTIME, &ts[0]);
		ts[0].tv_sec -= 3600;
		ts[1] = ts[0];
		ck_assert_int_eq(utimensat(AT_FDCWD, live.tmp_path, ts, 0), 0);
		ck_assert_int_eq(atomic_file__open(&af, path), 0);
		ck_assert_int_eq(atomic_file__sweep(dir, NULL), 0);
		ck_assert_int_eq(access(live.tmp_path, F_OK), 0);
		atomic_file__abort(&af);
		fputs("live", live.f);
		ck_assert_int_eq(atomic_file__commit(&live), 0);
		ck_assert_str_eq(slurp(path), "live");
	}
	remove_dir();
}
END_TEST

static Suite *atomic_file_suite(void)
{
	Suite *s = suite_create("atomic_file");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_atomic_file__commit_makes_the_whole_file_appear);
	tcase_add_test(tc, test_atomic_file__commit_replaces_an_existing_file_only_at_the_end);
	tcase_add_test(tc, test_atomic_file__abort_leaves_no_file_and_no_temporary);
	tcase_add_test(tc, test_atomic_file__open_fails_for_a_missing_directory);
	tcase_add_test(tc, test_atomic_file__open_refuses_an_existing_directory_before_any_work);
	tcase_add_test(tc, test_atomic_file__open_fails_for_an_unwritable_directory);
	tcase_add_test(tc, test_atomic_file__creates_the_file_0644_under_umask);
	tcase_add_test(tc, test_atomic_file__dash_writes_to_stdout);
	tcase_add_test(tc, test_atomic_file__commit_reports_a_failed_write_and_leaves_nothing);
	tcase_add_test(tc, test_atomic_file__open_sweeps_the_temporary_a_killed_run_left);
	tcase_add_test(tc, test_atomic_file__sweep_spares_what_is_not_a_stale_temporary_of_ours);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(atomic_file_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
