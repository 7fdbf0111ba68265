/* SPDX-License-Identifier: MIT */
/* report_graph: the inside of export/report, shared by its parts (report.c,
 * report_graph.c, report_traces.c, report_tasks.c) and by nothing else. A
 * decoded pprof profile becomes go tool pprof's call graph at function
 * granularity: one node per function name (an unnamed one per mapping file
 * and start line), flat and cumulative values, and the edges that tell an
 * inlined call from a real one. Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_REPORT_GRAPH_H
#define CPROF_EXPORT_REPORT_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/hashmap.h"
#include "export/pprof_index.h"
#include "export/report.h"
#include "proto/profile.pb-c.h"

/* Frames (a location's lines, inline ones included) summed over the samples
 * of one report: -E2BIG beyond. 1 GiB of pprof can name a 10 000-line
 * location 64 M times; real profiles stay far below. */
#define REPORT_MAX_FRAMES (256UL * 1024 * 1024)
/* Distinct caller -> inlined-callee pairs kept for the "(inline)" marks. */
#define REPORT_MAX_EDGES (4UL * 1024 * 1024)

/* A function as go tool pprof's graph.NodeInfo has it once aggregated to
 * functions (no address, file or line): a name, or for an unnamed function
 * the mapping file and start line. */
struct report_node {
	const char *name;	/* borrowed from the profile; "" when unnamed */
	const char *objfile;	/* unnamed: the mapping's file ("" if none) */
	int64_t start_line;	/* unnamed: the function's start line */
	const char *label;	/* as printed: name, "[file base]" or "<unknown>" */
	char *owned;		/* label when allocated here */
	char *key;		/* fmt.Sprint(NodeInfo), Go's last tie-break */
	uint64_t hash;
	int64_t flat, cum;
	uint32_t stamp;		/* the sample that last added to cum */
	bool kept;		/* in the graph being built */
	bool maybe_inline;	/* an inline line of some location: edges matter */
	bool in_inline, in_call;	/* has an inline / a real in-edge kept */
};

struct report_edge {
	uint32_t src, dst, stamp;
	int64_t weight;
	bool is_inline;		/* every call it sums was inlined */
};

/* A location's nodes: frames[start..start+count), innermost line first. */
struct report_loc {
	uint64_t id;
	uint32_t start, count;
	uint32_t line0;		/* lines dropped by drop_frames (innermost) */
	uint8_t match;		/* focused or ignored under --focus / --ignore */
	uint8_t prune;		/* matched drop_frames: prune beneath, or all of it */
};

struct report_graph {
	const Perftools__Profiles__Profile *p;
	const struct report_opts *opts;
	struct pprof_index *index;
	int si;				/* the sample value reported */
	const char *type, *unit;	/* its type and unit */
	int64_t total;			/* sum of |value| over all samples (Go's rpt.total) */
	bool *keep;			/* per sample: non-zero with a location, through the filters */
	uint32_t *skip;			/* per sample: leaf locations drop_frames prunes */
	struct report_node *nodes;
	size_t nnodes, nodes_cap;
	struct hashmap node_index;
	uint32_t *frames;
	size_t nframes, frames_cap;
	struct report_loc *locs;	/* one per p->location[] */
	size_t nlocs;
	struct hashmap loc_index;
	struct report_edge *edges;
	size_t nedges, edges_cap;
	struct hashmap edge_index;
	uint32_t stamp;
	uint32_t *shown;		/* the graph's nodes (value or cum not 0), in order */
	size_t nshown;
};

/* Resolves p for o (both borrowed until report_graph__release()): sample
 * index, total, every location's nodes, the profile's drop_frames, the focus
 * and ignore filters. The errors of report__write(). */
int report_graph__init(struct report_graph *g, const Perftools__Profiles__Profile *p,
		       const struct report_opts *o) __attribute__((warn_unused_result));
void report_graph__release(struct report_graph *g);

/* The location with that id, or NULL. */
const struct report_loc *report_graph__loc(const struct report_graph *g, uint64_t id);

/* graph.New over the kept samples: every node (kept_only false) or only the
 * nodes marked kept, whose paths then skip the others. Fills flat, cum,
 * the edges and shown (unsorted). 0, -EOVERFLOW, -E2BIG or -ENOMEM. */
int report_graph__build(struct report_graph *g, bool kept_only)
	__attribute__((warn_unused_result));

/* Sorts shown as go tool pprof does: by |flat| (or |cum| when cum), then
 * name, then the other value, then Go's NodeInfo string (opts->cum). */
void report_graph__sort(struct report_graph *g);

/* Marks each shown node's in_inline / in_call from its in-edges of at least
 * |cutoff| (TrimLowFrequencyEdges, then the text report's inline test). */
void report_graph__mark_inline(struct report_graph *g, int64_t cutoff);

/* The header of every report (report.c), as go tool pprof's ProfileLabels:
 * File, Build ID, comments, Type, Time, Duration with the total in out_unit.
 * 0 or -ENOMEM. */
int report__header(const struct report_graph *g, const char *out_unit, FILE *out)
	__attribute__((warn_unused_result));
/* "Active filters:" and one line per --focus / --ignore, if any. */
void report__filters(const struct report_graph *g, FILE *out);

/* The traces (report_traces.c) and the per-process or per-thread totals
 * (report_tasks.c) of g: 0 or -errno. */
int report_traces__write(struct report_graph *g, FILE *out) __attribute__((warn_unused_result));
int report_tasks__write(struct report_graph *g, FILE *out) __attribute__((warn_unused_result));

/* filepath.Base(path): its last element (trailing slashes ignored), "/" for
 * only slashes, "." for "". Returns a pointer into path (or a static string)
 * and its length in *ret_len. */
const char *report_graph__base(const char *path, int *ret_len);

/* Writes s as text: C0 controls and DEL become '?', so a hostile name cannot
 * drive the terminal; everything else is written as is, as Go does. */
void report_graph__put(FILE *out, const char *s);

/* fprintf(out, "%*s", width, s) with Go's width, counted in characters. */
void report_graph__pad(FILE *out, const char *s, int width);

#endif /* CPROF_EXPORT_REPORT_GRAPH_H */
