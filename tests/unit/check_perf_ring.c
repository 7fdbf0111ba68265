// SPDX-License-Identifier: MIT
/* Tests for profiler/perf_ring: records handed over whole (one that wraps at
 * the end of the data area arrives contiguous), data_tail published after
 * them, and a corrupt size skipping to the head instead of looping. The ring
 * is an ordinary buffer laid out as the kernel's mapping (meta page, data). */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/core/perf_ring.h"

#define PAGE 4096
#define DATA 64

struct seen {
	int n;
	uint32_t type[8];
	uint16_t size[8];
	uint8_t payload[8][32];
};

static void collect(void *ctx, const struct perf_event_header *h)
{
	struct seen *s = ctx;

	s->type[s->n] = h->type;
	s->size[s->n] = h->size;
	memcpy(s->payload[s->n], h + 1, h->size - sizeof(*h));
	s->n++;
}

/* Write a record of size bytes (header included) at absolute position pos,
 * wrapping as the kernel does; payload bytes are fill, fill+1, ... */
static void put(uint8_t *data, uint64_t pos, uint32_t type, uint16_t size, uint8_t fill)
{
	uint8_t rec[64];
	struct perf_event_header h = { .type = type, .misc = 0, .size = size };

	memcpy(rec, &h, sizeof(h));
	for (uint16_t i = sizeof(h); i < size; i++)
		rec[i] = (uint8_t)(fill + i - sizeof(h));
	for (uint16_t i = 0; i < size; i++)
		data[(pos + i) % DATA] = rec[i];
}

static uint8_t *new_ring(struct perf_ring *r)
{
	uint8_t *base = calloc(1, PAGE + DATA);

	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(perf_ring__init(r, base, PAGE, DATA), 0);
	return base;
}

START_TEST(test_perf_ring__hands_over_a_record_that_wraps_at_the_ring_end_whole)
{
	struct perf_ring r;
	uint8_t *base = new_ring(&r), *data = base + PAGE;
	struct perf_event_mmap_page *meta = (void *)base;
	struct seen s = { 0 };

	/* the consumer is at 40: a 16-byte record at 40..56, then a 24-byte one
	 * at 56..80 that runs 16 bytes past the end of the 64-byte area */
	meta->data_tail = 40;
	put(data, 40, PERF_RECORD_COMM, 16, 0x10);
	put(data, 56, PERF_RECORD_MMAP2, 24, 0x20);
	meta->data_head = 80;
	ck_assert_int_eq(perf_ring__consume(&r, collect, &s), 2);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(s.type[0], PERF_RECORD_COMM);
	ck_assert_uint_eq(s.type[1], PERF_RECORD_MMAP2);
	ck_assert_uint_eq(s.size[1], 24);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(s.payload[1][i], 0x20 + i);
	ck_assert_uint_eq(meta->data_tail, 80);
	/* nothing new: nothing handed over, the tail stays */
	ck_assert_int_eq(perf_ring__consume(&r, collect, &s), 0);
	ck_assert_uint_eq(meta->data_tail, 80);
	perf_ring__release(&r);
	free(base);
}
END_TEST

START_TEST(test_perf_ring__skips_to_the_head_on_a_corrupt_size)
{
	struct perf_ring r;
	uint8_t *base = new_ring(&r), *data = base + PAGE;
	struct perf_event_mmap_page *meta = (void *)base;
	struct seen s = { 0 };

	put(data, 0, PERF_RECORD_COMM, 16, 1);
	put(data, 16, PERF_RECORD_COMM, 4, 1);	/* smaller than a header */
	meta->data_head = 48;
	ck_assert_int_eq(perf_ring__consume(&r, collect, &s), 1);
	ck_assert_uint_eq(r.corrupt, 1);
	ck_assert_uint_eq(meta->data_tail, 48);
	perf_ring__release(&r);
	free(base);
}
END_TEST

START_TEST(test_perf_ring__refuses_a_data_area_that_is_not_a_power_of_two)
{
	struct perf_ring r;
	uint8_t buf[PAGE + 48];

	ck_assert_int_eq(perf_ring__init(&r, buf, PAGE, 48), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("perf_ring");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_perf_ring__hands_over_a_record_that_wraps_at_the_ring_end_whole);
	tcase_add_test(tc, test_perf_ring__skips_to_the_head_on_a_corrupt_size);
	tcase_add_test(tc, test_perf_ring__refuses_a_data_area_that_is_not_a_power_of_two);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
