// SPDX-License-Identifier: MIT
/* proc: /proc/PID/stat is "PID (COMM) STATE PPID ..." where COMM may hold
 * spaces and ')' itself, so the fields start after the LAST ')'. Buffers are
 * bounded: a stat line is under 1 KB (52 numbers); 4 KB is the cap here.
 * status is read line by line (its Groups: line has no useful bound). */
#include "base/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
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
	unsigned long long flags, start, utime, stime, v[19];
	long long cutime, cstime;
	const char *p;
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
	/* after "(comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime (v[18]). Walked by hand: sscanf's
	 * format machinery was most of a whole-machine agent's parsing time.
	 * strtoull takes "-1" (tpgid, cutime) as its two's complement. */
	p = close + 1;
	while (*p == ' ')
		p++;
	if (!*p)
		return -EINVAL;
	state = *p++;
	for (int i = 0; i < 19; i++) {
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
	}
	ppid = (int)v[0];
	flags = v[5];
	utime = v[10];
	stime = v[11];
	cutime = (long long)v[12];
	cstime = (long long)v[13];
	start = v[18];
	st.pid = (int)pid;
	clen = (size_t)(close - open - 1);
	if (clen >= sizeof(st.comm))
		clen = sizeof(st.comm) - 1;
	memcpy(st.comm, open + 1, clen);
	st.state = state;
	st.ppid = ppid;
	st.flags = flags;
	st.utime = utime;
	st.stime = stime;
	st.cutime = cutime > 0 ? (uint64_t)cutime : 0;
	st.cstime = cstime > 0 ? (uint64_t)cstime : 0;
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

int proc__descendants(int pid, struct proc_stat **ret, size_t *ret_n)
{
	struct proc_stat *all = NULL, *tmp;
	size_t n = 0, cap = 0, found = 0;
	struct dirent *de;
	bool grew;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);

		if (*end || p <= 0 || p > INT_MAX)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 512;
			tmp = realloc(all, cap * sizeof(*all));
			if (!tmp) {
				closedir(d);
				free(all);
				return -ENOMEM;
			}
			all = tmp;
		}
		if (proc__stat((int)p, &all[n]) == 0)
			n++;
	}
	closedir(d);
	/* all[0..found) are descendants: move each process whose parent is
	 * among them (or is pid) to the front, until a pass adds none. */
	do {
		grew = false;
		for (size_t i = found; i < n; i++) {
			bool ours = all[i].ppid == pid;

			for (size_t j = 0; j < found && !ours; j++)
				ours = all[i].ppid == all[j].pid;
			if (ours) {
				struct proc_stat t = all[found];

				all[found++] = all[i];
				all[i] = t;
				grew = true;
			}
		}
	} while (grew);
	if (!found) {
		free(all);
		return 0;
	}
	*ret = all;
	*ret_n = found;
	return 0;
}

int proc__family_ticks(int pid, uint64_t *ret_self, uint64_t *ret_descendants)
{
	struct proc_stat self, *desc;
	uint64_t sum;
	size_t n;
	int err;

	if ((err = proc__stat(pid, &self)) || (err = proc__descendants(pid, &desc, &n)))
		return err;
	sum = self.cutime + self.cstime;
	for (size_t i = 0; i < n; i++)
		sum += desc[i].utime + desc[i].stime + desc[i].cutime + desc[i].cstime;
	free(desc);
	*ret_self = self.utime + self.stime;
	*ret_descendants = sum;
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
