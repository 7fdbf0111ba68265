/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The buckets of the sampler's own latency histogram (a bench knob:
 * CPROF_BPF_LATENCY=1, profiler/core/sampler.h), shared by
 * bpf/sample.bpf.c, which counts each target sample's ns in the bucket
 * cprof_lat_bucket() names, and userspace (profiler/core/lat_hist.h), which
 * turns the counts back into percentiles. Log-linear, as HDR histograms:
 * 16 buckets per power of two from 128 ns to 4 ms, each 1/16 of its octave
 * wide (6.25 %), below them one bucket, above them one more.
 * Compiled by clang (BPF) and gcc alike: __u32/__u64 only. */
#ifndef CPROF_BPF_LAT_HIST_H
#define CPROF_BPF_LAT_HIST_H

#define CPROF_LAT_SUB_BITS	4	/* 16 buckets an octave */
#define CPROF_LAT_MIN_BITS	7	/* below 2^7 ns: bucket 0 */
#define CPROF_LAT_MAX_BITS	22	/* 2^22 ns (4.2 ms) and more: the last bucket */
#define CPROF_LAT_NR_BUCKETS	(2 + ((CPROF_LAT_MAX_BITS - CPROF_LAT_MIN_BITS) << CPROF_LAT_SUB_BITS))

/* The bucket of ns. Without branches past the range checks: the verifier
 * walks it once however many paths lead to it. */
static inline __attribute__((always_inline)) __u32 cprof_lat_bucket(__u64 ns)
{
	__u64 v = ns, s, m;

	if (ns < (1ULL << CPROF_LAT_MIN_BITS))
		return 0;
	if (ns >= (1ULL << CPROF_LAT_MAX_BITS))
		return CPROF_LAT_NR_BUCKETS - 1;
	/* m = the index of v's highest set bit (v < 2^22): each step's
	 * (c - v) >> 63 is 1 when v > c */
	s = ((0xffffULL - v) >> 63) << 4;
	v >>= s;
	m = s;
	s = ((0xffULL - v) >> 63) << 3;
	v >>= s;
	m |= s;
	s = ((0xfULL - v) >> 63) << 2;
	v >>= s;
	m |= s;
	s = ((0x3ULL - v) >> 63) << 1;
	v >>= s;
	m |= s;
	m |= v >> 1;
	return 1 + (__u32)((m - CPROF_LAT_MIN_BITS) << CPROF_LAT_SUB_BITS) +
	       (__u32)((ns >> (m - CPROF_LAT_SUB_BITS)) & ((1 << CPROF_LAT_SUB_BITS) - 1));
}

#endif
