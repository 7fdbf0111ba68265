/* SPDX-License-Identifier: MIT */
/* launch: start `cprof -- CMD ARGS` held before exec, so the profiler can mark
 * it as a target first and miss none of its samples. */
#ifndef CPROF_LAUNCH_H
#define CPROF_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* --user: who the command runs as, all resolved before the fork (the child
 * only makes system calls: cprof may have threads, and NSS lookups or
 * malloc after fork are not safe then). */
struct launch_user {
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups (initgroups' list) */
	int nr_groups;
	char **envp;		/* cprof's environment with HOME, USER, LOGNAME, SHELL
				 * of the user, as su and sudo set them */
};

struct launch {
	pid_t pid;
	int go_fd;	/* write end: one byte releases the child */
	int err_fd;	/* read end: errno of a failed exec, EOF on success */
	bool stdout_to_stderr;	/* set before launch__start: the child's fd 1 is fd 2 */
	/* set before launch__start, borrowed: the child drops to this user's
	 * uid, gid and groups before exec, cprof keeps its own; NULL: none */
	const struct launch_user *user;
};

/* Looks name up (a user name, or a numeric uid). NULL and errno: ENOENT
 * when there is no such user, EPERM when cprof is not root and name is not
 * its own user, ENOMEM; why[why_len] says which. */
struct launch_user *launch_user__new(const char *name, char *why, size_t why_len);
void launch_user__free(struct launch_user *u);	/* NULL: no-op */

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
