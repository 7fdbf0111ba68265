// SPDX-License-Identifier: MIT
/* `cprof [record] [options] [-- CMD ARGS...]`: option parsing and validation
 * only; the session itself is record.c. Usage errors exit 2 with a hint. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/commands.h"
#include "profiler/record.h"

static const char usage[] =
"usage: cprof [record] (--pid PID... | -a | -- CMD [ARGS...]) [options]\n"
"       cprof flamegraph IN [-o OUT.svg] [options]   (cprof flamegraph --help)\n"
"\n"
"Samples stacks with eBPF and writes a pprof profile (go tool pprof reads it).\n"
"\n"
"targets (at least one):\n"
"  -p, --pid PID          profile this process and all its threads (repeatable,\n"
"                         or a comma-separated list)\n"
"  -a, --all              profile the whole machine\n"
"  -- CMD [ARGS...]       start CMD, profile it and its children until it exits;\n"
"                         cprof then exits with CMD's status\n"
"options:\n"
"  -F, --frequency HZ     samples per second per CPU, 1..10000 (default 99)\n"
"  -e, --event EVENT      cpu-clock (default) or cycles (hardware, where available)\n"
"  -d, --duration SECS    stop after SECS seconds (default: Ctrl-C, SIGTERM, or\n"
"                         when every target has exited)\n"
"  -o, --output FILE      where to write (default cprof.pb.gz; - for stdout);\n"
"                         a name ending in .svg writes a flame graph\n"
"  -f, --format FMT       pprof (gzip, default), folded (flamegraph.pl input:\n"
"                         comm;root;...;leaf COUNT) or svg\n"
"      --flamegraph FILE  also write a flame graph SVG to FILE\n"
"      --idle             keep the idle task (pid 0)\n"
"      --max-stacks N     entries per stack and count map (default 16384)\n"
"  -q, --quiet            no summary on stderr\n"
"  -v, --verbose          libbpf's messages on stderr\n"
"  -h, --help             this text\n"
"  -V, --version          print the version\n"
"\n"
"Needs root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF\n"
"(/sys/kernel/btf/vmlinux). Read the result: go tool pprof -top cprof.pb.gz\n";

#define MAX_PIDS 1024

enum { OPT_FLAMEGRAPH = 256, OPT_IDLE, OPT_MAX_STACKS };

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cprof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'cprof --help' for more information.\n");
	return 2;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int add_pids(const char *arg, pid_t *pids, size_t *nr)
{
	char buf[4096], *tok, *save;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v;

		if (parse_uint(tok, 1, INT_MAX, &v) || *nr >= MAX_PIDS)
			return -EINVAL;
		pids[(*nr)++] = (pid_t)v;
	}
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "frequency", required_argument, NULL, 'F' },
		{ "event", required_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "flamegraph", required_argument, NULL, OPT_FLAMEGRAPH },
		{ "idle", no_argument, NULL, OPT_IDLE },
		{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static pid_t pids[MAX_PIDS];
	struct record_opts o = { .freq = 99, .output = NULL, .format = RECORD_PPROF };
	bool format_set = false;
	unsigned long v;
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:aF:e:d:o:f:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (add_pids(optarg, pids, &o.nr_pids))
				return usage_error("invalid pid list '%s'", optarg);
			break;
		case 'a':
			o.all = true;
			break;
		case 'F':
			if (parse_uint(optarg, 1, 10000, &v))
				return usage_error("frequency must be 1..10000 Hz, not '%s'", optarg);
			o.freq = v;
			break;
		case 'e':
			if (!strcmp(optarg, "cycles"))
				o.cycles = true;
			else if (strcmp(optarg, "cpu-clock"))
				return usage_error("unknown event '%s' (cpu-clock or cycles)", optarg);
			break;
		case 'd':
			errno = 0;
			o.duration = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o.duration > 0) ||
			    o.duration > 31536000.0)
				return usage_error("duration must be a positive number of seconds, "
						   "not '%s'", optarg);
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'f':
			format_set = true;
			if (!strcmp(optarg, "pprof"))
				o.format = RECORD_PPROF;
			else if (!strcmp(optarg, "folded"))
				o.format = RECORD_FOLDED;
			else if (!strcmp(optarg, "svg"))
				o.format = RECORD_SVG;
			else
				return usage_error("unknown format '%s' (pprof, folded or svg)", optarg);
			break;
		case OPT_FLAMEGRAPH:
			o.flamegraph = optarg;
			break;
		case OPT_IDLE:
			o.idle = true;
			break;
		case OPT_MAX_STACKS:
			if (parse_uint(optarg, 1024, 1 << 20, &v))
				return usage_error("--max-stacks must be 1024..1048576, not '%s'", optarg);
			o.max_stacks = v;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("cprof %s\n", CPROF_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		/* getopt stops at "--" or the first non-option; only "--" may start CMD. */
		if (strcmp(argv[optind - 1], "--"))
			return usage_error("unexpected argument '%s' (a command goes after --)",
					   argv[optind]);
		o.cmd = &argv[optind];
	}
	if (!o.nr_pids && !o.all && !o.cmd)
		return usage_error("%s", "nothing to profile: give --pid PID, -a, or -- CMD");
	if (o.all && o.nr_pids)
		return usage_error("%s", "--all already includes every pid; drop --pid");
	if (!o.output)
		o.output = o.format == RECORD_FOLDED ? "cprof.folded" :
			   o.format == RECORD_SVG ? "cprof.svg" : "cprof.pb.gz";
	else if (!format_set && ends_with(o.output, ".svg"))
		o.format = RECORD_SVG;
	o.pids = pids;
	return record__run(&o);
}
