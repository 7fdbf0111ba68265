/* SPDX-License-Identifier: MIT */
/* flamegraph: renders a decoded pprof profile as a self-contained interactive
 * SVG flame graph (hover, click-to-zoom, search, no network), or as folded
 * stacks. Frames are merged into a tree keyed on (parent, name, kind); frames
 * narrower than opts->minwidth are left out (their parent keeps the width).
 * Library code: returns -errno, never prints; depends only on export/ and proto/. */
#ifndef CPROF_EXPORT_FLAMEGRAPH_H
#define CPROF_EXPORT_FLAMEGRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "export/flamegraph_limits.h"
#include "proto/profile.pb-c.h"

/* Default opts.max_depth: 100 frames above the root keep an SVG about 1700 px
 * tall, whatever the deepest recursion. */
#define FLAMEGRAPH_DRAWN_DEPTH 100

enum flamegraph_group {
	FLAMEGRAPH_GROUP_NONE,
	FLAMEGRAPH_GROUP_PID,		/* root frames "process (pid)" from sample labels */
	FLAMEGRAPH_GROUP_THREAD,	/* root frames "comm (tid)" from sample labels */
};

enum flamegraph_format {
	FLAMEGRAPH_FORMAT_SVG,
	FLAMEGRAPH_FORMAT_FOLDED,	/* "root;...;leaf value" (diff: "stack base value") */
};

/* Colour class of a frame; see flamegraph__frame_kind(). */
enum flamegraph_kind {
	FLAMEGRAPH_KIND_USER,		/* native user-space code */
	FLAMEGRAPH_KIND_KERNEL,		/* [kernel.kallsyms] or a [module] mapping */
	FLAMEGRAPH_KIND_JIT,		/* [jit], perf-PID.map or anonymous code */
	FLAMEGRAPH_KIND_UNKNOWN,	/* no symbol: printed as a hex address */
	FLAMEGRAPH_KIND_GROUP,		/* synthetic: the root and --group frames */
	FLAMEGRAPH_KIND_PYTHON,		/* a Python function: mapping [python3.N] */
	FLAMEGRAPH_KIND__COUNT,
};

/* Every pointer is borrowed for the duration of one flamegraph__write*() call. */
struct flamegraph_opts {
	enum flamegraph_format format;	/* default SVG */
	const char *sample_type;	/* NULL: the profile's default sample type */
	const char *title;		/* NULL: "Flame Graph" / "Icicle Graph" / ... */
	unsigned int width;		/* image width in px, default 1200 */
	double minwidth;		/* px; narrower frames are not emitted; default 0.1 */
	bool inverted;			/* icicle: stacks reversed, leaves on the top row */
	/* SVG: frames drawn per stack above the root (default
	 * FLAMEGRAPH_DRAWN_DEPTH; 0: all). A deeper tower is still written but
	 * hidden behind one "[+N more frames]" box that shows it on a click, so
	 * a deep recursion does not push the widest frames out of view. */
	unsigned int max_depth;
	enum flamegraph_group group;	/* default NONE */
	const char *focus;		/* POSIX ERE; keep samples with a matching frame */
	/* Differential graph: widths from the profile, colours from the change
	 * against this base (normalised so both totals match): red grew, blue
	 * shrank. NULL: none. */
	const Perftools__Profiles__Profile *diff_base;
	const char *diff_base_name;	/* shown in the subtitle; may be NULL */
	/* Output cap in bytes; 0: FLAMEGRAPH_MAX_OUTPUT. SVG: minwidth is raised
	 * (doubling) until the drawing fits; folded: -EFBIG. */
	uint64_t max_output;
	/* Filled on return (success or not) when non-NULL: what the bounds of
	 * flamegraph_limits.h cut (stack depth, minwidth raised). */
	struct flamegraph_report *report;
};

/* Fills opts with the defaults above. */
void flamegraph_opts__init(struct flamegraph_opts *opts);

/* Renders p to out in opts->format (SVG or folded). Writes nothing useful on
 * failure; the caller discards the output. p and opts->diff_base are only
 * read. Stacks deeper than FLAMEGRAPH_MAX_DEPTH are cut (see there). Returns
 * 0, or -EINVAL (bad opts or focus regex, a profile without sample types),
 * -ENOENT (opts->sample_type not in p; diff_base falls back to its default
 * type), -ENOMSG (opts->focus matched no sample), -EOVERFLOW (values sum past
 * INT64_MAX), -E2BIG (more than FLAMEGRAPH_MAX_NODES distinct frames),
 * -EFBIG (folded output over the cap), -EBADMSG (a zero or repeated id in a
 * hand-built profile), -ENOMEM, -EIO (write error). */
int flamegraph__write(const Perftools__Profiles__Profile *p, const struct flamegraph_opts *opts,
		      FILE *out);

/* Frame kind from the mapping's filename (NULL or "" = no mapping) and the
 * frame's symbol name (NULL or "" = unsymbolized). Kernel and JIT mappings win
 * over the name; an unsymbolized frame, perf's "[unknown]" and cprof's
 * bracketed synthetic frames ("[user stack missing]") outside any mapping are
 * UNKNOWN; everything else is USER. */
enum flamegraph_kind flamegraph__frame_kind(const char *mapping_filename, const char *name);

#endif /* CPROF_EXPORT_FLAMEGRAPH_H */
