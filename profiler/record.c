// SPDX-License-Identifier: MIT
/* The record session: check the request, open the output (so an unwritable
 * path fails before sampling), start the session (profiler/core/session.h)
 * and maybe the command, loop on its events and 1 s drains until a stop
 * condition, then close the one window: symbolize and write through the
 * export writer. Signals only set a flag; the file is written on every way
 * out but a crash. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "base/proc.h"
#include "base/atomic_file.h"
#include "export/pb_profile.h"
#include "export/profile_write.h"
#include "profiler/cli.h"
#include "profiler/core/lat_hist.h"
#include "profiler/core/launch.h"
#include "profiler/core/losses.h"
#include "profiler/core/session.h"
#include "profiler/core/stop_signal.h"
#include "profiler/net/net.h"
#include "profiler/debuginfod_report.h"
#include "profiler/core/pprof_build.h"
#include "profiler/core/raw_profile.h"
#include "profiler/record.h"
#include "profiler/record_net.h"
#include "profiler/record_summary.h"
#include "symbolize/sym_debuginfod.h"
#include "symbolize/sym_kallsyms.h"
#include "symbolize/sym_session.h"

#define STOP_GRACE_MS		2000	/* a command's time to exit on a forwarded stop signal */
#define PERM_FIX	"run as root, or give cprof CAP_BPF and CAP_PERFMON, and CAP_SYSLOG to " \
	"name kernel frames (e.g. setcap cap_bpf,cap_perfmon,cap_syslog+ep cprof)"

struct rec {
	const struct record_opts *o;
	struct session *core;
	struct session_stats st;	/* read at the end */
	struct launch child;
	bool have_child, child_exited;
	int child_status;
	int sampler_err;	/* first sampler failure (-errno): the run exits 1 */
	struct family_cpu *fam;	/* --pid without --follow-children: per pid, or NULL */
};

/* The CPU a --pid target and its descendants had used at the start, so the
 * end can tell a target that slept while its children (not profiled) ran. */
struct family_cpu {
	uint64_t start_ticks, self, desc;
	bool ok;
};

#define HINT_MIN_CHILD_S	0.2	/* children's CPU worth a hint, seconds */

static void family_cpu_start(struct rec *r)
{
	const struct record_opts *o = r->o;

	if (!o->nr_pids || o->follow_children || o->quiet)
		return;
	r->fam = calloc(o->nr_pids, sizeof(*r->fam));
	for (size_t i = 0; r->fam && i < o->nr_pids; i++) {
		struct family_cpu *f = &r->fam[i];

		f->ok = !proc__start_ticks(o->pids[i], &f->start_ticks) &&
			!proc__family_ticks(o->pids[i], &f->self, &f->desc);
	}
}

/* One line per target that ran little while its descendants ran more. */
static void family_cpu_hint(struct rec *r)
{
	const struct record_opts *o = r->o;
	double tck = (double)sysconf(_SC_CLK_TCK);

	for (size_t i = 0; r->fam && i < o->nr_pids; i++) {
		const struct family_cpu *f = &r->fam[i];
		uint64_t st, self, desc;
		double self_s, desc_s;

		if (!f->ok || proc__start_ticks(o->pids[i], &st) || st != f->start_ticks ||
		    proc__family_ticks(o->pids[i], &self, &desc) || desc < f->desc)
			continue;	/* gone (or reused): nothing honest to say */
		self_s = (double)(self - f->self) / tck;
		desc_s = (double)(desc - f->desc) / tck;
		if (desc_s >= HINT_MIN_CHILD_S && desc_s > 2 * self_s)
			cli__err("hint: pid %d used %.2f s of CPU while its child processes, "
				 "which --pid does not profile, used %.2f s: add --follow-children",
				 (int)o->pids[i], self_s, desc_s);
	}
}

static void reap_child(struct rec *r, bool block)
{
	int status;
	pid_t p;

	if (!r->have_child || r->child_exited)
		return;
	do
		p = waitpid(r->child.pid, &status, block ? 0 : WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p == r->child.pid) {
		r->child_exited = true;
		r->child_status = WIFEXITED(status) ? WEXITSTATUS(status) :
				  128 + WTERMSIG(status);
	}
}

static int write_output(const struct record_opts *o, struct atomic_file *af,
			const Perftools__Profiles__Profile *msg)
{
	struct profile_write_opts wo = {
		.format = o->format == RECORD_FOLDED ? PROFILE_FORMAT_FOLDED :
			  o->format == RECORD_SVG ? PROFILE_FORMAT_SVG : PROFILE_FORMAT_PPROF,
		.folded_group = "comm",
	};

	return profile_write__commit(af, msg, &wo);
}

static int write_flamegraph(struct atomic_file *af, const Perftools__Profiles__Profile *msg)
{
	return profile_write__commit(af, msg, &(struct profile_write_opts){
		.format = PROFILE_FORMAT_SVG });
}

/* What --off-cpu saw, for the summary and the profile's comments. */
static void off_cpu_line(const struct record_opts *o, const uint64_t c[CPROF_NR_COUNTERS],
			 const struct raw_profile *raw, char *buf, size_t len)
{
	snprintf(buf, len, "off-CPU: %llu blocks recorded, %.3f s in all; %llu switch-outs seen, "
		 "%llu blocks shorter than --off-cpu-min %.3f ms left out; %.3f s of off-CPU time lost",
		 (unsigned long long)c[CPROF_OFFCPU_RECORDED], raw_profile__off_ns(raw) / 1e9,
		 (unsigned long long)c[CPROF_OFFCPU_SWITCHES],
		 (unsigned long long)c[CPROF_OFFCPU_SHORT], o->off_cpu_min_ns / 1e6,
		 losses__off_cpu_lost_ns(c) / 1e9);
}

#define KALLSYMS_HIDDEN "kernel frames are unnamed: /proc/kallsyms shows only zero " \
	"addresses to cprof (kernel.kptr_restrict); run as root or grant CAP_SYSLOG"

/* The Python losses: one profile comment and one stderr line each. */
static int python_losses(struct rec *r, struct pb_profile *prof, bool print)
{
	char buf[1024], *save = NULL;

	session__python_losses(r->core, buf, sizeof(buf));
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (prof && pb_profile__add_comment(prof, l))
			return -ENOMEM;
		if (print)
			cli__err("%s", l);
	}
	return 0;
}

static int finish(struct rec *r, struct atomic_file *af, struct atomic_file *fg_af,
		  int64_t t0_real, int64_t dur_ns)
{
	const struct record_opts *o = r->o;
	struct sym_session *sym = session__sym(r->core);
	struct raw_profile *raw = session__raw(r->core);
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	char losses[1024], line1[128], line2[1152], line3[256], line4[1024] = "", line5[640];
	char line6[384], line7[256], mappings[256], offcpu[256], hint[768];
	struct lat_hist_summary lat;
	struct runtime_hint hints;
	uint64_t fetches;
	const char *comments[7] = { line1, line2, line3, line4 };
	struct sym_stats ss;
	struct pprof_build_opts bo = {
		.freq = o->freq, .time_nanos = t0_real, .duration_nanos = dur_ns,
		.comments = comments, .nr_comments = 3,
		.values = o->off_cpu ? PPROF_BUILD_CPU_OFF_CPU : PPROF_BUILD_CPU,
	};
	struct pprof_build_stats bs = {0};
	struct pb_profile *prof = NULL;
	const Perftools__Profiles__Profile *msg;
	int64_t drained;
	bool hidden;
	int err;

	/* Both slots: whatever the last flip left behind, and the current one. */
	for (int i = 0; i < 2; i++) {
		drained = session__drain(r->core);
		if (drained < 0) {
			/* what was drained is still written; the run fails after */
			cli__err("draining samples: %s", strerror((int)-drained));
			if (!r->sampler_err)
				r->sampler_err = (int)drained;
		}
	}
	session__stats(r->core, &r->st);
	if (r->st.stack_window)
		bo.nr_comments = 4;
	err = session__counters(r->core, c);
	if (err) {
		cli__err("reading the loss counters: %s", strerror(-err));
		return 1;
	}
	losses__format(c, losses, sizeof(losses));

	snprintf(line1, sizeof(line1), "cprof %s; event %s at %u Hz on %d CPUs",
		 CPROF_VERSION, o->cycles ? "cycles" : "cpu-clock", o->freq,
		 r->st.nr_cpus);
	snprintf(line2, sizeof(line2), "samples %llu; lost: %s",
		 (unsigned long long)c[CPROF_SAMPLES], losses);
	/* after pprof_build they would count its misses too */
	sym_session__stats(sym, &ss);
	session__mapping_summary(r->core, mappings, sizeof(mappings));
	snprintf(line3, sizeof(line3), "process captures failed: %llu; processes with unknown "
		 "mappings: %llu; mapping events: %s, %llu lost",
		 (unsigned long long)r->st.capture_failures,
		 (unsigned long long)ss.processes_unmapped, r->st.mmap_events_on ? "on" : "off",
		 (unsigned long long)r->st.mev.lost);

	if (r->st.stack_window)
		record_summary__unwind(r->core, &r->st, c, false, line4, sizeof(line4));
	session__runtime_hint(r->core, &hints);
	if (runtime_hint__format(&hints, hint, sizeof(hint)))
		comments[bo.nr_comments++] = hint;
	if (o->off_cpu) {
		off_cpu_line(o, c, raw, offcpu, sizeof(offcpu));
		comments[bo.nr_comments++] = offcpu;
	}
	hidden = sym_kallsyms__probe_hidden(NULL) == 1;	/* unnamed kernel frames: say why */
	if (hidden)
		comments[bo.nr_comments++] = KALLSYMS_HIDDEN;
	fetches = sym_debuginfod__generation();
	/* the first mapping is the program the user named; -a: the busiest */
	bo.main_pid = o->cmd ? (uint32_t)r->child.pid : o->nr_pids ? (uint32_t)o->pids[0] : 0;
	err = pprof_build(raw, sym, &bo, &prof, &bs);
	/* debug info asked for while symbolizing: wait for it, then again */
	if (!err && debuginfod_report__settle(o->quiet, fetches)) {
		pb_profile__free(prof);
		prof = NULL;
		err = pprof_build(raw, sym, &bo, &prof, &bs);
	}
	debuginfod_report__format(line6, sizeof(line6));
	if (!err && *line6 && pb_profile__add_comment(prof, line6))
		err = -ENOMEM;
	if (!err)
		err = python_losses(r, prof, false);
	if (err) {
		cli__err("building the profile: %s", strerror(-err));
		return 1;
	}
	/* symbolizing opened the files: their refusals are known only now */
	record_summary__refusals(r->core, line5, sizeof(line5));
	msg = !*line5 || !pb_profile__add_comment(prof, line5) ? pb_profile__finish(prof) : NULL;
	err = msg ? write_output(o, af, msg) : -ENOMEM;
	if (err) {
		cli__err("writing %s: %s", o->output, strerror(-err));
		pb_profile__free(prof);
		return 1;
	}
	if (o->flamegraph && (err = write_flamegraph(fg_af, msg))) {
		cli__err("writing %s: %s", o->flamegraph, strerror(-err));
		pb_profile__free(prof);
		return 1;
	}
	if (!o->quiet) {
		uint64_t total = raw_profile__total(raw);
		size_t procs = record_summary__processes(raw);

		cli__err("%llu %s from %zu %s over %.1f s at %u Hz on %d %s; lost: %s",
			(unsigned long long)total, cli__plural(total, "sample", "samples"),
			procs, cli__plural(procs, "process", "processes"), dur_ns / 1e9, o->freq,
			r->st.nr_cpus, cli__plural((uint64_t)r->st.nr_cpus, "CPU", "CPUs"), losses);
		if (o->all)
			record_summary__top_processes(raw, 5);
		cli__err("%s", mappings);
		cli__err("BPF maps: %.1f MiB (tables %.1f, stacks %.1f, counts %.1f, other %.1f)",
			 (r->st.map_bytes[0] + r->st.map_bytes[1] + r->st.map_bytes[2] +
			  r->st.map_bytes[3]) / 1048576.0, r->st.map_bytes[0] / 1048576.0,
			 r->st.map_bytes[1] / 1048576.0, r->st.map_bytes[2] / 1048576.0,
			 r->st.map_bytes[3] / 1048576.0);
		if (r->st.prog_runs)	/* kernel.bpf_stats_enabled: what a sample cost */
			cli__err("BPF program: %llu runs, %.0f ns a run on average",
				 (unsigned long long)r->st.prog_runs,
				 (double)r->st.prog_ns / (double)r->st.prog_runs);
		if (!lat_hist__summary(c, &lat)) {	/* the bench's CPROF_BPF_LATENCY=1 */
			lat_hist__format(&lat, line7, sizeof(line7));
			cli__err("%s", line7);
		}
		cli__err("symbolized %llu of %llu locations; wrote %s",
			(unsigned long long)bs.symbolized, (unsigned long long)bs.locations,
			strcmp(o->output, "-") ? o->output : "standard output");
		if (bs.func_starts)
			cli__err("%llu of them named only by their function start "
				"(FILE+0xADDR: stripped code without symbols or debug info)",
				(unsigned long long)bs.func_starts);
		record_summary__missing_symbols(&bs, 3);
		if (o->off_cpu)
			cli__err("%s", offcpu);
		if (o->flamegraph)
			cli__err("wrote flame graph %s", o->flamegraph);
		if (*line5)
			cli__err("%s", line5);
		if (*line6)
			cli__err("%s", line6);
		python_losses(r, NULL, true);
	}
	if (r->st.stack_window && !o->quiet)
		record_summary__unwind(r->core, &r->st, c, true, line4, sizeof(line4));
	if (*hint && !o->quiet)
		cli__err("%s", hint);
	if (hidden && !o->quiet)
		cli__err("%s", KALLSYMS_HIDDEN);
	family_cpu_hint(r);
	pb_profile__free(prof);
	if (r->sampler_err) {
		cli__err("sampling failed: %s; the profile holds what was sampled "
			"before", strerror(-r->sampler_err));
		return 1;
	}
	return 0;
}

/* Every --pid must exist before the output is created. */
static int check_pids(const struct record_opts *o)
{
	for (size_t i = 0; i < o->nr_pids; i++) {
		uint64_t st;

		if (proc__start_ticks(o->pids[i], &st)) {
			cli__err("pid %d does not exist", o->pids[i]);
			return -ESRCH;
		}
	}
	return 0;
}

/* Starts the command held before exec and samples it. 0 or 1 having said why. */
static int start_command(struct rec *r)
{
	char why[256];
	int err;

	r->child.stdout_to_stderr = r->o->cmd_stdout_to_stderr;
	r->child.user = r->o->user;
	err = launch__start(&r->child, r->o->cmd);
	if (err) {
		cli__err("starting %s: %s", r->o->cmd[0], strerror(-err));
		return 1;
	}
	r->have_child = true;
	if (session__follow(r->core, r->child.pid, why, sizeof(why))) {
		cli__err("%s", why);
		return 1;
	}
	return 0;
}

static bool on_drain(void *ctx)
{
	struct rec *r = ctx;
	int64_t d = session__tick(r->core);

	if (d < 0) {
		cli__err("draining samples: %s", strerror((int)-d));
		r->sampler_err = (int)d;
		return true;
	}
	return false;
}

static bool child_exited(void *ctx)
{
	struct rec *r = ctx;

	reap_child(r, false);
	return r->child_exited;
}

/* Samples until -d, a signal, the command's exit or every target's. */
static void run_loop(struct rec *r)
{
	const struct record_opts *o = r->o;
	struct session_loop l = {
		.end_mono = o->duration > 0 ? session__clock_ns(CLOCK_MONOTONIC) +
			    (int64_t)(o->duration * 1e9) : INT64_MAX,
		.ignore_targets = r->have_child, .on_drain = on_drain,
		.should_stop = r->have_child ? child_exited : NULL, .ctx = r,
	};
	int err = 0;

	if (session__run(r->core, &l, &err) == SESSION_END_POLL) {
		cli__err("reading process events: %s", strerror(-err));
		r->sampler_err = err;
	}
}

int record__run(const struct record_opts *o)
{
	struct rec r = { .o = o, .child = { .go_fd = -1, .err_fd = -1 } };
	struct session_opts so = {
		.freq = o->freq, .cycles = o->cycles, .all = o->all, .idle = o->idle,
		.follow_forks = o->cmd != NULL || o->follow_children, .max_stacks = o->max_stacks,
		.profile_self = o->profile_self, .verbose = o->verbose, .stack_size = o->stack_size,
		.off_cpu = o->off_cpu, .off_cpu_min_ns = o->off_cpu_min_ns,
		.no_python = o->no_python,
		.unwind = o->unwind == RECORD_UNWIND_FP ? SESSION_UNWIND_FP :
			  o->unwind == RECORD_UNWIND_DWARF ? SESSION_UNWIND_DWARF :
			  o->unwind == RECORD_UNWIND_COPY ? SESSION_UNWIND_COPY : SESSION_UNWIND_AUTO,
		.unwind_bytes = o->unwind_memory,
		.perm_fix = PERM_FIX, .cycles_fix = "drop --event cycles to use cpu-clock",
	};
	struct atomic_file af = {0}, fg_af = {0};
	struct atomic_file net_af = {0};	/* --net */
	struct net *net = NULL;			/* --net */
	struct window_span span;
	char why[512];
	int ret = 1, err, sig;

	/* DEBUGINFOD_URLS is left set: only cprof's background fetcher reads it
	 * (symbolize/sym_debuginfod.h); libdwfl's own finders, which would fetch
	 * synchronously, are never called (sym_elf.c gives its own callbacks). */
	if (session__prepare(why, sizeof(why))) {
		cli__err("%s", why);
		return 1;
	}
	if (!o->nr_pids && !o->all && !o->cmd)	/* --net alone */
		return record_net__run_only(o);
	/* Before anything is created: a stop signal during the BPF load ends
	 * the run cleanly rather than killing it with a temporary file left. */
	stop_signal__install(false);
	if (check_pids(o))
		return 1;
	err = atomic_file__open(&af, o->output);
	if (err) {
		cli__err("cannot write %s: %s", o->output, strerror(-err));
		return 1;
	}
	if (o->flamegraph && (err = atomic_file__open(&fg_af, o->flamegraph))) {
		cli__err("cannot write %s: %s", o->flamegraph, strerror(-err));
		atomic_file__abort(&af);
		return 1;
	}

	r.core = session__new(&so, why, sizeof(why));
	if (!r.core) {
		cli__err("%s", why);
		goto out_abort;
	}
	if (session__mmap_events_why(r.core, why, sizeof(why)))	/* before the command runs */
		cli__err("%s", why);
	for (size_t i = 0; i < o->nr_pids; i++)
		if (session__add_pid(r.core, o->pids[i], why, sizeof(why))) {
			cli__err("%s", why);
			goto out_abort;
		}
	if (o->cmd && start_command(&r))
		goto out_kill_child;

	if (o->nr_net_ifaces) {	/* --net: drained with the samples */
		if (record_net__begin(o, &net_af, &net))
			goto out_kill_child;
		if (session__add_component(r.core, &(struct session_component){
				.drain = record_net__tick, .ctx = net }))
			goto out_kill_child;
	}
	if (session__start(r.core, why, sizeof(why))) {
		cli__err("%s", why);
		goto out_kill_child;
	}
	if ((sig = stop_signal__get())) {	/* before sampling began: nothing to write, the command not run */
		cli__err("stopped by %s before sampling began; nothing written",
			strsignal(sig));
		ret = 128 + sig;
		goto out_kill_child;
	}
	if (r.have_child) {
		err = launch__release(&r.child);
		if (err) {
			cli__err("cannot run %s%s%s: %s", o->cmd[0], o->user ? " as user " : "",
				 o->user ? o->user_name : "", strerror(-err));
			reap_child(&r, true);
			ret = r.child_exited ? r.child_status : 127;
			goto out_abort;
		}
	}

	family_cpu_start(&r);
	run_loop(&r);
	/* Let the last events of exiting processes be captured, then stop sampling. */
	session__stop(r.core);

	/* As perf does: the command may not have had the signal (kill, timeout,
	 * systemd send it to cprof alone); forward it, and do not wait forever
	 * for a command that ignores it. */
	sig = stop_signal__get();
	if (sig && r.have_child && !r.child_exited)
		kill(r.child.pid, sig);
	session__close_window(r.core, &span);
	ret = finish(&r, &af, &fg_af, span.time_nanos, span.duration_nanos);
	if (!ret && net)	/* --net */
		ret = record_net__end(o, net, &net_af, span.time_nanos, span.duration_nanos);
	if (ret)
		goto out_kill_child;
	if (r.have_child && sig && !r.child_exited) {
		bool killed;
		int st = launch__wait(&r.child, STOP_GRACE_MS, &killed);

		if (killed)
			cli__err("%s did not exit on %s within %d s: killed it",
				o->cmd[0], strsignal(sig), STOP_GRACE_MS / 1000);
		r.child_exited = st >= 0;
		r.child_status = st >= 0 ? st : 128 + SIGKILL;
	}
	if (r.have_child) {
		reap_child(&r, true);
		ret = r.child_status;
	}
	goto out_free;

out_kill_child:
	if (r.have_child && !r.child_exited) {
		kill(r.child.pid, SIGKILL);
		reap_child(&r, true);
	}
out_abort:
	atomic_file__abort(&af);
	atomic_file__abort(&fg_af);
out_free:
	atomic_file__abort(&net_af);	/* --net: a no-op once written */
	session__free(r.core);		/* before net: its component */
	net__free(net);			/* --net: detaches on every way out */
	launch__release_fds(&r.child);
	free(r.fam);
	return ret;
}
