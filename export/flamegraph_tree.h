/* SPDX-License-Identifier: MIT */
/* flamegraph_tree: the inside of export/flamegraph, shared by its parts
 * (flamegraph_names.c, flamegraph_tree.c, flamegraph_svg.c, flamegraph.c) and
 * by nothing else. A decoded pprof profile becomes a tree of frames merged on
 * (parent, name, kind), with names interned once and sanitized to UTF-8;
 * the writers walk it. Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_FLAMEGRAPH_TREE_H
#define CPROF_EXPORT_FLAMEGRAPH_TREE_H

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/hashmap.h"
#include "base/vec.h"
#include "export/flamegraph.h"

/* A mixer for 64-bit keys (FNV's low bits vary too little). */
static inline uint64_t flamegraph_tree__mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* ---- names: sanitized and interned once ------------------------------- */

struct flamegraph_names {
	char **str;
	uint64_t *hash;
	size_t n, cap;
	struct hashmap index;	/* on the sanitized names */
	char *scratch;		/* sanitizing buffer */
	size_t scratch_cap;
};

/* The index of raw's sanitized form in t (added if new): >= 0, or -ENOMEM /
 * -E2BIG. t->str[i] and t->hash[i] live until flamegraph_names__release(). */
int64_t flamegraph_names__intern(struct flamegraph_names *t, const char *raw);
/* An empty table at t (t must not move while in use). */
void flamegraph_names__init(struct flamegraph_names *t);
void flamegraph_names__release(struct flamegraph_names *t);

/* ---- the frame tree ------------------------------------------------------ */

struct flamegraph_frame {
	uint32_t name;
	uint8_t kind;
};

struct flamegraph_node {
	uint32_t name, parent, child, sibling;	/* child/sibling 0 = none (0 is the root) */
	uint8_t kind;
	uint32_t depth;
	int64_t value, base;			/* inclusive, in this profile and the base */
	int64_t off;				/* left edge in value units (layout) */
};

struct flamegraph_tree {
	const struct flamegraph_opts *opts;
	struct flamegraph_names names;
	struct flamegraph_node *nodes;
	size_t nnodes, cap;
	struct hashmap node_index;	/* on (parent, name, kind) */
	struct flamegraph_frame *frames;		/* resolved location frames, physical caller first */
	size_t nframes, frames_cap;
	struct flamegraph_frame *stack;		/* one sample's frames, root first */
	size_t stack_cap;
	regex_t focus;
	bool has_focus;
	int8_t *focus_cache;		/* per name: -1 unknown, 0 no, 1 match */
	size_t focus_n, focus_cap;
	int64_t total, base_total;
	uint64_t kinds_seen;		/* bit per enum flamegraph_kind */
	const char *type, *unit;	/* of the rendered sample type */
	int64_t samples, skipped;
	uint64_t truncated, deepest;	/* stacks cut at FLAMEGRAPH_MAX_DEPTH */
	size_t dropped;			/* frames of this sample beyond it */
	uint64_t max_output;		/* bytes */
	double minwidth;		/* px, after fitting max_output */
	uint64_t est_bytes, frames_out;
};

/* Prepares fg for opts (borrowed until flamegraph_tree__release()): 0, or
 * -EINVAL for a focus regex that does not compile. */
int flamegraph_tree__init(struct flamegraph_tree *fg, const struct flamegraph_opts *opts)
	__attribute__((warn_unused_result));

/* Adds every sample of p (and of opts->diff_base, as the base) to fg, then
 * sorts each node's children by name. The errors of flamegraph__write(). */
int flamegraph_tree__build(struct flamegraph_tree *fg, const Perftools__Profiles__Profile *p)
	__attribute__((warn_unused_result));

void flamegraph_tree__release(struct flamegraph_tree *fg);

/* A pre-order walk: visit is called on the root and every node kept. */
struct flamegraph_walk {
	double ppu;		/* px per value unit */
	double minwidth;	/* px; < 0: keep every node with a value or a base */
	int (*visit)(struct flamegraph_tree *fg, uint32_t idx, void *ctx);
	void *ctx;
};

/* Walks the nodes kept by w (the root always), setting each node's off: the
 * sum of the values left of it, so pruned frames still take their room.
 * Returns 0 or the first non-zero visit result. */
int flamegraph_tree__walk(struct flamegraph_tree *fg, const struct flamegraph_walk *w);

/* ---- the writers --------------------------------------------------------- */

/* Left and right margin of the SVG chart (px). */
#define FLAMEGRAPH_SVG_XPAD	10

/* Writes fg as an SVG flame graph; fits fg->minwidth to fg->max_output. */
int flamegraph_svg__write(struct flamegraph_tree *fg, FILE *out);

#endif /* CPROF_EXPORT_FLAMEGRAPH_TREE_H */
