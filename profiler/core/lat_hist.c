// SPDX-License-Identifier: MIT
/* Percentiles from bpf/lat_hist.h's buckets. Nearest rank, not
 * interpolation: the value reported is a bucket's middle, so a figure
 * never claims more precision than the bucket it comes from. */
#include <errno.h>
#include <stdio.h>

#include "profiler/core/lat_hist.h"

void lat_hist__bounds(uint32_t i, uint64_t *ret_lo, uint64_t *ret_hi)
{
	uint32_t j, m, sub;

	if (i == 0) {
		*ret_lo = 0;
		*ret_hi = 1ULL << CPROF_LAT_MIN_BITS;
		return;
	}
	if (i >= CPROF_LAT_NR_BUCKETS - 1) {
		*ret_lo = 1ULL << CPROF_LAT_MAX_BITS;
		*ret_hi = UINT64_MAX;
		return;
	}
	j = i - 1;
	m = CPROF_LAT_MIN_BITS + (j >> CPROF_LAT_SUB_BITS);
	sub = j & ((1u << CPROF_LAT_SUB_BITS) - 1);
	*ret_lo = (uint64_t)((1u << CPROF_LAT_SUB_BITS) + sub) << (m - CPROF_LAT_SUB_BITS);
	*ret_hi = *ret_lo + (1ULL << (m - CPROF_LAT_SUB_BITS));
}

uint64_t lat_hist__percentile(const uint64_t *buckets, uint32_t per_10k)
{
	uint64_t n = 0, rank, seen = 0, lo, hi;

	for (uint32_t i = 0; i < CPROF_LAT_NR_BUCKETS; i++)
		n += buckets[i];
	if (!n)
		return 0;
	/* ceil without floating point: 99 % of 100 is rank 99, not 100 */
	rank = (n * per_10k + 9999) / 10000;
	if (rank < 1)
		rank = 1;
	for (uint32_t i = 0; i < CPROF_LAT_NR_BUCKETS; i++) {
		seen += buckets[i];
		if (seen < rank)
			continue;
		lat_hist__bounds(i, &lo, &hi);
		return hi == UINT64_MAX ? lo : lo + (hi - lo) / 2;
	}
	return 0;	/* not reached: seen ends at n >= rank */
}

int lat_hist__summary(const uint64_t c[CPROF_NR_COUNTERS], struct lat_hist_summary *ret)
{
	const uint64_t *b = &c[CPROF_LAT_BUCKET0];
	uint64_t n = 0;

	for (uint32_t i = 0; i < CPROF_LAT_NR_BUCKETS; i++)
		n += b[i];
	if (!n)
		return -ENOENT;
	ret->count = n;
	ret->mean_ns = (double)c[CPROF_LAT_NS] / (double)n;
	ret->clock_ns = (double)c[CPROF_LAT_CLOCK_NS] / (double)n;
	ret->p50_ns = lat_hist__percentile(b, 5000);
	ret->p90_ns = lat_hist__percentile(b, 9000);
	ret->p99_ns = lat_hist__percentile(b, 9900);
	return 0;
}

/* ">= " for a percentile in the open-ended last bucket */
static const char *over(uint64_t ns)
{
	return ns >= 1ULL << CPROF_LAT_MAX_BITS ? ">= " : "";
}

void lat_hist__format(const struct lat_hist_summary *s, char *buf, size_t len)
{
	snprintf(buf, len, "BPF sample time: %llu target samples, P50 %s%llu ns, P90 %s%llu ns, "
		 "P99 %s%llu ns, mean %.0f ns (entry to exit, with its clock reads: %.0f ns each)",
		 (unsigned long long)s->count, over(s->p50_ns), (unsigned long long)s->p50_ns,
		 over(s->p90_ns), (unsigned long long)s->p90_ns, over(s->p99_ns),
		 (unsigned long long)s->p99_ns, s->mean_ns, s->clock_ns);
}
