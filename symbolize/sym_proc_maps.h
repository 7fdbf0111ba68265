/* SPDX-License-Identifier: MIT */
/* sym_proc_maps: parser for /proc/PID/maps. Parses from a FILE*, a string or
 * a live pid, one struct per line, in file order (ascending addresses).
 * Knows the awkward lines: paths with spaces, " (deleted)", anonymous and
 * [bracketed] mappings, hex device numbers, 64-bit addresses. libc only.
 */
#ifndef CPROF_SYM_PROC_MAPS_H
#define CPROF_SYM_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sym_proc_maps_entry {
	uint64_t start, end;      /* [start, end) */
	uint64_t offset;          /* file offset of start */
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	char perms[5];            /* "r-xp", NUL-terminated */
	bool deleted;             /* the path ended in " (deleted)" (stripped) */
	const char *path;         /* "" for anonymous mappings; owned by the parent */
	char build_id[41];        /* hex, from a kernel MMAP2 record (sym_proc_events.h); "" from /proc */
	bool pre_exec;            /* sym_proc_events: of the image before the last exec, gone */
};

struct sym_proc_maps {
	size_t n;
	struct sym_proc_maps_entry *entries;
};

/* Parse every line of f (until EOF). Lines that do not parse are skipped.
 * Returns a new table (free with sym_proc_maps__free) or NULL and errno. */
struct sym_proc_maps *sym_proc_maps__parse_file(FILE *f)
	__attribute__((warn_unused_result));
/* Same from a NUL-terminated buffer. */
struct sym_proc_maps *sym_proc_maps__parse_string(const char *text)
	__attribute__((warn_unused_result));
/* Read /proc/PID/maps. NULL and errno (ESRCH when the process is gone). */
struct sym_proc_maps *sym_proc_maps__read(int pid)
	__attribute__((warn_unused_result));
void sym_proc_maps__free(struct sym_proc_maps *m);

/* Parse one line (with or without its '\n') into *ret; ret->path points into
 * the caller's line (after stripping, which may write a NUL into line).
 * 0, or -EINVAL when the line is not a maps line. */
int sym_proc_maps__parse_line(char *line, struct sym_proc_maps_entry *ret)
	__attribute__((warn_unused_result));

static inline bool sym_proc_maps_entry__executable(const struct sym_proc_maps_entry *e)
{
	return e->perms[2] == 'x';
}

#endif
