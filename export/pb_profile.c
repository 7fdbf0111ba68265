// SPDX-License-Identifier: MIT
/* pb_profile: interning pprof builder. Entries live in growable arrays (ids are
 * index+1); base/hashmap indexes of {index+1, hash} find them by key. Lines,
 * sample location lists, values and labels live in shared pools addressed by
 * offset, so growing a pool never invalidates an entry. pb_profile__finish()
 * builds the protobuf-c message pointing into these pools; nothing may be added
 * afterwards, so the pointers stay valid until pb_profile__free(). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "export/pb_profile.h"
#include "export/pb_profile_intern.h"

/* ---- hashing --------------------------------------------------------------- */

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	return h;
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
	return hash__fold(h);
}

static bool mapping_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct pb_profile *p = ctx;
	const struct mapping_ent *a = &p->maps[idx], *b = key;

	return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
	       a->filename == b->filename && a->build_id == b->build_id;
}

uint64_t pb_profile__add_mapping(struct pb_profile *p, uint64_t start, uint64_t limit,
				 uint64_t offset, const char *filename, const char *build_id)
{
	struct mapping_ent key = { .start = start, .limit = limit, .offset = offset };
	uint32_t idx;
	uint32_t h;
	int err;

	if (!p || p->finished) {
		errno = EINVAL;
		return 0;
	}
	err = pb_profile_intern__str(p, filename, &key.filename);
	if (err)
		goto out_err;
	err = pb_profile_intern__str(p, build_id, &key.build_id);
	if (err)
		goto out_err;
	err = hashmap__reserve(&p->map_tab, 1);
	if (err)
		goto out_err;
	h = mapping_hash(&key);
	if (hashmap__find(&p->map_tab, h, &key, &idx))
		return idx + 1;
	err = VEC_RESERVE(p->maps, p->n_maps, p->cap_maps, 1);
	if (err)
		goto out_err;
	p->maps[p->n_maps] = key;
	hashmap__add(&p->map_tab, h, (uint32_t)p->n_maps);
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
	return hash__fold(h);
}

static bool function_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct pb_profile *p = ctx;
	const struct function_ent *a = &p->funcs[idx], *b = key;

	return a->name == b->name && a->system_name == b->system_name &&
	       a->filename == b->filename && a->start_line == b->start_line &&
	       a->func_start == b->func_start;
}

static int intern_function(struct pb_profile *p, const struct pb_line *ln, uint64_t *ret_id)
{
	struct function_ent key = { .start_line = ln->start_line, .func_start = ln->func_start };
	uint32_t idx;
	uint32_t h;
	int err;

	err = pb_profile_intern__str(p, ln->name, &key.name);
	if (err)
		return err;
	err = pb_profile_intern__str(p, ln->system_name, &key.system_name);
	if (err)
		return err;
	err = pb_profile_intern__str(p, ln->filename, &key.filename);
	if (err)
		return err;
	err = hashmap__reserve(&p->func_tab, 1);
	if (err)
		return err;
	h = function_hash(&key);
	if (hashmap__find(&p->func_tab, h, &key, &idx)) {
		*ret_id = idx + 1;
		return 0;
	}
	err = VEC_RESERVE(p->funcs, p->n_funcs, p->cap_funcs, 1);
	if (err)
		return err;
	p->funcs[p->n_funcs] = key;
	hashmap__add(&p->func_tab, h, (uint32_t)p->n_funcs);
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
	return hash__fold(h);
}

static bool location_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct pb_profile *p = ctx;
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
	uint32_t idx;
	size_t line_off;
	uint32_t h = 0;
	int err;

	if (!p || p->finished || mapping_id > p->n_maps || (nlines && !lines)) {
		errno = EINVAL;
		return 0;
	}
	err = hashmap__reserve(&p->loc_tab, 1);
	if (err)
		goto out_err;
	if (address) {
		/* Known addresses skip function interning entirely: the hot path. */
		h = location_hash(&key);
		if (hashmap__find(&p->loc_tab, h, &key, &idx))
			return idx + 1;
	}
	/* Lines are appended to the pool first and dropped again if the location
	 * turns out to exist (address 0) or an allocation fails. */
	err = VEC_RESERVE(p->lines, p->n_lines, p->cap_lines, nlines);
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
		if (hashmap__find(&p->loc_tab, h, &key, &idx))
			return idx + 1;
	}
	err = VEC_RESERVE(p->locs, p->n_locs, p->cap_locs, 1);
	if (err)
		goto out_err;
	p->locs[p->n_locs] = (struct location_ent){
		.mapping_id = mapping_id, .address = address,
		.line_off = line_off, .nlines = nlines,
	};
	p->n_lines += nlines;
	hashmap__add(&p->loc_tab, h, (uint32_t)p->n_locs);
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
	return hash__fold(h);
}

static bool sample_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct pb_profile *p = ctx;
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
	uint32_t idx;
	struct sample_ent *s;
	uint32_t h;
	int err;

	if (!p || p->finished || !values || (n && !location_ids) || (nlabels && !labels))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!location_ids[i] || location_ids[i] > p->n_locs)
			return -EINVAL;
	}
	err = VEC_RESERVE(p->scratch, 0, p->cap_scratch, nlabels);
	if (err)
		return err;
	for (size_t i = 0; i < nlabels; i++) {
		struct label_ent *le = &p->scratch[i];

		if (!labels[i].key || !*labels[i].key)
			return -EINVAL;
		*le = (struct label_ent){ 0 };
		err = pb_profile_intern__str(p, labels[i].key, &le->key);
		if (err)
			return err;
		if (labels[i].str) {
			err = pb_profile_intern__str(p, labels[i].str, &le->str);
		} else {
			le->num = labels[i].num;
			err = pb_profile_intern__str(p, labels[i].num_unit, &le->unit);
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
	err = hashmap__reserve(&p->sample_tab, 1);
	if (err)
		return err;
	h = sample_hash(&key);
	if (hashmap__find(&p->sample_tab, h, &key, &idx)) {
		int64_t *v = &p->values[p->samples[idx].val_off];

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
	err = VEC_RESERVE(p->samples, p->n_samples, p->cap_samples, 1);
	if (!err)
		err = VEC_RESERVE(p->loc_ids, p->n_loc_ids, p->cap_loc_ids, n);
	if (!err)
		err = VEC_RESERVE(p->values, p->n_values, p->cap_values, p->n_sample_types);
	if (!err)
		err = VEC_RESERVE(p->labels, p->n_labels, p->cap_labels, nlabels);
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
	hashmap__add(&p->sample_tab, h, (uint32_t)p->n_samples);
	p->n_samples++;
	return 0;
}

int pb_profile__add_comment(struct pb_profile *p, const char *comment)
{
	uint32_t idx;
	int err;

	if (!p || p->finished || !comment)
		return -EINVAL;
	err = VEC_RESERVE(p->comments, p->n_comments, p->cap_comments, 1);
	if (err)
		return err;
	err = pb_profile_intern__str(p, comment, &idx);
	if (err)
		return err;
	p->comments[p->n_comments++] = idx;
	return 0;
}

/* ---- lifecycle ------------------------------------------------------------- */

void pb_profile__free(struct pb_profile *p)
{
	if (!p)
		return;
	pb_profile_intern__free_message(p->out);
	for (size_t i = 1; i < p->n_strs; i++)
		free(p->strs[i]);
	free(p->strs);
	hashmap__release(&p->str_tab);
	free(p->sample_types);
	free(p->maps);
	hashmap__release(&p->map_tab);
	free(p->funcs);
	hashmap__release(&p->func_tab);
	free(p->locs);
	hashmap__release(&p->loc_tab);
	free(p->lines);
	free(p->samples);
	hashmap__release(&p->sample_tab);
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
	pb_profile_intern__init(p);
	hashmap__init(&p->map_tab, mapping_eq, p);
	hashmap__init(&p->func_tab, function_eq, p);
	hashmap__init(&p->loc_tab, location_eq, p);
	hashmap__init(&p->sample_tab, sample_eq, p);
	err = VEC_RESERVE(p->strs, p->n_strs, p->cap_strs, 1);
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
		err = pb_profile_intern__str(p, opts->sample_types[i].type, &p->sample_types[2 * i]);
		if (err)
			goto out_free;
		err = pb_profile_intern__str(p, opts->sample_types[i].unit, &p->sample_types[2 * i + 1]);
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
		err = pb_profile_intern__str(p, opts->period_type.type, &p->period_type);
		if (err)
			goto out_free;
		err = pb_profile_intern__str(p, opts->period_type.unit, &p->period_unit);
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

