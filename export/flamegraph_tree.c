// SPDX-License-Identifier: MIT
/* flamegraph_tree: pprof profile -> frame tree. Each location is resolved
 * once into frames (inline frames included, kind from the mapping); nodes are
 * merged on (parent, name, kind) through one hash table; children are sorted
 * by name so output is stable. Frames are laid out in value units and scaled
 * to pixels only by the writer. Stacks deeper than FLAMEGRAPH_MAX_DEPTH end in
 * a "[truncated N frames]" frame. Depends on export/pprof and regex_bound. */
#define _GNU_SOURCE	/* qsort_r */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/regex_bound.h"
#include "base/vec.h"
#include "export/flamegraph_limits.h"
#include "export/flamegraph_tree.h"
#include "export/pprof.h"

/* One input profile: its index and a cache location id -> frames. */
struct source {
	const Perftools__Profiles__Profile *p;
	struct pprof_index *index;
	int si;					/* sample value index */
	struct loc_frames {
		uint64_t id;
		uint32_t start, count;		/* into fg->frames */
	} *locs;				/* resolved locations */
	size_t nlocs, cap_locs;
	struct hashmap loc_index;		/* on locs[].id */
};

static uint64_t node_hash(uint32_t parent, uint32_t name, uint8_t kind)
{
	return flamegraph_tree__mix(((uint64_t)parent << 32 | name) * 31 + kind);
}

struct node_key {
	uint32_t parent, name;
	uint8_t kind;
};

static bool node_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct flamegraph_node *n = &((const struct flamegraph_tree *)ctx)->nodes[idx];
	const struct node_key *k = key;

	return n->parent == k->parent && n->name == k->name && n->kind == k->kind;
}

/* Returns the child of parent named (name, kind), created if new; -errno. */
static int64_t tree_child(struct flamegraph_tree *fg, uint32_t parent, uint32_t name, uint8_t kind)
{
	struct node_key key = { parent, name, kind };
	uint32_t h = hash__fold(node_hash(parent, name, kind)), idx;
	struct flamegraph_node *n;
	int err;

	if (hashmap__find(&fg->node_index, h, &key, &idx))
		return idx;
	if (fg->nnodes >= FLAMEGRAPH_MAX_NODES)
		return -E2BIG;
	err = hashmap__reserve(&fg->node_index, 1);
	if (err)
		return err;
	err = VEC_RESERVE(fg->nodes, 0, fg->cap, fg->nnodes + 1);
	if (err)
		return err;
	n = &fg->nodes[fg->nnodes];
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->kind = kind;
	n->parent = parent;
	n->depth = fg->nodes[parent].depth + 1;
	n->sibling = fg->nodes[parent].child;
	fg->nodes[parent].child = (uint32_t)fg->nnodes;
	hashmap__add(&fg->node_index, h, (uint32_t)fg->nnodes);
	return fg->nnodes++;
}

/* Appends a frame to fg->stack; frames past FLAMEGRAPH_MAX_DEPTH are only
 * counted in fg->dropped (bounded: see tree_end_stack). */
static int tree_push_frame(struct flamegraph_tree *fg, size_t *n, uint32_t name, uint8_t kind)
{
	int err;

	if (*n >= FLAMEGRAPH_MAX_DEPTH) {
		fg->dropped++;
		return 0;
	}
	err = VEC_RESERVE(fg->stack, 0, fg->stack_cap, *n + 1);
	if (err)
		return err;
	fg->stack[(*n)++] = (struct flamegraph_frame){ .name = name, .kind = kind };
	return 0;
}

/* A stack that overflowed FLAMEGRAPH_MAX_DEPTH ends in "[truncated N frames]"
 * in place of its last kept frame, so the cut is visible where it happened. */
static int tree_end_stack(struct flamegraph_tree *fg, size_t n)
{
	char buf[64];
	int64_t ni;

	if (!fg->dropped) {
		if (n > fg->deepest)
			fg->deepest = n;
		return 0;
	}
	fg->dropped++;	/* the frame the marker replaces */
	if (n + fg->dropped - 1 > fg->deepest)
		fg->deepest = n + fg->dropped - 1;
	fg->truncated++;
	snprintf(buf, sizeof(buf), "[truncated %zu frames]", fg->dropped);
	ni = flamegraph_names__intern(&fg->names, buf);
	if (ni < 0)
		return ni;
	fg->stack[n - 1] = (struct flamegraph_frame){ .name = ni, .kind = FLAMEGRAPH_KIND_UNKNOWN };
	return 0;
}

/* Resolves one location into fg->frames (physical caller first, innermost
 * inline frame last). */
static int source__resolve(struct flamegraph_tree *fg, struct source *src, uint64_t id,
			   uint32_t *ret_start, uint32_t *ret_count)
{
	const Perftools__Profiles__Location *loc = pprof_index__location(src->index, id);
	const Perftools__Profiles__Mapping *m = NULL;
	const char *mapname = "", *name;
	size_t start = fg->nframes, i, len;
	char *hex;
	int64_t ni;
	int err;

	if (loc && loc->mapping_id)
		m = pprof_index__mapping(src->index, loc->mapping_id);
	if (m)
		mapname = pprof__str(src->p, m->filename);
	for (i = loc ? loc->n_line : 0; i-- > 0;) {
		const Perftools__Profiles__Function *fn =
			pprof_index__function(src->index, loc->line[i]->function_id);

		name = fn ? pprof__str(src->p, fn->name) : "";
		if (!*name && fn)
			name = pprof__str(src->p, fn->system_name);
		if (!*name)
			continue;	/* a nameless inline frame adds nothing */
		ni = flamegraph_names__intern(&fg->names, name);
		if (ni < 0)
			return ni;
		err = VEC_RESERVE(fg->frames, 0, fg->frames_cap, fg->nframes + 1);
		if (err)
			return err;
		fg->frames[fg->nframes++] = (struct flamegraph_frame){
			.name = ni, .kind = flamegraph__frame_kind(mapname, name) };
	}
	if (fg->nframes == start) {
		/* Unsymbolized: the name folded__write() and pprof_build give it */
		len = (m ? strlen(mapname) : 0) + 24;
		hex = malloc(len);
		if (!hex)
			return -ENOMEM;
		if (m && loc)
			pprof__unnamed_name(hex, len, mapname, m->memory_start, m->file_offset,
					    loc->address);
		else
			pprof__unnamed_name(hex, len, NULL, 0, 0, loc ? loc->address : id);
		ni = flamegraph_names__intern(&fg->names, hex);
		free(hex);
		if (ni < 0)
			return ni;
		err = VEC_RESERVE(fg->frames, 0, fg->frames_cap, fg->nframes + 1);
		if (err)
			return err;
		fg->frames[fg->nframes++] = (struct flamegraph_frame){
			.name = ni, .kind = flamegraph__frame_kind(mapname, NULL) };
	}
	*ret_start = start;
	*ret_count = fg->nframes - start;
	return 0;
}

static bool loc_eq(const void *ctx, uint32_t idx, const void *key)
{
	return ((const struct source *)ctx)->locs[idx].id == *(const uint64_t *)key;
}

/* Frames of location id, resolved once per source. Id 0 is invalid in pprof
 * and resolves as an unknown frame without caching. */
static int source__frames(struct flamegraph_tree *fg, struct source *src, uint64_t id,
			  uint32_t *ret_start, uint32_t *ret_count)
{
	uint32_t h = hash__fold(flamegraph_tree__mix(id)), idx;
	int err;

	if (!id)
		return source__resolve(fg, src, id, ret_start, ret_count);
	if (hashmap__find(&src->loc_index, h, &id, &idx)) {
		*ret_start = src->locs[idx].start;
		*ret_count = src->locs[idx].count;
		return 0;
	}
	err = hashmap__reserve(&src->loc_index, 1);
	if (!err)
		err = VEC_RESERVE(src->locs, src->nlocs, src->cap_locs, 1);
	if (!err)
		err = source__resolve(fg, src, id, ret_start, ret_count);
	if (err)
		return err;
	src->locs[src->nlocs] = (struct loc_frames){ id, *ret_start, *ret_count };
	hashmap__add(&src->loc_index, h, (uint32_t)src->nlocs++);
	return 0;
}

static void source__release(struct source *src)
{
	pprof_index__free(src->index);
	free(src->locs);
	hashmap__release(&src->loc_index);
}

/* Root-level group frame name for a sample, or 0 with *ret_ok false. */
static int tree_group_frame(struct flamegraph_tree *fg, const struct source *src,
			   const Perftools__Profiles__Sample *s, bool *ret_ok, uint32_t *ret_name)
{
	const char *idkey = fg->opts->group == FLAMEGRAPH_GROUP_PID ? "pid" : "tid";
	const char *name = NULL, *comm = NULL, *process = NULL;
	bool has_id = false;
	int64_t id = 0, ni;
	char *buf;
	size_t len;

	for (size_t i = 0; i < s->n_label; i++) {
		const Perftools__Profiles__Label *l = s->label[i];
		const char *key = pprof__str(src->p, l->key);

		if (!strcmp(key, idkey) && !l->str) {
			has_id = true;
			id = l->num;
		} else if (!strcmp(key, "comm") && l->str) {
			comm = pprof__str(src->p, l->str);
		} else if (!strcmp(key, "process") && l->str) {
			process = pprof__str(src->p, l->str);
		}
	}
	if (!has_id) {
		*ret_ok = false;
		return 0;
	}
	if (fg->opts->group == FLAMEGRAPH_GROUP_PID)
		name = process && *process ? process : comm;
	else
		name = comm && *comm ? comm : process;
	if (!name || !*name)
		name = "[unknown]";
	len = strlen(name) + 32;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	snprintf(buf, len, "%s (%" PRId64 ")", name, id);
	ni = flamegraph_names__intern(&fg->names, buf);
	free(buf);
	if (ni < 0)
		return ni;
	*ret_ok = true;
	*ret_name = ni;
	return 0;
}

static bool tree_focus_match(struct flamegraph_tree *fg, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t name = fg->stack[i].name;

		if (fg->focus_cache[name] < 0)
			fg->focus_cache[name] =
				!regexec(&fg->focus, fg->names.str[name], 0, NULL, 0);
		if (fg->focus_cache[name])
			return true;
	}
	return false;
}

/* Adds every sample of src to the tree, into value (or base when is_base). */
static int tree_add_source(struct flamegraph_tree *fg, struct source *src, bool is_base)
{
	const Perftools__Profiles__Profile *p = src->p;
	uint32_t start, count, gname = 0;
	size_t n, i, i2, j;
	int64_t v, idx;
	bool grouped;
	int err;

	for (i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		uint32_t cur = 0;

		if ((size_t)src->si >= s->n_value || s->value[src->si] <= 0) {
			fg->skipped++;
			continue;
		}
		v = s->value[src->si];
		n = 0;
		fg->dropped = 0;
		grouped = false;
		if (fg->opts->group != FLAMEGRAPH_GROUP_NONE) {
			err = tree_group_frame(fg, src, s, &grouped, &gname);
			if (err)
				return err;
		}
		if (grouped && !fg->opts->inverted) {
			err = tree_push_frame(fg, &n, gname, FLAMEGRAPH_KIND_GROUP);
			if (err)
				return err;
		}
		/* Root first, or leaf first when inverted, so a cut at
		 * FLAMEGRAPH_MAX_DEPTH keeps the frames nearest the graph's base. */
		for (i2 = 0; i2 < s->n_location_id; i2++) {
			j = fg->opts->inverted ? i2 : s->n_location_id - 1 - i2;
			err = source__frames(fg, src, s->location_id[j], &start, &count);
			if (err)
				return err;
			for (uint32_t k = 0; k < count; k++) {
				uint32_t f = fg->opts->inverted ? start + count - 1 - k : start + k;

				err = tree_push_frame(fg, &n, fg->frames[f].name, fg->frames[f].kind);
				if (err)
					return err;
			}
		}
		err = tree_end_stack(fg, n);
		if (err)
			return err;
		if (fg->opts->inverted && grouped) {
			err = VEC_RESERVE(fg->stack, 0, fg->stack_cap, n + 1);
			if (err)
				return err;
			fg->stack[n++] = (struct flamegraph_frame){ .name = gname, .kind = FLAMEGRAPH_KIND_GROUP };
		}
		if (fg->has_focus) {
			err = VEC_RESERVE(fg->focus_cache, 0, fg->focus_cap, fg->names.n);
			if (err)
				return err;
			for (; fg->focus_n < fg->names.n; fg->focus_n++)
				fg->focus_cache[fg->focus_n] = -1;
			if (!tree_focus_match(fg, n))
				continue;
		}
		/* Checked sums: a wrapped total would draw negative widths and
		 * a wrapped stack would vanish. A child never exceeds its parent,
		 * so the root's check covers the stack. */
		if (!flamegraph_limits__add(is_base ? &fg->nodes[0].base : &fg->nodes[0].value, v))
			return -EOVERFLOW;
		for (j = 0; j < n; j++) {
			idx = tree_child(fg, cur, fg->stack[j].name, fg->stack[j].kind);
			if (idx < 0)
				return idx;
			cur = idx;
			if (!flamegraph_limits__add(is_base ? &fg->nodes[cur].base :
						    &fg->nodes[cur].value, v))
				return -EOVERFLOW;
		}
		if (!is_base)
			fg->samples++;
	}
	return 0;
}

/* ---- ordering ------------------------------------------------------------ */

static int node_cmp(const void *a, const void *b, void *arg)
{
	const struct flamegraph_tree *fg = arg;
	const struct flamegraph_node *x = &fg->nodes[*(const uint32_t *)a];
	const struct flamegraph_node *y = &fg->nodes[*(const uint32_t *)b];
	int c = strcmp(fg->names.str[x->name], fg->names.str[y->name]);

	if (c)
		return c;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

/* Relinks every node's children in name order, so output is stable. */
static int tree_sort(struct flamegraph_tree *fg)
{
	uint32_t *kids = NULL, c;
	size_t cap = 0, n;
	int err = 0;

	for (size_t i = 0; i < fg->nnodes; i++) {
		n = 0;
		for (c = fg->nodes[i].child; c; c = fg->nodes[c].sibling) {
			err = VEC_RESERVE(kids, 0, cap, n + 1);
			if (err)
				goto out;
			kids[n++] = c;
		}
		if (n < 2)
			continue;
		qsort_r(kids, n, sizeof(*kids), node_cmp, fg);
		fg->nodes[i].child = kids[0];
		for (size_t k = 0; k + 1 < n; k++)
			fg->nodes[kids[k]].sibling = kids[k + 1];
		fg->nodes[kids[n - 1]].sibling = 0;
	}
out:
	free(kids);
	return err;
}

/* ---- walking ------------------------------------------------------------- */

static bool walk_keep(const struct flamegraph_tree *fg, const struct flamegraph_walk *w,
		      uint32_t idx)
{
	const struct flamegraph_node *n = &fg->nodes[idx];

	if (w->minwidth < 0)
		return n->value > 0 || n->base > 0;
	return n->value > 0 && (double)n->value * w->ppu >= w->minwidth;
}

/* Pre-order walk over kept nodes (the root always), setting each node's off:
 * the sum of the values left of it, so pruned frames still take their room. */
int flamegraph_tree__walk(struct flamegraph_tree *fg, const struct flamegraph_walk *w)
{
	uint32_t cur = 0, c;
	int64_t off;
	int err;

	fg->nodes[0].off = 0;
	err = w->visit(fg, 0, w->ctx);
	while (!err) {
		off = fg->nodes[cur].off;
		for (c = fg->nodes[cur].child; c && !walk_keep(fg, w, c); c = fg->nodes[c].sibling)
			off += fg->nodes[c].value;
		if (c) {
			fg->nodes[c].off = off;
			cur = c;
			err = w->visit(fg, c, w->ctx);
			continue;
		}
		for (;;) {
			if (!cur)
				return 0;
			off = fg->nodes[cur].off + fg->nodes[cur].value;
			for (c = fg->nodes[cur].sibling; c && !walk_keep(fg, w, c);
			     c = fg->nodes[c].sibling)
				off += fg->nodes[c].value;
			if (c) {
				fg->nodes[c].off = off;
				cur = c;
				err = w->visit(fg, c, w->ctx);
				break;
			}
			cur = fg->nodes[cur].parent;
		}
	}
	return err;
}

/* ---- life cycle ---------------------------------------------------------- */

static int source__init(struct source *src, const Perftools__Profiles__Profile *p,
			const char *type)
{
	memset(src, 0, sizeof(*src));
	hashmap__init(&src->loc_index, loc_eq, src);
	src->p = p;
	if (!p->n_sample_type)
		return -EINVAL;
	src->si = pprof__sample_index(p, type);
	if (src->si < 0)
		return src->si == -EINVAL ? -ENOENT : src->si;
	if ((size_t)src->si >= p->n_sample_type)
		return -ENOENT;
	src->index = pprof_index__new(p);
	if (!src->index)
		return errno ? -errno : -ENOMEM;
	return 0;
}

int flamegraph_tree__init(struct flamegraph_tree *fg, const struct flamegraph_opts *opts)
{
	memset(fg, 0, sizeof(*fg));
	fg->opts = opts;
	flamegraph_names__init(&fg->names);
	hashmap__init(&fg->node_index, node_eq, fg);
	if (opts->focus) {
		if (regex_bound__compile(&fg->focus, opts->focus, REG_EXTENDED | REG_NOSUB, NULL, 0))
			return -EINVAL;
		fg->has_focus = true;
	}
	fg->max_output = opts->max_output ? opts->max_output : FLAMEGRAPH_MAX_OUTPUT;
	fg->minwidth = opts->minwidth;
	return 0;
}

int flamegraph_tree__build(struct flamegraph_tree *fg, const Perftools__Profiles__Profile *p)
{
	const struct flamegraph_opts *opts = fg->opts;
	struct source src = { 0 }, base = { 0 };
	const char *type;
	int64_t ni;
	int err;

	err = source__init(&src, p, opts->sample_type);
	if (err)
		goto out;
	fg->type = pprof__str(p, p->sample_type[src.si]->type);
	fg->unit = pprof__str(p, p->sample_type[src.si]->unit);
	err = VEC_RESERVE(fg->nodes, 0, fg->cap, 1);
	if (err)
		goto out;
	ni = flamegraph_names__intern(&fg->names, "all");
	if (ni < 0) {
		err = ni;
		goto out;
	}
	memset(&fg->nodes[0], 0, sizeof(fg->nodes[0]));
	fg->nodes[0].name = ni;
	fg->nodes[0].kind = FLAMEGRAPH_KIND_GROUP;
	fg->nnodes = 1;
	err = tree_add_source(fg, &src, false);
	if (err)
		goto out;
	if (opts->diff_base) {
		/* Compare like with like: the same sample type by name when the
		 * base has it, else the base's default. */
		type = fg->type;
		err = source__init(&base, opts->diff_base, type);
		if (err == -ENOENT) {
			source__release(&base);
			err = source__init(&base, opts->diff_base, NULL);
		}
		if (err)
			goto out;
		err = tree_add_source(fg, &base, true);
		if (err)
			goto out;
	}
	fg->total = fg->nodes[0].value;
	fg->base_total = fg->nodes[0].base;
	if (fg->has_focus && !fg->samples) {
		err = -ENOMSG;
		goto out;
	}
	err = tree_sort(fg);
out:
	source__release(&base);
	source__release(&src);
	return err;
}

void flamegraph_tree__release(struct flamegraph_tree *fg)
{
	flamegraph_names__release(&fg->names);
	free(fg->nodes);
	hashmap__release(&fg->node_index);
	free(fg->frames);
	free(fg->stack);
	free(fg->focus_cache);
	if (fg->has_focus)
		regfree(&fg->focus);
}

