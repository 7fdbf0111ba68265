// SPDX-License-Identifier: MIT
/* `cprof [record] [options] [-- CMD ARGS...]`: option parsing and validation
 * only; the session itself is record.c. Usage errors exit 2 with a hint. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/proc.h"
#include "profiler/cli.h"
#include "profiler/commands.h"
#include "profiler/core/launch.h"
#include "profiler/record.h"

static const char usage[] =
"usage: cprof [record] (--pid PID... | -a | -- CMD [ARGS...]) [options]\n"
"       cprof [record] --net IFACE... [--net-output FILE] [-d SECS]  (network only)\n"
"       cprof flamegraph IN [-o OUT.svg] [options]   (cprof flamegraph --help)\n"
"       cprof report IN [options]                    (cprof report --help)\n"
"       cprof agent --url URL [options]              (cprof agent --help)\n"
"\n"
"Samples stacks with eBPF and writes a pprof profile (go tool pprof reads it).\n"
"\n"
"targets (at least one):\n"
"  -p, --pid PID          profile this process and all its threads (repeatable,\n"
"                         or a comma-separated list); the id of a thread selects\n"
"                         its whole process, with a note (samples carry a tid\n"
"                         label: go tool pprof -tagfocus tid=TID)\n"
"      --follow-children  with --pid: also the processes it has forked and forks\n"
"                         while profiled (their children too); the run still\n"
"                         ends when every --pid process has exited\n"
"  -a, --all              profile the whole machine (but cprof itself: see\n"
"                         --profile-self)\n"
"  -- CMD [ARGS...]       start CMD, profile it and its children until it exits;\n"
"                         cprof then exits with CMD's status\n"
"      --user USER        run CMD as USER (name or uid: its uid, gid, groups,\n"
"                         HOME, USER, LOGNAME and SHELL) while cprof keeps its\n"
"                         privileges; needs root\n"
"options:\n"
"  -F, --frequency HZ     samples per second per CPU, 1..10000 (default 99)\n"
"  -e, --event EVENT      cpu-clock (default) or cycles (hardware, where available)\n"
"  -d, --duration SECS    stop after SECS seconds (default: Ctrl-C, SIGTERM, or\n"
"                         when every target has exited)\n"
"  -o, --output FILE      where to write (default cprof.pb.gz; - for stdout,\n"
"                         where the output of -- CMD then goes to stderr);\n"
"                         a name ending in .svg writes a flame graph, .folded\n"
"                         folded stacks (any case); an existing directory is\n"
"                         refused before sampling\n"
"  -f, --format FMT       pprof (gzip, default), folded (flamegraph.pl input:\n"
"                         comm;root;...;leaf COUNT) or svg; must agree with\n"
"                         the -o name's .svg/.folded/.pb.gz ending\n"
"      --flamegraph FILE  also write a flame graph SVG to FILE\n"
"      --idle             keep the idle task (pid 0)\n"
"      --profile-self     sample cprof's own process too (left out by default)\n"
"      --no-python        no CPython frames (by default the Python functions of\n"
"                         CPython 3.7-3.13 processes are merged into their stacks)\n"
"      --max-stacks N     entries per stack and count map (default 16384)\n"
"      --unwind MODE      how user stacks are walked: auto (default: in the\n"
"                         kernel, with the unwind tables (.eh_frame) where they\n"
"                         cover the code and frame pointers elsewhere; a stack\n"
"                         copy for processes it cannot walk), copy (the same\n"
"                         from a copy of the stack, unwound by cprof), dwarf\n"
"                         (stack copy, unwind tables only) or fp (frame\n"
"                         pointers only, followed in the kernel)\n"
"      --stack-size BYTES user stack copied per sample for copy/dwarf (and\n"
"                         auto's fallback), 1024..65536 (default 16384;\n"
"                         65536 for auto's fallback)\n"
"      --unwind-memory SIZE  kernel memory for --unwind auto's unwind tables\n"
"                         (default 64M); processes whose tables do not fit\n"
"                         fall back to the stack copy\n"
"      --off-cpu          also record where threads wait: time off the CPU\n"
"                         (blocked, sleeping, preempted) under the stacks they\n"
"                         waited in, as the sample type off_cpu (go tool\n"
"                         pprof -sample_index=off_cpu; wall = cpu + off_cpu)\n"
"      --off-cpu-min TIME leave out blocks shorter than TIME (default 1ms;\n"
"                         e.g. 0, 50us, 10ms); counted, not recorded\n"
"      --debuginfod URLS  fetch missing debug info by build-id from these\n"
"                         debuginfod servers (space-separated) in the\n"
"                         background, as when DEBUGINFOD_URLS is set; cached\n"
"                         in DEBUGINFOD_CACHE_PATH, each transfer bounded by\n"
"                         DEBUGINFOD_TIMEOUT\n"
"  -q, --quiet            no summary on stderr\n"
"  -v, --verbose          libbpf's messages on stderr\n"
"  -h, --help             this text\n"
"  -V, --version          print the version\n"
"network traffic (TC and XDP counters, written as a separate pprof):\n"
"      --net IFACE        count packets and bytes on IFACE (repeatable) by\n"
"                         direction, protocol, port, cgroup and process; with\n"
"                         no CPU target (no --pid, -a or --) only the network is\n"
"                         recorded, and -o, -f and --flamegraph do not apply\n"
"      --net-xdp          also count ingress with XDP (native, else generic)\n"
"      --net-output FILE  the network profile (default cprof-net.pb.gz); draw it\n"
"                         with: cprof flamegraph FILE --sample-type bytes\n"
"\n"
"Needs root, or CAP_BPF and CAP_PERFMON (and CAP_SYSLOG, without which kernel\n"
"frames are unnamed; CAP_NET_ADMIN for --net), and a\n"
"kernel with BTF (/sys/kernel/btf/vmlinux).\n"
"Read the result: go tool pprof -top cprof.pb.gz\n";

#define MAX_PIDS 1024
#define MAX_NET_IFACES 64	/* NET_MAX_IFACES */

enum { OPT_NET = 512, OPT_NET_XDP, OPT_NET_OUTPUT };	/* --net */
enum { OPT_DEBUGINFOD = 600 };
enum { OPT_OFF_CPU = 700, OPT_OFF_CPU_MIN };
#define OFF_CPU_MIN_DEFAULT_NS	1000000ULL	/* 1 ms: see README, off-CPU time */
enum { OPT_FLAMEGRAPH = 256, OPT_IDLE, OPT_MAX_STACKS, OPT_UNWIND, OPT_STACK_SIZE,
       OPT_PROFILE_SELF, OPT_USER, OPT_FOLLOW_CHILDREN, OPT_UNWIND_MEMORY };
enum { OPT_NO_PYTHON = 800 };

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcasecmp(s + a - b, suffix);
}

static const char *const format_names[] = {
	[RECORD_PPROF] = "pprof", [RECORD_FOLDED] = "folded", [RECORD_SVG] = "svg",
};

/* The format an output name implies, case-insensitively; -1: none. */
static int format_of_name(const char *path)
{
	if (ends_with(path, ".svg"))
		return RECORD_SVG;
	if (ends_with(path, ".folded"))
		return RECORD_FOLDED;
	if (ends_with(path, ".pb.gz") || ends_with(path, ".pprof") || ends_with(path, ".pb"))
		return RECORD_PPROF;
	return -1;
}

/* Tgid of pid from /proc/PID/status: pid itself for a process, its process
 * for a thread id; 0 when unknown (gone: record reports that). */
static pid_t tgid_of(pid_t pid)
{
	long tgid = 0;

	if (proc__status_field((int)pid, "Tgid", &tgid))
		return 0;
	return tgid > 0 && tgid <= INT_MAX ? (pid_t)tgid : 0;
}

/* --pid of a thread that is not its process's main thread samples nothing
 * unless the process is the target (targets are processes): profile the
 * process, say so, and drop duplicates. */
static void pids_to_processes(pid_t *pids, size_t *nr, bool quiet)
{
	size_t n = 0;

	for (size_t i = 0; i < *nr; i++) {
		pid_t tgid = tgid_of(pids[i]);
		size_t j;

		if (tgid && tgid != pids[i]) {
			if (!quiet)
				cli__err("%d is a thread of process %d: profiling all of "
					"process %d (its samples carry tid labels: go tool pprof "
					"-tagfocus tid=%d)", (int)pids[i], (int)tgid, (int)tgid,
					(int)pids[i]);
			pids[i] = tgid;
		}
		for (j = 0; j < n && pids[j] != pids[i]; j++)
			;
		if (j == n)
			pids[n++] = pids[i];
	}
	*nr = n;
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
		{ "profile-self", no_argument, NULL, OPT_PROFILE_SELF },
		{ "user", required_argument, NULL, OPT_USER },
		{ "follow-children", no_argument, NULL, OPT_FOLLOW_CHILDREN },
		{ "no-python", no_argument, NULL, OPT_NO_PYTHON },
		{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
		{ "unwind", required_argument, NULL, OPT_UNWIND },
		{ "stack-size", required_argument, NULL, OPT_STACK_SIZE },
		{ "unwind-memory", required_argument, NULL, OPT_UNWIND_MEMORY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "net", required_argument, NULL, OPT_NET },
		{ "net-xdp", no_argument, NULL, OPT_NET_XDP },
		{ "net-output", required_argument, NULL, OPT_NET_OUTPUT },
		{ "debuginfod", required_argument, NULL, OPT_DEBUGINFOD },
		{ "off-cpu", no_argument, NULL, OPT_OFF_CPU },
		{ "off-cpu-min", required_argument, NULL, OPT_OFF_CPU_MIN },
		{ NULL, 0, NULL, 0 },
	};
	static pid_t pids[MAX_PIDS];
	static const char *net_ifaces[MAX_NET_IFACES];
	struct record_opts o = { .freq = 99, .output = NULL, .format = RECORD_PPROF,
				 .off_cpu_min_ns = OFF_CPU_MIN_DEFAULT_NS };
	bool format_set = false, off_cpu_min_set = false;
	double secs;
	unsigned long v;
	int c;

	cli__set_command(NULL);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:aF:e:d:o:f:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli__parse_pids(optarg, pids, MAX_PIDS, &o.nr_pids))
				return cli__usage_error("invalid pid list '%s'", optarg);
			break;
		case 'a':
			o.all = true;
			break;
		case 'F':
			if (cli__parse_ulong(optarg, 1, 10000, &v))
				return cli__usage_error("frequency must be 1..10000 Hz, not '%s'", optarg);
			o.freq = v;
			break;
		case 'e':
			if (!strcmp(optarg, "cycles"))
				o.cycles = true;
			else if (strcmp(optarg, "cpu-clock"))
				return cli__usage_error("unknown event '%s' (cpu-clock or cycles)", optarg);
			break;
		case 'd':
			if (cli__parse_seconds(optarg, 0, &o.duration) || !(o.duration > 0))
				return cli__usage_error("duration must be a positive number of seconds, "
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
				return cli__usage_error("unknown format '%s' (pprof, folded or svg)", optarg);
			break;
		case OPT_FLAMEGRAPH:
			o.flamegraph = optarg;
			break;
		case OPT_NO_PYTHON:
			o.no_python = true;
			break;
		case OPT_IDLE:
			o.idle = true;
			break;
		case OPT_PROFILE_SELF:
			o.profile_self = true;
			break;
		case OPT_USER:
			o.user_name = optarg;
			break;
		case OPT_FOLLOW_CHILDREN:
			o.follow_children = true;
			break;
		case OPT_MAX_STACKS:
			if (cli__parse_ulong(optarg, 1024, 1 << 20, &v))
				return cli__usage_error("--max-stacks must be 1024..1048576, not '%s'", optarg);
			o.max_stacks = v;
			break;
		case OPT_UNWIND:
			if (!strcmp(optarg, "auto"))
				o.unwind = RECORD_UNWIND_AUTO;
			else if (!strcmp(optarg, "dwarf"))
				o.unwind = RECORD_UNWIND_DWARF;
			else if (!strcmp(optarg, "fp"))
				o.unwind = RECORD_UNWIND_FP;
			else if (!strcmp(optarg, "copy"))
				o.unwind = RECORD_UNWIND_COPY;
			else
				return cli__usage_error("unknown unwind mode '%s' (auto, copy, dwarf or fp)", optarg);
			break;
		case OPT_UNWIND_MEMORY:
			if (cli__parse_size(optarg, &o.unwind_memory) || o.unwind_memory < 4096 ||
			    o.unwind_memory > (16ULL << 30))
				return cli__usage_error("--unwind-memory must be 4K..16G, not '%s'", optarg);
			break;
		case OPT_STACK_SIZE:
			if (cli__parse_ulong(optarg, 1024, 65536, &v))
				return cli__usage_error("--stack-size must be 1024..65536 bytes, not '%s'", optarg);
			o.stack_size = v;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case OPT_NET:
			if (!*optarg || o.nr_net_ifaces >= MAX_NET_IFACES)
				return cli__usage_error("--net takes an interface name, at most 64 times, "
						   "not '%s'", optarg);
			net_ifaces[o.nr_net_ifaces++] = optarg;
			break;
		case OPT_NET_XDP:
			o.net_xdp = true;
			break;
		case OPT_NET_OUTPUT:
			o.net_output = optarg;
			break;
		case OPT_DEBUGINFOD:
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return cli__usage_error("--debuginfod takes http:// or https:// URLs, "
						   "not '%s'", optarg);
			/* the client reads the servers from its environment */
			if (setenv("DEBUGINFOD_URLS", optarg, 1))
				return cli__usage_error("--debuginfod: out of memory");
			break;
		case OPT_OFF_CPU:
			o.off_cpu = true;
			break;
		case OPT_OFF_CPU_MIN:
			if (cli__parse_seconds(optarg, CLI_SECONDS_UNITS, &secs) || secs > 60)
				return cli__usage_error("--off-cpu-min must be 0..60 s (e.g. 500us, 1ms, "
						   "0.1), not '%s'", optarg);
			o.off_cpu_min_ns = (uint64_t)(secs * 1e9 + 0.5);
			off_cpu_min_set = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("cprof %s\n", CPROF_VERSION);
			return 0;
		case ':':
			return cli__usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return cli__usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		/* getopt stops at "--" or the first non-option; only "--" may start CMD. */
		if (strcmp(argv[optind - 1], "--"))
			return cli__usage_error("unexpected argument '%s' (a command goes after --)",
					   argv[optind]);
		o.cmd = &argv[optind];
	}
	if (!o.nr_pids && !o.all && !o.cmd && !o.nr_net_ifaces)
		return cli__usage_error("%s", "nothing to profile: give --pid PID, -a, -- CMD, "
				   "or --net IFACE");
	/* --net */
	if ((o.net_xdp || o.net_output) && !o.nr_net_ifaces)
		return cli__usage_error("%s", "--net-xdp and --net-output need --net IFACE");
	if (o.nr_net_ifaces && !o.nr_pids && !o.all && !o.cmd &&
	    (o.output || format_set || o.flamegraph))
		return cli__usage_error("%s", "-o, -f and --flamegraph are for CPU profiles: with --net "
				   "alone, name the file with --net-output");
	if (o.nr_net_ifaces && !o.net_output)
		o.net_output = "cprof-net.pb.gz";
	if (o.nr_net_ifaces && o.output && !strcmp(o.output, o.net_output))
		return cli__usage_error("--net-output '%s' is also the CPU profile's -o", o.output);
	o.net_ifaces = net_ifaces;
	if (off_cpu_min_set && !o.off_cpu)
		return cli__usage_error("%s", "--off-cpu-min applies to --off-cpu");
	if (o.off_cpu && !o.nr_pids && !o.all && !o.cmd)
		return cli__usage_error("%s", "--off-cpu is for CPU targets: give --pid PID, -a or "
				   "-- CMD");
	if (o.all && o.nr_pids)
		return cli__usage_error("%s", "--all already includes every pid; drop --pid");
	if (o.follow_children && !o.nr_pids)
		return cli__usage_error("%s", "--follow-children applies to --pid (-- CMD follows "
				   "its children already, -a has every process)");
	if (o.stack_size && o.unwind == RECORD_UNWIND_FP)
		return cli__usage_error("%s", "--stack-size applies to --unwind auto, copy or dwarf, not fp");
	if (o.unwind_memory && o.unwind != RECORD_UNWIND_AUTO)
		return cli__usage_error("%s", "--unwind-memory applies to --unwind auto only");
	if (!o.output) {
		o.output = o.format == RECORD_FOLDED ? "cprof.folded" :
			   o.format == RECORD_SVG ? "cprof.svg" : "cprof.pb.gz";
	} else if (format_of_name(o.output) >= 0) {
		/* The name says what the file holds; a -f that says otherwise
		 * would write, say, gzip into x.svg. */
		if (format_set && (int)o.format != format_of_name(o.output)) {
			cli__err("-f %s, but -o %s names %s output",
				format_names[o.format], o.output, format_names[format_of_name(o.output)]);
			return cli__usage_error("%s", "drop -f (the ending chooses) or rename the output");
		}
		o.format = format_of_name(o.output);
	}
	/* With the profile on stdout, CMD's own stdout would corrupt it. */
	if (o.cmd && (!strcmp(o.output, "-") || (o.flamegraph && !strcmp(o.flamegraph, "-")))) {
		o.cmd_stdout_to_stderr = true;
		if (!o.quiet)
			cli__err("the profile goes to standard output: the standard "
				"output of %s goes to standard error", o.cmd[0]);
	}
	pids_to_processes(pids, &o.nr_pids, o.quiet);
	o.pids = pids;
	if (o.user_name) {
		struct launch_user *u;
		char why[256];
		int ret;

		if (!o.cmd)
			return cli__usage_error("%s", "--user applies to the command after --");
		u = launch_user__new(o.user_name, why, sizeof(why));
		if (!u && errno == ENOENT)
			return cli__usage_error("%s (a user name or uid known to this system)", why);
		if (!u) {
			cli__err("%s", why);
			return 1;
		}
		o.user = u;
		ret = record__run(&o);
		launch_user__free(u);
		return ret;
	}
	return record__run(&o);
}
