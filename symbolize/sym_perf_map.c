// SPDX-License-Identifier: MIT
/* sym_perf_map: parse and search perf-PID.map files. Entries are sorted by
 * start (input order breaking ties) and exact duplicates of a start keep only
 * the newest line, the one the JIT wrote last.
 * Depends on base/ (safe_file, vec) only; never prints.
 */
#include "symbolize/sym_perf_map.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/safe_file.h"
#include "base/vec.h"

struct pm_entry {
	uint64_t start, size;
	uint32_t seq;
	char *name;
};

struct sym_perf_map {
	struct pm_entry *e;
	size_t n, cap;
	size_t skipped_long;
	uint32_t next_seq;
};

struct sym_perf_map *sym_perf_map__new(void)
{
	return calloc(1, sizeof(struct sym_perf_map));
}

int sym_perf_map__add(struct sym_perf_map *m, uint64_t start, uint64_t size, const char *name,
		      size_t len)
{
	char *copy;

	if (!len || len > SYM_PERF_MAP_MAX_LINE || !size || m->n >= SYM_PERF_MAP_MAX_ENTRIES)
		return 0;
	if (VEC_RESERVE(m->e, m->n, m->cap, 1))
		return -ENOMEM;
	copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	/* seq only grows: a later add wins even across sorts */
	m->e[m->n] = (struct pm_entry){ .start = start, .size = size, .seq = m->next_seq++,
					.name = copy };
	m->n++;
	return 0;
}

static int parse_line(struct sym_perf_map *m, char *line)
{
	uint64_t start, size;
	int pos = 0;
	char *name;

	if (sscanf(line, "%" SCNx64 " %" SCNx64 " %n", &start, &size, &pos) != 2 || !pos)
		return 0;
	name = line + pos;
	return sym_perf_map__add(m, start, size, name, strcspn(name, "\r\n"));
}

static int cmp_entry(const void *a, const void *b)
{
	const struct pm_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void sym_perf_map__sort(struct sym_perf_map *m)
{
	size_t out = 0;

	if (m->n)
		qsort(m->e, m->n, sizeof(*m->e), cmp_entry);
	for (size_t i = 0; i < m->n; i++) {
		if (i + 1 < m->n && m->e[i + 1].start == m->e[i].start) {
			free(m->e[i].name); /* superseded by a later line */
			continue;
		}
		m->e[out++] = m->e[i];
	}
	m->n = out;
}

struct sym_perf_map *sym_perf_map__parse_buf(const char *buf, size_t len)
{
	struct sym_perf_map *m = calloc(1, sizeof(*m));
	char *line = malloc(SYM_PERF_MAP_MAX_LINE + 1);
	size_t off = 0;
	int err = 0;

	if (!m || !line) {
		err = -ENOMEM;
		goto out_free;
	}
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;

		/* a line too long to be a symbol is skipped, not truncated:
		 * a cut name would be a wrong one */
		if (n <= SYM_PERF_MAP_MAX_LINE) {
			memcpy(line, buf + off, n);
			line[n] = '\0';
			err = parse_line(m, line);
			if (err < 0)
				goto out_free;
		} else {
			m->skipped_long++;
		}
		off += n + 1;
	}
	free(line);
	sym_perf_map__sort(m);
	return m;

out_free:
	free(line);
	sym_perf_map__free(m);
	errno = -err;
	return NULL;
}

struct sym_perf_map *sym_perf_map__parse_string(const char *text)
{
	return sym_perf_map__parse_buf(text, strlen(text));
}

struct sym_perf_map *sym_perf_map__read_fd(int fd)
{
	struct sym_perf_map *m;
	size_t len;
	char *buf;
	int err;

	err = safe_file__read_all(fd, SYM_PERF_MAP_MAX_BYTES, &buf, &len);
	if (err < 0) {
		errno = -err;
		return NULL;
	}
	m = sym_perf_map__parse_buf(buf, len);
	err = errno;
	free(buf);
	errno = err;
	return m;
}

void sym_perf_map__free(struct sym_perf_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].name);
	free(m->e);
	free(m);
}

size_t sym_perf_map__count(const struct sym_perf_map *m)
{
	return m->n;
}

size_t sym_perf_map__skipped_long(const struct sym_perf_map *m)
{
	return m->skipped_long;
}

int sym_perf_map__find(const struct sym_perf_map *m, uint64_t addr, struct sym_perf_map_sym *ret)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* overlapping entries: look back a little for one that covers addr */
	for (size_t i = lo, tries = 0; i-- > 0 && tries < 16; tries++) {
		if (addr - m->e[i].start < m->e[i].size) {
			*ret = (struct sym_perf_map_sym){ .start = m->e[i].start, .size = m->e[i].size,
							  .name = m->e[i].name };
			return 0;
		}
	}
	return -ENOENT;
}

int sym_perf_map__lookup(const struct sym_perf_map *m, uint64_t addr, const char **ret_name)
{
	struct sym_perf_map_sym sym;

	if (sym_perf_map__find(m, addr, &sym) < 0)
		return -ENOENT;
	*ret_name = sym.name;
	return 0;
}
