/* SPDX-License-Identifier: MIT */
/* sym_debug_file: finds the separate debug file of a binary for libdwfl (a
 * Dwfl_Callbacks.find_debuginfo), opening every candidate through safe_file:
 * a FIFO or a device named by a user's .gnu_debuglink cannot block or feed
 * cprof, and a candidate is used only when it matches the binary (same
 * build-id, or the debuglink's CRC when the binary has none). Search order
 * as libdwfl's own: by build-id under each absolute entry of the search
 * path, then the debuglink name next to the file, in its .debug/, and under
 * each absolute entry followed by the file's directory (with a leading
 * /proc/PID/root taken off).
 * Depends on sym_debug_spill, base/ (safe_file, compress) and libdw only;
 * never prints.
 */
#ifndef CPROF_SYM_DEBUG_FILE_H
#define CPROF_SYM_DEBUG_FILE_H

#include <elfutils/libdwfl.h>

/* A debug file not owned by root is copied into memory (a memfd) before
 * libdwfl maps it, so its owner cannot truncate it under the mapping; one
 * over this size, or mostly holes, is not used. */
#define SYM_DEBUG_FILE_MAX_BYTES (256ull << 20)

/* The module's userdata (dwfl_module_info) must hold the search path, a
 * libdwfl-style ":"-separated string ("" = the file's directory, relative =
 * under it, absolute = a debug root), alive as long as the Dwfl. Returns an
 * fd and a malloc'd *debuginfo_file_name, or -1 and errno ENOENT. */
int sym_debug_file__find(Dwfl_Module *mod, void **userdata, const char *modname,
			 Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			 GElf_Word debuglink_crc, char **debuginfo_file_name)
	__attribute__((warn_unused_result));

#endif
