// SPDX-License-Identifier: MIT
/* Symbolization throughput on a large library: loads it into this process,
 * spreads N addresses over its executable mapping and resolves them through a
 * sym_session twice: cold (binary opened and indexed on first need) and warm. */
#include <dlfcn.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "symbolize/sym_session.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double pass(struct sym_session *s, uint64_t start_ticks, const uint64_t *addrs, size_t n,
		   size_t *named)
{
	double t = now();
	struct sym_result r;

	*named = 0;
	for (size_t i = 0; i < n; i++)
		if (sym_session__resolve_user(s, getpid(), start_ticks, addrs[i], false, &r) == 0 &&
		    r.nframes)
			(*named)++;
	return now() - t;
}

int main(int argc, char **argv)
{
	const char *lib = argc > 1 ? argv[1] : "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1";
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000, named;
	uint64_t lo = 0, hi = 0, start_ticks, *addrs;
	char line[4096];
	struct sym_session *s;
	double cold, warm;
	FILE *f;

	static char real[4096];

	/* /proc/self/maps names the file a symlink points to */
	if (realpath(lib, real))
		lib = real;
	if (!dlopen(lib, RTLD_NOW | RTLD_LOCAL)) {
		printf("sym-throughput: cannot load %s: %s\n", lib, dlerror());
		return 0;
	}
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char perms[5];

		if (strstr(line, lib) && sscanf(line, "%lx-%lx %4s", &a, &b, perms) == 3 &&
		    perms[2] == 'x' && b - a > hi - lo)
			lo = a, hi = b;
	}
	if (f)
		fclose(f);
	if (!hi) {
		printf("sym-throughput: no executable mapping of %s\n", lib);
		return 1;
	}
	addrs = malloc(n * sizeof(*addrs));
	srand(42);
	for (size_t i = 0; i < n; i++)
		addrs[i] = lo + ((uint64_t)rand() * 4096 + rand()) % (hi - lo);
	if (proc__start_ticks(getpid(), &start_ticks))
		return 1;
	s = sym_session__new(NULL);
	if (!s || sym_session__add_process(s, getpid(), start_ticks))
		return 1;
	cold = pass(s, start_ticks, addrs, n, &named);
	warm = pass(s, start_ticks, addrs, n, &named);
	printf("sym-throughput: %s (%.0f MiB text): %zu random addresses, %zu named\n", lib,
	       (hi - lo) / 1048576.0, n, named);
	printf("sym-throughput: cold %.0f addr/s (%.3f s incl. opening), warm %.0f addr/s\n",
	       n / cold, cold, n / warm);
	sym_session__free(s);
	free(addrs);
	return 0;
}
