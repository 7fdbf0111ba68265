/* SPDX-License-Identifier: MIT */
/* sym_session: addresses -> frames for cprof's record and agent modes.
 * Processes are captured (/proc/PID/maps, comm) when first seen and keyed by
 * (pid, start_ticks), so PID reuse cannot mix two programs and exited
 * processes still resolve. Binaries are opened once, keyed by build-id, in a
 * bounded LRU shared by all processes; kernel frames come from /proc/kallsyms,
 * JIT frames from perf-PID.map. Not thread-safe: one session, one thread.
 * Never prints; never includes profiler/ or export/ headers.
 */
#ifndef CPROF_SYM_SESSION_H
#define CPROF_SYM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/safe_file.h"
#include "symbolize/sym_runtime.h"
#include "symbolize/unwinder.h"

struct sym_session;

struct sym_opts {
	size_t max_binaries;   /* open-binary cache bound (LRU); 0 = default 256 */
	size_t max_processes;  /* process table bound; 0 = default 65536 */
	/* additions */
	const char *debug_dir; /* root of separate debug info (with .build-id/);
				  NULL = "/usr/lib/debug"; copied */
	size_t max_string_bytes; /* sym_session__flush() drops frame strings above
				    this; 0 = default 64 MiB */
	size_t max_unwind_bytes; /* unwind table cache bound (LRU); 0 = default 256 MiB */
};

struct sym_mapping {           /* one executable mapping as the process saw it */
	uint64_t start, limit, offset; /* VMA start/end and file offset; kernel: address range, offset 0 */
	const char *path;      /* file path as in /proc/PID/maps; "[vdso]", "[kernel.kallsyms]", "[MODULE]" for a kernel module, "[anon]" / "[jit]" for anonymous code */
	const char *build_id;  /* lowercase hex of the GNU build-id note, "" when none */
};

struct sym_frame {
	const char *name;        /* demangled (C++ via __cxa_demangle, Rust legacy with its ::h<hash> suffix removed),
				    an ELF symbol without its version ("free", not "free@@GLIBC_2.2.5") */
	const char *system_name; /* as in the binary (mangled) */
	const char *file;        /* source file (absolute when DWARF gives comp_dir), NULL when unknown */
	uint32_t line;           /* 0 when unknown */
	uint32_t start_line;     /* line of the function's declaration (DW_AT_decl_line), 0 when unknown */
	bool func_start;         /* no symbol: name is "FILE+0xSTART" (a function start from the
				    unwind tables, see sym_fstarts.h), system_name "" */
};

#define SYM_MAX_INLINE 8

struct sym_result {
	const struct sym_mapping *mapping; /* NULL when the address is in no known mapping */
	uint32_t nframes;                  /* 0 = could not be named: the caller keeps the bare address */
	struct sym_frame frames[SYM_MAX_INLINE]; /* innermost (inlined) first, the physical function last */
};

struct sym_stats {
	uint64_t processes;        /* processes captured (cumulative) */
	uint64_t binaries_opened;  /* binaries opened into the cache (cumulative, reopens included) */
	uint64_t binaries_evicted; /* LRU evictions */
	uint64_t binaries_shed;    /* idle binaries that let go of their DWARF (sym_session__shed_idle()) */
	uint64_t resolved;         /* addresses named (nframes > 0) */
	uint64_t unresolved;       /* addresses in a mapping that could not be named */
	uint64_t no_mapping;       /* addresses in no known mapping (or unknown process) */
	/* additions */
	uint64_t processes_evicted; /* dropped from the table by its bound */
	uint64_t processes_cached;  /* in the table now */
	uint64_t binaries_cached;   /* open now */
	uint64_t unwind_tables_built;   /* unwind tables compiled (cumulative) */
	uint64_t unwind_tables_evicted; /* dropped by the cache bound */
	uint64_t unwind_tables_cached;  /* held now (binaries without CFI included) */
	uint64_t unwind_table_bytes;    /* memory they hold now */
	uint64_t unwind_build_ns;       /* time spent compiling them (cumulative) */
	uint64_t unwind_rows_unsupported; /* CFI rows of built tables the compact form cannot express */
	uint64_t unwind_cfi_dropped;    /* CFI entries left out: malformed, or over the build's limits */
	/* files refused (see safe_file.h), by enum safe_file_refusal */
	uint64_t perf_maps_refused[SAFE_FILE_NR_REFUSALS];    /* once per process and reason */
	uint64_t mapped_files_refused[SAFE_FILE_NR_REFUSALS]; /* a path that named no regular file */
	uint64_t processes_unmapped; /* processes whose executable mappings could not be known,
					neither from /proc nor from kernel events (cumulative,
					each once; taken back when a later capture finds them) */
	uint64_t processes_from_events; /* captures answered by kernel events (sym_proc_events.h) */
	uint64_t func_starts;       /* addresses named only by a function start from unwind
				       tables (counted in resolved too) */
};

/* All strings and mappings returned are owned by the session and stay valid
 * until sym_session__free() -- or until sym_session__flush(), see there. */

/* New session; opts may be NULL (all defaults). NULL and errno on failure. */
struct sym_session *sym_session__new(const struct sym_opts *opts)
	__attribute__((warn_unused_result));
/* Frees everything; NULL is a no-op. */
void sym_session__free(struct sym_session *s);

/* Capture /proc/PID/maps and /proc/PID/comm now, keyed by (pid, start_ticks)
 * where start_ticks is field 22 of /proc/PID/stat (clock ticks since boot).
 * Executable file mappings are opened now (through /proc/PID/root/PATH or
 * /proc/PID/map_files/), so they resolve after the process is gone.
 * Idempotent when that (pid, start_ticks) is already captured. -ESRCH when
 * the process is gone or its start time differs (pid reused); -ENOMEM. */
int sym_session__add_process(struct sym_session *s, int pid, uint64_t start_ticks)
	__attribute__((warn_unused_result));

/* The process exec'd: recapture its maps (same pid and start time). Mappings
 * returned before stay valid until the next sym_session__flush(). */
int sym_session__exec(struct sym_session *s, int pid, uint64_t start_ticks)
	__attribute__((warn_unused_result));

/* The executable's own mapping in a process captured earlier: its first
 * file mapping by address (the kernel loads a program below the area where
 * ld.so and libraries go). NULL when the process or such a mapping is
 * unknown. Valid like the mappings of sym_session__resolve_user(). */
const struct sym_mapping *sym_session__main_mapping(struct sym_session *s, int pid,
						    uint64_t start_ticks);

/* Whether addr lies in a mapping captured for (pid, start_ticks): false when the
 * process is unknown or mapped that code after its capture (a library loaded
 * later: recapture with sym_session__exec() while it lives). */
/* The language runtime of a process in the table (sym_runtime.h): from the
 * files it mapped when last captured; SYM_RUNTIME_NONE when unknown. */
enum sym_runtime sym_session__runtime(struct sym_session *s, int pid, uint64_t start_ticks);
bool sym_session__covers(struct sym_session *s, int pid, uint64_t start_ticks, uint64_t addr);
/* False when the kernel's mapping events show, with none missed, that the
 * process maps no CPython binary or libpython (so reading its maps to look
 * for one is no use); true when it may. */
bool sym_session__may_map_python(struct sym_session *s, int pid, uint64_t start_ticks);

/* Name one user address of a process captured earlier (if never captured,
 * try to capture it now). is_return_address: the address is a return address
 * (every frame but the leaf): look up addr-1 so calls at the end of a
 * function and the call's line resolve right. Returns 0 and fills *ret (even
 * when nothing could be named: mapping set, nframes 0), or -errno on a real
 * failure (-ENOMEM). */
int sym_session__resolve_user(struct sym_session *s, int pid, uint64_t start_ticks, uint64_t addr,
			      bool is_return_address, struct sym_result *ret)
	__attribute__((warn_unused_result));

/* Name one kernel address from /proc/kallsyms (read on first use). Core
 * kernel: mapping "[kernel.kallsyms]" (build-id from /sys/kernel/notes);
 * modules: "[name]". When kallsyms shows only zero addresses (kptr_restrict)
 * nframes is 0 with the core mapping. Same return convention as above. */
int sym_session__resolve_kernel(struct sym_session *s, uint64_t addr, bool is_return_address,
				struct sym_result *ret)
	__attribute__((warn_unused_result));

/* Process name (comm of the main thread at capture time) into buf; -ENOENT
 * when unknown, -ENOSPC when buf is too small (nothing written). */
int sym_session__process_name(struct sym_session *s, int pid, uint64_t start_ticks, char *buf,
			      size_t len)
	__attribute__((warn_unused_result));

void sym_session__stats(const struct sym_session *s, struct sym_stats *ret);

/* The start time of a live process: base/proc's proc__start_ticks(). */

/* additions */

struct sym_proc_events;

/* A second source of mappings: what the kernel reported as it happened
 * (symbolize/sym_proc_events.h). A capture uses it alone for a process it knows
 * completely, and where /proc cannot be read or shows no executable mapping
 * (gone, or a zombie). pump(ctx), when set, is called first so that records
 * written so far are applied. pe stays the caller's and must outlive s (or be
 * detached with NULL). */
void sym_session__set_proc_events(struct sym_session *s, struct sym_proc_events *pe,
				  int (*pump)(void *ctx), void *ctx);

/* The process exited and its samples are symbolized: drop it. Its mappings
 * stay valid until the next sym_session__flush(). 0 or -ENOENT. */
int sym_session__remove_process(struct sym_session *s, int pid, uint64_t start_ticks);

/* Between profile windows, once nothing holds results any more: free the
 * mappings of removed, evicted and exec'd processes, and when frame strings
 * exceed opts.max_string_bytes, drop them too. Every pointer returned before
 * this call (except mappings of processes still in the table, which stay
 * valid) becomes invalid. Without it memory grows with the processes seen. */
void sym_session__flush(struct sym_session *s);

/* The session's CPython processes and code objects (sym_python.h), flushed
 * with it. Borrowed: valid until sym_session__free(). */
struct sym_python;
struct sym_python *sym_session__python(struct sym_session *s);

/* Unwind a copy of a user stack of (pid, start_ticks) taken with regs (see
 * unwinder.h) through the unwind tables of the binaries the process mapped:
 * built on first need from each binary's .eh_frame / .debug_frame, cached by
 * build-id in a bounded LRU (opts.max_unwind_bytes) and shared by every process
 * mapping that binary. Captures the process if it was never seen; recaptures
 * its maps (at most once a second) when the sampled ip lies outside them.
 * Returns 0 with ips and *ret filled (ret->stop_object is a mapping path, valid
 * until the next sym_session__flush()), -ESRCH when the process is unknown and
 * gone, -ENOMEM. */
int sym_session__unwind(struct sym_session *s, int pid, uint64_t start_ticks, enum uw_mode mode,
			const struct uw_regs *regs, const struct uw_stack *stack, uint64_t *ips,
			uint32_t max, struct uw_result *ret)
	__attribute__((warn_unused_result));

/* One executable mapping of a process as an unwinder in the kernel needs it
 * (profiler/core/kunwind.c): its binary's unwind table, shared by key. */
struct sym_unwind_object {
	uint64_t start, limit;		/* [start, limit) addresses */
	uint64_t offset;		/* file offset of start */
	const char *key;		/* the binary's identity (build-id); NULL: no table */
	const struct uw_table *table;	/* NULL: no unwind information (JIT, no CFI), or
					 * with key: released (sym_session__release_unwind_tables()),
					 * fn returns -ENODATA to have it compiled again */
	uint64_t bias;			/* table pc (ELF vaddr) = address - bias */
	uint64_t entry;			/* the binary's entry point as an address; 0: none */
};
/* Called per mapping, in address order; nonzero stops the walk and is returned. */
typedef int (*sym_unwind_object_fn)(void *ctx, const struct sym_unwind_object *o);

/* The executable mappings of a captured process with their unwind tables
 * (not those of the image before its last exec, kept for its earlier
 * samples: it maps them no more), built now where missing (as sym_session__unwind() would, same cache). The
 * tables are valid until the next call into s. -ESRCH when the process is
 * unknown, -ENOMEM, or what fn returned. */
int sym_session__unwind_objects(struct sym_session *s, int pid, uint64_t start_ticks,
				sym_unwind_object_fn fn, void *ctx)
	__attribute__((warn_unused_result));

/* Lets every cached binary nothing was asked of for idle_ns go of its
 * symbols and DWARF (sym_elf__shed()); what they answered stays known
 * (sym_rcache), and gives the file pages read so far back to the kernel
 * (sym_elf__page_out()). For a long-running session, whose binaries'
 * decompressed DWARF would otherwise stay for good. The number shed. */
size_t sym_session__shed_idle(struct sym_session *s, uint64_t idle_ns);

/* Frees the unwind tables no stack copy used for idle_ns whose rows
 * held(ctx, key) says are kept elsewhere, until they hold keep_bytes or
 * less (see sym_unwind__release_idle()): compiled again on need. The number
 * freed. */
size_t sym_session__release_unwind_tables(struct sym_session *s, uint64_t idle_ns, size_t keep_bytes,
					  bool (*held)(void *ctx, const char *key), void *ctx);

#endif
