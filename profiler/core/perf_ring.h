/* SPDX-License-Identifier: MIT */
/* perf_ring: the consumer side of one perf_event mmap ring buffer (a metadata
 * page, then a power-of-two data area the kernel writes records into). Reads
 * data_head with acquire order, hands each whole record to a callback (a
 * record that wraps at the end of the area is copied into a bounce buffer
 * first, so the callback always sees it contiguous), then publishes data_tail
 * with release order so the kernel may reuse the space. Knows nothing of
 * record types; libc and the kernel's perf_event.h only. */
#ifndef CPROF_PERF_RING_H
#define CPROF_PERF_RING_H

#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>

struct perf_ring {
	struct perf_event_mmap_page *meta;	/* borrowed: the mapping's first page */
	uint8_t *data;				/* meta + page size */
	uint64_t size;				/* bytes of data, a power of two */
	uint8_t *bounce;			/* owned: wrapped records are copied here */
	size_t bounce_cap;
	uint64_t corrupt;			/* times a bad record size made us skip to head */
};

/* Set up r over a mapping of 1 + 2^n pages at base (meta page, then data of
 * data_size bytes, a power of two >= 8). The mapping stays the caller's.
 * 0 or -EINVAL. */
int perf_ring__init(struct perf_ring *r, void *base, size_t page_size, uint64_t data_size);
/* Frees the bounce buffer; the mapping is the caller's to unmap. */
void perf_ring__release(struct perf_ring *r);

/* Called for each record, contiguous and valid until it returns. */
typedef void (*perf_ring_fn)(void *ctx, const struct perf_event_header *h);

/* Consumes every record written so far. Returns how many were handed to fn,
 * or -ENOMEM (a record could not be copied; it is skipped and the tail still
 * advances so the ring never stalls). A record whose size is below a header
 * or beyond the data area means the ring is corrupt: everything up to the
 * head is skipped and counted in r->corrupt. */
int perf_ring__consume(struct perf_ring *r, perf_ring_fn fn, void *ctx);

#endif
