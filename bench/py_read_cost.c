// SPDX-License-Identifier: MIT
/* Userspace cost of naming Python frames: reads N code objects of a live
 * CPython (their addresses on stdin, one hex number a line) cold (first
 * sight: header, qualified name, file, line table), then checks them again
 * warm (one header read each, as every drain does), then resolves each to
 * name and line. Prints ns per code object for each. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "symbolize/sym_python.h"

#define MAX_CODES	100000

int main(int argc, char **argv)
{
	static uint64_t frames[MAX_CODES];
	struct sym_python *py = sym_python__new();
	struct sym_python_stats st;
	struct cprof_py_proc p;
	struct sym_result r;
	char v[8];
	uint64_t t0, t1, t2, t3, a;
	size_t n = 0, named = 0;
	int pid, err;

	if (argc != 2 || !py)
		return 2;
	pid = atoi(argv[1]);
	while (n < MAX_CODES && scanf("%" SCNx64, &a) == 1)
		frames[n++] = CPROF_PY_FRAME(a, 0, 0);
	err = sym_python__add_process(py, pid, 0, &p, v, sizeof(v));
	if (err != 1) {
		fprintf(stderr, "py_read_cost: pid %d: not a known CPython (%d)\n", pid, err);
		return 1;
	}
	t0 = clock__mono_ns();
	sym_python__note(py, pid, 0, frames, (uint32_t)n);
	t1 = clock__mono_ns();
	sym_python__next_generation(py);
	sym_python__note(py, pid, 0, frames, (uint32_t)n);
	t2 = clock__mono_ns();
	for (size_t i = 0; i < n; i++)
		named += sym_python__resolve(py, pid, 0, frames[i], &r) == 0;
	t3 = clock__mono_ns();
	sym_python__stats(py, &st);
	printf("py-read-cost: Python %s, %zu code objects (%zu named): cold %.0f ns, "
	       "warm check %.0f ns, resolve %.0f ns per code object\n", v, n, named,
	       (double)(t1 - t0) / n, (double)(t2 - t1) / n, (double)(t3 - t2) / n);
	sym_python__free(py);
	return 0;
}
