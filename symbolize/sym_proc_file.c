// SPDX-License-Identifier: MIT
/* sym_proc_file: rules for the perf maps and mapped binaries of other
 * processes, on top of safe_file. A perf map names functions in the
 * process's samples, so its owner matters; a binary may belong to anyone
 * (a user's own program), so there only its type, its identity and the
 * bounds of reading matter.
 * Depends on sym_proc_maps and base/safe_file only; never prints.
 */
#define _GNU_SOURCE
#include "symbolize/sym_proc_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "symbolize/sym_jitdump.h"
#include "symbolize/sym_perf_map.h"
#include "base/safe_file.h"

/* The effective uid of a process, as the owner of /proc/PID (root when it is
 * not dumpable, or gone: then only root's files are trusted). */
static uid_t proc_owner(int pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return stat(path, &st) == 0 ? st.st_uid : 0;
}

/* A file the process wrote to name its JIT code: its owner's or root's. */
static struct safe_file_rules jit_rules(int pid, uint64_t max_size)
{
	return (struct safe_file_rules){
		.check_owner = true,
		.owner = proc_owner(pid),
		/* S_IWOTH only: umask 002 makes group-writable maps legitimately */
		.refuse_mode = S_IWOTH,
		.max_size = max_size,
	};
}

int sym_proc_file__open_perf_map(int pid, int nspid, struct stat *ret_st)
{
	struct safe_file_rules rules = jit_rules(pid, SYM_PERF_MAP_MAX_BYTES);
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/root/tmp/perf-%d.map", pid, nspid);
	fd = safe_file__open(path, &rules, ret_st);
	if (fd != -ENOENT && fd != -ENOTDIR)
		return fd;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", pid);
	return safe_file__open(path, &rules, ret_st);
}

int sym_proc_file__open_jitdump(int pid, const char *path, struct stat *ret_st)
{
	struct safe_file_rules rules = jit_rules(pid, SYM_JITDUMP_MAX_BYTES);
	char full[4200];

	int fd;

	if (path[0] != '/' ||
	    (size_t)snprintf(full, sizeof(full), "/proc/%d/root%s", pid, path) >= sizeof(full))
		return -ENAMETOOLONG;
	fd = safe_file__open(full, &rules, ret_st);
	if (fd != -ENOENT && fd != -ENOTDIR)
		return fd;
	/* the process is gone (symbolization comes after it exited): the path in
	 * our own view, trusted only when root's (proc_owner() of a gone pid) */
	return safe_file__open(path, &rules, ret_st);
}

/* Without owner rules, EPERM and EACCES come from open itself: only what
 * the file is counts as a refusal here. */
static void note_refusal(int err, int *ret_refused)
{
	enum safe_file_refusal r = safe_file__refusal(err);

	if (!*ret_refused && (r == SAFE_FILE_SYMLINK || r == SAFE_FILE_NOT_REGULAR))
		*ret_refused = err;
}

int sym_proc_file__stat_mapped(int pid, const struct sym_proc_maps_entry *me,
			       struct stat *ret_st)
{
	char name[PATH_MAX + 32];
	struct stat st;

	if (me->deleted)
		return -ESTALE;
	if ((size_t)snprintf(name, sizeof(name), "/proc/%d/root%s", pid, me->path) >= sizeof(name))
		return -ENAMETOOLONG;
	if (fstatat(AT_FDCWD, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	/* the inode only, as sym_proc_file__open_mapped() compares it */
	if (!S_ISREG(st.st_mode) || st.st_ino != me->inode)
		return -ESTALE;
	*ret_st = st;
	return 0;
}

int sym_proc_file__open_mapped(int pid, bool alive, const struct sym_proc_maps_entry *me,
			       char *name, size_t namelen, int *ret_refused)
{
	const struct safe_file_rules nofollow = { 0 };
	const struct safe_file_rules magic = { .follow = true };
	char mf[96];
	int fd = -1, fallback = -1;
	struct stat st;

	*ret_refused = 0;
	if (alive) {
		snprintf(name, namelen, "/proc/%d/root%s", pid, me->path);
		if (!me->deleted) {
			fd = safe_file__open(name, &nofollow, &st);
			/* the inode only: btrfs and overlayfs number devices
			 * otherwise in maps than in fstat */
			if (fd >= 0 && st.st_ino == me->inode)
				return fd;
			if (fd < 0)
				note_refusal(fd, ret_refused);
			fallback = fd;
		}
		/* a magic link to the very file mapped */
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, me->start, me->end);
		fd = safe_file__open(mf, &magic, NULL);
		if (fd >= 0) {
			if (fallback >= 0)
				close(fallback);
			return fd;
		}
		note_refusal(fd, ret_refused);
		if (fallback >= 0)
			return fallback; /* e.g. overlayfs reports another inode */
	}
	snprintf(name, namelen, "%s", me->path);
	fd = safe_file__open(name, &nofollow, NULL);
	if (fd < 0)
		note_refusal(fd, ret_refused);
	return fd;
}
