// SPDX-License-Identifier: MIT
/* flamegraph: the entry points (pprof profile -> SVG or folded text), the
 * frame kinds, and the folded writer. The tree is built by flamegraph_tree.c,
 * names are interned by flamegraph_names.c, the SVG is drawn by
 * flamegraph_svg.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export/flamegraph.h"
#include "export/flamegraph_limits.h"
#include "export/flamegraph_tree.h"

/* ---- frame kinds ------------------------------------------------------- */

static bool is_bracketed(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && s[0] == '[' && s[n - 1] == ']';
}

enum flamegraph_kind flamegraph__frame_kind(const char *mapping, const char *name)
{
	/* Bracketed mapping names that are user space, not a kernel module. */
	static const char *const user_brackets[] = {
		"[vdso]", "[vvar]", "[vsyscall]", "[heap]", "[stack]", "[uprobes]",
	};
	const char *base;
	size_t i;

	if (mapping && *mapping) {
		/* before the bracket rule: it is no kernel module */
		if (!strncmp(mapping, "[python", 7))
			return FLAMEGRAPH_KIND_PYTHON;
		if (!strcmp(mapping, "[jit]") || !strncmp(mapping, "[anon", 5) ||
		    !strncmp(mapping, "//anon", 6))
			return FLAMEGRAPH_KIND_JIT;
		base = strrchr(mapping, '/');
		base = base ? base + 1 : mapping;
		if (!strncmp(base, "perf-", 5) && strlen(base) > 9 &&
		    !strcmp(base + strlen(base) - 4, ".map"))
			return FLAMEGRAPH_KIND_JIT;
		if (is_bracketed(mapping)) {
			for (i = 0; i < sizeof(user_brackets) / sizeof(user_brackets[0]); i++)
				if (!strcmp(mapping, user_brackets[i]))
					break;
			if (i == sizeof(user_brackets) / sizeof(user_brackets[0]))
				return FLAMEGRAPH_KIND_KERNEL;
		}
	}
	if (!name || !*name || !strcmp(name, "[unknown]"))
		return FLAMEGRAPH_KIND_UNKNOWN;
	if ((!mapping || !*mapping) && is_bracketed(name))
		return FLAMEGRAPH_KIND_UNKNOWN;
	return FLAMEGRAPH_KIND_USER;
}

/* ---- folded ---------------------------------------------------------------- */

struct fold {
	FILE *f;
	uint64_t bytes, max;
	uint32_t *path;		/* node per depth */
	size_t cap;
	double scale;
	bool diff;
};

static int fold_visit(struct flamegraph_tree *fg, uint32_t idx, void *ctx)
{
	struct fold *fo = ctx;
	const struct flamegraph_node *n = &fg->nodes[idx];
	int64_t self = n->value, base = n->base;
	int err;

	err = VEC_RESERVE(fo->path, 0, fo->cap, (size_t)n->depth + 1);
	if (err)
		return err;
	fo->path[n->depth] = idx;
	for (uint32_t c = n->child; c; c = fg->nodes[c].sibling) {
		self -= fg->nodes[c].value;
		base -= fg->nodes[c].base;
	}
	if (!idx || (self <= 0 && (!fo->diff || base <= 0)))
		return 0;
	/* Output cap: a deep tree of long names repeats them on every line. */
	fo->bytes += 48;
	for (uint32_t d = 1; d <= n->depth; d++)
		fo->bytes += strlen(fg->names.str[fg->nodes[fo->path[d]].name]) + 1;
	if (fo->bytes > fo->max)
		return -EFBIG;
	fg->frames_out++;
	for (uint32_t d = 1; d <= n->depth; d++) {
		const char *s = fg->names.str[fg->nodes[fo->path[d]].name];

		if (d > 1)
			fputc(';', fo->f);
		for (; *s; s++)	/* ';' separates frames: a name may not hold one */
			fputc(*s == ';' ? ':' : *s, fo->f);
	}
	if (fo->diff)
		fprintf(fo->f, " %.0f", (double)base * fo->scale);
	fprintf(fo->f, " %" PRId64 "\n", self > 0 ? self : 0);
	return 0;
}

static int write_folded(struct flamegraph_tree *fg, FILE *out)
{
	struct fold fo = { .f = out, .diff = fg->opts->diff_base != NULL,
			     .max = fg->max_output };
	struct flamegraph_walk w = { .minwidth = -1, .visit = fold_visit, .ctx = &fo };
	int err;

	fo.scale = fg->base_total > 0 ? (double)fg->total / (double)fg->base_total : 0;
	err = flamegraph_tree__walk(fg, &w);
	free(fo.path);
	fg->est_bytes = fo.bytes;
	return err;
}

/* ---- entry points ---------------------------------------------------------- */

void flamegraph_opts__init(struct flamegraph_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->format = FLAMEGRAPH_FORMAT_SVG;
	opts->width = 1200;
	opts->minwidth = 0.1;
	opts->max_depth = FLAMEGRAPH_DRAWN_DEPTH;
	opts->group = FLAMEGRAPH_GROUP_NONE;
}

int flamegraph__write(const Perftools__Profiles__Profile *p, const struct flamegraph_opts *opts,
		      FILE *out)
{
	struct flamegraph_tree fg;
	int err;

	if (!p || !opts || !out || opts->width < 2 * FLAMEGRAPH_SVG_XPAD + 10 ||
	    opts->width > 1000000 || opts->max_depth > FLAMEGRAPH_MAX_DEPTH ||
	    !(opts->minwidth >= 0) || opts->minwidth > 1e12 ||
	    opts->group > FLAMEGRAPH_GROUP_THREAD || opts->format > FLAMEGRAPH_FORMAT_FOLDED)
		return -EINVAL;
	err = flamegraph_tree__init(&fg, opts);
	if (err)
		return err;
	err = flamegraph_tree__build(&fg, p);
	if (err)
		goto out;
	if (opts->format == FLAMEGRAPH_FORMAT_FOLDED)
		err = write_folded(&fg, out);
	else
		err = flamegraph_svg__write(&fg, out);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
out:
	if (opts->report) {
		*opts->report = (struct flamegraph_report){
			.samples = fg.samples, .truncated_stacks = fg.truncated,
			.deepest = fg.deepest, .frames = fg.frames_out,
			.est_bytes = fg.est_bytes, .minwidth = fg.minwidth,
			.minwidth_raised = fg.minwidth > opts->minwidth,
		};
	}
	flamegraph_tree__release(&fg);
	return err;
}
