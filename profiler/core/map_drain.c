// SPDX-License-Identifier: MIT
/* One way to empty a map, for the sampler's slots and the --net counters.
 * Invariant of both paths: an entry is deleted before it is handed out, so an
 * error part-way never hands the same entry out twice, and a callback error
 * never leaves entries behind. The chunk buffers are sized once per call and
 * never moved while a key in them is in use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "profiler/core/map_drain.h"

#define DEFAULT_CHUNK 1024

static int bpf_next(void *map, const void *key, void *ret_next)
{
	return bpf_map_get_next_key((int)(intptr_t)map, key, ret_next) ? -errno : 0;
}

static int bpf_lookup(void *map, const void *key, void *ret_value)
{
	return bpf_map_lookup_elem((int)(intptr_t)map, key, ret_value) ? -errno : 0;
}

static int bpf_delete(void *map, const void *key)
{
	return bpf_map_delete_elem((int)(intptr_t)map, key) ? -errno : 0;
}

static int bpf_lookup_and_delete_batch(void *map, void *in_batch, void *out_batch, void *keys,
				       void *values, uint32_t *count)
{
	return bpf_map_lookup_and_delete_batch((int)(intptr_t)map, in_batch, out_batch, keys,
					       values, count, NULL) ? -errno : 0;
}

const struct map_ops map_ops_bpf = {
	.get_next_key = bpf_next,
	.lookup = bpf_lookup,
	.delete = bpf_delete,
	.lookup_and_delete_batch = bpf_lookup_and_delete_batch,
};

struct drain {
	const struct map_ops *ops;
	void *map;
	size_t ks, vs;
	uint32_t chunk;
	char *keys, *values;
	map_drain_fn fn;
	void *arg;
	int fn_err;
	int64_t drained;
};

static void hand_out(struct drain *d, const void *key, const void *value)
{
	int err = d->fn ? d->fn(d->arg, key, value) : 0;

	if (err && !d->fn_err)
		d->fn_err = err;
	d->drained++;
}

/* Batch lookup-and-delete until the map says it is done. 1: done; 0: not
 * available (or stopped part-way), the caller walks what is left. */
static int drain_batch(struct drain *d)
{
	/* The batch cursor is opaque: a bucket index for hashes, a key for arrays. */
	size_t tok = d->ks > 8 ? d->ks : 8;
	char *in = calloc(2, tok), *out = in ? in + tok : NULL;
	void *cursor = NULL;
	int done = 0;

	if (!in)
		return 0;
	for (;;) {
		uint32_t count = d->chunk;
		int err = d->ops->lookup_and_delete_batch(d->map, cursor, out, d->keys, d->values,
							  &count);

		if (err && err != -ENOENT)	/* EINVAL/ENOTSUPP: not for this map; ENOSPC: a big bucket */
			count = 0;		/* nothing was deleted when the call failed */
		if (count > d->chunk)
			count = d->chunk;
		for (uint32_t i = 0; i < count; i++)
			hand_out(d, d->keys + i * d->ks, d->vs ? d->values + i * d->vs : NULL);
		if (err == -ENOENT) {
			done = 1;
			break;
		}
		if (err)
			break;
		memcpy(in, out, tok);
		cursor = in;
	}
	free(in);
	return done;
}

/* get_next_key in chunks, each from the first key: deleted keys are gone, so
 * the walk restarts where the last round ended, and restarting costs the
 * kernel a scan of empty buckets, not a re-read of entries. */
static int drain_walk(struct drain *d)
{
	for (;;) {
		uint32_t n = 0, gone = 0;
		const void *cur = NULL;

		while (n < d->chunk) {
			char *k = d->keys + (size_t)n * d->ks;
			int err = d->ops->get_next_key(d->map, cur, k);

			if (err == -ENOENT)
				break;
			if (err)
				return err;
			cur = k;
			n++;
		}
		if (!n)
			return 0;
		for (uint32_t i = 0; i < n; i++) {
			const char *k = d->keys + (size_t)i * d->ks;
			char *v = d->vs ? d->values + (size_t)i * d->vs : NULL;
			int err = v ? d->ops->lookup(d->map, k, v) : 0;

			if (err == -ENOENT) {
				gone++;
				continue;
			}
			if (err)
				return err;
			err = d->ops->delete(d->map, k);
			if (err == -ENOENT)
				gone++;
			else if (err)
				return err;
			hand_out(d, k, v);
		}
		/* A map that keeps offering keys it cannot look up or delete
		 * would otherwise loop forever. */
		if (gone == n)
			return -EIO;
	}
}

int64_t map_drain__run(const struct map_ops *ops, void *map, const struct map_drain_opts *opts,
		       map_drain_fn fn, void *arg)
{
	struct drain d = {
		.ops = ops, .map = map, .ks = opts->key_size, .vs = opts->value_size,
		.chunk = opts->chunk ? opts->chunk : DEFAULT_CHUNK, .fn = fn, .arg = arg,
	};
	int err = 0;

	if (!d.ks)
		return -EINVAL;
	d.keys = malloc((size_t)d.chunk * d.ks);
	d.values = d.vs ? malloc((size_t)d.chunk * d.vs) : NULL;
	if (!d.keys || (d.vs && !d.values)) {
		err = -ENOMEM;
		goto out_free;
	}
	/* Batches need a value buffer (the kernel copies values out after it
	 * deleted them); a keys-only drain walks. */
	if (opts->no_batch || !d.vs || !ops->lookup_and_delete_batch || !drain_batch(&d))
		err = drain_walk(&d);
out_free:
	free(d.keys);
	free(d.values);
	if (err)
		return err;
	return d.fn_err ? d.fn_err : d.drained;
}

int64_t map_drain__fd(int fd, const struct map_drain_opts *opts, map_drain_fn fn, void *arg)
{
	return map_drain__run(&map_ops_bpf, (void *)(intptr_t)fd, opts, fn, arg);
}
