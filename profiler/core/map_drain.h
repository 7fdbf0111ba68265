/* SPDX-License-Identifier: MIT */
/* map_drain: empties a BPF hash (or stack) map that nobody writes to any more,
 * handing each entry to a callback exactly once. Batch lookup-and-delete
 * where the kernel and the map type have it, otherwise get_next_key in
 * bounded chunks: a chunk of keys is read, its values looked up, the keys
 * deleted, and the walk restarts from the map's first key. Memory is one
 * chunk, allocated per call; keys are never realloc'd under a live pointer.
 * The map is reached only through `struct map_ops`, so tests can drain a
 * fake. Depends on libbpf only for the fd-backed ops. */
#ifndef CPROF_MAP_DRAIN_H
#define CPROF_MAP_DRAIN_H

#include <stddef.h>
#include <stdint.h>

#define MAP_DRAIN_WUR __attribute__((warn_unused_result))

/* How a map is reached; each returns 0 or -errno, like libbpf's wrappers.
 * get_next_key(NULL) gives the first key; a key no longer in the map
 * restarts the walk from the first key (what the kernel's hash maps do);
 * -ENOENT past the last key. */
struct map_ops {
	int (*get_next_key)(void *map, const void *key, void *ret_next);
	int (*lookup)(void *map, const void *key, void *ret_value);
	int (*delete)(void *map, const void *key);
	/* Optional (NULL: not supported). Semantics of
	 * bpf_map_lookup_and_delete_batch(): in_batch NULL starts, *count is
	 * in/out, -ENOENT with the last entries means the map is done. */
	int (*lookup_and_delete_batch)(void *map, void *in_batch, void *out_batch, void *keys,
				       void *values, uint32_t *count);
};

/* ops for a real map: `map` is (void *)(intptr_t)fd. */
extern const struct map_ops map_ops_bpf;

struct map_drain_opts {
	size_t key_size;
	size_t value_size;	/* bytes per entry as lookup returns it (per-CPU: all CPUs);
				 * 0 = don't read values (and walk: no batch) */
	uint32_t chunk;		/* entries per round; 0 = 1024 */
	int no_batch;		/* don't try lookup_and_delete_batch */
};

/* Called once per entry; key and value are valid during the call only. A
 * nonzero return is remembered (the first one) and draining goes on: the
 * callback decides what a failed entry costs (count it lost), but no entry
 * is left behind to be counted twice. */
typedef int (*map_drain_fn)(void *arg, const void *key, const void *value);

/* Drains the map: every entry present at the start (and nobody adds any) is
 * passed to fn (may be NULL) once and deleted. Returns the number of entries
 * drained; or the callback's first error, the map empty all the same; or
 * -errno of a map operation, the map then possibly not empty (entries handed
 * to fn were deleted first, so a retry does not hand them out again); or
 * -ENOMEM before touching the map when the chunk cannot be allocated. */
int64_t map_drain__run(const struct map_ops *ops, void *map, const struct map_drain_opts *opts,
		       map_drain_fn fn, void *arg) MAP_DRAIN_WUR;

/* map_drain__run() on a BPF map fd. */
int64_t map_drain__fd(int fd, const struct map_drain_opts *opts, map_drain_fn fn,
		      void *arg) MAP_DRAIN_WUR;

#endif
