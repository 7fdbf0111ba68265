// SPDX-License-Identifier: MIT
/* pprof encode/decode. Decoding trusts nothing: gunzip is bounded, protobuf-c
 * parses, then validate() checks every cross-reference go tool pprof checks,
 * so readers (folded, flame graphs) may follow ids without further checks.
 * Must not depend on profiler/ or symbolize/. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/compress.h"
#include "export/pprof.h"

/* ---- encode ---------------------------------------------------------------- */

int pprof__encode_gzip(const Perftools__Profiles__Profile *p, uint8_t **ret_buf, size_t *ret_len)
{
	uint8_t *raw;
	size_t raw_len;
	int err;

	if (!p || !ret_buf || !ret_len)
		return -EINVAL;
	raw_len = perftools__profiles__profile__get_packed_size(p);
	if (raw_len > UINT32_MAX)	/* zlib's avail_in is a uInt */
		return -EFBIG;
	raw = malloc(raw_len ? raw_len : 1);
	if (!raw)
		return -ENOMEM;
	perftools__profiles__profile__pack(p, raw);
	/* gzip framing, which go tool pprof detects by 1f 8b. */
	err = compress__gzip(raw, raw_len, ret_buf, ret_len);
	free(raw);
	return err;
}

/* ---- decode ---------------------------------------------------------------- */

static int read_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *ret)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -EBADMSG;
		v |= (uint64_t)(buf[*pos] & 0x7f) << shift;
		if (!(buf[(*pos)++] & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EBADMSG;
}

/* Location ids of one Sample message (field 1, packed or not), counted on
 * the wire so a bomb is refused before protobuf-c unpacks it (8 bytes per id,
 * from as little as one byte of input). Malformed input is left to protobuf-c. */
static uint64_t sample_location_ids(const uint8_t *buf, size_t len)
{
	size_t pos = 0, end;
	uint64_t tag, v, n = 0;

	while (pos < len) {
		if (read_varint(buf, len, &pos, &tag))
			return n;
		switch (tag & 7) {
		case 0:
			if (read_varint(buf, len, &pos, &v))
				return n;
			n += tag >> 3 == 1;
			break;
		case 2:
			if (read_varint(buf, len, &pos, &v) || v > len - pos)
				return n;
			if (tag >> 3 == 1)	/* packed varints: one byte without 0x80 each */
				for (end = pos + v; pos < end; pos++)
					n += !(buf[pos] & 0x80);
			pos += tag >> 3 == 1 ? 0 : v;
			break;
		case 1:
		case 5:
			if (len - pos < ((tag & 7) == 1 ? 8u : 4u))
				return n;
			pos += (tag & 7) == 1 ? 8 : 4;
			break;
		default:
			return n;
		}
	}
	return n;
}

/* protobuf-c lets a repeated scalar field win silently; go tool pprof rejects
 * a second non-zero time_nanos as two concatenated profiles, and so do we.
 * Also bounds the location ids per sample and in all (-E2BIG). */
static int check_not_concatenated(const uint8_t *buf, size_t len)
{
	uint64_t tag, v, ids, total = 0;
	bool have_time = false;
	size_t pos = 0;

	while (pos < len) {
		if (read_varint(buf, len, &pos, &tag))
			return -EBADMSG;
		switch (tag & 7) {
		case 0:
			if (read_varint(buf, len, &pos, &v))
				return -EBADMSG;
			if (tag >> 3 == 9) {
				if (have_time)
					return -EBADMSG;
				have_time = v != 0;
			}
			break;
		case 1:
			if (len - pos < 8)
				return -EBADMSG;
			pos += 8;
			break;
		case 2:
			if (read_varint(buf, len, &pos, &v) || v > len - pos)
				return -EBADMSG;
			if (tag >> 3 == 2) {	/* Profile.sample */
				ids = sample_location_ids(buf + pos, v);
				total += ids;
				if (ids > PPROF_MAX_SAMPLE_LOCATIONS ||
				    total > PPROF_MAX_LOCATION_IDS)
					return -E2BIG;
			}
			pos += v;
			break;
		case 5:
			if (len - pos < 4)
				return -EBADMSG;
			pos += 4;
			break;
		default:
			return -EBADMSG;
		}
	}
	return 0;
}

/* ---- validation ------------------------------------------------------------ */

static bool str_ok(const Perftools__Profiles__Profile *p, int64_t i)
{
	return i >= 0 && (uint64_t)i < p->n_string_table;
}

static bool value_type_ok(const Perftools__Profiles__Profile *p,
			  const Perftools__Profiles__ValueType *vt)
{
	return !vt || (str_ok(p, vt->type) && str_ok(p, vt->unit));
}

static int validate_strings(const Perftools__Profiles__Profile *p)
{
	if (!p->n_string_table || p->string_table[0][0])
		return -EBADMSG;
	for (size_t i = 0; i < p->n_sample_type; i++) {
		if (!value_type_ok(p, p->sample_type[i]))
			return -EBADMSG;
	}
	if (!value_type_ok(p, p->period_type) || !str_ok(p, p->drop_frames) ||
	    !str_ok(p, p->keep_frames) || !str_ok(p, p->default_sample_type) ||
	    !str_ok(p, p->doc_url))
		return -EBADMSG;
	for (size_t i = 0; i < p->n_comment; i++) {
		if (!str_ok(p, p->comment[i]))
			return -EBADMSG;
	}
	for (size_t i = 0; i < p->n_mapping; i++) {
		if (!str_ok(p, p->mapping[i]->filename) || !str_ok(p, p->mapping[i]->build_id))
			return -EBADMSG;
	}
	for (size_t i = 0; i < p->n_function; i++) {
		const Perftools__Profiles__Function *f = p->function[i];

		if (!str_ok(p, f->name) || !str_ok(p, f->system_name) || !str_ok(p, f->filename))
			return -EBADMSG;
	}
	if (p->default_sample_type && pprof__sample_index(p, NULL) < 0)
		return -EBADMSG;
	return 0;
}

static int validate(const Perftools__Profiles__Profile *p)
{
	struct pprof_index *idx;
	int err;

	err = validate_strings(p);
	if (err)
		return err;
	idx = pprof_index__new(p);
	if (!idx)
		return -errno;
	for (size_t i = 0; i < p->n_location; i++) {
		const Perftools__Profiles__Location *l = p->location[i];

		if (l->mapping_id && !pprof_index__mapping(idx, l->mapping_id))
			goto out_bad;
		for (size_t j = 0; j < l->n_line; j++) {
			uint64_t fid = l->line[j]->function_id;

			if (fid && !pprof_index__function(idx, fid))
				goto out_bad;
		}
	}
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];

		if (s->n_value != p->n_sample_type)
			goto out_bad;
		for (size_t j = 0; j < s->n_location_id; j++) {
			if (!pprof_index__location(idx, s->location_id[j]))
				goto out_bad;
		}
		for (size_t j = 0; j < s->n_label; j++) {
			const Perftools__Profiles__Label *l = s->label[j];

			if (!str_ok(p, l->key) || !str_ok(p, l->str) || !str_ok(p, l->num_unit))
				goto out_bad;
		}
	}
	pprof_index__free(idx);
	return 0;

out_bad:
	pprof_index__free(idx);
	return -EBADMSG;
}

int pprof__decode(const uint8_t *buf, size_t len, Perftools__Profiles__Profile **ret)
{
	Perftools__Profiles__Profile *p;
	uint8_t *plain = NULL;
	int err;

	if ((!buf && len) || !ret)
		return -EINVAL;
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		err = compress__gunzip(buf, len, PPROF_MAX_DECODED_SIZE, &plain, &len);
		if (err)
			return err;
		buf = plain;
	} else if (len > PPROF_MAX_DECODED_SIZE) {
		return -EFBIG;
	}
	err = check_not_concatenated(buf, len);
	if (err)
		goto out_free_plain;
	p = perftools__profiles__profile__unpack(NULL, len, buf);
	if (!p) {
		err = -EBADMSG;
		goto out_free_plain;
	}
	err = validate(p);
	if (err) {
		pprof__free(p);
		goto out_free_plain;
	}
	*ret = p;
out_free_plain:
	free(plain);
	return err;
}

void pprof__free(Perftools__Profiles__Profile *p)
{
	if (p)
		perftools__profiles__profile__free_unpacked(p, NULL);
}

int pprof__retype(const uint8_t *buf, size_t len, const char *type, const char *unit,
		  const char *ptype, const char *punit, uint8_t **ret, size_t *ret_len)
{
	Perftools__Profiles__ValueType period = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	Perftools__Profiles__ValueType *old_period;
	Perftools__Profiles__Profile *p = NULL;
	char **old_st, **st = NULL;
	size_t old_n;
	uint8_t *out;
	int err;

	if (!type || !unit || !ptype != !punit)
		return -EINVAL;
	if ((err = pprof__decode(buf, len, &p)))
		return err;
	err = -EINVAL;
	if (p->n_sample_type != 1)
		goto out_free;
	err = -ENOMEM;
	st = malloc((p->n_string_table + 4) * sizeof(*st));
	if (!st)
		goto out_free;
	/* borrowed for the pack: the decoded profile keeps owning its own */
	old_st = p->string_table;
	old_n = p->n_string_table;
	old_period = p->period_type;
	memcpy(st, old_st, old_n * sizeof(*st));
	p->string_table = st;
	st[p->n_string_table] = (char *)type;
	p->sample_type[0]->type = (int64_t)p->n_string_table++;
	st[p->n_string_table] = (char *)unit;
	p->sample_type[0]->unit = (int64_t)p->n_string_table++;
	p->period_type = NULL;
	if (ptype) {
		st[p->n_string_table] = (char *)ptype;
		period.type = (int64_t)p->n_string_table++;
		st[p->n_string_table] = (char *)punit;
		period.unit = (int64_t)p->n_string_table++;
		p->period_type = &period;
	}
	*ret_len = perftools__profiles__profile__get_packed_size(p);
	out = malloc(*ret_len ? *ret_len : 1);
	if (out) {
		perftools__profiles__profile__pack(p, out);
		*ret = out;
		err = 0;
	}
	p->string_table = old_st;
	p->n_string_table = old_n;
	p->period_type = old_period;
out_free:
	free(st);
	pprof__free(p);
	return err;
}

/* ---- readers' helpers ------------------------------------------------------ */

const char *pprof__str(const Perftools__Profiles__Profile *p, int64_t i)
{
	if (!p || i < 0 || (uint64_t)i >= p->n_string_table)
		return "";
	return p->string_table[i];
}

int pprof__sample_index(const Perftools__Profiles__Profile *p, const char *type)
{
	if (!p || !p->n_sample_type)
		return -ENOENT;
	if (!type) {
		if (!p->default_sample_type)
			return (int)p->n_sample_type - 1;
		type = pprof__str(p, p->default_sample_type);
	}
	for (size_t i = 0; i < p->n_sample_type; i++) {
		if (strcmp(pprof__str(p, p->sample_type[i]->type), type) == 0)
			return (int)i;
	}
	return -ENOENT;
}

size_t pprof__type_names(const Perftools__Profiles__Profile *p, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; p && i < p->n_sample_type && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? " " : "",
			      pprof__str(p, p->sample_type[i]->type));
	return n < len ? n : len - 1;
}

void pprof__unnamed_name(char *buf, size_t len, const char *file, uint64_t memory_start,
			 uint64_t file_offset, uint64_t address)
{
	const char *slash = file ? strrchr(file, '/') : NULL;

	if (slash && slash[1])
		file = slash + 1;
	if (file && *file && address >= memory_start)
		snprintf(buf, len, "%s+0x%" PRIx64, file, address - memory_start + file_offset);
	else
		snprintf(buf, len, "0x%" PRIx64, address);
}
