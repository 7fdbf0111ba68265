/* SPDX-License-Identifier: MIT */
/* session: the one sampling session `cprof record` and `cprof agent` share.
 * It owns the sampler, the symbolizer, the mapping events, the targets and
 * the raw samples of the current window; it handles process events, unwinds
 * stack copies, drains every second and refreshes mappings, and knows the
 * order things stop in. Its users differ only in when a window closes and
 * where it goes: record closes one at the end and writes a file, the agent
 * closes one every --interval and ships it.
 *
 * Lifecycle: session__new (loads BPF) -> session__add_pid / session__follow
 * -> session__start -> session__run (polls; drains and windows when due)
 * -> session__stop -> session__drain twice (the slot the last flip left
 * behind, then the current one) -> build from session__raw() -> free.
 *
 * Optional components (the --net counters) are composed onto the session:
 * their drain runs with every session__drain(), never spliced into a loop.
 * Library-style: returns -errno and fills the caller's why buffer; never
 * prints. */
#ifndef CPROF_SESSION_H
#define CPROF_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/python.h"
#include "bpf/sample.h"
#include "profiler/core/kunwind.h"
#include "profiler/core/losses.h"
#include "profiler/core/mmap_events.h"
#include "profiler/core/raw_profile.h"
#include "profiler/core/runtime_hint.h"
#include "profiler/core/window.h"
#include "symbolize/sym_session.h"
#include "symbolize/unwinder.h"

#define SESSION_WUR	__attribute__((warn_unused_result))
#define SESSION_POLL_MS		100		/* longest wait of a poll, by default */
#define SESSION_DRAIN_NS	1000000000LL	/* drains are due this often */

/* AUTO: walked in the kernel (kunwind.h), stack copies where it cannot;
 * COPY: stack copies unwound here, frame pointers where tables are missing;
 * DWARF: stack copies, tables only; FP: frame pointers in the kernel. */
enum session_unwind { SESSION_UNWIND_AUTO = 0, SESSION_UNWIND_DWARF, SESSION_UNWIND_FP,
		      SESSION_UNWIND_COPY };

struct session_opts {
	unsigned int freq;
	bool cycles, all, idle, verbose;
	/* Children of targets become targets (from session__start() on, and
	 * the descendants session__add_pid() targets have by then). */
	bool follow_forks;
	/* Sample cprof's own process too; by default it is left out, so that
	 * -a and the agent show the machine's work, not the profiler's. */
	bool profile_self;
	bool no_python;			/* --no-python: no CPython frames */
	uint32_t max_stacks;
	enum session_unwind unwind;
	uint32_t stack_size;		/* stack-copy bytes; 0 = CPROF_STACK_COPY_DEFAULT */
	uint64_t unwind_bytes;		/* AUTO: kernel table memory; 0 = KUNWIND_DEFAULT_BYTES */
	/* Off-CPU time (--off-cpu): blocks of at least off_cpu_min_ns, each
	 * recorded with probability off_cpu_ppm / 1e6 (0: all of them). */
	bool off_cpu;
	uint64_t off_cpu_min_ns;
	uint32_t off_cpu_ppm;
	/* Drop exited processes from the symbolizer at each window's end (the
	 * agent); false keeps them to the end of the session (record). */
	bool forget_exited;
	/* The fix a user needs when BPF is refused (EPERM/EACCES), and when the
	 * cycles event is missing: the front end names its own flags. */
	const char *perm_fix, *cycles_fix;
	/* Sees every process event first, before the symbolizer (the agent's
	 * attribution); also each --pid target as a CPROF_EV_NEW. May be NULL. */
	void (*on_process)(void *ctx, const struct cprof_event *e);
	void *ctx;
};

struct session_component {
	/* Called by every session__drain(); ctx is the component's. */
	void (*drain)(void *ctx);
	void *ctx;
};

struct session_stats {
	int nr_cpus;			/* CPUs sampled (after session__start) */
	uint64_t capture_failures;	/* processes whose maps could not be captured */
	uint32_t stack_window;		/* 0: frame pointers; else stack-copy bytes */
	enum uw_mode uw_mode;
	bool mmap_events_on;
	struct mmap_events_stats mev;	/* zeros when off */
	/* --unwind auto: kernel walks by outcome (enum cprof_uw_counter; the
	 * last, CPROF_UWC_COPIED, are samples sent to the stack copy instead) */
	bool kernel_walk;
	const char *kernel_walk_off;	/* asked for but off: why (static) */
	uint64_t uw_counts[CPROF_UWC_NR];
	struct kunwind_stats kuw;
	uint64_t map_bytes[4];		/* BPF map memory: enum sampler_map_kind */
	uint64_t prog_runs, prog_ns;	/* cprof_sample's, with kernel.bpf_stats_enabled */
};

struct session;

/* What every session needs of the process before it starts: as many open
 * descriptors as allowed (each cached binary holds one or two), and a kernel
 * with BTF. 0, or -ENOENT with why said. */
int session__prepare(char *why, size_t why_len) SESSION_WUR;

/* Creates the symbolizer and loads the sampler, then opens the mapping
 * events (their failure is not fatal: see session__mmap_events_why()).
 * NULL with errno set and why filled ("out of memory", or the failed BPF
 * step with its fix) on failure. */
struct session *session__new(const struct session_opts *o, char *why, size_t why_len) SESSION_WUR;
/* The sampler's operations (profiler/core/sampler.h): the BPF one, or a
 * fake for tests of the session without BPF. */
struct sampler;
struct sampler_opts;
struct session_sampler_ops {
	struct sampler *(*new)(const struct sampler_opts *o, const char **ret_what);
	void (*free)(struct sampler *sp);
	int (*add_target)(struct sampler *sp, uint32_t tgid);
	int (*start)(struct sampler *sp, const char **ret_what);
	void (*stop)(struct sampler *sp);
	int (*poll)(struct sampler *sp, int timeout_ms);
	int64_t (*drain)(struct sampler *sp, struct raw_profile *rp);
	int (*counters)(struct sampler *sp, uint64_t ret[CPROF_NR_COUNTERS]);
	int (*nr_cpus)(const struct sampler *sp);
	/* CPython (sampler__set_python, sampler__python_counts); NULL: none */
	int (*set_python)(struct sampler *sp, uint32_t tgid, const struct cprof_py_proc *p);
	int (*python_counts)(struct sampler *sp, uint64_t *ret);
	/* the in-kernel unwinder (sampler__kunwind_maps, __uw_counts); NULL: none */
	int (*kunwind_maps)(struct sampler *sp, struct kunwind_maps *ret, const char **ret_why);
	int (*uw_counts)(struct sampler *sp, uint64_t *ret);
	void (*map_bytes)(struct sampler *sp, uint64_t *ret);	/* NULL: zeros */
	void (*prog_stats)(struct sampler *sp, uint64_t *runs, uint64_t *ns);	/* NULL: zeros */
	/* a poll also ends when fd is readable (sampler__watch); NULL: polls
	 * wait SESSION_POLL_MS at most */
	int (*watch)(struct sampler *sp, int fd);
};
/* session__new() on ops (NULL: the BPF sampler). */
struct session *session__new_on(const struct session_opts *o,
				const struct session_sampler_ops *ops, char *why,
				size_t why_len) SESSION_WUR;
/* NULL is a no-op. Detaches everything (the mapping events before the
 * symbolizer they feed). */
void session__free(struct session *s);

/* true when the mapping events could not be opened, with why said. */
bool session__mmap_events_why(const struct session *s, char *why, size_t why_len);

/* Follows a live pid as a target: the session ends when all are gone.
 * -ESRCH ("pid N does not exist") or the sampler's -errno ("adding pid N:
 * ..."). A failed capture of its maps is counted, not returned. */
int session__add_pid(struct session *s, pid_t pid, char *why, size_t why_len) SESSION_WUR;
/* Samples pid (a launched command) without making it a target. */
int session__follow(struct session *s, pid_t pid, char *why, size_t why_len) SESSION_WUR;
/* Components are ticked in the order added; at most 4. 0 or -ENOSPC. */
int session__add_component(struct session *s, const struct session_component *c) SESSION_WUR;

/* Attaches the perf events; starts the first window. */
int session__start(struct session *s, char *why, size_t why_len) SESSION_WUR;
/* A drain is due: SESSION_DRAIN_NS since the last one. */
bool session__drain_due(const struct session *s, int64_t now_mono);
/* Moves the kernel's samples into the window's raw profile, refreshes the
 * mappings of processes with code mapped since their capture, ticks the
 * components. Returns the samples moved or -errno (the components are
 * ticked either way); -ENOMEM without a raw profile. */
int64_t session__drain(struct session *s) SESSION_WUR;
/* The periodic drain: session__drain(), then (without forget_exited) the
 * mapping events of processes exited before the previous tick are let go. */
int64_t session__tick(struct session *s) SESSION_WUR;
/* Stop order: the last process events, stop sampling, the events that came
 * meanwhile. Draining still works after. */
void session__stop(struct session *s);
/* true while a target (session__add_pid) is alive; false without targets. */
bool session__targets_alive(struct session *s);
size_t session__nr_targets(const struct session *s);

/* The one sampling loop. Each turn: a poll (mapping events applied, then a
 * wait for process events, handled); after_poll; then the
 * deadline; then a window when window_ns have passed (on_window, which
 * drains), else a drain when one is due (on_drain); then should_stop; then
 * the targets (unless ignore_targets). The callbacks return true to stop. */
enum session_end {
	SESSION_END_SIGNAL,	/* stop_signal__get() */
	SESSION_END_DEADLINE,	/* end_mono reached */
	SESSION_END_TARGETS,	/* every --pid target exited */
	SESSION_END_POLL,	/* a poll failed: *ret_err */
	SESSION_END_CALLER,	/* a callback returned true */
};

struct session_loop {
	int64_t end_mono;	/* CLOCK_MONOTONIC ns; INT64_MAX: no deadline */
	int64_t window_ns;	/* 0: no windows in the loop (record closes one after) */
	bool ignore_targets;	/* a launched command ends the run instead */
	/* The longest a poll waits when nothing is due sooner (a drain, a
	 * window, the deadline); at least SESSION_POLL_MS, the default. Every
	 * ring wakes the poll as it fills; what waits are the exits of
	 * processes and the stack copies short of an eighth of their ring, and
	 * a target's exit is noticed that late. The agent waits a drain's
	 * length: its wake-ups on an idle machine are its cost. */
	int max_wait_ms;
	void (*after_poll)(void *ctx);			/* may be NULL */
	bool (*on_window)(void *ctx);	/* with window_ns; drains, closes the window */
	bool (*on_drain)(void *ctx);	/* calls session__tick() or session__drain() */
	bool (*should_stop)(void *ctx);		/* may be NULL */
	void *ctx;
};

enum session_end session__run(struct session *s, const struct session_loop *l, int *ret_err) SESSION_WUR;
/* Monotonic or wall-clock time in ns (clock_gettime). */
int64_t session__clock_ns(clockid_t clk);

/* The current window's samples; valid until session__end_window(). */
struct raw_profile *session__raw(struct session *s);
/* The current window is interval_ns old. */
bool session__window_due(const struct session *s, int64_t now_mono, int64_t interval_ns);
/* Closes the current window's time span at the current clocks. */
void session__close_window(struct session *s, struct window_span *ret);
/* After the window is built: processes that exited are forgotten, and
 * unless last, a new raw profile starts and binaries idle for 30 s let go
 * of their DWARF (sym_session__shed_idle()). -ENOMEM: none could be made. */
int session__end_window(struct session *s, bool last) SESSION_WUR;

struct sym_session *session__sym(struct session *s);
struct uw_stats *session__uw_stats(struct session *s);	/* NULL: frame pointers */
/* Stacks that ended in JIT code, per runtime, since the session began: the
 * windows ended and the current raw profile, into *ret. */
void session__runtime_hint(struct session *s, struct runtime_hint *ret);
/* The BPF counters (enum cprof_drop), cumulative. 0 or -errno. */
int session__counters(struct session *s, uint64_t ret[CPROF_NR_COUNTERS]) SESSION_WUR;
void session__stats(const struct session *s, struct session_stats *ret);
/* The one line on mappings both front ends print: "processes with unknown
 * mappings: N; mapping events from the kernel: R records, L lost (ring
 * full)", or "...; mapping events off (/proc only)". s may be NULL (a run
 * stopped before its session was made: zeros). */
void session__mapping_summary(struct session *s, char *buf, size_t len);

/* The CPython frames lost, one line per reason and version, separated by
 * '\n'; "" when none were (python.h). */
void session__python_losses(struct session *s, char *buf, size_t len);
/* The same as counts (python__losses()): their number, up to max. */
size_t session__python_loss_counts(struct session *s, struct loss_py_count *ret, size_t max);

#endif /* CPROF_SESSION_H */
