// SPDX-License-Identifier: MIT
/* `cprof report IN` (alias `cprof top`): a text report of a pprof profile
 * (gzip or raw, any producer) or folded stacks, for people without a Go
 * toolchain: the top functions as `go tool pprof -top` prints them, the
 * traces as -traces does, or totals per process or thread. Usage errors exit
 * 2 with a hint, runtime failures exit 1 naming the cause. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/regex_bound.h"
#include "export/flamegraph_limits.h"
#include "export/pprof.h"
#include "export/profile_read.h"
#include "export/report.h"
#include "profiler/cli.h"
#include "profiler/commands.h"

/* Input, compressed or not, beyond which report refuses to read (as
 * flamegraph does). */
#define REPORT_MAX_INPUT (256UL * 1024 * 1024)

static const char usage[] =
"usage: cprof report IN [options]      (also: cprof top IN)\n"
"Prints a text report of IN, a pprof profile (gzip or raw, from cprof, Go or\n"
"any producer) or folded stacks ('-' reads stdin). The default is the top\n"
"functions, as `go tool pprof -top` prints them: flat (samples in the\n"
"function itself), cum (in it and what it calls), their shares of the total\n"
"and the running sum. Inlined functions are marked \"(inline)\".\n"
"\n"
"      --traces             every stack with its value and labels (like -traces)\n"
"      --processes          totals per process (cprof's pid and process labels)\n"
"      --threads            totals per thread (pid, tid and comm labels)\n"
"      --sample-index NAME|N\n"
"                           which value of a multi-type profile, by type name\n"
"                           or index (default: the profile's default type,\n"
"                           else the last, as go tool pprof picks)\n"
"      --focus REGEX        only samples with a frame (function, file or mapping)\n"
"                           matching REGEX (POSIX ERE); shares stay of the total\n"
"      --ignore REGEX       leave out samples with a frame matching REGEX\n"
"      --nodecount N        at most N functions (default: all above the cutoff)\n"
"      --nodefraction F     leave out functions whose cum is under F of the\n"
"                           total (default 0.005, as go tool pprof)\n"
"      --cum                sort by cum instead of flat\n"
"  -h, --help               this help\n"
"\n"
"  cprof report out.pb.gz\n"
"  cprof top --cum --nodecount 20 out.pb.gz\n"
"  cprof report --threads --focus '^compress' out.pb.gz\n"
"\n"
"Bounds: input over 256 MiB (decompressed), a pprof sample with more than\n"
"65536 locations, more than 4194304 functions or 268435456 frames in all is\n"
"refused; a --focus or --ignore that leaves no sample exits 1.\n";

/* Says why the report failed; returns the exit status. */
static int report_error(const struct report_opts *o, const Perftools__Profiles__Profile *p,
			int err)
{
	char types[2048];

	switch (err) {
	case -ENOENT:
		cli__usage_error("no sample type '%s' in the input", o->sample_index);
		pprof__type_names(p, types, sizeof(types));
		cli__err("available sample types: %s (or their index, 0..%zu)", types,
			 p->n_sample_type - 1);
		return 2;
	case -ENOMSG:
		cli__err("no sample matches%s%s%s%s: nothing to report",
			 o->focus ? " --focus " : "", o->focus ? o->focus : "",
			 o->ignore ? " without --ignore " : "", o->ignore ? o->ignore : "");
		return 1;
	case -EINVAL:
		cli__err("the input has no sample types: nothing to report");
		return 1;
	case -EOVERFLOW:
		cli__err("counts overflow: the sample values sum past 9223372036854775807 "
			 "(2^63-1)");
		return 1;
	case -E2BIG:
		cli__err("more than %lu functions or %lu frames in all (the limits): narrow "
			 "the input with --focus", FLAMEGRAPH_MAX_NODES, 268435456UL);
		return 1;
	default:
		cli__err("cannot write the report: %s", strerror(-err));
		return 1;
	}
}

/* A POSIX ERE for --focus or --ignore, checked here so a bad one is a usage
 * error: 0 or the exit status. */
static int check_regex(const char *opt, const char *re_text)
{
	char why[256];
	regex_t re;

	if (regex_bound__compile(&re, re_text, REG_EXTENDED | REG_NOSUB, why, sizeof(why))) {
		cli__err("bad %s regex '%s': %s", opt, re_text, why);
		return cli__usage_error("%s takes a POSIX extended regex", opt);
	}
	regfree(&re);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	enum { OPT_TRACES = 256, OPT_PROCESSES, OPT_THREADS, OPT_INDEX, OPT_FOCUS, OPT_IGNORE,
	       OPT_NODECOUNT, OPT_NODEFRACTION, OPT_CUM };
	static const struct option longopts[] = {
		{ "traces", no_argument, NULL, OPT_TRACES },
		{ "processes", no_argument, NULL, OPT_PROCESSES },
		{ "threads", no_argument, NULL, OPT_THREADS },
		{ "sample-index", required_argument, NULL, OPT_INDEX },
		{ "sample-type", required_argument, NULL, OPT_INDEX },
		{ "focus", required_argument, NULL, OPT_FOCUS },
		{ "ignore", required_argument, NULL, OPT_IGNORE },
		{ "nodecount", required_argument, NULL, OPT_NODECOUNT },
		{ "nodefraction", required_argument, NULL, OPT_NODEFRACTION },
		{ "cum", no_argument, NULL, OPT_CUM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct profile_read in = { 0 };
	struct report_opts opts;
	int c, rc, kinds = 0;
	unsigned long n;
	char why[512], *end;
	double d;

	cli__set_command(strcmp(argv[0], "top") ? "report" : "top");
	report_opts__init(&opts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TRACES:
		case OPT_PROCESSES:
		case OPT_THREADS:
			opts.kind = c == OPT_TRACES ? REPORT_TRACES :
				    c == OPT_PROCESSES ? REPORT_PROCESSES : REPORT_THREADS;
			kinds++;
			break;
		case OPT_INDEX:
			opts.sample_index = optarg;
			break;
		case OPT_FOCUS:
		case OPT_IGNORE:
			rc = check_regex(c == OPT_FOCUS ? "--focus" : "--ignore", optarg);
			if (rc)
				return rc;
			*(c == OPT_FOCUS ? &opts.focus : &opts.ignore) = optarg;
			break;
		case OPT_NODECOUNT:
			if (cli__parse_ulong(optarg, 1, 100000000, &n))
				return cli__usage_error("--nodecount must be 1..100000000, not '%s'",
							optarg);
			opts.nodecount = n;
			break;
		case OPT_NODEFRACTION:
			errno = 0;
			d = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(d) || d < 0 || d > 1)
				return cli__usage_error("--nodefraction must be 0..1 (0.005 = 0.5%%), "
							"not '%s'", optarg);
			opts.nodefraction = d;
			break;
		case OPT_CUM:
			opts.cum = true;
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
	if (kinds > 1)
		return cli__usage_error("%s", "--traces, --processes and --threads are "
					"different reports: give one");
	if (optind >= argc)
		return cli__usage_error("%s", "missing input: give a pprof or folded file, or '-'");
	if (optind + 1 < argc)
		return cli__usage_error("unexpected argument '%s' (one input)", argv[optind + 1]);
	if (profile_read__file(&in, argv[optind], REPORT_MAX_INPUT, why, sizeof(why))) {
		cli__err("%s", why);
		return 1;
	}
	rc = report__write(in.p, &opts, stdout);
	if (rc)
		rc = report_error(&opts, in.p, rc);
	profile_read__release(&in);
	return rc;
}
