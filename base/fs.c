// SPDX-License-Identifier: MIT
/* fs: the one mkdir -p of the tree (the caller chooses the mode: 0700 for
 * the spool, private to cprof's user, 0755 for output directories), and the
 * one way to run a stream parser over a file or a string. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"

int fs__mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int fs__each_line(FILE *f, int (*fn)(char *line, void *ctx), void *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	errno = 0;
	while (getline(&line, &cap, f) >= 0) {
		err = fn(line, ctx);
		if (err < 0)
			break;
	}
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	free(line);
	return err;
}

static void *parse_stream(FILE *f, fs_parse_fn parse, void *ctx)
{
	void *ret;
	int err;

	if (!f)
		return NULL;
	ret = parse(f, ctx);
	err = errno;
	fclose(f);	/* read-only: nothing to lose, and its errno is not the news */
	errno = err;
	return ret;
}

void *fs__parse_path(const char *path, fs_parse_fn parse, void *ctx)
{
	return parse_stream(fopen(path, "re"), parse, ctx);
}

void *fs__parse_string(const char *text, fs_parse_fn parse, void *ctx)
{
	return parse_stream(fmemopen((void *)text, strlen(text), "r"), parse, ctx);
}
