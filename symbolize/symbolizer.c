// SPDX-License-Identifier: MIT
/* sym_session: the symbolizer's caches and policy. Processes are a hash on
 * "pid:start_ticks" plus an LRU list; binaries are a hash on "b:<build-id>"
 * (or "n:dev:inode:path" without one), a second hash on the opened file's
 * identity, and an LRU list. Mappings refer to binaries by key, never by
 * pointer, so eviction cannot leave them dangling: an evicted binary is
 * reopened on demand and checked against the build-id seen at capture.
 * Frame strings are interned; mappings own their strings.
 */
#define _GNU_SOURCE
#include "symbolize/symbolizer.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/safe_file.h"
#include "base/strmap.h"
#include "symbolize/demangle.h"
#include "symbolize/kallsyms.h"
#include "symbolize/perf_map.h"
#include "symbolize/proc_file.h"
#include "symbolize/proc_events.h"
#include "symbolize/proc_maps.h"
#include "symbolize/strtab.h"
#include "symbolize/sym_elf.h"
#include "symbolize/unwind_table.h"
#include "symbolize/unwinder.h"

#define DEFAULT_MAX_BINARIES 256
#define DEFAULT_MAX_PROCESSES 65536
#define DEFAULT_MAX_STRING_BYTES (64u << 20)
#define DEFAULT_MAX_UNWIND_BYTES (256u << 20)
/* Recapture a process's maps at most every 50 ms: often enough that a process
 * whose first record arrived while ld.so was still mapping libraries gets its
 * code before it exits, rarely enough that garbage addresses cost little. */
#define RECAPTURE_NS 50000000ull
#define UW_MAX_LOADS 8
#define DEFAULT_DEBUG_DIR "/usr/lib/debug"
#define MAX_FILE_ALIASES 4
#define JIT_RECHECK_NS 1000000000ull /* stat a perf map at most once a second */
#define KERNEL_HALF 0xffff800000000000ull
/* The entry code (_start) of a program or ld.so, from e_entry: ld.so's has no
 * sized symbol; glibc's _start is under 64 bytes. */
#define ENTRY_SPAN 64

struct lru {
	struct lru *prev, *next;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

enum pm_kind {
	PM_NONE,  /* nothing to name it with ([vsyscall], unopenable file) */
	PM_FILE,  /* an ELF file */
	PM_VDSO,
	PM_ANON,  /* anonymous code: perf-PID.map */
};

struct pmap {
	struct sym_mapping pub;
	enum pm_kind kind;
	char *bin_key;       /* key into s->bins; NULL when the file could not be opened */
	dev_t st_dev;        /* identity of the file opened at capture */
	ino_t st_ino;
	bool reopen_failed;  /* evicted and could not be reopened: stop trying */
	bool uw_bias_set;    /* uw_bias computed */
	uint64_t uw_bias;    /* ELF vaddr = address - uw_bias */
};

struct proc {
	int pid;
	int nspid;           /* pid inside its namespace: names its perf map */
	uint64_t start_ticks;
	char key[48];
	char comm[64];
	struct pmap *maps;   /* sorted by start */
	size_t nmaps;
	struct sym_perf_map *jit;
	off_t jit_size;
	struct timespec jit_mtime;
	uint64_t jit_checked_ns;
	int jit_refused;        /* last refusal of its perf map (-errno), counted once */
	uint64_t recaptured_ns; /* last recapture for an ip outside the maps */
	struct lru lru;
	struct proc *retired_next;
};

struct retired_maps {
	struct retired_maps *next;
	struct pmap *maps;
	size_t nmaps;
};

struct bin {
	char *key;
	char *file_keys[MAX_FILE_ALIASES];
	size_t nfile_keys;
	struct sym_elf *elf;
	struct lru lru;
};

/* An unwind table, by binary key. table NULL: the binary has no usable CFI.
 * loads: its PT_LOAD headers, to turn file offsets into vaddrs without it. */
struct uw_entry {
	char *key;
	struct uw_table *table;
	size_t bytes;
	uint64_t epoch;      /* last sym_session__unwind() that used it */
	struct { uint64_t offset, vaddr, filesz; bool exec; } loads[UW_MAX_LOADS];
	size_t nloads;
	uint64_t entry;      /* e_entry (vaddr), 0 when none */
	struct lru lru;
};

struct sym_session {
	size_t max_binaries, max_processes, max_string_bytes, max_unwind_bytes;
	char *debuginfo_path;

	struct strmap *procs;
	struct lru proc_lru; /* next = most recently used */
	struct proc *retired_procs;
	struct retired_maps *retired_maps;

	struct strmap *bins;      /* by key */
	struct strmap *bin_files; /* by file identity */
	struct lru bin_lru;

	struct sym_elf *vdso;
	bool vdso_tried;

	bool kernel_loaded;
	struct sym_kallsyms *ksyms;
	struct sym_mapping *kmaps; /* [0] core, [i] module i */
	size_t nkmaps;

	struct sym_strtab *strings;
	struct strmap *demangled; /* interned system_name -> interned name */

	struct strmap *uw_tables; /* binary key -> struct uw_entry */
	struct lru uw_lru;
	size_t uw_bytes;
	uint64_t uw_epoch;
	struct proc *last_proc;     /* sym_session__unwind()'s one-entry cache */

	struct sym_proc_events *events; /* kernel-reported maps; borrowed */
	int (*pump)(void *ctx);
	void *pump_ctx;
	struct strmap *unmapped;  /* keys of processes captured without maps */

	struct sym_stats stats;
};

/* --- small helpers --------------------------------------------------------- */

static void lru_init(struct lru *head)
{
	head->prev = head->next = head;
}

static void lru_unlink(struct lru *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

static void lru_push_front(struct lru *head, struct lru *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

static void lru_touch(struct lru *head, struct lru *n)
{
	lru_unlink(n);
	lru_push_front(head, n);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void proc_key(char *buf, size_t len, int pid, uint64_t start_ticks)
{
	snprintf(buf, len, "%d:%" PRIu64, pid, start_ticks);
}

/* Last NSpid entry in /proc/PID/status: the pid as the process sees itself. */
static int read_nspid(int pid)
{
	long v;

	if (proc__status_field(pid, "NSpid", &v) || v <= 0 || v > INT_MAX)
		return pid;
	return (int)v;
}

static bool proc_alive(const struct proc *p)
{
	uint64_t st;

	return proc__start_ticks(p->pid, &st) == 0 && st == p->start_ticks;
}

/* --- binaries ------------------------------------------------------------------ */

static void bin_free(struct sym_session *s, struct bin *b)
{
	strmap__remove(s->bins, b->key);
	for (size_t i = 0; i < b->nfile_keys; i++) {
		if (strmap__get(s->bin_files, b->file_keys[i]) == b)
			strmap__remove(s->bin_files, b->file_keys[i]);
		free(b->file_keys[i]);
	}
	lru_unlink(&b->lru);
	sym_elf__free(b->elf);
	free(b->key);
	free(b);
}

static void bin_add_file_key(struct sym_session *s, struct bin *b, const char *fkey)
{
	char *copy;

	if (b->nfile_keys == MAX_FILE_ALIASES || strmap__get(s->bin_files, fkey))
		return;
	copy = strdup(fkey);
	if (!copy)
		return; /* an alias is an optimisation only */
	if (strmap__put(s->bin_files, fkey, b) < 0) {
		free(copy);
		return;
	}
	b->file_keys[b->nfile_keys++] = copy;
}

/* Take ownership of elf under key, evicting the least recently used binary
 * when the cache is full. NULL (elf freed) on ENOMEM. */
static struct bin *bin_insert(struct sym_session *s, const char *key, const char *fkey,
			      struct sym_elf *elf)
{
	struct bin *b;

	while (strmap__count(s->bins) >= s->max_binaries && s->bin_lru.prev != &s->bin_lru) {
		bin_free(s, container_of(s->bin_lru.prev, struct bin, lru));
		s->stats.binaries_evicted++;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		goto out_free_elf;
	lru_init(&b->lru);
	b->key = strdup(key);
	if (!b->key)
		goto out_free_bin;
	if (strmap__put(s->bins, key, b) < 0)
		goto out_free_key;
	b->elf = elf;
	lru_push_front(&s->bin_lru, &b->lru);
	if (fkey)
		bin_add_file_key(s, b, fkey);
	s->stats.binaries_opened++;
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

static void file_key(char *buf, size_t len, const struct stat *st)
{
	snprintf(buf, len, "f:%" PRIx64 ":%" PRIu64 ":%" PRId64 ":%" PRId64 ".%09ld", (uint64_t)st->st_dev,
		 (uint64_t)st->st_ino, (int64_t)st->st_size, (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

/* Open a mapping's file (see sym_proc_file__open_mapped), counting what was
 * refused on the way. */
static int open_mapped_file(struct sym_session *s, int pid, bool alive,
			    const struct sym_proc_maps_entry *me, char *name, size_t namelen)
{
	int refused, fd = sym_proc_file__open_mapped(pid, alive, me, name, namelen, &refused);

	if (refused)
		s->stats.mapped_files_refused[safe_file__refusal(refused)]++;
	return fd;
}

static struct sym_elf *load_vdso(struct sym_session *s)
{
	const unsigned char *base;
	const Elf64_Ehdr *eh;
	size_t size;

	if (s->vdso_tried)
		return s->vdso;
	s->vdso_tried = true;
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
	s->vdso = sym_elf__open_image("[vdso]", base, size, s->debuginfo_path);
	return s->vdso;
}

/* Find or open the binary for one executable file mapping and fill pm. Only
 * -ENOMEM is an error: a file that cannot be opened leaves an unnamed
 * mapping. */
static int attach_binary(struct sym_session *s, int pid, const struct sym_proc_maps_entry *me,
			 struct pmap *pm)
{
	char name[PATH_MAX + 64], fkey[128], key[PATH_MAX + 128];
	struct sym_elf *elf;
	struct stat st;
	struct bin *b;
	const char *bid;
	int fd;

	fd = open_mapped_file(s, pid, true, me, name, sizeof(name));
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	pm->st_dev = st.st_dev;
	pm->st_ino = st.st_ino;
	file_key(fkey, sizeof(fkey), &st);
	b = strmap__get(s->bin_files, fkey);
	if (b) {
		close(fd);
	} else {
		elf = sym_elf__open(name, fd, s->debuginfo_path);
		if (!elf && errno == EFBIG)
			s->stats.mapped_files_refused[SAFE_FILE_TOO_BIG]++;
		if (!elf)
			return errno == ENOMEM ? -ENOMEM : 0;
		bid = sym_elf__build_id(elf);
		if (*bid)
			snprintf(key, sizeof(key), "b:%s", bid);
		else
			snprintf(key, sizeof(key), "n:%x:%x:%" PRIu64 ":%s", me->dev_major, me->dev_minor,
				 me->inode, me->path);
		b = strmap__get(s->bins, key);
		if (b) {
			/* same build-id through another file (another container) */
			sym_elf__free(elf);
			bin_add_file_key(s, b, fkey);
		} else {
			b = bin_insert(s, key, fkey, elf);
			if (!b)
				return -ENOMEM;
		}
	}
	lru_touch(&s->bin_lru, &b->lru);
	pm->bin_key = strdup(b->key);
	pm->pub.build_id = strdup(sym_elf__build_id(b->elf));
	if (!pm->bin_key || !pm->pub.build_id)
		return -ENOMEM;
	pm->kind = PM_FILE;
	return 0;
}

/* The binary of a file mapping, reopening it if the cache evicted it. */
static struct sym_elf *mapping_elf(struct sym_session *s, struct proc *p, struct pmap *pm)
{
	char name[PATH_MAX + 64];
	struct sym_proc_maps_entry me = { 0 };
	struct sym_elf *elf;
	struct stat st;
	struct bin *b;
	int fd;

	if (pm->kind == PM_VDSO)
		return load_vdso(s);
	if (!pm->bin_key)
		return NULL;
	b = strmap__get(s->bins, pm->bin_key);
	if (b) {
		lru_touch(&s->bin_lru, &b->lru);
		return b->elf;
	}
	if (pm->reopen_failed)
		return NULL;
	me.start = pm->pub.start;
	me.end = pm->pub.limit;
	me.path = pm->pub.path;
	me.inode = pm->st_ino;
	fd = open_mapped_file(s, p->pid, proc_alive(p), &me, name, sizeof(name));
	if (fd < 0 || fstat(fd, &st) != 0)
		goto out_failed;
	elf = sym_elf__open(name, fd, s->debuginfo_path);
	fd = -1;
	if (!elf)
		goto out_failed;
	/* the file must be the one captured: same build-id, or same inode */
	if (*pm->pub.build_id ? strcmp(pm->pub.build_id, sym_elf__build_id(elf)) != 0
			      : (st.st_dev != pm->st_dev || st.st_ino != pm->st_ino)) {
		sym_elf__free(elf);
		goto out_failed;
	}
	b = bin_insert(s, pm->bin_key, NULL, elf);
	return b ? b->elf : NULL;

out_failed:
	if (fd >= 0)
		close(fd);
	pm->reopen_failed = true;
	return NULL;
}

/* --- processes ---------------------------------------------------------------- */

static void free_maps(struct pmap *maps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)maps[i].pub.path);
		free((char *)maps[i].pub.build_id);
		free(maps[i].bin_key);
	}
	free(maps);
}

static void proc_free(struct proc *p)
{
	if (!p)
		return;
	free_maps(p->maps, p->nmaps);
	sym_perf_map__free(p->jit);
	free(p);
}

static void perf_map_path(const struct proc *p, bool in_root, char *buf, size_t len)
{
	if (in_root)
		snprintf(buf, len, "/proc/%d/root/tmp/perf-%d.map", p->pid, p->nspid);
	else
		snprintf(buf, len, "/tmp/perf-%d.map", p->pid);
}

static bool perf_map_exists(const struct proc *p)
{
	char path[96];

	perf_map_path(p, true, path, sizeof(path));
	if (access(path, R_OK) == 0)
		return true;
	perf_map_path(p, false, path, sizeof(path));
	return access(path, R_OK) == 0;
}

/* A mapping the kernel gave a build-id (proc_events.h): a file found under
 * its path that is another build is not it; a file not found (the process is
 * gone, its mount namespace too) is the cached binary of that build-id, if
 * any. Either way the mapping carries the kernel's build-id. -ENOMEM. */
static int kernel_build_id(struct sym_session *s, const struct sym_proc_maps_entry *me,
			   struct pmap *pm)
{
	char key[64];

	if (pm->kind == PM_FILE && !strcmp(me->build_id, pm->pub.build_id))
		return 0;
	free(pm->bin_key);
	free((char *)pm->pub.build_id);
	pm->bin_key = NULL;
	pm->kind = PM_NONE;
	snprintf(key, sizeof(key), "b:%s", me->build_id);
	if (strmap__get(s->bins, key)) {
		pm->bin_key = strdup(key);
		if (!pm->bin_key)
			return -ENOMEM;
		pm->kind = PM_FILE;
	}
	pm->pub.build_id = strdup(me->build_id);
	return pm->pub.build_id ? 0 : -ENOMEM;
}

/* Build the executable mappings of a process from its maps. */
static int build_maps(struct sym_session *s, struct proc *p, const struct sym_proc_maps *m,
		      struct pmap **ret_maps, size_t *ret_n)
{
	struct pmap *maps;
	size_t n = 0;
	bool has_perf_map = perf_map_exists(p);
	int err = 0;

	maps = calloc(m->n ? m->n : 1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const struct sym_proc_maps_entry *me = &m->entries[i];
		struct pmap *pm = &maps[n];
		const char *path = me->path;

		if (!sym_proc_maps_entry__executable(me))
			continue;
		n++;
		pm->pub.start = me->start;
		pm->pub.limit = me->end;
		pm->pub.offset = me->offset;
		pm->st_ino = me->inode;
		if (path[0] == '/') {
			pm->kind = PM_NONE;
			err = attach_binary(s, p->pid, me, pm);
		} else if (strcmp(path, "[vdso]") == 0) {
			struct sym_elf *vdso = load_vdso(s);

			pm->kind = vdso ? PM_VDSO : PM_NONE;
			pm->pub.build_id = strdup(vdso ? sym_elf__build_id(vdso) : "");
		} else if (strcmp(path, "[vsyscall]") == 0) {
			pm->kind = PM_NONE;
		} else {
			pm->kind = PM_ANON;
			if (!path[0])
				path = has_perf_map ? "[jit]" : "[anon]";
		}
		if (err < 0)
			goto out_free;
		if (me->build_id[0])
			err = kernel_build_id(s, me, pm);
		if (err < 0)
			goto out_free;
		pm->pub.path = strdup(path);
		if (!pm->pub.build_id)
			pm->pub.build_id = strdup("");
		if (!pm->pub.path || !pm->pub.build_id) {
			err = -ENOMEM;
			goto out_free;
		}
	}
	*ret_maps = maps;
	*ret_n = n;
	return 0;

out_free:
	free_maps(maps, n);
	return err;
}

/* The maps kernel events reported for p (records so far applied first);
 * NULL when there are none. */
static struct sym_proc_maps *events_maps(struct sym_session *s, struct proc *p, bool *complete)
{
	struct sym_proc_events_view v;

	if (!s->events)
		return NULL;
	if (s->pump)
		s->pump(s->pump_ctx);
	if (sym_proc_events__lookup(s->events, p->pid, p->start_ticks, &v) < 0)
		return NULL;
	if (v.comm[0])
		snprintf(p->comm, sizeof(p->comm), "%s", v.comm);
	*complete = v.complete;
	return v.maps;
}

/* Build p's mappings from kernel events alone. */
static int capture_events(struct sym_session *s, struct proc *p, struct sym_proc_maps *m)
{
	struct pmap *maps;
	size_t n;
	int err = build_maps(s, p, m, &maps, &n);

	sym_proc_maps__free(m);
	if (err < 0)
		return err;
	if (!n && p->nmaps) {
		free_maps(maps, n);
		return -ESRCH;
	}
	p->maps = maps;
	p->nmaps = n;
	s->stats.processes_from_events++;
	return 0;
}

/* Read maps (and check the start time around it, so a pid reused meanwhile
 * is noticed) into new mappings for p; kernel events answer for a process
 * they know completely, or that /proc cannot show. */
static int capture(struct sym_session *s, struct proc *p)
{
	struct sym_proc_maps *m, *ev;
	bool complete = false;
	struct pmap *maps;
	size_t n;
	uint64_t st;
	int err;

	ev = events_maps(s, p, &complete);
	if (ev && complete && ev->n) {
		if (!p->comm[0])
			proc__comm(p->pid, p->comm, sizeof(p->comm));
		p->nspid = read_nspid(p->pid);	/* names its perf map, if it lives */
		return capture_events(s, p, ev);
	}
	err = proc__start_ticks(p->pid, &st);
	m = err < 0 || st != p->start_ticks ? NULL : sym_proc_maps__read(p->pid);
	if (!m) {
		if (ev)
			return capture_events(s, p, ev);
		return err == 0 && errno == ENOMEM ? -ENOMEM : -ESRCH;
	}
	proc__comm(p->pid, p->comm, sizeof(p->comm));
	p->nspid = read_nspid(p->pid);
	err = build_maps(s, p, m, &maps, &n);
	sym_proc_maps__free(m);
	if (err < 0)
		goto out_free_ev;
	if (!n && ev) {
		/* a zombie shows no maps: the kernel told us what it ran */
		free_maps(maps, n);
		return capture_events(s, p, ev);
	}
	sym_proc_maps__free(ev);
	/* A process that has exited but is not reaped yet (a zombie) still has
	 * its stat, and empty maps: keep the maps it ran with. */
	if ((!n && p->nmaps) || proc__start_ticks(p->pid, &st) < 0 ||
	    st != p->start_ticks) {
		free_maps(maps, n);
		return -ESRCH;
	}
	p->maps = maps;
	p->nmaps = n;
	return 0;

out_free_ev:
	sym_proc_maps__free(ev);
	return err;
}

/* Count once each process whose executable mappings are unknown, and take it
 * back if a later capture finds them. The keys only deduplicate: past
 * max_processes they are forgotten (a process may then count twice). */
static void mark_unmapped(struct sym_session *s, const char *key, bool unmapped)
{
	if (!unmapped) {
		if (strmap__remove(s->unmapped, key) == 0)
			s->stats.processes_unmapped--;
		return;
	}
	if (strmap__get(s->unmapped, key))
		return;
	if (strmap__count(s->unmapped) >= s->max_processes)
		strmap__clear(s->unmapped);
	if (strmap__put(s->unmapped, key, (void *)1) == 0)
		s->stats.processes_unmapped++;
}

void sym_session__set_proc_events(struct sym_session *s, struct sym_proc_events *pe,
				  int (*pump)(void *ctx), void *ctx)
{
	s->events = pe;
	s->pump = pe ? pump : NULL;
	s->pump_ctx = ctx;
}

static struct proc *proc_get(struct sym_session *s, int pid, uint64_t start_ticks)
{
	char key[48];

	proc_key(key, sizeof(key), pid, start_ticks);
	return strmap__get(s->procs, key);
}

static void proc_retire(struct sym_session *s, struct proc *p)
{
	if (s->last_proc == p)
		s->last_proc = NULL;
	strmap__remove(s->procs, p->key);
	lru_unlink(&p->lru);
	p->retired_next = s->retired_procs;
	s->retired_procs = p;
}

int sym_session__add_process(struct sym_session *s, int pid, uint64_t start_ticks)
{
	struct proc *p = proc_get(s, pid, start_ticks);
	int err;

	if (p) {
		lru_touch(&s->proc_lru, &p->lru);
		return 0;
	}
	if (pid <= 0)
		return -ESRCH;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->nspid = pid;
	p->start_ticks = start_ticks;
	proc_key(p->key, sizeof(p->key), pid, start_ticks);
	lru_init(&p->lru);
	err = capture(s, p);
	if (err != -ENOMEM)
		mark_unmapped(s, p->key, err < 0 || !p->nmaps);
	if (err < 0)
		goto out_free;
	while (strmap__count(s->procs) >= s->max_processes && s->proc_lru.prev != &s->proc_lru) {
		proc_retire(s, container_of(s->proc_lru.prev, struct proc, lru));
		s->stats.processes_evicted++;
	}
	if (strmap__put(s->procs, p->key, p) < 0) {
		err = -ENOMEM;
		goto out_free;
	}
	lru_push_front(&s->proc_lru, &p->lru);
	s->stats.processes++;
	return 0;

out_free:
	proc_free(p);
	return err;
}

int sym_session__exec(struct sym_session *s, int pid, uint64_t start_ticks)
{
	struct proc *p = proc_get(s, pid, start_ticks);
	struct retired_maps *r;
	struct pmap *old;
	size_t nold;
	int err;

	if (!p)
		return sym_session__add_process(s, pid, start_ticks);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	old = p->maps;
	nold = p->nmaps;
	err = capture(s, p);
	if (err < 0) {
		free(r);
		return err;
	}
	if (p->nmaps)
		mark_unmapped(s, p->key, false);
	/* earlier results may still point at the old mappings */
	r->maps = old;
	r->nmaps = nold;
	r->next = s->retired_maps;
	s->retired_maps = r;
	sym_perf_map__free(p->jit);
	p->jit = NULL;
	p->jit_checked_ns = 0;
	lru_touch(&s->proc_lru, &p->lru);
	return 0;
}

int sym_session__remove_process(struct sym_session *s, int pid, uint64_t start_ticks)
{
	struct proc *p = proc_get(s, pid, start_ticks);

	if (!p)
		return -ENOENT;
	proc_retire(s, p);
	return 0;
}

int sym_session__process_name(struct sym_session *s, int pid, uint64_t start_ticks, char *buf,
			      size_t len)
{
	struct proc *p = proc_get(s, pid, start_ticks);
	size_t n;

	if (!p || !p->comm[0])
		return -ENOENT;
	n = strlen(p->comm);
	if (n >= len)
		return -ENOSPC;
	memcpy(buf, p->comm, n + 1);
	return 0;
}

static struct pmap *find_mapping(struct proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].pub.start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= p->maps[lo - 1].pub.limit)
		return NULL;
	return &p->maps[lo - 1];
}

bool sym_session__covers(struct sym_session *s, int pid, uint64_t start_ticks, uint64_t addr)
{
	struct proc *p = proc_get(s, pid, start_ticks);

	return p && find_mapping(p, addr);
}

/* (Re)load the perf map when it is missing or changed; rate-limited. A map
 * refused (see sym_proc_file__open_perf_map) is counted once per process
 * and reason, and names nothing. */
static void refresh_jit(struct sym_session *s, struct proc *p)
{
	struct sym_perf_map *m;
	struct stat st;
	uint64_t now = now_ns();
	int fd, err;

	if (p->jit_checked_ns && now - p->jit_checked_ns < JIT_RECHECK_NS)
		return;
	p->jit_checked_ns = now;
	fd = sym_proc_file__open_perf_map(p->pid, p->nspid, &st);
	if (fd < 0) {
		err = fd;
		goto out_refused;
	}
	if (p->jit && st.st_size == p->jit_size && st.st_mtim.tv_sec == p->jit_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == p->jit_mtime.tv_nsec) {
		close(fd);
		return;
	}
	m = sym_perf_map__read_fd(fd);
	err = m ? 0 : -errno;
	close(fd);
	if (!m)
		goto out_refused;
	sym_perf_map__free(p->jit);
	p->jit = m;
	p->jit_size = st.st_size;
	p->jit_mtime = st.st_mtim;
	p->jit_refused = 0;
	return;

out_refused:
	if (safe_file__refusal(err) != SAFE_FILE_NOT_REFUSED && err != p->jit_refused) {
		s->stats.perf_maps_refused[safe_file__refusal(err)]++;
		p->jit_refused = err;
	}
	/* a map refused now is not kept from before */
	if (safe_file__refusal(err) != SAFE_FILE_NOT_REFUSED) {
		sym_perf_map__free(p->jit);
		p->jit = NULL;
	}
}

/* --- frames --------------------------------------------------------------------- */

static const char *intern(struct sym_session *s, const char *str)
{
	return str ? sym_strtab__intern(s->strings, str) : NULL;
}

/* Fill one result frame from a raw (mangled) name; -ENOMEM. */
static int set_frame(struct sym_session *s, struct sym_frame *f, const char *raw, const char *file,
		     uint32_t line, uint32_t start_line)
{
	const char *sys = intern(s, raw);
	const char *name;

	if (!sys)
		return -ENOMEM;
	name = strmap__get(s->demangled, sys);
	if (!name) {
		char *d = sym_demangle(sys);

		if (!d && errno == ENOMEM)
			return -ENOMEM;
		name = d ? intern(s, d) : sys;
		free(d);
		if (!name || strmap__put(s->demangled, sys, (void *)name) < 0)
			return -ENOMEM;
	}
	f->system_name = sys;
	f->name = name;
	f->file = NULL;
	if (file) {
		f->file = intern(s, file);
		if (!f->file)
			return -ENOMEM;
	}
	f->line = line;
	f->start_line = start_line;
	return 0;
}

/* vaddr lies in the entry code of a binary whose symbols do not cover it
 * (ld.so's _start is a symbol of size 0). */
static bool in_entry(struct sym_elf *elf, uint64_t vaddr)
{
	Elf *raw = sym_elf__elf(elf);
	GElf_Ehdr eh;

	return raw && gelf_getehdr(raw, &eh) && eh.e_entry && vaddr >= eh.e_entry &&
	       vaddr - eh.e_entry < ENTRY_SPAN;
}

/* A function no symbol names, after its file and start: "liblzma.so.5+0x1a2b0"
 * (the ELF vaddr nm, objdump and addr2line take, in this file and its debug
 * file), with an empty system_name and func_start set. */
static int func_start_frame(struct sym_session *s, const struct sym_mapping *m, uint64_t start,
			    struct sym_result *ret)
{
	const char *base = strrchr(m->path, '/');
	char buf[300];

	snprintf(buf, sizeof(buf), "%.255s+0x%" PRIx64, base ? base + 1 : m->path, start);
	ret->frames[0] = (struct sym_frame){ .name = intern(s, buf), .system_name = "",
					     .func_start = true };
	if (!ret->frames[0].name)
		return -ENOMEM;
	ret->nframes = 1;
	return 0;
}

static int frames_from_elf(struct sym_session *s, struct sym_elf *elf, const struct sym_mapping *m,
			   uint64_t addr, struct sym_result *ret)
{
	struct sym_elf_frame ef[SYM_MAX_INLINE];
	uint64_t vaddr;
	int n, err;

	if (sym_elf__offset_to_vaddr(elf, addr - m->start + m->offset, &vaddr) < 0)
		return 0;
	n = sym_elf__resolve(elf, vaddr, ef, SYM_MAX_INLINE);
	if ((n <= 0 || ef[0].func_start) && in_entry(elf, vaddr)) {
		err = set_frame(s, &ret->frames[0], "_start", NULL, 0, 0);
		ret->nframes = err ? 0 : 1;
		return err;
	}
	if (n == 1 && ef[0].func_start)
		return func_start_frame(s, m, ef[0].start, ret);
	for (int i = 0; i < n; i++) {
		err = set_frame(s, &ret->frames[i], ef[i].name, ef[i].file, ef[i].line, ef[i].start_line);
		if (err < 0)
			return err;
	}
	ret->nframes = n > 0 ? (uint32_t)n : 0;
	return 0;
}

static void count(struct sym_session *s, const struct sym_result *ret)
{
	if (!ret->mapping)
		s->stats.no_mapping++;
	else if (ret->nframes)
		s->stats.resolved++, s->stats.func_starts += ret->frames[0].func_start;
	else
		s->stats.unresolved++;
}

int sym_session__resolve_user(struct sym_session *s, int pid, uint64_t start_ticks, uint64_t addr,
			      bool is_return_address, struct sym_result *ret)
{
	struct sym_result r = { 0 };
	struct proc *p;
	struct pmap *pm;
	uint64_t a = is_return_address && addr ? addr - 1 : addr;
	int err = 0;

	p = proc_get(s, pid, start_ticks);
	if (!p) {
		err = sym_session__add_process(s, pid, start_ticks);
		if (err == -ENOMEM)
			return err;
		err = 0;
		p = proc_get(s, pid, start_ticks);
	}
	if (!p)
		goto out;
	lru_touch(&s->proc_lru, &p->lru);
	pm = find_mapping(p, a);
	if (!pm)
		goto out;
	r.mapping = &pm->pub;
	switch (pm->kind) {
	case PM_FILE:
	case PM_VDSO: {
		struct sym_elf *elf = mapping_elf(s, p, pm);

		if (elf)
			err = frames_from_elf(s, elf, &pm->pub, a, &r);
		break;
	}
	case PM_ANON: {
		const char *name;

		if (!p->jit || sym_perf_map__lookup(p->jit, a, &name) < 0) {
			refresh_jit(s, p);
			if (!p->jit || sym_perf_map__lookup(p->jit, a, &name) < 0)
				break;
		}
		err = set_frame(s, &r.frames[0], name, NULL, 0, 0);
		if (err == 0)
			r.nframes = 1;
		break;
	}
	case PM_NONE:
		break;
	}
	if (err < 0)
		return err;
out:
	count(s, &r);
	*ret = r;
	return 0;
}

/* --- kernel ------------------------------------------------------------------------ */

/* Build-id from a raw ELF note blob (/sys/kernel/notes or a module's). */
static char *read_note_build_id(const char *path)
{
	unsigned char buf[4096];
	size_t off = 0, n;
	char *hex = NULL;
	FILE *f = fopen(path, "re");

	if (!f)
		return strdup("");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (off + 12 <= n) {
		uint32_t namesz, descsz, type;
		size_t name_off, desc_off;

		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + ((namesz + 3u) & ~3u);
		if (desc_off + descsz > n || descsz > 64)
			break;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(buf + name_off, "GNU", 4) == 0) {
			hex = malloc(2 * descsz + 1);
			if (!hex)
				return NULL;
			for (uint32_t i = 0; i < descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", buf[desc_off + i]);
			hex[2 * descsz] = '\0';
			return hex;
		}
		off = desc_off + ((descsz + 3u) & ~3u);
	}
	return strdup("");
}

static void kernel_unload(struct sym_session *s)
{
	for (size_t i = 0; i < s->nkmaps; i++) {
		free((char *)s->kmaps[i].path);
		free((char *)s->kmaps[i].build_id);
	}
	free(s->kmaps);
	s->kmaps = NULL;
	s->nkmaps = 0;
	sym_kallsyms__free(s->ksyms);
	s->ksyms = NULL;
	s->kernel_loaded = false;
}

/* Read /proc/kallsyms once and make one mapping per module (0: the core). */
static int kernel_load(struct sym_session *s)
{
	size_t nmods;

	if (s->kernel_loaded)
		return 0;
	s->ksyms = sym_kallsyms__load(); /* NULL: unreadable; names nothing */
	if (!s->ksyms && errno == ENOMEM)
		return -ENOMEM;
	nmods = s->ksyms ? sym_kallsyms__nmodules(s->ksyms) : 1;
	s->kmaps = calloc(nmods, sizeof(*s->kmaps));
	if (!s->kmaps)
		goto out_unload;
	s->nkmaps = nmods;
	for (size_t i = 0; i < nmods; i++) {
		struct sym_mapping *m = &s->kmaps[i];
		const char *name = NULL;
		char path[PATH_MAX];

		m->start = KERNEL_HALF;
		m->limit = UINT64_MAX;
		if (s->ksyms && sym_kallsyms__count(s->ksyms))
			sym_kallsyms__module(s->ksyms, (uint32_t)i, &name, &m->start, &m->limit);
		if (i == 0) {
			m->path = strdup("[kernel.kallsyms]");
			m->build_id = read_note_build_id("/sys/kernel/notes");
		} else {
			char *p = NULL;

			if (asprintf(&p, "[%s]", name) < 0)
				p = NULL;
			m->path = p;
			snprintf(path, sizeof(path), "/sys/module/%s/notes/.note.gnu.build-id", name);
			m->build_id = read_note_build_id(path);
		}
		if (!m->path || !m->build_id)
			goto out_unload;
	}
	s->kernel_loaded = true;
	return 0;

out_unload:
	kernel_unload(s);
	return -ENOMEM;
}

int sym_session__resolve_kernel(struct sym_session *s, uint64_t addr, bool is_return_address,
				struct sym_result *ret)
{
	struct sym_result r = { 0 };
	struct sym_ksym ks;
	uint64_t a = is_return_address && addr ? addr - 1 : addr;
	int err;

	err = kernel_load(s);
	if (err < 0)
		return err;
	if (!s->ksyms || sym_kallsyms__restricted(s->ksyms) || !sym_kallsyms__count(s->ksyms)) {
		/* nothing to name it with, but it is the kernel's */
		if (a >= KERNEL_HALF)
			r.mapping = &s->kmaps[0];
		goto out;
	}
	if (sym_kallsyms__lookup(s->ksyms, a, &ks) < 0) {
		for (size_t i = 0; i < s->nkmaps; i++)
			if (a >= s->kmaps[i].start && a < s->kmaps[i].limit)
				r.mapping = &s->kmaps[i];
		goto out;
	}
	r.mapping = &s->kmaps[ks.module_idx];
	err = set_frame(s, &r.frames[0], ks.name, NULL, 0, 0);
	if (err < 0)
		return err;
	r.nframes = 1;
out:
	count(s, &r);
	*ret = r;
	return 0;
}

/* --- unwinding ------------------------------------------------------------------------ */

static void uw_entry_free(struct sym_session *s, struct uw_entry *e)
{
	strmap__remove(s->uw_tables, e->key);
	lru_unlink(&e->lru);
	s->uw_bytes -= e->bytes;
	uw_table__free(e->table);
	free(e->key);
	free(e);
}

/* Make room for need bytes, oldest first, sparing the tables the current
 * unwind uses (its caller may still hold them): the bound can be exceeded by
 * the tables of one stack, until the next unwind. */
static void uw_evict(struct sym_session *s, size_t need)
{
	while (s->uw_bytes + need > s->max_unwind_bytes && s->uw_lru.prev != &s->uw_lru) {
		struct uw_entry *e = container_of(s->uw_lru.prev, struct uw_entry, lru);

		if (e->epoch == s->uw_epoch)
			break;
		uw_entry_free(s, e);
		s->stats.unwind_tables_evicted++;
	}
}

static Elf *uw_debug_elf(void *ctx)
{
	return sym_elf__debug_elf(ctx);
}

/* The unwind table entry of a file or vDSO mapping, compiled on first need.
 * NULL when the binary cannot be opened now (not remembered) or on ENOMEM. */
static struct uw_entry *uw_get(struct sym_session *s, struct proc *p, struct pmap *pm)
{
	const char *key = pm->kind == PM_VDSO ? "vdso" : pm->bin_key;
	struct uw_entry *e;
	struct sym_elf *elf;
	GElf_Ehdr eh;
	size_t phnum;
	uint64_t t0;
	Elf *raw;

	if (!key)
		return NULL;
	e = strmap__get(s->uw_tables, key);
	if (e)
		goto out_touch;
	elf = mapping_elf(s, p, pm);
	raw = elf ? sym_elf__elf(elf) : NULL;
	if (!raw)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	lru_init(&e->lru);
	e->key = strdup(key);
	if (!e->key)
		goto out_free;
	if (gelf_getehdr(raw, &eh))
		e->entry = eh.e_entry;
	if (elf_getphdrnum(raw, &phnum) == 0) {
		for (size_t i = 0; i < phnum && e->nloads < UW_MAX_LOADS; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(raw, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			e->loads[e->nloads].offset = ph.p_offset;
			e->loads[e->nloads].vaddr = ph.p_vaddr;
			e->loads[e->nloads].filesz = ph.p_filesz;
			e->loads[e->nloads++].exec = ph.p_flags & PF_X;
		}
	}
	/* Look for the separate debug file now, while /proc/PID/root still leads
	 * to the binary's directory (.gnu_debuglink): symbolization comes later,
	 * often after the process exited, and reuses what libdwfl found. */
	sym_elf__debug_elf(elf);
	t0 = now_ns();
	e->table = uw_table__build(raw, uw_debug_elf, elf);
	if (!e->table && errno == ENOMEM)
		goto out_free;
	s->stats.unwind_build_ns += now_ns() - t0;
	s->stats.unwind_tables_built++;
	if (e->table) {
		s->stats.unwind_rows_unsupported += uw_table__stats(e->table)->unsupported;
		s->stats.unwind_cfi_dropped += uw_table__dropped(e->table);
	}
	e->bytes = sizeof(*e) + strlen(key) + 1 + (e->table ? uw_table__stats(e->table)->bytes : 0);
	uw_evict(s, e->bytes);
	if (strmap__put(s->uw_tables, key, e) < 0)
		goto out_free;
	s->uw_bytes += e->bytes;
	lru_push_front(&s->uw_lru, &e->lru);
out_touch:
	e->epoch = s->uw_epoch;
	lru_touch(&s->uw_lru, &e->lru);
	return e;

out_free:
	uw_table__free(e->table);
	free(e->key);
	free(e);
	return NULL;
}

/* File offset -> vaddr through the saved PT_LOADs, executable ones first. */
static int uw_entry_vaddr(const struct uw_entry *e, uint64_t offset, uint64_t *ret)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < e->nloads; i++) {
			if (pass == 0 && !e->loads[i].exec)
				continue;
			if (offset >= e->loads[i].offset && offset - e->loads[i].offset < e->loads[i].filesz) {
				*ret = offset - e->loads[i].offset + e->loads[i].vaddr;
				return 0;
			}
		}
	return -ENOENT;
}

struct uw_ctx {
	struct sym_session *s;
	struct proc *p;
};

static int uw_find(void *ctx, uint64_t addr, struct uw_object *ret)
{
	struct uw_ctx *c = ctx;
	struct pmap *pm = find_mapping(c->p, addr);
	struct uw_entry *e;
	uint64_t vaddr;
	int err;

	if (!pm && now_ns() - c->p->recaptured_ns >= RECAPTURE_NS) {
		/* mapped after the capture (ld.so, dlopen): look again while it lives */
		c->p->recaptured_ns = now_ns();
		err = sym_session__exec(c->s, c->p->pid, c->p->start_ticks);
		if (err == -ENOMEM)
			return err;
		pm = find_mapping(c->p, addr);
	}
	if (!pm)
		return -ENOENT;
	*ret = (struct uw_object){ .start = pm->pub.start, .limit = pm->pub.limit,
				   .name = pm->pub.path };
	if (pm->kind != PM_FILE && pm->kind != PM_VDSO)
		return 0;
	e = uw_get(c->s, c->p, pm);
	if (!e || !e->table)
		return 0;
	if (!pm->uw_bias_set) {
		if (uw_entry_vaddr(e, addr - pm->pub.start + pm->pub.offset, &vaddr) < 0)
			return 0;
		pm->uw_bias = addr - vaddr;
		pm->uw_bias_set = true;
	}
	ret->table = e->table;
	ret->bias = pm->uw_bias;
	if (e->entry) {
		ret->entry_start = e->entry + pm->uw_bias;
		ret->entry_end = ret->entry_start + ENTRY_SPAN;
	}
	return 0;
}

int sym_session__unwind(struct sym_session *s, int pid, uint64_t start_ticks, enum uw_mode mode,
			const struct uw_regs *regs, const struct uw_stack *stack, uint64_t *ips,
			uint32_t max, struct uw_result *ret)
{
	struct uw_ctx c = { .s = s };
	int err;

	if (s->last_proc && s->last_proc->pid == pid && s->last_proc->start_ticks == start_ticks) {
		c.p = s->last_proc;
	} else {
		c.p = proc_get(s, pid, start_ticks);
		if (!c.p) {
			err = sym_session__add_process(s, pid, start_ticks);
			if (err < 0)
				return err;
			c.p = proc_get(s, pid, start_ticks);
			if (!c.p)
				return -ESRCH;
		}
		lru_touch(&s->proc_lru, &c.p->lru);
		s->last_proc = c.p;
	}
	s->uw_epoch++;
	return uw_unwind(mode, regs, stack, uw_find, &c, ips, max, ret);
}

/* --- session ------------------------------------------------------------------------ */

struct sym_session *sym_session__new(const struct sym_opts *opts)
{
	struct sym_session *s = calloc(1, sizeof(*s));
	const char *debug_dir = opts && opts->debug_dir ? opts->debug_dir : DEFAULT_DEBUG_DIR;

	if (!s)
		return NULL;
	s->max_binaries = opts && opts->max_binaries ? opts->max_binaries : DEFAULT_MAX_BINARIES;
	s->max_processes = opts && opts->max_processes ? opts->max_processes : DEFAULT_MAX_PROCESSES;
	s->max_string_bytes = opts && opts->max_string_bytes ? opts->max_string_bytes
							     : DEFAULT_MAX_STRING_BYTES;
	s->max_unwind_bytes = opts && opts->max_unwind_bytes ? opts->max_unwind_bytes
							     : DEFAULT_MAX_UNWIND_BYTES;
	lru_init(&s->proc_lru);
	lru_init(&s->bin_lru);
	lru_init(&s->uw_lru);
	/* libdwfl search string: next to the file, its .debug/, then debug_dir
	 * (by build-id, and by path for .gnu_debuglink) */
	if (asprintf(&s->debuginfo_path, ":.debug:%s", debug_dir) < 0)
		s->debuginfo_path = NULL;
	s->procs = strmap__new();
	s->bins = strmap__new();
	s->bin_files = strmap__new();
	s->demangled = strmap__new();
	s->strings = sym_strtab__new();
	s->uw_tables = strmap__new();
	s->unmapped = strmap__new();
	if (!s->unmapped || !s->debuginfo_path || !s->procs || !s->bins || !s->bin_files || !s->demangled ||
	    !s->strings || !s->uw_tables) {
		sym_session__free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static void free_retired(struct sym_session *s)
{
	while (s->retired_procs) {
		struct proc *p = s->retired_procs;

		s->retired_procs = p->retired_next;
		proc_free(p);
	}
	while (s->retired_maps) {
		struct retired_maps *r = s->retired_maps;

		s->retired_maps = r->next;
		free_maps(r->maps, r->nmaps);
		free(r);
	}
}

void sym_session__flush(struct sym_session *s)
{
	free_retired(s);
	if (sym_strtab__bytes(s->strings) > s->max_string_bytes) {
		strmap__clear(s->demangled);
		sym_strtab__reset(s->strings);
	}
}

void sym_session__free(struct sym_session *s)
{
	if (!s)
		return;
	while (s->proc_lru.next != &s->proc_lru)
		proc_retire(s, container_of(s->proc_lru.next, struct proc, lru));
	free_retired(s);
	while (s->bin_lru.next != &s->bin_lru)
		bin_free(s, container_of(s->bin_lru.next, struct bin, lru));
	while (s->uw_lru.next != &s->uw_lru)
		uw_entry_free(s, container_of(s->uw_lru.next, struct uw_entry, lru));
	strmap__free(s->uw_tables);
	sym_elf__free(s->vdso);
	kernel_unload(s);
	strmap__free(s->procs);
	strmap__free(s->unmapped);
	strmap__free(s->bins);
	strmap__free(s->bin_files);
	strmap__free(s->demangled);
	sym_strtab__free(s->strings);
	free(s->debuginfo_path);
	free(s);
}

void sym_session__stats(const struct sym_session *s, struct sym_stats *ret)
{
	*ret = s->stats;
	ret->processes_cached = strmap__count(s->procs);
	ret->binaries_cached = strmap__count(s->bins);
	ret->unwind_tables_cached = s->uw_tables ? strmap__count(s->uw_tables) : 0;
	ret->unwind_table_bytes = s->uw_bytes;
}
