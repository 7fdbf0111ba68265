// SPDX-License-Identifier: MIT
/* Tests for export/pprof: gzip encoding, decoding of gzip and raw protobuf,
 * the validation go tool pprof applies (each broken profile is made by
 * editing a valid one, packing it raw, and decoding), the id index, and one
 * file read by `go tool pprof` itself. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "export/pprof.h"
#include "export/profile_read.h"
#include "export/profile_write.h"
#include "export/pb_profile.h"

static const struct pb_value_type cpu_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" },
};

/* A small profile: main -> work -> [inlined_helper, hot_leaf], comm/pid labels. */
static struct pb_profile *sample_profile(void)
{
	struct pb_profile_opts opts = {
		.sample_types = cpu_types, .n_sample_types = 2,
		.period_type = { "cpu", "nanoseconds" }, .period = 10101010,
		.time_nanos = 1700000000000000000LL, .duration_nanos = 5000000000LL,
	};
	struct pb_line main_ln = { "main", "main", "/src/app.c", 30, 28 };
	struct pb_line work_ln = { "work", "work", "/src/app.c", 20, 18 };
	struct pb_line leaf_ln[] = {
		{ "inlined_helper", "inlined_helper", "/src/app.h", 4, 2 },
		{ "cprof_test_hot_leaf", "cprof_test_hot_leaf", "/src/app.c", 11, 9 },
	};
	struct pb_label labels[] = { { "comm", "app" }, { "pid", NULL, 1234, "pid" } };
	struct pb_profile *p = pb_profile__new(&opts);
	uint64_t m, stack[3];
	int64_t v[] = { 7, 70707070 };

	ck_assert_ptr_nonnull(p);
	m = pb_profile__add_mapping(p, 0x400000, 0x401000, 0x1000, "/usr/bin/app", "0badc0de");
	ck_assert_uint_ne(m, 0);
	stack[0] = pb_profile__add_location(p, m, 0x400100, leaf_ln, 2);
	stack[1] = pb_profile__add_location(p, m, 0x400200, &work_ln, 1);
	stack[2] = pb_profile__add_location(p, m, 0x400300, &main_ln, 1);
	ck_assert_int_eq(pb_profile__add_sample(p, stack, 3, v, labels, 2), 0);
	ck_assert_int_eq(pb_profile__add_sample(p, &stack[1], 2, v, labels, 2), 0);
	ck_assert_int_eq(pb_profile__add_comment(p, "made by check_pprof"), 0);
	return p;
}

/* Packs msg as raw protobuf; *ret_len bytes, malloc'd. */
static uint8_t *pack(const Perftools__Profiles__Profile *msg, size_t *ret_len)
{
	size_t len = perftools__profiles__profile__get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(perftools__profiles__profile__pack(msg, buf), len);
	*ret_len = len;
	return buf;
}

/* A mutable copy of the sample profile (protobuf-c owned), to break on purpose. */
static Perftools__Profiles__Profile *mutable_copy(void)
{
	struct pb_profile *p = sample_profile();
	Perftools__Profiles__Profile *copy;
	size_t len;
	uint8_t *buf = pack(pb_profile__finish(p), &len);

	copy = perftools__profiles__profile__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(copy);
	free(buf);
	pb_profile__free(p);
	return copy;
}

/* Packs msg raw, frees it, and returns what pprof__decode makes of it. */
static int decode_raw_and_free(Perftools__Profiles__Profile *msg)
{
	Perftools__Profiles__Profile *out = NULL;
	size_t len;
	uint8_t *buf = pack(msg, &len);
	int err;

	perftools__profiles__profile__free_unpacked(msg, NULL);
	err = pprof__decode(buf, len, &out);
	if (!err)
		ck_assert_ptr_nonnull(out);
	else
		ck_assert_ptr_null(out);
	pprof__free(out);
	free(buf);
	return err;
}

START_TEST(test_pprof__encodes_gzip_that_decodes_to_the_same_profile)
{
	struct pb_profile *p = sample_profile();
	const Perftools__Profiles__Profile *msg = pb_profile__finish(p);
	Perftools__Profiles__Profile *d = NULL;
	uint8_t *gz, *raw;
	size_t gz_len, raw_len;

	ck_assert_int_eq(pprof__encode_gzip(msg, &gz, &gz_len), 0);
	ck_assert_uint_gt(gz_len, 18);
	ck_assert_uint_eq(gz[0], 0x1f);
	ck_assert_uint_eq(gz[1], 0x8b);
	ck_assert_uint_eq(gz[2], 8);	/* deflate */
	ck_assert_int_eq(pprof__decode(gz, gz_len, &d), 0);
	/* Re-packing the decoded message gives the original bytes. */
	raw = pack(msg, &raw_len);
	{
		size_t len2;
		uint8_t *raw2 = pack(d, &len2);

		ck_assert_uint_eq(len2, raw_len);
		ck_assert_mem_eq(raw2, raw, raw_len);
		free(raw2);
	}
	ck_assert_uint_eq(d->n_sample, 2);
	ck_assert_int_eq(d->sample[0]->value[1], 70707070);
	ck_assert_int_eq(d->period, 10101010);
	free(raw);
	free(gz);
	pprof__free(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pprof__decodes_raw_protobuf)
{
	struct pb_profile *p = sample_profile();
	Perftools__Profiles__Profile *d = NULL;
	size_t len;
	uint8_t *raw = pack(pb_profile__finish(p), &len);

	ck_assert_int_eq(pprof__decode(raw, len, &d), 0);
	ck_assert_uint_eq(d->n_location, 3);
	ck_assert_uint_eq(d->n_function, 4);
	ck_assert_str_eq(d->string_table[d->function[1]->name], "cprof_test_hot_leaf");
	ck_assert_int_eq(d->time_nanos, 1700000000000000000LL);
	free(raw);
	pprof__free(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pprof__decodes_several_gzip_members_as_one_stream)
{
	struct pb_profile *p = sample_profile();
	const Perftools__Profiles__Profile *msg = pb_profile__finish(p);
	Perftools__Profiles__Profile *d = NULL;
	size_t raw_len, half, out_len;
	uint8_t *raw = pack(msg, &raw_len), *out = malloc(2 * raw_len + 256);
	z_stream zs = { 0 };

	/* Two gzip members, each holding half of the protobuf bytes. */
	ck_assert_ptr_nonnull(out);
	half = raw_len / 2;
	out_len = 0;
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
		zs.next_in = raw + (i ? half : 0);
		zs.avail_in = i ? raw_len - half : half;
		zs.next_out = out + out_len;
		zs.avail_out = 2 * raw_len + 256 - out_len;
		ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
		out_len += zs.total_out;
		deflateEnd(&zs);
		memset(&zs, 0, sizeof(zs));
	}
	ck_assert_int_eq(pprof__decode(out, out_len, &d), 0);
	ck_assert_uint_eq(d->n_sample, 2);
	pprof__free(d);
	/* Garbage after the last member is not a profile. */
	out[out_len] = 0x42;
	ck_assert_int_eq(pprof__decode(out, out_len + 1, &d), -EBADMSG);
	/* Nor is a truncated member. */
	ck_assert_int_eq(pprof__decode(out, out_len - 5, &d), -EBADMSG);
	free(out);
	free(raw);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pprof__rejects_zlib_wrapped_data)
{
	struct pb_profile *p = sample_profile();
	Perftools__Profiles__Profile *d = NULL;
	size_t raw_len;
	uint8_t *raw = pack(pb_profile__finish(p), &raw_len);
	uLongf z_len = compressBound(raw_len);
	uint8_t *z = malloc(z_len);

	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(compress2(z, &z_len, raw, raw_len, Z_BEST_SPEED), Z_OK);
	ck_assert_uint_eq(z[0], 0x78);
	ck_assert_int_eq(pprof__decode(z, z_len, &d), -EBADMSG);
	ck_assert_ptr_null(d);
	free(z);
	free(raw);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pprof__accepts_an_unmodified_copy)
{
	/* The baseline of the rejection tests below: the copy itself is valid. */
	ck_assert_int_eq(decode_raw_and_free(mutable_copy()), 0);
}
END_TEST

START_TEST(test_pprof__rejects_an_out_of_range_string_index)
{
	Perftools__Profiles__Profile *m = mutable_copy();

	m->function[0]->name = (int64_t)m->n_string_table;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);

	m = mutable_copy();
	m->sample[0]->label[0]->str = 100000;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);

	m = mutable_copy();
	m->comment[0] = -1;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);
}
END_TEST

START_TEST(test_pprof__rejects_a_non_empty_first_string)
{
	Perftools__Profiles__Profile *m = mutable_copy();

	free(m->string_table[0]);
	m->string_table[0] = strdup("x");
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);
}
END_TEST

START_TEST(test_pprof__rejects_a_dangling_location_id)
{
	Perftools__Profiles__Profile *m = mutable_copy();

	m->sample[1]->location_id[0] = 99;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);
}
END_TEST

START_TEST(test_pprof__rejects_dangling_function_and_mapping_ids)
{
	Perftools__Profiles__Profile *m = mutable_copy();

	m->location[0]->line[1]->function_id = 77;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);

	m = mutable_copy();
	m->location[2]->mapping_id = 5;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);
}
END_TEST

START_TEST(test_pprof__rejects_zero_and_repeated_ids)
{
	Perftools__Profiles__Profile *m = mutable_copy();

	m->function[2]->id = 0;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);

	m = mutable_copy();
	m->location[1]->id = m->location[0]->id;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);

	m = mutable_copy();
	m->mapping[0]->id = 0;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);
}
END_TEST

START_TEST(test_pprof__rejects_a_sample_with_the_wrong_number_of_values)
{
	Perftools__Profiles__Profile *m = mutable_copy();

	m->sample[0]->n_value = 1;
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);
}
END_TEST

START_TEST(test_pprof__rejects_a_default_sample_type_naming_no_type)
{
	Perftools__Profiles__Profile *m = mutable_copy();

	/* "count" is a unit, not a type. */
	for (size_t i = 0; i < m->n_string_table; i++)
		if (!strcmp(m->string_table[i], "count"))
			m->default_sample_type = (int64_t)i;
	ck_assert_int_ne(m->default_sample_type, 0);
	ck_assert_int_eq(decode_raw_and_free(m), -EBADMSG);
}
END_TEST

START_TEST(test_pprof__rejects_two_concatenated_profiles)
{
	struct pb_profile *p = sample_profile();
	Perftools__Profiles__Profile *d = NULL;
	size_t len;
	uint8_t *raw = pack(pb_profile__finish(p), &len);
	uint8_t *twice = malloc(2 * len);

	ck_assert_ptr_nonnull(twice);
	memcpy(twice, raw, len);
	memcpy(twice + len, raw, len);
	ck_assert_int_eq(pprof__decode(twice, 2 * len, &d), -EBADMSG);
	ck_assert_int_eq(pprof__decode(raw, len, &d), 0);
	pprof__free(d);
	free(twice);
	free(raw);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pprof__rejects_bytes_that_are_not_protobuf)
{
	static const uint8_t junk[] = "this is not a profile";
	Perftools__Profiles__Profile *d = NULL;

	ck_assert_int_eq(pprof__decode(junk, sizeof(junk) - 1, &d), -EBADMSG);
	ck_assert_int_eq(pprof__decode(junk, 0, &d), -EBADMSG);	/* no string table */
	ck_assert_ptr_null(d);
}
END_TEST

START_TEST(test_pprof_index__finds_dense_and_sparse_ids)
{
	Perftools__Profiles__Profile *m = mutable_copy();
	struct pprof_index *idx = pprof_index__new(m);

	ck_assert_ptr_nonnull(idx);
	ck_assert_ptr_eq(pprof_index__location(idx, 2), m->location[1]);
	ck_assert_ptr_eq(pprof_index__function(idx, 4), m->function[3]);
	ck_assert_ptr_eq(pprof_index__mapping(idx, 1), m->mapping[0]);
	ck_assert_ptr_null(pprof_index__location(idx, 0));
	ck_assert_ptr_null(pprof_index__location(idx, 4));
	ck_assert_ptr_null(pprof_index__mapping(idx, 2));
	pprof_index__free(idx);

	/* Other producers may use any ids. */
	m->location[0]->id = 1000;
	m->location[1]->id = 7;
	m->location[2]->id = 123456789012ULL;
	idx = pprof_index__new(m);
	ck_assert_ptr_nonnull(idx);
	ck_assert_ptr_eq(pprof_index__location(idx, 1000), m->location[0]);
	ck_assert_ptr_eq(pprof_index__location(idx, 7), m->location[1]);
	ck_assert_ptr_eq(pprof_index__location(idx, 123456789012ULL), m->location[2]);
	ck_assert_ptr_null(pprof_index__location(idx, 1));
	ck_assert_ptr_null(pprof_index__location(idx, 2));
	pprof_index__free(idx);

	m->location[1]->id = 1000;
	errno = 0;
	ck_assert_ptr_null(pprof_index__new(m));
	ck_assert_int_eq(errno, EBADMSG);
	pprof_index__free(NULL);
	perftools__profiles__profile__free_unpacked(m, NULL);
}
END_TEST

START_TEST(test_pprof__picks_sample_types_by_name_and_default)
{
	Perftools__Profiles__Profile *m = mutable_copy();

	ck_assert_int_eq(pprof__sample_index(m, "samples"), 0);
	ck_assert_int_eq(pprof__sample_index(m, "cpu"), 1);
	ck_assert_int_eq(pprof__sample_index(m, NULL), 1);	/* the last */
	ck_assert_int_eq(pprof__sample_index(m, "wall"), -ENOENT);
	ck_assert_int_eq(pprof__sample_index(m, "count"), -ENOENT);
	m->default_sample_type = m->sample_type[0]->type;
	ck_assert_int_eq(pprof__sample_index(m, NULL), 0);
	perftools__profiles__profile__free_unpacked(m, NULL);
}
END_TEST

static const struct profile_write_opts pprof_out = { .format = PROFILE_FORMAT_PPROF };

START_TEST(test_pprof__writes_a_file_it_reads_back)
{
	char dir[] = "/tmp/check_pprof.XXXXXX", path[64];
	struct pb_profile *p = sample_profile();
	Perftools__Profiles__Profile *d = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.pb.gz", dir);
	ck_assert_int_eq(profile_write__file(path, pb_profile__finish(p), &pprof_out), 0);
	ck_assert_int_eq(profile_read__pprof_file(path, &d), 0);
	ck_assert_uint_eq(d->n_sample, 2);
	ck_assert_str_eq(d->string_table[d->comment[0]], "made by check_pprof");
	pprof__free(d);
	ck_assert_int_eq(profile_read__pprof_file("/nonexistent/x.pb.gz", &d), -ENOENT);
	ck_assert_int_eq(profile_write__file("/nonexistent/x.pb.gz", pb_profile__finish(p), &pprof_out), -ENOENT);
	unlink(path);
	rmdir(dir);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pprof__writes_a_file_go_tool_pprof_reads)
{
	char dir[] = "/tmp/check_pprof.XXXXXX", path[64], cmd[256], line[512];
	struct pb_profile *p = sample_profile();
	bool seen_leaf = false, seen_flags = false;
	FILE *f;
	int status;

	if (system("command -v go >/dev/null 2>&1") != 0) {
		printf("NOTE: go not installed; `go tool pprof` read not checked\n");
		pb_profile__free(p);
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.pb.gz", dir);
	ck_assert_int_eq(profile_write__file(path, pb_profile__finish(p), &pprof_out), 0);
	snprintf(cmd, sizeof(cmd),
		 "HOME=%s GOCACHE=%s/gocache go tool pprof -symbolize=none -raw %s 2>&1",
		 dir, dir, path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stdout);
		if (strstr(line, "cprof_test_hot_leaf"))
			seen_leaf = true;
		/* the mapping's has_functions, _filenames, _line_numbers, _inline_frames */
		if (strstr(line, "/usr/bin/app 0badc0de [FN][FL][LN][IN]"))
			seen_flags = true;
	}
	status = pclose(f);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "go tool pprof -raw failed (status %d)", status);
	ck_assert_msg(seen_leaf, "go tool pprof -raw does not show cprof_test_hot_leaf");
	ck_assert_msg(seen_flags, "go tool pprof -raw does not show the mapping with all four flags");
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	pb_profile__free(p);
}
END_TEST

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	for (; v >= 0x80; v >>= 7)
		p[n++] = (uint8_t)(v | 0x80);
	p[n++] = (uint8_t)v;
	return n;
}

/* A raw Profile whose one sample lists location 1 nlocs times (packed). */
static uint8_t *deep_sample_profile(size_t nlocs, size_t *ret_len)
{
	static const uint8_t head[] = { 0x0a, 0x04, 0x08, 0x01, 0x10, 0x02 };	/* sample_type */
	static const uint8_t tail[] = {
		0x22, 0x06, 0x08, 0x01, 0x22, 0x02, 0x08, 0x01,	/* location 1 -> function 1 */
		0x2a, 0x04, 0x08, 0x01, 0x10, 0x03,		/* function 1, name "f" */
		0x32, 0x00, 0x32, 0x07, 's', 'a', 'm', 'p', 'l', 'e', 's',
		0x32, 0x05, 'c', 'o', 'u', 'n', 't', 0x32, 0x01, 'f',
	};
	uint8_t *buf = malloc(sizeof(head) + sizeof(tail) + nlocs + 32), *p = buf, tmp[10];
	size_t inner = 1 + put_varint(tmp, nlocs) + nlocs + 3;

	ck_assert_ptr_nonnull(buf);
	memcpy(p, head, sizeof(head));
	p += sizeof(head);
	*p++ = 0x12;	/* sample */
	p += put_varint(p, inner);
	*p++ = 0x0a;	/* location_id, packed */
	p += put_varint(p, nlocs);
	memset(p, 0x01, nlocs);
	p += nlocs;
	*p++ = 0x12; *p++ = 0x01; *p++ = 0x01;	/* value [1] */
	memcpy(p, tail, sizeof(tail));
	p += sizeof(tail);
	*ret_len = (size_t)(p - buf);
	return buf;
}

START_TEST(test_pprof__refuses_a_sample_with_too_many_locations_before_unpacking)
{
	Perftools__Profiles__Profile *p = NULL;
	size_t len;
	uint8_t *buf;

	buf = deep_sample_profile(20000, &len);
	ck_assert_int_eq(pprof__decode(buf, len, &p), 0);
	ck_assert_uint_eq(p->n_sample, 1);
	ck_assert_uint_eq(p->sample[0]->n_location_id, 20000);
	pprof__free(p);
	free(buf);
	buf = deep_sample_profile(PPROF_MAX_SAMPLE_LOCATIONS + 1, &len);
	ck_assert_int_eq(pprof__decode(buf, len, &p), -E2BIG);
	free(buf);
}
END_TEST

static Suite *pprof_suite(void)
{
	Suite *s = suite_create("pprof");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);	/* the first `go tool pprof` may be slow */
	tcase_add_test(tc, test_pprof__encodes_gzip_that_decodes_to_the_same_profile);
	tcase_add_test(tc, test_pprof__decodes_raw_protobuf);
	tcase_add_test(tc, test_pprof__decodes_several_gzip_members_as_one_stream);
	tcase_add_test(tc, test_pprof__rejects_zlib_wrapped_data);
	tcase_add_test(tc, test_pprof__accepts_an_unmodified_copy);
	tcase_add_test(tc, test_pprof__rejects_an_out_of_range_string_index);
	tcase_add_test(tc, test_pprof__rejects_a_non_empty_first_string);
	tcase_add_test(tc, test_pprof__rejects_a_dangling_location_id);
	tcase_add_test(tc, test_pprof__rejects_dangling_function_and_mapping_ids);
	tcase_add_test(tc, test_pprof__rejects_zero_and_repeated_ids);
	tcase_add_test(tc, test_pprof__rejects_a_sample_with_the_wrong_number_of_values);
	tcase_add_test(tc, test_pprof__rejects_a_default_sample_type_naming_no_type);
	tcase_add_test(tc, test_pprof__rejects_two_concatenated_profiles);
	tcase_add_test(tc, test_pprof__rejects_bytes_that_are_not_protobuf);
	tcase_add_test(tc, test_pprof_index__finds_dense_and_sparse_ids);
	tcase_add_test(tc, test_pprof__picks_sample_types_by_name_and_default);
	tcase_add_test(tc, test_pprof__writes_a_file_it_reads_back);
	tcase_add_test(tc, test_pprof__writes_a_file_go_tool_pprof_reads);
	tcase_add_test(tc, test_pprof__refuses_a_sample_with_too_many_locations_before_unpacking);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pprof_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
