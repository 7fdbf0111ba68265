/* SPDX-License-Identifier: MIT */
/* sampler: the kernel side seen from userspace. Loads bpf/sample.bpf.c, opens
 * one perf event per online CPU, keeps the target set, forwards process events
 * and drains the double-buffered maps losslessly into a raw_profile. In
 * stack-copy mode it also consumes the stack records as they come (each poll,
 * after the process events of the same poll), has them unwound by the caller's
 * callback, and keeps the samples until the next drain moves them into its
 * raw_profile: the same raw form as frame-pointer stacks. */
#ifndef CPROF_SAMPLER_H
#define CPROF_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/python.h"
#include "bpf/sample.h"
#include "bpf/unwind.h"
#include "profiler/core/map_drain.h"	/* MAP_DRAIN_WUR */
#include "profiler/core/raw_profile.h"

struct sampler_opts {
	unsigned int freq;	/* Hz */
	bool cycles;		/* hardware cycles instead of cpu-clock */
	bool all;		/* every process, not only targets */
	bool idle;		/* keep pid 0 */
	bool follow_forks;	/* children of targets become targets */
	uint32_t exclude_tgid;	/* this process is never sampled; 0: none */
	uint32_t max_stacks;	/* entries per stack map and per count map; 0 = 16384 */
	uint32_t stack_entries;	/* entries per stack map only; 0 = max_stacks (tests fill it) */
	/* Stack-copy mode: bytes of user stack copied per sample (up to
	 * CPROF_STACK_COPY_MAX); 0 = frame-pointer stacks from the kernel. */
	uint32_t stack_window;
	/* With stack_window: walk user stacks in the kernel with the unwind
	 * tables pushed into kernel_walk_bytes of rows (sampler__kunwind_maps);
	 * processes without them still get stack copies. */
	bool kernel_walk;
	uint64_t kernel_walk_bytes;
	/* With kernel_walk on: the window of its fallback's copies instead of
	 * stack_window (0: stack_window). They are few, and a process's first
	 * milliseconds are as deep as the rest. */
	uint32_t walk_window;
	/* Off-CPU time (bpf/offcpu.bpf.h): blocks of at least off_cpu_min_ns,
	 * each recorded with probability off_cpu_ppm / 1e6 (0 = 1e6). */
	bool off_cpu;
	uint64_t off_cpu_min_ns;
	uint32_t off_cpu_ppm;
	/* Stack-copy mode: turn one record (and the stack_len bytes at stack) into
	 * ips[0..max), leaf first; returns the number of frames, or -errno for a
	 * user stack that is lost. Called from sampler__poll() and sampler__drain(). */
	int (*unwind)(void *ctx, const struct cprof_stack_record *r, const void *stack,
		      uint64_t *ips, uint32_t max);
	/* Stack-copy mode: called from sampler__poll() with each sample's
	 * Python frames (bpf/python.h packing), as they arrive. May be NULL. */
	void (*on_py_stack)(void *ctx, uint32_t pid, uint64_t start_ticks,
			    const uint64_t *frames, uint32_t n);
	bool no_python;		/* no Python walk in the kernel */
	bool verbose;		/* libbpf's own messages */
	/* Called from sampler__poll() for each process event. */
	void (*on_event)(void *ctx, const struct cprof_event *e);
	void *ctx;
};

struct sampler;

/* Opens and loads the BPF object. On failure returns NULL, sets errno, and
 * points *ret_what at a static phrase naming the failed step. */
struct sampler *sampler__new(const struct sampler_opts *opts, const char **ret_what) MAP_DRAIN_WUR;
void sampler__free(struct sampler *s);

int sampler__add_target(struct sampler *s, uint32_t tgid) MAP_DRAIN_WUR;
/* Attaches the tracepoints and one perf event per online CPU. *ret_what as above. */
int sampler__start(struct sampler *s, const char **ret_what) MAP_DRAIN_WUR;
/* Stops sampling (closes the perf events); draining still works afterwards. */
void sampler__stop(struct sampler *s);
/* Waits up to timeout_ms for process events (or a filling stack ring), then
 * handles the events and, in stack-copy mode, the stack records; returns how
 * many events were handled or -errno. */
int sampler__poll(struct sampler *s, int timeout_ms);
/* A poll also ends when fd is readable (EPOLLIN): another ring the caller
 * reads after it (the mapping events). 0 or -errno. */
int sampler__watch(struct sampler *s, int fd);
/* Flips the slot, waits for running programs to leave the old one, moves its
 * contents (and in stack-copy mode every stack record so far) into rp and
 * clears it. Returns the number of samples moved, or -errno. Every sample is
 * moved at most once: on -ENOMEM the slot is emptied all the same and what
 * could not be stored is counted in CPROF_DROP_DRAIN_NOMEM (off-CPU entries:
 * CPROF_DROP_OFFCPU_NOMEM and their time); a failed flip
 * consumes nothing. */
int64_t sampler__drain(struct sampler *s, struct raw_profile *rp) MAP_DRAIN_WUR;
/* Cumulative counters (enum cprof_drop), summed over CPUs, with the
 * userspace ones (CPROF_DROP_DRAIN_NOMEM, CPROF_DROP_OFFCPU_NOMEM). 0 or -errno.
 * The CPROF_LAT_* ones (profiler/core/lat_hist.h) stay zero unless the
 * environment had SAMPLER_LATENCY_ENV=1 at sampler__new(): a bench knob that
 * times each target sample in the program, two clock reads more a sample. */
#define SAMPLER_LATENCY_ENV "CPROF_BPF_LATENCY"
int sampler__counters(struct sampler *s, uint64_t ret[CPROF_NR_COUNTERS]) MAP_DRAIN_WUR;
/* Where the interpreter of CPython process tgid is (p NULL: forget it).
 * 0 or -errno. */
int sampler__set_python(struct sampler *s, uint32_t tgid, const struct cprof_py_proc *p);
/* The BPF walk's counters (enum cprof_py_counter x version), summed over
 * CPUs: ret[reason * CPROF_PY_NR_MINORS + minor]. 0 or -errno. */
int sampler__python_counts(struct sampler *s, uint64_t ret[CPROF_PYC_NR * CPROF_PY_NR_MINORS]);
/* The maps the in-kernel unwinder reads (kunwind.h). -EOPNOTSUPP when
 * it is off: not asked for, or the kernel lacks bpf_loop (then *ret_why). */
struct kunwind_maps;
int sampler__kunwind_maps(struct sampler *s, struct kunwind_maps *ret, const char **ret_why);
/* Kernel memory held by the BPF maps (memlock of /proc/self/fdinfo), by kind. */
enum sampler_map_kind {
	SAMPLER_MAPS_TABLES = 0,	/* unwind rows and per-process mappings (--unwind auto) */
	SAMPLER_MAPS_STACKS,		/* stack maps, their scratch buffers, the stack ring */
	SAMPLER_MAPS_COUNTS,		/* the count maps */
	SAMPLER_MAPS_OTHER,
	SAMPLER_NR_MAP_KINDS,
};
void sampler__map_bytes(struct sampler *s, uint64_t ret[SAMPLER_NR_MAP_KINDS]);
/* The perf_event program's runs and run time in ns since load, as the kernel
 * counts them (only while kernel.bpf_stats_enabled is 1; zeros otherwise). */
void sampler__prog_stats(struct sampler *s, uint64_t *ret_runs, uint64_t *ret_ns);
/* How kernel walks ended (enum cprof_uw_counter), summed over CPUs. 0 or -errno. */
int sampler__uw_counts(struct sampler *s, uint64_t ret[CPROF_UWC_NR]);
/* The number of CPUs with a perf event open. */
int sampler__nr_cpus(const struct sampler *s);

#endif
