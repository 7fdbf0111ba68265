/* SPDX-License-Identifier: MIT */
/* sym_proc_file: the files a process names that cprof opens as root on its
 * behalf: its JIT perf map and the binaries it mapped. Each goes through
 * safe_file with the rules that fit it, so a process (or the user behind
 * it, in their own mount namespace) cannot make cprof block, read without
 * bound, or take another user's file for the process's. libc only.
 */
#ifndef CPROF_SYM_PROC_FILE_H
#define CPROF_SYM_PROC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "symbolize/sym_proc_maps.h"

/* Open the perf map of pid (nspid: its pid in its own namespace):
 * /proc/PID/root/tmp/perf-NSPID.map, else /tmp/perf-PID.map. It must be a
 * regular file (no symlink) owned by the process's effective uid (the owner
 * of /proc/PID) or root, not writable by others, within
 * SYM_PERF_MAP_MAX_BYTES. Returns an fd and *ret_st, -ENOENT when there is
 * none, or a safe_file refusal (-errno; safe_file__refusal() names it). */
int sym_proc_file__open_perf_map(int pid, int nspid, struct stat *ret_st)
	__attribute__((warn_unused_result));

/* Open the jitdump file pid mapped at path (as the process sees it, from its
 * maps), through /proc/PID/root (or, the process gone, in our own view),
 * with the rules of perf maps and a bound of SYM_JITDUMP_MAX_BYTES. An fd and *ret_st, or -errno (-ENOENT; a refusal). */
int sym_proc_file__open_jitdump(int pid, const char *path, struct stat *ret_st)
	__attribute__((warn_unused_result));

/* Open the file behind one file mapping of pid the way the process sees it:
 * its root (containers; the final component not followed, the inode the
 * maps line gives preferred), then /proc/PID/map_files/ (deleted or replaced
 * files), and, when the process is gone (!alive), the path in our own view.
 * Only regular files are opened, never blocking. Returns an fd and writes
 * the path to search .gnu_debuglink next to into name; or -errno. When a
 * candidate was refused (a FIFO bind-mounted over the library, say),
 * *ret_refused gets that -errno, else 0, whatever the result. */
int sym_proc_file__open_mapped(int pid, bool alive, const struct sym_proc_maps_entry *me,
			       char *name, size_t namelen, int *ret_refused)
	__attribute__((warn_unused_result));

/* The identity of the file sym_proc_file__open_mapped() opens first, without
 * opening it: stat of the path in pid's root, the final component not
 * followed. 0 when that is a regular file with the inode the maps line
 * gives (*ret_st written), else -errno (-ESTALE: another file, or deleted).
 * A cache that has opened that very file (the same device, inode, size and
 * mtime) needs no second open. */
int sym_proc_file__stat_mapped(int pid, const struct sym_proc_maps_entry *me,
			       struct stat *ret_st);

#endif
