// SPDX-License-Identifier: MIT
/* atomic_file: temp file + fsync + rename. The temporary name is random and
 * created with O_EXCL so concurrent writers of the same path never share one;
 * it is hidden (leading '.') and ends in ".tmp" so a crash leaves an obvious,
 * harmless leftover rather than a half-written destination. Its writer holds
 * an flock on it until commit or abort: the kernel drops the lock when the
 * process dies, however it dies, which is what tells a leftover from a file
 * in use (a pid would not: reused, or in another pid namespace). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_file.h"

#define TMP_SUFFIX	".tmp"
#define RANDOM_LEN	6

static bool is_stdout(const char *path)
{
	return strcmp(path, "-") == 0;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ".BASE.XXXXXX.tmp", with BASE = base when not NULL (else any, not empty). */
static bool is_tmp_name(const char *name, const char *base)
{
	size_t len = strlen(name), tail = 1 + RANDOM_LEN + strlen(TMP_SUFFIX);

	if (name[0] != '.' || len < 2 + tail || strcmp(name + len - strlen(TMP_SUFFIX), TMP_SUFFIX))
		return false;
	if (name[len - tail] != '.')
		return false;
	for (size_t i = len - tail + 1; i < len - strlen(TMP_SUFFIX); i++)
		if (!is_alnum(name[i]))
			return false;
	return !base || (strlen(base) == len - tail - 1 && !memcmp(name + 1, base, len - tail - 1));
}

/* Deletes entry name of dir_fd when it is a stale temporary (see the header). */
static bool sweep_one(int dir_fd, const char *name, time_t now)
{
	struct stat st, again;
	bool gone = false;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    now - st.st_mtime < ATOMIC_FILE_STALE_S)
		goto out_close;
	if (flock(fd, LOCK_EX | LOCK_NB))	/* a live writer holds it */
		goto out_close;
	/* still the same file under that name: then it is ours to delete */
	if (!fstatat(dir_fd, name, &again, AT_SYMLINK_NOFOLLOW) && again.st_dev == st.st_dev &&
	    again.st_ino == st.st_ino)
		gone = !unlinkat(dir_fd, name, 0);
out_close:
	close(fd);	/* drops our lock */
	return gone;
}

int atomic_file__sweep(const char *dir, const char *base)
{
	time_t now = time(NULL);
	struct dirent *de;
	int fd, n = 0;
	DIR *d;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (is_tmp_name(de->d_name, base) && sweep_one(dirfd(d), de->d_name, now))
			n++;
	closedir(d);
	return n;
}

/* Opens a fresh "DIR/.BASE.XXXXXX.tmp" for writing; *ret_tmp is malloc'd. */
static int open_tmp(const char *path, char **ret_tmp, int *ret_fd)
{
	static const char alnum[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	char *tmp;
	int err = -EEXIST;

	if (!*base)
		return -EINVAL;
	{
		char *dir = dirlen ? strndup(path, dirlen) : strdup(".");

		if (!dir)
			return -ENOMEM;
		atomic_file__sweep(dir, base);	/* best effort: never fails the open */
		free(dir);
	}
	for (int attempt = 0; attempt < 100 && err == -EEXIST; attempt++) {
		uint8_t rnd[RANDOM_LEN];
		char suffix[RANDOM_LEN + 1];
		int fd;

		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		for (size_t i = 0; i < sizeof(rnd); i++)
			suffix[i] = alnum[rnd[i] % (sizeof(alnum) - 1)];
		suffix[RANDOM_LEN] = '\0';
		if (asprintf(&tmp, "%.*s.%s.%s" TMP_SUFFIX, dirlen, path, base, suffix) < 0)
			return -ENOMEM;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			/* Held until commit or abort (the fd's close): "in use". A
			 * fresh file is also spared by its age, which covers the
			 * instant between the create and this lock. */
			flock(fd, LOCK_EX | LOCK_NB);
			*ret_tmp = tmp;
			*ret_fd = fd;
			return 0;
		}
		err = -errno;
		free(tmp);
	}
	return err;
}

int atomic_file__open(struct atomic_file *af, const char *path)
{
	char *dup_path, *tmp = NULL;
	struct stat st;
	FILE *f;
	int fd = -1, err;

	if (!af || !path || !*path)
		return -EINVAL;
	dup_path = strdup(path);
	if (!dup_path)
		return -ENOMEM;
	if (is_stdout(path)) {
		af->path = dup_path;
		af->tmp_path = NULL;
		af->f = stdout;
		return 0;
	}
	/* rename(2) onto a directory fails only at commit, after all the work:
	 * refuse it now. */
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto out_free_path;
	}
	err = open_tmp(path, &tmp, &fd);
	if (err)
		goto out_free_path;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		goto out_unlink;
	}
	af->path = dup_path;
	af->tmp_path = tmp;
	af->f = f;
	return 0;

out_unlink:
	close(fd);
	unlink(tmp);
	free(tmp);
out_free_path:
	free(dup_path);
	return err;
}

static void release(struct atomic_file *af)
{
	free(af->path);
	free(af->tmp_path);
	af->path = af->tmp_path = NULL;
	af->f = NULL;
}

/* fsync the directory holding path so the rename itself is durable. */
static int sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, err = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, slash - path);
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out_free_dir;
	}
	if (fsync(fd) < 0 && errno != EINVAL)
		err = -errno;
	close(fd);
out_free_dir:
	free(dir);
	return err;
}

int atomic_file__commit(struct atomic_file *af)
{
	int err = 0;

	if (!af || !af->f)
		return -EINVAL;
	if (!af->tmp_path) {
		/* stdout: nothing to rename; report write errors (EPIPE, ENOSPC). */
		if (fflush(af->f) == EOF)
			err = -errno;
		else if (ferror(af->f))
			err = -EIO;
		release(af);
		return err;
	}
	if (ferror(af->f))
		err = -EIO;
	else if (fflush(af->f) == EOF)
		err = -errno;
	else if (fsync(fileno(af->f)) < 0)
		err = -errno;
	if (fclose(af->f) == EOF && !err)
		err = -errno;
	af->f = NULL;
	if (err)
		goto out_unlink;
	if (rename(af->tmp_path, af->path) < 0) {
		err = -errno;
		goto out_unlink;
	}
	/* The data is in place; a directory fsync failure is still reported. */
	err = sync_dir(af->path);
	release(af);
	return err;

out_unlink:
	unlink(af->tmp_path);
	release(af);
	return err;
}

void atomic_file__abort(struct atomic_file *af)
{
	if (!af || !af->f)
		return;
	if (af->tmp_path) {
		fclose(af->f);
		unlink(af->tmp_path);
	} else {
		/* stdout: what was written cannot be taken back; just flush. */
		fflush(af->f);
	}
	release(af);
}
