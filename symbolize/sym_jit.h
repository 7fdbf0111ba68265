/* SPDX-License-Identifier: MIT */
/* sym_jit: the JIT code of one process, named by its perf map
 * (/tmp/perf-PID.map) and its jitdump (jit-PID.dump, found in its maps),
 * both read through sym_proc_file so a file owned by someone else, or not a
 * regular file, is refused. The map is reloaded when it
 * changed, checked at most once a second. Embedded in the process table's
 * entries; depends on perf_map, jitdump, proc_file, uw_table (the rule type)
 * and base/ only; never prints.
 */
#ifndef CPROF_SYM_JIT_H
#define CPROF_SYM_JIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/safe_file.h"
#include "symbolize/sym_perf_map.h"
#include "symbolize/uw_table.h"

struct sym_jitdump;

/* Zero-initialised = no map loaded yet. */
struct sym_jit {
	struct sym_perf_map *map; /* NULL until loaded */
	off_t size;               /* of the file loaded */
	struct timespec mtime;
	uint64_t checked_ns;      /* last look at the files for a name */
	uint64_t rule_checked_ns; /* last look at them for an unwind rule */
	int refused;              /* last refusal of the map (-errno), counted once */
	char *dump_path;          /* the jitdump the process mapped, as it sees it; NULL: none
				     known (then looked for in its maps at each refresh) */
	struct sym_jitdump *dump; /* read so far; NULL until read */
	dev_t dump_dev;
	ino_t dump_ino;
	int dump_refused;         /* as refused, for the jitdump */
};

/* Whether pid (nspid inside its namespace) has a readable perf map now. */
bool sym_jit__exists(int pid, int nspid);

/* Whether path (from the process's maps) is a jitdump file, jit-N.dump: the
 * writer maps it executable so that profilers find it. */
bool sym_jit__is_dump_path(const char *path);
/* The process maps the jitdump at path (NULL: none any more). Names from it
 * are looked up after those of the perf map; it is read on from where the
 * last read stopped, as it grows. 0 or -ENOMEM. */
int sym_jit__set_dump(struct sym_jit *j, const char *path) __attribute__((warn_unused_result));

/* Name addr from the process's perf map or jitdump, (re)loading it first when addr is
 * not in the map held and the file changed. 0 with *ret_name (valid until the
 * next call on j), -ENOENT when nothing names it. A map refused (see
 * sym_proc_file__open_perf_map) names nothing, and is counted in
 * refused[reason] once per reason in a row. */
int sym_jit__lookup(struct sym_jit *j, int pid, int nspid, uint64_t addr, const char **ret_name,
		    uint64_t refused[SAFE_FILE_NR_REFUSALS])
	__attribute__((warn_unused_result));

/* CPython 3.12+ (-X perf) calls each Python function's evaluation through
 * a copy of one trampoline (Python/asm_trampoline.S), named "py::QUALNAME:FILE"
 * in the perf map: sub $8,%rsp; call *%rcx; add $8,%rsp; ret (11 bytes on
 * x86_64). It has no CFI and keeps no frame pointer, but its layout is fixed.
 * An entry of another size is not taken for one. */
#define SYM_JIT_PY_TRAMPOLINE_SIZE 11

/* The unwind rule of addr when the perf map names it as code of a known
 * layout (a CPython trampoline): 0 with the rule and [*ret_start,
 * *ret_limit), the instructions it holds for; -ENOENT otherwise. Loads the
 * map as sym_jit__lookup() does (refused counted the same way). */
int sym_jit__unwind_rule(struct sym_jit *j, int pid, int nspid, uint64_t addr,
			 uint64_t refused[SAFE_FILE_NR_REFUSALS], uint64_t *ret_start,
			 uint64_t *ret_limit, struct uw_rule *ret_rule)
	__attribute__((warn_unused_result));

/* The process exec'd: forget the perf map, look again on next use (a
 * jitdump is kept while it is the same file, and read on). */
void sym_jit__reset(struct sym_jit *j);
/* Free the maps. */
void sym_jit__release(struct sym_jit *j);

#endif /* CPROF_SYM_JIT_H */
