// SPDX-License-Identifier: MIT
/* agent_window: closing a window. The samples drained in it are split by
 * service (agent_attr), filtered (--cgroup/--comm) and chunked; one pprof
 * delta per chunk is built and spooled, with the --net profile beside;
 * then the exited processes are forgotten and the next window starts. */
#include "profiler/agent/agent_groups.h"
#include "profiler/agent/agent_priv.h"

/* ---- windows: split by service, build, spool ------------------------------- */

struct window_out {
	uint64_t seq;
	int64_t time_nanos, duration_nanos;
	size_t profiles;
	uint64_t samples, bytes;
};

static int set_labels(struct agent *a, struct delta *d, const struct agent_group *g)
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
 * split in two halves first (each half its own delta). values: the CPU
 * profile, or the off-CPU one (its own series, __name__=DELTA_OFF_CPU_NAME:
 * each backend names it at send time). */
static int emit(struct agent *a, const struct agent_group *g, const struct raw_profile *rp,
		struct window_out *w, enum pprof_build_values values)
{
	char id[DELTA_ID_STR_LEN], line1[160], line2[1024], line3[80], line4[1024], line5[160];
	const char *comments[5] = { line1, line2, line3 };
	struct pprof_build_opts bo = {
		.freq = a->cfg.freq, .time_nanos = w->time_nanos,
		.duration_nanos = w->duration_nanos, .comments = comments, .nr_comments = 3,
		.low_cardinality = true, .values = values,
	};
	const Perftools__Profiles__Profile *msg;
	struct pb_profile *prof = NULL;
	struct delta *d = delta__new();
	bool off_cpu = values == PPROF_BUILD_OFF_CPU;
	/* off-CPU samples are not CPU samples: the sample books stay the CPU's */
	uint64_t samples = off_cpu ? 0 : raw_profile__total(rp);
	size_t len, off = 0, n = raw_profile__nr_samples(rp);
	int err = -ENOMEM;

	if (!d || (off_cpu && delta__set_label(d, "__name__", DELTA_OFF_CPU_NAME)) || set_labels(a, d, g))
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
	/* since the agent started, one reason and version a line */
	session__python_losses(a->core, line4, sizeof(line4));
	if (line4[0])
		comments[bo.nr_comments++] = line4;
	if (off_cpu) {	/* sampling is not a loss, but the figure goes with the profile */
		snprintf(line5, sizeof(line5), "off-CPU: blocks of at least %.3f ms, recorded with "
			 "probability %g, their time scaled by %g", a->cfg.off_cpu_min * 1e3,
			 a->cfg.off_cpu_probability, 1 / a->cfg.off_cpu_probability);
		comments[bo.nr_comments++] = line5;
	}

	if ((err = pprof_build(rp, session__sym(a->core), &bo, &prof, NULL)))
		goto out_free;
	msg = pb_profile__finish(prof);
	err = -ENOMEM;
	if (!msg)
		goto out_free;
	len = perftools__profiles__profile__get_packed_size(msg);
	if (len > MAX_PPROF_BYTES && n > 1) {
		struct raw_profile *lo = agent_groups__sub_profile(rp, 0, n / 2), *hi = agent_groups__sub_profile(rp, n / 2, n);

		err = lo && hi ? emit(a, g, lo, w, values) : -ENOMEM;
		if (!err)
			err = emit(a, g, hi, w, values);
		raw_profile__free(lo);
		raw_profile__free(hi);
		goto out_free;
	}
	if (pack_pprof(d, msg, len))
		goto out_free;
	d->time_nanos = w->time_nanos;
	d->duration_nanos = w->duration_nanos;
	d->samples = samples;
	if ((err = agent_ship__spool_delta(a, d, g->service)))
		goto out_free;
	/* Spooled, or dropped and counted by the spool or agent_ship__spool_delta(): either
	 * way it is accounted for, so the window goes on. */
	STAT_ADD(a, profiled, samples);
	if (off_cpu) {
		STAT_ADD(a, off_cpu_profiles, 1);
		STAT_ADD(a, off_cpu_profiled_ns, raw_profile__off_ns(rp));
	}
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
		if ((err = set_labels(a, d, &(struct agent_group){ .service = "network" })))
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
		if ((err = agent_ship__spool_delta(a, d, "network")))
			goto out;
		STAT_ADD(a, net_profiles, 1);
		STAT_ADD(a, profiles, 1);
		STAT_ADD(a, profile_bytes, d->pprof_len);
	}
out:
	if (err) {
		STAT_ADD(a, build_errors, 1);
		agent__say(a, LOG_ERR, "building the network profile: %s: %llu packets lost",
		    strerror(-err), (unsigned long long)st.packets);
	} else {
		STAT_ADD(a, net_packets, st.packets);
		STAT_ADD(a, net_bytes, st.bytes);
	}
	agent__say(a, LOG_DEBUG, "window %llu: net: %llu packets, %llu bytes in %d profiles",
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
	/* a->sst: as of this window's drain (agent__drain(a, true)), read once */
	STAT_SET(a, capture_failures, a->sst.capture_failures);
	if (a->sst.mmap_events_on) {
		STAT_SET(a, mapping_records, a->sst.mev.records);
		STAT_SET(a, mapping_records_lost, a->sst.mev.lost);
	}
	STAT_SET(a, sym_binaries, ss.binaries_cached);
	STAT_SET(a, sym_binaries_evicted, ss.binaries_evicted);
	STAT_SET(a, sym_binaries_shed, ss.binaries_shed);
	STAT_SET(a, attr_entries, as.entries);
	STAT_SET(a, attr_evictions, as.evictions);
	STAT_SET(a, attr_fallbacks, as.fallbacks);
	STAT_SET(a, attr_memo_replaced, as.memo_replaced);
	STAT_SET(a, attr_cgroup_hits, as.cgroup_hits);
	STAT_SET(a, forgotten, as.forgotten);
	STAT_SET(a, unwind_tables_bytes, ss.unwind_table_bytes);
	STAT_SET(a, unwind_tables_evicted, ss.unwind_tables_evicted);
	STAT_SET(a, unwind_cfi_dropped, ss.unwind_cfi_dropped);
	for (int r = 0; r < SAFE_FILE_NR_REFUSALS; r++) {
		STAT_SET(a, perf_maps_refused[r], ss.perf_maps_refused[r]);
		STAT_SET(a, mapped_files_refused[r], ss.mapped_files_refused[r]);
	}
}

/* The off-CPU entries of rp (each a stack's blocks, summed in the kernel). */
/* As record's summary does at its end: once a runtime's stacks mostly
 * end in JIT code (counted since the agent started), the flag that would
 * make them whole, in the log once per runtime. */
static void tell_runtime_hints(struct agent *a)
{
	struct runtime_hint h;
	char buf[300];

	session__runtime_hint(a->core, &h);
	for (int r = SYM_RUNTIME_NONE + 1; r < SYM_NR_RUNTIMES; r++) {
		if ((a->runtimes_hinted & (1u << r)) || !runtime_hint__due(&h, r))
			continue;
		a->runtimes_hinted |= 1u << r;
		runtime_hint__format_one(&h, r, buf, sizeof(buf));
		agent__say(a, LOG_INFO, "%s", buf);
	}
}

static uint64_t off_entries(const struct raw_profile *rp)
{
	uint64_t n = 0;

	for (size_t i = 0; i < raw_profile__nr_samples(rp); i++)
		n += raw_profile__sample(rp, i)->state != 0;
	return n;
}

static const struct attr_info *lookup(void *ctx, const struct raw_sample *s)
{
	struct agent *a = ctx;

	return attr_cache__get(a->attr, s->pid, s->start_ticks, s->comm);
}

/* Closes the window: drain, split by service, build and spool one delta per
 * service (and chunk), forget exited processes, start the next window. */
void agent_window__close(struct agent *a, bool last)
{
	struct window_out w = {0};
	struct window_span span;
	struct raw_profile *raw;
	struct agent_groups gs = {0};
	struct agent_groups_tally t = {0};

	if (agent__drain(a, true) == -ENOMEM && !session__raw(a->core))
		return;
	session__close_window(a->core, &span);
	w.seq = span.seq;
	w.time_nanos = span.time_nanos;
	w.duration_nanos = span.duration_nanos;

	raw = session__raw(a->core);
	agent_groups__split(&gs, raw, lookup, a, a->cfg.max_samples_per_profile, &t);
	for (size_t i = 0; i < gs.n; i++)
		for (size_t j = 0; j < gs.g[i].nr_chunks; j++) {
			const struct raw_profile *c = gs.g[i].chunks[j];
			uint64_t total = raw_profile__total(c), off_ns = raw_profile__off_ns(c);

			/* a chunk of blocks alone has no CPU profile */
			if ((total || !off_ns) && emit(a, &gs.g[i], c, &w, PPROF_BUILD_CPU)) {
				STAT_ADD(a, build_errors, 1);
				t.lost += total;
				agent__say(a, LOG_ERR, "building the profile of %s: out of memory: %llu "
				    "samples lost", gs.g[i].service, (unsigned long long)total);
			}
			if (off_ns && emit(a, &gs.g[i], c, &w, PPROF_BUILD_OFF_CPU)) {
				STAT_ADD(a, build_errors, 1);
				t.off_lost += off_entries(c);
				t.off_lost_ns += off_ns;
				agent__say(a, LOG_ERR, "building the off-CPU profile of %s: out of "
				    "memory: %.3f s of off-CPU time lost", gs.g[i].service,
				    off_ns / 1e9);
			}
		}
	agent_groups__release(&gs);
	emit_net(a, &w);
	STAT_ADD(a, filtered, t.filtered);
	STAT_ADD(a, lost_samples, t.lost);
	STAT_ADD(a, off_cpu_filtered, t.off_filtered);
	STAT_ADD(a, off_cpu_filtered_ns, t.off_filtered_ns);
	STAT_ADD(a, off_cpu_lost, t.off_lost);
	STAT_ADD(a, off_cpu_lost_ns, t.off_lost_ns);
	STAT_ADD(a, windows, 1);
	tell_runtime_hints(a);
	agent__say(a, LOG_DEBUG, "window %llu: %llu samples in %zu profiles, %llu filtered out, "
	    "%llu lost; "
	    "%.1f s, %llu pprof bytes", (unsigned long long)w.seq, (unsigned long long)w.samples,
	    w.profiles, (unsigned long long)t.filtered, (unsigned long long)t.lost,
	    w.duration_nanos / 1e9, (unsigned long long)w.bytes);
	if (a->cfg.off_cpu)
		agent__say(a, LOG_DEBUG, "window %llu: off-CPU %.3f s filtered out, %.3f s lost",
		    (unsigned long long)w.seq, t.off_filtered_ns / 1e9, t.off_lost_ns / 1e9);
	if (w.profiles || a->net)
		uploader__kick(a->up);

	/* Everything of this window is built: exited processes can go. */
	attr_cache__forget_exited(a->attr, !last && w.seq % SWEEP_EVERY_WINDOWS == 0, forget, a);
	if (session__end_window(a->core, last)) {	/* and processes exited two windows ago */
		agent__say(a, LOG_ERR, "out of memory");
		stop_signal__request(SIGTERM);
	}
	update_cache_stats(a);
}

