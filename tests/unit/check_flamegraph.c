// SPDX-License-Identifier: MIT
/* Tests for export/flamegraph and export/folded_read: the SVG is well-formed
 * XML, geometry matches the values (root spans the chart, children inside
 * parents, widths proportional), names are escaped, diff colours follow the
 * change, and a real Go runtime CPU profile renders. SVGs are left in
 * $OUT/test-output/ for inspection. The bounds on hostile or huge inputs are
 * in check_flamegraph_limits. */
#include "tests/flamegraph_util.h"

START_TEST(test_flamegraph__writes_well_formed_xml)
{
	struct pb_profile *b;
	struct flamegraph_opts o;
	char *svg;

	flamegraph_opts__init(&o);
	o.title = "t<i>tle & \"more\"";
	o.focus = "main";
	svg = render(folded(three_stacks, &b), &o);
	ck_assert_int_eq(xmllint(svg, "fg_wellformed.svg"), 0);
	ck_assert_ptr_nonnull(strstr(svg, "t&lt;i&gt;tle &amp; &quot;more&quot;"));
	ck_assert_ptr_nonnull(strstr(svg, "<script"));
	for (const char *h = strstr(svg, "http"); h; h = strstr(h + 1, "http"))
		ck_assert_msg(!strncmp(h, "http://www.w3.org/", 18), "reference to %.40s", h);
	free(svg);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_flamegraph__root_spans_the_chart_and_children_stay_within_parents)
{
	struct frame_rec fr[64];
	struct pb_profile *b;
	struct flamegraph_opts o;
	size_t n, i, stack[64];
	double root_y;
	char *svg;

	flamegraph_opts__init(&o);
	svg = render(folded(three_stacks, &b), &o);
	n = parse_frames(svg, fr, 64);
	ck_assert_uint_eq(n, 9);	/* all main a hot_a b hot_b c d e */
	ck_assert_str_eq(fr[0].name, "all");
	ck_assert_double_eq_tol(fr[0].x, 10.0, 0.001);
	ck_assert_double_eq_tol(fr[0].w, CHART_W, 0.001);
	ck_assert_double_eq_tol(find(fr, n, "main")->w, CHART_W, 0.011);
	root_y = fr[0].y;
	stack[0] = 0;
	for (i = 1; i < n; i++) {
		size_t depth = (size_t)((root_y - fr[i].y) / FRAME_H + 0.5);
		const struct frame_rec *p;

		ck_assert_uint_ge(depth, 1);
		p = &fr[stack[depth - 1]];
		ck_assert_msg(fr[i].x >= p->x - 0.011 && fr[i].x + fr[i].w <= p->x + p->w + 0.011,
			      "%s [%f, %f] outside parent %s [%f, %f]", fr[i].name, fr[i].x,
			      fr[i].x + fr[i].w, p->name, p->x, p->x + p->w);
		ck_assert_int_le(fr[i].v, p->v);
		stack[depth] = i;
	}
	free(svg);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_flamegraph__widths_are_proportional_to_values)
{
	struct frame_rec fr[64];
	struct pb_profile *b;
	struct flamegraph_opts o;
	size_t n;
	char *svg;

	flamegraph_opts__init(&o);
	svg = render(folded(three_stacks, &b), &o);
	n = parse_frames(svg, fr, 64);
	for (size_t i = 0; i < n; i++)
		ck_assert_double_eq_tol(fr[i].w, fr[i].v * CHART_W / 100.0, 0.006);
	ck_assert_int_eq(find(fr, n, "hot_a")->v, 60);
	ck_assert_int_eq(find(fr, n, "b")->v, 37);
	/* hot_a's left edge follows a (sorted first) and b starts where a ends */
	ck_assert_double_eq_tol(find(fr, n, "b")->x, 10 + 0.60 * CHART_W, 0.006);
	ck_assert_ptr_nonnull(strstr(find(fr, n, "hot_a")->title, "60.00%"));
	free(svg);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_flamegraph__escapes_markup_and_replaces_invalid_utf8)
{
	/* Hand-built, so the raw bytes reach the renderer unsanitized. */
	char *strings[] = { "", "samples", "count", "a<b>&\"q'\xff\xc3\xa9\x01z\xed\xa0\x80" };
	Perftools__Profiles__ValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT, *vts[] = { &vt };
	Perftools__Profiles__Function fn = PERFTOOLS__PROFILES__FUNCTION__INIT, *fns[] = { &fn };
	Perftools__Profiles__Line line = PERFTOOLS__PROFILES__LINE__INIT, *lines[] = { &line };
	Perftools__Profiles__Location loc = PERFTOOLS__PROFILES__LOCATION__INIT, *locs[] = { &loc };
	Perftools__Profiles__Sample s = PERFTOOLS__PROFILES__SAMPLE__INIT, *ss[] = { &s };
	Perftools__Profiles__Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	uint64_t loc_ids[] = { 1 };
	int64_t values[] = { 5 };
	struct flamegraph_opts o;
	char *svg;

	vt.type = 1;
	vt.unit = 2;
	fn.id = 1;
	fn.name = 3;
	line.function_id = 1;
	loc.id = 1;
	loc.n_line = 1;
	loc.line = lines;
	s.n_location_id = 1;
	s.location_id = loc_ids;
	s.n_value = 1;
	s.value = values;
	p.n_sample_type = 1;
	p.sample_type = vts;
	p.n_sample = 1;
	p.sample = ss;
	p.n_location = 1;
	p.location = locs;
	p.n_function = 1;
	p.function = fns;
	p.n_string_table = 4;
	p.string_table = strings;
	flamegraph_opts__init(&o);
	svg = render(&p, &o);
	ck_assert_ptr_nonnull(strstr(svg, "<title>a&lt;b&gt;&amp;&quot;q&apos;&#xfffd;&#xe9;"
					  "&#xfffd;z&#xfffd;&#xfffd;&#xfffd; (5 samples"));
	for (const unsigned char *c = (const unsigned char *)svg; *c; c++)
		ck_assert_msg(*c < 0x80 && (*c >= 0x20 || *c == '\n'), "raw byte 0x%02x", *c);
	ck_assert_int_eq(xmllint(svg, "fg_escaping.svg"), 0);
	free(svg);
}
END_TEST

START_TEST(test_flamegraph__diff_colours_growth_red_and_shrinkage_blue)
{
	struct pb_profile *bb, *bn;
	const Perftools__Profiles__Profile *base, *now;
	struct frame_rec fr[16];
	const struct frame_rec *grew, *shrank, *same;
	struct flamegraph_opts o;
	char *svg, *folded_out;
	size_t n;

	/* Base total 20, new total 80: normalised, b went 25% -> 62.5% and c
	 * 50% -> 12.5%; s keeps its 25%, unchanged (the 4x is only volume). */
	base = folded("a;b 5\na;c 10\na;s 5\n", &bb);
	now = folded("a;b 50\na;c 10\na;s 20\n", &bn);
	flamegraph_opts__init(&o);
	o.diff_base = base;
	o.diff_base_name = "base.folded";
	svg = render(now, &o);
	ck_assert_int_eq(xmllint(svg, "fg_diff.svg"), 0);
	n = parse_frames(svg, fr, 16);
	grew = find(fr, n, "b");
	shrank = find(fr, n, "c");
	same = find(fr, n, "s");
	ck_assert_ptr_nonnull(grew);
	ck_assert_ptr_nonnull(shrank);
	ck_assert_ptr_nonnull(same);
	ck_assert_int_eq(grew->r, 255);
	ck_assert_int_lt(grew->g, 100);		/* the biggest change: deep red */
	ck_assert_int_eq(grew->b, grew->g);
	ck_assert_int_eq(shrank->b, 255);
	ck_assert_int_eq(shrank->r, grew->g);	/* as big a change the other way */
	ck_assert_int_eq(same->r, 255);
	ck_assert_int_eq(same->g, 255);
	ck_assert_int_eq(same->b, 255);
	ck_assert_double_eq_tol(grew->w, 0.625 * CHART_W, 0.006);	/* widths: the new profile */
	ck_assert_ptr_nonnull(strstr(grew->title, "base 25.00%; +37.50%"));
	ck_assert_ptr_nonnull(strstr(shrank->title, "base 50.00%; -37.50%"));
	free(svg);

	o.format = FLAMEGRAPH_FORMAT_FOLDED;
	folded_out = render(now, &o);
	ck_assert_str_eq(folded_out, "a;b 20 50\na;c 40 10\na;s 20 20\n");
	free(folded_out);
	pb_profile__free(bb);
	pb_profile__free(bn);
}
END_TEST

START_TEST(test_flamegraph__renders_a_go_runtime_cpu_profile)
{
	Perftools__Profiles__Profile *p = NULL;
	struct frame_rec fr[256];
	const struct frame_rec *a, *b;
	struct flamegraph_opts o;
	char *path = NULL, *svg;
	size_t n;

	ck_assert_int_gt(asprintf(&path, "%s/fixtures/fg_go.pb.gz", out_dir()), 0);
	ck_assert_msg(access(path, R_OK) == 0, "%s missing: run make tests", path);
	ck_assert_int_eq(profile_read__pprof_file(path, &p), 0);
	flamegraph_opts__init(&o);
	svg = render(p, &o);
	ck_assert_int_eq(xmllint(svg, "fg_go.svg"), 0);
	ck_assert_ptr_nonnull(strstr(svg, "cpu (nanoseconds)"));	/* the default type */
	n = parse_frames(svg, fr, 256);
	a = find(fr, n, "main.hotA");
	b = find(fr, n, "main.hotB");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(find(fr, n, "main.main"));
	ck_assert_int_gt(a->v, b->v);	/* 600 ms against 200 ms of spinning */
	ck_assert_int_ge(a->v + b->v, 400000000);
	free(svg);

	o.sample_type = "samples";
	svg = render(p, &o);
	ck_assert_ptr_nonnull(strstr(svg, "samples (count)"));
	n = parse_frames(svg, fr, 256);
	ck_assert_int_lt(fr[0].v, 1000);	/* a count, not nanoseconds */
	free(svg);

	o.sample_type = "no_such_type";
	ck_assert_int_eq(flamegraph__write(p, &o, stderr), -ENOENT);
	pprof__free(p);
	free(path);
}
END_TEST

START_TEST(test_flamegraph__leaves_out_frames_narrower_than_minwidth)
{
	struct frame_rec *fr = calloc(4096, sizeof(*fr));	/* too big for the stack */
	struct pb_profile *b;
	struct flamegraph_opts o;
	char *text = NULL, *svg;
	size_t len = 0, n, n_all;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fr);
	/* One wide stack and 2000 unique one-sample stacks (0.05 px each). */
	fprintf(f, "main;wide 20000\n");
	for (int i = 0; i < 2000; i++)
		fprintf(f, "main;tiny_%d;leaf 1\n", i);
	fclose(f);
	flamegraph_opts__init(&o);
	o.minwidth = 0;
	svg = render(folded(text, &b), &o);
	n_all = parse_frames(svg, fr, 4096);
	free(svg);
	o.minwidth = 0.1;
	svg = render(pb_profile__finish(b), &o);
	n = parse_frames(svg, fr, 4096);
	ck_assert_uint_eq(n_all, 3 + 2 * 2000);
	ck_assert_uint_eq(n, 3);				/* all, main, wide */
	ck_assert_double_eq_tol(find(fr, n, "main")->w, CHART_W, 0.011);	/* room kept */
	ck_assert_ptr_null(strstr(svg, "tiny_"));
	free(svg);
	free(text);
	free(fr);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_flamegraph__inverted_puts_leaves_on_the_top_row)
{
	struct pb_profile *b;
	struct frame_rec fr[64];
	struct flamegraph_opts o;
	size_t n;
	char *svg;

	flamegraph_opts__init(&o);
	o.inverted = true;
	svg = render(folded("main;a;leaf 3\nmain;b;leaf 1\nmain;b 4\n", &b), &o);
	ck_assert_ptr_nonnull(strstr(svg, "Icicle Graph"));
	n = parse_frames(svg, fr, 64);
	ck_assert_str_eq(fr[0].name, "all");
	/* Row below the root: the leaves (merged), then their callers. */
	for (size_t i = 1; i < n; i++)
		ck_assert_double_gt(fr[i].y, fr[0].y);
	ck_assert_double_eq_tol(find(fr, n, "leaf")->y, fr[0].y + FRAME_H, 0.01);
	ck_assert_int_eq(find(fr, n, "leaf")->v, 4);
	ck_assert_double_eq_tol(find(fr, n, "b")->y, fr[0].y + FRAME_H, 0.01);	/* self 4 */
	free(svg);
	o.format = FLAMEGRAPH_FORMAT_FOLDED;
	svg = render(pb_profile__finish(b), &o);
	ck_assert_str_eq(svg, "b;main 4\nleaf;a;main 3\nleaf;b;main 1\n");
	free(svg);
	pb_profile__free(b);
}
END_TEST

static struct pb_profile *labelled_profile(void)
{
	static const struct pb_value_type vt[] = { { "samples", "count" }, { "cpu", "nanoseconds" } };
	struct pb_profile_opts po = { .sample_types = vt, .n_sample_types = 2 };
	struct pb_profile *b = pb_profile__new(&po);
	struct pb_line work = { .name = "work" }, sys = { .name = "do_syscall_64" };
	struct pb_label l1[] = { { "pid", NULL, 100, "" }, { "tid", NULL, 101, "" },
				 { "comm", "worker-1", 0, NULL }, { "process", "server", 0, NULL } };
	struct pb_label l2[] = { { "pid", NULL, 100, "" }, { "tid", NULL, 102, "" },
				 { "comm", "worker-2", 0, NULL }, { "process", "server", 0, NULL } };
	uint64_t kmap, umap, loc[3];
	int64_t v1[] = { 3, 30 }, v2[] = { 1, 10 };

	ck_assert_ptr_nonnull(b);
	kmap = pb_profile__add_mapping(b, 0xffffffff81000000ULL, 0xffffffff82000000ULL, 0,
				       "[kernel.kallsyms]", NULL);
	umap = pb_profile__add_mapping(b, 0x400000, 0x500000, 0, "/usr/bin/server", "abcd");
	loc[0] = pb_profile__add_location(b, kmap, 0xffffffff81001000ULL, &sys, 1);
	loc[1] = pb_profile__add_location(b, umap, 0x401000, &work, 1);
	loc[2] = pb_profile__add_location(b, umap, 0x402345, NULL, 0);
	ck_assert_int_eq(pb_profile__add_sample(b, loc, 3, v1, l1, 4), 0);
	ck_assert_int_eq(pb_profile__add_sample(b, loc + 1, 2, v2, l2, 4), 0);
	return b;
}

START_TEST(test_flamegraph__groups_roots_by_process_or_thread)
{
	struct pb_profile *b = labelled_profile();
	const Perftools__Profiles__Profile *p = pb_profile__finish(b);
	struct flamegraph_opts o;
	char *out;

	flamegraph_opts__init(&o);
	o.format = FLAMEGRAPH_FORMAT_FOLDED;
	out = render(p, &o);
	ck_assert_str_eq(out, "server+0x2345;work 10\nserver+0x2345;work;do_syscall_64 30\n");
	free(out);
	o.group = FLAMEGRAPH_GROUP_PID;
	out = render(p, &o);
	ck_assert_str_eq(out, "server (100);server+0x2345;work 10\n"
			      "server (100);server+0x2345;work;do_syscall_64 30\n");
	free(out);
	o.group = FLAMEGRAPH_GROUP_THREAD;
	o.sample_type = "samples";
	out = render(p, &o);
	ck_assert_str_eq(out, "worker-1 (101);server+0x2345;work;do_syscall_64 3\n"
			      "worker-2 (102);server+0x2345;work 1\n");
	free(out);
	o.inverted = true;
	out = render(p, &o);
	ck_assert_str_eq(out, "do_syscall_64;work;server+0x2345;worker-1 (101) 3\n"
			      "work;server+0x2345;worker-2 (102) 1\n");
	free(out);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_flamegraph__colours_kernel_frames_apart_from_user_frames)
{
	struct pb_profile *b = labelled_profile();
	struct frame_rec fr[16];
	struct flamegraph_opts o;
	size_t n;
	char *svg;

	ck_assert_int_eq(flamegraph__frame_kind("[kernel.kallsyms]", "x"), FLAMEGRAPH_KIND_KERNEL);
	ck_assert_int_eq(flamegraph__frame_kind("[nf_tables]", "x"), FLAMEGRAPH_KIND_KERNEL);
	ck_assert_int_eq(flamegraph__frame_kind("[vdso]", "x"), FLAMEGRAPH_KIND_USER);
	ck_assert_int_eq(flamegraph__frame_kind("[jit]", "x"), FLAMEGRAPH_KIND_JIT);
	/* a Python function's mapping is bracketed, yet no kernel module */
	ck_assert_int_eq(flamegraph__frame_kind("[python3.11]", "Worker.alpha"),
			 FLAMEGRAPH_KIND_PYTHON);
	ck_assert_int_eq(flamegraph__frame_kind("/tmp/perf-42.map", "x"), FLAMEGRAPH_KIND_JIT);
	ck_assert_int_eq(flamegraph__frame_kind("/bin/x", NULL), FLAMEGRAPH_KIND_UNKNOWN);
	ck_assert_int_eq(flamegraph__frame_kind(NULL, "[user stack missing]"),
			 FLAMEGRAPH_KIND_UNKNOWN);
	ck_assert_int_eq(flamegraph__frame_kind("/bin/x", "main"), FLAMEGRAPH_KIND_USER);
	flamegraph_opts__init(&o);
	svg = render(pb_profile__finish(b), &o);
	n = parse_frames(svg, fr, 16);
	/* user frames are warm (red > blue), kernel cool (blue > red), unknown grey */
	ck_assert_int_gt(find(fr, n, "work")->r, find(fr, n, "work")->b);
	ck_assert_int_gt(find(fr, n, "do_syscall_64")->b, find(fr, n, "do_syscall_64")->r);
	ck_assert_int_eq(find(fr, n, "server+0x2345")->r, find(fr, n, "server+0x2345")->b);
	ck_assert_ptr_nonnull(strstr(svg, ">kernel</text>"));	/* legend */
	free(svg);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_flamegraph__focus_keeps_only_stacks_with_a_matching_frame)
{
	struct pb_profile *b;
	struct flamegraph_opts o;
	char *out;

	flamegraph_opts__init(&o);
	o.format = FLAMEGRAPH_FORMAT_FOLDED;
	o.focus = "^hot_";
	out = render(folded(three_stacks, &b), &o);
	ck_assert_str_eq(out, "main;a;hot_a 60\nmain;b;hot_b 30\n");
	free(out);
	o.focus = "([";
	ck_assert_int_eq(flamegraph__write(pb_profile__finish(b), &o, stderr), -EINVAL);
	pb_profile__free(b);
}
END_TEST

START_TEST(test_folded_read__parses_counts_and_skips_malformed_lines)
{
	static const char text[] =
		"# comment\n"
		"main;work 10\r\n"
		"\n"
		"main;work 5\n"			/* merged with the first */
		"no count here\n"
		"main;;k_[k];0x1234;libc.so.6+0xabc 2\n"
		"zero 0\n"
		"main;-1x -1\n";
	struct folded_read_stats st;
	struct pb_profile *b;
	struct flamegraph_opts o;
	char *out;

	ck_assert(folded_read__looks_like((const uint8_t *)text, sizeof(text) - 1));
	ck_assert(!folded_read__looks_like((const uint8_t *)"\x0a\x04\x08\x01", 4));
	ck_assert(!folded_read__looks_like((const uint8_t *)"just words\n", 11));
	ck_assert_int_eq(folded_read__parse(text, sizeof(text) - 1, &b, &st), 0);
	ck_assert_uint_eq(st.lines, 6);
	ck_assert_uint_eq(st.samples, 3);
	ck_assert_uint_eq(st.bad_lines, 2);
	ck_assert_uint_eq(st.first_bad_line, 5);
	flamegraph_opts__init(&o);
	o.format = FLAMEGRAPH_FORMAT_FOLDED;
	out = render(pb_profile__finish(b), &o);
	ck_assert_str_eq(out, "main;k;0x1234;libc.so.6+0xabc 2\nmain;work 15\n");
	free(out);
	pb_profile__free(b);
	ck_assert_int_eq(folded_read__parse("nothing\n", 8, &b, NULL), -ENODATA);
}
END_TEST

/* The output writer's options for a flame graph drawn with o. */
static const struct profile_write_opts *svg_opts(const struct flamegraph_opts *o)
{
	static struct profile_write_opts wo;

	wo = (struct profile_write_opts){ .format = PROFILE_FORMAT_SVG, .flamegraph = o };
	return &wo;
}

START_TEST(test_flamegraph__write_file_leaves_nothing_on_failure)
{
	struct pb_profile *b;
	struct flamegraph_opts o;
	char *path = test_output_path("fg_atomic.svg"), *bad = NULL;
	struct stat stt;

	flamegraph_opts__init(&o);
	unlink(path);
	ck_assert_int_eq(profile_write__file(path, folded(three_stacks, &b), svg_opts(&o)), 0);
	ck_assert_int_eq(stat(path, &stt), 0);
	ck_assert_int_gt(stt.st_size, 1000);
	o.width = 5;	/* invalid: the old file stays, no temporary is left */
	ck_assert_int_eq(profile_write__file(path, pb_profile__finish(b), svg_opts(&o)), -EINVAL);
	ck_assert_int_eq(stat(path, &stt), 0);
	ck_assert_int_gt(stt.st_size, 1000);
	ck_assert_int_gt(asprintf(&bad, "%s/no/such/dir/x.svg", out_dir()), 0);
	ck_assert_int_lt(profile_write__file(bad, pb_profile__finish(b), svg_opts(&o)), 0);
	free(bad);
	free(path);
	pb_profile__free(b);
}
END_TEST

static Suite *flamegraph_suite(void)
{
	Suite *s = suite_create("flamegraph");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_flamegraph__writes_well_formed_xml);
	tcase_add_test(tc, test_flamegraph__root_spans_the_chart_and_children_stay_within_parents);
	tcase_add_test(tc, test_flamegraph__widths_are_proportional_to_values);
	tcase_add_test(tc, test_flamegraph__escapes_markup_and_replaces_invalid_utf8);
	tcase_add_test(tc, test_flamegraph__diff_colours_growth_red_and_shrinkage_blue);
	tcase_add_test(tc, test_flamegraph__renders_a_go_runtime_cpu_profile);
	tcase_add_test(tc, test_flamegraph__leaves_out_frames_narrower_than_minwidth);
	tcase_add_test(tc, test_flamegraph__inverted_puts_leaves_on_the_top_row);
	tcase_add_test(tc, test_flamegraph__groups_roots_by_process_or_thread);
	tcase_add_test(tc, test_flamegraph__colours_kernel_frames_apart_from_user_frames);
	tcase_add_test(tc, test_flamegraph__focus_keeps_only_stacks_with_a_matching_frame);
	tcase_add_test(tc, test_folded_read__parses_counts_and_skips_malformed_lines);
	tcase_add_test(tc, test_flamegraph__write_file_leaves_nothing_on_failure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(flamegraph_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
