// SPDX-License-Identifier: MIT
/* Two pipes: the child blocks reading `go` until the parent has set up
 * sampling, and reports a failed exec through `err`, which is close-on-exec so
 * a successful exec reads as EOF in the parent. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "profiler/core/launch.h"

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
		execvp(argv[0], argv);
		e = errno;
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
