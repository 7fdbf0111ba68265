// SPDX-License-Identifier: MIT
/* Tests for export/profile_read (the one input reader: kind from content,
 * bounded reads and gunzips, reasons in why) and export/profile_write (the
 * one output writer: pprof, folded, flame graph, atomically). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/compress.h"
#include "export/pb_profile.h"
#include "export/pprof.h"
#include "export/profile_read.h"
#include "export/profile_write.h"

static const struct pb_value_type types[] = { { "samples", "count" } };

/* main -> work -> leaf (3 samples) and main -> idle (2), comm "app". */
static struct pb_profile *two_stacks(void)
{
	struct pb_profile_opts opts = { .sample_types = types, .n_sample_types = 1 };
	struct pb_line ln[] = { { "leaf" }, { "work" }, { "main" }, { "idle" } };
	struct pb_label comm = { "comm", "app" };
	struct pb_profile *p = pb_profile__new(&opts);
	uint64_t loc[4], a[3], b[2];
	int64_t three = 3, two = 2;

	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < 4; i++) {
		loc[i] = pb_profile__add_location(p, 0, 0x1000 + i, &ln[i], 1);
		ck_assert_uint_ne(loc[i], 0);
	}
	a[0] = loc[0], a[1] = loc[1], a[2] = loc[2];
	b[0] = loc[3], b[1] = loc[2];
	ck_assert_int_eq(pb_profile__add_sample(p, a, 3, &three, &comm, 1), 0);
	ck_assert_int_eq(pb_profile__add_sample(p, b, 2, &two, &comm, 1), 0);
	return p;
}

static char dir[] = "/tmp/check_profile_io.XXXXXX";

static const char *path_in_dir(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	strcpy(dir, "/tmp/check_profile_io.XXXXXX");
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int64_t total(const Perftools__Profiles__Profile *p)
{
	int64_t t = 0;

	for (size_t i = 0; i < p->n_sample; i++)
		t += p->sample[i]->value[0];
	return t;
}

START_TEST(test_profile_write__pprof_reads_back_as_gzip_pprof)
{
	struct pb_profile *b = two_stacks();
	struct profile_read r;
	char why[256] = "";

	ck_assert_int_eq(profile_write__file(path_in_dir("out.pb.gz"), pb_profile__finish(b),
			 &(struct profile_write_opts){ .format = PROFILE_FORMAT_PPROF }), 0);
	ck_assert_int_eq(profile_read__file(&r, path_in_dir("out.pb.gz"), 0, why, sizeof(why)), 0);
	ck_assert(r.gzip);
	ck_assert(!r.folded);
	ck_assert_ptr_nonnull(r.decoded);
	ck_assert_uint_eq(r.p->n_sample, 2);
	ck_assert_int_eq(total(r.p), 5);
	profile_read__release(&r);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_profile_write__folded_is_the_text_flamegraph_pl_reads)
{
	struct pb_profile *b = two_stacks();
	char *text;

	ck_assert_int_eq(profile_write__file(path_in_dir("out.folded"), pb_profile__finish(b),
			 &(struct profile_write_opts){ .format = PROFILE_FORMAT_FOLDED,
						       .folded_group = "comm" }), 0);
	text = slurp(path_in_dir("out.folded"));
	ck_assert_str_eq(text, "app;main;idle 2\napp;main;work;leaf 3\n");
	free(text);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_profile_write__svg_is_a_flame_graph)
{
	struct pb_profile *b = two_stacks();
	char *svg;

	ck_assert_int_eq(profile_write__file(path_in_dir("out.svg"), pb_profile__finish(b),
			 &(struct profile_write_opts){ .format = PROFILE_FORMAT_SVG }), 0);
	svg = slurp(path_in_dir("out.svg"));
	ck_assert_ptr_nonnull(strstr(svg, "<?xml"));
	ck_assert_ptr_nonnull(strstr(svg, "data-ready"));	/* the embedded viewer script */
	ck_assert_ptr_nonnull(strstr(svg, "#frames g"));	/* the embedded style */
	ck_assert_ptr_nonnull(strstr(svg, ">leaf (3 samples"));
	free(svg);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_profile_write__a_failure_leaves_the_old_file_and_no_temporary)
{
	struct pb_profile *b = two_stacks();
	struct flamegraph_opts bad;
	char *text;
	int n = 0;
	FILE *ls;
	char cmd[300], line[256];

	write_bytes(path_in_dir("keep.svg"), "old", 3);
	flamegraph_opts__init(&bad);
	bad.width = 1;	/* refused by the flame graph: -EINVAL */
	ck_assert_int_eq(profile_write__file(path_in_dir("keep.svg"), pb_profile__finish(b),
			 &(struct profile_write_opts){ .format = PROFILE_FORMAT_SVG,
						       .flamegraph = &bad }), -EINVAL);
	text = slurp(path_in_dir("keep.svg"));
	ck_assert_str_eq(text, "old");
	free(text);
	snprintf(cmd, sizeof(cmd), "ls -a '%s'", dir);
	ls = popen(cmd, "r");
	while (fgets(line, sizeof(line), ls))
		n += !!strstr(line, ".tmp");
	pclose(ls);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(profile_write__file(path_in_dir("no/such/dir/x.pb.gz"),
			 pb_profile__finish(b),
			 &(struct profile_write_opts){ .format = PROFILE_FORMAT_PPROF }), -ENOENT);
	ck_assert_int_eq(profile_write__file(NULL, pb_profile__finish(b),
			 &(struct profile_write_opts){ .format = PROFILE_FORMAT_PPROF }), -EINVAL);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_profile_read__tells_folded_raw_and_gzip_apart_by_content)
{
	static const char folded[] = "main;work;leaf 3\nmain;idle 2\n";
	struct pb_profile *b = two_stacks();
	uint8_t *gz, *raw;
	size_t gzlen, rawlen;
	struct profile_read r;
	char why[256] = "";

	/* folded text, under a name that says pprof */
	write_bytes(path_in_dir("a.pb.gz"), folded, strlen(folded));
	ck_assert_int_eq(profile_read__file(&r, path_in_dir("a.pb.gz"), 0, why, sizeof(why)), 0);
	ck_assert(r.folded && !r.gzip);
	ck_assert_ptr_nonnull(r.built);
	ck_assert_uint_eq(r.folded_stats.samples, 2);
	ck_assert_int_eq(total(r.p), 5);
	profile_read__release(&r);

	/* gzipped folded text */
	ck_assert_int_eq(compress__gzip(folded, strlen(folded), &gz, &gzlen), 0);
	ck_assert_int_eq(profile_read__buf(&r, gz, gzlen, 0, "g", why, sizeof(why)), 0);
	ck_assert(r.folded && r.gzip);
	ck_assert_int_eq(total(r.p), 5);
	profile_read__release(&r);
	free(gz);

	/* raw (not gzipped) pprof */
	rawlen = perftools__profiles__profile__get_packed_size(pb_profile__finish(b));
	raw = malloc(rawlen);
	perftools__profiles__profile__pack(pb_profile__finish(b), raw);
	ck_assert_int_eq(profile_read__buf(&r, raw, rawlen, 0, "r", why, sizeof(why)), 0);
	ck_assert(!r.folded && !r.gzip);
	ck_assert_int_eq(total(r.p), 5);
	profile_read__release(&r);
	profile_read__release(&r);	/* a released reader is a no-op */
	free(raw);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_profile_read__says_why_it_refuses)
{
	static const uint8_t junk[] = { 0x00, 0xff, 0x13, 0x37, 0x08 };
	struct profile_read r;
	uint8_t *zeros = calloc(1, 4 << 20), *gz;
	size_t gzlen;
	char why[256] = "";

	ck_assert_int_eq(profile_read__file(&r, path_in_dir("missing"), 0, why, sizeof(why)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(why, "cannot read "));
	ck_assert_ptr_nonnull(strstr(why, "No such file"));

	write_bytes(path_in_dir("empty"), "", 0);
	ck_assert_int_eq(profile_read__file(&r, path_in_dir("empty"), 0, why, sizeof(why)),
			 -ENODATA);
	ck_assert_ptr_nonnull(strstr(why, "empty is empty"));

	ck_assert_int_eq(profile_read__buf(&r, junk, sizeof(junk), 0, "junk", why, sizeof(why)),
			 -EBADMSG);
	ck_assert_str_eq(why, "junk is neither a pprof profile (gzip or raw protobuf) nor "
			 "folded stacks");
	ck_assert_ptr_null(r.p);

	/* bounded: 4 MiB read with a 1 MiB limit, and a gzip that inflates past it */
	write_bytes(path_in_dir("big"), zeros, 4 << 20);
	ck_assert_int_eq(profile_read__file(&r, path_in_dir("big"), 1 << 20, why, sizeof(why)),
			 -EFBIG);
	ck_assert_ptr_nonnull(strstr(why, "larger than 1 MiB, the limit"));
	ck_assert_int_eq(compress__gzip(zeros, 4 << 20, &gz, &gzlen), 0);
	ck_assert_uint_lt(gzlen, 1 << 20);
	ck_assert_int_eq(profile_read__buf(&r, gz, gzlen, 1 << 20, "bomb", why, sizeof(why)),
			 -EFBIG);
	ck_assert_str_eq(why, "bomb: decompresses to more than 1 MiB, the limit");
	gz[gzlen / 2] ^= 0xff;
	gz[gzlen - 5] ^= 0xff;	/* the CRC and length trailer */
	ck_assert_int_eq(profile_read__buf(&r, gz, gzlen, 0, "bad", why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "bad: bad gzip data");
	free(gz);
	free(zeros);
}
END_TEST

START_TEST(test_profile_read__pprof_file_takes_pprof_only)
{
	static const char folded[] = "main;work;leaf 3\n";
	struct pb_profile *b = two_stacks();
	Perftools__Profiles__Profile *p = NULL;

	ck_assert_int_eq(profile_write__file(path_in_dir("p.pb.gz"), pb_profile__finish(b),
			 &(struct profile_write_opts){ .format = PROFILE_FORMAT_PPROF }), 0);
	ck_assert_int_eq(profile_read__pprof_file(path_in_dir("p.pb.gz"), &p), 0);
	ck_assert_int_eq(total(p), 5);
	pprof__free(p);
	write_bytes(path_in_dir("f"), folded, strlen(folded));
	ck_assert_int_eq(profile_read__pprof_file(path_in_dir("f"), &p), -EBADMSG);
	ck_assert_int_eq(profile_read__pprof_file(path_in_dir("none"), &p), -ENOENT);
	pb_profile__free(b);
}
END_TEST

static Suite *profile_io_suite(void)
{
	Suite *s = suite_create("profile_io");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_profile_write__pprof_reads_back_as_gzip_pprof);
	tcase_add_test(tc, test_profile_write__folded_is_the_text_flamegraph_pl_reads);
	tcase_add_test(tc, test_profile_write__svg_is_a_flame_graph);
	tcase_add_test(tc, test_profile_write__a_failure_leaves_the_old_file_and_no_temporary);
	tcase_add_test(tc, test_profile_read__tells_folded_raw_and_gzip_apart_by_content);
	tcase_add_test(tc, test_profile_read__says_why_it_refuses);
	tcase_add_test(tc, test_profile_read__pprof_file_takes_pprof_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(profile_io_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
