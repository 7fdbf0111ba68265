/* SPDX-License-Identifier: MIT */
/* sym_runtime: which language runtime a process runs, from the files it
 * maps (libjvm.so, node, libpython / python3.x), for hints on making its
 * JIT code unwindable and named. Depends on nothing; never prints.
 */
#ifndef CPROF_SYM_RUNTIME_H
#define CPROF_SYM_RUNTIME_H

enum sym_runtime {
	SYM_RUNTIME_NONE = 0,
	SYM_RUNTIME_JAVA,
	SYM_RUNTIME_NODE,
	SYM_RUNTIME_PYTHON,
	SYM_NR_RUNTIMES,
};

/* The runtime a mapped file's path (as in /proc/PID/maps) gives away, or
 * SYM_RUNTIME_NONE. */
enum sym_runtime sym_runtime__of_path(const char *path);
/* "Java", "Node", "Python"; "" for none. */
const char *sym_runtime__name(enum sym_runtime r);
/* What to run the program with so its JIT frames unwind and get names. A
 * static string; "" for none. */
const char *sym_runtime__hint(enum sym_runtime r);

#endif /* CPROF_SYM_RUNTIME_H */
