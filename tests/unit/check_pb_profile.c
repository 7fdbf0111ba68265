// SPDX-License-Identifier: MIT
/* Tests for export/pb_profile: every profile is built, finished, packed with
 * protobuf-c and unpacked again, and the decoded message is what is checked,
 * so the tests see exactly what a pprof reader would. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/pb_profile.h"

static const struct pb_value_type cpu_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" },
};

static const struct pb_profile_opts cpu_opts = {
	.sample_types = cpu_types,
	.n_sample_types = 2,
	.period_type = { "cpu", "nanoseconds" },
	.period = 10000000,
	.time_nanos = 1700000000123456789LL,
	.duration_nanos = 30000000000LL,
};

/* Finishes p and returns its packed-then-unpacked copy (free with free_unpacked). */
static Perftools__Profiles__Profile *round_trip(struct pb_profile *p)
{
	const Perftools__Profiles__Profile *msg = pb_profile__finish(p);
	Perftools__Profiles__Profile *out;
	uint8_t *buf;
	size_t len;

	ck_assert_ptr_nonnull(msg);
	len = perftools__profiles__profile__get_packed_size(msg);
	buf = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(perftools__profiles__profile__pack(msg, buf), len);
	out = perftools__profiles__profile__unpack(NULL, len, buf);
	free(buf);
	ck_assert_ptr_nonnull(out);
	return out;
}

static const char *str(const Perftools__Profiles__Profile *p, int64_t i)
{
	ck_assert_int_ge(i, 0);
	ck_assert_uint_lt((uint64_t)i, p->n_string_table);
	return p->string_table[i];
}

static const char *fn_name(const Perftools__Profiles__Profile *p, uint64_t function_id)
{
	ck_assert_uint_ge(function_id, 1);
	ck_assert_uint_le(function_id, p->n_function);
	return str(p, p->function[function_id - 1]->name);
}

static void free_msg(Perftools__Profiles__Profile *p)
{
	perftools__profiles__profile__free_unpacked(p, NULL);
}

START_TEST(test_pb_profile__round_trips_sample_types_period_and_times)
{
	struct pb_profile_opts opts = cpu_opts;
	struct pb_profile *p;
	Perftools__Profiles__Profile *d;

	opts.default_sample_type = "cpu";
	p = pb_profile__new(&opts);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pb_profile__add_comment(p, "cprof 0.1.0 -F 99"), 0);
	ck_assert_int_eq(pb_profile__add_comment(p, "dropped: 3"), 0);
	d = round_trip(p);

	ck_assert_uint_ge(d->n_string_table, 1);
	ck_assert_str_eq(d->string_table[0], "");
	ck_assert_uint_eq(d->n_sample_type, 2);
	ck_assert_str_eq(str(d, d->sample_type[0]->type), "samples");
	ck_assert_str_eq(str(d, d->sample_type[0]->unit), "count");
	ck_assert_str_eq(str(d, d->sample_type[1]->type), "cpu");
	ck_assert_str_eq(str(d, d->sample_type[1]->unit), "nanoseconds");
	ck_assert_ptr_nonnull(d->period_type);
	ck_assert_str_eq(str(d, d->period_type->type), "cpu");
	ck_assert_str_eq(str(d, d->period_type->unit), "nanoseconds");
	ck_assert_int_eq(d->period, 10000000);
	ck_assert_int_eq(d->time_nanos, 1700000000123456789LL);
	ck_assert_int_eq(d->duration_nanos, 30000000000LL);
	ck_assert_str_eq(str(d, d->default_sample_type), "cpu");
	ck_assert_uint_eq(d->n_comment, 2);
	ck_assert_str_eq(str(d, d->comment[0]), "cprof 0.1.0 -F 99");
	ck_assert_str_eq(str(d, d->comment[1]), "dropped: 3");
	ck_assert_uint_eq(d->n_sample, 0);
	/* Strings are interned: "cpu" and "nanoseconds" appear once. */
	for (size_t i = 0; i < d->n_string_table; i++)
		for (size_t j = i + 1; j < d->n_string_table; j++)
			ck_assert_str_ne(d->string_table[i], d->string_table[j]);
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__leaves_default_sample_type_unset_when_not_given)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	Perftools__Profiles__Profile *d;

	ck_assert_ptr_nonnull(p);
	d = round_trip(p);
	ck_assert_int_eq(d->default_sample_type, 0);
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__new_rejects_missing_types_and_unknown_default)
{
	struct pb_profile_opts opts = cpu_opts;

	opts.default_sample_type = "wall";
	errno = 0;
	ck_assert_ptr_null(pb_profile__new(&opts));
	ck_assert_int_eq(errno, EINVAL);

	opts = cpu_opts;
	opts.n_sample_types = 0;
	errno = 0;
	ck_assert_ptr_null(pb_profile__new(&opts));
	ck_assert_int_eq(errno, EINVAL);

	errno = 0;
	ck_assert_ptr_null(pb_profile__new(NULL));
	ck_assert_int_eq(errno, EINVAL);
	pb_profile__free(NULL);
}
END_TEST

START_TEST(test_pb_profile__interns_mappings_on_every_key_field)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	Perftools__Profiles__Profile *d;
	uint64_t a, b, c, e, f;

	ck_assert_ptr_nonnull(p);
	a = pb_profile__add_mapping(p, 0x400000, 0x500000, 0x1000, "/usr/bin/app", "abcd");
	b = pb_profile__add_mapping(p, 0x400000, 0x500000, 0x1000, "/usr/bin/app", "abcd");
	c = pb_profile__add_mapping(p, 0x400000, 0x500000, 0x2000, "/usr/bin/app", "abcd");
	e = pb_profile__add_mapping(p, 0x400000, 0x500000, 0x1000, "/usr/bin/app", "ef01");
	f = pb_profile__add_mapping(p, 0x7f0000000000, 0x7f0000100000, 0, "/lib/libc.so.6", NULL);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, a);
	ck_assert_uint_eq(c, 2);
	ck_assert_uint_eq(e, 3);
	ck_assert_uint_eq(f, 4);
	d = round_trip(p);
	ck_assert_uint_eq(d->n_mapping, 4);
	for (size_t i = 0; i < d->n_mapping; i++)
		ck_assert_uint_eq(d->mapping[i]->id, i + 1);
	ck_assert_uint_eq(d->mapping[0]->memory_start, 0x400000);
	ck_assert_uint_eq(d->mapping[0]->memory_limit, 0x500000);
	ck_assert_uint_eq(d->mapping[0]->file_offset, 0x1000);
	ck_assert_str_eq(str(d, d->mapping[0]->filename), "/usr/bin/app");
	ck_assert_str_eq(str(d, d->mapping[0]->build_id), "abcd");
	ck_assert_uint_eq(d->mapping[1]->file_offset, 0x2000);
	ck_assert_str_eq(str(d, d->mapping[2]->build_id), "ef01");
	ck_assert_str_eq(str(d, d->mapping[3]->filename), "/lib/libc.so.6");
	ck_assert_int_eq(d->mapping[3]->build_id, 0);
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__interns_locations_by_mapping_and_address)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	struct pb_line work = { "work", "_Z4workv", "/src/app.c", 42, 40 };
	struct pb_line other = { "other", "other", "/src/app.c", 7, 5 };
	Perftools__Profiles__Profile *d;
	uint64_t m1, m2, l1, l2, l3, l4, l5;

	ck_assert_ptr_nonnull(p);
	m1 = pb_profile__add_mapping(p, 0x1000, 0x2000, 0, "/a", NULL);
	m2 = pb_profile__add_mapping(p, 0x3000, 0x4000, 0, "/b", NULL);
	l1 = pb_profile__add_location(p, m1, 0x1100, &work, 1);
	l2 = pb_profile__add_location(p, m1, 0x1100, &other, 1);	/* known: first lines win */
	l3 = pb_profile__add_location(p, m2, 0x1100, &work, 1);	/* other mapping */
	l4 = pb_profile__add_location(p, 0, 0x1100, NULL, 0);		/* no mapping */
	l5 = pb_profile__add_location(p, m1, 0x1104, &work, 1);	/* same function */
	ck_assert_uint_eq(l1, 1);
	ck_assert_uint_eq(l2, l1);
	ck_assert_uint_eq(l3, 2);
	ck_assert_uint_eq(l4, 3);
	ck_assert_uint_eq(l5, 4);
	ck_assert_uint_eq(pb_profile__add_location(p, 0, 0x1100, NULL, 0), l4);

	d = round_trip(p);
	ck_assert_uint_eq(d->n_location, 4);
	for (size_t i = 0; i < d->n_location; i++)
		ck_assert_uint_eq(d->location[i]->id, i + 1);
	ck_assert_uint_eq(d->location[0]->mapping_id, m1);
	ck_assert_uint_eq(d->location[0]->address, 0x1100);
	ck_assert_uint_eq(d->location[0]->n_line, 1);
	ck_assert_str_eq(fn_name(d, d->location[0]->line[0]->function_id), "work");
	ck_assert_int_eq(d->location[0]->line[0]->line, 42);
	ck_assert_uint_eq(d->location[1]->mapping_id, m2);
	ck_assert_uint_eq(d->location[2]->mapping_id, 0);
	ck_assert_uint_eq(d->location[2]->n_line, 0);
	ck_assert_uint_eq(d->location[3]->address, 0x1104);
	/* One Function for "work" although three locations use it; "other" never
	 * made it in, because its location already existed. */
	ck_assert_uint_eq(d->n_function, 1);
	ck_assert_uint_eq(d->function[0]->id, 1);
	ck_assert_str_eq(str(d, d->function[0]->name), "work");
	ck_assert_str_eq(str(d, d->function[0]->system_name), "_Z4workv");
	ck_assert_str_eq(str(d, d->function[0]->filename), "/src/app.c");
	ck_assert_int_eq(d->function[0]->start_line, 40);
	ck_assert_uint_eq(d->location[3]->line[0]->function_id, 1);
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__interns_functions_on_name_system_name_file_and_start_line)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	struct pb_line lines[] = {
		{ "f", "f", "/a.c", 1, 1 },
		{ "f", "f", "/a.c", 2, 1 },	/* same function, other line */
		{ "f", "_Z1fv", "/a.c", 1, 1 },
		{ "f", "f", "/b.c", 1, 1 },
		{ "f", "f", "/a.c", 1, 9 },
		{ "f", "f", NULL, 1, 1 },
	};
	Perftools__Profiles__Profile *d;

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < 6; i++)
		ck_assert_uint_eq(pb_profile__add_location(p, 0, 0x100 + i, &lines[i], 1), i + 1);
	d = round_trip(p);
	ck_assert_uint_eq(d->n_function, 5);
	ck_assert_uint_eq(d->location[0]->line[0]->function_id, d->location[1]->line[0]->function_id);
	ck_assert_int_eq(d->location[1]->line[0]->line, 2);
	ck_assert_str_eq(str(d, d->function[1]->system_name), "_Z1fv");
	ck_assert_str_eq(str(d, d->function[2]->filename), "/b.c");
	ck_assert_int_eq(d->function[3]->start_line, 9);
	ck_assert_int_eq(d->function[4]->filename, 0);
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__keeps_inline_frames_innermost_first)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	struct pb_line lines[] = {
		{ "inlined_leaf", NULL, "/src/x.h", 3, 1 },
		{ "middle", NULL, "/src/x.c", 20, 10 },
		{ "caller", NULL, "/src/x.c", 55, 50 },
	};
	Perftools__Profiles__Profile *d;
	uint64_t m, l;

	ck_assert_ptr_nonnull(p);
	m = pb_profile__add_mapping(p, 0x1000, 0x2000, 0, "/bin/x", NULL);
	l = pb_profile__add_location(p, m, 0x1234, lines, 3);
	ck_assert_uint_eq(l, 1);
	d = round_trip(p);
	ck_assert_uint_eq(d->location[0]->n_line, 3);
	ck_assert_str_eq(fn_name(d, d->location[0]->line[0]->function_id), "inlined_leaf");
	ck_assert_str_eq(fn_name(d, d->location[0]->line[1]->function_id), "middle");
	ck_assert_str_eq(fn_name(d, d->location[0]->line[2]->function_id), "caller");
	ck_assert_int_eq(d->location[0]->line[2]->line, 55);
	ck_assert_int_eq(d->function[0]->system_name, 0);
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__keeps_distinct_synthetic_frames_at_address_zero)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	struct pb_line trunc = { "[truncated]" }, lost = { "[lost]" };
	uint64_t a, b, c;

	ck_assert_ptr_nonnull(p);
	a = pb_profile__add_location(p, 0, 0, &trunc, 1);
	b = pb_profile__add_location(p, 0, 0, &lost, 1);
	c = pb_profile__add_location(p, 0, 0, &trunc, 1);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 2);
	ck_assert_uint_eq(c, a);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__merges_samples_with_same_stack_and_labels)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	struct pb_line f = { "f" }, g = { "g" };
	struct pb_label l1[] = { { "pid", NULL, 42, "pid" }, { "comm", "app" } };
	struct pb_label l1_swapped[] = { { "comm", "app" }, { "pid", NULL, 42, "pid" } };
	struct pb_label l2[] = { { "pid", NULL, 43, "pid" }, { "comm", "app" } };
	Perftools__Profiles__Profile *d;
	uint64_t stack[2], other[2];
	int64_t v1[] = { 1, 10000000 }, v2[] = { 2, 20000000 };

	ck_assert_ptr_nonnull(p);
	stack[0] = pb_profile__add_location(p, 0, 0x10, &f, 1);
	stack[1] = pb_profile__add_location(p, 0, 0x20, &g, 1);
	other[0] = stack[1];
	other[1] = stack[0];
	ck_assert_int_eq(pb_profile__add_sample(p, stack, 2, v1, l1, 2), 0);
	ck_assert_int_eq(pb_profile__add_sample(p, stack, 2, v2, l1_swapped, 2), 0);
	ck_assert_int_eq(pb_profile__add_sample(p, stack, 2, v1, l2, 2), 0);	/* other pid */
	ck_assert_int_eq(pb_profile__add_sample(p, other, 2, v1, l1, 2), 0);	/* other order */
	ck_assert_int_eq(pb_profile__add_sample(p, stack, 1, v1, l1, 2), 0);	/* prefix */
	ck_assert_int_eq(pb_profile__add_sample(p, stack, 2, v2, NULL, 0), 0);	/* no labels */
	ck_assert_int_eq(pb_profile__add_sample(p, stack, 2, v1, NULL, 0), 0);
	d = round_trip(p);
	ck_assert_uint_eq(d->n_sample, 5);
	ck_assert_uint_eq(d->sample[0]->n_location_id, 2);
	ck_assert_uint_eq(d->sample[0]->location_id[0], stack[0]);
	ck_assert_uint_eq(d->sample[0]->location_id[1], stack[1]);
	ck_assert_uint_eq(d->sample[0]->n_value, 2);
	ck_assert_int_eq(d->sample[0]->value[0], 3);
	ck_assert_int_eq(d->sample[0]->value[1], 30000000);
	ck_assert_int_eq(d->sample[1]->value[0], 1);
	ck_assert_uint_eq(d->sample[2]->location_id[0], stack[1]);
	ck_assert_uint_eq(d->sample[3]->n_location_id, 1);
	ck_assert_uint_eq(d->sample[4]->n_label, 0);
	ck_assert_int_eq(d->sample[4]->value[0], 3);
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__writes_numeric_labels_with_unit_and_string_labels)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	struct pb_label labels[] = {
		{ "pid", NULL, 4242, "pid" },
		{ "comm", "my;app" },
		{ "cpu", NULL, 3, NULL },
	};
	Perftools__Profiles__Profile *d;
	int64_t v[] = { 1, 1 };
	int seen = 0;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pb_profile__add_sample(p, NULL, 0, v, labels, 3), 0);
	d = round_trip(p);
	ck_assert_uint_eq(d->n_sample, 1);
	ck_assert_uint_eq(d->sample[0]->n_label, 3);
	for (size_t i = 0; i < 3; i++) {
		const Perftools__Profiles__Label *l = d->sample[0]->label[i];
		const char *key = str(d, l->key);

		if (!strcmp(key, "pid")) {
			ck_assert_int_eq(l->str, 0);
			ck_assert_int_eq(l->num, 4242);
			ck_assert_str_eq(str(d, l->num_unit), "pid");
			seen |= 1;
		} else if (!strcmp(key, "comm")) {
			ck_assert_str_eq(str(d, l->str), "my;app");
			ck_assert_int_eq(l->num, 0);
			ck_assert_int_eq(l->num_unit, 0);
			seen |= 2;
		} else {
			ck_assert_str_eq(key, "cpu");
			ck_assert_int_eq(l->num, 3);
			ck_assert_int_eq(l->num_unit, 0);
			seen |= 4;
		}
	}
	ck_assert_int_eq(seen, 7);
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__sets_mapping_flags_truthfully)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	struct pb_line full = { "f", "f", "/f.c", 10, 9 };
	struct pb_line inl[] = { { "i", "i", "/i.h", 3, 1 }, { "f", "f", "/f.c", 12, 9 } };
	struct pb_line nofile = { "g", "g", NULL, 5, 1 };
	struct pb_line noline = { "h", "h", "/h.c", 0, 1 };
	Perftools__Profiles__Profile *d;
	uint64_t full_m, sym_m, raw_m, name_m, file_m, unused_m;

	ck_assert_ptr_nonnull(p);
	full_m = pb_profile__add_mapping(p, 0x1000, 0x2000, 0, "/full", NULL);
	sym_m = pb_profile__add_mapping(p, 0x3000, 0x4000, 0, "/sym", NULL);
	raw_m = pb_profile__add_mapping(p, 0x5000, 0x6000, 0, "/raw", NULL);
	name_m = pb_profile__add_mapping(p, 0x7000, 0x8000, 0, "/names", NULL);
	file_m = pb_profile__add_mapping(p, 0x9000, 0xa000, 0, "/files", NULL);
	unused_m = pb_profile__add_mapping(p, 0xb000, 0xc000, 0, "/unused", NULL);
	/* fully symbolized, with inlining */
	ck_assert_uint_ne(pb_profile__add_location(p, full_m, 0x1010, &full, 1), 0);
	ck_assert_uint_ne(pb_profile__add_location(p, full_m, 0x1020, inl, 2), 0);
	/* fully symbolized, no inlining */
	ck_assert_uint_ne(pb_profile__add_location(p, sym_m, 0x3010, &full, 1), 0);
	/* one symbolized location, one bare address */
	ck_assert_uint_ne(pb_profile__add_location(p, raw_m, 0x5010, &full, 1), 0);
	ck_assert_uint_ne(pb_profile__add_location(p, raw_m, 0x5020, NULL, 0), 0);
	/* names without file names */
	ck_assert_uint_ne(pb_profile__add_location(p, name_m, 0x7010, &full, 1), 0);
	ck_assert_uint_ne(pb_profile__add_location(p, name_m, 0x7020, &nofile, 1), 0);
	/* file names without line numbers */
	ck_assert_uint_ne(pb_profile__add_location(p, file_m, 0x9010, &noline, 1), 0);
	d = round_trip(p);

#define FLAGS(m) (d->mapping[(m) - 1]->has_functions << 3 | d->mapping[(m) - 1]->has_filenames << 2 | \
		  d->mapping[(m) - 1]->has_line_numbers << 1 | d->mapping[(m) - 1]->has_inline_frames)
	ck_assert_int_eq(FLAGS(full_m), 0xf);
	ck_assert_int_eq(FLAGS(sym_m), 0xe);
	ck_assert_int_eq(FLAGS(raw_m), 0x0);
	ck_assert_int_eq(FLAGS(name_m), 0xa);	/* functions, line numbers */
	ck_assert_int_eq(FLAGS(file_m), 0xc);	/* functions, file names */
	ck_assert_int_eq(FLAGS(unused_m), 0x0);
#undef FLAGS
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__refuses_adds_after_finish)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	const Perftools__Profiles__Profile *m1, *m2;
	int64_t v[] = { 1, 1 };

	ck_assert_ptr_nonnull(p);
	m1 = pb_profile__finish(p);
	ck_assert_ptr_nonnull(m1);
	errno = 0;
	ck_assert_uint_eq(pb_profile__add_mapping(p, 1, 2, 0, "/x", NULL), 0);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(pb_profile__add_location(p, 0, 0x10, NULL, 0), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pb_profile__add_sample(p, NULL, 0, v, NULL, 0), -EINVAL);
	ck_assert_int_eq(pb_profile__add_comment(p, "late"), -EINVAL);
	m2 = pb_profile__finish(p);
	ck_assert_ptr_eq(m1, m2);
	ck_assert_uint_eq(m2->n_sample, 0);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__rejects_ids_it_never_handed_out)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	uint64_t loc, bad[] = { 0 };
	int64_t v[] = { 1, 1 };

	ck_assert_ptr_nonnull(p);
	errno = 0;
	ck_assert_uint_eq(pb_profile__add_location(p, 1, 0x10, NULL, 0), 0);
	ck_assert_int_eq(errno, EINVAL);
	loc = pb_profile__add_location(p, 0, 0x10, NULL, 0);
	ck_assert_uint_eq(loc, 1);
	bad[0] = loc + 1;
	ck_assert_int_eq(pb_profile__add_sample(p, bad, 1, v, NULL, 0), -EINVAL);
	bad[0] = 0;
	ck_assert_int_eq(pb_profile__add_sample(p, bad, 1, v, NULL, 0), -EINVAL);
	ck_assert_int_eq(pb_profile__add_sample(p, &loc, 1, NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(pb_profile__add_sample(p, &loc, 1, v, NULL, 0), 0);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__replaces_invalid_utf8_in_strings)
{
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	struct pb_line ln = { "caf\xc3\xa9_\xff\xfe_ok", NULL, "/src/\xc0\xaf.c", 1, 1 };
	Perftools__Profiles__Profile *d;

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(pb_profile__add_location(p, 0, 0x10, &ln, 1), 1);
	d = round_trip(p);
	ck_assert_str_eq(str(d, d->function[0]->name), "caf\xc3\xa9_??_ok");
	ck_assert_str_eq(str(d, d->function[0]->filename), "/src/??.c");
	free_msg(d);
	pb_profile__free(p);
}
END_TEST

START_TEST(test_pb_profile__interns_a_quarter_million_locations_in_constant_time_each)
{
	/* Check's 4 s default timeout fails this if interning is a linear scan. */
	enum { N = 250000 };
	struct pb_profile *p = pb_profile__new(&cpu_opts);
	const Perftools__Profiles__Profile *msg;
	uint64_t m;

	ck_assert_ptr_nonnull(p);
	m = pb_profile__add_mapping(p, 0x400000, 0x40000000, 0, "/big", "00ff");
	for (uint64_t i = 0; i < N; i++) {
		char name[32];
		struct pb_line ln = { name, name, "/big.c", (int64_t)i + 1, 1 };
		int64_t v[] = { 1, 1 };
		uint64_t loc;

		snprintf(name, sizeof(name), "fn_%llu", (unsigned long long)(i % 5000));
		loc = pb_profile__add_location(p, m, 0x400000 + 4 * i, &ln, 1);
		ck_assert_uint_eq(loc, i + 1);
		ck_assert_int_eq(pb_profile__add_sample(p, &loc, 1, v, NULL, 0), 0);
	}
	for (uint64_t i = 0; i < N; i += 997)
		ck_assert_uint_eq(pb_profile__add_location(p, m, 0x400000 + 4 * i, NULL, 0), i + 1);
	msg = pb_profile__finish(p);
	ck_assert_ptr_nonnull(msg);
	ck_assert_uint_eq(msg->n_location, N);
	ck_assert_uint_eq(msg->n_function, 5000);
	ck_assert_uint_eq(msg->n_sample, N);
	pb_profile__free(p);
}
END_TEST

static Suite *profile_suite(void)
{
	Suite *s = suite_create("pb_profile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pb_profile__round_trips_sample_types_period_and_times);
	tcase_add_test(tc, test_pb_profile__leaves_default_sample_type_unset_when_not_given);
	tcase_add_test(tc, test_pb_profile__new_rejects_missing_types_and_unknown_default);
	tcase_add_test(tc, test_pb_profile__interns_mappings_on_every_key_field);
	tcase_add_test(tc, test_pb_profile__interns_locations_by_mapping_and_address);
	tcase_add_test(tc, test_pb_profile__interns_functions_on_name_system_name_file_and_start_line);
	tcase_add_test(tc, test_pb_profile__keeps_inline_frames_innermost_first);
	tcase_add_test(tc, test_pb_profile__keeps_distinct_synthetic_frames_at_address_zero);
	tcase_add_test(tc, test_pb_profile__merges_samples_with_same_stack_and_labels);
	tcase_add_test(tc, test_pb_profile__writes_numeric_labels_with_unit_and_string_labels);
	tcase_add_test(tc, test_pb_profile__sets_mapping_flags_truthfully);
	tcase_add_test(tc, test_pb_profile__refuses_adds_after_finish);
	tcase_add_test(tc, test_pb_profile__rejects_ids_it_never_handed_out);
	tcase_add_test(tc, test_pb_profile__replaces_invalid_utf8_in_strings);
	tcase_add_test(tc, test_pb_profile__interns_a_quarter_million_locations_in_constant_time_each);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(profile_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
