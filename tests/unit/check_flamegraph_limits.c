// SPDX-License-Identifier: MIT
/* Tests for the bounds of export/flamegraph and export/folded_read
 * (flamegraph_limits): stacks deeper than the limit are cut with a visible
 * frame, --max-depth hides deep towers behind one box each, counts that would
 * overflow are refused, a --focus that matches nothing is an error, and
 * --minwidth is raised to keep the output under its cap. */
#include "tests/flamegraph_util.h"


/* "f0;f1;...;f(n-1) 1": one stack n frames deep, names by depth. */
static char *deep_stack(size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%sf%zu", i ? ";" : "", i);
	fputs(" 1\n", f);
	fclose(f);
	return text;
}

/* One sample n frames deep, f0 the root, built as a pprof (not folded, whose
 * reader cuts first). */
static const Perftools__Profiles__Profile *deep_profile(size_t n, struct pb_profile **ret_b)
{
	static const struct pb_value_type t = { "samples", "count" };
	struct pb_profile_opts po = { .sample_types = &t, .n_sample_types = 1 };
	struct pb_profile *b = pb_profile__new(&po);
	uint64_t *ids = calloc(n, sizeof(*ids));
	const Perftools__Profiles__Profile *p;
	int64_t one = 1;
	char name[32];

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(ids);
	for (size_t i = 0; i < n; i++) {
		struct pb_line ln = { .name = name };

		snprintf(name, sizeof(name), "f%zu", i);
		ids[n - 1 - i] = pb_profile__add_location(b, 0, 0x1000 + i, &ln, 1);
		ck_assert_uint_gt(ids[n - 1 - i], 0);
	}
	ck_assert_int_eq(pb_profile__add_sample(b, ids, n, &one, NULL, 0), 0);
	free(ids);
	p = pb_profile__finish(b);
	ck_assert_ptr_nonnull(p);
	*ret_b = b;
	return p;
}

START_TEST(test_flamegraph__cuts_stacks_deeper_than_the_limit_with_a_visible_frame)
{
	struct flamegraph_report r;
	struct flamegraph_opts o;
	struct pb_profile *b;
	const Perftools__Profiles__Profile *p = deep_profile(10000, &b);
	struct frame_rec *fr = calloc(FLAMEGRAPH_MAX_DEPTH + 8, sizeof(*fr));
	char *svg;

	flamegraph_opts__init(&o);
	o.report = &r;
	svg = render(p, &o);
	/* root + 4095 frames from the root + the marker */
	ck_assert_uint_eq(parse_frames(svg, fr, FLAMEGRAPH_MAX_DEPTH + 8), FLAMEGRAPH_MAX_DEPTH + 1);
	ck_assert_str_eq(fr[1].name, "f0");
	ck_assert_str_eq(fr[FLAMEGRAPH_MAX_DEPTH - 1].name, "f4094");
	ck_assert_str_eq(fr[FLAMEGRAPH_MAX_DEPTH].name, "[truncated 5905 frames]");
	ck_assert_uint_eq(r.truncated_stacks, 1);
	ck_assert_uint_eq(r.deepest, 10000);
	free(svg);
	/* inverted: the leaf-most frames are kept */
	o.inverted = true;
	svg = render(p, &o);
	ck_assert_uint_eq(parse_frames(svg, fr, FLAMEGRAPH_MAX_DEPTH + 8), FLAMEGRAPH_MAX_DEPTH + 1);
	ck_assert_str_eq(fr[1].name, "f9999");
	ck_assert_str_eq(fr[FLAMEGRAPH_MAX_DEPTH].name, "[truncated 5905 frames]");
	free(svg);
	pb_profile__free(b);
	/* exactly at the limit: nothing cut */
	p = deep_profile(FLAMEGRAPH_MAX_DEPTH, &b);
	o.inverted = false;
	svg = render(p, &o);
	ck_assert_ptr_null(strstr(svg, "[truncated"));
	ck_assert_uint_eq(r.truncated_stacks, 0);
	free(svg);
	free(fr);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_folded_read__cuts_lines_deeper_than_the_limit_with_a_visible_frame)
{
	char *text = deep_stack(10000), *svg;
	struct folded_read_stats st;
	struct flamegraph_opts o;
	struct pb_profile *b;
	const Perftools__Profiles__Profile *p;
	struct frame_rec *fr = calloc(FLAMEGRAPH_MAX_DEPTH + 8, sizeof(*fr));

	ck_assert_int_eq(folded_read__parse(text, strlen(text), &b, &st), 0);
	ck_assert_uint_eq(st.truncated_lines, 1);
	ck_assert_uint_eq(st.deepest, 10000);
	p = pb_profile__finish(b);
	ck_assert_uint_eq(p->sample[0]->n_location_id, FOLDED_READ_MAX_FRAMES);
	flamegraph_opts__init(&o);
	svg = render(p, &o);
	ck_assert_uint_eq(parse_frames(svg, fr, FLAMEGRAPH_MAX_DEPTH + 8), FLAMEGRAPH_MAX_DEPTH + 1);
	ck_assert_str_eq(fr[FLAMEGRAPH_MAX_DEPTH - 1].name, "f4094");
	ck_assert_str_eq(fr[FLAMEGRAPH_MAX_DEPTH].name, "[truncated 5905 frames]");
	free(svg);
	free(fr);
	free(text);
	pb_profile__free(b);
	/* at the limit: kept whole */
	text = deep_stack(FOLDED_READ_MAX_FRAMES);
	ck_assert_int_eq(folded_read__parse(text, strlen(text), &b, &st), 0);
	ck_assert_uint_eq(st.truncated_lines, 0);
	ck_assert_uint_eq(pb_profile__finish(b)->sample[0]->n_location_id, FOLDED_READ_MAX_FRAMES);
	free(text);
	pb_profile__free(b);
}
END_TEST

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

/* The <svg> element's height attribute. */
static double svg_height(const char *svg)
{
	const char *s = strstr(svg, "<svg ");

	ck_assert_ptr_nonnull(s);
	return attr(s, strchr(s, '>'), " height=\"");
}

START_TEST(test_flamegraph__hides_frames_past_max_depth_behind_one_box_per_tower)
{
	char *deep = deep_stack(352), *text = NULL, *svg, *box, *f99, *f100;
	struct frame_rec *fr = calloc(400, sizeof(*fr));
	const struct frame_rec *base;
	struct flamegraph_opts o;
	struct pb_profile *b;
	const Perftools__Profiles__Profile *p;
	size_t n;

	ck_assert_int_gt(asprintf(&text, "%swide;hot 3\n", deep), 0);
	p = folded(text, &b);
	flamegraph_opts__init(&o);
	ck_assert_uint_eq(o.max_depth, FLAMEGRAPH_DRAWN_DEPTH);
	svg = render(p, &o);
	ck_assert_int_eq(xmllint(svg, "fg_deep.svg"), 0);
	/* every frame is written (a click shows them), the 252 past depth 100 hidden */
	n = parse_frames(svg, fr, 400);
	ck_assert_uint_eq(n, 1 + 352 + 2);
	ck_assert_uint_eq(count(svg, "class=\"deep\""), 252);
	ck_assert_uint_eq(count(svg, "<g class=\"more\">"), 1);
	box = strstr(svg, "<g class=\"more\"><title>[+252 more frames]");
	ck_assert_ptr_nonnull(box);
	/* the box stands on f99 (depth 100), as wide, on the top row, and comes
	 * between f99 and the tower it hides */
	base = find(fr, n, "f99");
	ck_assert_double_eq_tol(attr(box, box + 300, "<rect x=\""), base->x, 0.001);
	ck_assert_double_eq_tol(attr(box, box + 300, " width=\""), base->w, 0.001);
	ck_assert_double_eq_tol(attr(box, box + 300, " y=\""), 72, 0.001);
	ck_assert_double_eq_tol(base->y, 72 + FRAME_H, 0.001);
	f99 = strstr(svg, "<title>f99 (");
	f100 = strstr(svg, "<title>f100 (");
	ck_assert(f99 < box && box < f100);
	/* 101 rows of frames and the box's: about 1700 px, not 5750 */
	ck_assert_double_eq_tol(svg_height(svg), 72 + 102 * FRAME_H + 30, 0.001);
	free(svg);

	o.inverted = true;	/* the tower hangs down: its box is the bottom row */
	svg = render(p, &o);
	box = strstr(svg, "<g class=\"more\"><title>[+252 more frames]");
	ck_assert_ptr_nonnull(box);
	ck_assert_double_eq_tol(attr(box, box + 300, " y=\""), 72 + 101 * FRAME_H, 0.001);
	ck_assert(strstr(svg, "<title>f252 (") < box && box < strstr(svg, "<title>f251 ("));
	free(svg);
	o.inverted = false;

	o.max_depth = 0;	/* all */
	svg = render(p, &o);
	ck_assert_ptr_null(strstr(svg, "class=\"more\""));
	ck_assert_ptr_null(strstr(svg, "class=\"deep\""));
	ck_assert_double_eq_tol(svg_height(svg), 72 + 353 * FRAME_H + 30, 0.001);
	free(svg);
	o.max_depth = 352;	/* exactly deep enough */
	svg = render(p, &o);
	ck_assert_ptr_null(strstr(svg, "class=\"more\""));
	free(svg);
	o.max_depth = 351;
	svg = render(p, &o);
	ck_assert_ptr_nonnull(strstr(svg, "<title>[+1 more frame]:"));
	free(svg);
	o.max_depth = FLAMEGRAPH_MAX_DEPTH + 1;
	ck_assert_int_eq(flamegraph__write(p, &o, stderr), -EINVAL);
	free(fr);
	free(text);
	free(deep);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_flamegraph__refuses_counts_that_sum_past_int64)
{
	/* counts have at most 18 digits: 11 x 9e17 = 9.9e18 > 2^63 - 1 */
	char two[512] = "", same[512] = "";
	struct flamegraph_opts o;
	struct pb_profile *b;
	FILE *f = fopen("/dev/null", "w");

	for (int i = 0; i < 11; i++) {
		snprintf(two + strlen(two), sizeof(two) - strlen(two), "main;a%d 900000000000000000\n", i);
		strcat(same, "main;a 900000000000000000\n");
	}

	flamegraph_opts__init(&o);
	ck_assert_int_eq(flamegraph__write(folded(two, &b), &o, f), -EOVERFLOW);
	pb_profile__free(b);
	/* one stack merged from two lines: the reader refuses it */
	ck_assert_int_eq(folded_read__parse(same, strlen(same), &b, NULL), -EOVERFLOW);
	fclose(f);
}
END_TEST

START_TEST(test_flamegraph__focus_that_matches_nothing_is_an_error)
{
	struct flamegraph_opts o;
	struct pb_profile *b;
	FILE *f = fopen("/dev/null", "w");

	flamegraph_opts__init(&o);
	o.focus = "^no_such_frame$";
	ck_assert_int_eq(flamegraph__write(folded(three_stacks, &b), &o, f), -ENOMSG);
	pb_profile__free(b);
	fclose(f);
}
END_TEST

START_TEST(test_flamegraph__raises_minwidth_to_stay_under_the_output_cap)
{
	struct flamegraph_report r;
	struct flamegraph_opts o;
	struct pb_profile *b;
	char *text = NULL, *svg;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	for (int i = 0; i < 20000; i++)
		fprintf(f, "main;w%d;leaf%d %d\n", i % 50, i, 1 + i % 7);
	fclose(f);
	flamegraph_opts__init(&o);
	o.minwidth = 0;
	o.max_output = 1 << 20;
	o.report = &r;
	svg = render(folded(text, &b), &o);
	ck_assert_uint_le(strlen(svg), 1 << 20);
	ck_assert(r.minwidth_raised);
	ck_assert(r.minwidth > 0);
	ck_assert_str_eq(strstr(svg, "</svg>\n"), "</svg>\n");
	free(svg);
	/* folded output over the cap is refused */
	o.format = FLAMEGRAPH_FORMAT_FOLDED;
	o.max_output = 4096;
	f = fopen("/dev/null", "w");
	ck_assert_int_eq(flamegraph__write(pb_profile__finish(b), &o, f), -EFBIG);
	fclose(f);
	pb_profile__free(b);
	free(text);
}
END_TEST

static Suite *flamegraph_limits_suite(void)
{
	Suite *s = suite_create("flamegraph_limits");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_flamegraph__cuts_stacks_deeper_than_the_limit_with_a_visible_frame);
	tcase_add_test(tc, test_folded_read__cuts_lines_deeper_than_the_limit_with_a_visible_frame);
	tcase_add_test(tc, test_flamegraph__hides_frames_past_max_depth_behind_one_box_per_tower);
	tcase_add_test(tc, test_flamegraph__refuses_counts_that_sum_past_int64);
	tcase_add_test(tc, test_flamegraph__focus_that_matches_nothing_is_an_error);
	tcase_add_test(tc, test_flamegraph__raises_minwidth_to_stay_under_the_output_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(flamegraph_limits_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
