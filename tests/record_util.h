/* SPDX-License-Identifier: MIT */
/* Shared by the suites that run the real cprof binary (check_record,
 * check_dwarf_record): paths under $OUT, running commands with their output in
 * files, and reading the profiles they write. Test-only; header-only because
 * each suite is one translation unit. */
#ifndef CPROF_TESTS_RECORD_UTIL_H
#define CPROF_TESTS_RECORD_UTIL_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "export/pprof.h"
#include "export/profile_read.h"

static char cprof[300], fixtures[300], tmp[300];

/* Paths: $OUT/cprof, $OUT/fixtures, and $OUT/test-output/<subdir> (created). */
static inline void record_util__init(const char *subdir)
{
	const char *o = getenv("OUT") ? getenv("OUT") : "build";

	snprintf(cprof, sizeof(cprof), "%s/cprof", o);
	snprintf(fixtures, sizeof(fixtures), "%s/fixtures", o);
	snprintf(tmp, sizeof(tmp), "%s/test-output/%s", o, subdir);
	mkdir(tmp, 0755);
}

/* A fixture's path; the result stays valid for the next 7 calls. */
static const char *fx(const char *name)
{
	static char buf[8][400];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", fixtures, name);
	return buf[i];
}

/* A file in this suite's output directory; valid for the next 7 calls. */
static const char *tmpf(const char *name)
{
	static char buf[8][400];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, name);
	return buf[i];
}

/* Starts argv with stdout and stderr in files (NULL: /dev/null); returns the pid. */
static inline pid_t spawn_out(char *const argv[], const char *out, const char *err)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fo = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fo, 1);
		dup2(fe, 2);
		execv(argv[0], argv);
		_exit(126);
	}
	return pid;
}

static inline pid_t spawn(char *const argv[], const char *err)
{
	return spawn_out(argv, NULL, err);
}

/* The exit status, or 128 + the signal. */
static inline int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline int run(char *const argv[], const char *err)
{
	return wait_status(spawn(argv, err));
}

/* A file's first 64 KiB as a string; valid until the next call. */
static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

struct prof {
	Perftools__Profiles__Profile *p;
	struct pprof_index *idx;
};

static inline struct prof load(const char *path)
{
	struct prof r = { 0 };
	int err = profile_read__pprof_file(path, &r.p);

	ck_assert_msg(err == 0, "reading %s: %s", path, strerror(-err));
	r.idx = pprof_index__new(r.p);
	ck_assert_ptr_nonnull(r.idx);
	return r;
}

static inline void unload(struct prof *pr)
{
	pprof_index__free(pr->idx);
	pprof__free(pr->p);
}

/* The string value of a sample's label key, or "". */
static inline const char *label_str(const struct prof *pr, const Perftools__Profiles__Sample *s,
				    const char *key)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (!strcmp(pprof__str(pr->p, s->label[i]->key), key))
			return pprof__str(pr->p, s->label[i]->str);
	return "";
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether cprof can sample here: root, and BPF not denied (a 0.2 s -a run).
 * Prints the SKIP line the test runner shows otherwise; need says what the
 * suite needs beyond BPF. */
static inline bool bpf_usable(const char *need)
{
	char *argv[] = { cprof, "-q", "-a", "-d", "0.2", "-o", (char *)tmpf("probe.pb.gz"), NULL };

	if (geteuid() != 0) {
		printf("SKIP: these tests need root (%s)\n", need);
		return false;
	}
	if (run(argv, tmpf("probe.err")) != 0 && strstr(slurp(tmpf("probe.err")), "CAP_BPF")) {
		printf("SKIP: BPF denied here: %s\n", slurp(tmpf("probe.err")));
		return false;
	}
	return true;
}

#endif
