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
 * __name__=net; profiler/net/net.h), whose samples are packets, not CPU samples:
 * it counts as a profile, never in the CPU sample books above. */
#include "profiler/agent/agent_priv.h"

void agent__say(const struct agent *a, int level, const char *fmt, ...)
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


/* ---- process events ------------------------------------------------------- */

/* Sees each process event before the session's symbolizer: attribution
 * takes three small reads, done before the process (maybe a short-lived one)
 * is gone; an exec, which the kernel describes, one at most. */
static void on_process(void *ctx, const struct cprof_event *e)
{
	struct agent *a = ctx;

	switch (e->type) {
	case CPROF_EV_NEW:
	case CPROF_EV_FORK:
		attr_cache__capture(a->attr, e->tgid, e->start_ticks, false);
		break;
	case CPROF_EV_EXEC:
		attr_cache__exec(a->attr, e->tgid, e->start_ticks, e->comm, e->exe, e->cgroups);
		break;
	case CPROF_EV_EXIT:
		attr_cache__exited(a->attr, e->tgid, e->start_ticks);
		break;
	}
}

/* A sampler or BPF failure during the run: the agent stops, and exits 1
 * naming the first one. */
void agent__run_failed(struct agent *a, const char *what, int err)
{
	agent__say(a, LOG_ERR, "%s: %s", what, strerror(-err));
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
		agent__say(a, LOG_ERR, "--net: %s", why);
		return -1;
	}
	STAT_SET(a, net_on, 1);
	net__describe(a->net, desc, sizeof(desc));
	agent__say(a, LOG_INFO, "counting network traffic on %s", desc);
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
		agent__say(a, LOG_ERR, "draining network counters: %s", strerror(ENOMEM));
	else if (d < 0)
		agent__run_failed(a, "draining network counters", (int)d);
	if (!net__lost(a->net, &packets, &bytes)) {
		STAT_SET(a, net_lost_packets, packets);
		STAT_SET(a, net_lost_bytes, bytes);
	}
	if (!a->net_detached_seen && net__check(a->net, gone, sizeof(gone))) {
		/* Another party took cprof's programs off: no count goes on silently
		 * incomplete. The CPU profiles still go on; the exit status says it. */
		a->net_detached_seen = true;
		agent__say(a, LOG_ERR, "--net: detached by someone else: %s; traffic there is no longer "
		    "counted", gone);
		if (!a->failure[0])
			snprintf(a->failure, sizeof(a->failure), "--net detached by someone else: %s",
				 gone);
	}
}

/* Main loop: the session's Python losses into the slots the metrics
 * thread reads. A key is the reason in the top byte and the version's
 * (at most 7) characters below; a slot's key is written before the
 * count of slots in use is raised past it. */
static void note_python_losses(struct agent *a)
{
	struct loss_py_count l[PYTHON_MAX_LOSSES];
	size_t n = session__python_loss_counts(a->core, l, PYTHON_MAX_LOSSES);
	uint64_t used = a->st.py_lost_n;	/* only this thread writes it */

	for (size_t i = 0; i < n; i++) {
		uint64_t key = (uint64_t)l[i].why << 56, slot;

		for (int j = 0; j < 7 && l[i].version[j]; j++)
			key |= (uint64_t)(uint8_t)l[i].version[j] << (8 * j);
		for (slot = 0; slot < used && a->st.py_lost_key[slot] != key; slot++)
			;
		if (slot == AGENT_PY_LOST_SLOTS)
			continue;
		if (slot == used) {
			STAT_SET(a, py_lost_key[slot], key);
			__atomic_store_n(&a->st.py_lost_n, ++used, __ATOMIC_RELEASE);
		}
		STAT_SET(a, py_lost[slot], l[i].n);
	}
}

size_t agent__python_losses(struct agent *a, struct loss_py_count *ret, size_t max)
{
	size_t n = __atomic_load_n(&a->st.py_lost_n, __ATOMIC_ACQUIRE);

	n = n < max ? n : max;
	for (size_t i = 0; i < n; i++) {
		uint64_t key = STAT_GET(a, py_lost_key[i]);

		ret[i] = (struct loss_py_count){ .why = (enum loss_py_reason)(key >> 56),
						 .n = STAT_GET(a, py_lost[i]) };
		for (int j = 0; j < 7; j++)
			ret[i].version[j] = (char)(key >> (8 * j));
	}
	return n;
}

int agent__drain(struct agent *a, bool stats)
{
	int64_t now = session__clock_ns(CLOCK_MONOTONIC);
	uint64_t c[CPROF_NR_COUNTERS];
	int64_t d;

	if (!session__raw(a->core))	/* out of memory at the last window: stopping */
		return -ENOMEM;
	d = session__drain(a->core);	/* and net_drain(), a component */

	a->drain_history = a->drain_history << 1 | (d < 0);
	if (d < 0) {
		agent__say(a, LOG_ERR, "draining samples: %s", strerror((int)-d));
		if (__builtin_popcount(a->drain_history & ((1u << DRAIN_HISTORY) - 1)) >=
		    DRAIN_FAILURES_MAX)
			agent__run_failed(a, "draining samples", (int)d);
		return (int)d;
	}
	if (!stats && now - a->stats_ns < STATS_EVERY_NS)
		return 0;
	a->stats_ns = now;
	session__stats(a->core, &a->sst);
	STAT_SET(a, capture_failures, a->sst.capture_failures);
	STAT_SET(a, kuw_on, a->sst.kernel_walk);
	for (int i = 0; i < CPROF_UWC_NR; i++)
		STAT_SET(a, kuw_walks[i], a->sst.uw_counts[i]);
	for (int i = 0; i < KUNWIND_NR_FALLBACKS; i++)
		STAT_SET(a, kuw_fallback[i], a->sst.kuw.fallback[i]);
	STAT_SET(a, kuw_table_bytes, a->sst.kuw.rows * sizeof(struct cprof_uw_row));
	STAT_SET(a, kuw_tables_evicted, a->sst.kuw.evicted);
	for (int i = 0; i < SAMPLER_NR_MAP_KINDS; i++)
		STAT_SET(a, map_bytes[i], a->sst.map_bytes[i]);
	if (session__counters(a->core, c) == 0)
		for (int i = 0; i < CPROF_NR_COUNTERS; i++)
			STAT_SET(a, counters[i], c[i]);
	note_python_losses(a);
	if (session__uw_stats(a->core)) {
		const struct uw_stats_entry *t = uw_stats__total(session__uw_stats(a->core));

		STAT_SET(a, unwind_stacks, t->stacks);
		for (int i = 0; i < UW_NR_STOPS; i++)
			STAT_SET(a, unwind_stops[i], t->stops[i]);
	}
	return 0;
}

static int start_sampler(struct agent *a)
{
	struct session_opts so = {
		.freq = a->cfg.freq, .cycles = a->cfg.cycles, .all = !a->cfg.nr_pids,
		.idle = a->cfg.idle, .profile_self = a->cfg.profile_self,
		.no_python = a->cfg.no_python, .max_stacks = a->cfg.max_stacks, .verbose = a->cfg.verbose >= 2,
		.stack_size = a->cfg.stack_size, .forget_exited = true,
		.off_cpu = a->cfg.off_cpu,
		.off_cpu_min_ns = (uint64_t)(a->cfg.off_cpu_min * 1e9 + 0.5),
		.off_cpu_ppm = (uint32_t)(a->cfg.off_cpu_probability * 1e6 + 0.5),
		.perm_fix = a->perm_fix, .cycles_fix = "use --event cpu-clock",
		.on_process = on_process, .ctx = a,
	};
	char why[512];

	/* --unwind auto (default): walked in the kernel with the unwind tables,
	 * stack copies where it cannot; copy or dwarf: the kernel copies user
	 * stacks, the unwind tables walk them here; fp: frame pointers, in the
	 * kernel. */
	so.unwind = !a->cfg.unwind ? SESSION_UNWIND_AUTO :
		    !strcmp(a->cfg.unwind, "fp") ? SESSION_UNWIND_FP :
		    !strcmp(a->cfg.unwind, "copy") ? SESSION_UNWIND_COPY :
		    !strcmp(a->cfg.unwind, "dwarf") ? SESSION_UNWIND_DWARF : SESSION_UNWIND_AUTO;
	STAT_SET(a, stack_copy, so.unwind != SESSION_UNWIND_FP);
	STAT_SET(a, off_cpu_on, so.off_cpu);
	STAT_SET(a, off_cpu_ppm, so.off_cpu_ppm);
	snprintf(a->perm_fix, sizeof(a->perm_fix), "run as root, or give cprof CAP_BPF, "
		 "CAP_PERFMON, CAP_SYS_PTRACE and CAP_SYS_RESOURCE%s (see "
		 "dist/cprof-agent.service)", a->cfg.nr_net_ifaces ?
		 ", and CAP_NET_ADMIN for --net" : "");
	a->core = session__new(&so, why, sizeof(why));
	if (!a->core) {
		agent__say(a, LOG_ERR, "%s", why);
		return -1;
	}
	if (session__mmap_events_why(a->core, why, sizeof(why)))
		agent__say(a, LOG_ERR, "%s", why);
	for (size_t i = 0; i < a->cfg.nr_pids; i++)
		if (session__add_pid(a->core, a->cfg.pids[i], why, sizeof(why))) {
			agent__say(a, LOG_ERR, "%s", why);
			return -1;
		}
	if (a->cfg.nr_net_ifaces && (start_net(a) ||
	    session__add_component(a->core, &(struct session_component){
		    .drain = net_drain, .ctx = a })))
		return -1;
	if (session__start(a->core, why, sizeof(why))) {
		agent__say(a, LOG_ERR, "%s", why);
		return -1;
	}
	session__stats(a->core, &a->sst);
	STAT_SET(a, capture_failures, a->sst.capture_failures);
	STAT_SET(a, heartbeat_ms, session__clock_ns(CLOCK_MONOTONIC) / 1000000);
	STAT_SET(a, sampling, 1);
	return 0;
}

/* Processes whose user stacks could not be named for want of mappings. */
static void mapping_summary(struct agent *a)
{
	char buf[256];

	session__mapping_summary(a->core, buf, sizeof(buf));
	agent__say(a, LOG_INFO, "%s", buf);
	{
		char line[384];

		debuginfod_report__format(line, sizeof(line));
		if (*line)
			agent__say(a, LOG_INFO, "%s", line);
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
	agent__say(a, LOG_INFO, "stopped after %llu %s: %llu samples taken, %llu profiled in %llu "
	    "profiles, %llu filtered out, %llu lost",
	    (unsigned long long)STAT_GET(a, windows),
	    cli__plural(STAT_GET(a, windows), "window", "windows"),
	    (unsigned long long)STAT_GET(a, counters[CPROF_SAMPLES]),
	    (unsigned long long)STAT_GET(a, profiled), (unsigned long long)STAT_GET(a, profiles),
	    (unsigned long long)STAT_GET(a, filtered),
	    (unsigned long long)STAT_GET(a, lost_samples));
	agent__say(a, LOG_INFO, "delivered %llu profiles (%llu samples, %llu bytes) in %llu requests; "
	    "rejected %llu profiles (%llu samples); spool dropped %llu profiles (%llu samples)",
	    (unsigned long long)us.profiles, (unsigned long long)us.samples,
	    (unsigned long long)us.bytes, (unsigned long long)us.requests,
	    (unsigned long long)us.rejected_profiles, (unsigned long long)us.rejected_samples,
	    (unsigned long long)ss.dropped, (unsigned long long)ss.dropped_samples);
	mapping_summary(a);
	if (STAT_GET(a, off_cpu_on)) {
		uint64_t c[CPROF_NR_COUNTERS];
		char lost[1024];

		agent_render__counters(a, c);
		losses__format(c, lost, sizeof(lost));
		agent__say(a, LOG_INFO, "off-CPU: %.3f s in %llu profiles (blocks recorded with "
		    "probability %g, their time scaled back), %.3f s filtered out, %.3f s lost; "
		    "lost: %s", STAT_GET(a, off_cpu_profiled_ns) / 1e9,
		    (unsigned long long)STAT_GET(a, off_cpu_profiles), STAT_GET(a, off_cpu_ppm) / 1e6,
		    STAT_GET(a, off_cpu_filtered_ns) / 1e9, losses__off_cpu_lost_ns(c) / 1e9, lost);
	}
	if (a->net)
		agent__say(a, LOG_INFO, "network: %llu packets, %llu bytes in %llu profiles; lost in the "
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
		agent__say(a, LOG_INFO, "upload failures: %s", buf);
	if (a->cfg.spool_dir)
		agent__say(a, ss.held || ss.mem_dropped ? LOG_ERR : LOG_INFO, "spool: %llu profiles "
		    "written to %s, %llu held in memory (it could not be written); dropped with "
		    "the memory queue full: %llu profiles (%llu samples)",
		    (unsigned long long)ss.spooled, a->cfg.spool_dir, (unsigned long long)ss.held,
		    (unsigned long long)ss.mem_dropped, (unsigned long long)ss.mem_dropped_samples);
	if (mem_left)
		agent__say(a, LOG_ERR, "%llu profiles (%llu samples) held in memory could not be written "
		    "to %s and are lost", (unsigned long long)mem_left,
		    (unsigned long long)ss.mem_samples, a->cfg.spool_dir);
	if (left <= mem_left)
		return;
	if (a->cfg.spool_dir)
		agent__say(a, LOG_INFO, "%llu profiles (%llu samples) stay in %s and are sent when the "
		    "agent starts again", (unsigned long long)(left - mem_left),
		    (unsigned long long)(ss.samples - ss.mem_samples), a->cfg.spool_dir);
	else
		agent__say(a, LOG_ERR, "%llu profiles (%llu samples) could not be delivered and are lost: "
		    "give --spool-dir to keep them across restarts", (unsigned long long)left,
		    (unsigned long long)ss.samples);
}

/* ---- the loop's callbacks (session__run) ------------------------------------ */

static void after_poll(void *ctx)
{
	struct agent *a = ctx;

	STAT_SET(a, heartbeat_ms, session__clock_ns(CLOCK_MONOTONIC) / 1000000);
	if (stop_signal__take_reload())
		agent_reload__apply(a);
}

static bool on_window(void *ctx)
{
	agent_window__close(ctx, false);
	return false;
}

static bool on_drain(void *ctx)
{
	agent__drain(ctx, false);
	return false;
}

static bool failed(void *ctx)
{
	struct agent *a = ctx;

	return STAT_GET(a, failed);
}

int agent__run(struct agent_config *cfg, const struct agent_args *args)
{
	struct agent *a = calloc(1, sizeof(*a));
	struct uploader_opts uo = { .on_event = agent_ship__on_upload_event,
				    .after_request = agent_ship__after_upload };
	sigset_t block, old;
	struct exporter *ex;
	const char *why_rule;
	char why[512] = "";
	int ret = 1, err = 0;

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
	a->start_time = session__clock_ns(CLOCK_REALTIME) / 1e9;
	uo.ctx = a;
	uo.backoff_min_s = a->cfg.backoff_min;
	uo.backoff_max_s = a->cfg.backoff_max;

	/* DEBUGINFOD_URLS is left set for cprof's background fetcher (see record.c). */
	if (a->cfg.debuginfod)
		(void)setenv("DEBUGINFOD_URLS", a->cfg.debuginfod, 1); /* ENOMEM: nothing fetched */
	if (session__prepare(why, sizeof(why))) {
		agent__say(a, LOG_ERR, "%s", why);
		goto out_free;
	}
	signal(SIGPIPE, SIG_IGN);
	if (gethostname(a->hostname, sizeof(a->hostname) - 1))
		a->hostname[0] = '\0';
	if (attr_rule__parse(a->cfg.service_name ? a->cfg.service_name : "container,exe", &a->rule,
			     &why_rule)) {
		agent__say(a, LOG_ERR, "--service-name: %s", why_rule);
		goto out_free;
	}
	if (agent_config__check_cgroup(&a->cfg, why, sizeof(why))) {
		agent__say(a, LOG_ERR, "%s", why);
		goto out_free;
	}
	ex = agent_reload__exporter(&a->cfg, why, sizeof(why));
	if (!ex) {
		agent__say(a, LOG_ERR, "%s", why);
		goto out_free;
	}
	if (agent_ship__open_spool(a)) {
		exporter__free(ex);
		goto out_free;
	}
	agent_ship__sweep_file_backend(a);
	/* libdw's decompressed DWARF as file pages the kernel can take back */
	err = sym_debug_spill__set_dir(a->cfg.spool_dir ? a->cfg.spool_dir : "/var/tmp");
	if (err)
		agent__say(a, LOG_DEBUG, "debug files decompressed in memory: %s cannot hold them (%s)",
			   a->cfg.spool_dir ? a->cfg.spool_dir : "/var/tmp", strerror(-err));
	err = 0;
	a->attr = attr_cache__new(0, &a->rule, a->cfg.cgroup, a->cfg.comm);
	if (!a->attr) {
		agent__say(a, LOG_ERR, "out of memory");
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
		agent__say(a, LOG_ERR, "starting the upload thread: %s", strerror(errno));
		exporter__free(ex);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		goto out_free;
	}
	if (a->cfg.metrics_addr) {
		a->metrics = metrics_server__new(a->cfg.metrics_addr, agent_render__metrics, agent_render__health, a,
						 why, sizeof(why));
		if (!a->metrics) {
			agent__say(a, LOG_ERR, "--metrics-addr: %s", why);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			goto out_free;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	if (stop_signal__get()) {	/* before anything was sampled: only the spool to flush */
		agent__say(a, LOG_INFO, "stopped by signal %d while starting", stop_signal__get());
		summary(a, uploader__flush_and_stop(a->up, a->cfg.shutdown_timeout));
		ret = 0;
		goto out_free;
	}
	if (start_sampler(a))
		goto out_free;
	agent__say(a, LOG_INFO, "sampling %s at %u Hz on %d CPUs (%s unwinding); a profile per service "
	    "every %.1f s to %s%s%s", a->cfg.nr_pids ? "the given pids" :
	    a->cfg.cgroup || a->cfg.comm ? "the selected processes" : "the whole machine",
	    a->cfg.freq, a->sst.nr_cpus, !a->sst.stack_window ? "frame-pointer" :
	    a->sst.uw_mode == UW_MODE_DWARF ? "dwarf" : "auto", a->cfg.interval, a->cfg.url,
	    a->cfg.spool_dir ? ", spool " : "", a->cfg.spool_dir ? a->cfg.spool_dir : "");

	switch (session__run(a->core, &(struct session_loop){
			.end_mono = INT64_MAX, .window_ns = (int64_t)(a->cfg.interval * 1e9),
			.max_wait_ms = SESSION_DRAIN_NS / 1000000,
			.after_poll = after_poll, .on_window = on_window, .on_drain = on_drain,
			.should_stop = failed, .ctx = a }, &err)) {
	case SESSION_END_POLL:
		agent__run_failed(a, "reading process events", err);
		break;
	case SESSION_END_TARGETS:
		agent__say(a, LOG_INFO, "every target exited");
		break;
	default:
		break;
	}
	/* The last events of exiting processes, then stop, then the partial window. */
	STAT_SET(a, sampling, 0);
	session__stop(a->core);
	agent__drain(a, true);	/* the slot the last flip left behind */
	agent_window__close(a, true);
	summary(a, uploader__flush_and_stop(a->up, a->cfg.shutdown_timeout));
	ret = 0;
	if (a->failure[0]) {
		if (STAT_GET(a, failed))
			agent__say(a, LOG_ERR, "stopped by a sampler failure (%s): the profiles after it "
			    "are missing", a->failure);
		else
			agent__say(a, LOG_ERR, "exiting 1: %s", a->failure);
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
