// SPDX-License-Identifier: MIT
/* session: see session.h. The process-event callback and the unwind
 * callback run inside sampler__poll()/sampler__drain(), on the caller's
 * thread; nothing here is shared with other threads. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "base/proc.h"
#include "profiler/core/collect.h"
#include "profiler/core/python.h"
#include "profiler/core/sampler.h"
#include "profiler/core/session.h"
#include "profiler/core/stop_signal.h"
#include "profiler/core/targets.h"

#define SESSION_MAX_COMPONENTS	4
/* A binary nothing was asked of for this long lets go of its DWARF */
#define SESSION_SHED_IDLE_NS	30000000000ull

_Static_assert(SAMPLER_NR_MAP_KINDS == 4, "session_stats.map_bytes");

struct session {
	struct session_opts o;
	const struct session_sampler_ops *ops;
	struct sampler *sampler;
	struct sym_session *sym;
	struct mmap_events *mev;	/* NULL: /proc only */
	bool mev_watched;		/* a poll ends when a mapping ring fills */
	int mev_errno;
	const char *mev_what;
	struct raw_profile *raw;	/* the current window; NULL after a failed renewal */
	size_t refreshed_upto;		/* raw samples already checked for new mappings */
	struct targets targets;
	struct session_component comps[SESSION_MAX_COMPONENTS];
	int nr_comps;
	uint64_t capture_failures;
	int64_t last_drain;
	struct window win;
	int nr_cpus;
	/* stack-copy mode */
	uint32_t stack_window;		/* 0: frame pointers */
	enum uw_mode uw_mode;
	struct uw_stats *uw_stats;
	struct runtime_hint hints;
	struct python py;
	struct kunwind *kuw;		/* NULL: no kernel walk */
	const char *kuw_off;		/* asked for but off: why */
};

int64_t session__clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int session__prepare(char *why, size_t why_len)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, why_len, "no BTF: /sys/kernel/btf/vmlinux is missing; cprof needs a "
			 "kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	return 0;
}

/* The one wording of a failed BPF step: the fix when it was refused. */
static void say_why(const struct session *s, const char *what, int err, char *why, size_t len)
{
	if ((err == -EPERM || err == -EACCES) && s->o.perm_fix)
		snprintf(why, len, "%s: %s: %s", what, strerror(-err), s->o.perm_fix);
	else
		snprintf(why, len, "%s: %s", what, strerror(-err));
}

static void on_event(void *ctx, const struct cprof_event *e)
{
	struct session *s = ctx;
	int err = 0;

	/* The front end first: its reads are few and small, done before the
	 * process (maybe a short-lived one) is gone; a capture opens binaries. */
	if (s->o.on_process)
		s->o.on_process(s->o.ctx, e);
	python__on_event(&s->py, e);
	switch (e->type) {
	case CPROF_EV_NEW:
	case CPROF_EV_FORK:
		err = sym_session__add_process(s->sym, e->tgid, e->start_ticks);
		if (!err && kunwind__push(s->kuw, (int)e->tgid, e->start_ticks))
			err = -ENOMEM;
		break;
	case CPROF_EV_EXEC:
		err = sym_session__exec(s->sym, e->tgid, e->start_ticks);
		if (!err && kunwind__push(s->kuw, (int)e->tgid, e->start_ticks))
			err = -ENOMEM;
		break;
	case CPROF_EV_EXIT:
		targets__exited(&s->targets, (pid_t)e->tgid, e->start_ticks);
		kunwind__exited(s->kuw, (int)e->tgid, e->start_ticks, (int64_t)e->time_ns);
		break;
	case CPROF_EV_REMAP:
		/* code mapped since the push runs: its mmap record is in, and
		 * the pump adds it (on_mapped); a push is asked for only if
		 * none did lately */
		mmap_events__pump(s->mev);
		kunwind__copied(s->kuw, (int)e->tgid, e->start_ticks,
				session__clock_ns(CLOCK_MONOTONIC));
		break;
	}
	if (err)
		s->capture_failures++;
}

/* mmap_events listener: mappings into the kernel walk's entries. */
static void on_mapped(void *ctx, int pid, const struct sym_proc_events_map *m, bool anon)
{
	struct session *s = ctx;
	struct kunwind_map km = { .start = m->start, .len = m->len, .pgoff = m->pgoff,
				  .build_id = m->build_id, .build_id_size = m->build_id_size,
				  .anon = anon };

	kunwind__mapped(s->kuw, pid, &km);
}

static void on_exec_seen(void *ctx, int pid)
{
	struct session *s = ctx;

	kunwind__exec_seen(s->kuw, pid);
}

static void on_pumped(void *ctx)
{
	struct session *s = ctx;

	kunwind__flush(s->kuw);
}

/* Sampler callback, stack-copy mode. */
static int unwind_record(void *ctx, const struct cprof_stack_record *r, const void *stack,
			 uint64_t *ips, uint32_t max)
{
	struct session *s = ctx;
	struct collect_unwind cu = { .sym = s->sym, .mode = s->uw_mode,
				     .stack_window = s->stack_window, .stats = s->uw_stats };

	python__on_sample(&s->py, r->tgid);
	/* a copy in the kernel walk's stead: its mappings may be out of date */
	if (s->kuw && !r->state)
		kunwind__copied(s->kuw, (int)r->tgid, r->start_ticks,
				session__clock_ns(CLOCK_MONOTONIC));
	return collect__unwind_record(&cu, r, stack, ips, max);
}

static void on_py_stack(void *ctx, uint32_t pid, uint64_t start_ticks,
			const uint64_t *frames, uint32_t n)
{
	struct session *s = ctx;

	python__note(&s->py, pid, start_ticks, frames, n);
}

static int set_python(void *ctx, uint32_t tgid, const struct cprof_py_proc *p)
{
	struct session *s = ctx;

	return s->sampler ? s->ops->set_python(s->sampler, tgid, p) : -ENODEV;
}

static bool may_map_python(void *ctx, uint32_t tgid, uint64_t start_ticks)
{
	struct session *s = ctx;

	return sym_session__may_map_python(s->sym, (int)tgid, start_ticks);
}

static int python_counts(struct sampler *sp, uint64_t *ret)
{
	return sampler__python_counts(sp, ret);
}

static const struct session_sampler_ops bpf_sampler = {
	.new = sampler__new, .free = sampler__free, .add_target = sampler__add_target,
	.start = sampler__start, .stop = sampler__stop, .poll = sampler__poll,
	.drain = sampler__drain, .counters = sampler__counters, .nr_cpus = sampler__nr_cpus,
	.set_python = sampler__set_python, .python_counts = python_counts,
	.kunwind_maps = sampler__kunwind_maps, .uw_counts = sampler__uw_counts,
	.watch = sampler__watch,
	.map_bytes = sampler__map_bytes, .prog_stats = sampler__prog_stats,
};

struct session *session__new(const struct session_opts *o, char *why, size_t why_len)
{
	return session__new_on(o, NULL, why, why_len);
}

struct session *session__new_on(const struct session_opts *o,
				const struct session_sampler_ops *ops, char *why, size_t why_len)
{
	struct session *s = calloc(1, sizeof(*s));
	struct sampler_opts so = {
		.freq = o->freq, .cycles = o->cycles, .all = o->all, .idle = o->idle,
		.follow_forks = o->follow_forks, .max_stacks = o->max_stacks,
		.exclude_tgid = o->profile_self ? 0 : (uint32_t)getpid(),
		.off_cpu = o->off_cpu, .off_cpu_min_ns = o->off_cpu_min_ns,
		.off_cpu_ppm = o->off_cpu_ppm,
		.verbose = o->verbose, .on_event = on_event, .ctx = s,
		.no_python = o->no_python, .on_py_stack = on_py_stack,
	};
	const char *what = NULL;
	int err;

	if (!s)
		goto out_nomem;
	s->o = *o;
	s->ops = ops ? ops : &bpf_sampler;
	if (o->unwind != SESSION_UNWIND_FP) {
		s->stack_window = o->stack_size ? o->stack_size : CPROF_STACK_COPY_DEFAULT;
		s->uw_mode = o->unwind == SESSION_UNWIND_DWARF ? UW_MODE_DWARF : UW_MODE_AUTO;
		s->uw_stats = uw_stats__new(0);
		so.stack_window = s->stack_window;
		so.unwind = unwind_record;
		so.kernel_walk = o->unwind == SESSION_UNWIND_AUTO;
		so.kernel_walk_bytes = o->unwind_bytes ? o->unwind_bytes : KUNWIND_DEFAULT_BYTES;
		/* the walk's fallback copies take the widest window unless told */
		so.walk_window = o->stack_size ? 0 : CPROF_STACK_COPY_MAX;
	}
	s->raw = raw_profile__new();
	s->sym = sym_session__new(NULL);
	if (!s->raw || !s->sym || (s->stack_window && !s->uw_stats))
		goto out_nomem;
	python__init(&s->py, sym_session__python(s->sym),
		     o->no_python || !s->ops->set_python ? NULL : set_python, s);
	s->py.may = may_map_python;
	s->sampler = s->ops->new(&so, &what);
	if (!s->sampler) {
		err = -errno;
		say_why(s, what, err, why, why_len);
		session__free(s);
		errno = -err;
		return NULL;
	}
	if (so.kernel_walk && s->ops->kunwind_maps) {
		struct kunwind_maps km;

		if (s->ops->kunwind_maps(s->sampler, &km, &s->kuw_off) == 0) {
			if (so.walk_window)
				s->stack_window = so.walk_window;	/* as the sampler took it */
			s->kuw = kunwind__new(s->sym, &km);
			if (!s->kuw) {
				err = -errno;
				say_why(s, "mapping the unwind table array", err, why, why_len);
				session__free(s);
				errno = -err;
				return NULL;
			}
		}
	}
	/* Before any target runs: its first maps come as events. */
	s->mev = mmap_events__new(s->sym, 0, &s->mev_what);
	if (!s->mev)
		s->mev_errno = errno;
	else if (o->forget_exited)
		mmap_events__forget_in_symbolizer(s->mev);
	if (s->mev && s->ops->watch) {
		int fd;

		s->mev_watched = true;
		for (int i = 0; (fd = mmap_events__fd(s->mev, i)) >= 0; i++)
			if (s->ops->watch(s->sampler, fd))
				s->mev_watched = false;	/* polls stay short */
	}
	if (s->mev && s->kuw) {
		struct mmap_events_listener l = { .mapped = on_mapped, .exec = on_exec_seen,
						  .pumped = on_pumped, .ctx = s };

		mmap_events__listen(s->mev, &l);
	}
	return s;

out_nomem:
	session__free(s);
	snprintf(why, why_len, "out of memory");
	errno = ENOMEM;
	return NULL;
}

void session__free(struct session *s)
{
	if (!s)
		return;
	if (s->sampler)
		s->ops->free(s->sampler);
	mmap_events__listen(s->mev, NULL);	/* it told kunwind of mappings */
	kunwind__free(s->kuw);
	mmap_events__free(s->mev);	/* before the symbolizer it is attached to */
	sym_session__free(s->sym);
	raw_profile__free(s->raw);
	uw_stats__free(s->uw_stats);
	targets__release(&s->targets);
	free(s);
}

bool session__mmap_events_why(const struct session *s, char *why, size_t why_len)
{
	if (s->mev)
		return false;
	snprintf(why, why_len, "%s: %s; processes that exit before their maps are read will "
		 "lose their user stacks", s->mev_what ? s->mev_what : "mapping events",
		 strerror(s->mev_errno));
	return true;
}

int session__add_pid(struct session *s, pid_t pid, char *why, size_t why_len)
{
	struct cprof_event e = { .type = CPROF_EV_NEW, .tgid = (uint32_t)pid };
	uint64_t start_ticks;
	int err;

	if (proc__start_ticks(pid, &start_ticks)) {
		snprintf(why, why_len, "pid %d does not exist", pid);
		return -ESRCH;
	}
	e.start_ticks = start_ticks;
	if ((err = targets__add(&s->targets, pid, start_ticks)) ||
	    (err = s->ops->add_target(s->sampler, (uint32_t)pid))) {
		snprintf(why, why_len, "adding pid %d: %s", pid, strerror(-err));
		return err;
	}
	on_event(s, &e);	/* captured now; a failure is counted (symbols may be missing) */
	return 0;
}

int session__follow(struct session *s, pid_t pid, char *why, size_t why_len)
{
	int err = s->ops->add_target(s->sampler, (uint32_t)pid);

	if (err)
		snprintf(why, why_len, "adding pid %d: %s", pid, strerror(-err));
	return err;
}

int session__add_component(struct session *s, const struct session_component *c)
{
	if (s->nr_comps == SESSION_MAX_COMPONENTS)
		return -ENOSPC;
	s->comps[s->nr_comps++] = *c;
	return 0;
}

/* follow_forks with --pid targets: the kernel side marks what they fork
 * from session__start() on; the descendants they already have are found in
 * /proc. Twice: a process forked during the first scan by a descendant not
 * yet marked is in the second, and after it every parent is marked. A
 * process gone meanwhile is no error. */
static void follow_descendants(struct session *s)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->targets.n; i++) {
			struct proc_stat *d;
			size_t n;

			if (proc__descendants(s->targets.t[i].pid, &d, &n))
				continue;
			for (size_t j = 0; j < n; j++)
				(void)!s->ops->add_target(s->sampler, (uint32_t)d[j].pid);
			free(d);
		}
}

int session__start(struct session *s, char *why, size_t why_len)
{
	const char *what = NULL;
	int err = s->ops->start(s->sampler, &what);

	if (err) {
		if (s->o.cycles && s->o.cycles_fix &&
		    (err == -ENOENT || err == -EOPNOTSUPP || err == -EINVAL))
			snprintf(why, why_len, "the hardware event 'cycles' is not available on this "
				 "machine (common in VMs): %s", s->o.cycles_fix);
		else
			say_why(s, what, err, why, why_len);
		return err;
	}
	if (s->o.follow_forks)
		follow_descendants(s);
	s->nr_cpus = s->ops->nr_cpus(s->sampler);
	s->last_drain = session__clock_ns(CLOCK_MONOTONIC);
	window__start(&s->win, session__clock_ns(CLOCK_REALTIME), s->last_drain);
	return 0;
}

/* Mapping events applied, then up to timeout_ms for process events, handled:
 * 0 or more, or -errno. */
static int poll_for(struct session *s, int timeout_ms)
{
	int n;

	mmap_events__pump(s->mev);
	n = s->ops->poll(s->sampler, timeout_ms);
	python__poll(&s->py);
	kunwind__pump(s->kuw, session__clock_ns(CLOCK_MONOTONIC));
	return n;
}

/* How long the loop's next poll may wait: until the next drain, window,
 * deadline or look for an interpreter, and no longer than l->max_wait_ms
 * (SESSION_POLL_MS while a mapping ring could fill unseen). */
static int loop_wait_ms(const struct session *s, const struct session_loop *l, int64_t now)
{
	int64_t wait = l->max_wait_ms > SESSION_POLL_MS ? l->max_wait_ms : SESSION_POLL_MS;
	int64_t due = s->last_drain + SESSION_DRAIN_NS, py = python__next_poll_ns(&s->py);

	if (s->mev && !s->mev_watched)
		wait = SESSION_POLL_MS;
	/* a window due just after the drain drains with it: one drain, not a
	 * second of an empty slot milliseconds later */
	if (l->window_ns && s->win.start_mono + l->window_ns < due + SESSION_DRAIN_NS / 10)
		due = s->win.start_mono + l->window_ns;
	if (l->end_mono < due)
		due = l->end_mono;
	if (py < due)
		due = py;
	due = (due - now + 999999) / 1000000;	/* ms, rounded up: due when it ends */
	return (int)(due < 1 ? 1 : due < wait ? due : wait);
}

bool session__drain_due(const struct session *s, int64_t now_mono)
{
	return now_mono - s->last_drain >= SESSION_DRAIN_NS;
}

int64_t session__drain(struct session *s)
{
	int64_t d = -ENOMEM;

	s->last_drain = session__clock_ns(CLOCK_MONOTONIC);
	if (s->raw) {	/* NULL: out of memory at the last window, stopping */
		d = s->ops->drain(s->sampler, s->raw);
		if (d >= 0) {
			s->refreshed_upto = collect__refresh_mappings(s->sym, s->raw,
								      s->refreshed_upto,
								      &s->capture_failures);
			python__drained(&s->py, s->raw);
		}
	}
	for (int i = 0; i < s->nr_comps; i++)
		s->comps[i].drain(s->comps[i].ctx);
	return d;
}

int64_t session__tick(struct session *s)
{
	int64_t d = session__drain(s);

	/* record keeps exited processes in the symbolizer to the end: the
	 * event table can let them go now. The agent waits for the window's
	 * end (session__end_window), when it forgets them in both. */
	if (d >= 0 && !s->o.forget_exited)
		mmap_events__flush(s->mev);
	return d;
}

enum session_end session__run(struct session *s, const struct session_loop *l, int *ret_err)
{
	while (!stop_signal__get()) {
		int64_t now = session__clock_ns(CLOCK_MONOTONIC);
		int err = poll_for(s, loop_wait_ms(s, l, now));

		if (l->after_poll)
			l->after_poll(l->ctx);
		if (err < 0) {
			*ret_err = err;
			return SESSION_END_POLL;
		}
		now = session__clock_ns(CLOCK_MONOTONIC);
		if (now >= l->end_mono)
			return SESSION_END_DEADLINE;
		if (l->window_ns && window__due(&s->win, now, l->window_ns)) {
			if (l->on_window(l->ctx))
				return SESSION_END_CALLER;
		} else if (session__drain_due(s, now)) {
			if (l->on_drain(l->ctx))
				return SESSION_END_CALLER;
		}
		if (l->should_stop && l->should_stop(l->ctx))
			return SESSION_END_CALLER;
		if (!l->ignore_targets && s->targets.n && !targets__alive(&s->targets))
			return SESSION_END_TARGETS;
	}
	return SESSION_END_SIGNAL;
}

void session__stop(struct session *s)
{
	s->ops->poll(s->sampler, 0);
	s->ops->stop(s->sampler);
	s->ops->poll(s->sampler, 0);
}

bool session__targets_alive(struct session *s)
{
	return targets__alive(&s->targets);
}

size_t session__nr_targets(const struct session *s)
{
	return s->targets.n;
}

struct raw_profile *session__raw(struct session *s)
{
	return s->raw;
}

bool session__window_due(const struct session *s, int64_t now_mono, int64_t interval_ns)
{
	return window__due(&s->win, now_mono, interval_ns);
}

void session__close_window(struct session *s, struct window_span *ret)
{
	window__close(&s->win, session__clock_ns(CLOCK_REALTIME), session__clock_ns(CLOCK_MONOTONIC), ret);
}

int session__end_window(struct session *s, bool last)
{
	mmap_events__flush(s->mev);	/* and processes exited two windows ago */
	sym_session__flush(s->sym);
	if (last)
		return 0;
	/* stacks walked in the kernel and from copies alike */
	runtime_hint__add_profile(&s->hints, s->sym, s->raw);
	raw_profile__free(s->raw);
	s->raw = raw_profile__new();
	s->refreshed_upto = 0;
	python__reset(&s->py);
	/* a long run meets binaries it then leaves alone: their decompressed
	 * DWARF goes (what they named stays known), and the heap pages with it */
	if (sym_session__shed_idle(s->sym, SESSION_SHED_IDLE_NS))
		malloc_trim(0);
	return s->raw ? 0 : -ENOMEM;
}

struct sym_session *session__sym(struct session *s)
{
	return s->sym;
}

void session__runtime_hint(struct session *s, struct runtime_hint *ret)
{
	*ret = s->hints;
	runtime_hint__add_profile(ret, s->sym, s->raw);
}

struct uw_stats *session__uw_stats(struct session *s)
{
	return s->uw_stats;
}

int session__counters(struct session *s, uint64_t ret[CPROF_NR_COUNTERS])
{
	return s->ops->counters(s->sampler, ret);
}

void session__stats(const struct session *s, struct session_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->nr_cpus = s->nr_cpus;
	ret->capture_failures = s->capture_failures;
	ret->stack_window = s->stack_window;
	ret->uw_mode = s->uw_mode;
	ret->mmap_events_on = s->mev != NULL;
	mmap_events__stats(s->mev, &ret->mev);
	ret->kernel_walk = s->kuw != NULL;
	ret->kernel_walk_off = s->kuw_off;
	if (s->kuw && s->ops->uw_counts)
		s->ops->uw_counts(s->sampler, ret->uw_counts);
	kunwind__stats(s->kuw, &ret->kuw);
	if (s->ops->map_bytes && s->sampler)
		s->ops->map_bytes(s->sampler, ret->map_bytes);
	if (s->ops->prog_stats && s->sampler)
		s->ops->prog_stats(s->sampler, &ret->prog_runs, &ret->prog_ns);
}

void session__mapping_summary(struct session *s, char *buf, size_t len)
{
	struct mmap_events_stats ms = {0};
	struct sym_stats ss = {0};

	if (s) {
		sym_session__stats(s->sym, &ss);
		mmap_events__stats(s->mev, &ms);
	}
	if (s && s->mev)
		snprintf(buf, len, "processes with unknown mappings: %llu; mapping events from the "
			 "kernel: %llu records, %llu lost (ring full)",
			 (unsigned long long)ss.processes_unmapped, (unsigned long long)ms.records,
			 (unsigned long long)ms.lost);
	else
		snprintf(buf, len, "processes with unknown mappings: %llu; mapping events off "
			 "(/proc only)", (unsigned long long)ss.processes_unmapped);
}

size_t session__python_loss_counts(struct session *s, struct loss_py_count *ret, size_t max)
{
	uint64_t c[CPROF_PYC_NR * CPROF_PY_NR_MINORS] = {0};

	if (s->ops->python_counts && s->sampler)
		s->ops->python_counts(s->sampler, c);
	return python__losses(&s->py, c, ret, max);
}

void session__python_losses(struct session *s, char *buf, size_t len)
{
	struct loss_py_count l[PYTHON_MAX_LOSSES];

	losses__format_python(l, session__python_loss_counts(s, l, PYTHON_MAX_LOSSES), buf, len);
}
