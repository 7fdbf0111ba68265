// SPDX-License-Identifier: MIT
/* flamegraph: pprof profile -> frame tree -> SVG (or folded text). Frame names
 * are sanitized to valid UTF-8 once, when interned; every byte written to the
 * SVG is ASCII (non-ASCII as character references), so the file is well-formed
 * XML whatever the profile holds. Tree nodes are merged on (parent, name, kind)
 * through one hash table; children are sorted by name so output is stable.
 * Frames are laid out in value units and scaled to pixels only when written. */
#define _GNU_SOURCE	/* qsort_r */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic_file.h"
#include "export/flamegraph.h"
#include "export/flamegraph_limits.h"
#include "export/pprof.h"
#include "base/regex_bound.h"

/* ---- layout constants (px) ---------------------------------------------- */

#define FG_XPAD		10
#define FG_FRAME_H	16
#define FG_HEADER	72
#define FG_FOOTER	30
#define FG_FONT		12
#define FG_CHAR_W	7.2	/* monospace 12px advance, used to fit labels */

/* ---- growable arrays -------------------------------------------------- */

static int grow(void **arr, size_t *cap, size_t want, size_t size)
{
	size_t ncap;
	void *tmp;

	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	tmp = realloc(*arr, ncap * size);
	if (!tmp)
		return -ENOMEM;
	*arr = tmp;
	*cap = ncap;
	return 0;
}

#define GROW(arr, cap, want) grow((void **)&(arr), &(cap), (want), sizeof(*(arr)))

static uint64_t hash_bytes(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* Small float helpers: the build links no libm. */
static double dabs(double x)
{
	return x < 0 ? -x : x;
}

static int round_nonneg(double x)
{
	return x > 0 ? (int)(x + 0.5) : 0;
}

/* ---- names: sanitizing and interning ---------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid.
 * Rejects overlongs, surrogates, > U+10FFFF and the XML-forbidden U+FFFE/F. */
static size_t utf8_valid(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	*ret_cp = cp;
	return len;
}

size_t flamegraph__sanitize_name(const char *name, char *buf, size_t size)
{
	static const char repl[] = "\xef\xbf\xbd";	/* U+FFFD */
	const unsigned char *s = (const unsigned char *)(name ? name : "");
	size_t n = strlen((const char *)s), i = 0, o = 0, len;
	uint32_t cp;

	if (!size)
		return 0;
	while (i < n) {
		len = utf8_valid(s + i, n - i, &cp);
		if (!len || cp < 0x20 || cp == 0x7f) {
			if (o + 3 >= size)
				break;
			memcpy(buf + o, repl, 3);
			o += 3;
			i += len ? len : 1;
			continue;
		}
		if (o + len >= size)
			break;
		memcpy(buf + o, s + i, len);
		o += len;
		i += len;
	}
	buf[o] = '\0';
	return o;
}

struct strtab {
	char **str;
	uint64_t *hash;
	size_t n, cap;
	uint32_t *slots;	/* index+1, 0 empty */
	size_t nslots;		/* power of two */
	char *scratch;		/* sanitizing buffer */
	size_t scratch_cap;
};

static void strtab__release(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->hash);
	free(t->slots);
	free(t->scratch);
}

static int strtab__rehash(struct strtab *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t s = t->hash[i] & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* Interns the sanitized form of raw; returns its index or -errno. */
static int64_t strtab__intern(struct strtab *t, const char *raw)
{
	size_t rawlen = strlen(raw ? raw : ""), need = rawlen * 3 + 1, len, s, hcap;
	uint64_t h;
	char *copy;
	int err;

	err = GROW(t->scratch, t->scratch_cap, need);
	if (err)
		return err;
	len = flamegraph__sanitize_name(raw, t->scratch, need);
	h = hash_bytes(t->scratch, len);
	if ((t->n + 1) * 2 > t->nslots) {
		err = strtab__rehash(t);
		if (err)
			return err;
	}
	for (s = h & (t->nslots - 1); t->slots[s]; s = (s + 1) & (t->nslots - 1)) {
		uint32_t i = t->slots[s] - 1;

		if (t->hash[i] == h && !strcmp(t->str[i], t->scratch))
			return i;
	}
	if (t->n >= UINT32_MAX - 1)
		return -ENOMEM;
	hcap = t->cap;
	err = GROW(t->str, t->cap, t->n + 1);
	if (err)
		return err;
	if (hcap != t->cap) {
		uint64_t *nh = realloc(t->hash, t->cap * sizeof(*nh));

		if (!nh) {
			t->cap = hcap;	/* str grew, hash did not: keep them in step */
			return -ENOMEM;
		}
		t->hash = nh;
	}
	copy = strdup(t->scratch);
	if (!copy)
		return -ENOMEM;
	t->str[t->n] = copy;
	t->hash[t->n] = h;
	t->slots[s] = (uint32_t)t->n + 1;
	return t->n++;
}

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

/* ---- the frame tree ---------------------------------------------------- */

struct frame {
	uint32_t name;
	uint8_t kind;
};

struct node {
	uint32_t name, parent, child, sibling;	/* child/sibling 0 = none (0 is the root) */
	uint8_t kind;
	uint32_t depth;
	int64_t value, base;			/* inclusive, in this profile and the base */
	int64_t off;				/* left edge in value units (layout) */
};

/* One input profile: its index and a cache location id -> frames. */
struct source {
	const Perftools__Profiles__Profile *p;
	struct pprof_index *index;
	int si;					/* sample value index */
	uint64_t *loc_ids;			/* open addressing on location id */
	uint32_t *loc_start, *loc_count;	/* into fg->frames */
	size_t nslots, nused;
};

struct fg {
	const struct flamegraph_opts *opts;
	struct strtab names;
	struct node *nodes;
	size_t nnodes, cap;
	uint32_t *slots;		/* (parent, name, kind) -> node index; 0 empty */
	size_t nslots;
	struct frame *frames;		/* resolved location frames, physical caller first */
	size_t nframes, frames_cap;
	struct frame *stack;		/* one sample's frames, root first */
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

static uint64_t node_hash(uint32_t parent, uint32_t name, uint8_t kind)
{
	return hash_mix(((uint64_t)parent << 32 | name) * 31 + kind);
}

static int fg__rehash(struct fg *fg)
{
	size_t nslots = fg->nslots ? fg->nslots * 2 : 4096;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 1; i < fg->nnodes; i++) {
		struct node *n = &fg->nodes[i];
		size_t s = node_hash(n->parent, n->name, n->kind) & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)i;
	}
	free(fg->slots);
	fg->slots = slots;
	fg->nslots = nslots;
	return 0;
}

/* Returns the child of parent named (name, kind), created if new; -errno. */
static int64_t fg__child(struct fg *fg, uint32_t parent, uint32_t name, uint8_t kind)
{
	size_t s;
	struct node *n;
	int err;

	if (fg->nnodes * 2 >= fg->nslots) {
		err = fg__rehash(fg);
		if (err)
			return err;
	}
	for (s = node_hash(parent, name, kind) & (fg->nslots - 1); fg->slots[s];
	     s = (s + 1) & (fg->nslots - 1)) {
		n = &fg->nodes[fg->slots[s]];
		if (n->parent == parent && n->name == name && n->kind == kind)
			return fg->slots[s];
	}
	if (fg->nnodes >= FLAMEGRAPH_MAX_NODES)
		return -E2BIG;
	err = GROW(fg->nodes, fg->cap, fg->nnodes + 1);
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
	fg->slots[s] = (uint32_t)fg->nnodes;
	return fg->nnodes++;
}

/* Appends a frame to fg->stack; frames past FLAMEGRAPH_MAX_DEPTH are only
 * counted in fg->dropped (bounded: see fg__end_stack). */
static int fg__push_frame(struct fg *fg, size_t *n, uint32_t name, uint8_t kind)
{
	int err;

	if (*n >= FLAMEGRAPH_MAX_DEPTH) {
		fg->dropped++;
		return 0;
	}
	err = GROW(fg->stack, fg->stack_cap, *n + 1);
	if (err)
		return err;
	fg->stack[(*n)++] = (struct frame){ .name = name, .kind = kind };
	return 0;
}

/* A stack that overflowed FLAMEGRAPH_MAX_DEPTH ends in "[truncated N frames]"
 * in place of its last kept frame, so the cut is visible where it happened. */
static int fg__end_stack(struct fg *fg, size_t n)
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
	ni = strtab__intern(&fg->names, buf);
	if (ni < 0)
		return ni;
	fg->stack[n - 1] = (struct frame){ .name = ni, .kind = FLAMEGRAPH_KIND_UNKNOWN };
	return 0;
}

/* Resolves one location into fg->frames (physical caller first, innermost
 * inline frame last). */
static int source__resolve(struct fg *fg, struct source *src, uint64_t id,
			   uint32_t *ret_start, uint32_t *ret_count)
{
	const Perftools__Profiles__Location *loc = pprof_index__location(src->index, id);
	const Perftools__Profiles__Mapping *m = NULL;
	const char *mapname = "", *name, *base;
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
		ni = strtab__intern(&fg->names, name);
		if (ni < 0)
			return ni;
		err = GROW(fg->frames, fg->frames_cap, fg->nframes + 1);
		if (err)
			return err;
		fg->frames[fg->nframes++] = (struct frame){
			.name = ni, .kind = flamegraph__frame_kind(mapname, name) };
	}
	if (fg->nframes == start) {
		/* Unsymbolized: "BASENAME+0xFILEOFFSET" like folded__write(), else "0xADDR". */
		base = strrchr(mapname, '/');
		base = base ? base + 1 : mapname;
		if (m && *base) {
			len = strlen(base) + 24;
			hex = malloc(len);
			if (!hex)
				return -ENOMEM;
			snprintf(hex, len, "%s+0x%" PRIx64, base,
				 loc->address - m->memory_start + m->file_offset);
		} else {
			hex = malloc(24);
			if (!hex)
				return -ENOMEM;
			snprintf(hex, 24, "0x%" PRIx64, loc ? loc->address : id);
		}
		ni = strtab__intern(&fg->names, hex);
		free(hex);
		if (ni < 0)
			return ni;
		err = GROW(fg->frames, fg->frames_cap, fg->nframes + 1);
		if (err)
			return err;
		fg->frames[fg->nframes++] = (struct frame){
			.name = ni, .kind = flamegraph__frame_kind(mapname, NULL) };
	}
	*ret_start = start;
	*ret_count = fg->nframes - start;
	return 0;
}

static int source__rehash(struct source *src)
{
	size_t nslots = src->nslots ? src->nslots * 2 : 1024, i, s;
	uint64_t *ids = calloc(nslots, sizeof(*ids));
	uint32_t *start = calloc(nslots, sizeof(*start));
	uint32_t *count = calloc(nslots, sizeof(*count));

	if (!ids || !start || !count) {
		free(ids);
		free(start);
		free(count);
		return -ENOMEM;
	}
	for (i = 0; i < src->nslots; i++) {
		if (!src->loc_ids[i])
			continue;
		for (s = hash_mix(src->loc_ids[i]) & (nslots - 1); ids[s]; s = (s + 1) & (nslots - 1))
			;
		ids[s] = src->loc_ids[i];
		start[s] = src->loc_start[i];
		count[s] = src->loc_count[i];
	}
	free(src->loc_ids);
	free(src->loc_start);
	free(src->loc_count);
	src->loc_ids = ids;
	src->loc_start = start;
	src->loc_count = count;
	src->nslots = nslots;
	return 0;
}

/* Frames of location id, resolved once per source. Id 0 is invalid in pprof
 * and resolves as an unknown frame without caching. */
static int source__frames(struct fg *fg, struct source *src, uint64_t id,
			  uint32_t *ret_start, uint32_t *ret_count)
{
	size_t s;
	int err;

	if (!id)
		return source__resolve(fg, src, id, ret_start, ret_count);
	if ((src->nused + 1) * 2 > src->nslots) {
		err = source__rehash(src);
		if (err)
			return err;
	}
	for (s = hash_mix(id) & (src->nslots - 1); src->loc_ids[s]; s = (s + 1) & (src->nslots - 1)) {
		if (src->loc_ids[s] == id) {
			*ret_start = src->loc_start[s];
			*ret_count = src->loc_count[s];
			return 0;
		}
	}
	err = source__resolve(fg, src, id, ret_start, ret_count);
	if (err)
		return err;
	src->loc_ids[s] = id;
	src->loc_start[s] = *ret_start;
	src->loc_count[s] = *ret_count;
	src->nused++;
	return 0;
}

static void source__release(struct source *src)
{
	pprof_index__free(src->index);
	free(src->loc_ids);
	free(src->loc_start);
	free(src->loc_count);
}

/* Root-level group frame name for a sample, or 0 with *ret_ok false. */
static int fg__group_frame(struct fg *fg, const struct source *src,
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
	ni = strtab__intern(&fg->names, buf);
	free(buf);
	if (ni < 0)
		return ni;
	*ret_ok = true;
	*ret_name = ni;
	return 0;
}

static bool fg__focus_match(struct fg *fg, size_t n)
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
static int fg__add_source(struct fg *fg, struct source *src, bool is_base)
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
			err = fg__group_frame(fg, src, s, &grouped, &gname);
			if (err)
				return err;
		}
		if (grouped && !fg->opts->inverted) {
			err = fg__push_frame(fg, &n, gname, FLAMEGRAPH_KIND_GROUP);
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

				err = fg__push_frame(fg, &n, fg->frames[f].name, fg->frames[f].kind);
				if (err)
					return err;
			}
		}
		err = fg__end_stack(fg, n);
		if (err)
			return err;
		if (fg->opts->inverted && grouped) {
			err = GROW(fg->stack, fg->stack_cap, n + 1);
			if (err)
				return err;
			fg->stack[n++] = (struct frame){ .name = gname, .kind = FLAMEGRAPH_KIND_GROUP };
		}
		if (fg->has_focus) {
			err = GROW(fg->focus_cache, fg->focus_cap, fg->names.n);
			if (err)
				return err;
			for (; fg->focus_n < fg->names.n; fg->focus_n++)
				fg->focus_cache[fg->focus_n] = -1;
			if (!fg__focus_match(fg, n))
				continue;
		}
		/* Checked sums: a wrapped total would draw negative widths and
		 * a wrapped stack would vanish. A child never exceeds its parent,
		 * so the root's check covers the stack. */
		if (!flamegraph_limits__add(is_base ? &fg->nodes[0].base : &fg->nodes[0].value, v))
			return -EOVERFLOW;
		for (j = 0; j < n; j++) {
			idx = fg__child(fg, cur, fg->stack[j].name, fg->stack[j].kind);
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

/* ---- ordering and layout ----------------------------------------------- */

static int node_cmp(const void *a, const void *b, void *arg)
{
	const struct fg *fg = arg;
	const struct node *x = &fg->nodes[*(const uint32_t *)a];
	const struct node *y = &fg->nodes[*(const uint32_t *)b];
	int c = strcmp(fg->names.str[x->name], fg->names.str[y->name]);

	if (c)
		return c;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

/* Relinks every node's children in name order, so output is stable. */
static int fg__sort(struct fg *fg)
{
	uint32_t *kids = NULL, c;
	size_t cap = 0, n;
	int err = 0;

	for (size_t i = 0; i < fg->nnodes; i++) {
		n = 0;
		for (c = fg->nodes[i].child; c; c = fg->nodes[c].sibling) {
			err = GROW(kids, cap, n + 1);
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

struct walk {
	double ppu;		/* px per value unit */
	double minwidth;	/* px; < 0: keep every node with a value or a base */
	int (*visit)(struct fg *fg, uint32_t idx, void *ctx);
	void *ctx;
};

static bool walk__keep(const struct fg *fg, const struct walk *w, uint32_t idx)
{
	const struct node *n = &fg->nodes[idx];

	if (w->minwidth < 0)
		return n->value > 0 || n->base > 0;
	return n->value > 0 && (double)n->value * w->ppu >= w->minwidth;
}

/* Pre-order walk over kept nodes (the root always), setting each node's off:
 * the sum of the values left of it, so pruned frames still take their room. */
static int fg__walk(struct fg *fg, const struct walk *w)
{
	uint32_t cur = 0, c;
	int64_t off;
	int err;

	fg->nodes[0].off = 0;
	err = w->visit(fg, 0, w->ctx);
	while (!err) {
		off = fg->nodes[cur].off;
		for (c = fg->nodes[cur].child; c && !walk__keep(fg, w, c); c = fg->nodes[c].sibling)
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
			for (c = fg->nodes[cur].sibling; c && !walk__keep(fg, w, c);
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

/* ---- text output helpers --------------------------------------------- */

/* Writes sanitized UTF-8 s as XML character data/attribute text, ASCII only.
 * At most maxcp characters: longer text is cut to maxcp - 2 and "..". */
static void put_xml(FILE *f, const char *s, size_t maxcp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t ncp = 0, i, len, n = strlen(s), limit;
	uint32_t cp;

	for (i = 0; i < n; i++)
		ncp += (u[i] & 0xc0) != 0x80;
	limit = ncp > maxcp ? (maxcp >= 2 ? maxcp - 2 : 0) : ncp;
	for (i = 0; i < n && limit; i += len, limit--) {
		len = utf8_valid(u + i, n - i, &cp);
		if (!len) {	/* cannot happen for interned names; stay safe anyway */
			len = 1;
			cp = 0xfffd;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				fputs("&#xfffd;", f);
			else if (cp < 0x80)
				fputc((int)cp, f);
			else
				fprintf(f, "&#x%" PRIx32 ";", cp);
		}
	}
	if (ncp > maxcp)
		fputs("..", f);
}

/* Writes raw (unsanitized) text, e.g. a title from the command line. */
static int put_xml_raw(FILE *f, const char *raw)
{
	size_t need = strlen(raw) * 3 + 1;
	char *buf = malloc(need);

	if (!buf)
		return -ENOMEM;
	flamegraph__sanitize_name(raw, buf, need);
	put_xml(f, buf, SIZE_MAX);
	free(buf);
	return 0;
}

static void fmt_int(int64_t v, char *buf, size_t len)
{
	char digits[32];
	size_t n, o = 0, i;
	int neg = v < 0;
	uint64_t u = neg ? -(uint64_t)v : (uint64_t)v;

	n = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, u);
	if (neg && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < n && o + 1 < len; i++) {
		buf[o++] = digits[i];
		if ((n - 1 - i) % 3 == 0 && i + 1 < n && o + 1 < len)
			buf[o++] = ',';
	}
	buf[o] = '\0';
}

/* Human-readable value in the profile's unit: "1.25 s", "3.0 MiB", "1,234 samples". */
static void fmt_value(const struct fg *fg, int64_t v, char *buf, size_t len)
{
	static const char *const bytes[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	char num[32];
	int i = 0;

	if (!strcmp(fg->unit, "nanoseconds")) {
		if (v >= 1000000000)
			snprintf(buf, len, "%.2f s", d / 1e9);
		else if (v >= 1000000)
			snprintf(buf, len, "%.2f ms", d / 1e6);
		else if (v >= 1000)
			snprintf(buf, len, "%.2f us", d / 1e3);
		else
			snprintf(buf, len, "%" PRId64 " ns", v);
		return;
	}
	if (!strcmp(fg->unit, "bytes") && v >= 1024) {
		while (d >= 1024 && i < 4) {
			d /= 1024;
			i++;
		}
		snprintf(buf, len, "%.2f %s", d, bytes[i]);
		return;
	}
	fmt_int(v, num, sizeof(num));
	if (!strcmp(fg->unit, "count") || !*fg->unit)
		snprintf(buf, len, "%s %s", num, *fg->type ? fg->type : "samples");
	else
		snprintf(buf, len, "%s %s", num, fg->unit);
}

static double pct(int64_t v, int64_t total)
{
	return total > 0 ? 100.0 * (double)v / (double)total : 0.0;
}

/* ---- colours ------------------------------------------------------------- */

static void hsl_rgb(double h, double s, double l, int rgb[3])
{
	double hp = (h >= 360 ? h - 360 : h) / 60, c = (1 - dabs(2 * l - 1)) * s;
	double x = c * (1 - dabs(hp - 2 * (int)(hp / 2) - 1)), m = l - c / 2, r = 0, g = 0, b = 0;

	if (hp < 1) { r = c; g = x; }
	else if (hp < 2) { r = x; g = c; }
	else if (hp < 3) { g = c; b = x; }
	else if (hp < 4) { g = x; b = c; }
	else if (hp < 5) { r = x; b = c; }
	else { r = c; b = x; }
	rgb[0] = round_nonneg((r + m) * 255);
	rgb[1] = round_nonneg((g + m) * 255);
	rgb[2] = round_nonneg((b + m) * 255);
}

/* Stable colour per (kind, name): the name's hash picks a shade inside the
 * kind's band, so one function keeps its colour across graphs. */
static void kind_color(enum flamegraph_kind kind, uint64_t name_hash, int rgb[3])
{
	uint64_t h = hash_mix(name_hash);	/* FNV's low bits vary too little */
	double v1 = (double)(h & 0xffff) / 65535.0;
	double v2 = (double)(h >> 16 & 0xffff) / 65535.0;
	double v3 = (double)(h >> 32 & 0xffff) / 65535.0;

	switch (kind) {
	case FLAMEGRAPH_KIND_KERNEL:	/* cool blue */
		hsl_rgb(195 + 25 * v1, 0.50 + 0.2 * v2, 0.62 + 0.1 * v3, rgb);
		break;
	case FLAMEGRAPH_KIND_JIT:	/* green */
		hsl_rgb(90 + 45 * v1, 0.50 + 0.2 * v2, 0.50 + 0.1 * v3, rgb);
		break;
	case FLAMEGRAPH_KIND_UNKNOWN:	/* grey */
		hsl_rgb(0, 0, 0.62 + 0.13 * v1, rgb);
		break;
	case FLAMEGRAPH_KIND_GROUP:	/* pale violet */
		hsl_rgb(262 + 20 * v1, 0.30, 0.74 + 0.06 * v2, rgb);
		break;
	default:			/* user native: hot red to yellow */
		hsl_rgb(2 + 48 * v1, 0.78 + 0.17 * v2, 0.55 + 0.08 * v3, rgb);
		break;
	}
}

static const char *const kind_names[FLAMEGRAPH_KIND__COUNT] = {
	[FLAMEGRAPH_KIND_USER] = "user",
	[FLAMEGRAPH_KIND_KERNEL] = "kernel",
	[FLAMEGRAPH_KIND_JIT] = "JIT",
	[FLAMEGRAPH_KIND_UNKNOWN] = "unknown",
	[FLAMEGRAPH_KIND_GROUP] = "group",
};

/* ---- SVG ----------------------------------------------------------------- */

struct svg {
	FILE *f;
	double ppu, scale;	/* scale: base -> this profile's total */
	uint32_t maxdepth;
	double maxdelta;
	bool diff;
};

static double node_delta(const struct svg *svg, const struct node *n)
{
	return (double)n->value - (double)n->base * svg->scale;
}

static int svg__measure(struct fg *fg, uint32_t idx, void *ctx)
{
	struct svg *svg = ctx;
	const struct node *n = &fg->nodes[idx];

	if (n->depth > svg->maxdepth)
		svg->maxdepth = n->depth;
	if (idx)
		fg->kinds_seen |= 1u << n->kind;
	if (svg->diff && idx && dabs(node_delta(svg, n)) > svg->maxdelta)
		svg->maxdelta = dabs(node_delta(svg, n));
	return 0;
}

static double svg__y(const struct fg *fg, const struct svg *svg, uint32_t depth)
{
	if (fg->opts->inverted)
		return FG_HEADER + (double)depth * FG_FRAME_H;
	return FG_HEADER + (double)(svg->maxdepth - depth) * FG_FRAME_H;
}

static int svg__frame(struct fg *fg, uint32_t idx, void *ctx)
{
	struct svg *svg = ctx;
	const struct node *n = &fg->nodes[idx];
	const char *name = fg->names.str[n->name];
	double x = FG_XPAD + (double)n->off * svg->ppu, w = (double)n->value * svg->ppu;
	double y = svg__y(fg, svg, n->depth), fit;
	char val[64];
	int rgb[3];

	if (!idx)
		w = fg->opts->width - 2.0 * FG_XPAD;	/* the root spans the chart, even empty */
	if (svg->diff) {
		double d = node_delta(svg, n), r = svg->maxdelta > 0 ? dabs(d) / svg->maxdelta : 0;
		int k = round_nonneg(r * 210);

		if (d > 0) {
			rgb[0] = 255; rgb[1] = 255 - k; rgb[2] = 255 - k;
		} else {
			rgb[0] = 255 - k; rgb[1] = 255 - k; rgb[2] = 255;
		}
	} else {
		kind_color(n->kind, fg->names.hash[n->name], rgb);
	}
	fmt_value(fg, n->value, val, sizeof(val));
	fprintf(svg->f, "<g data-v=\"%" PRId64 "\"", n->value);
	if (svg->diff)
		fprintf(svg->f, " data-b=\"%.0f\"", (double)n->base * svg->scale);
	fputs("><title>", svg->f);
	put_xml(svg->f, name, FLAMEGRAPH_MAX_NAME);
	fprintf(svg->f, " (%s, %.2f%%", val, pct(n->value, fg->total));
	if (svg->diff)
		fprintf(svg->f, "; base %.2f%%; %+.2f%%", pct(n->base, fg->base_total),
			pct(n->value, fg->total) - pct(n->base, fg->base_total));
	fprintf(svg->f, ")</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" "
		"fill=\"rgb(%d,%d,%d)\"/>", x, y, w, FG_FRAME_H - 1, rgb[0], rgb[1], rgb[2]);
	fit = (w - 6) / FG_CHAR_W;
	if (fit >= 3) {
		fprintf(svg->f, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 11.5);
		put_xml(svg->f, name, (size_t)fit);
		fputs("</text>", svg->f);
	}
	fputs("</g>\n", svg->f);
	return 0;
}

/* The viewer: zoom, search, hover details, URL fragment state
 * (#search=REGEX&zoom=NAME, shareable). Reads frames back from the DOM:
 * pre-order, depth from y, so a subtree is a contiguous run. */
static const char svg_script[] =
"\"use strict\";\n"
"(function () {\n"
"var NS = \"http://www.w3.org/2000/svg\";\n"
"var box = document.getElementById(\"frames\");\n"
"var num = function (k) { return +box.getAttribute(\"data-\" + k); };\n"
"var W = num(\"chart-width\"), XPAD = num(\"xpad\"), TOP = num(\"top\"), FH = num(\"frame-height\");\n"
"var MAXD = num(\"max-depth\"), INV = num(\"inverted\"), CW = num(\"char-width\"), TOTAL = num(\"total\");\n"
"var details = document.getElementById(\"details\"), matched = document.getElementById(\"matched\");\n"
"var resetBtn = document.getElementById(\"reset\"), input = document.getElementById(\"search\");\n"
"var frames = [], stack = [], zoomed = -1, query = \"\";\n"
"var gs = box.children;\n"
"for (var i = 0; i < gs.length; i++) {\n"
"  var g = gs[i], r = g.querySelector(\"rect\"), t = g.querySelector(\"title\").textContent;\n"
"  var row = Math.round((+r.getAttribute(\"y\") - TOP) / FH), d = INV ? row : MAXD - row;\n"
"  var f = { g: g, r: r, text: g.querySelector(\"text\"), name: t.slice(0, t.lastIndexOf(\" (\")),\n"
"            v: +g.getAttribute(\"data-v\"), x: +r.getAttribute(\"x\"), w: +r.getAttribute(\"width\"),\n"
"            fill: r.getAttribute(\"fill\"), depth: d, parent: d > 0 ? stack[d - 1] : -1, end: gs.length };\n"
"  while (stack.length > d) frames[stack.pop()].end = i;\n"
"  stack.push(i);\n"
"  g.fgIndex = i;\n"
"  frames.push(f);\n"
"}\n"
"function label(f, x, w) {\n"
"  var fit = Math.floor((w - 6) / CW), s = \"\";\n"
"  if (fit >= 3) s = f.name.length <= fit ? f.name : f.name.slice(0, fit - 2) + \"..\";\n"
"  if (!f.text) {\n"
"    if (!s) return;\n"
"    f.text = document.createElementNS(NS, \"text\");\n"
"    f.text.setAttribute(\"y\", +f.r.getAttribute(\"y\") + 11.5);\n"
"    f.g.appendChild(f.text);\n"
"  }\n"
"  f.text.setAttribute(\"x\", (x + 3).toFixed(2));\n"
"  f.text.textContent = s;\n"
"}\n"
"function place(f, x, w, shown, faded) {\n"
"  f.g.style.display = shown ? \"\" : \"none\";\n"
"  if (!shown) return;\n"
"  f.r.setAttribute(\"x\", x.toFixed(2));\n"
"  f.r.setAttribute(\"width\", w.toFixed(2));\n"
"  f.g.classList.toggle(\"faded\", faded);\n"
"  label(f, x, w);\n"
"}\n"
"function saveState() {\n"
"  var parts = [];\n"
"  if (query) parts.push(\"search=\" + encodeURIComponent(query));\n"
"  if (zoomed > 0) parts.push(\"zoom=\" + encodeURIComponent(frames[zoomed].name));\n"
"  try { history.replaceState(null, \"\", parts.length ? \"#\" + parts.join(\"&\") : location.pathname); } catch (e) { }\n"
"}\n"
"function zoom(i) {\n"
"  if (i <= 0) { reset(); return; }\n"
"  var z = frames[i], s = W / z.w, anc = {};\n"
"  for (var p = z.parent; p >= 0; p = frames[p].parent) anc[p] = true;\n"
"  for (var j = 0; j < frames.length; j++) {\n"
"    var f = frames[j];\n"
"    if (j >= i && j < z.end) place(f, XPAD + (f.x - z.x) * s, f.w * s, true, false);\n"
"    else if (anc[j]) place(f, XPAD, W, true, true);\n"
"    else place(f, 0, 0, false, false);\n"
"  }\n"
"  zoomed = i;\n"
"  resetBtn.style.display = \"\";\n"
"  saveState();\n"
"}\n"
"function reset() {\n"
"  for (var j = 0; j < frames.length; j++) place(frames[j], frames[j].x, frames[j].w, true, false);\n"
"  zoomed = -1;\n"
"  resetBtn.style.display = \"none\";\n"
"  saveState();\n"
"}\n"
"function search(q) {\n"
"  var re = null, sum = 0, skip = -1;\n"
"  query = q;\n"
"  if (q) {\n"
"    try { re = new RegExp(q); } catch (e) { re = new RegExp(q.replace(/[.*+?^${}()|[\\]\\\\]/g, \"\\\\$&\")); }\n"
"  }\n"
"  for (var j = 0; j < frames.length; j++) {\n"
"    var f = frames[j], hit = !!re && j > 0 && re.test(f.name);\n"
"    f.r.setAttribute(\"fill\", hit ? \"rgb(230,0,230)\" : f.fill);\n"
"    if (hit && j >= skip) { sum += f.v; skip = f.end; }\n"
"  }\n"
"  matched.textContent = re ? \"Matched: \" + (TOTAL > 0 ? 100 * sum / TOTAL : 0).toFixed(2) + \"%\" : \"\";\n"
"  saveState();\n"
"}\n"
"box.addEventListener(\"click\", function (e) {\n"
"  var g = e.target.closest(\"#frames > g\");\n"
"  if (g) zoom(g.fgIndex);\n"
"});\n"
"box.addEventListener(\"mouseover\", function (e) {\n"
"  var g = e.target.closest(\"#frames > g\");\n"
"  if (g) details.textContent = g.querySelector(\"title\").textContent;\n"
"});\n"
"box.addEventListener(\"mouseout\", function () { details.textContent = \" \"; });\n"
"resetBtn.addEventListener(\"click\", reset);\n"
"input.addEventListener(\"input\", function () { search(input.value); });\n"
"document.addEventListener(\"keydown\", function (e) {\n"
"  if ((e.ctrlKey && e.key === \"f\") || (e.key === \"/\" && e.target !== input)) {\n"
"    e.preventDefault();\n"
"    input.focus();\n"
"  } else if (e.key === \"Escape\") {\n"
"    if (e.target === input) { input.value = \"\"; search(\"\"); } else reset();\n"
"  }\n"
"});\n"
"resetBtn.style.display = \"none\";\n"
"location.hash.slice(1).split(\"&\").forEach(function (kv) {\n"
"  var eq = kv.indexOf(\"=\"), k = kv.slice(0, eq), v;\n"
"  if (eq < 0) return;\n"
"  try { v = decodeURIComponent(kv.slice(eq + 1)); } catch (e) { return; }\n"
"  if (k === \"search\") { input.value = v; search(v); }\n"
"  if (k === \"zoom\") {\n"
"    var best = -1;\n"
"    for (var j = 1; j < frames.length; j++)\n"
"      if (frames[j].name === v && (best < 0 || frames[j].w > frames[best].w)) best = j;\n"
"    if (best > 0) zoom(best);\n"
"  }\n"
"});\n"
"document.documentElement.setAttribute(\"data-ready\", \"1\");\n"
"})();\n";

static const char svg_style[] =
"text { font-family: monospace; font-size: 12px; fill: #000; }\n"
"#frames text { pointer-events: none; }\n"
"#frames g { cursor: pointer; }\n"
"#frames g:hover rect { stroke: #000; stroke-width: 0.5; }\n"
"#frames g.faded { opacity: 0.6; }\n"
".diff #frames rect { stroke: #bbb; stroke-width: 0.3; }\n"
"#title { font-size: 17px; font-weight: bold; text-anchor: middle; }\n"
"#subtitle { fill: #555; text-anchor: middle; }\n"
"#matched { text-anchor: end; }\n"
"#reset { cursor: pointer; fill: #0645ad; }\n"
"#search { width: 100%; box-sizing: border-box; font: 12px monospace; padding: 3px 6px; }\n"
".bg { fill: #f7f7f2; }\n";

static int svg__header(struct fg *fg, struct svg *svg, unsigned int height)
{
	const struct flamegraph_opts *o = fg->opts;
	unsigned int w = o->width;
	const char *title = o->title;
	char val[64];
	double lx = FG_XPAD;
	int rgb[3], err;

	if (!title)
		title = o->diff_base ? "Differential Flame Graph" :
			o->inverted ? "Icicle Graph" : "Flame Graph";
	fprintf(svg->f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\"%s>\n"
		"<!-- Flame graph drawn by cprof: frame width is proportional to the sample "
		"value. Click to zoom, Ctrl+F to search, Escape to reset. -->\n"
		"<style>\n%s</style>\n"
		"<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%u\" height=\"%u\"/>\n"
		"<text id=\"title\" x=\"%.1f\" y=\"22\">",
		w, height, w, height, svg->diff ? " class=\"diff\"" : "", svg_style,
		w, height, w / 2.0);
	err = put_xml_raw(svg->f, title);
	if (err)
		return err;
	fmt_value(fg, fg->total, val, sizeof(val));
	fprintf(svg->f, "</text>\n<text id=\"subtitle\" x=\"%.1f\" y=\"40\">", w / 2.0);
	put_xml(svg->f, fg->type, SIZE_MAX);
	if (*fg->unit) {
		fputs(" (", svg->f);
		put_xml(svg->f, fg->unit, SIZE_MAX);
		fputs(")", svg->f);
	}
	fputs(", total ", svg->f);
	put_xml(svg->f, val, SIZE_MAX);
	if (o->focus) {
		fputs(", focus ", svg->f);
		err = put_xml_raw(svg->f, o->focus);
		if (err)
			return err;
	}
	if (svg->diff) {
		fputs(", compared with ", svg->f);
		err = put_xml_raw(svg->f, o->diff_base_name ? o->diff_base_name : "base");
		if (err)
			return err;
		fputs(": red grew, blue shrank (normalised to totals)", svg->f);
	}
	if (o->inverted)
		fputs(", inverted: leaves on top", svg->f);
	fprintf(svg->f, "</text>\n<text id=\"reset\" x=\"%d\" y=\"22\">Reset Zoom</text>\n"
		"<foreignObject x=\"%u\" y=\"6\" width=\"250\" height=\"26\">"
		"<input xmlns=\"http://www.w3.org/1999/xhtml\" id=\"search\" type=\"search\" "
		"placeholder=\"Search (regex), Ctrl+F\" spellcheck=\"false\"/></foreignObject>\n"
		"<g id=\"legend\">", FG_XPAD, w > 260 + FG_XPAD ? w - 250 - FG_XPAD : 0);
	for (int k = 0; k < FLAMEGRAPH_KIND__COUNT && !svg->diff; k++) {
		if (k == FLAMEGRAPH_KIND_GROUP || !(fg->kinds_seen & (1u << k)))
			continue;
		kind_color(k, 0x7fff7fff7fffULL, rgb);
		fprintf(svg->f, "<rect x=\"%.0f\" y=\"52\" width=\"10\" height=\"10\" "
			"fill=\"rgb(%d,%d,%d)\"/><text x=\"%.0f\" y=\"61\">%s</text>",
			lx, rgb[0], rgb[1], rgb[2], lx + 14, kind_names[k]);
		lx += 14 + FG_CHAR_W * (strlen(kind_names[k]) + 2);
	}
	if (svg->diff)
		fprintf(svg->f, "<rect x=\"%d\" y=\"52\" width=\"10\" height=\"10\" "
			"fill=\"rgb(255,60,60)\"/><text x=\"%d\" y=\"61\">grew</text>"
			"<rect x=\"%d\" y=\"52\" width=\"10\" height=\"10\" fill=\"rgb(60,60,255)\"/>"
			"<text x=\"%d\" y=\"61\">shrank</text>",
			FG_XPAD, FG_XPAD + 14, FG_XPAD + 60, FG_XPAD + 74);
	fprintf(svg->f, "</g>\n<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
		"<text id=\"matched\" x=\"%u\" y=\"%u\"></text>\n",
		FG_XPAD, height - 10, w - FG_XPAD, height - 10);
	if (!fg->total)
		fprintf(svg->f, "<text x=\"%.1f\" y=\"%d\" style=\"text-anchor: middle\">"
			"no samples</text>\n", w / 2.0, FG_HEADER - 4);
	fprintf(svg->f, "<g id=\"frames\" data-total=\"%" PRId64 "\" data-chart-width=\"%u\" "
		"data-xpad=\"%d\" data-top=\"%d\" data-frame-height=\"%d\" data-max-depth=\"%u\" "
		"data-inverted=\"%d\" data-char-width=\"%.1f\">\n",
		fg->total, w - 2 * FG_XPAD, FG_XPAD, FG_HEADER, FG_FRAME_H, svg->maxdepth,
		o->inverted ? 1 : 0, FG_CHAR_W);
	return 0;
}

struct svg_size {
	struct fg *fg;
	double ppu;
	uint64_t bytes, frames;
};

static int svg__count(struct fg *fg, uint32_t idx, void *ctx)
{
	struct svg_size *sz = ctx;

	sz->bytes += flamegraph_limits__svg_frame_bytes(strlen(fg->names.str[fg->nodes[idx].name]));
	sz->frames++;
	return 0;
}

/* Estimated bytes of the frames kept at minwidth (the header and script are
 * under 16 KiB). */
static uint64_t svg__size_at(double minwidth, void *ctx)
{
	struct svg_size *sz = ctx;
	struct walk w = { .ppu = sz->ppu, .minwidth = minwidth, .visit = svg__count, .ctx = sz };

	sz->bytes = 16384;
	sz->frames = 0;
	fg__walk(sz->fg, &w);
	return sz->bytes;
}

static int fg__write_svg(struct fg *fg, FILE *out)
{
	struct svg svg = { .f = out, .diff = fg->opts->diff_base != NULL };
	struct walk w = { .minwidth = fg->opts->minwidth, .ctx = &svg };
	struct svg_size sz = { 0 };
	unsigned int height;
	int err;

	svg.ppu = fg->total > 0 ? (fg->opts->width - 2.0 * FG_XPAD) / (double)fg->total : 0;
	svg.scale = fg->base_total > 0 ? (double)fg->total / (double)fg->base_total : 0;
	w.ppu = svg.ppu;
	/* Over the output cap (a --minwidth 0 on 300k stacks, a crafted input):
	 * leave out more of the narrowest frames rather than write gigabytes. */
	sz.fg = fg;
	sz.ppu = svg.ppu;
	fg->minwidth = flamegraph_limits__fit_minwidth(fg->opts->minwidth, fg->opts->width,
						       fg->max_output, svg__size_at, &sz,
						       &fg->est_bytes);
	fg->frames_out = sz.frames;
	w.minwidth = fg->minwidth;
	w.visit = svg__measure;
	err = fg__walk(fg, &w);
	if (err)
		return err;
	height = FG_HEADER + (svg.maxdepth + 1) * FG_FRAME_H + FG_FOOTER;
	err = svg__header(fg, &svg, height);
	if (err)
		return err;
	w.visit = svg__frame;
	err = fg__walk(fg, &w);
	if (err)
		return err;
	/* The script comes last: it reads the frames back from the DOM. */
	fprintf(out, "</g>\n<script type=\"text/javascript\"><![CDATA[\n%s]]></script>\n</svg>\n",
		svg_script);
	return 0;
}

/* ---- folded ---------------------------------------------------------------- */

struct folded {
	FILE *f;
	uint64_t bytes, max;
	uint32_t *path;		/* node per depth */
	size_t cap;
	double scale;
	bool diff;
};

static int folded__visit(struct fg *fg, uint32_t idx, void *ctx)
{
	struct folded *fo = ctx;
	const struct node *n = &fg->nodes[idx];
	int64_t self = n->value, base = n->base;
	int err;

	err = GROW(fo->path, fo->cap, (size_t)n->depth + 1);
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

static int fg__write_folded(struct fg *fg, FILE *out)
{
	struct folded fo = { .f = out, .diff = fg->opts->diff_base != NULL,
			     .max = fg->max_output };
	struct walk w = { .minwidth = -1, .visit = folded__visit, .ctx = &fo };
	int err;

	fo.scale = fg->base_total > 0 ? (double)fg->total / (double)fg->base_total : 0;
	err = fg__walk(fg, &w);
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
	opts->group = FLAMEGRAPH_GROUP_NONE;
}

static int source__init(struct source *src, const Perftools__Profiles__Profile *p,
			const char *type)
{
	memset(src, 0, sizeof(*src));
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

static void fg__release(struct fg *fg)
{
	strtab__release(&fg->names);
	free(fg->nodes);
	free(fg->slots);
	free(fg->frames);
	free(fg->stack);
	free(fg->focus_cache);
	if (fg->has_focus)
		regfree(&fg->focus);
}

int flamegraph__write(const Perftools__Profiles__Profile *p, const struct flamegraph_opts *opts,
		      FILE *out)
{
	struct source src = { 0 }, base = { 0 };
	struct fg fg = { .opts = opts };
	const char *type;
	int64_t ni;
	int err;

	if (!p || !opts || !out || opts->width < 2 * FG_XPAD + 10 || opts->width > 1000000 ||
	    !(opts->minwidth >= 0) || opts->minwidth > 1e12 ||
	    opts->group > FLAMEGRAPH_GROUP_THREAD || opts->format > FLAMEGRAPH_FORMAT_FOLDED)
		return -EINVAL;
	if (opts->focus) {
		if (regex_bound__compile(&fg.focus, opts->focus, REG_EXTENDED | REG_NOSUB, NULL, 0))
			return -EINVAL;
		fg.has_focus = true;
	}
	fg.max_output = opts->max_output ? opts->max_output : FLAMEGRAPH_MAX_OUTPUT;
	fg.minwidth = opts->minwidth;
	err = source__init(&src, p, opts->sample_type);
	if (err)
		goto out;
	fg.type = pprof__str(p, p->sample_type[src.si]->type);
	fg.unit = pprof__str(p, p->sample_type[src.si]->unit);
	err = GROW(fg.nodes, fg.cap, 1);
	if (err)
		goto out;
	ni = strtab__intern(&fg.names, "all");
	if (ni < 0) {
		err = ni;
		goto out;
	}
	memset(&fg.nodes[0], 0, sizeof(fg.nodes[0]));
	fg.nodes[0].name = ni;
	fg.nodes[0].kind = FLAMEGRAPH_KIND_GROUP;
	fg.nnodes = 1;
	err = fg__add_source(&fg, &src, false);
	if (err)
		goto out;
	if (opts->diff_base) {
		/* Compare like with like: the same sample type by name when the
		 * base has it, else the base's default. */
		type = fg.type;
		err = source__init(&base, opts->diff_base, type);
		if (err == -ENOENT) {
			source__release(&base);
			err = source__init(&base, opts->diff_base, NULL);
		}
		if (err)
			goto out;
		err = fg__add_source(&fg, &base, true);
		if (err)
			goto out;
	}
	fg.total = fg.nodes[0].value;
	fg.base_total = fg.nodes[0].base;
	if (fg.has_focus && !fg.samples) {
		err = -ENOMSG;
		goto out;
	}
	err = fg__sort(&fg);
	if (err)
		goto out;
	if (opts->format == FLAMEGRAPH_FORMAT_FOLDED)
		err = fg__write_folded(&fg, out);
	else
		err = fg__write_svg(&fg, out);
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
	source__release(&base);
	source__release(&src);
	fg__release(&fg);
	return err;
}

int flamegraph__write_file(const Perftools__Profiles__Profile *p,
			   const struct flamegraph_opts *opts, const char *path)
{
	struct atomic_file af;
	int err;

	if (!path)
		return -EINVAL;
	if (!strcmp(path, "-"))
		return flamegraph__write(p, opts, stdout);
	err = atomic_file__open(&af, path);
	if (err)
		return err;
	err = flamegraph__write(p, opts, af.f);
	if (err) {
		atomic_file__abort(&af);
		return err;
	}
	return atomic_file__commit(&af);
}
