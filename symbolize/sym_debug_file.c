// SPDX-License-Identifier: MIT
/* sym_debug_file: the debug-file search of libdwfl's standard
 * find_debuginfo, redone so that nothing is opened but a regular file and
 * nothing is used that does not match. Candidates under a debug root
 * (root's) may be symlinks, as .build-id/ entries are; candidates in the
 * binary's own directory (anyone's) may not. A file not owned by root is
 * copied into a memfd first: libdwfl maps what we return, and its owner
 * could truncate it under the mapping (SIGBUS).
 * Depends on sym_debug_spill, base/ (safe_file, compress, fs) and libdw only;
 * never prints.
 */
#define _GNU_SOURCE
#include "symbolize/sym_debug_file.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <elfutils/libdwelf.h>

#include "base/compress.h"
#include "base/fs.h"
#include "base/hex.h"
#include "base/safe_file.h"
#include "symbolize/sym_debug_spill.h"

static bool same_build_id(int fd, const unsigned char *bits, int len)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *id = NULL;
	bool same;

	if (!elf)
		return false;
	same = dwelf_elf_gnu_build_id(elf, &id) == len && id && memcmp(id, bits, (size_t)len) == 0;
	elf_end(elf);
	return same;
}

static bool same_crc(int fd, GElf_Word want)
{
	static unsigned char buf[1 << 16];
	uint32_t crc = 0;
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = compress__crc32(crc, buf, (size_t)n);
		off += n;
	}
	return n == 0 && (GElf_Word)crc == want;
}

/* A copy of a debug file its owner (not root) could truncate under libdwfl's
 * mapping: fd's bytes in a memfd of ours. The memfd, or -1; fd is closed. */
static int private_copy(int fd)
{
	int mfd = memfd_create("cprof-debug-file", MFD_CLOEXEC);
	uint64_t len;

	if (mfd >= 0 && fs__copy(fd, mfd, SYM_DEBUG_FILE_MAX_BYTES, &len)) {
		close(mfd);
		mfd = -1;
	}
	close(fd);
	return mfd;
}

/* Open one candidate; keep it when it matches. fd, or -1. */
static int try_candidate(const char *path, bool trusted_dir, const unsigned char *bits,
			 int bits_len, GElf_Word crc, char **ret_name)
{
	const struct safe_file_rules rules = { .follow = trusted_dir };
	struct stat st;
	int fd = safe_file__open(path, &rules, &st);

	if (fd < 0)
		return -1;
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		/* the copy is memory: bounded, and never for a file of holes */
		if ((uint64_t)st.st_size > SYM_DEBUG_FILE_MAX_BYTES ||
		    (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size / 8) {
			close(fd);
			return -1;
		}
		fd = private_copy(fd);
		if (fd < 0)
			return -1;
	}
	if (bits_len > 0 ? !same_build_id(fd, bits, bits_len) : !same_crc(fd, crc))
		goto out_close;
	fd = sym_debug_spill__file(fd);	/* its compressed sections as file pages */
	*ret_name = strdup(path);
	if (!*ret_name)
		goto out_close;
	return fd;

out_close:
	close(fd);
	return -1;
}

/* The directory of file_name, and the same without a /proc/PID/root prefix
 * (what a debug root mirrors). */
static void split_dir(const char *file_name, char *dir, size_t len, const char **ret_host_dir)
{
	const char *slash = strrchr(file_name, '/');
	int skip = 0;

	snprintf(dir, len, "%.*s", slash ? (int)(slash - file_name) : 0, file_name);
	*ret_host_dir = dir;
	if (sscanf(dir, "/proc/%*d/root%n", &skip) == 0 && skip > 0 &&
	    (dir[skip] == '/' || dir[skip] == '\0'))
		*ret_host_dir = dir + skip;
}

int sym_debug_file__find(Dwfl_Module *mod, void **userdata, const char *modname,
			 Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			 GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const char *search = userdata && *userdata ? *userdata : ":.debug:/usr/lib/debug";
	char path[PATH_MAX], dir[PATH_MAX], entry[PATH_MAX];
	const unsigned char *bits = NULL;
	const char *host_dir, *p;
	GElf_Addr vaddr;
	int bits_len, fd;

	(void)modname;
	(void)base;
	bits_len = dwfl_module_build_id(mod, &bits, &vaddr);
	/* by build-id, under each debug root */
	for (p = search; bits_len > 0 && *p; ) {
		size_t n = strcspn(p, ":");

		snprintf(entry, sizeof(entry), "%.*s", (int)n, p);
		p += n + (p[n] == ':');
		if (entry[0] != '/')
			continue;
		int off = snprintf(path, sizeof(path), "%s/.build-id/%02x/", entry, bits[0]);

		if (off <= 0 || (size_t)off + 2 * (size_t)(bits_len - 1) + 7 >= sizeof(path))
			continue;
		strcpy(hex__encode(path + off, bits + 1, (size_t)(bits_len - 1)), ".debug");
		fd = try_candidate(path, true, bits, bits_len, 0, debuginfo_file_name);
		if (fd >= 0)
			return fd;
	}
	/* by the .gnu_debuglink name */
	if (debuglink_file && *debuglink_file && !strchr(debuglink_file, '/') && file_name) {
		split_dir(file_name, dir, sizeof(dir), &host_dir);
		for (p = search; ; ) {
			size_t n = strcspn(p, ":");
			bool trusted;
			int w;

			snprintf(entry, sizeof(entry), "%.*s", (int)n, p);
			trusted = entry[0] == '/';
			if (!entry[0])
				w = snprintf(path, sizeof(path), "%s/%s", dir, debuglink_file);
			else if (!trusted)
				w = snprintf(path, sizeof(path), "%s/%s/%s", dir, entry, debuglink_file);
			else
				w = snprintf(path, sizeof(path), "%s%s/%s", entry, host_dir, debuglink_file);
			/* never the binary itself */
			if (w > 0 && (size_t)w < sizeof(path) && strcmp(path, file_name)) {
				fd = try_candidate(path, trusted, bits, bits_len, debuglink_crc,
						   debuginfo_file_name);
				if (fd >= 0)
					return fd;
			}
			if (!p[n])
				break;
			p += n + 1;
		}
	}
	errno = ENOENT;
	return -1;
}
