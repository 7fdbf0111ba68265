// SPDX-License-Identifier: MIT
/* sym_runtime: runtimes by file name. The names are what the stock builds
 * map: HotSpot's libjvm.so, node's own executable (or a libnode.so), and
 * CPython's libpython3.x.so or its static python3.x executable.
 */
#include "symbolize/sym_runtime.h"

#include <string.h>

enum sym_runtime sym_runtime__of_path(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strcmp(base, "libjvm.so"))
		return SYM_RUNTIME_JAVA;
	if (!strcmp(base, "node") || !strcmp(base, "nodejs") || !strncmp(base, "libnode.so", 10))
		return SYM_RUNTIME_NODE;
	if (!strncmp(base, "libpython", 9) || !strncmp(base, "python2", 7) ||
	    !strncmp(base, "python3", 7))
		return SYM_RUNTIME_PYTHON;
	return SYM_RUNTIME_NONE;
}

const char *sym_runtime__name(enum sym_runtime r)
{
	static const char *const names[SYM_NR_RUNTIMES] = {
		[SYM_RUNTIME_NONE] = "", [SYM_RUNTIME_JAVA] = "Java",
		[SYM_RUNTIME_NODE] = "Node", [SYM_RUNTIME_PYTHON] = "Python",
	};

	return (unsigned int)r < SYM_NR_RUNTIMES ? names[r] : "";
}

const char *sym_runtime__hint(enum sym_runtime r)
{
	static const char *const hints[SYM_NR_RUNTIMES] = {
		[SYM_RUNTIME_NONE] = "",
		[SYM_RUNTIME_JAVA] = "run java with -XX:+PreserveFramePointer (and, for names, "
				     "-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit or a "
				     "perf-map agent)",
		[SYM_RUNTIME_NODE] = "run node with --perf-basic-prof (or --perf-prof) and "
				     "--interpreted-frames-native-stack",
		[SYM_RUNTIME_PYTHON] = "run Python 3.12+ with -X perf",
	};

	return (unsigned int)r < SYM_NR_RUNTIMES ? hints[r] : "";
}
