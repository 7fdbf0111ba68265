// SPDX-License-Identifier: MIT
/* targets: a small array of (pid, start time); a session holds a handful. */
#include <errno.h>
#include <stdlib.h>

#include "base/proc.h"
#include "profiler/core/targets.h"

int targets__add(struct targets *ts, pid_t pid, uint64_t start_ticks)
{
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 8;
		struct target *t = realloc(ts->t, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		ts->t = t;
		ts->cap = cap;
	}
	ts->t[ts->n++] = (struct target){ .pid = pid, .start_ticks = start_ticks };
	return 0;
}

void targets__exited(struct targets *ts, pid_t pid, uint64_t start_ticks)
{
	for (size_t i = 0; i < ts->n; i++)
		if (ts->t[i].pid == pid && ts->t[i].start_ticks == start_ticks)
			ts->t[i].gone = true;
}

bool targets__alive(struct targets *ts)
{
	bool any = false;

	for (size_t i = 0; i < ts->n; i++) {
		struct target *t = &ts->t[i];
		uint64_t st;

		if (!t->gone && (proc__start_ticks(t->pid, &st) || st != t->start_ticks))
			t->gone = true;
		any |= !t->gone;
	}
	return any;
}

void targets__release(struct targets *ts)
{
	free(ts->t);
	*ts = (struct targets){0};
}
