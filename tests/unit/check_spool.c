// SPDX-License-Identifier: MIT
/* spool: records come back in order and intact across a reopen (a restart),
 * the size bound drops the oldest records first and counts them but never a
 * pinned one (an upload in flight), torn temporaries and corrupt files are
 * cleaned up and counted, a second agent cannot open the same directory, and
 * the in-memory spool behaves the same. The directory must be ours and
 * nothing in it is followed as a link; names out of the sequence's range are
 * renumbered, never wrapped; a huge record is never read; a directory that
 * cannot be written holds records in memory, in order, within a bound. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "export/ship/spool.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/cprof-spool-test.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A record whose content tells its number: "record N" and padding. */
static size_t make_record(char *buf, size_t len, int n)
{
	size_t k = snprintf(buf, len, "record %d|", n);

	for (; k < len - 1 && k < 200 + (size_t)n; k++)
		buf[k] = 'a' + (n + k) % 26;
	buf[k] = '\0';
	return k;
}

static int count_files(const char *suffix)
{
	char cmd[400];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -c -- '%s'", dir, suffix);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

START_TEST(test_spool__keeps_records_in_order_across_a_reopen)
{
	struct spool_opts o = { .dir = dir };
	struct spool *sp = spool__open(&o);
	struct spool_stats st;
	struct spool_info info;
	uint64_t after = 0, seq;
	char buf[512];

	ck_assert_ptr_nonnull(sp);
	for (int i = 0; i < 5; i++) {
		size_t len = make_record(buf, sizeof(buf), i);

		ck_assert_int_eq(spool__append(sp, buf, len, 10 + i, &seq), 0);
	}
	spool__free(sp);
	ck_assert_int_eq(count_files(".spool$"), 5);

	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.recovered, 5);
	ck_assert_uint_eq(st.recovered_samples, 10 + 11 + 12 + 13 + 14);
	for (int i = 0; i < 5; i++) {
		uint8_t *data;
		size_t len, want = make_record(buf, sizeof(buf), i);

		ck_assert_int_eq(spool__pin_next(sp, after, &info), 0);
		ck_assert_uint_eq(info.samples, 10 + i);
		ck_assert_int_eq(spool__read(sp, info.seq, &data, &len), 0);
		ck_assert_uint_eq(len, want);
		ck_assert_mem_eq(data, buf, len);
		free(data);
		after = info.seq;
	}
	ck_assert_int_eq(spool__pin_next(sp, after, &info), -ENOENT);
	/* new records continue the sequence after a restart */
	ck_assert_int_eq(spool__append(sp, "x", 1, 1, &seq), 0);
	ck_assert_uint_gt(seq, after);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__drops_the_oldest_over_its_bound_and_counts_them)
{
	struct spool_opts o = { .dir = dir, .max_bytes = 4096 };
	struct spool *sp = spool__open(&o);
	struct spool_stats st;
	struct spool_info info;
	uint64_t total = 0, seqs[40];
	char buf[4096];

	ck_assert_ptr_nonnull(sp);
	for (int i = 0; i < 40; i++) {
		/* incompressible enough: ~300 bytes stored each */
		size_t len = 300;

		for (size_t k = 0; k < len; k++)
			buf[k] = (char)(rand() & 0xff);
		ck_assert_int_eq(spool__append(sp, buf, len, i + 1, &seqs[i]), 0);
		total += i + 1;
	}
	spool__stats(sp, &st);
	ck_assert_uint_le(st.bytes, 4096);
	ck_assert_uint_gt(st.dropped, 0);
	/* every sample is either held or counted as dropped */
	ck_assert_uint_eq(st.samples + st.dropped_samples, total);
	ck_assert_int_eq(count_files(".spool$"), (int)st.files);
	/* the oldest went: what remains is the newest, in order */
	ck_assert_int_eq(spool__pin_next(sp, 0, &info), 0);
	ck_assert_uint_eq(info.seq, seqs[st.dropped]);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__never_drops_a_pinned_record)
{
	struct spool_opts o = { .max_bytes = 2048 };	/* in memory */
	struct spool *sp = spool__open(&o);
	struct spool_info info;
	struct spool_stats st;
	uint64_t first;
	uint8_t *data;
	size_t len;
	char buf[300];

	ck_assert_ptr_nonnull(sp);
	for (size_t k = 0; k < sizeof(buf); k++)
		buf[k] = (char)(rand() & 0xff);
	ck_assert_int_eq(spool__append(sp, buf, sizeof(buf), 7, &first), 0);
	ck_assert_int_eq(spool__pin_next(sp, 0, &info), 0);
	ck_assert_uint_eq(info.seq, first);
	for (int i = 0; i < 20; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (char)(rand() & 0xff);
		ck_assert_int_eq(spool__append(sp, buf, sizeof(buf), 1, NULL), 0);
	}
	spool__stats(sp, &st);
	ck_assert_uint_gt(st.dropped, 0);
	ck_assert_int_eq(spool__read(sp, first, &data, &len), 0);	/* still there */
	free(data);
	ck_assert_int_eq(spool__remove(sp, first), 0);
	ck_assert_int_eq(spool__remove(sp, first), -ENOENT);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__cleans_up_torn_and_corrupt_files)
{
	struct spool_opts o = { .dir = dir };
	struct spool *sp = spool__open(&o);
	struct spool_stats st;
	struct spool_info info;
	char path[400], buf[300];
	uint64_t seq;
	uint8_t *data;
	size_t len;
	FILE *f;
	int fd;

	ck_assert_ptr_nonnull(sp);
	memset(buf, 'z', sizeof(buf));
	ck_assert_int_eq(spool__append(sp, buf, sizeof(buf), 5, &seq), 0);
	ck_assert_int_eq(spool__append(sp, buf, sizeof(buf), 6, NULL), 0);
	spool__free(sp);

	/* a write cut short, a file that is no record, a record with a broken frame */
	snprintf(path, sizeof(path), "%s/.tmp-00000000000000ff", dir);
	f = fopen(path, "w");
	fputs("half", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/00000000000000aa.spool", dir);
	f = fopen(path, "w");
	fputs("not a spool record at all, not at all", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%016llx.spool", dir, (unsigned long long)seq);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "XXXXXXXX", 8, 30), 8);
	close(fd);

	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(count_files("^\\.tmp-"), 0);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.corrupt, 1);	/* the non-record */
	ck_assert_uint_eq(st.recovered, 2);
	ck_assert_int_eq(spool__pin_next(sp, 0, &info), 0);
	ck_assert_uint_eq(info.seq, seq);
	ck_assert_int_eq(spool__read(sp, seq, &data, &len), -EBADMSG);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.corrupt, 2);
	ck_assert_uint_eq(st.corrupt_samples, 5);
	ck_assert_uint_eq(st.files, 1);
	ck_assert_int_eq(spool__pin_next(sp, 0, &info), 0);
	ck_assert_int_eq(spool__read(sp, info.seq, &data, &len), 0);
	ck_assert_uint_eq(len, sizeof(buf));
	free(data);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__refuses_a_second_agent_on_the_same_directory)
{
	struct spool_opts o = { .dir = dir };
	struct spool *a = spool__open(&o), *b;

	ck_assert_ptr_nonnull(a);
	errno = 0;
	b = spool__open(&o);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(errno, EBUSY);
	spool__free(a);
	b = spool__open(&o);	/* free released the lock */
	ck_assert_ptr_nonnull(b);
	spool__free(b);
}
END_TEST

START_TEST(test_spool__refuses_a_record_bigger_than_its_bound)
{
	struct spool_opts o = { .dir = dir, .max_bytes = 4096 };
	struct spool *sp = spool__open(&o);
	struct spool_stats st;
	char *big = malloc(64 * 1024);

	ck_assert_ptr_nonnull(sp);
	for (size_t k = 0; k < 64 * 1024; k++)
		big[k] = (char)(rand() & 0xff);
	ck_assert_int_eq(spool__append(sp, big, 64 * 1024, 42, NULL), -EFBIG);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.dropped, 1);
	ck_assert_uint_eq(st.dropped_samples, 42);
	ck_assert_uint_eq(st.files, 0);
	free(big);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__in_memory_keeps_order_and_content)
{
	struct spool_opts o = {0};
	struct spool *sp = spool__open(&o);
	struct spool_info info;
	uint64_t after = 0;
	char buf[512];

	ck_assert_ptr_nonnull(sp);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(spool__append(sp, buf, make_record(buf, sizeof(buf), i), i, NULL), 0);
	for (int i = 0; i < 100; i++) {
		uint8_t *data;
		size_t len = 0, want = make_record(buf, sizeof(buf), i);

		ck_assert_int_eq(spool__pin_next(sp, after, &info), 0);
		ck_assert_int_eq(spool__read(sp, info.seq, &data, &len), 0);
		ck_assert_uint_eq(len, want);
		ck_assert_mem_eq(data, buf, len);
		free(data);
		ck_assert_int_eq(spool__remove(sp, info.seq), 0);
	}
	ck_assert_int_eq(spool__pin_next(sp, 0, &info), -ENOENT);
	spool__free(sp);
}
END_TEST

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void assert_file_is(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, text);
}

/* Reads every record oldest first; checks record i holds make_record(want[i]). */
static void assert_queue(struct spool *sp, const int *want, int n)
{
	struct spool_info info;
	uint64_t after = 0;
	char buf[512];

	for (int i = 0; i < n; i++) {
		size_t len, wlen = make_record(buf, sizeof(buf), want[i]);
		uint8_t *data;

		ck_assert_int_eq(spool__pin_next(sp, after, &info), 0);
		ck_assert_int_eq(spool__read(sp, info.seq, &data, &len), 0);
		ck_assert_uint_eq(len, wlen);
		ck_assert_mem_eq(data, buf, len);
		free(data);
		ck_assert_uint_gt(info.seq, after);
		after = info.seq;
	}
	ck_assert_int_eq(spool__pin_next(sp, after, &info), -ENOENT);
}

START_TEST(test_spool__renumbers_out_of_range_names_instead_of_wrapping)
{
	struct spool_opts o = { .dir = dir };
	struct spool *sp = spool__open(&o);
	struct spool_stats st;
	char from[400], to[400], buf[512];
	const int order[] = { 2, 1, 0, 3 };
	uint64_t seq;

	ck_assert_ptr_nonnull(sp);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(spool__append(sp, buf, make_record(buf, sizeof(buf), i), 1, NULL),
				 0);
	spool__free(sp);
	/* record 0 becomes ffffffffffffffff, record 1 becomes 0 */
	path_in(from, sizeof(from), "0000000000000001.spool");
	path_in(to, sizeof(to), "ffffffffffffffff.spool");
	ck_assert_int_eq(rename(from, to), 0);
	path_in(from, sizeof(from), "0000000000000002.spool");
	path_in(to, sizeof(to), "0000000000000000.spool");
	ck_assert_int_eq(rename(from, to), 0);

	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	/* the in-range record first, then the others in name order; a new
	 * record after all of them, with a number in range */
	ck_assert_int_eq(spool__append(sp, buf, make_record(buf, sizeof(buf), 3), 1, &seq), 0);
	assert_queue(sp, order, 4);
	ck_assert_uint_eq(seq, 6);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.recovered, 3);
	ck_assert_uint_eq(st.renumbered, 2);
	spool__free(sp);
	ck_assert_int_eq(count_files("^ffff"), 0);
	ck_assert_int_eq(count_files("^0000000000000000"), 0);
	/* and the same across another restart */
	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.renumbered, 0);
	assert_queue(sp, order, 4);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__never_reads_a_huge_record_into_memory)
{
	struct spool_opts o = { .dir = dir };
	struct spool *sp = spool__open(&o);
	struct spool_stats st;
	struct rusage ru;
	char path[400], buf[512];
	uint8_t hdr[SPOOL_RECORD_HDR_LEN];
	const int one[] = { 0 };
	int fd;

	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(spool__append(sp, buf, make_record(buf, sizeof(buf), 0), 1, NULL), 0);
	spool__free(sp);
	/* a sparse 3 GB record with a valid header claiming 9 samples */
	spool_record__put_header(hdr, 9, 1000);
	path_in(path, sizeof(path), "0000000000000002.spool");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, hdr, sizeof(hdr)), sizeof(hdr));
	ck_assert_int_eq(ftruncate(fd, 3LL << 30), 0);
	close(fd);

	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	assert_queue(sp, one, 1);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	ck_assert_int_lt(ru.ru_maxrss, 300 * 1024);	/* KiB: under 300 MB */
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.corrupt, 1);
	ck_assert_uint_eq(st.corrupt_samples, 9);
	ck_assert_int_eq(access(path, F_OK), -1);	/* deleted */
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__refuses_a_directory_another_user_owns)
{
	struct spool_opts o = { .dir = dir };
	char lock[400], tmp[400], t1[400], t2[400], why[200];
	struct spool *sp;

	if (geteuid() != 0)
		return;	/* needs root to give the directory away */
	/* what an attacker plants: links to files the root agent would clobber */
	snprintf(t1, sizeof(t1), "%s.victim1", dir);
	snprintf(t2, sizeof(t2), "%s.victim2", dir);
	write_file(t1, "root's file 1");
	write_file(t2, "root's file 2");
	path_in(lock, sizeof(lock), ".lock");
	path_in(tmp, sizeof(tmp), ".tmp-0000000000000001");
	ck_assert_int_eq(symlink(t1, lock), 0);
	ck_assert_int_eq(symlink(t2, tmp), 0);
	ck_assert_int_eq(lchown(lock, 65534, 65534), 0);
	ck_assert_int_eq(lchown(tmp, 65534, 65534), 0);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);

	errno = 0;
	sp = spool__open(&o);
	ck_assert_ptr_null(sp);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(spool__check_dir(dir, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "owned by uid 65534"));
	assert_file_is(t1, "root's file 1");
	assert_file_is(t2, "root's file 2");
	unlink(t1);
	unlink(t2);
}
END_TEST

START_TEST(test_spool__refuses_a_directory_others_can_write)
{
	struct spool_opts o = { .dir = dir };
	struct spool *sp;
	char why[200];

	ck_assert_int_eq(chmod(dir, 0777), 0);
	errno = 0;
	sp = spool__open(&o);
	ck_assert_ptr_null(sp);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(spool__check_dir(dir, why, sizeof(why)), -EPERM);
	ck_assert_str_eq(why, "writable by group or others (mode 0777)");
	ck_assert_int_eq(chmod(dir, 0750), 0);	/* readable by the group is fine */
	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__creates_a_missing_directory_private)
{
	char sub[400];
	struct spool_opts o = { .dir = sub };
	struct spool *sp;
	struct stat st;
	mode_t old = umask(0);

	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	sp = spool__open(&o);
	umask(old);
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__never_follows_a_link_in_its_directory)
{
	struct spool_opts o = { .dir = dir };
	char lock[400], tmp[400], rec[400], victim[400], buf[512];
	const int one[] = { 1 };
	struct spool_stats st;
	struct spool *sp;

	snprintf(victim, sizeof(victim), "%s.victim", dir);
	write_file(victim, "root's file");
	/* a link at .lock: refused */
	path_in(lock, sizeof(lock), ".lock");
	ck_assert_int_eq(symlink(victim, lock), 0);
	errno = 0;
	ck_assert_ptr_null(spool__open(&o));
	ck_assert_int_eq(errno, ELOOP);
	unlink(lock);
	/* a link where a record would be: counted as corrupt, the link deleted */
	path_in(rec, sizeof(rec), "0000000000000007.spool");
	ck_assert_int_eq(symlink(victim, rec), 0);
	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.corrupt, 1);
	ck_assert_uint_eq(st.recovered, 0);
	/* a link at the next temporary name: created anew, not written through */
	path_in(tmp, sizeof(tmp), ".tmp-0000000000000001");
	ck_assert_int_eq(symlink(victim, tmp), 0);
	ck_assert_int_eq(spool__append(sp, buf, make_record(buf, sizeof(buf), 1), 1, NULL), 0);
	assert_queue(sp, one, 1);
	spool__free(sp);
	assert_file_is(victim, "root's file");
	unlink(victim);
}
END_TEST

/* Appends record n; with the directory made unwritable by RLIMIT_FSIZE
 * (writes fail with EFBIG, as they would with ENOSPC or EIO). */
static int append_n(struct spool *sp, int n, bool disk_ok)
{
	struct rlimit rl;
	char buf[512];
	int err;

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = disk_ok ? rl.rlim_max : 16;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	err = spool__append(sp, buf, make_record(buf, sizeof(buf), n), 100 + n, NULL);
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	return err;
}

START_TEST(test_spool__holds_records_in_memory_when_the_disk_fails)
{
	struct spool_opts o = { .dir = dir };
	struct spool *sp = spool__open(&o);
	const int all[] = { 0, 1, 2, 3, 4, 5 }, disk[] = { 0, 1, 5 };
	struct spool_stats st;

	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(append_n(sp, 0, true), 0);
	ck_assert_int_eq(append_n(sp, 1, true), 0);
	for (int i = 2; i < 5; i++)
		ck_assert_int_eq(append_n(sp, i, false), 0);
	ck_assert_int_eq(append_n(sp, 5, true), 0);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.spooled, 3);
	ck_assert_uint_eq(st.held, 3);
	ck_assert_uint_eq(st.mem_files, 3);
	ck_assert_uint_eq(st.mem_samples, 102 + 103 + 104);
	ck_assert_uint_eq(st.write_errors, 3);
	ck_assert_int_eq(st.last_write_error, EFBIG);
	ck_assert_uint_eq(st.files, 6);
	ck_assert_int_eq(count_files(".spool$"), 3);
	ck_assert_int_eq(count_files("^\\.tmp-"), 0);
	/* one queue, oldest first across disk and memory */
	assert_queue(sp, all, 6);
	for (uint64_t seq = 1; seq <= 6; seq++)
		ck_assert_int_eq(spool__remove(sp, seq), 0);
	spool__stats(sp, &st);
	ck_assert_uint_eq(st.mem_files, 0);
	ck_assert_uint_eq(st.mem_bytes, 0);
	ck_assert_uint_eq(st.files, 0);
	spool__free(sp);

	/* what is held can be written out once the disk takes it again */
	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(append_n(sp, 0, true), 0);
	ck_assert_int_eq(append_n(sp, 1, false), 0);
	ck_assert_int_eq(append_n(sp, 5, true), 0);
	ck_assert_uint_eq(spool__persist(sp), 0);
	spool__free(sp);
	sp = spool__open(&o);
	ck_assert_ptr_nonnull(sp);
	assert_queue(sp, disk, 3);
	spool__free(sp);
}
END_TEST

START_TEST(test_spool__bounds_what_it_holds_in_memory_and_counts_the_drops)
{
	struct spool_opts o = { .dir = dir, .mem_max_bytes = 1200 };
	struct spool *sp = spool__open(&o);
	struct spool_stats st;
	uint64_t total = 0;

	ck_assert_ptr_nonnull(sp);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(append_n(sp, i, false), 0);
		total += 100 + i;
	}
	spool__stats(sp, &st);
	ck_assert_uint_le(st.mem_bytes, 1200);
	ck_assert_uint_gt(st.mem_dropped, 0);
	ck_assert_uint_eq(st.mem_files + st.mem_dropped, 20);
	ck_assert_uint_eq(st.samples + st.mem_dropped_samples, total);
	/* the newest stay, in order */
	{
		int want[20], n = (int)st.mem_files;

		for (int i = 0; i < n; i++)
			want[i] = 20 - n + i;
		assert_queue(sp, want, n);
	}
	/* every record is pinned now (in flight): none is dropped for a new
	 * one, which is refused and counted instead */
	ck_assert_int_eq(append_n(sp, 20, false), -ENOBUFS);
	{
		struct spool_stats st2;

		spool__stats(sp, &st2);
		ck_assert_uint_eq(st2.mem_files, st.mem_files);
		ck_assert_uint_eq(st2.mem_dropped, st.mem_dropped + 1);
		ck_assert_uint_eq(st2.mem_dropped_samples, st.mem_dropped_samples + 120);
	}
	spool__free(sp);
}
END_TEST

START_TEST(test_spool_record__decodes_only_whole_checked_records)
{
	struct spool_opts o = { .dir = dir };
	struct spool *sp = spool__open(&o);
	struct spool_record_hdr h;
	char path[400], buf[512];
	uint8_t file[2048], *out, bad[64];
	size_t len = make_record(buf, sizeof(buf), 4), out_len;
	ssize_t n;
	int fd;

	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(spool__append(sp, buf, len, 77, NULL), 0);
	spool__free(sp);
	path_in(path, sizeof(path), "0000000000000001.spool");
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, file, sizeof(file));
	close(fd);
	ck_assert_int_gt(n, SPOOL_RECORD_HDR_LEN);

	ck_assert_int_eq(spool_record__decode(file, n, &h, &out, &out_len), 0);
	ck_assert_uint_eq(h.samples, 77);
	ck_assert_uint_eq(out_len, len);
	ck_assert_int_eq(memcmp(out, buf, len), 0);
	free(out);
	/* cut anywhere: refused */
	for (ssize_t k = 0; k < n; k++)
		ck_assert_int_eq(spool_record__decode(file, k, &h, &out, &out_len), -EBADMSG);
	/* a length the content does not have, or over the bound */
	memcpy(bad, file, sizeof(bad));
	spool_record__put_header(file, 77, len + 1);
	ck_assert_int_eq(spool_record__decode(file, n, &h, &out, &out_len), -EBADMSG);
	spool_record__put_header(file, 77, SPOOL_RECORD_MAX_CONTENT + 1);
	ck_assert_int_eq(spool_record__parse_header(file, n, &h), -EBADMSG);
	ck_assert_int_eq(spool_record__decode(file, n, &h, &out, &out_len), -EBADMSG);
	memcpy(file, bad, sizeof(bad));
	file[0] ^= 1;	/* magic */
	ck_assert_int_eq(spool_record__decode(file, n, &h, &out, &out_len), -EBADMSG);
	file[0] ^= 1;
	file[n - 1] ^= 0x55;	/* the frame's checksum */
	ck_assert_int_eq(spool_record__decode(file, n, &h, &out, &out_len), -EBADMSG);
	ck_assert_int_eq(spool_record__decode(NULL, 0, &h, &out, &out_len), -EBADMSG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_spool__keeps_records_in_order_across_a_reopen);
	tcase_add_test(tc, test_spool__drops_the_oldest_over_its_bound_and_counts_them);
	tcase_add_test(tc, test_spool__never_drops_a_pinned_record);
	tcase_add_test(tc, test_spool__cleans_up_torn_and_corrupt_files);
	tcase_add_test(tc, test_spool__refuses_a_second_agent_on_the_same_directory);
	tcase_add_test(tc, test_spool__refuses_a_record_bigger_than_its_bound);
	tcase_add_test(tc, test_spool__in_memory_keeps_order_and_content);
	tcase_add_test(tc, test_spool__renumbers_out_of_range_names_instead_of_wrapping);
	tcase_add_test(tc, test_spool__never_reads_a_huge_record_into_memory);
	tcase_add_test(tc, test_spool__refuses_a_directory_another_user_owns);
	tcase_add_test(tc, test_spool__refuses_a_directory_others_can_write);
	tcase_add_test(tc, test_spool__creates_a_missing_directory_private);
	tcase_add_test(tc, test_spool__never_follows_a_link_in_its_directory);
	tcase_add_test(tc, test_spool__holds_records_in_memory_when_the_disk_fails);
	tcase_add_test(tc, test_spool__bounds_what_it_holds_in_memory_and_counts_the_drops);
	tcase_add_test(tc, test_spool_record__decodes_only_whole_checked_records);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
