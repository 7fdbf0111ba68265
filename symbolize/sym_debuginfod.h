/* SPDX-License-Identifier: MIT */
/* sym_debuginfod: debug files fetched by build-id from the debuginfod servers
 * named in DEBUGINFOD_URLS, through elfutils' client (libdebuginfod), on a
 * background thread so that no symbolizing or sampling path ever waits on
 * the network. The client keeps the files in its own on-disk cache
 * (DEBUGINFOD_CACHE_PATH, default ~/.cache/debuginfod_client) and bounds each
 * transfer (DEBUGINFOD_TIMEOUT, DEBUGINFOD_MAXTIME, DEBUGINFOD_MAXSIZE).
 * Without DEBUGINFOD_URLS nothing is fetched and no thread starts. One
 * process-wide table of at most SYM_DEBUGINFOD_MAX build-ids; thread-safe.
 * The client library (libdebuginfod.so.1) is loaded when the first fetch is
 * queued, not linked: where it cannot be loaded every fetch fails (-ELIBACC)
 * and the stats say why; nothing else changes.
 * Depends on libdebuginfod (loaded at run time), libdl and pthreads only (no
 * other symbolize/ module); never prints.
 */
#ifndef CPROF_SYM_DEBUGINFOD_H
#define CPROF_SYM_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYM_DEBUGINFOD_MAX 4096 /* build-ids tracked; more are refused (counted failed) */

/* Whether fetching is on: DEBUGINFOD_URLS is set and not empty. */
bool sym_debuginfod__enabled(void);

/* The debug file of build_id (lowercase hex), without blocking: 0 and its
 * path in the client's cache copied into path; -EINPROGRESS while it is
 * queued or being fetched (the first call queues it); -ENOSYS when fetching
 * is off; else the fetch's failure (-ENOENT: no server has it,
 * -ECONNREFUSED, -ETIMEDOUT, ...; -ELIBACC: the client library could not be
 * loaded; -ENOSPC: the table is full, or path too small). */
int sym_debuginfod__lookup(const char *build_id, char *path, size_t len)
	__attribute__((warn_unused_result));

/* Bumped each time a fetch ends: a lookup that said -EINPROGRESS needs no
 * repeating before this changes. */
uint64_t sym_debuginfod__generation(void);

/* Wait until no fetch is queued or running, at most timeout_ms. Returns the
 * number still pending (0: all done). Not for sampling paths. */
unsigned sym_debuginfod__wait(int timeout_ms);

struct sym_debuginfod_stats {
	uint64_t fetched;	/* downloaded from a server */
	uint64_t cached;	/* found in the client's cache */
	uint64_t failed;	/* no server had it, or the transfer failed */
	uint64_t pending;	/* queued or running now */
	int last_error;		/* -errno of the last failure, 0 none */
	char last_failed[2 * 64 + 1]; /* its build-id */
	char unavailable[256];	/* why the client library could not be loaded
				 * (dlerror()); "" when it was, or not tried yet */
};
void sym_debuginfod__stats(struct sym_debuginfod_stats *ret);

#endif
