/* SPDX-License-Identifier: MIT */
/* sym_debug_spill: a separate debug file whose sections are compressed
 * (Debian's -dbg packages: zlib) handed to libdw as an unnamed copy on disk
 * with those sections decompressed. libdw decompresses every compressed
 * section into its heap when it opens the DWARF (10 MB for libc6-dbg's libc),
 * and a long-running agent keeps them for as long as it symbolizes the
 * binary; decompressed in a file, the same bytes are file pages that the
 * kernel takes back when cprof lets them go (sym_elf__page_out()) and reads
 * again when needed. The copy is the original file, verbatim, with the
 * decompressed contents and a new section header table appended: program
 * headers and notes keep their offsets. Off until a directory is set; the
 * copies (O_TMPFILE) have no name and go when libdw closes them.
 * Depends on base/fs and libelf only; never prints.
 */
#ifndef CPROF_SYM_DEBUG_SPILL_H
#define CPROF_SYM_DEBUG_SPILL_H

#include <stdint.h>

/* Decompressed bytes per file at most; a file over it is used as it is. */
#define SYM_DEBUG_SPILL_MAX_BYTES (1ull << 30)

/* Spill into dir (copied; process-wide) from now on; NULL turns it off.
 * 0, or -errno when dir cannot hold unnamed files or is memory (tmpfs:
 * nothing to gain): spilling stays off. */
int sym_debug_spill__set_dir(const char *dir);

/* fd, a debug file found and checked, as libdw should map it: the spilled
 * copy (fd is closed), or fd itself when spilling is off, nothing in it is
 * compressed, or the copy failed (counted). */
int sym_debug_spill__file(int fd);

struct sym_debug_spill_stats {
	uint64_t files;		/* debug files spilled */
	uint64_t bytes;		/* decompressed bytes they hold */
	uint64_t failed;	/* copies that failed (the file was used as it is) */
};
void sym_debug_spill__stats(struct sym_debug_spill_stats *ret);

#endif
