// SPDX-License-Identifier: MIT
/* Two pipes: the child blocks reading `go` until the parent has set up
 * sampling, and reports a failed exec through `err`, which is close-on-exec so
 * a successful exec reads as EOF in the parent. With --user the child also
 * changes its credentials there, groups first and uid last (after setuid
 * it could change nothing), and a failure comes back the same way. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "profiler/core/launch.h"

extern char **environ;

void launch_user__free(struct launch_user *u)
{
	if (!u)
		return;
	if (u->envp)
		for (char **e = u->envp; *e; e++)
			free(*e);
	free(u->envp);
	free(u->groups);
	free(u);
}

/* environ without NAME=..., then NAME=value for each of the user's. */
static char **user_env(const struct passwd *pw)
{
	const char *names[] = { "HOME", "USER", "LOGNAME", "SHELL" };
	const char *values[] = { pw->pw_dir, pw->pw_name, pw->pw_name,
				 pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh" };
	size_t n = 0, k = 0;
	char **envp;

	while (environ && environ[n])
		n++;
	envp = calloc(n + 5, sizeof(*envp));
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < 4; j++) {
			size_t len = strlen(names[j]);

			if (!strncmp(environ[i], names[j], len) && environ[i][len] == '=')
				break;
		}
		if (j < 4)
			continue;
		if (!(envp[k++] = strdup(environ[i])))
			goto out_free;
	}
	for (size_t j = 0; j < 4; j++)
		if (asprintf(&envp[k++], "%s=%s", names[j], values[j]) < 0) {
			envp[--k] = NULL;
			goto out_free;
		}
	return envp;

out_free:
	for (size_t i = 0; i < k; i++)
		free(envp[i]);
	free(envp);
	return NULL;
}

struct launch_user *launch_user__new(const char *name, char *why, size_t why_len)
{
	struct passwd *pw;
	struct launch_user *u;
	char *end;
	unsigned long id;
	int n = 64;

	errno = 0;
	pw = getpwnam(name);
	if (!pw && *name >= '0' && *name <= '9') {
		errno = 0;
		id = strtoul(name, &end, 10);
		if (!*end && id <= UINT_MAX)
			pw = getpwuid((uid_t)id);
	}
	if (!pw) {
		snprintf(why, why_len, "unknown user '%s'%s%s", name, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		errno = ENOENT;
		return NULL;
	}
	if (geteuid() != 0 && pw->pw_uid != geteuid()) {
		snprintf(why, why_len, "--user %s: running a command as another user needs root "
			 "(cprof runs as uid %u)", name, (unsigned int)geteuid());
		errno = EPERM;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		goto out_nomem;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	/* getgrouplist says how many there are when the buffer is short */
	for (int tries = 0; tries < 4; tries++) {
		gid_t *g = realloc(u->groups, (size_t)n * sizeof(*g));

		if (!g)
			goto out_nomem;
		u->groups = g;
		if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &n) >= 0) {
			u->nr_groups = n;
			break;
		}
	}
	u->envp = user_env(pw);
	if (!u->envp || !u->nr_groups)
		goto out_nomem;
	return u;

out_nomem:
	launch_user__free(u);
	snprintf(why, why_len, "--user %s: out of memory", name);
	errno = ENOMEM;
	return NULL;
}

/* In the child: groups, gid, then uid. 0 or -errno. */
static int become(const struct launch_user *u)
{
	if (setgroups((size_t)u->nr_groups, u->groups) || setgid(u->gid) || setuid(u->uid))
		return -errno;
	return 0;
}

int launch__start(struct launch *l, char *const argv[])
{
	int go[2], err[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		int e = -errno;

		close(go[0]);
		close(go[1]);
		return e;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(go[0]); close(go[1]); close(err[0]); close(err[1]);
		return e;
	}
	if (pid == 0) {
		sigset_t none;
		char c;
		int e;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(go[1]);
		close(err[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);	/* the profiler went away: do not run unprofiled */
		if (l->stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(126);	/* the profile owns stdout */
		if (l->user && (e = -become(l->user)))
			goto out_report;	/* never run the command as root by mistake */
		if (l->user)
			execvpe(argv[0], argv, l->user->envp);
		else
			execvp(argv[0], argv);
		e = errno;
out_report:
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(go[0]);
	close(err[1]);
	l->pid = pid;
	l->go_fd = go[1];
	l->err_fd = err[0];
	return 0;
}

int launch__release(struct launch *l)
{
	int e = 0;
	ssize_t n;

	if (write(l->go_fd, "g", 1) != 1)
		return -errno;
	close(l->go_fd);
	l->go_fd = -1;
	do
		n = read(l->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(l->err_fd);
	l->err_fd = -1;
	return n == sizeof(e) ? -e : 0;
}

static int shell_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int launch__wait(const struct launch *l, int grace_ms, bool *ret_killed)
{
	const struct timespec tick = { .tv_nsec = 20 * 1000000 };
	int st;
	pid_t r;

	*ret_killed = false;
	for (int waited = 0;; waited += 20) {
		r = waitpid(l->pid, &st, WNOHANG);
		if (r == l->pid)
			return shell_status(st);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= grace_ms)
			break;
		nanosleep(&tick, NULL);	/* EINTR: a signal, look again */
	}
	*ret_killed = true;
	if (kill(l->pid, SIGKILL) && errno != ESRCH)
		return -errno;
	do
		r = waitpid(l->pid, &st, 0);
	while (r < 0 && errno == EINTR);
	return r == l->pid ? shell_status(st) : -errno;
}

void launch__release_fds(struct launch *l)
{
	if (l->go_fd >= 0)
		close(l->go_fd);
	if (l->err_fd >= 0)
		close(l->err_fd);
	l->go_fd = l->err_fd = -1;
}
