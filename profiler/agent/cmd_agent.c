// SPDX-License-Identifier: MIT
/* `cprof agent [options]`: option parsing only; the session is agent.c.
 * Flags are turned into (name, value) settings from agent_options, the table
 * the config file shares, and kept for re-application on SIGHUP. Usage
 * errors exit 2 with a hint. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/ship/exporter.h"
#include "profiler/agent/agent.h"
#include "profiler/agent/agent_config.h"
#include "profiler/cli.h"
#include "profiler/commands.h"

static const char usage[] =
"usage: cprof agent --url URL [options]\n"
"       cprof agent --config FILE [options]\n"
"\n"
"Profiles continuously until stopped: every --interval, one pprof delta per\n"
"service goes to a profiling backend, through an on-disk spool when it is away.\n"
"Every option can also be set in the --config file as 'name = value'.\n"
"\n"
"backend:\n"
"  -u, --url URL              pyroscope://HOST:PORT   Grafana Pyroscope (push API)\n"
"                             parca://HOST:PORT       Parca (WriteRaw, gRPC-Web)\n"
"                             otlp://HOST:PORT        OpenTelemetry Collector (OTLP/HTTP)\n"
"                             file:///DIR             gzipped pprof files in DIR\n"
"                             (+https for TLS: pyroscope+https://HOST:PORT)\n"
"      --tenant ID            X-Scope-OrgID for multi-tenant backends\n"
"      --bearer-token-file F  token for 'Authorization: Bearer' (or $CPROF_BEARER_TOKEN)\n"
"      --basic-auth-file F    USER:PASSWORD for basic auth (or $CPROF_BASIC_AUTH)\n"
"      --tls-ca FILE          CA bundle to verify the server with (default: the system's)\n"
"      --tls-cert FILE, --tls-key FILE   client certificate and key (mutual TLS)\n"
"      --tls-insecure         do not verify the server's certificate (never by default)\n"
"      --upload-timeout SECS  per request (default 10)\n"
"      --retry-backoff-min SECS, --retry-backoff-max SECS\n"
"                             retry delays, doubling with jitter (default 0.5 and 30)\n"
"      --spool-dir DIR        keep undelivered profiles here (zstd), across restarts\n"
"                             (default: in memory only); DIR must be owned by cprof's\n"
"                             user and not writable by others (created 0700 if missing)\n"
"      --spool-max-bytes SIZE spool bound, oldest dropped first (default 256M)\n"
"      --shutdown-timeout SECS  time spent delivering at exit (default 5)\n"
"what to sample (default: the whole machine):\n"
"  -p, --pid PID              these processes (repeatable, or comma-separated)\n"
"      --cgroup PATH          processes in this cgroup v2 subtree\n"
"      --comm REGEX           processes whose name matches (POSIX ERE)\n"
"  -F, --frequency HZ         samples per second per CPU (default 19)\n"
"  -e, --event EVENT          cpu-clock (default) or cycles\n"
"      --idle                 keep the idle task\n"
"      --profile-self         sample the agent's own process too (left out by default)\n"
"      --no-python            no CPython frames (on by default for CPython 3.7-3.13)\n"
"      --unwind MODE          auto (default: walked in the kernel with the unwind\n"
"                             tables, frame pointers where they do not cover the\n"
"                             code; stack copies for processes it cannot walk),\n"
"                             copy (the same from stack copies), dwarf or fp\n"
"      --stack-size BYTES     user stack copied per sample for copy/dwarf (default\n"
"                             16384; 65536 for auto's fallback)\n"
"      --max-stacks N         entries per stack and count map (default 16384)\n"
"  -i, --interval SECS        window length: one delta per service per window (default 10)\n"
"      --max-samples-per-profile N  split bigger profiles (default 16000)\n"
"off-CPU time (its own profile: Pyroscope offcpu, Parca wallclock; off by default):\n"
"      --off-cpu              also ship where threads wait (blocked, sleeping, preempted)\n"
"      --off-cpu-min TIME     leave out shorter blocks, counted (default 1ms)\n"
"      --off-cpu-probability P  record a block with probability P, its time scaled\n"
"                             by 1/P so totals stay unbiased (default 1)\n"
"network traffic (its own profile, __name__=net, service_name=network):\n"
"      --net IFACE            count packets and bytes on IFACE with TC (repeatable)\n"
"      --net-xdp              also count ingress with XDP (native, else generic)\n"
"attribution:\n"
"      --service-name RULE    first of container,pod,unit,cgroup,exe,comm (or =NAME)\n"
"                             that has a value (default container,exe)\n"
"  -l, --label NAME=VALUE     a series label on every profile (repeatable)\n"
"the agent itself:\n"
"  -c, --config FILE          settings file; SIGHUP reads it again\n"
"      --metrics-addr H:P     serve Prometheus metrics at http://H:P/metrics\n"
"      --debuginfod URLS      fetch missing debug info by build-id from these servers\n"
"                             in the background (default: DEBUGINFOD_URLS)\n"
"  -v, --verbose              a line per window (-vv: libbpf's messages too)\n"
"  -q, --quiet                errors only\n"
"  -h, --help                 this text\n"
"  -V, --version              print the version\n"
"\n"
"  cprof agent --url pyroscope://127.0.0.1:4040 --spool-dir /var/lib/cprof/spool\n"
"  cprof agent --config /etc/cprof/agent.conf   (see dist/cprof-agent.service)\n";

int cmd_agent(int argc, char **argv)
{
	enum { OPT_BASE = 256 };
	size_t nopts = 0, nargs = 0;
	struct option *longopts;
	const char **names, **values;
	char shortopts[64] = "+hV", vbuf[16][4];
	struct agent_config cfg;
	struct agent_args args;
	char why[512];
	int c, verbose = 0, ret = 2, err;

	cli__set_command("agent");
	while (agent_options[nopts].name)
		nopts++;
	longopts = calloc(nopts + 3, sizeof(*longopts));
	names = calloc(argc + 1, sizeof(*names));
	values = calloc(argc + 1, sizeof(*values));
	if (!longopts || !names || !values) {
		cli__err("out of memory");
		ret = 1;
		goto out_free;
	}
	for (size_t i = 0; i < nopts; i++) {
		const struct agent_option *o = &agent_options[i];
		size_t l = strlen(shortopts);

		longopts[i] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					       NULL, o->short_name ? o->short_name : OPT_BASE + (int)i };
		if (o->short_name) {
			shortopts[l++] = (char)o->short_name;
			if (o->arg)
				shortopts[l++] = ':';
			shortopts[l] = '\0';
		}
	}
	longopts[nopts] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[nopts + 1] = (struct option){ "version", no_argument, NULL, 'V' };

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct agent_option *o = NULL;

		if (c == 'h') {
			fputs(usage, stdout);
			ret = 0;
			goto out_free;
		}
		if (c == 'V') {
			printf("cprof %s\n", CPROF_VERSION);
			ret = 0;
			goto out_free;
		}
		if (c == ':') {
			ret = cli__usage_error("option '%s' needs an argument", argv[optind - 1]);
			goto out_free;
		}
		if (c >= OPT_BASE && c < OPT_BASE + (int)nopts)
			o = &agent_options[c - OPT_BASE];
		for (size_t i = 0; !o && i < nopts; i++)
			if (agent_options[i].short_name == c)
				o = &agent_options[i];
		if (!o) {
			ret = cli__usage_error("unknown option '%s'", argv[optind - 1]);
			goto out_free;
		}
		names[nargs] = o->name;
		if (!strcmp(o->name, "verbose")) {
			/* -v -v: the count, as one setting (a later one wins) */
			snprintf(vbuf[verbose % 16], sizeof(vbuf[0]), "%d", verbose < 3 ? verbose + 1 : 3);
			values[nargs++] = vbuf[verbose++ % 16];
		} else {
			values[nargs++] = o->arg ? optarg : "true";
		}
	}
	if (optind < argc) {
		ret = cli__usage_error("unexpected argument '%s'", argv[optind]);
		goto out_free;
	}

	/* The file first, then the flags over it, in the order given. */
	agent_config__init(&cfg);
	for (size_t i = 0; i < nargs; i++)
		if (!strcmp(names[i], "config"))
			agent_config__set(&cfg, "config", values[i], why, sizeof(why));
	if (cfg.config && (err = agent_config__load_file(&cfg, cfg.config, why, sizeof(why)))) {
		cli__err("%s", why);
		ret = err == -ENOMEM ? 1 : 2;
		goto out_release;
	}
	for (size_t i = 0; i < nargs; i++) {
		err = agent_config__set(&cfg, names[i], values[i], why, sizeof(why));
		if (err) {
			ret = err == -ENOMEM ? 1 : cli__usage_error("%s", why);
			goto out_release;
		}
	}
	if (agent_config__check(&cfg, why, sizeof(why))) {
		ret = cli__usage_error("%s", why);
		goto out_release;
	}
	{
		struct exporter_url u;
		char msg[256];

		char shown[300];

		if (exporter__parse_url(cfg.url, &u, msg, sizeof(msg))) {
			cli__err("--url %s: %s",
				exporter__redact_url(cfg.url, shown, sizeof(shown)), msg);
			ret = 2;
			goto out_release;
		}
	}
	args = (struct agent_args){ .names = names, .values = values, .n = nargs };
	ret = agent__run(&cfg, &args);	/* releases cfg */
	goto out_free;

out_release:
	agent_config__release(&cfg);
out_free:
	free(longopts);
	free(names);
	free(values);
	return ret;
}
