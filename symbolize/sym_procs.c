// SPDX-License-Identifier: MIT
/* sym_procs: processes in a base/strmap on "pid:start_ticks" plus an LRU
 * list. A capture builds the executable mappings from /proc/PID/maps
 * (checking the start time around the read, so a pid reused meanwhile is
 * noticed) or from kernel events. Mappings refer to binaries by key (see
 * sym_bins.h) and own their strings. Depends on sym_bins, sym_jit,
 * proc_maps, proc_events and base/ only.
 */
#include "symbolize/sym_procs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/proc.h"
#include "base/strmap.h"
#include "symbolize/sym_proc_events.h"
#include "symbolize/sym_proc_maps.h"

struct retired_maps {
	struct retired_maps *next;
	struct sym_pmap *maps;
	size_t nmaps;
};

struct sym_procs {
	size_t max_processes;
	struct sym_bins *bins;     /* borrowed */
	struct strmap *procs;
	struct sym_lru lru;        /* next = most recently used */
	struct sym_proc *retired_procs;
	struct retired_maps *retired_maps;
	struct sym_proc *last;     /* sym_procs__get_recent()'s one-entry cache */
	struct sym_proc *hit;      /* sym_procs__get()'s: no LRU touch */

	struct sym_proc_events *events; /* kernel-reported maps; borrowed */
	int (*pump)(void *ctx);
	void *pump_ctx;
	struct strmap *unmapped;   /* keys of processes captured without maps */

	struct sym_procs_stats stats;
};

static void proc_key(char buf[32], int pid, uint64_t start_ticks)
{
	char *p = fmt__u64(buf, (uint32_t)pid);

	*p++ = ':';
	fmt__u64(p, start_ticks);
}

/* Last NSpid entry in /proc/PID/status: the pid as the process sees itself. */
static int read_nspid(int pid)
{
	long v;

	if (proc__status_field(pid, "NSpid", &v) || v <= 0 || v > INT_MAX)
		return pid;
	return (int)v;
}

static bool proc_alive(const struct sym_proc *p)
{
	uint64_t st;

	return proc__start_ticks(p->pid, &st) == 0 && st == p->start_ticks;
}

static void free_maps(struct sym_pmap *maps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)maps[i].pub.path);
		free((char *)maps[i].pub.build_id);
		free(maps[i].bin.key);
	}
	free(maps);
}

static void proc_free(struct sym_proc *p)
{
	if (!p)
		return;
	free_maps(p->maps, p->nmaps);
	sym_jit__release(&p->jit);
	free(p);
}

/* A mapping the kernel gave a build-id (sym_proc_events.h): a file found under
 * its path that is another build is not it; a file not found (the process is
 * gone, its mount namespace too) is the cached binary of that build-id, if
 * any. Either way the mapping carries the kernel's build-id. -ENOMEM. */
static int kernel_build_id(struct sym_procs *t, const struct sym_proc_maps_entry *me,
			   struct sym_pmap *pm)
{
	int err;

	if (pm->kind == SYM_PMAP_FILE && !strcmp(me->build_id, pm->pub.build_id))
		return 0;
	free(pm->bin.key);
	free((char *)pm->pub.build_id);
	pm->bin.key = NULL;
	pm->pub.build_id = NULL;
	pm->kind = SYM_PMAP_NONE;
	err = sym_bins__key_for_build_id(t->bins, me->build_id, &pm->bin.key);
	if (err < 0)
		return err;
	if (pm->bin.key)
		pm->kind = SYM_PMAP_FILE;
	pm->pub.build_id = strdup(me->build_id);
	return pm->pub.build_id ? 0 : -ENOMEM;
}

/* Build the executable mappings of a process from its maps. */
static int build_maps(struct sym_procs *t, struct sym_proc *p, const struct sym_proc_maps *m,
		      struct sym_pmap **ret_maps, size_t *ret_n)
{
	struct sym_pmap *maps;
	size_t n = 0;
	int has_perf_map = -1;	/* looked for at the first anonymous code */
	const char *dump = NULL;
	int err = 0;

	/* a JIT that writes a jitdump maps it executable for profilers to find */
	for (size_t i = 0; i < m->n && !dump; i++)
		if (sym_proc_maps_entry__executable(&m->entries[i]) &&
		    sym_jit__is_dump_path(m->entries[i].path))
			dump = m->entries[i].path;
	if (sym_jit__set_dump(&p->jit, dump) < 0)
		return -ENOMEM;
	if (dump)
		has_perf_map = 1;
	p->runtime = SYM_RUNTIME_NONE;
	for (size_t i = 0; i < m->n && !p->runtime; i++)
		if (sym_proc_maps_entry__executable(&m->entries[i]))
			p->runtime = sym_runtime__of_path(m->entries[i].path);
	maps = calloc(m->n ? m->n : 1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const struct sym_proc_maps_entry *me = &m->entries[i];
		struct sym_pmap *pm = &maps[n];
		const char *path = me->path;

		if (!sym_proc_maps_entry__executable(me))
			continue;
		n++;
		pm->pub.start = me->start;
		pm->pub.limit = me->end;
		pm->pub.offset = me->offset;
		pm->pre_exec = me->pre_exec;
		pm->bin.st_ino = me->inode;
		if (path[0] == '/') {
			char *build_id = NULL;

			pm->kind = SYM_PMAP_NONE;
			/* the kernel named its build-id and that binary is open
			 * already: opening the file again (through /proc/PID/root,
			 * then map_files: the record has no inode) tells no more */
			err = me->build_id[0] ? sym_bins__attach_build_id(t->bins, me->build_id,
									  &pm->bin, &build_id) : 0;
			if (!err)
				err = sym_bins__attach(t->bins, p->pid, me, &pm->bin, &build_id);
			pm->pub.build_id = build_id;
			if (err > 0) {
				pm->kind = SYM_PMAP_FILE;
				err = 0;
			}
		} else if (strcmp(path, "[vdso]") == 0) {
			struct sym_elf *vdso = sym_bins__vdso(t->bins);

			pm->kind = vdso ? SYM_PMAP_VDSO : SYM_PMAP_NONE;
			pm->pub.build_id = strdup(vdso ? sym_elf__build_id(vdso) : "");
		} else if (strcmp(path, "[vsyscall]") == 0) {
			pm->kind = SYM_PMAP_NONE;
		} else {
			pm->kind = SYM_PMAP_ANON;
			/* only a process with anonymous code can have a perf
			 * map: the path walks to look for one are spared the rest */
			if (has_perf_map < 0) {
				if (!p->nspid_read) {
					p->nspid = read_nspid(p->pid);
					p->nspid_read = true;
				}
				has_perf_map = sym_jit__exists(p->pid, p->nspid);
			}
			if (!path[0])
				path = has_perf_map ? "[jit]" : "[anon]";
		}
		if (err < 0)
			goto out_free;
		if (me->build_id[0])
			err = kernel_build_id(t, me, pm);
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
static struct sym_proc_maps *events_maps(struct sym_procs *t, struct sym_proc *p, bool *complete)
{
	struct sym_proc_events_view v;

	if (!t->events)
		return NULL;
	if (t->pump)
		t->pump(t->pump_ctx);
	if (sym_proc_events__lookup(t->events, p->pid, p->start_ticks, &v) < 0)
		return NULL;
	if (v.comm[0])
		snprintf(p->comm, sizeof(p->comm), "%s", v.comm);
	*complete = v.complete;
	return v.maps;
}

int sym_procs__events_match(struct sym_procs *t, int pid, uint64_t start_ticks,
			    bool (*pred)(const char *path))
{
	if (!t->events)
		return -ENOENT;
	if (t->pump)
		t->pump(t->pump_ctx);
	return sym_proc_events__match(t->events, pid, start_ticks, pred);
}

bool sym_procs__events_cover(struct sym_procs *t, const struct sym_proc *p, uint64_t addr)
{
	if (!t->events)
		return false;
	if (t->pump)
		t->pump(t->pump_ctx);
	return sym_proc_events__covers(t->events, p->pid, p->start_ticks, addr);
}

/* Build p's mappings from kernel events alone. */
static int capture_events(struct sym_procs *t, struct sym_proc *p, struct sym_proc_maps *m)
{
	struct sym_pmap *maps;
	size_t n;
	int err = build_maps(t, p, m, &maps, &n);

	sym_proc_maps__free(m);
	if (err < 0)
		return err;
	if (!n && p->nmaps) {
		free_maps(maps, n);
		return -ESRCH;
	}
	p->maps = maps;
	p->nmaps = n;
	t->stats.from_events++;
	return 0;
}

/* Read maps (and check the start time around it, so a pid reused meanwhile
 * is noticed) into new mappings for p; kernel events answer for a process
 * they know completely, or that /proc cannot show. */
static int capture(struct sym_procs *t, struct sym_proc *p)
{
	struct sym_proc_maps *m, *ev;
	bool complete = false;
	struct sym_pmap *maps;
	size_t n;
	uint64_t st;
	int err;

	ev = events_maps(t, p, &complete);
	if (ev && complete && ev->n) {
		if (!p->comm[0])
			proc__comm(p->pid, p->comm, sizeof(p->comm));
		return capture_events(t, p, ev);
	}
	err = proc__start_ticks(p->pid, &st);
	m = err < 0 || st != p->start_ticks ? NULL : sym_proc_maps__read(p->pid);
	if (!m) {
		if (ev)
			return capture_events(t, p, ev);
		return err == 0 && errno == ENOMEM ? -ENOMEM : -ESRCH;
	}
	proc__comm(p->pid, p->comm, sizeof(p->comm));
	err = build_maps(t, p, m, &maps, &n);
	sym_proc_maps__free(m);
	if (err < 0)
		goto out_free_ev;
	if (!n && ev) {
		/* a zombie shows no maps: the kernel told us what it ran */
		free_maps(maps, n);
		return capture_events(t, p, ev);
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
static void mark_unmapped(struct sym_procs *t, const char *key, bool unmapped)
{
	if (!unmapped) {
		if (strmap__remove(t->unmapped, key) == 0)
			t->stats.unmapped--;
		return;
	}
	if (strmap__get(t->unmapped, key))
		return;
	if (strmap__count(t->unmapped) >= t->max_processes)
		strmap__clear(t->unmapped);
	if (strmap__put(t->unmapped, key, (void *)1) == 0)
		t->stats.unmapped++;
}

static void proc_retire(struct sym_procs *t, struct sym_proc *p)
{
	if (t->last == p)
		t->last = NULL;
	if (t->hit == p)
		t->hit = NULL;
	strmap__remove(t->procs, p->key);
	sym_lru__unlink(&p->lru);
	p->retired_next = t->retired_procs;
	t->retired_procs = p;
}

struct sym_procs *sym_procs__new(size_t max_processes, struct sym_bins *bins)
{
	struct sym_procs *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max_processes = max_processes;
	t->bins = bins;
	sym_lru__init(&t->lru);
	t->procs = strmap__new();
	t->unmapped = strmap__new();
	if (!t->procs || !t->unmapped) {
		sym_procs__free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void sym_procs__free(struct sym_procs *t)
{
	struct sym_lru *n;

	if (!t)
		return;
	while ((n = sym_lru__newest(&t->lru)))
		proc_retire(t, sym_lru__entry(n, struct sym_proc, lru));
	sym_procs__flush(t);
	strmap__free(t->procs);
	strmap__free(t->unmapped);
	free(t);
}

void sym_procs__set_events(struct sym_procs *t, struct sym_proc_events *pe,
			   int (*pump)(void *ctx), void *ctx)
{
	t->events = pe;
	t->pump = pe ? pump : NULL;
	t->pump_ctx = ctx;
}

struct sym_proc *sym_procs__get(struct sym_procs *t, int pid, uint64_t start_ticks)
{
	struct sym_proc *p;
	char key[48];

	/* callers ask for one process many times in a row (each frame of a
	 * stack): the last one found answers without a key or a hash */
	if (t->hit && t->hit->pid == pid && t->hit->start_ticks == start_ticks)
		return t->hit;
	proc_key(key, pid, start_ticks);
	p = strmap__get(t->procs, key);
	if (p)
		t->hit = p;
	return p;
}

struct sym_proc *sym_procs__get_recent(struct sym_procs *t, int pid, uint64_t start_ticks)
{
	struct sym_proc *p;

	if (t->last && t->last->pid == pid && t->last->start_ticks == start_ticks)
		return t->last;
	p = sym_procs__get(t, pid, start_ticks);
	if (p) {
		sym_procs__touch(t, p);
		t->last = p;
	}
	return p;
}

void sym_procs__touch(struct sym_procs *t, struct sym_proc *p)
{
	sym_lru__touch(&t->lru, &p->lru);
}

int sym_procs__add(struct sym_procs *t, int pid, uint64_t start_ticks)
{
	struct sym_proc *p = sym_procs__get(t, pid, start_ticks);
	struct sym_lru *old;
	int err;

	if (p) {
		sym_procs__touch(t, p);
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
	proc_key(p->key, pid, start_ticks);
	sym_lru__init(&p->lru);
	err = capture(t, p);
	if (err != -ENOMEM)
		mark_unmapped(t, p->key, err < 0 || !p->nmaps);
	if (err < 0)
		goto out_free;
	while (strmap__count(t->procs) >= t->max_processes && (old = sym_lru__oldest(&t->lru))) {
		proc_retire(t, sym_lru__entry(old, struct sym_proc, lru));
		t->stats.evicted++;
	}
	if (strmap__put(t->procs, p->key, p) < 0) {
		err = -ENOMEM;
		goto out_free;
	}
	sym_lru__push_front(&t->lru, &p->lru);
	t->stats.processes++;
	return 0;

out_free:
	proc_free(p);
	return err;
}

int sym_procs__exec(struct sym_procs *t, int pid, uint64_t start_ticks)
{
	struct sym_proc *p = sym_procs__get(t, pid, start_ticks);
	struct retired_maps *r;
	struct sym_pmap *old;
	size_t nold;
	int err;

	if (!p)
		return sym_procs__add(t, pid, start_ticks);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	old = p->maps;
	nold = p->nmaps;
	err = capture(t, p);
	if (err < 0) {
		free(r);
		return err;
	}
	if (p->nmaps)
		mark_unmapped(t, p->key, false);
	/* earlier results may still point at the old mappings */
	r->maps = old;
	r->nmaps = nold;
	r->next = t->retired_maps;
	t->retired_maps = r;
	sym_jit__reset(&p->jit);
	sym_procs__touch(t, p);
	return 0;
}

int sym_procs__remove(struct sym_procs *t, int pid, uint64_t start_ticks)
{
	struct sym_proc *p = sym_procs__get(t, pid, start_ticks);

	if (!p)
		return -ENOENT;
	proc_retire(t, p);
	return 0;
}

struct sym_pmap *sym_procs__find_mapping(const struct sym_proc *p, uint64_t addr)
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

struct sym_elf *sym_procs__elf(struct sym_procs *t, struct sym_proc *p, struct sym_pmap *pm)
{
	struct sym_elf *elf;

	if (pm->kind == SYM_PMAP_VDSO)
		return sym_bins__vdso(t->bins);
	if (!pm->bin.key)
		return NULL;
	elf = sym_bins__get(t->bins, &pm->bin);
	if (elf || pm->bin.reopen_failed)
		return elf;
	return sym_bins__reopen(t->bins, &pm->bin, p->pid, proc_alive(p), pm->pub.start,
				pm->pub.limit, pm->pub.path, pm->pub.build_id);
}

void sym_procs__flush(struct sym_procs *t)
{
	while (t->retired_procs) {
		struct sym_proc *p = t->retired_procs;

		t->retired_procs = p->retired_next;
		proc_free(p);
	}
	while (t->retired_maps) {
		struct retired_maps *r = t->retired_maps;

		t->retired_maps = r->next;
		free_maps(r->maps, r->nmaps);
		free(r);
	}
}

size_t sym_procs__count(const struct sym_procs *t)
{
	return strmap__count(t->procs);
}

const struct sym_procs_stats *sym_procs__stats(const struct sym_procs *t)
{
	return &t->stats;
}
