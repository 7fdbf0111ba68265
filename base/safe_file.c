// SPDX-License-Identifier: MIT
/* safe_file: guarded opens and bounded reads of files other users control.
 * Every check is made on an O_PATH fd and the file is then reopened through
 * /proc/self/fd, so swapping the path after the checks changes nothing and
 * nothing but a regular file is ever opened for reading. O_NONBLOCK is
 * dropped once the fd is known to be a regular file.
 */
#define _GNU_SOURCE
#include "base/safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int safe_file__check(int fd, const struct safe_file_rules *rules, struct stat *ret_st)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (ret_st)
		*ret_st = st;
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	if (!rules)
		return 0;
	if (rules->check_owner && st.st_uid != rules->owner && st.st_uid != 0)
		return -EPERM;
	if (st.st_mode & rules->refuse_mode)
		return -EACCES;
	if (rules->check_identity &&
	    ((rules->dev && st.st_dev != rules->dev) || st.st_ino != rules->ino))
		return -ESTALE;
	if (rules->max_size && (unsigned long long)st.st_size > rules->max_size)
		return -EFBIG;
	return 0;
}

int safe_file__open(const char *path, const struct safe_file_rules *rules, struct stat *ret_st)
{
	int flags = O_PATH | O_CLOEXEC;
	char self[64];
	struct stat st, st2;
	int pfd, fd = -1, err, fl;

	if (!rules || !rules->follow)
		flags |= O_NOFOLLOW;
	/* O_PATH opens nothing: no FIFO wait, no device open side effect
	 * (a watchdog, a tape rewind); the checks run on what it names */
	pfd = open(path, flags);
	if (pfd < 0)
		return -errno;
	if (!rules || !rules->follow) {
		if (fstat(pfd, &st) == 0 && S_ISLNK(st.st_mode)) {
			err = -ELOOP; /* O_PATH|O_NOFOLLOW opens the link itself */
			goto out_close;
		}
	}
	err = safe_file__check(pfd, rules, &st);
	if (err < 0)
		goto out_close;
	/* the same inode, now for reading; O_NONBLOCK: a lease holder cannot
	 * make the open wait */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		if (err == -EWOULDBLOCK)
			err = -EBUSY;
		goto out_close;
	}
	if (fstat(fd, &st2) != 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
		err = -ESTALE;
		goto out_close;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		err = -errno;
		goto out_close;
	}
	close(pfd);
	if (ret_st)
		*ret_st = st2;
	return fd;

out_close:
	if (fd >= 0)
		close(fd);
	close(pfd);
	return err;
}

int safe_file__read_all(int fd, size_t max, char **ret_buf, size_t *ret_len)
{
	size_t cap = 0, len = 0;
	char *buf = NULL, *nb;
	ssize_t n;

	for (;;) {
		/* room for one byte past max, to tell "exactly max" from "more" */
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= len) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return -EFBIG;
		}
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

enum safe_file_refusal safe_file__refusal(int err)
{
	switch (err) {
	case 0:
	case -ENOENT:
	case -ENOTDIR:
		return SAFE_FILE_NOT_REFUSED;
	case -ELOOP:
		return SAFE_FILE_SYMLINK;
	case -ENODEV:
	case -ENXIO: /* a socket, or a FIFO opened for writing */
		return SAFE_FILE_NOT_REGULAR;
	case -EPERM:
		return SAFE_FILE_FOREIGN_OWNER;
	case -EACCES:
		return SAFE_FILE_WRITABLE;
	case -EFBIG:
		return SAFE_FILE_TOO_BIG;
	case -ESTALE:
		return SAFE_FILE_OTHER_FILE;
	default:
		return SAFE_FILE_UNREADABLE;
	}
}

const char *safe_file__refusal_name(enum safe_file_refusal r)
{
	static const char *const names[SAFE_FILE_NR_REFUSALS] = {
		[SAFE_FILE_NOT_REFUSED] = "not refused",
		[SAFE_FILE_SYMLINK] = "symbolic link",
		[SAFE_FILE_NOT_REGULAR] = "not a regular file",
		[SAFE_FILE_FOREIGN_OWNER] = "foreign owner",
		[SAFE_FILE_WRITABLE] = "writable by others",
		[SAFE_FILE_TOO_BIG] = "too big",
		[SAFE_FILE_OTHER_FILE] = "not the mapped file",
		[SAFE_FILE_UNREADABLE] = "unreadable",
	};

	return (unsigned)r < SAFE_FILE_NR_REFUSALS ? names[r] : "unknown";
}

const char *safe_file__refusal_key(enum safe_file_refusal r)
{
	static const char *const keys[SAFE_FILE_NR_REFUSALS] = {
		[SAFE_FILE_NOT_REFUSED] = "none",
		[SAFE_FILE_SYMLINK] = "symlink",
		[SAFE_FILE_NOT_REGULAR] = "not_regular",
		[SAFE_FILE_FOREIGN_OWNER] = "foreign_owner",
		[SAFE_FILE_WRITABLE] = "writable_by_others",
		[SAFE_FILE_TOO_BIG] = "too_big",
		[SAFE_FILE_OTHER_FILE] = "other_file",
		[SAFE_FILE_UNREADABLE] = "unreadable",
	};

	return (unsigned)r < SAFE_FILE_NR_REFUSALS ? keys[r] : "unknown";
}

unsigned long long safe_file__format_refusals(const uint64_t counts[SAFE_FILE_NR_REFUSALS],
					      char *buf, size_t len)
{
	unsigned long long total = 0;
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (int r = SAFE_FILE_NOT_REFUSED + 1; r < SAFE_FILE_NR_REFUSALS; r++) {
		if (!counts[r])
			continue;
		total += counts[r];
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%llu %s", off ? ", " : "",
						(unsigned long long)counts[r],
						safe_file__refusal_name(r));
	}
	if (!total)
		snprintf(buf, len, "none");
	return total;
}
