/* SPDX-License-Identifier: MIT */
/* python: the session's CPython support, between the symbolizer's
 * sym_python (which reads processes) and the sampler's BPF walk (which
 * needs each interpreter's address and layout). It finds interpreters as
 * processes appear (again for a while after an exec, until ld.so has
 * mapped libpython), has code objects read while their processes live,
 * and counts what was lost, by reason and version. One per session; the
 * session calls it from its own thread. */
#ifndef CPROF_PYTHON_H
#define CPROF_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/python.h"
#include "bpf/sample.h"
#include "profiler/core/losses.h"
#include "profiler/core/raw_profile.h"
#include "symbolize/sym_python.h"

#define PYTHON_MAX_PENDING	64	/* processes waiting for their interpreter to load */
#define PYTHON_MAX_VERSIONS	8	/* unknown versions told apart in the losses */
/* Bound of python__losses(): every reason in every version */
#define PYTHON_MAX_LOSSES	(PYTHON_MAX_VERSIONS + LOSS_PY_NR * CPROF_PY_NR_MINORS)

/* Pushes (p) or forgets (p NULL) one interpreter into the BPF walk. */
typedef int (*python_set_fn)(void *ctx, uint32_t tgid, const struct cprof_py_proc *p);
/* False when the process surely maps no interpreter (no need to read its maps). */
typedef bool (*python_may_fn)(void *ctx, uint32_t tgid, uint64_t start_ticks);

struct python_pending {
	uint32_t pid;
	uint64_t start_ticks;
	uint32_t tries;		/* looks */
	uint32_t polls;		/* ... of which from polls */
	int64_t last_ns;	/* CLOCK_MONOTONIC of the last look from a sample */
	int64_t last_poll_ns;	/* ... from a poll */
};

struct python_unknown {
	char version[8];
	uint64_t samples;	/* samples of processes of this version: native only */
};

struct python {
	struct sym_python *sym;		/* borrowed from the session's symbolizer */
	python_set_fn set;		/* NULL: off (--no-python, or no BPF) */
	void *ctx;
	python_may_fn may;		/* NULL: every look reads the maps */
	struct python_pending pending[PYTHON_MAX_PENDING];
	size_t npending;
	struct python_unknown unknown[PYTHON_MAX_VERSIONS];
	size_t nunknown;
	uint64_t set_failures;		/* interpreters the BPF map refused */
	size_t noted_upto;		/* samples of the current raw profile seen */
};

/* set NULL turns it all off. */
void python__init(struct python *py, struct sym_python *sym, python_set_fn set, void *ctx);

/* A process event (bpf/sample.h): a new or exec'd process is looked at. */
void python__on_event(struct python *py, const struct cprof_event *e);
/* Each poll: processes that may not have mapped their interpreter yet. */
void python__poll(struct python *py);
/* CLOCK_MONOTONIC ns when python__poll() next has a look to take;
 * INT64_MAX: none pending. */
int64_t python__next_poll_ns(const struct python *py);
/* A sample of pid as it arrives (stack-copy mode): a pending process is
 * looked at again, at most every few milliseconds. */
void python__on_sample(struct python *py, uint32_t pid);
/* A sample's Python frames as they arrive: their code objects are read. */
void python__note(struct python *py, uint32_t pid, uint64_t start_ticks,
		  const uint64_t *frames, uint32_t n);
/* After a drain into rp: reads the code objects of samples from the last
 * call on (and counts samples of unknown versions), then starts a new
 * generation of checks. A new raw profile: from 0 again (python__reset). */
void python__drained(struct python *py, const struct raw_profile *rp);
void python__reset(struct python *py);

/* The Python losses so far (cumulative), each nonzero (reason, version)
 * once, up to max of them into ret; returns their number. counts is the
 * BPF walk's (sampler__python_counts()). losses__format_python() and
 * losses__write_python_metrics() show them. */
size_t python__losses(const struct python *py,
		      const uint64_t counts[CPROF_PYC_NR * CPROF_PY_NR_MINORS],
		      struct loss_py_count *ret, size_t max);

#endif
