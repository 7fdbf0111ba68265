/* SPDX-License-Identifier: MIT */
/* sym_python: CPython processes and their code objects. Finds the
 * interpreter of a process (the python binary or libpython, stripped or
 * not: only the dynamic symbols are read, from the process's memory), picks
 * its version's struct layout for the BPF walk (bpf/python.h), and names
 * the Python frames the walk returns: qualified name, .py path and the line
 * of the instruction. Code objects are read while their process lives and
 * cached by (pid, start time, address); an entry is checked again against
 * the object once per generation (a drain), so a freed and reused address
 * gets the new object's name. Bounded: SYM_PY_MAX_CODES entries, dropped
 * whole at a flush once over the bound. Not thread-safe; never prints. */
#ifndef CPROF_SYM_PYTHON_H
#define CPROF_SYM_PYTHON_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/python.h"
#include "symbolize/sym_session.h"

#define SYM_PY_MAX_CODES	(256 * 1024)
#define SYM_PY_MAX_PROCS	8192

/* Counters, cumulative. */
struct sym_python_stats {
	uint64_t processes;		/* CPython processes of a known layout found */
	uint64_t codes_read;		/* code objects read (cold) */
	uint64_t codes_checked;		/* cached ones checked again (warm) */
	uint64_t codes_replaced;	/* checked and found to be another object */
	uint64_t codes_unreadable;	/* reads that failed: the frame stays unnamed */
	uint64_t unreadable_by_minor[CPROF_PY_NR_MINORS];	/* the same by 3.minor */
	uint64_t codes_cached;		/* entries now */
	uint64_t read_ns;		/* time spent reading code objects */
};

struct sym_python;

struct sym_python *sym_python__new(void);
void sym_python__free(struct sym_python *py);

/* Looks at the process: 1 and *ret set for a CPython whose layout is known
 * (ret is what the BPF walk needs); 0 when it runs no CPython; -ENOTSUP for
 * a CPython of an unknown version, whose "3.N" is then in ret_version;
 * -EAGAIN when its interpreter image is mapped but has no _PyRuntime (yet:
 * the python binary before ld.so mapped libpython); -errno when it could
 * not be read. ret_version gets "3.N" for 1 as well. */
int sym_python__add_process(struct sym_python *py, int pid, uint64_t start_ticks,
			    struct cprof_py_proc *ret, char *ret_version, size_t len);
/* The process is gone (or exec'd): its code objects and version stay
 * known until the next flush, but nothing more is read. */
void sym_python__remove_process(struct sym_python *py, int pid, uint64_t start_ticks);
/* Whether the process was added (known or not) and not removed since. */
bool sym_python__live(const struct sym_python *py, int pid, uint64_t start_ticks);

/* Whether a mapped file's path names a CPython binary or libpython (what
 * sym_python__add_process() looks for). */
bool sym_python__is_interpreter_path(const char *path);
/* Whether a process added before has a known layout. */
bool sym_python__known(const struct sym_python *py, int pid, uint64_t start_ticks);
/* "3.N" of a process added before (known or not), or NULL. Valid until its removal. */
const char *sym_python__version(const struct sym_python *py, int pid, uint64_t start_ticks);

/* Reads (or checks again, once per generation) the code objects of one
 * Python stack (frames as bpf/python.h packs them) while the process lives.
 * 0, or -ENOMEM; a frame that cannot be read is counted and left unnamed,
 * as is one first noted after the process was removed (nothing is read:
 * its pid may be another process's by then). */
int sym_python__note(struct sym_python *py, int pid, uint64_t start_ticks,
		     const uint64_t *frames, uint32_t n);
/* Starts a generation: each cached code object is checked again when next noted. */
void sym_python__next_generation(struct sym_python *py);

/* Names one frame into *ret (one sym_frame, the mapping "[python3.N]").
 * 0, or -ENOENT when its code object was never read. Strings are valid
 * until the next sym_python__flush(). */
int sym_python__resolve(struct sym_python *py, int pid, uint64_t start_ticks, uint64_t frame,
			struct sym_result *ret);

/* Window end: forgets removed processes, and drops every cached code
 * object once over the bound. */
void sym_python__flush(struct sym_python *py);
void sym_python__stats(const struct sym_python *py, struct sym_python_stats *ret);

#endif
