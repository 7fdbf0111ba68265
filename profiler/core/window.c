// SPDX-License-Identifier: MIT
/* window: see window.h. */
#include "profiler/core/window.h"

void window__start(struct window *w, int64_t now_real, int64_t now_mono)
{
	w->start_real = now_real;
	w->start_mono = now_mono;
}

bool window__due(const struct window *w, int64_t now_mono, int64_t interval_ns)
{
	return now_mono - w->start_mono >= interval_ns;
}

void window__close(struct window *w, int64_t now_real, int64_t now_mono,
		   struct window_span *ret)
{
	ret->seq = ++w->seq;
	ret->time_nanos = w->start_real;
	ret->duration_nanos = now_mono - w->start_mono;
	if (ret->duration_nanos <= 0)	/* a clock that did not move: still a window */
		ret->duration_nanos = 1;
	window__start(w, now_real, now_mono);
}
