/* SPDX-License-Identifier: MIT */
/* window: the bookkeeping of profiling windows. A window starts at a
 * wall-clock and a monotonic instant; closing it yields its span (sequence
 * number from 1, wall-clock start, monotonic length, at least 1 ns) and
 * starts the next one at the closing instant, so consecutive windows neither
 * overlap nor leave a gap. record closes one window at the end; the agent one
 * every --interval. Pure arithmetic on the instants the caller passes: no
 * clock is read here. */
#ifndef CPROF_WINDOW_H
#define CPROF_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct window {
	uint64_t seq;		/* windows closed so far */
	int64_t start_real;	/* CLOCK_REALTIME, ns */
	int64_t start_mono;	/* CLOCK_MONOTONIC, ns */
};

struct window_span {
	uint64_t seq;		/* 1 for the first window */
	int64_t time_nanos;	/* wall-clock start (pprof time_nanos) */
	int64_t duration_nanos;	/* monotonic length, >= 1 (pprof duration_nanos) */
};

void window__start(struct window *w, int64_t now_real, int64_t now_mono);
/* true once interval_ns have passed since the window started. */
bool window__due(const struct window *w, int64_t now_mono, int64_t interval_ns);
/* Closes the current window at (now_real, now_mono) into *ret and starts the next. */
void window__close(struct window *w, int64_t now_real, int64_t now_mono,
		   struct window_span *ret);

#endif /* CPROF_WINDOW_H */
