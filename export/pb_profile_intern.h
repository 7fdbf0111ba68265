/* SPDX-License-Identifier: MIT */
/* pb_profile_intern: the inside of the pprof builder, shared by its parts
 * (pb_profile.c adds, pb_profile_finish.c builds the message) and by nothing
 * else. Entries live in growable arrays (ids are index+1); base/hashmap
 * indexes find them by key. Strings are interned once, as valid UTF-8. */
#ifndef CPROF_EXPORT_PB_PROFILE_INTERN_H
#define CPROF_EXPORT_PB_PROFILE_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hashmap.h"
#include "export/pb_profile.h"

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
	struct hashmap str_tab;

	struct mapping_ent *maps;
	size_t n_maps, cap_maps;
	struct hashmap map_tab;

	struct function_ent *funcs;
	size_t n_funcs, cap_funcs;
	struct hashmap func_tab;

	struct location_ent *locs;
	size_t n_locs, cap_locs;
	struct hashmap loc_tab;
	struct line_ent *lines;
	size_t n_lines, cap_lines;

	struct sample_ent *samples;
	size_t n_samples, cap_samples;
	struct hashmap sample_tab;
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

/* Interns s (NULL = "") into p's string table, with each byte that is not
 * valid UTF-8 replaced by '?', and writes its index to *ret_idx: 0 or -ENOMEM. */
int pb_profile_intern__str(struct pb_profile *p, const char *s, uint32_t *ret_idx)
	__attribute__((warn_unused_result));

/* Sets up the empty string table index of a zeroed p. */
void pb_profile_intern__init(struct pb_profile *p);

/* Frees a message built by pb_profile__finish() (NULL: no-op). */
void pb_profile_intern__free_message(struct pb_message *m);

#endif /* CPROF_EXPORT_PB_PROFILE_INTERN_H */
