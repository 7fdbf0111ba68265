// SPDX-License-Identifier: MIT
/* The record session: check the request, open the output (so an unwritable
 * path fails before sampling), load and start the sampler, loop on process
 * events and 1 s drains until a stop condition, then symbolize and write.
 * Signals only set a flag; the file is written on every way out but a crash. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "base/proc.h"
#include "base/atomic_file.h"
#include "export/pb_profile.h"
#include "export/profile_write.h"
#include "profiler/cli.h"
#include "profiler/core/collect.h"
#include "profiler/core/launch.h"
#include "profiler/core/losses.h"
#include "profiler/core/mmap_events.h"
#include "profiler/net.h"
#include "profiler/debuginfod_report.h"
#include "profiler/pprof_build.h"
#include "profiler/core/raw_profile.h"
#include "profiler/record.h"
#include "profiler/core/sampler.h"
#include "symbolize/sym_debuginfod.h"
#include "symbolize/kallsyms.h"
#include "symbolize/symbolizer.h"

#define DRAIN_INTERVAL_NS	1000000000LL
#define POLL_MS			100
#define STOP_GRACE_MS		2000	/* a command's time to exit on a forwarded stop signal */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

struct target {
	pid_t pid;
	uint64_t start_ticks;
	bool gone;
};

struct session {
	const struct record_opts *o;
	struct sampler *sampler;
	struct sym_session *sym;
	struct mmap_events *mev;	/* maps from the kernel as they happen; NULL: /proc only */
	struct raw_profile *raw;
	struct target *targets;
	size_t nr_targets;
	struct launch child;
	bool have_child, child_exited;
	int child_status;
	uint64_t capture_failures;
	int sampler_err;	/* first sampler failure (-errno): the run exits 1 */
	size_t refreshed_upto;	/* raw samples already checked by refresh_mappings() */
	/* stack-copy mode */
	uint32_t stack_window;	/* 0: frame pointers */
	enum uw_mode uw_mode;
	struct uw_stats *uw_stats;
};

static void raise_nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_event(void *ctx, const struct cprof_event *e)
{
	struct session *s = ctx;
	int err = 0;

	switch (e->type) {
	case CPROF_EV_NEW:
	case CPROF_EV_FORK:
		err = sym_session__add_process(s->sym, e->tgid, e->start_ticks);
		break;
	case CPROF_EV_EXEC:
		err = sym_session__exec(s->sym, e->tgid, e->start_ticks);
		break;
	case CPROF_EV_EXIT:
		for (size_t i = 0; i < s->nr_targets; i++)
			if (s->targets[i].pid == (pid_t)e->tgid &&
			    s->targets[i].start_ticks == e->start_ticks)
				s->targets[i].gone = true;
		break;
	}
	if (err)
		s->capture_failures++;
}

/* Sampler callback, stack-copy mode. */
static int unwind_record(void *ctx, const struct cprof_stack_record *r, const void *stack,
			 uint64_t *ips, uint32_t max)
{
	struct session *s = ctx;
	struct collect_unwind cu = { .sym = s->sym, .mode = s->uw_mode,
				     .stack_window = s->stack_window, .stats = s->uw_stats };

	return collect__unwind_record(&cu, r, stack, ips, max);
}

static void report_bpf_error(const char *what, int err)
{
	if (err == -EPERM || err == -EACCES)
		cli__err("%s: %s: run as root, or give cprof CAP_BPF and "
			"CAP_PERFMON, and CAP_SYSLOG to name kernel frames (e.g. setcap "
			"cap_bpf,cap_perfmon,cap_syslog+ep cprof)",
			what, strerror(-err));
	else
		cli__err("%s: %s", what, strerror(-err));
}

static void refresh_mappings(struct session *s)
{
	s->refreshed_upto = collect__refresh_mappings(s->sym, s->raw, s->refreshed_upto,
						      &s->capture_failures);
}

static bool targets_alive(struct session *s)
{
	bool any = false;

	for (size_t i = 0; i < s->nr_targets; i++) {
		struct target *t = &s->targets[i];
		uint64_t st;

		if (!t->gone && (proc__start_ticks(t->pid, &st) || st != t->start_ticks))
			t->gone = true;
		any |= !t->gone;
	}
	return any;
}

static void reap_child(struct session *s, bool block)
{
	int status;
	pid_t r;

	if (!s->have_child || s->child_exited)
		return;
	do
		r = waitpid(s->child.pid, &status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == s->child.pid) {
		s->child_exited = true;
		s->child_status = WIFEXITED(status) ? WEXITSTATUS(status) :
				  128 + WTERMSIG(status);
	}
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* What a user needs to trust stacks unwound from copies: how many are
 * complete and, per binary, where and why the others stopped, with the fix.
 * Writes the overall line to buf (also a profile comment); prints the
 * per-binary lines unless quiet. */
static void unwind_summary(struct session *s, const uint64_t c[CPROF_NR_COUNTERS], bool print,
			   char *buf, size_t len)
{
	const struct uw_stats_entry *t = uw_stats__total(s->uw_stats);
	uint32_t kib = s->stack_window / 1024, next = s->stack_window * 2;
	struct sym_stats ss;
	size_t off;

	if (next > CPROF_STACK_COPY_MAX)
		next = CPROF_STACK_COPY_MAX;
	off = (size_t)snprintf(buf, len, "user stacks: %llu unwound (%s, %u KiB window, %.1f KiB "
			       "copied on average): %.1f %% complete",
			       (unsigned long long)t->stacks,
			       s->uw_mode == UW_MODE_AUTO ? "auto" : "dwarf", kib,
			       c[CPROF_USTACK_COPIES] ? (double)c[CPROF_USTACK_BYTES] /
			       (double)c[CPROF_USTACK_COPIES] / 1024.0 : 0.0,
			       pct(t->stops[UW_STOP_OUTERMOST], t->stacks));
	for (int r = 1; r < UW_NR_STOPS; r++)
		if (t->stops[r] && off < len)
			off += (size_t)snprintf(buf + off, len - off, ", %.1f %% %s",
						pct(t->stops[r], t->stacks), uw_stop__name(r));
	sym_session__stats(s->sym, &ss);
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "; unwind tables: %llu built in %.0f ms, "
					"%.1f MiB, %llu CFI rows not expressible",
					(unsigned long long)ss.unwind_tables_built,
					ss.unwind_build_ns / 1e6, ss.unwind_table_bytes / 1048576.0,
					(unsigned long long)ss.unwind_rows_unsupported);
	if (ss.unwind_cfi_dropped && off < len)
		snprintf(buf + off, len - off, ", %llu CFI entries dropped (malformed or over limits)",
			 (unsigned long long)ss.unwind_cfi_dropped);
	if (!print)
		return;
	cli__err("%s", buf);
	for (size_t i = 0; i < uw_stats__count(s->uw_stats); i++) {
		const struct uw_stats_entry *e = uw_stats__entry(s->uw_stats, i);
		const char *name = basename_of(e->name);

		for (int r = 1; r < UW_NR_STOPS; r++) {
			double p = pct(e->stops[r], t->stacks);

			/* truncation from 0.1 %: the user can fix it; the rest from 1 % */
			if (p < (r == UW_STOP_TRUNCATED ? 0.1 : 1.0))
				continue;
			switch (r) {
			case UW_STOP_TRUNCATED:
				if (s->stack_window < CPROF_STACK_COPY_MAX)
					cli__err("%s: %.1f %% of stacks truncated at %u KiB; "
						"try --stack-size %u", name, p, kib, next);
				else
					cli__err("%s: %.1f %% of stacks truncated at %u KiB "
						"(the maximum)", name, p, kib);
				break;
			case UW_STOP_NO_INFO:
				cli__err("%s: %.1f %% of stacks stop in code without unwind "
					"information%s", name, p, s->uw_mode == UW_MODE_AUTO ?
					" nor a frame pointer" : "; --unwind auto follows frame pointers there");
				break;
			default:
				cli__err("%s: %.1f %% of stacks stop: %s", name, p,
					uw_stop__name(r));
			}
		}
	}
}

/* Files other users control that were refused (safe_file.h), as "perf maps
 * refused: 1 not a regular file; mapped files refused: ..."; "" when none. */
static void refusals_summary(struct session *s, char *buf, size_t len)
{
	struct sym_stats ss;
	size_t off = 0;
	char why[256];

	buf[0] = '\0';
	sym_session__stats(s->sym, &ss);
	if (safe_file__format_refusals(ss.perf_maps_refused, why, sizeof(why)))
		off += (size_t)snprintf(buf, len, "perf maps refused: %s", why);
	if (safe_file__format_refusals(ss.mapped_files_refused, why, sizeof(why)) && off < len)
		snprintf(buf + off, len - off, "%smapped files refused: %s", off ? "; " : "", why);
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

struct proc_id {
	uint32_t pid;
	uint64_t start_ticks;
};

static int cmp_proc_id(const void *a, const void *b)
{
	const struct proc_id *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start_ticks < y->start_ticks ? -1 : x->start_ticks > y->start_ticks;
}

/* Distinct processes, (pid, start time), among the samples: all of them. */
static size_t count_processes(const struct raw_profile *rp)
{
	size_t n = raw_profile__nr_samples(rp), distinct = 0;
	struct proc_id *ids = malloc((n ? n : 1) * sizeof(*ids));

	if (!ids)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct raw_sample *s = raw_profile__sample(rp, i);

		ids[i] = (struct proc_id){ s->pid, s->start_ticks };
	}
	qsort(ids, n, sizeof(*ids), cmp_proc_id);
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || cmp_proc_id(&ids[i - 1], &ids[i]) != 0;
	free(ids);
	return distinct;
}

static int write_flamegraph(struct atomic_file *af, const Perftools__Profiles__Profile *msg)
{
	return profile_write__commit(af, msg, &(struct profile_write_opts){
		.format = PROFILE_FORMAT_SVG });
}

#define KALLSYMS_HIDDEN "kernel frames are unnamed: /proc/kallsyms shows only zero " \
	"addresses to cprof (kernel.kptr_restrict); run as root or grant CAP_SYSLOG"

static int finish(struct session *s, struct atomic_file *af, struct atomic_file *fg_af,
		  int64_t t0_real, int64_t dur_ns)
{
	const struct record_opts *o = s->o;
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	char losses[512], line1[128], line2[640], line3[256], line4[512] = "", line5[640];
	char line6[384];
	uint64_t fetches;
	const char *comments[5] = { line1, line2, line3, line4 };
	struct mmap_events_stats ms;
	struct sym_stats ss;
	struct pprof_build_opts bo = {
		.freq = o->freq, .time_nanos = t0_real, .duration_nanos = dur_ns,
		.comments = comments, .nr_comments = s->stack_window ? 4 : 3,
	};
	struct pprof_build_stats bs = {0};
	struct pb_profile *prof = NULL;
	const Perftools__Profiles__Profile *msg;
	int64_t drained;
	bool hidden;
	int err;

	/* Both slots: whatever the last flip left behind, and the current one. */
	for (int i = 0; i < 2; i++) {
		drained = sampler__drain(s->sampler, s->raw);
		if (drained < 0) {
			/* what was drained is still written; the run fails after */
			cli__err("draining samples: %s", strerror((int)-drained));
			if (!s->sampler_err)
				s->sampler_err = (int)drained;
		}
	}
	refresh_mappings(s);
	err = sampler__counters(s->sampler, c);
	if (err) {
		cli__err("reading the loss counters: %s", strerror(-err));
		return 1;
	}
	losses__format(c, losses, sizeof(losses));
	mmap_events__stats(s->mev, &ms);

	snprintf(line1, sizeof(line1), "cprof %s; event %s at %u Hz on %d CPUs",
		 CPROF_VERSION, o->cycles ? "cycles" : "cpu-clock", o->freq,
		 sampler__nr_cpus(s->sampler));
	snprintf(line2, sizeof(line2), "samples %llu; lost: %s",
		 (unsigned long long)c[CPROF_SAMPLES], losses);
	sym_session__stats(s->sym, &ss);	/* after pprof_build it would count its misses too */
	snprintf(line3, sizeof(line3), "process captures failed: %llu; processes with unknown "
		 "mappings: %llu; mapping events: %s, %llu lost",
		 (unsigned long long)s->capture_failures,
		 (unsigned long long)ss.processes_unmapped, s->mev ? "on" : "off",
		 (unsigned long long)ms.lost);

	if (s->stack_window)
		unwind_summary(s, c, false, line4, sizeof(line4));
	hidden = sym_kallsyms__probe_hidden(NULL) == 1;	/* unnamed kernel frames: say why */
	if (hidden)
		comments[bo.nr_comments++] = KALLSYMS_HIDDEN;
	fetches = sym_debuginfod__generation();
	err = pprof_build(s->raw, s->sym, &bo, &prof, &bs);
	/* debug info asked for while symbolizing: wait for it, then again */
	if (!err && debuginfod_report__settle(o->quiet, fetches)) {
		pb_profile__free(prof);
		prof = NULL;
		err = pprof_build(s->raw, s->sym, &bo, &prof, &bs);
	}
	debuginfod_report__format(line6, sizeof(line6));
	if (!err && *line6 && pb_profile__add_comment(prof, line6))
		err = -ENOMEM;
	if (err) {
		cli__err("building the profile: %s", strerror(-err));
		return 1;
	}
	/* symbolizing opened the files: their refusals are known only now */
	refusals_summary(s, line5, sizeof(line5));
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
		cli__err("%llu samples from %zu processes over %.1f s at %u Hz on %d CPUs; "
			"lost: %s", (unsigned long long)raw_profile__total(s->raw),
			count_processes(s->raw), dur_ns / 1e9, o->freq,
			sampler__nr_cpus(s->sampler), losses);
		if (s->mev)
			cli__err("processes with unknown mappings: %llu; mapping events "
				"from the kernel: %llu records, %llu lost (ring full)",
				(unsigned long long)ss.processes_unmapped,
				(unsigned long long)ms.records, (unsigned long long)ms.lost);
		else
			cli__err("processes with unknown mappings: %llu; mapping events "
				"off (/proc only)", (unsigned long long)ss.processes_unmapped);
		cli__err("symbolized %llu of %llu locations; wrote %s",
			(unsigned long long)bs.symbolized, (unsigned long long)bs.locations,
			strcmp(o->output, "-") ? o->output : "standard output");
		if (bs.func_starts)
			cli__err("%llu of them named only by their function start "
				"(FILE+0xADDR: stripped code without symbols or debug info)",
				(unsigned long long)bs.func_starts);
		if (o->flamegraph)
			cli__err("wrote flame graph %s", o->flamegraph);
		if (*line5)
			cli__err("%s", line5);
		if (*line6)
			cli__err("%s", line6);
	}
	if (s->stack_window && !o->quiet)
		unwind_summary(s, c, true, line4, sizeof(line4));
	if (hidden && !o->quiet)
		cli__err("%s", KALLSYMS_HIDDEN);
	pb_profile__free(prof);
	if (s->sampler_err) {
		cli__err("sampling failed: %s; the profile holds what was sampled "
			"before", strerror(-s->sampler_err));
		return 1;
	}
	return 0;
}

static int add_pid_targets(struct session *s)
{
	for (size_t i = 0; i < s->o->nr_pids; i++) {
		pid_t pid = s->o->pids[i];
		struct target *t = &s->targets[s->nr_targets];
		int err;

		if (proc__start_ticks(pid, &t->start_ticks)) {
			cli__err("pid %d does not exist", pid);
			return -ESRCH;
		}
		t->pid = pid;
		s->nr_targets++;
		err = sampler__add_target(s->sampler, pid);
		if (err) {
			cli__err("adding pid %d: %s", pid, strerror(-err));
			return err;
		}
		if (sym_session__add_process(s->sym, pid, t->start_ticks))
			s->capture_failures++;	/* shown in the summary; symbols may be missing */
	}
	return 0;
}

/* --- --net: traffic counters (profiler/net.c), beside or instead of CPU samples */

/* Opens --net-output (so an unwritable path fails before counting) and
 * attaches. 0, or 1 having reported why. */
static int net_begin(const struct record_opts *o, struct atomic_file *af, struct net **ret)
{
	struct net_opts no = {
		.ifaces = o->net_ifaces, .nr_ifaces = o->nr_net_ifaces, .xdp = o->net_xdp,
		.verbose = o->verbose, .quiet = o->quiet,
	};
	char why[512];
	int err;

	err = atomic_file__open(af, o->net_output);
	if (err) {
		cli__err("cannot write %s: %s", o->net_output, strerror(-err));
		return 1;
	}
	*ret = net__new(&no, why, sizeof(why));
	if (!*ret) {
		if (errno == EPERM || errno == EACCES)
			cli__err("%s: run as root, or give cprof CAP_BPF and "
				"CAP_NET_ADMIN", why);
		else
			cli__err("%s", why);
		atomic_file__abort(af);
		return 1;
	}
	return 0;
}

static void net_tick(struct net *n)
{
	int64_t d = n ? net__drain(n) : 0;

	if (d < 0)
		cli__err("draining network counters: %s", strerror((int)-d));
}

/* Takes both slots, writes the profile, prints the summary. 0 or 1. */
static int net_end(const struct record_opts *o, struct net *n, struct atomic_file *af,
		   int64_t t0_real, int64_t dur_ns)
{
	struct net_profile_stats st;
	uint64_t lost_p = 0, lost_b = 0;
	char ifs[400], gone[256];
	int err;

	for (int i = 0; i < 2; i++) {
		int64_t d = net__drain(n);

		if (d < 0) {
			cli__err("draining network counters: %s", strerror((int)-d));
			return 1;
		}
	}
	net_profile__stats(net__profile(n), &st);
	net__lost(n, &lost_p, &lost_b);
	net__describe(n, ifs, sizeof(ifs));
	err = net__write(n, af, t0_real, dur_ns);
	if (err) {
		cli__err("writing %s: %s", o->net_output, strerror(-err));
		return 1;
	}
	if (!o->quiet)
		cli__err("net: %llu packets, %llu bytes on %s over %.1f s; lost: "
			"%llu packets; wrote %s", (unsigned long long)st.packets,
			(unsigned long long)st.bytes, ifs, dur_ns / 1e9,
			(unsigned long long)(lost_p + st.folded_packets),
			strcmp(o->net_output, "-") ? o->net_output : "standard output");
	/* Taken off by another party (bpftool, tc): the counts are incomplete. */
	if (net__check(n, gone, sizeof(gone))) {
		cli__err("--net: detached by someone else during the run: %s; the "
			"packets after that were not counted", gone);
		return 1;
	}
	return 0;
}

/* No CPU target: count traffic until -d, Ctrl-C or SIGTERM. */
static int run_net_only(const struct record_opts *o)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct atomic_file af = {0};
	int64_t t0_real, t0, now, last, end;
	struct net *n = NULL;
	int ret = 1;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (net_begin(o, &af, &n))
		goto out_free;
	t0_real = now_ns(CLOCK_REALTIME);
	t0 = last = now = now_ns(CLOCK_MONOTONIC);
	end = o->duration > 0 ? t0 + (int64_t)(o->duration * 1e9) : INT64_MAX;
	while (!stop_signal && now < end) {
		int64_t wait_ms = (end - now) / 1000000 + 1;

		poll(NULL, 0, wait_ms < POLL_MS ? (int)wait_ms : POLL_MS);
		now = now_ns(CLOCK_MONOTONIC);
		if (now - last >= DRAIN_INTERVAL_NS) {
			net_tick(n);
			last = now;
		}
	}
	ret = net_end(o, n, &af, t0_real, now_ns(CLOCK_MONOTONIC) - t0);
out_free:
	atomic_file__abort(&af);
	net__free(n);
	return ret;
}

/* --- end of --net --------------------------------------------------------- */

int record__run(const struct record_opts *o)
{
	struct session s = { .o = o, .child = { .go_fd = -1, .err_fd = -1 } };
	struct sampler_opts so = {
		.freq = o->freq, .cycles = o->cycles, .all = o->all, .idle = o->idle,
		.follow_forks = o->cmd != NULL, .max_stacks = o->max_stacks,
		.verbose = o->verbose, .on_event = on_event, .ctx = &s,
		.unwind = unwind_record,
	};
	struct atomic_file af = {0}, fg_af = {0};
	struct atomic_file net_af = {0};	/* --net */
	struct net *net = NULL;			/* --net */
	struct sigaction sa = { .sa_handler = on_stop };
	int64_t t0_real, t0, last_drain, end_ns;
	const char *what = NULL;
	int ret = 1, err;

	/* DEBUGINFOD_URLS is left set: only cprof's background fetcher reads it
	 * (symbolize/sym_debuginfod.h); libdwfl's own finders, which would fetch
	 * synchronously, are never called (sym_elf.c gives its own callbacks). */
	/* Each cached binary holds a descriptor or two. */
	raise_nofile_limit();

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		cli__err("no BTF: /sys/kernel/btf/vmlinux is missing; cprof needs a "
			"kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return 1;
	}
	if (!o->nr_pids && !o->all && !o->cmd)	/* --net alone */
		return run_net_only(o);
	/* Before anything is created: a stop signal during the BPF load ends
	 * the run cleanly rather than killing it with a temporary file left. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (size_t i = 0; i < o->nr_pids; i++) {
		uint64_t st;

		if (proc__start_ticks(o->pids[i], &st)) {
			cli__err("pid %d does not exist", o->pids[i]);
			return 1;
		}
	}
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

	if (o->unwind != RECORD_UNWIND_FP) {
		s.stack_window = o->stack_size ? o->stack_size : CPROF_STACK_COPY_DEFAULT;
		s.uw_mode = o->unwind == RECORD_UNWIND_DWARF ? UW_MODE_DWARF : UW_MODE_AUTO;
		so.stack_window = s.stack_window;
		s.uw_stats = uw_stats__new(0);
	}
	s.targets = calloc(o->nr_pids + 1, sizeof(*s.targets));
	s.raw = raw_profile__new();
	s.sym = sym_session__new(NULL);
	if (!s.targets || !s.raw || !s.sym || (s.stack_window && !s.uw_stats)) {
		cli__err("out of memory");
		goto out_abort;
	}
	s.sampler = sampler__new(&so, &what);
	if (!s.sampler) {
		report_bpf_error(what, -errno);
		goto out_abort;
	}
	s.mev = mmap_events__new(s.sym, 0, &what);	/* before the command runs */
	if (!s.mev)
		cli__err("%s: %s; processes that exit before their maps are read "
			"will lose their user stacks", what, strerror(errno));
	if (add_pid_targets(&s))
		goto out_abort;
	if (o->cmd) {
		s.child.stdout_to_stderr = o->cmd_stdout_to_stderr;
		err = launch__start(&s.child, o->cmd);
		if (err) {
			cli__err("starting %s: %s", o->cmd[0], strerror(-err));
			goto out_abort;
		}
		s.have_child = true;
		err = sampler__add_target(s.sampler, s.child.pid);
		if (err) {
			cli__err("adding pid %d: %s", s.child.pid, strerror(-err));
			goto out_kill_child;
		}
	}

	if (o->nr_net_ifaces && net_begin(o, &net_af, &net))	/* --net */
		goto out_kill_child;
	err = sampler__start(s.sampler, &what);
	if (err) {
		if (o->cycles && (err == -ENOENT || err == -EOPNOTSUPP || err == -EINVAL))
			cli__err("the hardware event 'cycles' is not available on this "
				"machine (common in VMs): drop --event cycles to use cpu-clock");
		else
			report_bpf_error(what, err);
		goto out_kill_child;
	}
	if (stop_signal) {	/* before sampling began: nothing to write, the command not run */
		cli__err("stopped by %s before sampling began; nothing written",
			strsignal(stop_signal));
		ret = 128 + stop_signal;
		goto out_kill_child;
	}
	t0_real = now_ns(CLOCK_REALTIME);
	t0 = last_drain = now_ns(CLOCK_MONOTONIC);
	end_ns = o->duration > 0 ? t0 + (int64_t)(o->duration * 1e9) : INT64_MAX;

	if (s.have_child) {
		err = launch__release(&s.child);
		if (err) {
			cli__err("cannot run %s: %s", o->cmd[0], strerror(-err));
			reap_child(&s, true);
			ret = s.child_exited ? s.child_status : 127;
			goto out_abort;
		}
	}

	while (!stop_signal) {
		int64_t now;

		mmap_events__pump(s.mev);
		err = sampler__poll(s.sampler, POLL_MS);
		if (err < 0) {
			cli__err("reading process events: %s", strerror(-err));
			s.sampler_err = err;
			break;
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (now >= end_ns)
			break;
		if (now - last_drain >= DRAIN_INTERVAL_NS) {
			int64_t d = sampler__drain(s.sampler, s.raw);

			if (d < 0) {
				cli__err("draining samples: %s", strerror((int)-d));
				s.sampler_err = (int)d;
				break;
			}
			refresh_mappings(&s);
			mmap_events__flush(s.mev);
			net_tick(net);	/* --net */
			last_drain = now;
		}
		if (s.have_child) {
			reap_child(&s, false);
			if (s.child_exited)
				break;
		} else if (s.nr_targets && !targets_alive(&s)) {
			break;
		}
	}
	/* Let the last events of exiting processes be captured, then stop sampling. */
	sampler__poll(s.sampler, 0);
	sampler__stop(s.sampler);
	sampler__poll(s.sampler, 0);

	/* As perf does: the command may not have had the signal (kill, timeout,
	 * systemd send it to cprof alone); forward it, and do not wait forever
	 * for a command that ignores it. */
	if (stop_signal && s.have_child && !s.child_exited)
		kill(s.child.pid, stop_signal);
	ret = finish(&s, &af, &fg_af, t0_real, now_ns(CLOCK_MONOTONIC) - t0);
	if (!ret && net)	/* --net */
		ret = net_end(o, net, &net_af, t0_real, now_ns(CLOCK_MONOTONIC) - t0);
	if (ret)
		goto out_kill_child;
	if (s.have_child && stop_signal && !s.child_exited) {
		bool killed;
		int st = launch__wait(&s.child, STOP_GRACE_MS, &killed);

		if (killed)
			cli__err("%s did not exit on %s within %d s: killed it",
				o->cmd[0], strsignal(stop_signal), STOP_GRACE_MS / 1000);
		s.child_exited = st >= 0;
		s.child_status = st >= 0 ? st : 128 + SIGKILL;
	}
	if (s.have_child) {
		reap_child(&s, true);
		ret = s.child_status;
	}
	goto out_free;

out_kill_child:
	if (s.have_child && !s.child_exited) {
		kill(s.child.pid, SIGKILL);
		reap_child(&s, true);
	}
out_abort:
	atomic_file__abort(&af);
	atomic_file__abort(&fg_af);
out_free:
	atomic_file__abort(&net_af);	/* --net: a no-op once written */
	net__free(net);			/* --net: detaches on every way out */
	launch__release_fds(&s.child);
	sampler__free(s.sampler);
	mmap_events__free(s.mev);	/* before the symbolizer it is attached to */
	sym_session__free(s.sym);
	raw_profile__free(s.raw);
	uw_stats__free(s.uw_stats);
	free(s.targets);
	return ret;
}
