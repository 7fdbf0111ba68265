/* SPDX-License-Identifier: MIT */
/* resident: the pages of the process's own code it keeps mapped. A
 * long-running agent runs most of its libraries' code once a window (the
 * upload's TLS and HTTP, compression, DWARF) or once at all (start-up):
 * between windows that code need not count in its RSS. */
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

#endif
