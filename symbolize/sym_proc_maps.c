// SPDX-License-Identifier: MIT
/* sym_proc_maps: /proc/PID/maps parsing. The path is everything after the
 * inode column and its padding, so spaces inside paths survive; the kernel
 * appends " (deleted)" to unlinked files, which we strip and remember.
 * Entries keep their path strings in one allocation per entry.
 * Depends on base/ (fs, vec) only; never prints.
 */
#include "symbolize/sym_proc_maps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs.h"
#include "base/vec.h"

#define DELETED_SUFFIX " (deleted)"

int sym_proc_maps__parse_line(char *line, struct sym_proc_maps_entry *ret)
{
	struct sym_proc_maps_entry e = { 0 };
	char perms[5];
	int pos = 0;
	size_t len;
	char *path;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %" SCNx32 ":%" SCNx32 " %" SCNu64 "%n",
		   &e.start, &e.end, perms, &e.offset, &e.dev_major, &e.dev_minor, &e.inode, &pos) != 7)
		return -EINVAL;
	if (e.end < e.start || strlen(perms) != 4)
		return -EINVAL;
	memcpy(e.perms, perms, sizeof(e.perms));

	path = line + pos;
	while (*path == ' ' || *path == '\t')
		path++;
	len = strlen(path);
	while (len && (path[len - 1] == '\n' || path[len - 1] == '\r'))
		path[--len] = '\0';
	if (len > strlen(DELETED_SUFFIX) &&
	    strcmp(path + len - strlen(DELETED_SUFFIX), DELETED_SUFFIX) == 0) {
		path[len - strlen(DELETED_SUFFIX)] = '\0';
		e.deleted = true;
	}
	e.path = path;
	*ret = e;
	return 0;
}

static int append(struct sym_proc_maps *m, size_t *cap, char *line)
{
	struct sym_proc_maps_entry e;
	char *path;

	if (sym_proc_maps__parse_line(line, &e) < 0)
		return 0;
	if (VEC_RESERVE(m->entries, m->n, *cap, 1))
		return -ENOMEM;
	path = strdup(e.path);
	if (!path)
		return -ENOMEM;
	e.path = path;
	m->entries[m->n++] = e;
	return 0;
}

struct maps_parse {
	struct sym_proc_maps *m;
	size_t cap;
};

static int on_line(char *line, void *ctx)
{
	struct maps_parse *c = ctx;

	return append(c->m, &c->cap, line);
}

struct sym_proc_maps *sym_proc_maps__parse_file(FILE *f)
{
	struct maps_parse c = { .m = calloc(1, sizeof(*c.m)) };
	int err;

	if (!c.m)
		return NULL;
	err = fs__each_line(f, on_line, &c);
	if (err < 0) {
		sym_proc_maps__free(c.m);
		errno = -err;
		return NULL;
	}
	return c.m;
}

static void *parse_cb(FILE *f, void *ctx)
{
	(void)ctx;
	return sym_proc_maps__parse_file(f);
}

struct sym_proc_maps *sym_proc_maps__parse_string(const char *text)
{
	return fs__parse_string(text, parse_cb, NULL);
}

struct sym_proc_maps *sym_proc_maps__read(int pid)
{
	struct sym_proc_maps *m;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	m = fs__parse_path(path, parse_cb, NULL);
	if (!m && errno == ENOENT)
		errno = ESRCH;
	return m;
}

void sym_proc_maps__free(struct sym_proc_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free((char *)m->entries[i].path);
	free(m->entries);
	free(m);
}
