// SPDX-License-Identifier: MIT
/* The agent session. One thread samples, drains and builds profiles (this
 * file's loop, never blocked by the network); the uploader's thread ships the
 * spool; the metrics thread, when asked for, serves counters. Accounting that
 * the tests and the metrics rely on: every sample drained in a window is
 * either filtered out (--cgroup/--comm) or lands in exactly one spooled delta
 * ("profiled"), and every spooled delta ends delivered, rejected by the
 * backend, dropped by the spool bound, or still spooled; each of those is
 * counted. A process is forgotten (symbolizer and attribution) at the end of
 * the first window that closes after its exit: its last samples are in that
 * window, so they are symbolized before it goes. With --net, each window
 * that saw traffic also spools one network profile (service_name=network,
 * __name__=net; profiler/net.h), whose samples are packets, not CPU samples:
 * it counts as a profile, never in the CPU sample books above. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "base/proc.h"
#include "base/atomic_file.h"
#include "export/ship/delta.h"
#include "export/ship/exporter.h"
#include "export/ship/spool.h"
#include "export/ship/uploader.h"
#include "profiler/cli.h"
#include "profiler/agent.h"
#include "profiler/debuginfod_report.h"
#include "profiler/agent_attr.h"
#include "profiler/agent_metrics.h"
#include "profiler/core/losses.h"
#include "profiler/core/mmap_events.h"
#include "profiler/net.h"
#include "profiler/pprof_build.h"
#include "profiler/core/raw_profile.h"
#include "profiler/core/session.h"
#include "profiler/core/stop_signal.h"
#include "symbolize/sym_debuginfod.h"
#include "symbolize/symbolizer.h"
#include "symbolize/unwinder.h"

#define HEALTH_STALL_MS		30000		/* /healthz: main loop stuck this long */
#define DRAIN_FAILURES_MAX	5		/* in a row: the sampler is broken, stop */
#define MAX_PPROF_BYTES		(4u << 20)	/* Pyroscope's bound on one uncompressed profile */
#define SWEEP_EVERY_WINDOWS	6		/* look for exits we missed */
#define FAILURE_LOG_INTERVAL_S	60.0

enum { LOG_ERR, LOG_INFO, LOG_DEBUG };

/* Counters shared with the metrics thread: written by one thread, read with
 * atomic loads. */
struct agent_stats {
	uint64_t counters[CPROF_NR_COUNTERS];	/* the BPF program's, cumulative */
	uint64_t windows, profiled, filtered, profiles, profile_bytes;
	uint64_t lost_samples, spool_write_errors, build_errors;
	uint64_t capture_failures, reloads, reload_failures;
	uint64_t sym_processes, sym_binaries, sym_binaries_evicted, sym_processes_evicted;
	uint64_t processes_unmapped, mapping_records, mapping_records_lost;	/* mmap_events */
	uint64_t attr_entries, attr_evictions, attr_fallbacks, attr_memo_replaced, forgotten;
	uint64_t unwind_stacks, unwind_stops[UW_NR_STOPS];	/* stack-copy mode */
	uint64_t unwind_tables_bytes, unwind_tables_evicted, unwind_cfi_dropped;
	uint64_t perf_maps_refused[SAFE_FILE_NR_REFUSALS], mapped_files_refused[SAFE_FILE_NR_REFUSALS];
	uint64_t net_packets, net_bytes, net_profiles, net_lost_packets, net_lost_bytes;
	/* What the main loop set up and how it runs, for render_metrics() and
	 * health(): never a pointer the main loop writes (a->net, ...). */
	uint64_t net_on, stack_copy, sampling, failed, heartbeat_ms;
};

#define STAT_SET(a, f, v)	__atomic_store_n(&(a)->st.f, (v), __ATOMIC_RELAXED)
#define STAT_ADD(a, f, v)	__atomic_fetch_add(&(a)->st.f, (v), __ATOMIC_RELAXED)
#define STAT_GET(a, f)		__atomic_load_n(&(a)->st.f, __ATOMIC_RELAXED)

struct agent {
	struct agent_config cfg;
	const struct agent_args *args;
	struct attr_rule rule;
	char hostname[256];
	struct session *core;			/* sampler, symbolizer, targets, window */
	struct session_stats sst;		/* main loop: as of the last drain */
	char perm_fix[200];
	struct attr_cache *attr;
	struct spool *spool;
	struct uploader *up;
	struct metrics_server *metrics;
	struct net *net;			/* --net; NULL without */
	double start_time;			/* epoch seconds */
	struct agent_stats st;
	int log_verbose, log_quiet;		/* read by every thread: atomic */
	uint64_t spool_errors_seen;		/* main thread: note_spool_health() */
	bool spool_failing;
	char failure[300];			/* main loop only: the first sampler failure */
	int drain_failures;			/* in a row */
	bool net_detached_seen;
	/* upload thread only (its event callback) */
	double last_failure_log;
	uint64_t failures_unlogged;
};

static void say(const struct agent *a, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(const struct agent *a, int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (level == LOG_INFO && __atomic_load_n(&a->log_quiet, __ATOMIC_RELAXED))
		return;
	if (level == LOG_DEBUG && __atomic_load_n(&a->log_verbose, __ATOMIC_RELAXED) < 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cli__err("%s", buf);	/* one write per line: threads never interleave */
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- secrets and the exporter --------------------------------------------- */

static void drop_secret(char **s)
{
	if (*s)
		explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

static struct exporter *make_exporter(const struct agent_config *c, char *why, size_t len)
{
	struct exporter_opts o = {
		.url = c->url, .tenant = c->tenant, .tls_ca = c->tls_ca, .tls_cert = c->tls_cert,
		.tls_key = c->tls_key, .tls_insecure = c->tls_insecure,
		.timeout_s = c->upload_timeout, .version = CPROF_VERSION,
	};
	char *bearer = NULL, *basic = NULL;
	struct exporter *ex = NULL;

	if (agent_config__read_secret(c->bearer_token_file, "CPROF_BEARER_TOKEN", &bearer, why,
				      len) ||
	    agent_config__read_secret(c->basic_auth_file, "CPROF_BASIC_AUTH", &basic, why, len))
		goto out_free;
	if (bearer && basic && !c->basic_auth_file)	/* the file wins over the environment */
		drop_secret(&basic);
	else if (bearer && basic && !c->bearer_token_file)
		drop_secret(&bearer);
	o.bearer_token = bearer;
	o.basic_auth = basic;
	ex = exporter__new(&o, why, len);
	if (!ex && !why[0])
		snprintf(why, len, "%s", strerror(errno));
out_free:
	drop_secret(&bearer);
	drop_secret(&basic);
	return ex;
}

/* ---- upload events (called on the upload thread) --------------------------- */

static void on_upload_event(void *ctx, const struct upload_event *ev)
{
	struct agent *a = ctx;
	const struct exporter_result *r = ev->result;
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec + ts.tv_nsec / 1e9;
	switch (ev->type) {
	case UPLOAD_FAILED:
		/* the first failure of a streak, then one line a minute */
		if (ev->consecutive_failures > 1 &&
		    now - a->last_failure_log < FAILURE_LOG_INTERVAL_S) {
			a->failures_unlogged++;
			return;
		}
		a->last_failure_log = now;
		say(a, LOG_ERR, "upload to %s failed (%s%s%s), attempt %llu%s; %zu profiles stay "
		    "spooled, retrying in %.1f s", ev->url, exporter__reason_name(r->reason),
		    r->detail[0] ? ": " : "", r->detail,
		    (unsigned long long)ev->consecutive_failures,
		    a->failures_unlogged ? " (failures in between not shown)" : "",
		    ev->profiles, ev->retry_in_s);
		a->failures_unlogged = 0;
		break;
	case UPLOAD_REJECTED:
		say(a, LOG_ERR, "%s rejected %zu profiles (%llu samples), not retried: %s "
		    "(HTTP %ld)", ev->url, ev->profiles, (unsigned long long)ev->samples,
		    exporter__reason_name(r->reason), r->http_status);
		if (r->detail[0])
			say(a, LOG_ERR, "the server said: %s", r->detail);
		break;
	case UPLOAD_RECOVERED:
		say(a, LOG_INFO, "%s reachable again after %llu failed attempts; sending the "
		    "spool", ev->url, (unsigned long long)ev->consecutive_failures);
		a->failures_unlogged = 0;
		break;
	case UPLOAD_UNDECODABLE:
		say(a, LOG_ERR, "a spooled record is not a profile delta (%llu samples): deleted",
		    (unsigned long long)ev->samples);
		break;
	}
}

/* ---- metrics ---------------------------------------------------------------- */

static void metric(FILE *f, const char *name, const char *type, const char *help,
		   unsigned long long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

static void render_metrics(void *ctx, FILE *f)
{
	struct agent *a = ctx;
	uint64_t c[CPROF_NR_COUNTERS];
	struct uploader_stats us;
	struct spool_stats ss;
	struct rusage ru;
	char buf[256];
	long rss_pages = 0;
	FILE *statm;

	uploader__stats(a->up, &us);
	spool__stats(a->spool, &ss);
	metric(f, "cprof_samples_total", "counter", "Samples taken by the BPF program.",
	       STAT_GET(a, counters[CPROF_SAMPLES]));
	for (int i = 0; i < CPROF_NR_COUNTERS; i++)
		c[i] = STAT_GET(a, counters[i]);
	losses__write_metrics(c, f);
	metric(f, "cprof_process_capture_failures_total", "counter",
	       "Processes whose mappings could not be captured (their frames may stay unnamed).",
	       STAT_GET(a, capture_failures));
	fprintf(f, "# HELP cprof_files_refused_total Files other users control that cprof would "
		"not open or read (safe_file), by kind and reason.\n"
		"# TYPE cprof_files_refused_total counter\n");
	for (int r = SAFE_FILE_NOT_REFUSED + 1; r < SAFE_FILE_NR_REFUSALS; r++)
		fprintf(f, "cprof_files_refused_total{kind=\"perf_map\",reason=\"%s\"} %llu\n"
			"cprof_files_refused_total{kind=\"mapped_file\",reason=\"%s\"} %llu\n",
			safe_file__refusal_key(r), (unsigned long long)STAT_GET(a, perf_maps_refused[r]),
			safe_file__refusal_key(r), (unsigned long long)STAT_GET(a, mapped_files_refused[r]));
	metric(f, "cprof_windows_total", "counter", "Profiling windows closed.",
	       STAT_GET(a, windows));
	metric(f, "cprof_profiled_samples_total", "counter",
	       "Samples put into profile deltas (the agent's count).", STAT_GET(a, profiled));
	metric(f, "cprof_filtered_samples_total", "counter",
	       "Samples left out by --cgroup or --comm.", STAT_GET(a, filtered));
	metric(f, "cprof_lost_samples_total", "counter",
	       "Samples in deltas that could not be built or spooled.", STAT_GET(a, lost_samples));
	metric(f, "cprof_profiles_total", "counter", "Profile deltas created.",
	       STAT_GET(a, profiles));
	metric(f, "cprof_profile_bytes_total", "counter",
	       "Uncompressed pprof bytes of the deltas created.", STAT_GET(a, profile_bytes));
	if (STAT_GET(a, net_on)) {	/* --net */
		metric(f, "cprof_net_packets_total", "counter",
		       "Packets counted on the --net interfaces.", STAT_GET(a, net_packets));
		metric(f, "cprof_net_bytes_total", "counter",
		       "Bytes counted on the --net interfaces.", STAT_GET(a, net_bytes));
		metric(f, "cprof_net_profiles_total", "counter",
		       "Network profiles created (one per window with traffic).",
		       STAT_GET(a, net_profiles));
		metric(f, "cprof_net_lost_packets_total", "counter",
		       "Packets the kernel side could not count (counter map full).",
		       STAT_GET(a, net_lost_packets));
		metric(f, "cprof_net_lost_bytes_total", "counter",
		       "Bytes the kernel side could not count (counter map full).",
		       STAT_GET(a, net_lost_bytes));
	}
	metric(f, "cprof_upload_requests_total", "counter", "Upload attempts.", us.requests);
	metric(f, "cprof_uploaded_profiles_total", "counter", "Profiles the backend accepted.",
	       us.profiles);
	metric(f, "cprof_uploaded_samples_total", "counter",
	       "Samples in the profiles the backend accepted.", us.samples);
	metric(f, "cprof_uploaded_bytes_total", "counter", "Request body bytes accepted.",
	       us.bytes);
	fprintf(f, "# HELP cprof_upload_failures_total Failed or refused upload attempts, by "
		"reason.\n# TYPE cprof_upload_failures_total counter\n");
	for (int r = EXPORT_REASON_CONNECT; r < EXPORT_NR_REASONS; r++)
		fprintf(f, "cprof_upload_failures_total{reason=\"%s\"} %llu\n",
			exporter__reason_name(r), (unsigned long long)us.failures[r]);
	metric(f, "cprof_upload_consecutive_failures", "gauge",
	       "Failed attempts since the last delivery (an alarm when it keeps growing: the "
	       "data stays spooled, see cprof_upload_failures_total for why).",
	       us.consecutive_failures);
	metric(f, "cprof_rejected_profiles_total", "counter",
	       "Profiles the backend refused for good (4xx), deleted.", us.rejected_profiles);
	metric(f, "cprof_rejected_samples_total", "counter",
	       "Samples in the profiles the backend refused for good.", us.rejected_samples);
	metric(f, "cprof_spool_bytes", "gauge", "Bytes in the spool.", ss.bytes);
	metric(f, "cprof_spool_files", "gauge", "Profiles in the spool.", ss.files);
	metric(f, "cprof_spool_samples", "gauge", "Samples in the spooled profiles.", ss.samples);
	metric(f, "cprof_spool_max_bytes", "gauge", "The spool's bound (--spool-max-bytes).",
	       ss.max_bytes);
	metric(f, "cprof_spool_dropped_profiles_total", "counter",
	       "Profiles dropped, oldest first, to keep the spool within its bound.", ss.dropped);
	metric(f, "cprof_spool_dropped_samples_total", "counter",
	       "Samples in the profiles the spool dropped.", ss.dropped_samples);
	metric(f, "cprof_spool_corrupt_total", "counter",
	       "Unreadable spool records found and deleted.", ss.corrupt + us.undecodable);
	metric(f, "cprof_spool_write_errors_total", "counter",
	       "Spool writes that failed (the profile was then held in memory, or lost).",
	       ss.write_errors + STAT_GET(a, spool_write_errors));
	metric(f, "cprof_spool_written_profiles_total", "counter",
	       "Profiles written to the spool (to --spool-dir, or to memory without it).",
	       ss.spooled);
	metric(f, "cprof_spool_held_in_memory_profiles_total", "counter",
	       "Profiles held in memory because the spool directory could not be written.",
	       ss.held);
	metric(f, "cprof_spool_memory_profiles", "gauge",
	       "Profiles held in memory now, waiting for the backend.", ss.mem_files);
	metric(f, "cprof_spool_memory_bytes", "gauge", "Bytes of the profiles held in memory.",
	       ss.mem_bytes);
	metric(f, "cprof_spool_memory_dropped_profiles_total", "counter",
	       "Profiles dropped, oldest first: the spool directory could not be written and "
	       "the memory queue was full.", ss.mem_dropped);
	metric(f, "cprof_spool_memory_dropped_samples_total", "counter",
	       "Samples in the profiles dropped with the memory queue full.",
	       ss.mem_dropped_samples);
	metric(f, "cprof_spool_recovered_profiles_total", "counter",
	       "Profiles found in the spool at start, left by an earlier run.", ss.recovered);
	metric(f, "cprof_process_cache_entries", "gauge", "Processes in the attribution cache.",
	       STAT_GET(a, attr_entries));
	metric(f, "cprof_process_cache_evictions_total", "counter",
	       "Attribution cache entries evicted by its bound.", STAT_GET(a, attr_evictions));
	metric(f, "cprof_process_gone_before_read_total", "counter",
	       "Processes gone before /proc could be read (named from their samples).",
	       STAT_GET(a, attr_fallbacks));
	metric(f, "cprof_process_name_memo_replaced_total", "counter",
	       "Entries of the bounded comm -> executable memo replaced by others.",
	       STAT_GET(a, attr_memo_replaced));
	metric(f, "cprof_processes_forgotten_total", "counter",
	       "Exited processes forgotten after their last samples shipped.",
	       STAT_GET(a, forgotten));
	metric(f, "cprof_symbolizer_processes", "gauge", "Processes the symbolizer holds.",
	       STAT_GET(a, sym_processes));
	metric(f, "cprof_symbolizer_processes_evicted_total", "counter",
	       "Processes evicted from the symbolizer by its bound.",
	       STAT_GET(a, sym_processes_evicted));
	if (sym_debuginfod__enabled()) {
		struct sym_debuginfod_stats ds;

		sym_debuginfod__stats(&ds);
		metric(f, "cprof_debuginfod_fetched_total", "counter",
		       "Debug files downloaded from a debuginfod server by build-id.", ds.fetched);
		metric(f, "cprof_debuginfod_cached_total", "counter",
		       "Debug files found in the debuginfod client's cache.", ds.cached);
		metric(f, "cprof_debuginfod_failed_total", "counter",
		       "Debug files no debuginfod server gave (absent, unreachable, timed out); "
		       "their binaries keep function-start names.", ds.failed);
		metric(f, "cprof_debuginfod_pending", "gauge",
		       "Debug file fetches queued or running.", ds.pending);
	}
	metric(f, "cprof_processes_unmapped", "gauge",
	       "Processes seen whose executable mappings could not be known (their user frames "
	       "are unnamed); one found later is taken back.", STAT_GET(a, processes_unmapped));
	metric(f, "cprof_mapping_records_total", "counter",
	       "Mapping records (mmap, fork, exec, exit) read from the kernel.",
	       STAT_GET(a, mapping_records));
	metric(f, "cprof_mapping_records_lost_total", "counter",
	       "Mapping records the kernel dropped (ring full).", STAT_GET(a, mapping_records_lost));
	metric(f, "cprof_symbolizer_binaries", "gauge", "Binaries the symbolizer holds open.",
	       STAT_GET(a, sym_binaries));
	metric(f, "cprof_symbolizer_binaries_evicted_total", "counter",
	       "Binaries evicted from the symbolizer's cache.", STAT_GET(a, sym_binaries_evicted));
	if (STAT_GET(a, stack_copy)) {
		metric(f, "cprof_unwind_stacks_total", "counter",
		       "User stacks unwound from stack copies (--unwind auto or dwarf).",
		       STAT_GET(a, unwind_stacks));
		fprintf(f, "# HELP cprof_unwind_stops_total How unwound stacks ended (complete or "
			"why not).\n# TYPE cprof_unwind_stops_total counter\n");
		for (int i = 0; i < UW_NR_STOPS; i++)
			fprintf(f, "cprof_unwind_stops_total{stop=\"%s\"} %llu\n", uw_stop__name(i),
				(unsigned long long)STAT_GET(a, unwind_stops[i]));
		metric(f, "cprof_unwind_table_bytes", "gauge",
		       "Memory of the cached unwind tables (bounded, LRU).",
		       STAT_GET(a, unwind_tables_bytes));
		metric(f, "cprof_unwind_tables_evicted_total", "counter",
		       "Unwind tables evicted from their cache.",
		       STAT_GET(a, unwind_tables_evicted));
		metric(f, "cprof_unwind_cfi_dropped_total", "counter",
		       "CFI entries left out of unwind tables: malformed, or over the build's limits.",
		       STAT_GET(a, unwind_cfi_dropped));
	}
	metric(f, "cprof_config_reloads_total", "counter", "Configuration reloads (SIGHUP).",
	       STAT_GET(a, reloads));
	metric(f, "cprof_config_reload_failures_total", "counter",
	       "Reloads refused (the running configuration was kept).",
	       STAT_GET(a, reload_failures));

	getrusage(RUSAGE_SELF, &ru);
	fprintf(f, "# HELP process_cpu_seconds_total User and system CPU time spent.\n"
		"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.3f\n",
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		ru.ru_stime.tv_usec / 1e6);
	statm = fopen("/proc/self/statm", "re");
	if (statm) {
		if (fgets(buf, sizeof(buf), statm))
			sscanf(buf, "%*s %ld", &rss_pages);
		fclose(statm);
	}
	metric(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	       (unsigned long long)rss_pages * (unsigned long long)sysconf(_SC_PAGESIZE));
	fprintf(f, "# HELP process_start_time_seconds Start time since the epoch.\n"
		"# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n",
		a->start_time);
	fprintf(f, "# HELP cprof_build_info cprof's version.\n# TYPE cprof_build_info gauge\n"
		"cprof_build_info{version=\"%s\"} 1\n", CPROF_VERSION);
}

/* ---- process events ------------------------------------------------------- */

/* Sees each process event before the session's symbolizer: attribution
 * takes four small reads, done before the process (maybe a short-lived one)
 * is gone. */
static void on_process(void *ctx, const struct cprof_event *e)
{
	struct agent *a = ctx;

	switch (e->type) {
	case CPROF_EV_NEW:
	case CPROF_EV_FORK:
		attr_cache__capture(a->attr, e->tgid, e->start_ticks, false);
		break;
	case CPROF_EV_EXEC:
		attr_cache__capture(a->attr, e->tgid, e->start_ticks, true);
		break;
	case CPROF_EV_EXIT:
		attr_cache__exited(a->attr, e->tgid, e->start_ticks);
		break;
	}
}

/* GET /healthz: 200 while the sampler runs and the main loop turns. */
static bool health(void *ctx, char *why, size_t len)
{
	struct agent *a = ctx;
	int64_t idle_ms = now_ns(CLOCK_MONOTONIC) / 1000000 - (int64_t)STAT_GET(a, heartbeat_ms);

	if (STAT_GET(a, failed)) {
		snprintf(why, len, "the sampler failed; stopping");
		return false;
	}
	if (!STAT_GET(a, sampling)) {
		snprintf(why, len, "not sampling (starting or stopping)");
		return false;
	}
	if (idle_ms > HEALTH_STALL_MS) {
		snprintf(why, len, "the sampling loop has not run for %lld s",
			 (long long)idle_ms / 1000);
		return false;
	}
	return true;
}

/* A sampler or BPF failure during the run: the agent stops, and exits 1
 * naming the first one. */
static void run_failed(struct agent *a, const char *what, int err)
{
	say(a, LOG_ERR, "%s: %s", what, strerror(-err));
	if (!a->failure[0])
		snprintf(a->failure, sizeof(a->failure), "%s: %s", what, strerror(-err));
	STAT_SET(a, failed, 1);
}

/* ---- --net: the network profile ------------------------------------------- */

static int start_net(struct agent *a)
{
	struct net_opts no = {
		.ifaces = (const char *const *)a->cfg.net_ifaces, .nr_ifaces = a->cfg.nr_net_ifaces,
		.xdp = a->cfg.net_xdp, .verbose = a->cfg.verbose >= 2, .quiet = a->cfg.quiet,
	};
	char why[512], desc[512];

	a->net = net__new(&no, why, sizeof(why));
	if (!a->net) {
		say(a, LOG_ERR, "--net: %s", why);
		return -1;
	}
	STAT_SET(a, net_on, 1);
	net__describe(a->net, desc, sizeof(desc));
	say(a, LOG_INFO, "counting network traffic on %s", desc);
	return 0;
}

/* Moves what the kernel counted into the window's net_profile. */
static void net_drain(void *ctx)
{
	struct agent *a = ctx;
	uint64_t packets, bytes;
	char gone[256];
	int64_t d;

	if (!a->net)
		return;
	d = net__drain(a->net);
	if (d == -ENOMEM)	/* counted as lost by net_profile; the next drain may do */
		say(a, LOG_ERR, "draining network counters: %s", strerror(ENOMEM));
	else if (d < 0)
		run_failed(a, "draining network counters", (int)d);
	if (!net__lost(a->net, &packets, &bytes)) {
		STAT_SET(a, net_lost_packets, packets);
		STAT_SET(a, net_lost_bytes, bytes);
	}
	if (!a->net_detached_seen && net__check(a->net, gone, sizeof(gone))) {
		/* Another party took cprof's programs off: no count goes on silently
		 * incomplete. The CPU profiles still go on; the exit status says it. */
		a->net_detached_seen = true;
		say(a, LOG_ERR, "--net: detached by someone else: %s; traffic there is no longer "
		    "counted", gone);
		if (!a->failure[0])
			snprintf(a->failure, sizeof(a->failure), "--net detached by someone else: %s",
				 gone);
	}
}

static int drain(struct agent *a)
{
	uint64_t c[CPROF_NR_COUNTERS];
	int64_t d;

	if (!session__raw(a->core))	/* out of memory at the last window: stopping */
		return -ENOMEM;
	d = session__drain(a->core);	/* and net_drain(), a component */

	if (d < 0) {
		say(a, LOG_ERR, "draining samples: %s", strerror((int)-d));
		if (++a->drain_failures >= DRAIN_FAILURES_MAX)
			run_failed(a, "draining samples", (int)d);
		return (int)d;
	}
	a->drain_failures = 0;
	session__stats(a->core, &a->sst);
	STAT_SET(a, capture_failures, a->sst.capture_failures);
	if (session__counters(a->core, c) == 0)
		for (int i = 0; i < CPROF_NR_COUNTERS; i++)
			STAT_SET(a, counters[i], c[i]);
	if (session__uw_stats(a->core)) {
		const struct uw_stats_entry *t = uw_stats__total(session__uw_stats(a->core));

		STAT_SET(a, unwind_stacks, t->stacks);
		for (int i = 0; i < UW_NR_STOPS; i++)
			STAT_SET(a, unwind_stops[i], t->stops[i]);
	}
	return 0;
}

/* ---- windows: split by service, build, spool ------------------------------- */

struct group {
	char service[ATTR_NAME_LEN];
	char container_id[65], pod_uid[37];
	struct raw_profile **chunks;
	size_t nr_chunks;
};

struct groups {
	struct group *g;
	size_t n, cap;
};

static void groups__release(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		for (size_t j = 0; j < gs->g[i].nr_chunks; j++)
			raw_profile__free(gs->g[i].chunks[j]);
		free(gs->g[i].chunks);
	}
	free(gs->g);
}

static struct group *groups__find(struct groups *gs, const struct attr_info *in)
{
	struct group *g;

	/* A window holds tens of services, rarely hundreds: a scan is enough. */
	for (size_t i = 0; i < gs->n; i++) {
		g = &gs->g[i];
		if (!strcmp(g->service, in->service) &&
		    !strcmp(g->container_id, in->facts.container_id) &&
		    !strcmp(g->pod_uid, in->facts.pod_uid))
			return g;
	}
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? gs->cap * 2 : 16;
		struct group *n = realloc(gs->g, cap * sizeof(*n));

		if (!n)
			return NULL;
		gs->g = n;
		gs->cap = cap;
	}
	g = &gs->g[gs->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->service, sizeof(g->service), "%s", in->service);
	snprintf(g->container_id, sizeof(g->container_id), "%s", in->facts.container_id);
	snprintf(g->pod_uid, sizeof(g->pod_uid), "%s", in->facts.pod_uid);
	return g;
}

/* The chunk the next sample of g goes to: a new one past max samples. */
static struct raw_profile *group__chunk(struct group *g, size_t max_samples)
{
	struct raw_profile **c, *last = g->nr_chunks ? g->chunks[g->nr_chunks - 1] : NULL;

	if (last && raw_profile__nr_samples(last) < max_samples)
		return last;
	c = realloc(g->chunks, (g->nr_chunks + 1) * sizeof(*c));
	if (!c)
		return NULL;
	g->chunks = c;
	c[g->nr_chunks] = raw_profile__new();
	if (!c[g->nr_chunks])
		return NULL;
	return c[g->nr_chunks++];
}

/* Copies one sample (and its stacks: indices are per raw_profile). */
static int copy_sample(struct raw_profile *dst, const struct raw_profile *src,
		       const struct raw_sample *s)
{
	struct raw_sample c = *s;
	const struct raw_stack *st;
	int idx;

	if (s->ustack >= 0 && (st = raw_profile__stack(src, s->ustack))) {
		if ((idx = raw_profile__intern_stack(dst, st->ips, st->nr)) < 0)
			return idx;
		c.ustack = idx;
	}
	if (s->kstack >= 0 && (st = raw_profile__stack(src, s->kstack))) {
		if ((idx = raw_profile__intern_stack(dst, st->ips, st->nr)) < 0)
			return idx;
		c.kstack = idx;
	}
	return raw_profile__add(dst, &c);
}

struct window_out {
	uint64_t seq;
	int64_t time_nanos, duration_nanos;
	size_t profiles;
	uint64_t samples, bytes;
};

static int set_labels(struct agent *a, struct delta *d, const struct group *g)
{
	int err = delta__set_label(d, "service_name", g->service);

	if (!err && a->hostname[0])
		err = delta__set_label(d, "hostname", a->hostname);
	if (!err && g->container_id[0])
		err = delta__set_label(d, "container_id", g->container_id);
	if (!err && g->pod_uid[0])
		err = delta__set_label(d, "pod_uid", g->pod_uid);
	for (size_t i = 0; !err && i < a->cfg.nr_labels; i++)
		err = delta__set_label(d, a->cfg.labels[i].name, a->cfg.labels[i].value);
	return err;
}

static struct raw_profile *sub_profile(const struct raw_profile *rp, size_t from, size_t to)
{
	struct raw_profile *sub = raw_profile__new();

	for (size_t i = from; sub && i < to; i++)
		if (copy_sample(sub, rp, raw_profile__sample(rp, i))) {
			raw_profile__free(sub);
			return NULL;
		}
	return sub;
}

/* Says when the spool directory stops taking records (they are then held in
 * memory) and when it takes them again: a line per change, not per record.
 * err: what spool__append() returned. */
static void note_spool_health(struct agent *a, int err)
{
	struct spool_stats ss;

	if (!a->cfg.spool_dir)
		return;
	spool__stats(a->spool, &ss);
	if (ss.write_errors != a->spool_errors_seen && !a->spool_failing) {
		say(a, LOG_ERR, "cannot write to the spool %s (%s): holding profiles in memory "
		    "(up to %llu bytes) and sending them from there", a->cfg.spool_dir,
		    strerror(ss.last_write_error), (unsigned long long)ss.mem_max_bytes);
		a->spool_failing = true;
	} else if (!err && ss.write_errors == a->spool_errors_seen && a->spool_failing) {
		say(a, LOG_INFO, "the spool %s can be written again", a->cfg.spool_dir);
		a->spool_failing = false;
	}
	a->spool_errors_seen = ss.write_errors;
}

/* Encodes d and puts it in the spool. A spool that cannot take it is said and
 * counted here (lost, or dropped as too big); only a failure to encode is
 * returned (-ENOMEM), for the caller to count. */
static int spool_delta(struct agent *a, const struct delta *d, const char *service)
{
	uint8_t *enc = NULL;
	size_t enc_len;
	int err = delta__encode(d, &enc, &enc_len);

	if (err)
		return err;
	err = spool__append(a->spool, enc, enc_len, d->samples, NULL);
	note_spool_health(a, err);
	if (err == -EFBIG) {
		say(a, LOG_ERR, "a %zu-byte profile of %s is over --spool-max-bytes: dropped",
		    enc_len, service);
	} else if (err == -ENOBUFS) {	/* counted by the spool */
		say(a, LOG_ERR, "the spool %s cannot be written and the memory queue is full: "
		    "a profile of %s (%llu samples) dropped", a->cfg.spool_dir, service,
		    (unsigned long long)d->samples);
	} else if (err) {
		STAT_ADD(a, spool_write_errors, 1);
		say(a, LOG_ERR, "spooling a profile of %s (%llu samples): %s: lost", service,
		    (unsigned long long)d->samples, strerror(-err));
		STAT_ADD(a, lost_samples, d->samples);
	}
	free(enc);
	return 0;
}

/* Serializes msg (len bytes packed) into d. 0 or -ENOMEM. */
static int pack_pprof(struct delta *d, const Perftools__Profiles__Profile *msg, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);

	if (!buf)
		return -ENOMEM;
	perftools__profiles__profile__pack(msg, buf);
	free(d->pprof);
	d->pprof = buf;
	d->pprof_len = len;
	return 0;
}

/* Builds one delta from rp and spools it; a profile over MAX_PPROF_BYTES is
 * split in two halves first (each half its own delta). */
static int emit(struct agent *a, const struct group *g, const struct raw_profile *rp,
		struct window_out *w)
{
	char id[DELTA_ID_STR_LEN], line1[160], line2[1024], line3[80];
	const char *comments[3] = { line1, line2, line3 };
	struct pprof_build_opts bo = {
		.freq = a->cfg.freq, .time_nanos = w->time_nanos,
		.duration_nanos = w->duration_nanos, .comments = comments, .nr_comments = 3,
		.low_cardinality = true,
	};
	const Perftools__Profiles__Profile *msg;
	struct pb_profile *prof = NULL;
	struct delta *d = delta__new();
	uint64_t samples = raw_profile__total(rp);
	size_t len, off = 0, n = raw_profile__nr_samples(rp);
	int err = -ENOMEM;

	if (!d || set_labels(a, d, g))
		goto out_free;
	delta__id_string(d, id);
	snprintf(line1, sizeof(line1), "cprof %s agent; event %s at %u Hz on %d CPUs; "
		 "%s unwinding; window %llu", CPROF_VERSION, a->cfg.cycles ? "cycles" : "cpu-clock", a->cfg.freq,
		 a->sst.nr_cpus, !a->sst.stack_window ? "frame-pointer" :
		 a->sst.uw_mode == UW_MODE_DWARF ? "dwarf" : "auto", (unsigned long long)w->seq);
	line2[0] = '\0';
	for (size_t i = 0; i < d->nr_labels; i++)
		off += snprintf(line2 + off, off < sizeof(line2) ? sizeof(line2) - off : 0,
				"%s%s=%s",
				i ? " " : "series: ", d->labels[i].name, d->labels[i].value);
	snprintf(line3, sizeof(line3), "delta id %s", id);

	if ((err = pprof_build(rp, session__sym(a->core), &bo, &prof, NULL)))
		goto out_free;
	msg = pb_profile__finish(prof);
	err = -ENOMEM;
	if (!msg)
		goto out_free;
	len = perftools__profiles__profile__get_packed_size(msg);
	if (len > MAX_PPROF_BYTES && n > 1) {
		struct raw_profile *lo = sub_profile(rp, 0, n / 2), *hi = sub_profile(rp, n / 2, n);

		err = lo && hi ? emit(a, g, lo, w) : -ENOMEM;
		if (!err)
			err = emit(a, g, hi, w);
		raw_profile__free(lo);
		raw_profile__free(hi);
		goto out_free;
	}
	if (pack_pprof(d, msg, len))
		goto out_free;
	d->time_nanos = w->time_nanos;
	d->duration_nanos = w->duration_nanos;
	d->samples = samples;
	if ((err = spool_delta(a, d, g->service)))
		goto out_free;
	/* Spooled, or dropped and counted by the spool or spool_delta(): either
	 * way it is accounted for, so the window goes on. */
	STAT_ADD(a, profiled, samples);
	STAT_ADD(a, profiles, 1);
	STAT_ADD(a, profile_bytes, len);
	w->profiles++;
	w->samples += samples;
	w->bytes += len;
	err = 0;
out_free:
	pb_profile__free(prof);
	delta__free(d);
	return err;
}

/* The window's network profile (--net), when it saw traffic: one delta,
 * service_name=network and __name__=net, then the next window starts. */
static void emit_net(struct agent *a, const struct window_out *w)
{
	struct net_profile_stats st;
	char id[DELTA_ID_STR_LEN], line[80];
	const Perftools__Profiles__Profile *msg;
	struct pb_profile *prof = NULL;
	struct delta *d = NULL;
	int err = 0;

	if (!a->net)
		return;
	net_profile__stats(net__profile(a->net), &st);
	if (st.packets) {
		err = -ENOMEM;
		d = delta__new();
		if (!d || delta__set_label(d, "__name__", "net"))
			goto out;
		/* a group of no container, named "network": set_labels() adds the rest */
		if ((err = set_labels(a, d, &(struct group){ .service = "network" })))
			goto out;
		delta__id_string(d, id);
		snprintf(line, sizeof(line), "delta id %s", id);
		if ((err = net__build(a->net, w->time_nanos, w->duration_nanos, true, &prof)) ||
		    (err = pb_profile__add_comment(prof, line)))
			goto out;
		err = -ENOMEM;
		msg = pb_profile__finish(prof);
		if (!msg || pack_pprof(d, msg, perftools__profiles__profile__get_packed_size(msg)))
			goto out;
		d->time_nanos = w->time_nanos;
		d->duration_nanos = w->duration_nanos;
		d->samples = 0;		/* packets are not CPU samples */
		if ((err = spool_delta(a, d, "network")))
			goto out;
		STAT_ADD(a, net_profiles, 1);
		STAT_ADD(a, profiles, 1);
		STAT_ADD(a, profile_bytes, d->pprof_len);
	}
out:
	if (err) {
		STAT_ADD(a, build_errors, 1);
		say(a, LOG_ERR, "building the network profile: %s: %llu packets lost",
		    strerror(-err), (unsigned long long)st.packets);
	} else {
		STAT_ADD(a, net_packets, st.packets);
		STAT_ADD(a, net_bytes, st.bytes);
	}
	say(a, LOG_DEBUG, "window %llu: net: %llu packets, %llu bytes in %d profiles",
	    (unsigned long long)w->seq, (unsigned long long)st.packets,
	    (unsigned long long)st.bytes, st.packets && !err);
	net_profile__reset(net__profile(a->net));
	pb_profile__free(prof);
	delta__free(d);
}

static void forget(void *ctx, int pid, uint64_t start_ticks)
{
	struct agent *a = ctx;

	sym_session__remove_process(session__sym(a->core), pid, start_ticks);
}

static void update_cache_stats(struct agent *a)
{
	struct sym_stats ss;
	struct attr_stats as;

	sym_session__stats(session__sym(a->core), &ss);
	attr_cache__stats(a->attr, &as);
	STAT_SET(a, sym_processes, ss.processes_cached);
	STAT_SET(a, sym_processes_evicted, ss.processes_evicted);
	STAT_SET(a, processes_unmapped, ss.processes_unmapped);
	session__stats(a->core, &a->sst);
	STAT_SET(a, capture_failures, a->sst.capture_failures);
	if (a->sst.mmap_events_on) {
		STAT_SET(a, mapping_records, a->sst.mev.records);
		STAT_SET(a, mapping_records_lost, a->sst.mev.lost);
	}
	STAT_SET(a, sym_binaries, ss.binaries_cached);
	STAT_SET(a, sym_binaries_evicted, ss.binaries_evicted);
	STAT_SET(a, attr_entries, as.entries);
	STAT_SET(a, attr_evictions, as.evictions);
	STAT_SET(a, attr_fallbacks, as.fallbacks);
	STAT_SET(a, attr_memo_replaced, as.memo_replaced);
	STAT_SET(a, forgotten, as.forgotten);
	STAT_SET(a, unwind_tables_bytes, ss.unwind_table_bytes);
	STAT_SET(a, unwind_tables_evicted, ss.unwind_tables_evicted);
	STAT_SET(a, unwind_cfi_dropped, ss.unwind_cfi_dropped);
	for (int r = 0; r < SAFE_FILE_NR_REFUSALS; r++) {
		STAT_SET(a, perf_maps_refused[r], ss.perf_maps_refused[r]);
		STAT_SET(a, mapped_files_refused[r], ss.mapped_files_refused[r]);
	}
}

/* Closes the window: drain, split by service, build and spool one delta per
 * service (and chunk), forget exited processes, start the next window. */
static void end_window(struct agent *a, bool last)
{
	struct window_out w = {0};
	struct window_span span;
	struct raw_profile *raw;
	struct groups gs = {0};
	uint64_t filtered = 0, lost = 0;
	size_t n;

	if (drain(a) == -ENOMEM && !session__raw(a->core))
		return;
	session__close_window(a->core, &span);
	w.seq = span.seq;
	w.time_nanos = span.time_nanos;
	w.duration_nanos = span.duration_nanos;

	raw = session__raw(a->core);
	n = raw_profile__nr_samples(raw);
	for (size_t i = 0; i < n; i++) {
		const struct raw_sample *s = raw_profile__sample(raw, i);
		const struct attr_info *in = attr_cache__get(a->attr, s->pid, s->start_ticks,
							     s->comm);
		struct group *g;
		struct raw_profile *chunk;

		if (in && !in->selected) {
			filtered += s->count;
			continue;
		}
		g = in ? groups__find(&gs, in) : NULL;
		chunk = g ? group__chunk(g, a->cfg.max_samples_per_profile) : NULL;
		if (!chunk || copy_sample(chunk, raw, s)) {
			lost += s->count;
			continue;
		}
	}
	for (size_t i = 0; i < gs.n; i++)
		for (size_t j = 0; j < gs.g[i].nr_chunks; j++)
			if (emit(a, &gs.g[i], gs.g[i].chunks[j], &w)) {
				uint64_t t = raw_profile__total(gs.g[i].chunks[j]);

				STAT_ADD(a, build_errors, 1);
				lost += t;
				say(a, LOG_ERR, "building the profile of %s: out of memory: %llu "
				    "samples lost", gs.g[i].service, (unsigned long long)t);
			}
	groups__release(&gs);
	emit_net(a, &w);
	STAT_ADD(a, filtered, filtered);
	STAT_ADD(a, lost_samples, lost);
	STAT_ADD(a, windows, 1);
	say(a, LOG_DEBUG, "window %llu: %llu samples in %zu profiles, %llu filtered out, "
	    "%llu lost; "
	    "%.1f s, %llu pprof bytes", (unsigned long long)w.seq, (unsigned long long)w.samples,
	    w.profiles, (unsigned long long)filtered, (unsigned long long)lost,
	    w.duration_nanos / 1e9, (unsigned long long)w.bytes);
	if (w.profiles || a->net)
		uploader__kick(a->up);

	/* Everything of this window is built: exited processes can go. */
	attr_cache__forget_exited(a->attr, !last && w.seq % SWEEP_EVERY_WINDOWS == 0, forget, a);
	if (session__end_window(a->core, last)) {	/* and processes exited two windows ago */
		say(a, LOG_ERR, "out of memory");
		stop_signal__request(SIGTERM);
	}
	update_cache_stats(a);
}

/* ---- reload ---------------------------------------------------------------- */

static int build_config(const struct agent_args *args, const char *file, struct agent_config *c,
			char *why, size_t len)
{
	int err;

	agent_config__init(c);
	if (file && (err = agent_config__load_file(c, file, why, len)))
		return err;
	for (size_t i = 0; i < args->n; i++)
		if ((err = agent_config__set(c, args->names[i], args->values[i], why, len)))
			return err;
	return agent_config__check(c, why, len);
}

static bool str_differs(const char *x, const char *y)
{
	return (x == NULL) != (y == NULL) || (x && strcmp(x, y));
}

static void swap_str(char **x, char **y)
{
	char *t = *x;

	*x = *y;
	*y = t;
}

static bool same_ifaces(const struct agent_config *x, const struct agent_config *y)
{
	if (x->nr_net_ifaces != y->nr_net_ifaces)
		return false;
	for (size_t i = 0; i < x->nr_net_ifaces; i++)
		if (strcmp(x->net_ifaces[i], y->net_ifaces[i]))
			return false;
	return true;
}

static void reload(struct agent *a)
{
	struct agent_config n, *o = &a->cfg;
	struct attr_rule rule;
	struct exporter *ex;
	const char *why_rule;
	char why[512] = "";

	if (!o->config) {
		say(a, LOG_INFO, "SIGHUP: started without --config, nothing to reload");
		return;
	}
	if (build_config(a->args, o->config, &n, why, sizeof(why)) ||
	    agent_config__check_cgroup(&n, why, sizeof(why)) ||
	    attr_rule__parse(n.service_name ? n.service_name : "container,exe", &rule, &why_rule)) {
		say(a, LOG_ERR, "reloading %s: %s; keeping the running configuration", o->config,
		    why[0] ? why : "bad --service-name");
		STAT_ADD(a, reload_failures, 1);
		agent_config__release(&n);
		return;
	}
	ex = make_exporter(&n, why, sizeof(why));
	if (!ex || attr_cache__reconfigure(a->attr, &rule, n.cgroup, n.comm)) {
		say(a, LOG_ERR, "reloading %s: %s; keeping the running configuration", o->config,
		    ex ? "out of memory" : why);
		exporter__free(ex);
		STAT_ADD(a, reload_failures, 1);
		agent_config__release(&n);
		return;
	}
	uploader__set_exporter(a->up, ex);
	a->rule = rule;

	/* What the running sampler, spool and endpoint were built with stays. */
	if (n.freq != o->freq || n.cycles != o->cycles || n.idle != o->idle ||
	    n.max_stacks != o->max_stacks || n.nr_pids != o->nr_pids ||
	    str_differs(n.spool_dir, o->spool_dir) || n.spool_max_bytes != o->spool_max_bytes ||
	    str_differs(n.metrics_addr, o->metrics_addr) || str_differs(n.unwind, o->unwind) ||
	    n.stack_size != o->stack_size || !same_ifaces(&n, o) || n.net_xdp != o->net_xdp)
		say(a, LOG_ERR, "reloading %s: frequency, event, idle, pid, max-stacks, unwind, "
		    "stack-size, net, net-xdp, spool-dir, spool-max-bytes and metrics-addr changes "
		    "take effect at restart",
		    o->config);
	n.freq = o->freq;
	n.cycles = o->cycles;
	n.idle = o->idle;
	n.max_stacks = o->max_stacks;
	n.spool_max_bytes = o->spool_max_bytes;
	n.stack_size = o->stack_size;
	free(n.pids);
	n.pids = o->pids;
	n.nr_pids = o->nr_pids;
	o->pids = NULL;
	o->nr_pids = 0;
	for (size_t i = 0; i < n.nr_net_ifaces; i++)
		free(n.net_ifaces[i]);
	free(n.net_ifaces);
	n.net_ifaces = o->net_ifaces;
	n.nr_net_ifaces = o->nr_net_ifaces;
	n.net_xdp = o->net_xdp;
	o->net_ifaces = NULL;
	o->nr_net_ifaces = 0;
	swap_str(&n.spool_dir, &o->spool_dir);
	swap_str(&n.metrics_addr, &o->metrics_addr);
	swap_str(&n.unwind, &o->unwind);
	agent_config__release(o);
	a->cfg = n;
	__atomic_store_n(&a->log_verbose, a->cfg.verbose, __ATOMIC_RELAXED);
	__atomic_store_n(&a->log_quiet, a->cfg.quiet, __ATOMIC_RELAXED);
	STAT_ADD(a, reloads, 1);
	say(a, LOG_INFO, "configuration reloaded from %s; sending to %s every %.1f s",
	    a->cfg.config, a->cfg.url, a->cfg.interval);
}

/* ---- run ------------------------------------------------------------------- */

static int open_spool(struct agent *a)
{
	struct spool_opts so = { .dir = a->cfg.spool_dir, .max_bytes = a->cfg.spool_max_bytes };
	struct spool_stats st;

	a->spool = spool__open(&so);
	if (!a->spool) {
		char why[160];

		if (errno == EPERM && spool__check_dir(a->cfg.spool_dir, why, sizeof(why)) == -EPERM)
			say(a, LOG_ERR, "refusing the spool directory %s: it is %s, so another user "
			    "could plant links in it that cprof would write through. Give a "
			    "directory owned by uid %u with mode 0700 (chown %u %s && chmod 0700 %s), "
			    "or a path that does not exist yet: cprof creates it so",
			    a->cfg.spool_dir, why, (unsigned)geteuid(), (unsigned)geteuid(),
			    a->cfg.spool_dir, a->cfg.spool_dir);
		else if (errno == ELOOP)
			say(a, LOG_ERR, "refusing the spool directory %s: %s/.lock is a symbolic "
			    "link; remove it", a->cfg.spool_dir, a->cfg.spool_dir);
		else if (errno == EBUSY)
			say(a, LOG_ERR, "spool %s is in use by another cprof agent: give "
			    "each agent "
			    "its own --spool-dir", a->cfg.spool_dir);
		else
			say(a, LOG_ERR, "opening the spool %s: %s",
			    a->cfg.spool_dir ? a->cfg.spool_dir : "(memory)", strerror(errno));
		return -1;
	}
	spool__stats(a->spool, &st);
	if (st.recovered)
		say(a, LOG_INFO, "found %llu profiles (%llu samples) spooled by an earlier run in "
		    "%s; sending them first", (unsigned long long)st.recovered,
		    (unsigned long long)st.recovered_samples, a->cfg.spool_dir);
	if (st.corrupt)
		say(a, LOG_ERR, "deleted %llu unreadable files from the spool %s",
		    (unsigned long long)st.corrupt, a->cfg.spool_dir);
	if (st.stale_tmp)
		say(a, LOG_INFO, "deleted %llu temporary files a killed earlier run left in the "
		    "spool %s", (unsigned long long)st.stale_tmp, a->cfg.spool_dir);
	if (st.renumbered)
		say(a, LOG_INFO, "renamed %llu spool records whose sequence numbers were out of "
		    "range; they are sent after the others", (unsigned long long)st.renumbered);
	return 0;
}

/* Temporaries a killed earlier run left in the file:// backend's directory. */
static void sweep_file_backend(struct agent *a)
{
	struct exporter_url u;
	int n;

	if (exporter__parse_url(a->cfg.url, &u, NULL, 0) || u.kind != EXPORTER_FILE)
		return;
	n = atomic_file__sweep(u.base, NULL);
	if (n > 0)
		say(a, LOG_INFO, "deleted %d temporary files a killed earlier run left in %s", n,
		    u.base);
}

static int start_sampler(struct agent *a)
{
	struct session_opts so = {
		.freq = a->cfg.freq, .cycles = a->cfg.cycles, .all = !a->cfg.nr_pids,
		.idle = a->cfg.idle, .max_stacks = a->cfg.max_stacks, .verbose = a->cfg.verbose >= 2,
		.stack_size = a->cfg.stack_size, .forget_exited = true,
		.perm_fix = a->perm_fix, .cycles_fix = "use --event cpu-clock",
		.on_process = on_process, .ctx = a,
	};
	char why[512];

	/* --unwind auto (default) or dwarf: the kernel copies user stacks, the
	 * unwind tables walk them here; fp: frame pointers, in the kernel. */
	so.unwind = !a->cfg.unwind ? SESSION_UNWIND_AUTO :
		    !strcmp(a->cfg.unwind, "fp") ? SESSION_UNWIND_FP :
		    !strcmp(a->cfg.unwind, "dwarf") ? SESSION_UNWIND_DWARF : SESSION_UNWIND_AUTO;
	STAT_SET(a, stack_copy, so.unwind != SESSION_UNWIND_FP);
	snprintf(a->perm_fix, sizeof(a->perm_fix), "run as root, or give cprof CAP_BPF, "
		 "CAP_PERFMON, CAP_SYS_PTRACE and CAP_SYS_RESOURCE%s (see "
		 "dist/cprof-agent.service)", a->cfg.nr_net_ifaces ?
		 ", and CAP_NET_ADMIN for --net" : "");
	a->core = session__new(&so, why, sizeof(why));
	if (!a->core) {
		say(a, LOG_ERR, "%s", why);
		return -1;
	}
	if (session__mmap_events_why(a->core, why, sizeof(why)))
		say(a, LOG_ERR, "%s", why);
	for (size_t i = 0; i < a->cfg.nr_pids; i++)
		if (session__add_pid(a->core, a->cfg.pids[i], why, sizeof(why))) {
			say(a, LOG_ERR, "%s", why);
			return -1;
		}
	if (a->cfg.nr_net_ifaces && (start_net(a) ||
	    session__add_component(a->core, &(struct session_component){
		    .drain = net_drain, .ctx = a })))
		return -1;
	if (session__start(a->core, why, sizeof(why))) {
		say(a, LOG_ERR, "%s", why);
		return -1;
	}
	session__stats(a->core, &a->sst);
	STAT_SET(a, capture_failures, a->sst.capture_failures);
	STAT_SET(a, heartbeat_ms, now_ns(CLOCK_MONOTONIC) / 1000000);
	STAT_SET(a, sampling, 1);
	return 0;
}

/* Processes whose user stacks could not be named for want of mappings. */
static void mapping_summary(struct agent *a)
{
	struct mmap_events_stats ms;
	struct sym_stats ss;

	sym_session__stats(session__sym(a->core), &ss);
	ms = a->sst.mev;
	say(a, LOG_INFO, "processes with unknown mappings: %llu; mapping events %s: %llu records, "
	    "%llu lost (ring full)", (unsigned long long)ss.processes_unmapped,
	    a->sst.mmap_events_on ? "from the kernel" : "off", (unsigned long long)ms.records,
	    (unsigned long long)ms.lost);
	{
		char line[384];

		debuginfod_report__format(line, sizeof(line));
		if (*line)
			say(a, LOG_INFO, "%s", line);
	}
}

static void summary(struct agent *a, uint64_t left)
{
	uint64_t mem_left;
	struct uploader_stats us;
	struct spool_stats ss;
	char buf[512] = "";
	size_t off = 0;

	uploader__stats(a->up, &us);
	mem_left = spool__persist(a->spool);	/* what the disk would not take, if it does now */
	spool__stats(a->spool, &ss);
	say(a, LOG_INFO, "stopped after %llu windows: %llu samples taken, %llu profiled in %llu "
	    "profiles, %llu filtered out, %llu lost",
	    (unsigned long long)STAT_GET(a, windows),
	    (unsigned long long)STAT_GET(a, counters[CPROF_SAMPLES]),
	    (unsigned long long)STAT_GET(a, profiled), (unsigned long long)STAT_GET(a, profiles),
	    (unsigned long long)STAT_GET(a, filtered),
	    (unsigned long long)STAT_GET(a, lost_samples));
	say(a, LOG_INFO, "delivered %llu profiles (%llu samples, %llu bytes) in %llu requests; "
	    "rejected %llu profiles (%llu samples); spool dropped %llu profiles (%llu samples)",
	    (unsigned long long)us.profiles, (unsigned long long)us.samples,
	    (unsigned long long)us.bytes, (unsigned long long)us.requests,
	    (unsigned long long)us.rejected_profiles, (unsigned long long)us.rejected_samples,
	    (unsigned long long)ss.dropped, (unsigned long long)ss.dropped_samples);
	mapping_summary(a);
	if (a->net)
		say(a, LOG_INFO, "network: %llu packets, %llu bytes in %llu profiles; lost in the "
		    "kernel (counter map full): %llu packets, %llu bytes",
		    (unsigned long long)STAT_GET(a, net_packets),
		    (unsigned long long)STAT_GET(a, net_bytes),
		    (unsigned long long)STAT_GET(a, net_profiles),
		    (unsigned long long)STAT_GET(a, net_lost_packets),
		    (unsigned long long)STAT_GET(a, net_lost_bytes));
	for (int r = EXPORT_REASON_CONNECT; r < EXPORT_NR_REASONS; r++)
		if (us.failures[r])
			off += snprintf(buf + off, off < sizeof(buf) ? sizeof(buf) - off : 0,
					"%s%s %llu", off ? ", " : "", exporter__reason_name(r),
					(unsigned long long)us.failures[r]);
	if (off)
		say(a, LOG_INFO, "upload failures: %s", buf);
	if (a->cfg.spool_dir)
		say(a, ss.held || ss.mem_dropped ? LOG_ERR : LOG_INFO, "spool: %llu profiles "
		    "written to %s, %llu held in memory (it could not be written); dropped with "
		    "the memory queue full: %llu profiles (%llu samples)",
		    (unsigned long long)ss.spooled, a->cfg.spool_dir, (unsigned long long)ss.held,
		    (unsigned long long)ss.mem_dropped, (unsigned long long)ss.mem_dropped_samples);
	if (mem_left)
		say(a, LOG_ERR, "%llu profiles (%llu samples) held in memory could not be written "
		    "to %s and are lost", (unsigned long long)mem_left,
		    (unsigned long long)ss.mem_samples, a->cfg.spool_dir);
	if (left <= mem_left)
		return;
	if (a->cfg.spool_dir)
		say(a, LOG_INFO, "%llu profiles (%llu samples) stay in %s and are sent when the "
		    "agent starts again", (unsigned long long)(left - mem_left),
		    (unsigned long long)(ss.samples - ss.mem_samples), a->cfg.spool_dir);
	else
		say(a, LOG_ERR, "%llu profiles (%llu samples) could not be delivered and are lost: "
		    "give --spool-dir to keep them across restarts", (unsigned long long)left,
		    (unsigned long long)ss.samples);
}

int agent__run(struct agent_config *cfg, const struct agent_args *args)
{
	struct agent *a = calloc(1, sizeof(*a));
	struct uploader_opts uo = { .on_event = on_upload_event };
	sigset_t block, old;
	struct exporter *ex;
	const char *why_rule;
	char why[512] = "";
	int ret = 1;

	if (!a) {
		cli__err("out of memory");
		agent_config__release(cfg);
		return 1;
	}
	/* First of all, so a stop during start-up (the spool scan, the BPF load)
	 * ends the run cleanly instead of killing it half-way. */
	stop_signal__install(true);
	a->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	a->args = args;
	a->log_verbose = a->cfg.verbose;
	a->log_quiet = a->cfg.quiet;
	a->start_time = now_ns(CLOCK_REALTIME) / 1e9;
	uo.ctx = a;
	uo.backoff_min_s = a->cfg.backoff_min;
	uo.backoff_max_s = a->cfg.backoff_max;

	/* DEBUGINFOD_URLS is left set for cprof's background fetcher (see record.c). */
	if (a->cfg.debuginfod)
		(void)setenv("DEBUGINFOD_URLS", a->cfg.debuginfod, 1); /* ENOMEM: nothing fetched */
	if (session__prepare(why, sizeof(why))) {
		say(a, LOG_ERR, "%s", why);
		goto out_free;
	}
	signal(SIGPIPE, SIG_IGN);
	if (gethostname(a->hostname, sizeof(a->hostname) - 1))
		a->hostname[0] = '\0';
	if (attr_rule__parse(a->cfg.service_name ? a->cfg.service_name : "container,exe", &a->rule,
			     &why_rule)) {
		say(a, LOG_ERR, "--service-name: %s", why_rule);
		goto out_free;
	}
	if (agent_config__check_cgroup(&a->cfg, why, sizeof(why))) {
		say(a, LOG_ERR, "%s", why);
		goto out_free;
	}
	ex = make_exporter(&a->cfg, why, sizeof(why));
	if (!ex) {
		say(a, LOG_ERR, "%s", why);
		goto out_free;
	}
	if (open_spool(a)) {
		exporter__free(ex);
		goto out_free;
	}
	sweep_file_backend(a);
	a->attr = attr_cache__new(0, &a->rule, a->cfg.cgroup, a->cfg.comm);
	if (!a->attr) {
		say(a, LOG_ERR, "out of memory");
		exporter__free(ex);
		goto out_free;
	}

	/* Worker threads must not take the signals meant for this loop. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	a->up = uploader__new(a->spool, ex, &uo);
	if (!a->up) {
		say(a, LOG_ERR, "starting the upload thread: %s", strerror(errno));
		exporter__free(ex);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		goto out_free;
	}
	if (a->cfg.metrics_addr) {
		a->metrics = metrics_server__new(a->cfg.metrics_addr, render_metrics, health, a,
						 why, sizeof(why));
		if (!a->metrics) {
			say(a, LOG_ERR, "--metrics-addr: %s", why);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			goto out_free;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	if (stop_signal__get()) {	/* before anything was sampled: only the spool to flush */
		say(a, LOG_INFO, "stopped by signal %d while starting", stop_signal__get());
		summary(a, uploader__flush_and_stop(a->up, a->cfg.shutdown_timeout));
		ret = 0;
		goto out_free;
	}
	if (start_sampler(a))
		goto out_free;
	say(a, LOG_INFO, "sampling %s at %u Hz on %d CPUs (%s unwinding); a profile per service "
	    "every %.1f s to %s%s%s", a->cfg.nr_pids ? "the given pids" :
	    a->cfg.cgroup || a->cfg.comm ? "the selected processes" : "the whole machine",
	    a->cfg.freq, a->sst.nr_cpus, !a->sst.stack_window ? "frame-pointer" :
	    a->sst.uw_mode == UW_MODE_DWARF ? "dwarf" : "auto", a->cfg.interval, a->cfg.url,
	    a->cfg.spool_dir ? ", spool " : "", a->cfg.spool_dir ? a->cfg.spool_dir : "");

	while (!stop_signal__get()) {
		int64_t now;
		int err = session__poll(a->core);

		STAT_SET(a, heartbeat_ms, now_ns(CLOCK_MONOTONIC) / 1000000);
		if (err < 0) {
			run_failed(a, "reading process events", err);
			break;
		}
		if (stop_signal__take_reload())
			reload(a);
		now = now_ns(CLOCK_MONOTONIC);
		if (session__window_due(a->core, now, (int64_t)(a->cfg.interval * 1e9)))
			end_window(a, false);
		else if (session__drain_due(a->core, now))
			drain(a);
		if (STAT_GET(a, failed))
			break;
		if (session__nr_targets(a->core) && !session__targets_alive(a->core)) {
			say(a, LOG_INFO, "every target exited");
			break;
		}
	}
	/* The last events of exiting processes, then stop, then the partial window. */
	STAT_SET(a, sampling, 0);
	session__stop(a->core);
	drain(a);	/* the slot the last flip left behind */
	end_window(a, true);
	summary(a, uploader__flush_and_stop(a->up, a->cfg.shutdown_timeout));
	ret = 0;
	if (a->failure[0]) {
		if (STAT_GET(a, failed))
			say(a, LOG_ERR, "stopped by a sampler failure (%s): the profiles after it "
			    "are missing", a->failure);
		else
			say(a, LOG_ERR, "exiting 1: %s", a->failure);
		ret = 1;
	}

out_free:
	metrics_server__free(a->metrics);
	uploader__free(a->up);
	session__free(a->core);		/* before net: its component */
	net__free(a->net);	/* detaches from every interface, on every way out */
	spool__free(a->spool);
	attr_cache__free(a->attr);
	agent_config__release(&a->cfg);
	free(a);
	return ret;
}
