// SPDX-License-Identifier: MIT
/* Generations in creation order on one list (the bound evicts from its head)
 * and by pid in a hash whose value is the newest generation of that pid, the
 * older ones chained behind it. Maps are kept sorted and disjoint: a new
 * mapping replaces whatever it overlaps, as mmap(MAP_FIXED) does (there is
 * no munmap record; a stale entry only answers addresses nothing else maps).
 * Depends on sym_proc_maps and base/ (proc, strmap, vec) only; never prints.
 */
#define _GNU_SOURCE
#include "symbolize/sym_proc_events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/fmt.h"
#include "base/hex.h"
#include "base/proc.h"
#include "base/strmap.h"
#include "base/vec.h"

#define DEFAULT_MAX_PROCESSES 65536
#define NS_PER_TICK 10000000ull	/* USER_HZ 100 */
#define DELETED " (deleted)"

struct pe_map {
	uint64_t start, end, pgoff;
	uint32_t maj, min;
	uint64_t ino;
	char *path;
	char build_id[41];
};

struct gen {
	int pid;
	uint64_t start_ticks;
	bool start_known;	/* false: first seen by an mmap, start unknown: matches any */
	bool estimated;		/* start_ticks from the FORK time */
	bool complete, exited;
	uint64_t exit_epoch;
	struct pe_map *maps, *old;
	size_t n, cap, nold;
	char comm[16];
	struct gen *older;	/* same pid */
	struct gen *prev, *next; /* creation order */
};

struct sym_proc_events {
	size_t max;
	bool read_proc;
	struct strmap *by_pid;
	struct gen *head, *tail;
	size_t count;
	uint64_t epoch;
	sym_proc_events_forget_fn on_forget;
	void *forget_ctx;
	struct sym_proc_events_stats stats;
};

static void pid_key(char buf[16], int pid)
{
	fmt__u64(buf, (uint32_t)pid);
}

static void maps_free(struct pe_map *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].path);
	free(m);
}

static struct gen *newest(struct sym_proc_events *pe, int pid)
{
	char key[16];

	pid_key(key, pid);
	return strmap__get(pe->by_pid, key);
}

static void gen_remove(struct sym_proc_events *pe, struct gen *g)
{
	char key[16];
	struct gen *first = newest(pe, g->pid);

	pid_key(key, g->pid);
	if (first == g) {
		if (g->older)
			(void)!strmap__put(pe->by_pid, key, g->older); /* replaces: cannot fail */
		else
			strmap__remove(pe->by_pid, key);
	} else {
		for (struct gen *p = first; p; p = p->older)
			if (p->older == g) {
				p->older = g->older;
				break;
			}
	}
	if (g->prev)
		g->prev->next = g->next;
	else
		pe->head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		pe->tail = g->prev;
	pe->count--;
	maps_free(g->maps, g->n);
	maps_free(g->old, g->nold);
	free(g);
}

static struct gen *gen_new(struct sym_proc_events *pe, int pid)
{
	char key[16];
	struct gen *g;

	while (pe->count >= pe->max && pe->head) {
		gen_remove(pe, pe->head);
		pe->stats.evicted++;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->pid = pid;
	g->older = newest(pe, pid);
	pid_key(key, pid);
	if (strmap__put(pe->by_pid, key, g) < 0) {
		free(g);
		return NULL;
	}
	g->prev = pe->tail;
	if (pe->tail)
		pe->tail->next = g;
	else
		pe->head = g;
	pe->tail = g;
	pe->count++;
	return g;
}

/* Insert m (path already owned) keeping maps sorted and disjoint. */
static int maps_insert(struct gen *g, struct pe_map *m)
{
	size_t i = 0, j;

	while (i < g->n && g->maps[i].end <= m->start)
		i++;
	for (j = i; j < g->n && g->maps[j].start < m->end; j++)
		free(g->maps[j].path);
	/* entries [i, j) overlap m: replace them with m */
	if (j == i) {
		if (VEC_RESERVE(g->maps, g->n, g->cap, 1))
			return -ENOMEM;
		memmove(&g->maps[i + 1], &g->maps[i], (g->n - i) * sizeof(*m));
		g->n++;
	} else if (j - i > 1) {
		memmove(&g->maps[i + 1], &g->maps[j], (g->n - j) * sizeof(*m));
		g->n -= j - i - 1;
	}
	g->maps[i] = *m;
	return 0;
}

static int maps_copy(struct pe_map **ret, size_t *ret_n, size_t *ret_cap, const struct pe_map *src,
		     size_t n)
{
	struct pe_map *m = calloc(n ? n : 1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		m[i] = src[i];
		m[i].path = strdup(src[i].path);
		if (!m[i].path) {
			maps_free(m, i);
			return -ENOMEM;
		}
	}
	*ret = m;
	*ret_n = n;
	*ret_cap = n ? n : 1;
	return 0;
}

/* A parent we never saw: its maps as /proc shows them now. */
static struct gen *read_parent(struct sym_proc_events *pe, int ppid)
{
	struct sym_proc_maps *pm;
	uint64_t st;
	struct gen *g;

	if (!pe->read_proc || proc__start_ticks(ppid, &st) < 0)
		return NULL;
	pm = sym_proc_maps__read(ppid);
	if (!pm)
		return NULL;
	g = gen_new(pe, ppid);
	if (!g)
		goto out;
	g->start_ticks = st;
	g->start_known = true;
	g->complete = true;
	for (size_t i = 0; i < pm->n; i++) {
		const struct sym_proc_maps_entry *e = &pm->entries[i];
		struct pe_map m = { .start = e->start, .end = e->end, .pgoff = e->offset,
				    .maj = e->dev_major, .min = e->dev_minor, .ino = e->inode };

		if (!sym_proc_maps_entry__executable(e))
			continue;
		m.path = strdup(e->path);
		if (!m.path || maps_insert(g, &m) < 0) {
			free(m.path);
			g->complete = false;
			break;
		}
	}
	pe->stats.parents_read++;
out:
	sym_proc_maps__free(pm);
	return g;
}

int sym_proc_events__fork(struct sym_proc_events *pe, int pid, int ppid, uint64_t time_ns)
{
	struct gen *parent = newest(pe, ppid);
	struct gen *g;
	int err = 0;

	if (!parent || parent->exited)
		parent = read_parent(pe, ppid);
	g = gen_new(pe, pid);
	if (!g)
		return -ENOMEM;
	pe->stats.forks++;
	g->start_ticks = time_ns / NS_PER_TICK;
	g->start_known = true;
	g->estimated = true;
	if (!parent)
		return 0;
	g->complete = parent->complete;
	memcpy(g->comm, parent->comm, sizeof(g->comm));
	err = maps_copy(&g->maps, &g->n, &g->cap, parent->maps, parent->n);
	if (!err)
		err = maps_copy(&g->old, &g->nold, &(size_t){ 0 }, parent->old, parent->nold);
	if (err)
		g->complete = false;
	return err;
}

static void set_comm(struct gen *g, const char *comm)
{
	if (comm)
		snprintf(g->comm, sizeof(g->comm), "%s", comm);
}

/* The newest generation of pid, made (start unknown) when there is none. */
static struct gen *get_or_new(struct sym_proc_events *pe, int pid)
{
	struct gen *g = newest(pe, pid);
	uint64_t st;

	if (g && !g->exited)
		return g;
	g = gen_new(pe, pid);
	if (g && pe->read_proc && proc__start_ticks(pid, &st) == 0) {
		g->start_ticks = st;
		g->start_known = true;
	}
	return g;
}

int sym_proc_events__exec(struct sym_proc_events *pe, int pid, const char *comm)
{
	struct gen *g = get_or_new(pe, pid);

	if (!g)
		return -ENOMEM;
	pe->stats.execs++;
	maps_free(g->old, g->nold);
	g->old = g->maps;
	g->nold = g->n;
	g->maps = NULL;
	g->n = g->cap = 0;
	g->complete = true;
	set_comm(g, comm);
	return 0;
}

int sym_proc_events__comm(struct sym_proc_events *pe, int pid, const char *comm)
{
	struct gen *g = newest(pe, pid);

	if (g && !g->exited)
		set_comm(g, comm);
	return 0;
}

int sym_proc_events__mmap(struct sym_proc_events *pe, int pid, const struct sym_proc_events_map *m)
{
	struct pe_map pm = { .start = m->start, .end = m->start + m->len, .pgoff = m->pgoff,
			     .maj = m->maj, .min = m->min, .ino = m->ino };
	struct gen *g;
	size_t plen;

	if (!(m->prot & PROT_EXEC) || !m->len)
		return 0;
	g = get_or_new(pe, pid);
	if (!g)
		return -ENOMEM;
	pe->stats.mmaps++;
	/* perf names anonymous memory "//anon" where /proc/PID/maps leaves the
	 * path empty: the symbolizer looks for a perf map there (JIT code) */
	pm.path = strdup(!m->path || !strcmp(m->path, "//anon") ||
			 !strcmp(m->path, "/anon_hugepage") ? "" : m->path);
	if (!pm.path)
		return -ENOMEM;
	plen = strlen(pm.path);
	if (plen > strlen(DELETED) && !strcmp(pm.path + plen - strlen(DELETED), DELETED))
		pm.path[plen - strlen(DELETED)] = '\0';
	if (m->build_id)
		hex__encode(pm.build_id, m->build_id, m->build_id_size < 20 ? m->build_id_size : 20);
	if (maps_insert(g, &pm) < 0) {
		free(pm.path);
		g->complete = false;
		return -ENOMEM;
	}
	return 0;
}

int sym_proc_events__exit(struct sym_proc_events *pe, int pid)
{
	struct gen *g = newest(pe, pid);

	if (!g || g->exited)
		return 0;
	pe->stats.exits++;
	g->exited = true;
	g->exit_epoch = pe->epoch;
	return 0;
}

void sym_proc_events__flush(struct sym_proc_events *pe)
{
	struct gen *g = pe->head, *next;

	pe->epoch++;
	for (; g; g = next) {
		next = g->next;
		if (!g->exited || g->exit_epoch + 1 >= pe->epoch)
			continue;
		if (pe->on_forget && g->start_known)
			pe->on_forget(pe->forget_ctx, g->pid, g->start_ticks, g->estimated);
		gen_remove(pe, g);
	}
}

void sym_proc_events__on_forget(struct sym_proc_events *pe, sym_proc_events_forget_fn fn,
				void *ctx)
{
	pe->on_forget = fn;
	pe->forget_ctx = ctx;
}

static bool matches(const struct gen *g, uint64_t start_ticks)
{
	if (!g->start_known)
		return true;
	return g->start_ticks == start_ticks || (g->estimated && g->start_ticks == start_ticks + 1);
}

static bool covered(const struct pe_map *m, size_t n, const struct pe_map *x)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].start < x->end && x->start < m[i].end)
			return true;
	return false;
}

static int view_add(struct sym_proc_maps *v, const struct pe_map *m)
{
	struct sym_proc_maps_entry *e = &v->entries[v->n];

	memset(e, 0, sizeof(*e));
	e->start = m->start;
	e->end = m->end;
	e->offset = m->pgoff;
	e->dev_major = m->maj;
	e->dev_minor = m->min;
	e->inode = m->ino;
	memcpy(e->perms, "r-xp", 5);
	memcpy(e->build_id, m->build_id, sizeof(e->build_id));
	e->path = strdup(m->path);
	if (!e->path)
		return -ENOMEM;
	v->n++;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct sym_proc_maps_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int sym_proc_events__lookup(struct sym_proc_events *pe, int pid, uint64_t start_ticks,
			    struct sym_proc_events_view *ret)
{
	struct gen *g = newest(pe, pid);
	struct sym_proc_maps *v;

	while (g && !matches(g, start_ticks))
		g = g->older;
	if (!g)
		return -ENOENT;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->entries = calloc(g->n + g->nold + 1, sizeof(*v->entries));
	if (!v->entries)
		goto out_free;
	for (size_t i = 0; i < g->n; i++)
		if (view_add(v, &g->maps[i]) < 0)
			goto out_free;
	for (size_t i = 0; i < g->nold; i++) {
		if (covered(g->maps, g->n, &g->old[i]))
			continue;
		if (view_add(v, &g->old[i]) < 0)
			goto out_free;
		v->entries[v->n - 1].pre_exec = true;
	}
	qsort(v->entries, v->n, sizeof(*v->entries), cmp_entry);
	ret->maps = v;
	ret->complete = g->complete;
	memcpy(ret->comm, g->comm, sizeof(ret->comm));
	return 0;

out_free:
	sym_proc_maps__free(v);
	return -ENOMEM;
}

static bool maps_cover(const struct pe_map *m, size_t n, uint64_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].start <= addr && addr < m[i].end)
			return true;
	return false;
}

bool sym_proc_events__covers(const struct sym_proc_events *pe, int pid, uint64_t start_ticks,
			     uint64_t addr)
{
	const struct gen *g = newest((struct sym_proc_events *)pe, pid);

	while (g && !matches(g, start_ticks))
		g = g->older;
	return g && (maps_cover(g->maps, g->n, addr) || maps_cover(g->old, g->nold, addr));
}

int sym_proc_events__match(const struct sym_proc_events *pe, int pid, uint64_t start_ticks,
			   bool (*pred)(const char *path))
{
	const struct gen *g = newest((struct sym_proc_events *)pe, pid);

	while (g && !matches(g, start_ticks))
		g = g->older;
	if (!g)
		return -ENOENT;
	for (size_t i = 0; i < g->n; i++)
		if (pred(g->maps[i].path))
			return 1;
	for (size_t i = 0; i < g->nold; i++)
		if (!covered(g->maps, g->n, &g->old[i]) && pred(g->old[i].path))
			return 1;
	return g->complete ? 0 : -ENOENT;
}

void sym_proc_events__stats(const struct sym_proc_events *pe, struct sym_proc_events_stats *ret)
{
	*ret = pe->stats;
	ret->processes = pe->count;
}

struct sym_proc_events *sym_proc_events__new(const struct sym_proc_events_opts *opts)
{
	struct sym_proc_events *pe = calloc(1, sizeof(*pe));

	if (!pe)
		return NULL;
	pe->max = opts && opts->max_processes ? opts->max_processes : DEFAULT_MAX_PROCESSES;
	pe->read_proc = opts && opts->read_proc;
	pe->by_pid = strmap__new();
	if (!pe->by_pid) {
		free(pe);
		errno = ENOMEM;
		return NULL;
	}
	return pe;
}

void sym_proc_events__free(struct sym_proc_events *pe)
{
	if (!pe)
		return;
	while (pe->head)
		gen_remove(pe, pe->head);
	strmap__free(pe->by_pid);
	free(pe);
}
