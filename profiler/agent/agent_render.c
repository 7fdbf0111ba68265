// SPDX-License-Identifier: MIT
/* agent_render: the agent's Prometheus text and its /healthz answer, run on
 * the metrics thread: they read only the atomic counters (STAT_GET) and the
 * thread-safe stats of the spool and uploader. */
#include "profiler/agent/agent_priv.h"

/* ---- metrics ---------------------------------------------------------------- */

static void metric(FILE *f, const char *name, const char *type, const char *help,
		   unsigned long long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

void agent_render__counters(const struct agent *a, uint64_t c[CPROF_NR_COUNTERS])
{
	for (int i = 0; i < CPROF_NR_COUNTERS; i++)
		c[i] = STAT_GET(a, counters[i]);
	/* the agent's own losses, after the drain */
	c[CPROF_DROP_OFFCPU_UNSHIPPED] += STAT_GET(a, off_cpu_lost);
	c[CPROF_OFFCPU_UNSHIPPED_NS] += STAT_GET(a, off_cpu_lost_ns);
}

void agent_render__metrics(void *ctx, FILE *f)
{
	struct agent *a = ctx;
	uint64_t c[CPROF_NR_COUNTERS];
	struct loss_py_count py[AGENT_PY_LOST_SLOTS];
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
	agent_render__counters(a, c);
	losses__write_metrics(c, f);
	losses__write_python_metrics(py, agent__python_losses(a, py, AGENT_PY_LOST_SLOTS), f);
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
	if (STAT_GET(a, off_cpu_on)) {	/* --off-cpu; drops are in cprof_drops_total */
		metric(f, "cprof_off_cpu_switches_total", "counter",
		       "Target threads switched out (off-CPU events seen).",
		       STAT_GET(a, counters[CPROF_OFFCPU_SWITCHES]));
		metric(f, "cprof_off_cpu_unsampled_total", "counter",
		       "Switch-outs left out by --off-cpu-probability.",
		       STAT_GET(a, counters[CPROF_OFFCPU_UNSAMPLED]));
		metric(f, "cprof_off_cpu_short_total", "counter",
		       "Blocks shorter than --off-cpu-min, not recorded.",
		       STAT_GET(a, counters[CPROF_OFFCPU_SHORT]));
		metric(f, "cprof_off_cpu_recorded_total", "counter",
		       "Blocks recorded with their stacks.",
		       STAT_GET(a, counters[CPROF_OFFCPU_RECORDED]));
		metric(f, "cprof_off_cpu_profiles_total", "counter",
		       "Off-CPU profile deltas created.",
		       STAT_GET(a, off_cpu_profiles));
		fprintf(f, "# HELP cprof_off_cpu_profiled_seconds_total Off-CPU time put into profile "
			"deltas (scaled by 1/--off-cpu-probability).\n"
			"# TYPE cprof_off_cpu_profiled_seconds_total counter\n"
			"cprof_off_cpu_profiled_seconds_total %.9f\n",
			STAT_GET(a, off_cpu_profiled_ns) / 1e9);
		fprintf(f, "# HELP cprof_off_cpu_filtered_seconds_total Off-CPU time left out by "
			"--cgroup or --comm (as cprof_filtered_samples_total: not a loss).\n"
			"# TYPE cprof_off_cpu_filtered_seconds_total counter\n"
			"cprof_off_cpu_filtered_seconds_total %.9f\n",
			STAT_GET(a, off_cpu_filtered_ns) / 1e9);
		/* sampling is not a loss: the time is scaled back, the figure shown */
		fprintf(f, "# HELP cprof_off_cpu_probability --off-cpu-probability: the share of "
			"switch-outs recorded, their time scaled by its inverse.\n"
			"# TYPE cprof_off_cpu_probability gauge\n"
			"cprof_off_cpu_probability %g\n", STAT_GET(a, off_cpu_ppm) / 1e6);
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
	/* Prometheus' convention for "when did it last work": alert on
	 * time() - this; 0 until the first delivery. A backend delivered to
	 * before a reload keeps its line. */
	fprintf(f, "# HELP cprof_last_upload_success_timestamp_seconds When the backend last "
		"accepted profiles (unix seconds; 0: not yet).\n"
		"# TYPE cprof_last_upload_success_timestamp_seconds gauge\n");
	for (int k = 0; k < EXPORTER_NR_KINDS; k++)
		if (k == (int)us.kind || us.last_success_s[k] > 0)
			fprintf(f, "cprof_last_upload_success_timestamp_seconds{backend=\"%s\"} "
				"%.3f\n", exporter__kind_name(k), us.last_success_s[k]);
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
	metric(f, "cprof_process_cgroup_known_total", "counter",
	       "Execs whose cgroup was known by the kernel's name for their set of cgroups, with no "
	       "read of /proc.",
	       STAT_GET(a, attr_cgroup_hits));
	metric(f, "cprof_process_execs_unsampled_total", "counter",
	       "Processes that exec'd and exited unsampled: their exec never left the kernel "
	       "(--unwind auto).", STAT_GET(a, counters[CPROF_EXECS_UNSAMPLED]));
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
	{
		struct sym_debug_spill_stats sp;

		sym_debug_spill__stats(&sp);
		metric(f, "cprof_debug_files_spilled_total", "counter",
		       "Debug files with compressed sections handed to libdw decompressed on disk "
		       "(unnamed files in the spool directory or /var/tmp) rather than in memory.",
		       sp.files);
		metric(f, "cprof_debug_files_spilled_bytes_total", "counter",
		       "Decompressed bytes of the debug files spilled to disk.", sp.bytes);
		metric(f, "cprof_debug_file_spill_failures_total", "counter",
		       "Debug files that could not be spilled (decompressed in memory instead).",
		       sp.failed);
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
	metric(f, "cprof_symbolizer_binaries_shed_total", "counter",
	       "Times an idle binary let go of its symbols and DWARF (what it named stays known).",
	       STAT_GET(a, sym_binaries_shed));
	if (STAT_GET(a, stack_copy)) {
		metric(f, "cprof_unwind_stacks_total", "counter",
		       "User stacks unwound from stack copies (--unwind auto or dwarf).",
		       STAT_GET(a, unwind_stacks));
		fprintf(f, "# HELP cprof_unwind_stops_total How unwound stacks ended (complete or "
			"why not).\n# TYPE cprof_unwind_stops_total counter\n");
		for (int i = 0; i < UW_NR_STOPS; i++)
			fprintf(f, "cprof_unwind_stops_total{stop=\"%s\"} %llu\n", uw_stop__key(i),
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
	if (STAT_GET(a, kuw_on)) {
		static const char *const fb[KUNWIND_NR_FALLBACKS] = { "table_memory", "mappings",
								     "mappings_unknown" };

		fprintf(f, "# HELP cprof_kernel_unwind_walks_total User stacks walked in the kernel "
			"(--unwind auto) by how the walk ended; copied: sent to the stack copy "
			"instead.\n# TYPE cprof_kernel_unwind_walks_total counter\n");
		for (int i = 0; i < CPROF_UWC_NR; i++)
			if (i != CPROF_UWC_TRUNCATED && i != CPROF_UWC_NO_MAPPING)
				fprintf(f, "cprof_kernel_unwind_walks_total{outcome=\"%s\"} %llu\n",
					i == CPROF_UWC_COPIED ? "copied" : uw_stop__key(i),
					(unsigned long long)STAT_GET(a, kuw_walks[i]));
		fprintf(f, "# HELP cprof_kernel_unwind_fallbacks_total Processes left to the stack "
			"copy, by reason.\n# TYPE cprof_kernel_unwind_fallbacks_total counter\n");
		for (int i = 0; i < KUNWIND_NR_FALLBACKS; i++)
			fprintf(f, "cprof_kernel_unwind_fallbacks_total{reason=\"%s\"} %llu\n", fb[i],
				(unsigned long long)STAT_GET(a, kuw_fallback[i]));
		metric(f, "cprof_kernel_unwind_table_bytes", "gauge",
		       "Unwind table rows in the kernel (bounded by --unwind-memory).",
		       STAT_GET(a, kuw_table_bytes));
		metric(f, "cprof_kernel_unwind_tables_evicted_total", "counter",
		       "Binaries whose unwind table rows left the kernel for room (no target "
		       "mapped them).", STAT_GET(a, kuw_tables_evicted));
	}
	{
		static const char *const kinds[SAMPLER_NR_MAP_KINDS] = { "tables", "stacks", "counts",
									"other" };

		fprintf(f, "# HELP cprof_bpf_map_bytes Kernel memory held by cprof's BPF maps.\n"
			"# TYPE cprof_bpf_map_bytes gauge\n");
		for (int i = 0; i < SAMPLER_NR_MAP_KINDS; i++)
			fprintf(f, "cprof_bpf_map_bytes{kind=\"%s\"} %llu\n", kinds[i],
				(unsigned long long)STAT_GET(a, map_bytes[i]));
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

/* GET /healthz: 200 while the sampler runs and the main loop turns. */
bool agent_render__health(void *ctx, char *why, size_t len)
{
	struct agent *a = ctx;
	int64_t idle_ms = session__clock_ns(CLOCK_MONOTONIC) / 1000000 - (int64_t)STAT_GET(a, heartbeat_ms);

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

