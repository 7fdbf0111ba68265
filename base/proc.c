// SPDX-License-Identifier: MIT
/* proc: /proc/PID/stat is "PID (COMM) STATE PPID ..." where COMM may hold
 * spaces and ')' itself, so the fields start after the LAST ')'. Buffers are
 * bounded: a stat line is under 1 KB (52 numbers); 4 KB is the cap here.
 * status is read line by line (its Groups: line has no useful bound). */
#include "base/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t proc__read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		buf[0] = '\0';
		return -err;
	}
	buf[n] = '\0';
	return n;
}

int proc__parse_stat(const char *line, struct proc_stat *ret)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	struct proc_stat st = { 0 };
	unsigned long long flags, start;
	char state;
	long pid;
	int ppid;
	char *end;
	size_t clen;

	if (!open || !close || close < open)
		return -EINVAL;
	errno = 0;
	pid = strtol(line, &end, 10);
	if (errno || end == line || pid < 0 || pid > INT_MAX)
		return -EINVAL;
	/* after "(comm)": state ppid pgrp session tty tpgid flags ... starttime (22) */
	if (sscanf(close + 1, " %c %d %*d %*d %*d %*d %llu %*u %*u %*u %*u %*u %*u %*d %*d "
		   "%*d %*d %*d %*d %llu", &state, &ppid, &flags, &start) != 4)
		return -EINVAL;
	st.pid = (int)pid;
	clen = (size_t)(close - open - 1);
	if (clen >= sizeof(st.comm))
		clen = sizeof(st.comm) - 1;
	memcpy(st.comm, open + 1, clen);
	st.state = state;
	st.ppid = ppid;
	st.flags = flags;
	st.start_ticks = start;
	*ret = st;
	return 0;
}

int proc__stat(int pid, struct proc_stat *ret)
{
	char path[32], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = proc__read(path, buf, sizeof(buf));
	if (n == 0 || n == -ENOENT || n == -ESRCH)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	return proc__parse_stat(buf, ret);
}

int proc__start_ticks(int pid, uint64_t *ret_start_ticks)
{
	struct proc_stat st;
	int err = proc__stat(pid, &st);

	if (err)
		return err;
	*ret_start_ticks = st.start_ticks;
	return 0;
}

int proc__status_field(int pid, const char *name, long *ret)
{
	size_t nlen = strlen(name), cap = 0;
	char path[32], *line = NULL;
	int err = -ENOENT;
	FILE *f;

	/* Line by line: "Groups:" comes before NSpid and may be long. */
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (getline(&line, &cap, f) >= 0) {
		char *p, *end;
		long v;

		if (strncmp(line, name, nlen) || line[nlen] != ':')
			continue;
		for (p = line + nlen + 1;; p = end) {
			errno = 0;
			v = strtol(p, &end, 10);
			if (end == p || errno)
				break;
			*ret = v;
			err = 0;
		}
		break;
	}
	free(line);
	fclose(f);
	return err;
}

int proc__comm(int pid, char *buf, size_t len)
{
	char path[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = proc__read(path, buf, len);
	if (n <= 0) {
		buf[0] = '\0';
		return -ESRCH;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}
