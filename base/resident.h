/* SPDX-License-Identifier: MIT */
/* resident: the pages of the process's own code, and of the files it maps
 * to read, it keeps mapped. A long-running agent runs most of its
 * libraries' code once a window (the upload's TLS and HTTP, compression,
 * DWARF) or once at all (start-up), and reads a binary's DWARF now and
 * then: between windows neither need count in its RSS. */
#ifndef CPROF_BASE_RESIDENT_H
#define CPROF_BASE_RESIDENT_H

#include <stddef.h>

/* Unmaps the pages of the read-only segments of every loaded object (the
 * executable and its libraries, not the vDSO) with MADV_DONTNEED: they stay
 * in the page cache, shared and reclaimable, and come back at a minor fault
 * when next run. What the loader wrote is left alone: writable segments,
 * which hold RELRO, and every segment of an object with text relocations.
 * Runs under the loader's lock (dl_iterate_phdr), so no dlopen or dlclose
 * changes the mappings meanwhile. A debugger's breakpoint or a uprobe in
 * this process's copy of the code goes with its page. Returns the bytes
 * of mappings given back (not all of them were resident). */
size_t resident__drop_code(void);

/* Unmaps the pages of [addr, addr + len), part of a private file mapping,
 * that still hold the file's data with MADV_DONTNEED: they stay in the page
 * cache and come back at a minor fault, with no read of the file. A page
 * written since it was mapped (anonymous in /proc/self/pagemap) goes with
 * MADV_PAGEOUT, which keeps its data; so does the whole range if pagemap
 * cannot be read. Whole pages inside the range only. */
void resident__drop_file(void *addr, size_t len);

#endif
