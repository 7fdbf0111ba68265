/* SPDX-License-Identifier: MIT */
/* sym_bins: the symbolizer's cache of opened binaries, shared by every
 * process. Keyed by "b:<build-id>" (or "n:dev:inode:path" without one), with
 * a second index on the opened file's identity so a file seen again is not
 * reopened, and bounded by an LRU. Mappings hold a binary's key, never a
 * pointer: an evicted binary is reopened on demand and checked against what
 * the capture saw. Also holds the vDSO image. Depends on sym_elf, proc_file
 * and base/ only; never prints.
 */
#ifndef CPROF_SYM_BINS_H
#define CPROF_SYM_BINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/safe_file.h"
#include "symbolize/sym_proc_maps.h"
#include "symbolize/sym_elf.h"

struct sym_bins;

/* How a file mapping reaches its binary. key is owned by the holder (free
 * it); NULL when the file could not be opened. dev/ino: the file opened at
 * capture. */
struct sym_bin_ref {
	char *key;
	dev_t st_dev;
	ino_t st_ino;
	bool reopen_failed; /* evicted and could not be reopened: stop trying */
};

struct sym_bins_stats {
	uint64_t opened;  /* binaries opened into the cache (reopens included) */
	uint64_t evicted; /* LRU evictions */
	uint64_t shed;    /* sym_bins__shed_idle(): binaries that let go of their DWARF */
	uint64_t mapping_hits; /* mappings found by device and inode, with no path walk */
	uint64_t mapped_files_refused[SAFE_FILE_NR_REFUSALS]; /* by enum safe_file_refusal */
};

/* New empty cache of at most max_binaries binaries. debug_dir is the root of
 * separate debug info (with .build-id/); copied. NULL and errno on failure. */
struct sym_bins *sym_bins__new(size_t max_binaries, const char *debug_dir)
	__attribute__((warn_unused_result));
/* Frees every binary and the vDSO; NULL is a no-op. */
void sym_bins__free(struct sym_bins *c);
/* sym_elf__shed() every binary nothing was asked of for idle_ns (they stay
 * cached, lighter), and sym_elf__page_out() every one. The number shed. */
size_t sym_bins__shed_idle(struct sym_bins *c, uint64_t idle_ns);

/* Find or open the binary of one executable file mapping of pid (through
 * /proc/PID/root or map_files, see sym_proc_file__open_mapped) and fill ref;
 * *ret_build_id gets a copy of its build-id ("" when none; the caller frees
 * it). Returns 1 when the binary is cached, 0 when the file could not be
 * opened (ref->key NULL, *ret_build_id untouched), -ENOMEM. */
int sym_bins__attach(struct sym_bins *c, int pid, const struct sym_proc_maps_entry *me,
		     struct sym_bin_ref *ref, char **ret_build_id)
	__attribute__((warn_unused_result));

/* The binary behind ref when cached (touched as most recently used), NULL
 * when it is not (evicted, or never opened). Valid until the next call on c. */
struct sym_elf *sym_bins__get(struct sym_bins *c, const struct sym_bin_ref *ref);

/* Reopen the evicted binary behind ref (through pid's view of the file when
 * alive) for the mapping [start, limit) of path. It must be the file
 * captured: build_id when not "", else the same dev and inode. NULL when it
 * cannot be: remembered in ref->reopen_failed, and not tried again by the
 * caller. Valid until the next call on c. */
struct sym_elf *sym_bins__reopen(struct sym_bins *c, struct sym_bin_ref *ref, int pid, bool alive,
				 uint64_t start, uint64_t limit, const char *path,
				 const char *build_id)
	__attribute__((warn_unused_result));

/* As sym_bins__attach() for a mapping whose build-id the kernel reported,
 * without opening anything: 1 and ref->key and *ret_build_id (copies) when
 * a binary of that build-id is cached, 0 when none is (ref untouched),
 * -ENOMEM. */
int sym_bins__attach_build_id(struct sym_bins *c, const char *build_id, struct sym_bin_ref *ref,
			      char **ret_build_id)
	__attribute__((warn_unused_result));

/* Into *ret_key a copy of the key of the cached binary with that build-id, or
 * NULL when none is cached. 0 or -ENOMEM. */
int sym_bins__key_for_build_id(struct sym_bins *c, const char *build_id, char **ret_key)
	__attribute__((warn_unused_result));

/* This process's vDSO image, opened on first use; NULL when there is none.
 * Valid until sym_bins__free(). */
struct sym_elf *sym_bins__vdso(struct sym_bins *c);

size_t sym_bins__count(const struct sym_bins *c);
const struct sym_bins_stats *sym_bins__stats(const struct sym_bins *c);

#endif /* CPROF_SYM_BINS_H */
