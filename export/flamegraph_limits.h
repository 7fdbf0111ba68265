/* SPDX-License-Identifier: MIT */
/* flamegraph_limits: the bounds that keep one small hostile or huge input
 * from costing `cprof flamegraph` unbounded time, memory or disk, and the
 * report of what they cut, for the caller to print. Checked 64-bit sums live
 * here too. Library code: no printing; depends on nothing in cprof. */
#ifndef CPROF_EXPORT_FLAMEGRAPH_LIMITS_H
#define CPROF_EXPORT_FLAMEGRAPH_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Frames per drawn stack. A deeper stack keeps its FLAMEGRAPH_MAX_DEPTH - 1
 * root-most frames (leaf-most when inverted) and ends in one frame named
 * "[truncated N frames]". */
#define FLAMEGRAPH_MAX_DEPTH 4096
/* Distinct frames (tree nodes, about 50 bytes each): -E2BIG beyond. */
#define FLAMEGRAPH_MAX_NODES (4UL * 1024 * 1024)
/* Default output cap (opts.max_output 0). SVG: --minwidth is raised until the
 * drawing fits (the report says to what); folded: -EFBIG. */
#define FLAMEGRAPH_MAX_OUTPUT (64UL * 1024 * 1024)
/* Characters of a frame name kept in an SVG tooltip (longer ones end in ".."). */
#define FLAMEGRAPH_MAX_NAME 1000

/* What the bounds did, filled by flamegraph__write() when opts.report is set. */
struct flamegraph_report {
	uint64_t samples;		/* samples drawn (after --focus) */
	uint64_t truncated_stacks;	/* stacks cut at FLAMEGRAPH_MAX_DEPTH */
	uint64_t deepest;		/* frames in the deepest stack seen */
	uint64_t frames;		/* frames written */
	uint64_t est_bytes;		/* estimated output size */
	double minwidth;		/* px actually used (SVG) */
	bool minwidth_raised;		/* raised above opts.minwidth to fit max_output */
};

/* *acc += v unless that leaves the int64 range: then *acc is unchanged and
 * the result is false. */
static inline bool flamegraph_limits__add(int64_t *acc, int64_t v)
{
	int64_t sum;

	if (__builtin_add_overflow(*acc, v, &sum))
		return false;
	*acc = sum;
	return true;
}

/* Upper estimate of the SVG bytes of one frame named with namelen bytes. */
size_t flamegraph_limits__svg_frame_bytes(size_t namelen);

/* Smallest minwidth (px) >= start, among start and doublings of
 * max(start, 0.1), for which measure(minwidth, ctx) (estimated bytes) is at
 * most cap; a minwidth above max_px keeps only the root, and is returned
 * when nothing smaller fits. *ret_bytes gets the measure of the result. */
double flamegraph_limits__fit_minwidth(double start, double max_px, uint64_t cap,
				       uint64_t (*measure)(double minwidth, void *ctx), void *ctx,
				       uint64_t *ret_bytes);

#endif /* CPROF_EXPORT_FLAMEGRAPH_LIMITS_H */
