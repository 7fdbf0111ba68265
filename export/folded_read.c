// SPDX-License-Identifier: MIT
/* folded_read: folded text -> pb_profile. One pass over the buffer, one line
 * at a time; the builder interns functions, locations and identical stacks, so
 * this file keeps no tables of its own beyond two lazily created mappings.
 * Names go to the builder as they are (it and the renderers sanitize). */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "export/folded_read.h"

#define LOOKS_LIKE_SCAN 4096

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Parses the count at the end of line [s, e): returns true and sets *ret_count
 * and *ret_stack_end (end of the stack text, blanks trimmed). */
static bool split_count(const char *s, const char *e, int64_t *ret_count, const char **ret_stack_end)
{
	const char *p;
	int64_t v = 0;

	while (e > s && is_blank(e[-1]))
		e--;
	p = e;
	while (p > s && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == e || p == s || !is_blank(p[-1]) || e - p > 18)
		return false;
	for (const char *q = p; q < e; q++)
		v = v * 10 + (*q - '0');
	while (p > s && is_blank(p[-1]))
		p--;
	*ret_count = v;
	*ret_stack_end = p;
	return true;
}

bool folded_read__looks_like(const uint8_t *buf, size_t len)
{
	size_t scan = len < LOOKS_LIKE_SCAN ? len : LOOKS_LIKE_SCAN, i = 0;
	const char *s = (const char *)buf, *nl, *end;
	const char *stack_end;
	int64_t count;

	for (size_t k = 0; k < scan; k++)
		if ((buf[k] < 0x20 && buf[k] != '\t' && buf[k] != '\r' && buf[k] != '\n') ||
		    buf[k] == 0x7f)
			return false;
	while (i < len) {
		nl = memchr(s + i, '\n', len - i);
		end = nl ? nl : s + len;
		while (s + i < end && is_blank(s[i]))
			i++;
		if (s + i < end && s[i] != '#')
			return split_count(s + i, end, &count, &stack_end);
		i = (size_t)(end - s) + 1;
	}
	return false;
}

struct reader {
	struct pb_profile *b;
	uint64_t kernel_map, jit_map;
	uint64_t *ids;
	size_t nids, ids_cap;
	char *name;		/* scratch copy of one frame */
	size_t name_cap;
	size_t truncated, deepest;	/* lines cut at FOLDED_READ_MAX_FRAMES */
};

static bool parse_hex(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x')
		return false;
	for (size_t i = 2; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*ret = v;
	return true;
}

static uint64_t reader__mapping(struct reader *r, uint64_t *cache, const char *file)
{
	if (!*cache)
		*cache = pb_profile__add_mapping(r->b, 0, 0, 0, file, NULL);
	return *cache;
}

/* Location id for frame text [s, s + n), 0 with errno set on failure. */
static uint64_t reader__location(struct reader *r, const char *s, size_t n)
{
	struct pb_line line = { 0 };
	uint64_t map = 0, addr;
	const char *plus;

	if (VEC_RESERVE(r->name, 0, r->name_cap, n + 1)) {
		errno = ENOMEM;
		return 0;
	}
	memcpy(r->name, s, n);
	r->name[n] = '\0';
	if (parse_hex(s, n, &addr))
		return pb_profile__add_location(r->b, 0, addr, NULL, 0);
	plus = n > 3 ? memmem(s, n, "+0x", 3) : NULL;
	while (plus && memmem(plus + 1, n - (size_t)(plus + 1 - s), "+0x", 3))
		plus = memmem(plus + 1, n - (size_t)(plus + 1 - s), "+0x", 3);
	if (plus && plus > s && !memchr(s, ' ', (size_t)(plus - s)) &&
	    parse_hex(plus + 1, n - (size_t)(plus + 1 - s), &addr)) {
		r->name[plus - s] = '\0';
		map = pb_profile__add_mapping(r->b, 0, 0, 0, r->name, NULL);
		if (!map)
			return 0;
		return pb_profile__add_location(r->b, map, addr, NULL, 0);
	}
	if (n > 4 && r->name[n - 4] == '_' && r->name[n - 3] == '[' && r->name[n - 1] == ']') {
		switch (r->name[n - 2]) {
		case 'k':
			map = reader__mapping(r, &r->kernel_map, "[kernel.kallsyms]");
			break;
		case 'j':
			map = reader__mapping(r, &r->jit_map, "[jit]");
			break;
		case 'i':
			break;
		default:
			goto named;
		}
		if (r->name[n - 2] != 'i' && !map)
			return 0;
		r->name[n - 4] = '\0';
	}
named:
	line.name = r->name;
	return pb_profile__add_location(r->b, map, 0, &line, 1);
}

/* Adds one line's stack [s, e); returns 1 if added, 0 if it had no frames, -errno. */
static int reader__stack(struct reader *r, const char *s, const char *e, int64_t count)
{
	const char *p = s, *semi;
	size_t i, frames = 0;
	char marker[64];
	uint64_t id;

	r->nids = 0;
	while (p < e) {
		semi = memchr(p, ';', (size_t)(e - p));
		if (!semi)
			semi = e;
		if (semi > p && ++frames > FOLDED_READ_MAX_FRAMES) {
			/* Past the bound only count: a 2 KB gzip can hold a line
			 * of a million frames, 8 bytes each here and in the builder. */
		} else if (semi > p) {
			if (VEC_RESERVE(r->ids, r->nids, r->ids_cap, 1))
				return -ENOMEM;
			errno = 0;
			id = reader__location(r, p, (size_t)(semi - p));
			if (!id)
				return errno ? -errno : -ENOMEM;
			if (id > FOLDED_READ_MAX_LOCATIONS)	/* ids are dense: a count */
				return -E2BIG;
			r->ids[r->nids++] = id;
		}
		p = semi + 1;
	}
	if (!r->nids)
		return 0;
	if (frames > r->deepest)
		r->deepest = frames;
	if (frames > FOLDED_READ_MAX_FRAMES) {
		/* The last kept frame gives way to the marker, as in the flame graph. */
		snprintf(marker, sizeof(marker), "[truncated %zu frames]",
			 frames - (FOLDED_READ_MAX_FRAMES - 1));
		errno = 0;
		id = reader__location(r, marker, strlen(marker));
		if (!id)
			return errno ? -errno : -ENOMEM;
		r->ids[r->nids - 1] = id;
		r->truncated++;
	}
	for (i = 0; i < r->nids / 2; i++) {	/* root first -> leaf first */
		id = r->ids[i];
		r->ids[i] = r->ids[r->nids - 1 - i];
		r->ids[r->nids - 1 - i] = id;
	}
	return pb_profile__add_sample(r->b, r->ids, r->nids, &count, NULL, 0) ?: 1;
}

int folded_read__parse(const char *buf, size_t len, struct pb_profile **ret,
		       struct folded_read_stats *stats)
{
	static const struct pb_value_type samples = { .type = "samples", .unit = "count" };
	struct pb_profile_opts opts = {
		.sample_types = &samples, .n_sample_types = 1,
		.period_type = samples, .period = 1,
	};
	struct folded_read_stats st = { 0 };
	struct reader r = { 0 };
	const char *s, *nl, *end, *stack_end;
	size_t i = 0, lineno = 0;
	int64_t count;
	int err = 0;

	if ((!buf && len) || !ret)
		return -EINVAL;
	r.b = pb_profile__new(&opts);
	if (!r.b)
		return errno ? -errno : -ENOMEM;
	while (i < len) {
		s = buf + i;
		nl = memchr(s, '\n', len - i);
		end = nl ? nl : buf + len;
		i = (size_t)(end - buf) + 1;
		lineno++;
		while (s < end && is_blank(*s))
			s++;
		if (s == end || *s == '#')
			continue;
		st.lines++;
		if (!split_count(s, end, &count, &stack_end)) {
			err = 0;
		} else if (!count) {
			continue;	/* valid, but nothing to draw */
		} else {
			err = reader__stack(&r, s, stack_end, count);
			if (err < 0)
				goto out;
		}
		if (err == 1) {
			st.samples++;
		} else {
			if (!st.bad_lines++)
				st.first_bad_line = lineno;
		}
	}
	err = st.samples || st.lines > st.bad_lines ? 0 : -ENODATA;
out:
	free(r.ids);
	free(r.name);
	if (err) {
		pb_profile__free(r.b);
		return err;
	}
	*ret = r.b;
	st.truncated_lines = r.truncated;
	st.deepest = r.deepest;
	if (stats)
		*stats = st;
	return 0;
}
