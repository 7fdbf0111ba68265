// SPDX-License-Identifier: MIT
/* report_graph: pprof profile -> go tool pprof's call graph at function
 * granularity (graph.New after Aggregate(functions)). Locations are resolved
 * into nodes once; each build walks the kept samples root first, adds a
 * sample's value once to the cum of every node on its path (recursion counts
 * once), to the flat of its leaf, and to the edges into nodes that some
 * location inlines: the only edges a text report reads. Sums are checked.
 * Depends on export/pprof*, export/flamegraph_limits, base/ and proto/. */
#define _GNU_SOURCE	/* qsort_r */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/regex_bound.h"
#include "base/vec.h"
#include "export/flamegraph_limits.h"
#include "export/pprof.h"
#include "export/report_graph.h"

#define NONE UINT32_MAX

enum { MATCH_NONE, MATCH_FOCUS, MATCH_IGNORE };
enum { PRUNE_NONE, PRUNE_BENEATH, PRUNE_WHOLE };

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* ---- nodes ------------------------------------------------------------------ */

struct node_key {
	const char *name, *objfile;
	int64_t start_line;
};

static bool node_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct report_node *n = &((const struct report_graph *)ctx)->nodes[idx];
	const struct node_key *k = key;

	return n->start_line == k->start_line && !strcmp(n->name, k->name) &&
	       !strcmp(n->objfile, k->objfile);
}

const char *report_graph__base(const char *path, int *ret_len)
{
	size_t len = strlen(path);
	const char *base;

	if (!len) {
		*ret_len = 1;
		return ".";
	}
	while (len > 1 && path[len - 1] == '/')
		len--;
	base = path + len;
	while (base > path && base[-1] != '/')
		base--;
	if (base == path + len)		/* only slashes: "/" */
		base--;
	*ret_len = (int)(path + len - base);
	return base;
}

/* The label Go prints for a node (NodeInfo.PrintableName) and its
 * fmt.Sprint, the last tie-break of its sorts. */
static int node_names(struct report_node *n)
{
	const char *base;
	int len;

	if (*n->name) {
		n->label = n->name;
	} else if (*n->objfile) {
		base = report_graph__base(n->objfile, &len);
		if (asprintf(&n->owned, "[%.*s]", len, base) < 0) {
			n->owned = NULL;
			return -ENOMEM;
		}
		n->label = n->owned;
	} else {
		n->label = "<unknown>";
	}
	if (asprintf(&n->key, "{%s  0  %" PRId64 " 0 %s}", n->name, n->start_line,
		     n->objfile) < 0) {
		n->key = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The node of (name, objfile, start_line), created if new: its index or -errno. */
static int64_t node_get(struct report_graph *g, const char *name, const char *objfile,
			int64_t start_line)
{
	struct node_key key = { name, *name ? "" : objfile, *name ? 0 : start_line };
	uint64_t h = hash__fnv1a(hash__fnv1a_str(key.name) ^ mix(key.start_line + 1),
				 key.objfile, strlen(key.objfile));
	struct report_node *n;
	uint32_t idx;
	int err;

	if (hashmap__find(&g->node_index, hash__fold(h), &key, &idx))
		return idx;
	if (g->nnodes >= FLAMEGRAPH_MAX_NODES)
		return -E2BIG;
	err = hashmap__reserve(&g->node_index, 1);
	if (!err)
		err = VEC_RESERVE(g->nodes, g->nnodes, g->nodes_cap, 1);
	if (err)
		return err;
	n = &g->nodes[g->nnodes];
	memset(n, 0, sizeof(*n));
	n->name = key.name;
	n->objfile = key.objfile;
	n->start_line = key.start_line;
	n->hash = h;
	err = node_names(n);
	if (err) {
		free(n->owned);
		free(n->key);
		return err;
	}
	hashmap__add(&g->node_index, hash__fold(h), (uint32_t)g->nnodes);
	return g->nnodes++;
}

/* ---- locations and filters ------------------------------------------------- */

static bool loc_eq(const void *ctx, uint32_t idx, const void *key)
{
	return ((const struct report_graph *)ctx)->locs[idx].id == *(const uint64_t *)key;
}

const struct report_loc *report_graph__loc(const struct report_graph *g, uint64_t id)
{
	uint32_t idx;

	if (!hashmap__find(&g->loc_index, hash__fold(mix(id)), &id, &idx))
		return NULL;
	return &g->locs[idx];
}

/* A string of the profile matched against re, cached per string index. */
static bool str_match(const struct report_graph *g, regex_t *re, int8_t *cache, uint64_t i)
{
	if (i >= g->p->n_string_table)
		return false;
	if (cache[i] < 0)
		cache[i] = !regexec(re, g->p->string_table[i], 0, NULL, 0);
	return cache[i];
}

/* Location.matchesName: a line's function name or file name, or the
 * mapping's file. */
static bool loc_match(const struct report_graph *g, const Perftools__Profiles__Location *l,
		      const struct report_loc *rl, regex_t *re, int8_t *cache)
{
	const Perftools__Profiles__Mapping *m;

	for (size_t i = rl->line0; i < l->n_line; i++) {
		const Perftools__Profiles__Function *fn =
			pprof_index__function(g->index, l->line[i]->function_id);

		if (fn && (str_match(g, re, cache, fn->name) ||
			   str_match(g, re, cache, fn->filename)))
			return true;
	}
	m = l->mapping_id ? pprof_index__mapping(g->index, l->mapping_id) : NULL;
	return m && str_match(g, re, cache, m->filename);
}

/* One location: its nodes (a line-less one or a line without function is
 * its mapping's unnamed node). */
static int resolve_loc(struct report_graph *g, const Perftools__Profiles__Location *l)
{
	const Perftools__Profiles__Mapping *m = NULL;
	struct report_loc *rl = &g->locs[g->nlocs];
	const char *objfile = "";
	size_t nlines = l->n_line ? l->n_line : 1;
	int64_t ni;
	int err;

	if (l->mapping_id)
		m = pprof_index__mapping(g->index, l->mapping_id);
	if (m)
		objfile = pprof__str(g->p, m->filename);
	err = VEC_RESERVE(g->frames, g->nframes, g->frames_cap, nlines);
	if (err)
		return err;
	*rl = (struct report_loc){ .id = l->id, .start = (uint32_t)g->nframes };
	for (size_t i = 0; i < nlines; i++) {
		const Perftools__Profiles__Function *fn = NULL;

		if (l->n_line)
			fn = pprof_index__function(g->index, l->line[i]->function_id);
		if (fn)
			ni = node_get(g, pprof__str(g->p, fn->name), objfile, fn->start_line);
		else
			ni = node_get(g, "", objfile, 0);
		if (ni < 0)
			return (int)ni;
		if (i + 1 < nlines)
			g->nodes[ni].maybe_inline = true;
		g->frames[g->nframes++] = (uint32_t)ni;
	}
	rl->count = (uint32_t)nlines;
	err = hashmap__insert(&g->loc_index, hash__fold(mix(l->id)), (uint32_t)g->nlocs);
	if (!err)
		g->nlocs++;
	return err;
}

/* ---- drop_frames ---------------------------------------------------------- */

/* "^(RE)$" of a profile's drop_frames or keep_frames: 0, or -EINVAL. */
static int compile_frames(regex_t *re, const char *frames)
{
	char *pat;
	int err;

	if (asprintf(&pat, "^(%s)$", frames) < 0)
		return -ENOMEM;
	err = regex_bound__compile(re, pat, REG_EXTENDED | REG_NOSUB, NULL, 0) ? -EINVAL : 0;
	free(pat);
	return err;
}

/* Does the function name (without a leading '.' or an argument list)
 * match drop and not keep? */
static int frame_dropped(const char *name, regex_t *drop, regex_t *keep, bool *ret)
{
	const char *paren;
	char *fn;

	if (*name == '.')
		name++;
	paren = strchr(name, '(');
	fn = strndup(name, paren && paren > name ? (size_t)(paren - name) : strlen(name));
	if (!fn)
		return -ENOMEM;
	*ret = !regexec(drop, fn, 0, NULL, 0) && (!keep || regexec(keep, fn, 0, NULL, 0));
	free(fn);
	return 0;
}

/* Profile.RemoveUninteresting: a location whose function (or one inlined
 * into it) matches drop_frames loses that line and those inlined into it,
 * or all of itself when it is the outermost, and each sample loses the
 * frames leafward of it (never before its first other frame). A pattern
 * that does not compile prunes nothing, as in Go. */
static int prune(struct report_graph *g)
{
	const Perftools__Profiles__Profile *p = g->p;
	const char *drop = pprof__str(p, p->drop_frames), *keep = pprof__str(p, p->keep_frames);
	regex_t dre, kre;
	bool has_keep = *keep, hit = false;
	int err = 0;

	if (!*drop || compile_frames(&dre, drop))
		return 0;
	if (has_keep && compile_frames(&kre, keep)) {
		regfree(&dre);
		return 0;
	}
	for (size_t k = 0; !err && k < p->n_location; k++) {
		const Perftools__Profiles__Location *l = p->location[k];
		struct report_loc *rl = &g->locs[k];
		size_t i;

		for (i = l->n_line; !err && i-- > 0;) {
			const Perftools__Profiles__Function *fn =
				pprof_index__function(g->index, l->line[i]->function_id);

			if (!fn || !*pprof__str(p, fn->name))
				continue;
			err = frame_dropped(pprof__str(p, fn->name), &dre, has_keep ? &kre : NULL, &hit);
			if (hit)
				break;
		}
		if (err || !hit)
			continue;
		hit = false;
		rl->prune = i + 1 == l->n_line ? PRUNE_WHOLE : PRUNE_BENEATH;
		if (rl->prune == PRUNE_BENEATH) {
			rl->line0 = (uint32_t)i + 1;
			rl->start += (uint32_t)i + 1;
			rl->count -= (uint32_t)i + 1;
		}
	}
	for (size_t i = 0; !err && i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		bool user = false;

		for (size_t j = s->n_location_id; j-- > 0;) {
			const struct report_loc *rl = report_graph__loc(g, s->location_id[j]);

			if (!rl || !rl->prune) {
				user = true;
				continue;
			}
			if (!user)
				continue;
			g->skip[i] = (uint32_t)(rl->prune == PRUNE_WHOLE ? j + 1 : j);
			break;
		}
	}
	regfree(&dre);
	if (has_keep)
		regfree(&kre);
	return err;
}

/* FilterSamplesByName: a sample stays when none of its locations is
 * ignored and one is focused (any, without --focus); one without locations
 * goes. Zero samples go too (Go's merge drops them). Also sums the total. */
static int filter_samples(struct report_graph *g)
{
	uint64_t frames = 0;
	size_t kept = 0;

	for (size_t i = 0; i < g->p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = g->p->sample[i];
		int64_t v = s->value[g->si];
		bool focused = false, ignored = false, zero = true;

		for (size_t j = 0; j < s->n_value; j++)
			zero &= s->value[j] == 0;
		if (v == INT64_MIN || !flamegraph_limits__add(&g->total, v < 0 ? -v : v))
			return -EOVERFLOW;
		for (size_t j = g->skip[i]; j < s->n_location_id; j++) {
			const struct report_loc *rl = report_graph__loc(g, s->location_id[j]);

			if (!rl)
				return -EBADMSG;
			focused |= rl->match == MATCH_FOCUS;
			ignored |= rl->match == MATCH_IGNORE;
			frames += rl->count;
		}
		g->keep[i] = !zero && focused && !ignored;
		kept += g->keep[i];
		if (frames > REPORT_MAX_FRAMES)
			return -E2BIG;
	}
	return kept || (!g->opts->focus && !g->opts->ignore) ? 0 : -ENOMSG;
}

static bool edge_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct report_edge *e = &((const struct report_graph *)ctx)->edges[idx];
	const uint32_t *k = key;

	return e->src == k[0] && e->dst == k[1];
}

static int compile(regex_t *re, const char *pattern, int8_t **cache, size_t n)
{
	if (regex_bound__compile(re, pattern, REG_EXTENDED | REG_NOSUB, NULL, 0))
		return -EINVAL;
	*cache = malloc(n ? n : 1);
	if (!*cache) {
		regfree(re);
		return -ENOMEM;
	}
	memset(*cache, -1, n);
	return 0;
}

int report_graph__init(struct report_graph *g, const Perftools__Profiles__Profile *p,
		       const struct report_opts *o)
{
	regex_t focus, ignore;
	int8_t *fcache = NULL, *icache = NULL;
	int err;

	memset(g, 0, sizeof(*g));
	g->p = p;
	g->opts = o;
	hashmap__init(&g->node_index, node_eq, g);
	hashmap__init(&g->loc_index, loc_eq, g);
	hashmap__init(&g->edge_index, edge_eq, g);
	if (!p->n_sample_type)
		return -EINVAL;
	g->si = report__sample_index(p, o->sample_index);
	if (g->si < 0)
		return g->si;
	g->type = pprof__str(p, p->sample_type[g->si]->type);
	g->unit = pprof__str(p, p->sample_type[g->si]->unit);
	g->index = pprof_index__new(p);
	if (!g->index)
		return -errno;
	if (o->focus && (err = compile(&focus, o->focus, &fcache, p->n_string_table)))
		return err;
	if (o->ignore && (err = compile(&ignore, o->ignore, &icache, p->n_string_table)))
		goto out_focus;
	g->locs = calloc(p->n_location ? p->n_location : 1, sizeof(*g->locs));
	g->keep = calloc(p->n_sample ? p->n_sample : 1, sizeof(*g->keep));
	g->skip = calloc(p->n_sample ? p->n_sample : 1, sizeof(*g->skip));
	err = g->locs && g->keep && g->skip ? 0 : -ENOMEM;
	for (size_t i = 0; !err && i < p->n_location; i++)
		err = resolve_loc(g, p->location[i]);
	if (!err)
		err = prune(g);
	for (size_t i = 0; !err && i < p->n_location; i++) {
		struct report_loc *rl = &g->locs[i];

		if (o->ignore && loc_match(g, p->location[i], rl, &ignore, icache))
			rl->match = MATCH_IGNORE;
		else if (!o->focus || loc_match(g, p->location[i], rl, &focus, fcache))
			rl->match = MATCH_FOCUS;
	}
	if (!err)
		err = filter_samples(g);
	if (o->ignore) {
		regfree(&ignore);
		free(icache);
	}
out_focus:
	if (o->focus) {
		regfree(&focus);
		free(fcache);
	}
	return err;
}

void report_graph__release(struct report_graph *g)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		free(g->nodes[i].owned);
		free(g->nodes[i].key);
	}
	free(g->nodes);
	hashmap__release(&g->node_index);
	free(g->frames);
	free(g->locs);
	hashmap__release(&g->loc_index);
	free(g->edges);
	hashmap__release(&g->edge_index);
	free(g->keep);
	free(g->skip);
	free(g->shown);
	pprof_index__free(g->index);
	memset(g, 0, sizeof(*g));
}

/* ---- building -------------------------------------------------------------- */

/* AddToEdge, once per sample and pair: an edge is inline while every call
 * it sums was. */
static int add_edge(struct report_graph *g, uint32_t src, uint32_t dst, int64_t w, bool is_inline)
{
	uint32_t key[2] = { src, dst }, h = hash__fold(mix((uint64_t)src << 32 | dst)), idx;
	struct report_edge *e;
	int err;

	if (!hashmap__find(&g->edge_index, h, key, &idx)) {
		if (g->nedges >= REPORT_MAX_EDGES)
			return -E2BIG;
		err = hashmap__reserve(&g->edge_index, 1);
		if (!err)
			err = VEC_RESERVE(g->edges, g->nedges, g->edges_cap, 1);
		if (err)
			return err;
		g->edges[g->nedges] = (struct report_edge){ src, dst, 0, 0, true };
		hashmap__add(&g->edge_index, h, (uint32_t)g->nedges);
		idx = (uint32_t)g->nedges++;
	}
	e = &g->edges[idx];
	if (e->stamp == g->stamp)
		return 0;
	e->stamp = g->stamp;
	e->is_inline &= is_inline;
	return flamegraph_limits__add(&e->weight, w) ? 0 : -EOVERFLOW;
}

/* One sample, root first; a node not kept makes the path residual (a leaf
 * not kept takes the flat value with it). */
static int add_sample(struct report_graph *g, size_t si, bool kept_only)
{
	const Perftools__Profiles__Sample *s = g->p->sample[si];
	int64_t w = s->value[g->si];
	uint32_t parent = NONE;
	bool residual = false;
	int err;

	g->stamp++;
	for (size_t i = s->n_location_id; i-- > g->skip[si];) {
		const struct report_loc *rl = report_graph__loc(g, s->location_id[i]);

		for (uint32_t li = rl->count; li-- > 0;) {
			uint32_t ni = g->frames[rl->start + li];
			struct report_node *n = &g->nodes[ni];

			if (kept_only && !n->kept) {
				residual = true;
				continue;
			}
			if (n->stamp != g->stamp) {
				n->stamp = g->stamp;
				if (!flamegraph_limits__add(&n->cum, w))
					return -EOVERFLOW;
			}
			if (parent != NONE && ni != parent && n->maybe_inline) {
				err = add_edge(g, parent, ni, w, li + 1 < rl->count);
				if (err)
					return err;
			}
			parent = ni;
			residual = false;
		}
	}
	if (parent != NONE && !residual &&
	    !flamegraph_limits__add(&g->nodes[parent].flat, w))
		return -EOVERFLOW;
	return 0;
}

int report_graph__build(struct report_graph *g, bool kept_only)
{
	int err;

	for (size_t i = 0; i < g->nnodes; i++) {
		g->nodes[i].flat = g->nodes[i].cum = 0;
		g->nodes[i].stamp = 0;
	}
	g->nedges = 0;
	hashmap__clear(&g->edge_index);
	g->stamp = 0;
	for (size_t i = 0; i < g->p->n_sample; i++) {
		if (!g->keep[i] || !g->p->sample[i]->value[g->si])
			continue;
		err = add_sample(g, i, kept_only);
		if (err)
			return err;
	}
	free(g->shown);
	g->nshown = 0;
	g->shown = malloc((g->nnodes ? g->nnodes : 1) * sizeof(*g->shown));
	if (!g->shown)
		return -ENOMEM;
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].cum || g->nodes[i].flat)
			g->shown[g->nshown++] = (uint32_t)i;
	return 0;
}

/* ---- order and marks ------------------------------------------------------- */

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

static int cmp_desc(int64_t a, int64_t b)
{
	a = abs64(a);
	b = abs64(b);
	return a > b ? -1 : a < b;
}

static int node_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct report_graph *g = ctx;
	const struct report_node *a = &g->nodes[*(const uint32_t *)pa];
	const struct report_node *b = &g->nodes[*(const uint32_t *)pb];
	bool cum = g->opts->cum;
	int c;

	c = cum ? cmp_desc(a->cum, b->cum) : cmp_desc(a->flat, b->flat);
	if (!c)
		c = strcmp(a->label, b->label);
	if (!c)
		c = cum ? cmp_desc(a->flat, b->flat) : cmp_desc(a->cum, b->cum);
	return c ? c : strcmp(a->key, b->key);
}

void report_graph__sort(struct report_graph *g)
{
	qsort_r(g->shown, g->nshown, sizeof(*g->shown), node_cmp, g);
}

void report_graph__mark_inline(struct report_graph *g, int64_t cutoff)
{
	for (size_t i = 0; i < g->nnodes; i++)
		g->nodes[i].in_inline = g->nodes[i].in_call = false;
	for (size_t i = 0; i < g->nedges; i++) {
		const struct report_edge *e = &g->edges[i];

		if (abs64(e->weight) < cutoff)
			continue;
		if (e->is_inline)
			g->nodes[e->dst].in_inline = true;
		else
			g->nodes[e->dst].in_call = true;
	}
}

/* ---- text ------------------------------------------------------------------ */

void report_graph__put(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

void report_graph__pad(FILE *out, const char *s, int width)
{
	int chars = 0;

	for (const char *c = s; *c; c++)
		chars += ((unsigned char)*c & 0xc0) != 0x80;
	for (; chars < width; chars++)
		fputc(' ', out);
	report_graph__put(out, s);
}
