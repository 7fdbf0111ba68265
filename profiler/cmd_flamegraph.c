// SPDX-License-Identifier: MIT
/* `cprof flamegraph IN [-o OUT.svg]`: renders a pprof profile (gzip or raw, any
 * producer) or folded stacks as an interactive SVG flame graph, or as folded
 * text. The input kind is detected from the content, never the file name.
 * Usage errors exit 2 with a hint, runtime failures exit 1 naming the cause. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/regex_bound.h"
#include "export/flamegraph.h"
#include "export/folded_read.h"
#include "export/pprof.h"
#include "export/pb_profile.h"
#include "export/profile_read.h"
#include "export/profile_write.h"
#include "profiler/cli.h"
#include "profiler/commands.h"

/* Input, compressed or not, beyond which flamegraph refuses to read: a 2 MB
 * gzip can inflate to a gigabyte, and a drawing needs far less. */
#define FLAMEGRAPH_MAX_INPUT (256UL * 1024 * 1024)

_Static_assert(FOLDED_READ_MAX_FRAMES == FLAMEGRAPH_MAX_DEPTH,
	       "folded input and the flame graph cut stacks at the same depth");

static const char usage[] =
"usage: cprof flamegraph IN [-o OUT.svg] [options]\n"
"Draws IN, a pprof profile (gzip or raw, from cprof, Go or any producer) or\n"
"folded stacks (detected from the content; '-' reads stdin), as a\n"
"self-contained interactive SVG: hover for details, click to zoom, Ctrl+F to\n"
"search.\n"
"\n"
"  -o, --output FILE        write here (default: stdout, refused for SVG on a terminal)\n"
"      --format svg|folded  an SVG flame graph (default) or folded stacks\n"
"      --sample-type NAME   which value of a multi-type profile (default: the\n"
"                           profile's default type, e.g. cpu)\n"
"      --title TEXT         graph title\n"
"      --width PX           image width (default 1200)\n"
"      --minwidth PX|N%     leave out frames narrower than this (default 0.1 px)\n"
"      --inverted           icicle graph: stacks reversed, leaf functions on top\n"
"      --max-depth N        draw N frames above the root (default 100, 0: all);\n"
"                           a deeper tower shows a \"[+N more frames]\" box\n"
"                           that draws the rest when clicked\n"
"      --group pid|thread|none\n"
"                           root frames per process (\"name (pid)\") or thread\n"
"                           (\"comm (tid)\") from cprof's sample labels\n"
"      --focus REGEX        only samples with a frame matching REGEX (POSIX ERE)\n"
"      --diff BASE          differential graph against profile BASE: red grew,\n"
"                           blue shrank, normalised to the totals\n"
"      --max-output MIB     output cap (default 64): an SVG over it leaves out\n"
"                           its narrowest frames (--minwidth is raised, with a\n"
"                           warning); folded output over it is refused\n"
"  -h, --help               this help\n"
"\n"
"  cprof flamegraph out.pb.gz -o out.svg\n"
"  cprof flamegraph --diff before.pb.gz after.pb.gz -o change.svg\n"
"\n"
"Bounds: stacks deeper than 4096 frames are cut and end in a \"[truncated N\n"
"frames]\" frame; more than 4194304 distinct frames (1048576 names in folded\n"
"input), a pprof sample with more than 65536 locations, or input over 256 MiB\n"
"(decompressed) is refused; counts that sum past 2^63-1 are refused; a --focus\n"
"that matches nothing exits 1.\n";

/* Loads IN into *in. On failure prints the cause naming path and returns 1. */
static int load_input(struct profile_read *in, const char *path)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	const struct folded_read_stats *st = &in->folded_stats;
	char why[512];

	if (profile_read__file(in, path, FLAMEGRAPH_MAX_INPUT, why, sizeof(why))) {
		cli__err("%s", why);
		return 1;
	}
	if (st->truncated_lines)
		cli__warn("%s: %zu stack(s) deeper than %d "
			"frames (the deepest: %zu) were cut; each ends in a \"[truncated N "
			"frames]\" frame", name, st->truncated_lines, FOLDED_READ_MAX_FRAMES,
			st->deepest);
	if (st->bad_lines)
		cli__warn("%s: skipped %zu malformed "
			"line(s), the first at line %zu", name, st->bad_lines,
			st->first_bad_line);
	return 0;
}

/* Says what the bounds cut, or why nothing was written. Returns the exit
 * status: 0, or 1 for a runtime failure. */
static int report_write(const struct flamegraph_opts *o, const struct flamegraph_report *r,
			const char *out, int err)
{
	uint64_t cap_mib = (o->max_output ? o->max_output : FLAMEGRAPH_MAX_OUTPUT) >> 20;

	switch (err) {
	case 0:
		break;
	case -ENOMSG:
		cli__err("no frame matches --focus %s: nothing written",
			o->focus);
		return 1;
	case -EOVERFLOW:
		cli__err("counts overflow: the sample values sum past "
			"9223372036854775807 (2^63-1), so widths cannot be drawn; nothing written");
		return 1;
	case -E2BIG:
		cli__err("more than %lu distinct frames (the limit): "
			"narrow the input with --focus; nothing written", FLAMEGRAPH_MAX_NODES);
		return 1;
	case -EFBIG:
		cli__err("the folded output would pass the %llu MiB cap; "
			"nothing written (raise it with --max-output MIB)",
			(unsigned long long)cap_mib);
		return 1;
	default:
		cli__err("cannot write %s: %s",
			strcmp(out, "-") ? out : "stdout", strerror(-err));
		return 1;
	}
	if (r->truncated_stacks)
		cli__warn("%llu stack(s) deeper than %d frames "
			"(the deepest: %llu) were cut; each ends in a \"[truncated N frames]\" "
			"frame", (unsigned long long)r->truncated_stacks, FLAMEGRAPH_MAX_DEPTH,
			(unsigned long long)r->deepest);
	if (r->minwidth_raised)
		cli__warn("the drawing would pass the %llu MiB "
			"output cap: frames narrower than %g px were left out (--minwidth %g; "
			"raise the cap with --max-output MIB)", (unsigned long long)cap_mib,
			r->minwidth, r->minwidth);
	return 0;
}

/* Prints the sample types of p for a --sample-type error. */
static void list_types(const Perftools__Profiles__Profile *p)
{
	char buf[2048];

	pprof__type_names(p, buf, sizeof(buf));
	cli__err("available sample types: %s", buf);
}

int cmd_flamegraph(int argc, char **argv)
{
	enum { OPT_FORMAT = 256, OPT_TYPE, OPT_TITLE, OPT_WIDTH, OPT_MINWIDTH, OPT_INVERTED,
	       OPT_GROUP, OPT_FOCUS, OPT_DIFF, OPT_MAX_OUTPUT, OPT_MAX_DEPTH };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "sample-type", required_argument, NULL, OPT_TYPE },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
		{ "inverted", no_argument, NULL, OPT_INVERTED },
		{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "focus", required_argument, NULL, OPT_FOCUS },
		{ "diff", required_argument, NULL, OPT_DIFF },
		{ "max-output", required_argument, NULL, OPT_MAX_OUTPUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct profile_read in = { 0 }, base = { 0 };
	const char *out = "-", *diff = NULL, *minwidth = NULL;
	struct flamegraph_report report = { 0 };
	struct flamegraph_opts opts;
	char *end, rebuf[256];
	regex_t re;
	int c, rc, err;
	double d;
	unsigned long w;

	cli__set_command("flamegraph");
	flamegraph_opts__init(&opts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "svg"))
				opts.format = FLAMEGRAPH_FORMAT_SVG;
			else if (!strcmp(optarg, "folded"))
				opts.format = FLAMEGRAPH_FORMAT_FOLDED;
			else
				return cli__usage_error("unknown format '%s' (svg or folded)", optarg);
			break;
		case OPT_TYPE:
			opts.sample_type = optarg;
			break;
		case OPT_TITLE:
			opts.title = optarg;
			break;
		case OPT_WIDTH:
			if (cli__parse_ulong(optarg, 200, 100000, &w))
				return cli__usage_error("--width must be 200..100000 px, not '%s'", optarg);
			opts.width = (unsigned int)w;
			break;
		case OPT_MINWIDTH:
			minwidth = optarg;
			break;
		case OPT_INVERTED:
			opts.inverted = true;
			break;
		case OPT_MAX_DEPTH:
			if (cli__parse_ulong(optarg, 0, FLAMEGRAPH_MAX_DEPTH, &w))
				return cli__usage_error("--max-depth must be 0..%d frames (0: all), "
							"not '%s'", FLAMEGRAPH_MAX_DEPTH, optarg);
			opts.max_depth = (unsigned int)w;
			break;
		case OPT_GROUP:
			if (!strcmp(optarg, "pid"))
				opts.group = FLAMEGRAPH_GROUP_PID;
			else if (!strcmp(optarg, "thread"))
				opts.group = FLAMEGRAPH_GROUP_THREAD;
			else if (!strcmp(optarg, "none"))
				opts.group = FLAMEGRAPH_GROUP_NONE;
			else
				return cli__usage_error("unknown group '%s' (pid, thread or none)", optarg);
			break;
		case OPT_FOCUS:
			err = regex_bound__compile(&re, optarg, REG_EXTENDED | REG_NOSUB, rebuf,
						   sizeof(rebuf));
			if (err) {
				cli__err("bad --focus regex '%s': %s",
					optarg, rebuf);
				return cli__usage_error("%s", "--focus takes a POSIX extended regex");
			}
			regfree(&re);
			opts.focus = optarg;
			break;
		case OPT_DIFF:
			diff = optarg;
			break;
		case OPT_MAX_OUTPUT:
			if (cli__parse_ulong(optarg, 1, 1048576, &w))
				return cli__usage_error("--max-output must be 1..1048576 MiB, not '%s'",
						   optarg);
			opts.max_output = (uint64_t)w << 20;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return cli__usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return cli__usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (minwidth) {
		errno = 0;
		d = strtod(minwidth, &end);
		if (errno || end == minwidth || (*end && strcmp(end, "%")) || !isfinite(d) ||
		    d < 0 || (*end == '%' && d > 100))
			return cli__usage_error("--minwidth must be px (0.1) or a percentage (0.5%%), "
					   "not '%s'", minwidth);
		opts.minwidth = *end == '%' ? d / 100 * (opts.width - 20) : d;
	}
	if (optind >= argc)
		return cli__usage_error("%s", "missing input: give a pprof or folded file, or '-'");
	if (optind + 1 < argc)
		return cli__usage_error("unexpected argument '%s' (one input; write with -o)",
				   argv[optind + 1]);
	if (opts.format == FLAMEGRAPH_FORMAT_SVG && !strcmp(out, "-") && isatty(STDOUT_FILENO))
		return cli__usage_error("%s", "not writing SVG to a terminal: give -o OUT.svg");
	if (diff && !strcmp(diff, "-") && !strcmp(argv[optind], "-"))
		return cli__usage_error("%s", "IN and --diff BASE cannot both be stdin");

	rc = load_input(&in, argv[optind]);
	if (rc)
		goto out;
	if (opts.sample_type && pprof__sample_index(in.p, opts.sample_type) < 0) {
		cli__usage_error("no sample type '%s' in the input", opts.sample_type);
		list_types(in.p);
		rc = 2;
		goto out;
	}
	if (diff) {
		rc = load_input(&base, diff);
		if (rc)
			goto out;
		opts.diff_base = base.p;
		opts.diff_base_name = diff;
	}
	opts.report = &report;
	err = profile_write__file(out, in.p, &(struct profile_write_opts){
		.format = PROFILE_FORMAT_SVG, .flamegraph = &opts });
	rc = report_write(&opts, &report, out, err);
out:
	profile_read__release(&base);
	profile_read__release(&in);
	return rc;
}
