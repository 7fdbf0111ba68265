/* SPDX-License-Identifier: MIT */
/* proc: the one reader of /proc for processes: a bounded read of a small
 * /proc file, /proc/PID/stat parsed once (comm with spaces and parentheses
 * handled by taking the LAST ')'), and the /proc/PID/status fields cprof
 * needs (Tgid, NSpid). A process's start time in clock ticks since boot
 * (stat field 22) is what tells it from a later process with the same pid.
 * libc only; never prints; every function returns 0 or -errno.
 */
#ifndef CPROF_BASE_PROC_H
#define CPROF_BASE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads at most len - 1 bytes of path into buf, NUL-terminated (len >= 1).
 * Returns the bytes read (0 for an empty file), or -errno of open/read.
 * One read(2): /proc files of this size are produced whole by one read. */
ssize_t proc__read(const char *path, char *buf, size_t len)
	__attribute__((warn_unused_result));

#define PROC_COMM_LEN 16	/* TASK_COMM_LEN, NUL included */

/* The fields of /proc/PID/stat that cprof uses. */
struct proc_stat {
	int pid;
	char comm[PROC_COMM_LEN];	/* between the parentheses, truncated */
	char state;			/* R, S, D, Z, ... */
	int ppid;
	unsigned long long flags;	/* PF_* (PF_KTHREAD = 0x00200000) */
	uint64_t utime, stime;		/* fields 14, 15: its CPU time, clock ticks */
	uint64_t cutime, cstime;	/* 16, 17: of the children it has waited for */
	uint64_t start_ticks;		/* field 22: clock ticks since boot */
};

/* Parses one stat line ("PID (COMM) S PPID ..."): 0, or -EINVAL when it is
 * malformed (no parentheses, fewer than 22 fields, a non-number). */
int proc__parse_stat(const char *line, struct proc_stat *ret)
	__attribute__((warn_unused_result));

/* /proc/PID/stat of pid (a thread id works too): 0, -ESRCH when there is no
 * such process (or its stat is empty), -EINVAL when malformed, or another
 * -errno of open/read (-EACCES...). */
int proc__stat(int pid, struct proc_stat *ret)
	__attribute__((warn_unused_result));

/* Its start time alone (field 22): 0, -ESRCH, -EINVAL. */
int proc__start_ticks(int pid, uint64_t *ret_start_ticks)
	__attribute__((warn_unused_result));

/* Every live descendant of pid (children, their children...) as one scan
 * of /proc sees them: *ret (malloc'd, caller frees; NULL when none) and
 * *ret_n. Processes that come or go during the scan may be missed. 0,
 * -ENOMEM, or -errno of opening /proc. */
int proc__descendants(int pid, struct proc_stat **ret, size_t *ret_n)
	__attribute__((warn_unused_result));

/* CPU time in clock ticks (sysconf(_SC_CLK_TCK)) of pid itself
 * (utime + stime), and of its descendants: the live ones' own and what they
 * have waited for, plus what pid has waited for. The second grows by what
 * the descendants ran, whoever waits for them (as long as the orphaned are
 * not re-parented away). 0, -ESRCH, or proc__descendants()' -errno. */
int proc__family_ticks(int pid, uint64_t *ret_self, uint64_t *ret_descendants)
	__attribute__((warn_unused_result));

/* A numeric field of /proc/PID/status ("Tgid", "PPid"...: the name without
 * its colon); with several values (NSpid), the LAST one, which is the id as
 * seen in the process's own namespace. 0, -ESRCH, or -ENOENT when the field
 * is absent (NSpid on kernels before 4.1). */
int proc__status_field(int pid, const char *name, long *ret)
	__attribute__((warn_unused_result));

/* /proc/PID/comm without its newline into buf (len >= 1; "" on failure):
 * 0 or -ESRCH. */
int proc__comm(int pid, char *buf, size_t len);

#endif /* CPROF_BASE_PROC_H */
