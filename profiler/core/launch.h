/* SPDX-License-Identifier: MIT */
/* launch: start `cprof -- CMD ARGS` held before exec, so the profiler can mark
 * it as a target first and miss none of its samples. */
#ifndef CPROF_LAUNCH_H
#define CPROF_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct launch {
	pid_t pid;
	int go_fd;	/* write end: one byte releases the child */
	int err_fd;	/* read end: errno of a failed exec, EOF on success */
	bool stdout_to_stderr;	/* set before launch__start: the child's fd 1 is fd 2 */
};

/* Forks; the child waits for launch__release() and then execs argv[0] (PATH searched). */
int launch__start(struct launch *l, char *const argv[]);
/* Lets the child exec. Returns 0 once it has exec'd, or -errno of the failed exec. */
int launch__release(struct launch *l);
/* Waits for the child to exit, up to grace_ms; then kills it (SIGKILL), as a
 * stop signal forwarded to it may be ignored or never handled. Returns its
 * status as a shell reports it (exit code, or 128 + signal), or -errno;
 * *ret_killed says whether it had to be killed. */
int launch__wait(const struct launch *l, int grace_ms, bool *ret_killed);
/* Closes the pipes (does not wait for or kill the child). */
void launch__release_fds(struct launch *l);

#endif
