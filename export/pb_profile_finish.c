// SPDX-License-Identifier: MIT
/* pb_profile_finish: turns the builder's pools into the protobuf-c message:
 * one allocation per message type, pointers into the pools (which stop
 * growing at finish), the mapping flags derived from the locations. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "export/pb_profile.h"
#include "export/pb_profile_intern.h"

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
		pb_profile_intern__free_message(m);
		errno = -err;
		return NULL;
	}
	p->out = m;
	p->finished = true;
	return &m->msg;
}
