// SPDX-License-Identifier: MIT
/* pb_profile: interning pprof builder. Entries live in growable arrays (ids are
 * index+1); open-addressing tables of {index+1, hash} find them by key. Lines,
 * sample location lists, values and labels live in shared pools addressed by
 * offset, so growing a pool never invalidates an entry. pb_profile__finish()
 * builds the protobuf-c message pointing into these pools; nothing may be added
 * afterwards, so the pointers stay valid until pb_profile__free(). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "export/profile.h"

/* ---- growable arrays ---------------------------------------------------- */

/* Makes room for `more` elements of `size` bytes in *arr (holding *n, room *cap). */
static int grow(void **arr, size_t *cap, size_t n, size_t more, size_t size)
{
	size_t want, ncap;
	void *tmp;

	if (more > SIZE_MAX / size - n)
		return -ENOMEM;
	want = n + more;
	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 / size ? want : ncap * 2;
	tmp = realloc(*arr, ncap * size);
	if (!tmp)
		return -ENOMEM;
	*arr = tmp;
	*cap = ncap;
	return 0;
}

#define GROW(arr, n, cap, more) grow((void **)&(arr), &(cap), (n), (more), sizeof(*(arr)))

/* ---- hashing --------------------------------------------------------------- */

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	return h;
}

static uint64_t hash_bytes(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *b = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint32_t hash_fold(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32));
}

/* ---- index tables ---------------------------------------------------------- */

struct itab_slot {
	uint32_t idx1;	/* entry index + 1; 0 = empty */
	uint32_t hash;
};

struct itab {
	struct itab_slot *slots;
	size_t mask;	/* capacity - 1, capacity a power of two */
	size_t n;
};

struct pb_profile;
typedef bool (*itab_eq_fn)(const struct pb_profile *p, uint32_t idx, const void *key);

/* Ensures one more entry fits below a 1/2 load factor, rehashing from the
 * stored hashes, so a slot found afterwards stays valid for the insert. */
static int itab__reserve(struct itab *t)
{
	size_t cap = t->slots ? t->mask + 1 : 0, ncap;
	struct itab_slot *ns;

	if (t->slots && (t->n + 1) * 2 <= cap)
		return 0;
	if (t->n >= UINT32_MAX - 1)
		return -ENOMEM;
	ncap = cap ? cap * 2 : 64;
	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++) {
		size_t j;

		if (!t->slots[i].idx1)
			continue;
		j = t->slots[i].hash & (ncap - 1);
		while (ns[j].idx1)
			j = (j + 1) & (ncap - 1);
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->mask = ncap - 1;
	return 0;
}

/* Returns the slot holding an entry equal to key, or the empty slot where it
 * belongs. The table must have been reserved. */
static struct itab_slot *itab__probe(const struct itab *t, uint32_t h, itab_eq_fn eq,
				     const struct pb_profile *p, const void *key)
{
	size_t i = h & t->mask;

	for (;;) {
		struct itab_slot *s = &t->slots[i];

		if (!s->idx1 || (s->hash == h && eq(p, s->idx1 - 1, key)))
			return s;
		i = (i + 1) & t->mask;
	}
}

static void itab__set(struct itab *t, struct itab_slot *s, uint32_t idx, uint32_t h)
{
	s->idx1 = idx + 1;
	s->hash = h;
	t->n++;
}

/* ---- entries --------------------------------------------------------------- */

struct mapping_ent {
	uint64_t start, limit, offset;
	uint32_t filename, build_id;
};

struct function_ent {
	uint32_t name, system_name, filename;
	int64_t start_line;
	bool func_start;	/* see pb_line */
};

struct line_ent {
	uint64_t function_id;
	int64_t line;
};

struct location_ent {
	uint64_t mapping_id, address;
	size_t line_off, nlines;	/* into p->lines */
};

struct label_ent {
	uint32_t key, str, unit;	/* str 0 = numeric */
	int64_t num;
};

struct sample_ent {
	size_t loc_off, nlocs;		/* into p->loc_ids */
	size_t val_off;			/* into p->values, n_sample_types of them */
	size_t label_off, nlabels;	/* into p->labels */
};

/* The finished message and the arrays it points into that p->pools don't own. */
struct pb_message {
	Perftools__Profiles__Profile msg;
	Perftools__Profiles__ValueType *vts, **vt_ptrs, period_type;
	Perftools__Profiles__Mapping *maps, **map_ptrs;
	Perftools__Profiles__Function *funcs, **func_ptrs;
	Perftools__Profiles__Location *locs, **loc_ptrs;
	Perftools__Profiles__Line *lines, **line_ptrs;
	Perftools__Profiles__Sample *samples, **sample_ptrs;
	Perftools__Profiles__Label *labels, **label_ptrs;
};

struct pb_profile {
	bool finished;
	size_t n_sample_types;
	uint32_t *sample_types;		/* 2 string indices (type, unit) per sample type */
	uint32_t period_type, period_unit;
	bool has_period_type;
	int64_t period, time_nanos, duration_nanos;
	uint32_t default_sample_type;

	char **strs;
	size_t n_strs, cap_strs;
	struct itab str_tab;

	struct mapping_ent *maps;
	size_t n_maps, cap_maps;
	struct itab map_tab;

	struct function_ent *funcs;
	size_t n_funcs, cap_funcs;
	struct itab func_tab;

	struct location_ent *locs;
	size_t n_locs, cap_locs;
	struct itab loc_tab;
	struct line_ent *lines;
	size_t n_lines, cap_lines;

	struct sample_ent *samples;
	size_t n_samples, cap_samples;
	struct itab sample_tab;
	uint64_t *loc_ids;
	size_t n_loc_ids, cap_loc_ids;
	int64_t *values;
	size_t n_values, cap_values;
	struct label_ent *labels;
	size_t n_labels, cap_labels;
	struct label_ent *scratch;	/* labels of the sample being added */
	size_t cap_scratch;

	int64_t *comments;
	size_t n_comments, cap_comments;

	struct pb_message *out;
};

/* ---- strings --------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Backends decode strings as proto3 strings, which must be UTF-8: returns a
 * malloc'd copy with invalid bytes replaced by '?', or NULL with *ret_valid set
 * when s is valid already. */
static char *utf8_sanitize(const char *s, bool *ret_valid, int *ret_err)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	char *copy;

	while (u[i] && (n = utf8_seq_len(u + i)))
		i += n;
	if (!u[i]) {
		*ret_valid = true;
		return NULL;
	}
	copy = strdup(s);
	if (!copy) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	u = (unsigned char *)copy;
	while (u[i]) {
		n = utf8_seq_len(u + i);
		if (!n) {
			copy[i] = '?';
			n = 1;
		}
		i += n;
	}
	*ret_valid = false;
	return copy;
}

static bool str_eq(const struct pb_profile *p, uint32_t idx, const void *key)
{
	return strcmp(p->strs[idx], key) == 0;
}

/* Interns s (NULL = "") and writes its string-table index to *ret_idx. */
static int intern_str(struct pb_profile *p, const char *s, uint32_t *ret_idx)
{
	struct itab_slot *slot;
	char *fixed = NULL, *copy = NULL;
	bool valid = true;
	uint32_t h;
	int err = 0;

	if (!s || !*s) {
		*ret_idx = 0;
		return 0;
	}
	fixed = utf8_sanitize(s, &valid, &err);
	if (err)
		return err;
	if (!valid)
		s = fixed;
	err = itab__reserve(&p->str_tab);
	if (err)
		goto out_free_fixed;
	h = hash_fold(hash_bytes(0xcbf29ce484222325ULL, s, strlen(s)));
	slot = itab__probe(&p->str_tab, h, str_eq, p, s);
	if (slot->idx1) {
		*ret_idx = slot->idx1 - 1;
		goto out_free_fixed;
	}
	err = GROW(p->strs, p->n_strs, p->cap_strs, 1);
	if (err)
		goto out_free_fixed;
	copy = fixed ? fixed : strdup(s);
	if (!copy) {
		err = -ENOMEM;
		goto out_free_fixed;
	}
	fixed = NULL;
	p->strs[p->n_strs] = copy;
	itab__set(&p->str_tab, slot, (uint32_t)p->n_strs, h);
	*ret_idx = (uint32_t)p->n_strs++;
out_free_fixed:
	free(fixed);
	return err;
}

/* ---- lifecycle ------------------------------------------------------------- */

static void pb_message__free(struct pb_message *m)
{
	if (!m)
		return;
	free(m->vts);
	free(m->vt_ptrs);
	free(m->maps);
	free(m->map_ptrs);
	free(m->funcs);
	free(m->func_ptrs);
	free(m->locs);
	free(m->loc_ptrs);
	free(m->lines);
	free(m->line_ptrs);
	free(m->samples);
	free(m->sample_ptrs);
	free(m->labels);
	free(m->label_ptrs);
	free(m);
}

void pb_profile__free(struct pb_profile *p)
{
	if (!p)
		return;
	pb_message__free(p->out);
	for (size_t i = 1; i < p->n_strs; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->str_tab.slots);
	free(p->sample_types);
	free(p->maps);
	free(p->map_tab.slots);
	free(p->funcs);
	free(p->func_tab.slots);
	free(p->locs);
	free(p->loc_tab.slots);
	free(p->lines);
	free(p->samples);
	free(p->sample_tab.slots);
	free(p->loc_ids);
	free(p->values);
	free(p->labels);
	free(p->scratch);
	free(p->comments);
	free(p);
}

/* string_table[0] is "" and not heap-allocated. */
static char empty_string[] = "";

struct pb_profile *pb_profile__new(const struct pb_profile_opts *opts)
{
	struct pb_profile *p;
	uint32_t def = 0;
	bool def_found = false;
	int err;

	if (!opts || !opts->n_sample_types || !opts->sample_types) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < opts->n_sample_types; i++) {
		if (!opts->sample_types[i].type || !*opts->sample_types[i].type) {
			errno = EINVAL;
			return NULL;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	err = GROW(p->strs, p->n_strs, p->cap_strs, 1);
	if (err)
		goto out_free;
	p->strs[p->n_strs++] = empty_string;
	p->n_sample_types = opts->n_sample_types;
	p->sample_types = calloc(2 * opts->n_sample_types, sizeof(*p->sample_types));
	if (!p->sample_types) {
		err = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < opts->n_sample_types; i++) {
		err = intern_str(p, opts->sample_types[i].type, &p->sample_types[2 * i]);
		if (err)
			goto out_free;
		err = intern_str(p, opts->sample_types[i].unit, &p->sample_types[2 * i + 1]);
		if (err)
			goto out_free;
		if (opts->default_sample_type &&
		    strcmp(opts->default_sample_type, opts->sample_types[i].type) == 0) {
			def = p->sample_types[2 * i];
			def_found = true;
		}
	}
	if (opts->default_sample_type && !def_found) {
		err = -EINVAL;
		goto out_free;
	}
	p->default_sample_type = def;
	if (opts->period_type.type || opts->period_type.unit) {
		p->has_period_type = true;
		err = intern_str(p, opts->period_type.type, &p->period_type);
		if (err)
			goto out_free;
		err = intern_str(p, opts->period_type.unit, &p->period_unit);
		if (err)
			goto out_free;
	}
	p->period = opts->period;
	p->time_nanos = opts->time_nanos;
	p->duration_nanos = opts->duration_nanos;
	return p;

out_free:
	pb_profile__free(p);
	errno = -err;
	return NULL;
}

/* ---- mappings -------------------------------------------------------------- */

static uint32_t mapping_hash(const struct mapping_ent *m)
{
	uint64_t h = 0x6d617070ULL;

	h = hash_mix(h, m->start);
	h = hash_mix(h, m->limit);
	h = hash_mix(h, m->offset);
	h = hash_mix(h, m->filename);
	h = hash_mix(h, m->build_id);
	return hash_fold(h);
}

static bool mapping_eq(const struct pb_profile *p, uint32_t idx, const void *key)
{
	const struct mapping_ent *a = &p->maps[idx], *b = key;

	return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
	       a->filename == b->filename && a->build_id == b->build_id;
}

uint64_t pb_profile__add_mapping(struct pb_profile *p, uint64_t start, uint64_t limit,
				 uint64_t offset, const char *filename, const char *build_id)
{
	struct mapping_ent key = { .start = start, .limit = limit, .offset = offset };
	struct itab_slot *slot;
	uint32_t h;
	int err;

	if (!p || p->finished) {
		errno = EINVAL;
		return 0;
	}
	err = intern_str(p, filename, &key.filename);
	if (err)
		goto out_err;
	err = intern_str(p, build_id, &key.build_id);
	if (err)
		goto out_err;
	err = itab__reserve(&p->map_tab);
	if (err)
		goto out_err;
	h = mapping_hash(&key);
	slot = itab__probe(&p->map_tab, h, mapping_eq, p, &key);
	if (slot->idx1)
		return slot->idx1;
	err = GROW(p->maps, p->n_maps, p->cap_maps, 1);
	if (err)
		goto out_err;
	p->maps[p->n_maps] = key;
	itab__set(&p->map_tab, slot, (uint32_t)p->n_maps, h);
	return ++p->n_maps;

out_err:
	errno = -err;
	return 0;
}

/* ---- functions and locations ----------------------------------------------- */

static uint32_t function_hash(const struct function_ent *f)
{
	uint64_t h = 0x66756e63ULL;

	h = hash_mix(h, f->name);
	h = hash_mix(h, f->system_name);
	h = hash_mix(h, f->filename);
	h = hash_mix(h, (uint64_t)f->start_line);
	return hash_fold(h);
}

static bool function_eq(const struct pb_profile *p, uint32_t idx, const void *key)
{
	const struct function_ent *a = &p->funcs[idx], *b = key;

	return a->name == b->name && a->system_name == b->system_name &&
	       a->filename == b->filename && a->start_line == b->start_line &&
	       a->func_start == b->func_start;
}

static int intern_function(struct pb_profile *p, const struct pb_line *ln, uint64_t *ret_id)
{
	struct function_ent key = { .start_line = ln->start_line, .func_start = ln->func_start };
	struct itab_slot *slot;
	uint32_t h;
	int err;

	err = intern_str(p, ln->name, &key.name);
	if (err)
		return err;
	err = intern_str(p, ln->system_name, &key.system_name);
	if (err)
		return err;
	err = intern_str(p, ln->filename, &key.filename);
	if (err)
		return err;
	err = itab__reserve(&p->func_tab);
	if (err)
		return err;
	h = function_hash(&key);
	slot = itab__probe(&p->func_tab, h, function_eq, p, &key);
	if (slot->idx1) {
		*ret_id = slot->idx1;
		return 0;
	}
	err = GROW(p->funcs, p->n_funcs, p->cap_funcs, 1);
	if (err)
		return err;
	p->funcs[p->n_funcs] = key;
	itab__set(&p->func_tab, slot, (uint32_t)p->n_funcs, h);
	*ret_id = ++p->n_funcs;
	return 0;
}

/* Lookup key of a location; lines are only part of it at address 0. */
struct location_key {
	uint64_t mapping_id, address;
	const struct line_ent *lines;
	size_t nlines;
};

static uint32_t location_hash(const struct location_key *k)
{
	uint64_t h = 0x6c6f6361ULL;

	h = hash_mix(h, k->mapping_id);
	h = hash_mix(h, k->address);
	if (!k->address) {
		for (size_t i = 0; i < k->nlines; i++) {
			h = hash_mix(h, k->lines[i].function_id);
			h = hash_mix(h, (uint64_t)k->lines[i].line);
		}
	}
	return hash_fold(h);
}

static bool location_eq(const struct pb_profile *p, uint32_t idx, const void *key)
{
	const struct location_ent *a = &p->locs[idx];
	const struct location_key *b = key;

	if (a->mapping_id != b->mapping_id || a->address != b->address)
		return false;
	if (b->address)
		return true;
	if (a->nlines != b->nlines)
		return false;
	for (size_t i = 0; i < b->nlines; i++) {
		const struct line_ent *la = &p->lines[a->line_off + i];

		if (la->function_id != b->lines[i].function_id || la->line != b->lines[i].line)
			return false;
	}
	return true;
}

uint64_t pb_profile__add_location(struct pb_profile *p, uint64_t mapping_id, uint64_t address,
				  const struct pb_line *lines, size_t nlines)
{
	struct location_key key = { .mapping_id = mapping_id, .address = address };
	struct itab_slot *slot = NULL;
	size_t line_off;
	uint32_t h = 0;
	int err;

	if (!p || p->finished || mapping_id > p->n_maps || (nlines && !lines)) {
		errno = EINVAL;
		return 0;
	}
	err = itab__reserve(&p->loc_tab);
	if (err)
		goto out_err;
	if (address) {
		/* Known addresses skip function interning entirely: the hot path. */
		h = location_hash(&key);
		slot = itab__probe(&p->loc_tab, h, location_eq, p, &key);
		if (slot->idx1)
			return slot->idx1;
	}
	/* Lines are appended to the pool first and dropped again if the location
	 * turns out to exist (address 0) or an allocation fails. */
	err = GROW(p->lines, p->n_lines, p->cap_lines, nlines);
	if (err)
		goto out_err;
	line_off = p->n_lines;
	for (size_t i = 0; i < nlines; i++) {
		err = intern_function(p, &lines[i], &p->lines[line_off + i].function_id);
		if (err)
			goto out_err;
		p->lines[line_off + i].line = lines[i].line;
	}
	if (!address) {
		key.lines = nlines ? &p->lines[line_off] : NULL;	/* no lines: p->lines may be NULL */
		key.nlines = nlines;
		h = location_hash(&key);
		slot = itab__probe(&p->loc_tab, h, location_eq, p, &key);
		if (slot->idx1)
			return slot->idx1;
	}
	err = GROW(p->locs, p->n_locs, p->cap_locs, 1);
	if (err)
		goto out_err;
	p->locs[p->n_locs] = (struct location_ent){
		.mapping_id = mapping_id, .address = address,
		.line_off = line_off, .nlines = nlines,
	};
	p->n_lines += nlines;
	itab__set(&p->loc_tab, slot, (uint32_t)p->n_locs, h);
	return ++p->n_locs;

out_err:
	errno = -err;
	return 0;
}

/* ---- samples --------------------------------------------------------------- */

struct sample_key {
	const uint64_t *locs;
	size_t nlocs;
	const struct label_ent *labels;
	size_t nlabels;
};

static uint32_t sample_hash(const struct sample_key *k)
{
	uint64_t h = 0x73616d70ULL;

	for (size_t i = 0; i < k->nlocs; i++)
		h = hash_mix(h, k->locs[i]);
	h = hash_mix(h, k->nlocs);
	for (size_t i = 0; i < k->nlabels; i++) {
		h = hash_mix(h, k->labels[i].key);
		h = hash_mix(h, k->labels[i].str);
		h = hash_mix(h, k->labels[i].unit);
		h = hash_mix(h, (uint64_t)k->labels[i].num);
	}
	return hash_fold(h);
}

static bool sample_eq(const struct pb_profile *p, uint32_t idx, const void *key)
{
	const struct sample_ent *a = &p->samples[idx];
	const struct sample_key *b = key;

	if (a->nlocs != b->nlocs || a->nlabels != b->nlabels)
		return false;
	if (b->nlocs && memcmp(&p->loc_ids[a->loc_off], b->locs, b->nlocs * sizeof(*b->locs)))
		return false;
	for (size_t i = 0; i < b->nlabels; i++) {
		const struct label_ent *la = &p->labels[a->label_off + i], *lb = &b->labels[i];

		if (la->key != lb->key || la->str != lb->str || la->unit != lb->unit ||
		    la->num != lb->num)
			return false;
	}
	return true;
}

static int label_cmp(const struct label_ent *a, const struct label_ent *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->str != b->str)
		return a->str < b->str ? -1 : 1;
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	if (a->unit != b->unit)
		return a->unit < b->unit ? -1 : 1;
	return 0;
}

int pb_profile__add_sample(struct pb_profile *p, const uint64_t *location_ids, size_t n,
			   const int64_t *values, const struct pb_label *labels, size_t nlabels)
{
	struct sample_key key = { .locs = location_ids, .nlocs = n, .nlabels = nlabels };
	struct itab_slot *slot;
	struct sample_ent *s;
	uint32_t h;
	int err;

	if (!p || p->finished || !values || (n && !location_ids) || (nlabels && !labels))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!location_ids[i] || location_ids[i] > p->n_locs)
			return -EINVAL;
	}
	err = grow((void **)&p->scratch, &p->cap_scratch, 0, nlabels, sizeof(*p->scratch));
	if (err)
		return err;
	for (size_t i = 0; i < nlabels; i++) {
		struct label_ent *le = &p->scratch[i];

		if (!labels[i].key || !*labels[i].key)
			return -EINVAL;
		*le = (struct label_ent){ 0 };
		err = intern_str(p, labels[i].key, &le->key);
		if (err)
			return err;
		if (labels[i].str) {
			err = intern_str(p, labels[i].str, &le->str);
		} else {
			le->num = labels[i].num;
			err = intern_str(p, labels[i].num_unit, &le->unit);
		}
		if (err)
			return err;
		/* Insertion sort: a handful of labels per sample. */
		for (size_t j = i; j > 0 && label_cmp(&p->scratch[j], &p->scratch[j - 1]) < 0; j--) {
			struct label_ent tmp = p->scratch[j];

			p->scratch[j] = p->scratch[j - 1];
			p->scratch[j - 1] = tmp;
		}
	}
	key.labels = p->scratch;
	err = itab__reserve(&p->sample_tab);
	if (err)
		return err;
	h = sample_hash(&key);
	slot = itab__probe(&p->sample_tab, h, sample_eq, p, &key);
	if (slot->idx1) {
		int64_t *v = &p->values[p->samples[slot->idx1 - 1].val_off];

		int64_t sum;

		/* A sum past 64 bits would wrap and the stack vanish or turn
		 * negative: refuse it, leaving the sample as it was. */
		for (size_t i = 0; i < p->n_sample_types; i++)
			if (__builtin_add_overflow(v[i], values[i], &sum))
				return -EOVERFLOW;
		for (size_t i = 0; i < p->n_sample_types; i++)
			v[i] += values[i];
		return 0;
	}
	err = GROW(p->samples, p->n_samples, p->cap_samples, 1);
	if (!err)
		err = GROW(p->loc_ids, p->n_loc_ids, p->cap_loc_ids, n);
	if (!err)
		err = GROW(p->values, p->n_values, p->cap_values, p->n_sample_types);
	if (!err)
		err = GROW(p->labels, p->n_labels, p->cap_labels, nlabels);
	if (err)
		return err;
	s = &p->samples[p->n_samples];
	s->loc_off = p->n_loc_ids;
	s->nlocs = n;
	s->val_off = p->n_values;
	s->label_off = p->n_labels;
	s->nlabels = nlabels;
	if (n)
		memcpy(&p->loc_ids[p->n_loc_ids], location_ids, n * sizeof(*location_ids));
	memcpy(&p->values[p->n_values], values, p->n_sample_types * sizeof(*values));
	if (nlabels)
		memcpy(&p->labels[p->n_labels], p->scratch, nlabels * sizeof(*p->scratch));
	p->n_loc_ids += n;
	p->n_values += p->n_sample_types;
	p->n_labels += nlabels;
	itab__set(&p->sample_tab, slot, (uint32_t)p->n_samples, h);
	p->n_samples++;
	return 0;
}

int pb_profile__add_comment(struct pb_profile *p, const char *comment)
{
	uint32_t idx;
	int err;

	if (!p || p->finished || !comment)
		return -EINVAL;
	err = GROW(p->comments, p->n_comments, p->cap_comments, 1);
	if (err)
		return err;
	err = intern_str(p, comment, &idx);
	if (err)
		return err;
	p->comments[p->n_comments++] = idx;
	return 0;
}

/* ---- finish ---------------------------------------------------------------- */

/* Allocates n structs of `size` and n pointers to them, each message initialised
 * from init. n == 0 leaves both NULL. */
static int alloc_msgs(void **ret_arr, void ***ret_ptrs, size_t n, size_t size, const void *init)
{
	char *arr;
	void **ptrs;

	if (!n)
		return 0;
	arr = calloc(n, size);
	if (!arr)
		return -ENOMEM;
	ptrs = calloc(n, sizeof(*ptrs));
	if (!ptrs) {
		free(arr);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(arr + i * size, init, size);
		ptrs[i] = arr + i * size;
	}
	*ret_arr = arr;
	*ret_ptrs = ptrs;
	return 0;
}

#define ALLOC_MSGS(arr, ptrs, n, INIT) ({					\
	const __typeof__(*(arr)) init__ = INIT;					\
	alloc_msgs((void **)&(arr), (void ***)&(ptrs), (n), sizeof(*(arr)), &init__); \
})

/* Sets each mapping's has_* flags from the locations that use it. */
static int set_mapping_flags(const struct pb_profile *p, Perftools__Profiles__Mapping *maps)
{
	bool *used;

	if (!p->n_maps)
		return 0;
	used = calloc(p->n_maps, sizeof(*used));
	if (!used)
		return -ENOMEM;
	/* Start from "all true"; any location that falls short clears a flag. */
	for (size_t i = 0; i < p->n_maps; i++) {
		maps[i].has_functions = 1;
		maps[i].has_filenames = 1;
		maps[i].has_line_numbers = 1;
		maps[i].has_inline_frames = 0;
	}
	for (size_t i = 0; i < p->n_locs; i++) {
		const struct location_ent *l = &p->locs[i];
		Perftools__Profiles__Mapping *m;

		if (!l->mapping_id)
			continue;
		m = &maps[l->mapping_id - 1];
		used[l->mapping_id - 1] = true;
		if (!l->nlines) {
			m->has_functions = m->has_filenames = m->has_line_numbers = 0;
			continue;
		}
		if (l->nlines > 1)
			m->has_inline_frames = 1;
		for (size_t j = 0; j < l->nlines; j++) {
			const struct line_ent *ln = &p->lines[l->line_off + j];

			if (p->funcs[ln->function_id - 1].func_start) /* not a symbol */
				m->has_functions = m->has_filenames = m->has_line_numbers = 0;
			if (!p->funcs[ln->function_id - 1].filename)
				m->has_filenames = 0;
			if (ln->line <= 0)
				m->has_line_numbers = 0;
		}
	}
	/* A mapping without locations claims nothing. */
	for (size_t i = 0; i < p->n_maps; i++) {
		if (!used[i])
			maps[i].has_functions = maps[i].has_filenames = maps[i].has_line_numbers = 0;
	}
	free(used);
	return 0;
}

static int build_message(struct pb_profile *p, struct pb_message *m)
{
	Perftools__Profiles__Profile *msg = &m->msg;
	int err;

	*msg = (Perftools__Profiles__Profile)PERFTOOLS__PROFILES__PROFILE__INIT;

	err = ALLOC_MSGS(m->vts, m->vt_ptrs, p->n_sample_types,
			 (Perftools__Profiles__ValueType)PERFTOOLS__PROFILES__VALUE_TYPE__INIT);
	if (err)
		return err;
	for (size_t i = 0; i < p->n_sample_types; i++) {
		m->vts[i].type = p->sample_types[2 * i];
		m->vts[i].unit = p->sample_types[2 * i + 1];
	}
	msg->n_sample_type = p->n_sample_types;
	msg->sample_type = m->vt_ptrs;

	err = ALLOC_MSGS(m->maps, m->map_ptrs, p->n_maps,
			 (Perftools__Profiles__Mapping)PERFTOOLS__PROFILES__MAPPING__INIT);
	if (err)
		return err;
	for (size_t i = 0; i < p->n_maps; i++) {
		m->maps[i].id = i + 1;
		m->maps[i].memory_start = p->maps[i].start;
		m->maps[i].memory_limit = p->maps[i].limit;
		m->maps[i].file_offset = p->maps[i].offset;
		m->maps[i].filename = p->maps[i].filename;
		m->maps[i].build_id = p->maps[i].build_id;
	}
	err = set_mapping_flags(p, m->maps);
	if (err)
		return err;
	msg->n_mapping = p->n_maps;
	msg->mapping = m->map_ptrs;

	err = ALLOC_MSGS(m->funcs, m->func_ptrs, p->n_funcs,
			 (Perftools__Profiles__Function)PERFTOOLS__PROFILES__FUNCTION__INIT);
	if (err)
		return err;
	for (size_t i = 0; i < p->n_funcs; i++) {
		m->funcs[i].id = i + 1;
		m->funcs[i].name = p->funcs[i].name;
		m->funcs[i].system_name = p->funcs[i].system_name;
		m->funcs[i].filename = p->funcs[i].filename;
		m->funcs[i].start_line = p->funcs[i].start_line;
	}
	msg->n_function = p->n_funcs;
	msg->function = m->func_ptrs;

	err = ALLOC_MSGS(m->lines, m->line_ptrs, p->n_lines,
			 (Perftools__Profiles__Line)PERFTOOLS__PROFILES__LINE__INIT);
	if (err)
		return err;
	for (size_t i = 0; i < p->n_lines; i++) {
		m->lines[i].function_id = p->lines[i].function_id;
		m->lines[i].line = p->lines[i].line;
	}
	err = ALLOC_MSGS(m->locs, m->loc_ptrs, p->n_locs,
			 (Perftools__Profiles__Location)PERFTOOLS__PROFILES__LOCATION__INIT);
	if (err)
		return err;
	for (size_t i = 0; i < p->n_locs; i++) {
		m->locs[i].id = i + 1;
		m->locs[i].mapping_id = p->locs[i].mapping_id;
		m->locs[i].address = p->locs[i].address;
		m->locs[i].n_line = p->locs[i].nlines;
		m->locs[i].line = p->locs[i].nlines ? &m->line_ptrs[p->locs[i].line_off] : NULL;
	}
	msg->n_location = p->n_locs;
	msg->location = m->loc_ptrs;

	err = ALLOC_MSGS(m->labels, m->label_ptrs, p->n_labels,
			 (Perftools__Profiles__Label)PERFTOOLS__PROFILES__LABEL__INIT);
	if (err)
		return err;
	for (size_t i = 0; i < p->n_labels; i++) {
		m->labels[i].key = p->labels[i].key;
		m->labels[i].str = p->labels[i].str;
		m->labels[i].num = p->labels[i].num;
		m->labels[i].num_unit = p->labels[i].unit;
	}
	err = ALLOC_MSGS(m->samples, m->sample_ptrs, p->n_samples,
			 (Perftools__Profiles__Sample)PERFTOOLS__PROFILES__SAMPLE__INIT);
	if (err)
		return err;
	for (size_t i = 0; i < p->n_samples; i++) {
		const struct sample_ent *s = &p->samples[i];

		m->samples[i].n_location_id = s->nlocs;
		m->samples[i].location_id = s->nlocs ? &p->loc_ids[s->loc_off] : NULL;
		m->samples[i].n_value = p->n_sample_types;
		m->samples[i].value = &p->values[s->val_off];
		m->samples[i].n_label = s->nlabels;
		m->samples[i].label = s->nlabels ? &m->label_ptrs[s->label_off] : NULL;
	}
	msg->n_sample = p->n_samples;
	msg->sample = m->sample_ptrs;

	msg->n_string_table = p->n_strs;
	msg->string_table = p->strs;
	msg->time_nanos = p->time_nanos;
	msg->duration_nanos = p->duration_nanos;
	if (p->has_period_type) {
		m->period_type = (Perftools__Profiles__ValueType)PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
		m->period_type.type = p->period_type;
		m->period_type.unit = p->period_unit;
		msg->period_type = &m->period_type;
	}
	msg->period = p->period;
	msg->n_comment = p->n_comments;
	msg->comment = p->comments;
	msg->default_sample_type = p->default_sample_type;
	return 0;
}

const Perftools__Profiles__Profile *pb_profile__finish(struct pb_profile *p)
{
	struct pb_message *m;
	int err;

	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	if (p->out)
		return &p->out->msg;
	m = calloc(1, sizeof(*m));
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	err = build_message(p, m);
	if (err) {
		pb_message__free(m);
		errno = -err;
		return NULL;
	}
	p->out = m;
	p->finished = true;
	return &m->msg;
}
