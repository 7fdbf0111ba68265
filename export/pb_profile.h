/* SPDX-License-Identifier: MIT */
/* pb_profile: builds one pprof Profile message (protobuf-c struct) with hash-based
 * interning of strings, mappings, functions, locations and samples, so a window
 * with 100k locations costs O(1) per add. Ids handed out are dense (index+1), as
 * Go's runtime and Parca expect. Library code: returns errors, never prints, and
 * depends only on proto/ (never on profiler/ or symbolize/ headers). */
#ifndef CPROF_EXPORT_PB_PROFILE_H
#define CPROF_EXPORT_PB_PROFILE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/profile.pb-c.h"

struct pb_profile;

struct pb_value_type {
	const char *type, *unit;
};

struct pb_profile_opts {
	const struct pb_value_type *sample_types;	/* at least one */
	size_t n_sample_types;
	struct pb_value_type period_type;		/* type and unit NULL: unset */
	int64_t period;
	int64_t time_nanos, duration_nanos;
	const char *default_sample_type;		/* NULL: unset; else one of sample_types[].type */
};

/* One (possibly inlined) frame. filename NULL = unknown; NULL name or
 * system_name is stored as "" (unset). */
struct pb_line {
	const char *name, *system_name, *filename;
	int64_t line, start_line;
	bool func_start; /* name is a function start from unwind tables, not a symbol:
			    the mapping's has_functions stays false */
};

/* str NULL => numeric label (num, with num_unit if non-NULL). */
struct pb_label {
	const char *key;
	const char *str;
	int64_t num;
	const char *num_unit;
};

/* Creates an empty profile. opts and its strings are copied; the caller keeps
 * ownership of them. Returns NULL and sets errno (EINVAL: no sample types, a
 * NULL type name, or a default_sample_type that names none of them; ENOMEM). */
struct pb_profile *pb_profile__new(const struct pb_profile_opts *opts)
	__attribute__((warn_unused_result));

/* Frees p, every string it copied and the message pb_profile__finish() returned.
 * NULL is a no-op. */
void pb_profile__free(struct pb_profile *p);

/* Interned on (start, limit, offset, filename, build_id); strings are copied
 * (NULL = ""; invalid UTF-8 bytes become '?'). Returns the mapping id (>0), or 0
 * with errno set (ENOMEM; EINVAL after finish). */
uint64_t pb_profile__add_mapping(struct pb_profile *p, uint64_t start, uint64_t limit,
				 uint64_t offset, const char *filename, const char *build_id);

/* Interned on (mapping_id, address); mapping_id 0 = no mapping. A location at
 * address 0 (a synthetic frame such as "[truncated]") is interned on its lines
 * as well, so distinct synthetic frames stay distinct. lines are innermost first
 * (inline frames, physical caller last); nlines 0 = unsymbolized address. When a
 * (mapping_id, address) is already known its first lines win. Functions are
 * interned on (name, system_name, filename, start_line). Returns the location id
 * (>0), or 0 with errno set (ENOMEM; EINVAL: unknown mapping_id, lines NULL with
 * nlines > 0, or after finish). */
uint64_t pb_profile__add_location(struct pb_profile *p, uint64_t mapping_id, uint64_t address,
				  const struct pb_line *lines, size_t nlines);

/* Adds one sample: location_ids leaf first (each a returned location id),
 * values has n_sample_types entries. Samples with the same location list and
 * the same labels (in any order) are merged, values summed. Labels are kept
 * sorted by interned key. Returns 0, -ENOMEM, -EOVERFLOW (a merged value would
 * pass the int64 range; the sample is left as it was), or -EINVAL (unknown
 * location id, NULL values, a label without key, or after finish). */
int pb_profile__add_sample(struct pb_profile *p, const uint64_t *location_ids, size_t n,
			   const int64_t *values, const struct pb_label *labels, size_t nlabels)
	__attribute__((warn_unused_result));

/* Appends a comment (copied; shown by `go tool pprof -comments`). 0, -ENOMEM, -EINVAL. */
int pb_profile__add_comment(struct pb_profile *p, const char *comment)
	__attribute__((warn_unused_result));

/* Finalises the profile: string_table[0] = "", dense ids (index+1), and each
 * mapping's has_* flags set truthfully over its locations: has_functions iff
 * every location has >= 1 line; has_filenames iff additionally every line's
 * function has a filename; has_line_numbers iff additionally every line has
 * line > 0; has_inline_frames iff some location has > 1 line. All four are false
 * for a mapping with no locations. Returns a message owned by p, valid until
 * pb_profile__free(p); later calls return the same message, and any add after
 * finish fails with EINVAL. NULL with errno ENOMEM (p stays usable; retry). */
const Perftools__Profiles__Profile *pb_profile__finish(struct pb_profile *p);

#endif /* CPROF_EXPORT_PB_PROFILE_H */
