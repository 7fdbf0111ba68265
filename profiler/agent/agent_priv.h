/* SPDX-License-Identifier: MIT */
/* agent_priv: the agent's state, shared by the files of profiler/agent/
 * (agent.c runs the loop, agent_window.c closes windows, agent_ship.c feeds
 * the spool and hears the uploader, agent_render.c serves the metrics,
 * agent_reload.c applies SIGHUP). Not for use outside profiler/agent/. */
#ifndef CPROF_AGENT_PRIV_H
#define CPROF_AGENT_PRIV_H

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
#include "profiler/agent/agent.h"
#include "profiler/debuginfod_report.h"
#include "profiler/agent/agent_attr.h"
#include "profiler/agent/agent_metrics.h"
#include "profiler/core/losses.h"
#include "profiler/core/mmap_events.h"
#include "profiler/net/net.h"
#include "profiler/core/pprof_build.h"
#include "profiler/core/python.h"
#include "profiler/core/raw_profile.h"
#include "profiler/core/sampler.h"
#include "profiler/core/session.h"
#include "profiler/core/stop_signal.h"
#include "symbolize/sym_debug_spill.h"
#include "symbolize/sym_debuginfod.h"
#include "symbolize/sym_session.h"
#include "symbolize/unwinder.h"

#define HEALTH_STALL_MS		30000		/* /healthz: main loop stuck this long */
/* Failed drains among the last DRAIN_HISTORY: the sampler is broken, stop.
 * Not "in a row": with one slot's map broken every other drain fails. */
#define DRAIN_FAILURES_MAX	5
#define DRAIN_HISTORY		16
#define MAX_PPROF_BYTES		(4u << 20)	/* Pyroscope's bound on one uncompressed profile */
#define SWEEP_EVERY_WINDOWS	6		/* look for exits we missed */
#define FAILURE_LOG_INTERVAL_S	60.0
#define AGENT_PY_LOST_SLOTS	32		/* Python losses told apart in the metrics */
/* The kernel's counters and map sizes into the metrics at most this often
 * between windows (each window publishes): a dozen syscalls and /proc
 * reads a second were a tenth of the agent's CPU, for metrics scraped far
 * less often. */
#define STATS_EVERY_NS		5000000000LL

enum { LOG_ERR, LOG_INFO, LOG_DEBUG };

/* Counters shared with the metrics thread: written by one thread, read with
 * atomic loads. */
struct agent_stats {
	uint64_t counters[CPROF_NR_COUNTERS];	/* the BPF program's, cumulative */
	uint64_t windows, profiled, filtered, profiles, profile_bytes;
	uint64_t lost_samples, spool_write_errors, build_errors;
	uint64_t capture_failures, reloads, reload_failures;
	uint64_t sym_processes, sym_binaries, sym_binaries_evicted, sym_binaries_shed, sym_processes_evicted;
	uint64_t processes_unmapped, mapping_records, mapping_records_lost;	/* mmap_events */
	uint64_t attr_entries, attr_evictions, attr_fallbacks, attr_memo_replaced, forgotten;
	uint64_t attr_cgroup_hits;
	uint64_t unwind_stacks, unwind_stops[UW_NR_STOPS];	/* stack-copy mode */
	uint64_t unwind_tables_bytes, unwind_tables_evicted, unwind_cfi_dropped;
	/* --unwind auto: kernel walks by outcome (enum cprof_uw_counter), the
	 * processes left to stack copies, table rows in the kernel, binaries
	 * whose rows were evicted for room */
	uint64_t kuw_on, kuw_walks[CPROF_UWC_NR], kuw_fallback[KUNWIND_NR_FALLBACKS];
	uint64_t kuw_table_bytes, kuw_tables_evicted, map_bytes[SAMPLER_NR_MAP_KINDS];
	uint64_t perf_maps_refused[SAFE_FILE_NR_REFUSALS], mapped_files_refused[SAFE_FILE_NR_REFUSALS];
	uint64_t net_packets, net_bytes, net_profiles, net_lost_packets, net_lost_bytes;
	uint64_t off_cpu_profiles, off_cpu_profiled_ns;	/* --off-cpu */
	uint64_t off_cpu_filtered, off_cpu_filtered_ns;	/* entries, ns: --cgroup/--comm */
	uint64_t off_cpu_lost, off_cpu_lost_ns;		/* CPROF_DROP_OFFCPU_UNSHIPPED */
	/* Python frames lost: each (reason, version) keeps the slot it got
	 * first (key: agent__note_python_losses()); py_lost_n slots in use */
	uint64_t py_lost_n, py_lost_key[AGENT_PY_LOST_SLOTS], py_lost[AGENT_PY_LOST_SLOTS];
	/* What the main loop set up and how it runs, for render_metrics() and
	 * health(): never a pointer the main loop writes (a->net, ...). */
	uint64_t net_on, off_cpu_on, off_cpu_ppm, stack_copy, sampling, failed, heartbeat_ms;
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
	uint32_t drain_history;			/* a bit per drain, newest lowest: 1 failed */
	int64_t stats_ns;			/* main loop: last agent__drain() publish */
	bool net_detached_seen;
	uint32_t runtimes_hinted;		/* main loop: 1 << enum sym_runtime, told once */
	/* upload thread only (its event callback) */
	double last_failure_log;
	uint64_t failures_unlogged;
};

void agent__say(const struct agent *a, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* agent.c: the loop's drain (0 or -errno, counted and said), publishing
 * the kernel's counters if stats or they are STATS_EVERY_NS old, and a
 * failure that stops the agent (exit 1 naming the first). */
int agent__drain(struct agent *a, bool stats);
/* The Python losses as of the last drain, up to max of them (metrics
 * thread); their number. */
size_t agent__python_losses(struct agent *a, struct loss_py_count *ret, size_t max);
void agent__run_failed(struct agent *a, const char *what, int err);

/* agent_window.c: drain, split by service, build and spool, forget the
 * exited, start the next window. */
void agent_window__close(struct agent *a, bool last);

/* agent_ship.c */
void agent_ship__on_upload_event(void *ctx, const struct upload_event *ev);
void agent_ship__after_upload(void *ctx);
int agent_ship__open_spool(struct agent *a);
void agent_ship__sweep_file_backend(struct agent *a);
int agent_ship__spool_delta(struct agent *a, const struct delta *d, const char *service);

/* agent_render.c: the metrics server's callbacks (its thread). */
void agent_render__metrics(void *ctx, FILE *f);
/* The loss counters: the sampler's as of the last drain and the agent's own. */
void agent_render__counters(const struct agent *a, uint64_t c[CPROF_NR_COUNTERS]);
bool agent_render__health(void *ctx, char *why, size_t len);

/* agent_reload.c */
struct exporter *agent_reload__exporter(const struct agent_config *c, char *why, size_t len);
void agent_reload__apply(struct agent *a);

#endif /* CPROF_AGENT_PRIV_H */
