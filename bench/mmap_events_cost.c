// SPDX-License-Identifier: MIT
/* The cost of taking mappings from the kernel (profiler/core/mmap_events.c) alone:
 * opens the dummy events, pumps every 100 ms and flushes every second for
 * SECS seconds while the caller runs a load, then prints the records read,
 * records per second, and this process's CPU time (user, system) per second.
 *   mmap_events_cost SECS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "profiler/core/mmap_events.h"
#include "symbolize/sym_session.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5, t0, last_flush;
	struct sym_session *sym = sym_session__new(NULL);
	struct mmap_events_stats st;
	struct mmap_events *me;
	const char *what = "";
	struct rusage ru;

	if (!sym)
		return 1;
	me = mmap_events__new(sym, 0, &what);
	if (!me) {
		fprintf(stderr, "mmap_events_cost: %s: %m\n", what);
		return 1;
	}
	t0 = last_flush = now();
	while (now() - t0 < secs) {
		usleep(100000);
		mmap_events__pump(me);
		if (now() - last_flush >= 1) {
			mmap_events__flush(me);
			last_flush = now();
		}
	}
	mmap_events__pump(me);
	mmap_events__stats(me, &st);
	getrusage(RUSAGE_SELF, &ru);
	secs = now() - t0;
	printf("mapping events: %llu records in %.1f s (%.0f/s: %llu forks, %llu execs, %llu exits, "
	       "%llu exec mmaps), %llu lost; %llu processes held at the end\n",
	       (unsigned long long)st.records, secs, st.records / secs,
	       (unsigned long long)st.forks, (unsigned long long)st.execs,
	       (unsigned long long)st.exits, (unsigned long long)st.mmaps,
	       (unsigned long long)st.lost, (unsigned long long)st.processes);
	printf("reader CPU: %.2f %% user, %.2f %% system of one CPU\n",
	       100 * tv(ru.ru_utime) / secs, 100 * tv(ru.ru_stime) / secs);
	mmap_events__free(me);
	sym_session__free(sym);
	return 0;
}
