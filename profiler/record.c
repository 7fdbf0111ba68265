// SPDX-License-Identifier: MIT
/* The record session: check the request, open the output (so an unwritable
 * path fails before sampling), load and start the sampler, loop on process
 * events and 1 s drains until a stop condition, then symbolize and write.
 * Signals only set a flag; the file is written on every way out but a crash. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "export/atomic_file.h"
#include "export/flamegraph.h"
#include "export/folded.h"
#include "export/pprof.h"
#include "export/profile.h"
#include "profiler/launch.h"
#include "profiler/pprof_build.h"
#include "profiler/raw_profile.h"
#include "profiler/record.h"
#include "profiler/sampler.h"
#include "symbolize/symbolizer.h"

#define DRAIN_INTERVAL_NS	1000000000LL
#define POLL_MS			100

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
	struct raw_profile *raw;
	struct target *targets;
	size_t nr_targets;
	struct launch child;
	bool have_child, child_exited;
	int child_status;
	uint64_t capture_failures;
	size_t refreshed_upto;	/* raw samples already checked by refresh_mappings() */
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

static void report_bpf_error(const char *what, int err)
{
	if (err == -EPERM || err == -EACCES)
		fprintf(stderr, "cprof: %s: %s: run as root, or give cprof CAP_BPF and "
			"CAP_PERFMON (e.g. setcap cap_bpf,cap_perfmon+ep cprof)\n",
			what, strerror(-err));
	else
		fprintf(stderr, "cprof: %s: %s\n", what, strerror(-err));
}

/* Maps are captured when a process is first seen or execs, which can be before
 * ld.so or dlopen() mapped the code its samples land in. After each drain, a new
 * sample with a user address outside the captured maps makes its process be
 * captured again, once per drain, while it still lives. */
static void refresh_mappings(struct session *s)
{
	size_t n = raw_profile__nr_samples(s->raw);
	uint32_t done_pid = 0;
	uint64_t done_start = 0;

	for (size_t i = s->refreshed_upto; i < n; i++) {
		const struct raw_sample *rs = raw_profile__sample(s->raw, i);
		const struct raw_stack *st = raw_profile__stack(s->raw, rs->ustack);

		if (!st || !rs->pid || (rs->pid == done_pid && rs->start_ticks == done_start))
			continue;
		for (uint32_t j = 0; j < st->nr; j++) {
			if (sym_session__covers(s->sym, rs->pid, rs->start_ticks, st->ips[j]))
				continue;
			if (sym_session__exec(s->sym, rs->pid, rs->start_ticks))
				s->capture_failures++;
			done_pid = rs->pid;
			done_start = rs->start_ticks;
			break;
		}
	}
	s->refreshed_upto = n;
}

static bool targets_alive(struct session *s)
{
	bool any = false;

	for (size_t i = 0; i < s->nr_targets; i++) {
		struct target *t = &s->targets[i];
		uint64_t st;

		if (!t->gone && (sym_proc__start_ticks(t->pid, &st) || st != t->start_ticks))
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

static void format_losses(const uint64_t c[CPROF_NR_COUNTERS], char *buf, size_t len)
{
	static const struct { int idx; const char *name; } reasons[] = {
		{ CPROF_DROP_USTACK_COLLISION, "user stack id collisions" },
		{ CPROF_DROP_KSTACK_COLLISION, "kernel stack id collisions" },
		{ CPROF_DROP_STACK_MAP_FULL, "stack map full" },
		{ CPROF_DROP_USTACK_MISSING, "user stacks missing" },
		{ CPROF_DROP_COUNTS_FULL, "samples lost, counts map full" },
		{ CPROF_DROP_EVENTS_FULL, "process events lost, ring buffer full" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		uint64_t v = c[reasons[i].idx];

		if (!v)
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%llu %s",
				off ? ", " : "", (unsigned long long)v, reasons[i].name);
	}
	if (!off)
		snprintf(buf, len, "none");
}

static int write_output(const struct record_opts *o, struct atomic_file *af,
			const Perftools__Profiles__Profile *msg)
{
	struct flamegraph_opts fo;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	switch (o->format) {
	case RECORD_FOLDED:
		err = folded__write(msg, 0, "comm", af->f);
		break;
	case RECORD_SVG:
		flamegraph_opts__init(&fo);
		err = flamegraph__write(msg, &fo, af->f);
		break;
	default:
		err = pprof__encode_gzip(msg, &buf, &len);
		if (!err && fwrite(buf, 1, len, af->f) != len)
			err = -EIO;
		free(buf);
	}
	if (err)
		return err;
	return atomic_file__commit(af);
}

static size_t count_processes(const struct raw_profile *rp)
{
	size_t n = raw_profile__nr_samples(rp), distinct = 0;
	uint32_t *pids = malloc(n * sizeof(*pids));

	if (!pids)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct raw_sample *s = raw_profile__sample(rp, i);
		size_t j;

		for (j = 0; j < distinct && pids[j] != s->pid; j++)
			;
		if (j == distinct && distinct < 4096)
			pids[distinct++] = s->pid;
	}
	free(pids);
	return distinct;
}

static int write_flamegraph(struct atomic_file *af, const Perftools__Profiles__Profile *msg)
{
	struct flamegraph_opts fo;
	int err;

	flamegraph_opts__init(&fo);
	err = flamegraph__write(msg, &fo, af->f);
	return err ? err : atomic_file__commit(af);
}

static int finish(struct session *s, struct atomic_file *af, struct atomic_file *fg_af,
		  int64_t t0_real, int64_t dur_ns)
{
	const struct record_opts *o = s->o;
	uint64_t c[CPROF_NR_COUNTERS] = {0};
	char losses[512], line1[128], line2[640], line3[128];
	const char *comments[3] = { line1, line2, line3 };
	struct pprof_build_opts bo = {
		.freq = o->freq, .time_nanos = t0_real, .duration_nanos = dur_ns,
		.comments = comments, .nr_comments = 3,
	};
	struct pprof_build_stats bs = {0};
	struct pb_profile *prof = NULL;
	const Perftools__Profiles__Profile *msg;
	int64_t drained;
	int err;

	/* Both slots: whatever the last flip left behind, and the current one. */
	for (int i = 0; i < 2; i++) {
		drained = sampler__drain(s->sampler, s->raw);
		if (drained < 0) {
			fprintf(stderr, "cprof: draining samples: %s\n", strerror((int)-drained));
			return 1;
		}
	}
	refresh_mappings(s);
	sampler__counters(s->sampler, c);
	format_losses(c, losses, sizeof(losses));

	snprintf(line1, sizeof(line1), "cprof %s; event %s at %u Hz on %d CPUs",
		 CPROF_VERSION, o->cycles ? "cycles" : "cpu-clock", o->freq,
		 sampler__nr_cpus(s->sampler));
	snprintf(line2, sizeof(line2), "samples %llu; lost: %s",
		 (unsigned long long)c[CPROF_SAMPLES], losses);
	snprintf(line3, sizeof(line3), "process captures failed: %llu",
		 (unsigned long long)s->capture_failures);

	err = pprof_build(s->raw, s->sym, &bo, &prof, &bs);
	if (err) {
		fprintf(stderr, "cprof: building the profile: %s\n", strerror(-err));
		return 1;
	}
	msg = pb_profile__finish(prof);
	err = msg ? write_output(o, af, msg) : -ENOMEM;
	if (err) {
		fprintf(stderr, "cprof: writing %s: %s\n", o->output, strerror(-err));
		pb_profile__free(prof);
		return 1;
	}
	if (o->flamegraph && (err = write_flamegraph(fg_af, msg))) {
		fprintf(stderr, "cprof: writing %s: %s\n", o->flamegraph, strerror(-err));
		pb_profile__free(prof);
		return 1;
	}
	if (!o->quiet) {
		fprintf(stderr, "cprof: %llu samples from %zu processes over %.1f s at %u Hz on %d CPUs; "
			"lost: %s\n", (unsigned long long)raw_profile__total(s->raw),
			count_processes(s->raw), dur_ns / 1e9, o->freq,
			sampler__nr_cpus(s->sampler), losses);
		fprintf(stderr, "cprof: symbolized %llu of %llu locations; wrote %s\n",
			(unsigned long long)bs.symbolized, (unsigned long long)bs.locations,
			strcmp(o->output, "-") ? o->output : "standard output");
		if (o->flamegraph)
			fprintf(stderr, "cprof: wrote flame graph %s\n", o->flamegraph);
	}
	pb_profile__free(prof);
	return 0;
}

static int add_pid_targets(struct session *s)
{
	for (size_t i = 0; i < s->o->nr_pids; i++) {
		pid_t pid = s->o->pids[i];
		struct target *t = &s->targets[s->nr_targets];
		int err;

		if (sym_proc__start_ticks(pid, &t->start_ticks)) {
			fprintf(stderr, "cprof: pid %d does not exist\n", pid);
			return -ESRCH;
		}
		t->pid = pid;
		s->nr_targets++;
		err = sampler__add_target(s->sampler, pid);
		if (err) {
			fprintf(stderr, "cprof: adding pid %d: %s\n", pid, strerror(-err));
			return err;
		}
		sym_session__add_process(s->sym, pid, t->start_ticks);
	}
	return 0;
}

int record__run(const struct record_opts *o)
{
	struct session s = { .o = o, .child = { .go_fd = -1, .err_fd = -1 } };
	struct sampler_opts so = {
		.freq = o->freq, .cycles = o->cycles, .all = o->all, .idle = o->idle,
		.follow_forks = o->cmd != NULL, .max_stacks = o->max_stacks,
		.verbose = o->verbose, .on_event = on_event, .ctx = &s,
	};
	struct atomic_file af = {0}, fg_af = {0};
	struct sigaction sa = { .sa_handler = on_stop };
	int64_t t0_real, t0, last_drain, end_ns;
	const char *what = NULL;
	int ret = 1, err;

	/* Symbolize from local files only: libdwfl would otherwise ask debuginfod
	 * servers over the network. Each cached binary holds a descriptor or two. */
	unsetenv("DEBUGINFOD_URLS");
	raise_nofile_limit();

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "cprof: no BTF: /sys/kernel/btf/vmlinux is missing; cprof needs a "
			"kernel built with CONFIG_DEBUG_INFO_BTF=y\n");
		return 1;
	}
	for (size_t i = 0; i < o->nr_pids; i++) {
		uint64_t st;

		if (sym_proc__start_ticks(o->pids[i], &st)) {
			fprintf(stderr, "cprof: pid %d does not exist\n", o->pids[i]);
			return 1;
		}
	}
	err = atomic_file__open(&af, o->output);
	if (err) {
		fprintf(stderr, "cprof: cannot write %s: %s\n", o->output, strerror(-err));
		return 1;
	}
	if (o->flamegraph && (err = atomic_file__open(&fg_af, o->flamegraph))) {
		fprintf(stderr, "cprof: cannot write %s: %s\n", o->flamegraph, strerror(-err));
		atomic_file__abort(&af);
		return 1;
	}

	s.targets = calloc(o->nr_pids + 1, sizeof(*s.targets));
	s.raw = raw_profile__new();
	s.sym = sym_session__new(NULL);
	if (!s.targets || !s.raw || !s.sym) {
		fprintf(stderr, "cprof: out of memory\n");
		goto out_abort;
	}
	s.sampler = sampler__new(&so, &what);
	if (!s.sampler) {
		report_bpf_error(what, -errno);
		goto out_abort;
	}
	if (add_pid_targets(&s))
		goto out_abort;
	if (o->cmd) {
		err = launch__start(&s.child, o->cmd);
		if (err) {
			fprintf(stderr, "cprof: starting %s: %s\n", o->cmd[0], strerror(-err));
			goto out_abort;
		}
		s.have_child = true;
		err = sampler__add_target(s.sampler, s.child.pid);
		if (err) {
			fprintf(stderr, "cprof: adding pid %d: %s\n", s.child.pid, strerror(-err));
			goto out_kill_child;
		}
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	err = sampler__start(s.sampler, &what);
	if (err) {
		if (o->cycles && (err == -ENOENT || err == -EOPNOTSUPP || err == -EINVAL))
			fprintf(stderr, "cprof: the hardware event 'cycles' is not available on this "
				"machine (common in VMs): drop --event cycles to use cpu-clock\n");
		else
			report_bpf_error(what, err);
		goto out_kill_child;
	}
	t0_real = now_ns(CLOCK_REALTIME);
	t0 = last_drain = now_ns(CLOCK_MONOTONIC);
	end_ns = o->duration > 0 ? t0 + (int64_t)(o->duration * 1e9) : INT64_MAX;

	if (s.have_child) {
		err = launch__release(&s.child);
		if (err) {
			fprintf(stderr, "cprof: cannot run %s: %s\n", o->cmd[0], strerror(-err));
			reap_child(&s, true);
			ret = s.child_exited ? s.child_status : 127;
			goto out_abort;
		}
	}

	while (!stop_signal) {
		int64_t now;

		err = sampler__poll(s.sampler, POLL_MS);
		if (err < 0) {
			fprintf(stderr, "cprof: reading process events: %s\n", strerror(-err));
			break;
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (now >= end_ns)
			break;
		if (now - last_drain >= DRAIN_INTERVAL_NS) {
			int64_t d = sampler__drain(s.sampler, s.raw);

			if (d < 0) {
				fprintf(stderr, "cprof: draining samples: %s\n", strerror((int)-d));
				break;
			}
			refresh_mappings(&s);
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

	if (stop_signal && s.have_child && !s.child_exited)
		kill(s.child.pid, stop_signal);
	ret = finish(&s, &af, &fg_af, t0_real, now_ns(CLOCK_MONOTONIC) - t0);
	if (ret)
		goto out_kill_child;
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
	launch__release_fds(&s.child);
	sampler__free(s.sampler);
	sym_session__free(s.sym);
	raw_profile__free(s.raw);
	free(s.targets);
	return ret;
}
