// SPDX-License-Identifier: MIT
/* spool: records come back in order and intact across a reopen (a restart),
 * the size bound drops the oldest records first and counts them but never a
 * pinned one (an upload in flight), torn temporaries and corrupt files are
 * cleaned up and counted, a second agent cannot open the same directory, and
 * the in-memory spool behaves the same. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "export/spool.h"

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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
