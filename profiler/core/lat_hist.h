/* SPDX-License-Identifier: MIT */
/* lat_hist: the sampler's latency histogram (the CPROF_LAT_* counters, a
 * bench knob: profiler/core/sampler.h) read back as a count, a mean and
 * percentiles. The buckets are bpf/lat_hist.h's; a percentile is the middle
 * of the bucket holding it, within 3.2 % of the true value inside the
 * histogram's range. Depends on bpf/sample.h only. */
#ifndef CPROF_LAT_HIST_H
#define CPROF_LAT_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/sample.h"

/* Bucket i's values: [*ret_lo, *ret_hi); the last bucket's hi is UINT64_MAX. */
void lat_hist__bounds(uint32_t i, uint64_t *ret_lo, uint64_t *ret_hi);

/* The value at rank ceil(n * per_10k / 10000) (1-based; at least 1) of the
 * n values counted in buckets[CPROF_LAT_NR_BUCKETS]: the middle of its
 * bucket, or the lower bound of the last one (open-ended). 0 when n is 0. */
uint64_t lat_hist__percentile(const uint64_t *buckets, uint32_t per_10k);

struct lat_hist_summary {
	uint64_t count;		/* values counted */
	double mean_ns;		/* exact: their sum over count */
	double clock_ns;	/* what one clock read took at the program's exit, on average */
	uint64_t p50_ns, p90_ns, p99_ns;	/* past the histogram: its upper end */
};

/* The histogram in the counters c (sampler__counters()). 0, or -ENOENT when
 * it holds nothing (the knob was off). */
int lat_hist__summary(const uint64_t c[CPROF_NR_COUNTERS], struct lat_hist_summary *ret);

/* "BPF sample time: N target samples, P50 X ns, P90 ..., P99 ..., mean W ns
 * (entry to exit, with its clock reads: C ns each)": one line for record's
 * summary; truncated to len. */
void lat_hist__format(const struct lat_hist_summary *s, char *buf, size_t len);

#endif
