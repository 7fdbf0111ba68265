// SPDX-License-Identifier: MIT
/* The ring protocol, as in the kernel's perf_event.h comment on data_head:
 * load data_head, then smp_rmb() before reading records (acquire), and make
 * every read of the records happen before the data_tail store (release). */
#include "profiler/core/perf_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int perf_ring__init(struct perf_ring *r, void *base, size_t page_size, uint64_t data_size)
{
	if (!base || data_size < 8 || (data_size & (data_size - 1)))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->meta = base;
	r->data = (uint8_t *)base + page_size;
	r->size = data_size;
	return 0;
}

void perf_ring__release(struct perf_ring *r)
{
	free(r->bounce);
	r->bounce = NULL;
	r->bounce_cap = 0;
}

/* Copy the record at offset off (of len bytes) that runs past the end. */
static const struct perf_event_header *unwrap(struct perf_ring *r, uint64_t off, size_t len)
{
	size_t first = (size_t)(r->size - off);

	if (len > r->bounce_cap) {
		uint8_t *b = realloc(r->bounce, len);

		if (!b)
			return NULL;
		r->bounce = b;
		r->bounce_cap = len;
	}
	memcpy(r->bounce, r->data + off, first);
	memcpy(r->bounce + first, r->data, len - first);
	return (const struct perf_event_header *)r->bounce;
}

int perf_ring__consume(struct perf_ring *r, perf_ring_fn fn, void *ctx)
{
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail; /* only we write it */
	int n = 0, err = 0;

	while (tail < head) {
		uint64_t off = tail & (r->size - 1);
		struct perf_event_header hdr;
		const struct perf_event_header *h;

		/* records are 8-byte aligned and the area a multiple of 8: the
		 * header itself never wraps */
		memcpy(&hdr, r->data + off, sizeof(hdr));
		if (hdr.size < sizeof(hdr) || hdr.size > r->size || hdr.size > head - tail) {
			r->corrupt++;
			tail = head;
			break;
		}
		if (off + hdr.size > r->size) {
			h = unwrap(r, off, hdr.size);
			if (!h)
				err = -ENOMEM;
		} else {
			h = (const struct perf_event_header *)(r->data + off);
		}
		if (h) {
			fn(ctx, h);
			n++;
		}
		tail += hdr.size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
	return err ? err : n;
}
