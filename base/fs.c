// SPDX-License-Identifier: MIT
/* fs: the one mkdir -p of the tree (the caller chooses the mode: 0700 for
 * the spool, private to cprof's user, 0755 for output directories), the
 * one way to run a stream parser over a file or a string, and the one
 * write-everything loop and file copy. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int fs__write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int fs__copy(int in, int out, uint64_t max, uint64_t *ret_len)
{
	loff_t off_in = 0, off_out = 0;
	bool by_hand = false;

	for (;;) {
		uint64_t room = max - (uint64_t)off_in;
		size_t want = room < (1u << 30) ? (size_t)room + 1 : (1u << 30);
		ssize_t n = -1;

		if (!by_hand) {
			n = copy_file_range(in, &off_in, out, &off_out, want, 0);
			/* not between these files (file systems, a memfd): by hand */
			by_hand = n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP ||
					    errno == ENOSYS);
		}
		if (by_hand) {
			char buf[1 << 16];

			n = pread(in, buf, want < sizeof(buf) ? want : sizeof(buf), off_in);
			if (n > 0) {
				int err = fs__write_all(out, buf, (size_t)n, off_out);

				if (err)
					return err;
				off_in += n;
				off_out += n;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if ((uint64_t)off_in > max)
			return -EFBIG;
	}
	*ret_len = (uint64_t)off_in;
	return 0;
}
