// SPDX-License-Identifier: MIT
/* sym_bins: binaries opened once, shared by every process. Two indexes on
 * base/strmap (key, and the opened file's identity, up to MAX_FILE_ALIASES
 * per binary for the same build-id reached through several files) and one
 * LRU list bound the cache. Depends on sym_elf, proc_file and base/ only.
 */
#define _GNU_SOURCE
#include "symbolize/sym_bins.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/strmap.h"
#include "symbolize/sym_proc_file.h"
#include "symbolize/sym_lru.h"

#define MAX_FILE_ALIASES 4

struct bin {
	char *key;
	char *file_keys[MAX_FILE_ALIASES];
	size_t nfile_keys;
	struct sym_elf *elf;
	struct sym_lru lru;
	struct stat st;		/* st_ino 0: no mapping alias ("m:") taken */
};

struct sym_bins {
	size_t max_binaries;
	char *debuginfo_path;     /* libdwfl's search string */
	struct strmap *bins;      /* by key */
	struct strmap *bin_files; /* by file identity */
	struct sym_lru lru;
	struct sym_elf *vdso;
	bool vdso_tried;
	struct sym_bins_stats stats;
};

static void bin_free(struct sym_bins *c, struct bin *b)
{
	strmap__remove(c->bins, b->key);
	for (size_t i = 0; i < b->nfile_keys; i++) {
		if (strmap__get(c->bin_files, b->file_keys[i]) == b)
			strmap__remove(c->bin_files, b->file_keys[i]);
		free(b->file_keys[i]);
	}
	sym_lru__unlink(&b->lru);
	sym_elf__free(b->elf);
	free(b->key);
	free(b);
}

static void bin_add_file_key(struct sym_bins *c, struct bin *b, const char *fkey)
{
	char *copy;

	if (b->nfile_keys == MAX_FILE_ALIASES || strmap__get(c->bin_files, fkey))
		return;
	copy = strdup(fkey);
	if (!copy)
		return; /* an alias is an optimisation only */
	if (strmap__put(c->bin_files, fkey, b) < 0) {
		free(copy);
		return;
	}
	b->file_keys[b->nfile_keys++] = copy;
}

/* Take ownership of elf under key, evicting the least recently used binary
 * when the cache is full. NULL (elf freed) on ENOMEM. */
static struct bin *bin_insert(struct sym_bins *c, const char *key, const char *fkey,
			      struct sym_elf *elf)
{
	struct sym_lru *old;
	struct bin *b;

	while (strmap__count(c->bins) >= c->max_binaries && (old = sym_lru__oldest(&c->lru))) {
		bin_free(c, sym_lru__entry(old, struct bin, lru));
		c->stats.evicted++;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		goto out_free_elf;
	sym_lru__init(&b->lru);
	b->key = strdup(key);
	if (!b->key)
		goto out_free_bin;
	if (strmap__put(c->bins, key, b) < 0)
		goto out_free_key;
	b->elf = elf;
	sym_lru__push_front(&c->lru, &b->lru);
	if (fkey)
		bin_add_file_key(c, b, fkey);
	c->stats.opened++;
	return b;

out_free_key:
	free(b->key);
out_free_bin:
	free(b);
out_free_elf:
	sym_elf__free(elf);
	errno = ENOMEM;
	return NULL;
}

/* A mapping's file as /proc/PID/maps names it; "" when it does not (a
 * kernel mapping record with a build-id, a deleted file). */
static void map_key(char *buf, size_t len, const struct sym_proc_maps_entry *me)
{
	buf[0] = '\0';
	if (me->inode && !me->deleted)
		snprintf(buf, len, "m:%x:%x:%" PRIu64, me->dev_major, me->dev_minor, me->inode);
}

static void file_key(char *buf, size_t len, const struct stat *st)
{
	snprintf(buf, len, "f:%" PRIx64 ":%" PRIu64 ":%" PRId64 ":%" PRId64 ".%09ld", (uint64_t)st->st_dev,
		 (uint64_t)st->st_ino, (int64_t)st->st_size, (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

/* Open a mapping's file (see sym_proc_file__open_mapped), counting what was
 * refused on the way. */
static int open_mapped_file(struct sym_bins *c, int pid, bool alive,
			    const struct sym_proc_maps_entry *me, char *name, size_t namelen)
{
	int refused, fd = sym_proc_file__open_mapped(pid, alive, me, name, namelen, &refused);

	if (refused)
		c->stats.mapped_files_refused[safe_file__refusal(refused)]++;
	return fd;
}

struct sym_bins *sym_bins__new(size_t max_binaries, const char *debug_dir)
{
	struct sym_bins *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->max_binaries = max_binaries;
	sym_lru__init(&c->lru);
	/* libdwfl search string: next to the file, its .debug/, then debug_dir
	 * (by build-id, and by path for .gnu_debuglink) */
	if (asprintf(&c->debuginfo_path, ":.debug:%s", debug_dir) < 0)
		c->debuginfo_path = NULL;
	c->bins = strmap__new();
	c->bin_files = strmap__new();
	if (!c->debuginfo_path || !c->bins || !c->bin_files) {
		sym_bins__free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void sym_bins__free(struct sym_bins *c)
{
	struct sym_lru *n;

	if (!c)
		return;
	while ((n = sym_lru__newest(&c->lru)))
		bin_free(c, sym_lru__entry(n, struct bin, lru));
	sym_elf__free(c->vdso);
	strmap__free(c->bins);
	strmap__free(c->bin_files);
	free(c->debuginfo_path);
	free(c);
}

size_t sym_bins__shed_idle(struct sym_bins *c, uint64_t idle_ns)
{
	size_t n = 0;

	for (struct sym_lru *l = c->lru.next; l != &c->lru; l = l->next) {
		struct sym_elf *e = sym_lru__entry(l, struct bin, lru)->elf;

		if (sym_elf__shed(e, idle_ns) > 0)
			n++;
		sym_elf__page_out(e);
	}
	c->stats.shed += n;
	return n;
}

struct sym_elf *sym_bins__vdso(struct sym_bins *c)
{
	const unsigned char *base;
	const Elf64_Ehdr *eh;
	size_t size;

	if (c->vdso_tried)
		return c->vdso;
	c->vdso_tried = true;
	base = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!base)
		return NULL;
	eh = (const Elf64_Ehdr *)base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	/* the vDSO is a complete ELF image: it ends with its section headers,
	 * or with its last segment */
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	for (size_t i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff + i * eh->e_phentsize);

		if (ph->p_offset + ph->p_filesz > size)
			size = ph->p_offset + ph->p_filesz;
	}
	if (size > (1u << 20))
		return NULL;
	c->vdso = sym_elf__open_image("[vdso]", base, size, c->debuginfo_path);
	return c->vdso;
}

int sym_bins__attach(struct sym_bins *c, int pid, const struct sym_proc_maps_entry *me,
		     struct sym_bin_ref *ref, char **ret_build_id)
{
	char name[PATH_MAX + 64], fkey[128], mkey[64], key[PATH_MAX + 128];
	struct sym_elf *elf;
	struct stat st;
	struct bin *b;
	const char *bid;
	int fd;

	/* a mapping named by device and inode, as /proc shows it (a fork of a
	 * process read there: no build-id), of a file attached before: while
	 * it is held open its inode names no other file; if it did not change
	 * in place since, it is the same binary, with no path walk */
	map_key(mkey, sizeof(mkey), me);
	b = mkey[0] ? strmap__get(c->bin_files, mkey) : NULL;
	if (b && sym_elf__same_file(b->elf, &b->st)) {
		st = b->st;
		c->stats.mapping_hits++;
		goto out_found;
	}
	/* most mappings are of files opened before (every process maps libc):
	 * a stat finds those, one syscall where an open takes ten */
	if (sym_proc_file__stat_mapped(pid, me, &st) == 0) {
		file_key(fkey, sizeof(fkey), &st);
		b = strmap__get(c->bin_files, fkey);
		if (b)
			goto out_found;
	}
	fd = open_mapped_file(c, pid, true, me, name, sizeof(name));
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	file_key(fkey, sizeof(fkey), &st);
	b = strmap__get(c->bin_files, fkey);
	if (b) {
		close(fd);
	} else {
		elf = sym_elf__open(name, fd, c->debuginfo_path);
		if (!elf && errno == EFBIG)
			c->stats.mapped_files_refused[SAFE_FILE_TOO_BIG]++;
		if (!elf)
			return errno == ENOMEM ? -ENOMEM : 0;
		bid = sym_elf__build_id(elf);
		if (*bid)
			snprintf(key, sizeof(key), "b:%s", bid);
		else
			snprintf(key, sizeof(key), "n:%x:%x:%" PRIu64 ":%s", me->dev_major, me->dev_minor,
				 me->inode, me->path);
		b = strmap__get(c->bins, key);
		if (b) {
			/* same build-id through another file (another container) */
			sym_elf__free(elf);
			bin_add_file_key(c, b, fkey);
		} else {
			b = bin_insert(c, key, fkey, elf);
			if (!b)
				return -ENOMEM;
		}
	}
out_found:
	if (mkey[0] && !b->st.st_ino && st.st_dev == makedev(me->dev_major, me->dev_minor) &&
	    st.st_ino == me->inode && sym_elf__same_file(b->elf, &st)) {
		b->st = st;
		bin_add_file_key(c, b, mkey);
	}
	ref->st_dev = st.st_dev;
	ref->st_ino = st.st_ino;
	sym_lru__touch(&c->lru, &b->lru);
	ref->key = strdup(b->key);
	*ret_build_id = strdup(sym_elf__build_id(b->elf));
	if (!ref->key || !*ret_build_id)
		return -ENOMEM;
	return 1;
}

struct sym_elf *sym_bins__get(struct sym_bins *c, const struct sym_bin_ref *ref)
{
	struct bin *b = ref->key ? strmap__get(c->bins, ref->key) : NULL;

	if (!b)
		return NULL;
	sym_lru__touch(&c->lru, &b->lru);
	return b->elf;
}

struct sym_elf *sym_bins__reopen(struct sym_bins *c, struct sym_bin_ref *ref, int pid, bool alive,
				 uint64_t start, uint64_t limit, const char *path,
				 const char *build_id)
{
	char name[PATH_MAX + 64];
	struct sym_proc_maps_entry me = { 0 };
	struct sym_elf *elf;
	struct stat st;
	struct bin *b;
	int fd;

	me.start = start;
	me.end = limit;
	me.path = path;
	me.inode = ref->st_ino;
	fd = open_mapped_file(c, pid, alive, &me, name, sizeof(name));
	if (fd < 0 || fstat(fd, &st) != 0)
		goto out_failed;
	elf = sym_elf__open(name, fd, c->debuginfo_path);
	fd = -1;
	if (!elf)
		goto out_failed;
	/* the file must be the one captured: same build-id, or same inode */
	if (*build_id ? strcmp(build_id, sym_elf__build_id(elf)) != 0
		      : (st.st_dev != ref->st_dev || st.st_ino != ref->st_ino)) {
		sym_elf__free(elf);
		goto out_failed;
	}
	b = bin_insert(c, ref->key, NULL, elf);
	return b ? b->elf : NULL;

out_failed:
	if (fd >= 0)
		close(fd);
	ref->reopen_failed = true;
	return NULL;
}

int sym_bins__attach_build_id(struct sym_bins *c, const char *build_id, struct sym_bin_ref *ref,
			      char **ret_build_id)
{
	char key[64];
	struct bin *b;

	snprintf(key, sizeof(key), "b:%s", build_id);
	b = strmap__get(c->bins, key);
	if (!b)
		return 0;
	sym_lru__touch(&c->lru, &b->lru);
	ref->key = strdup(b->key);
	*ret_build_id = strdup(build_id);
	if (!ref->key || !*ret_build_id)
		return -ENOMEM;
	return 1;
}

int sym_bins__key_for_build_id(struct sym_bins *c, const char *build_id, char **ret_key)
{
	char key[64];

	*ret_key = NULL;
	snprintf(key, sizeof(key), "b:%s", build_id);
	if (!strmap__get(c->bins, key))
		return 0;
	*ret_key = strdup(key);
	return *ret_key ? 0 : -ENOMEM;
}

size_t sym_bins__count(const struct sym_bins *c)
{
	return strmap__count(c->bins);
}

const struct sym_bins_stats *sym_bins__stats(const struct sym_bins *c)
{
	return &c->stats;
}
