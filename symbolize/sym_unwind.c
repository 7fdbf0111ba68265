// SPDX-License-Identifier: MIT
/* sym_unwind: unwind tables in a base/strmap by binary key ("vdso" for the
 * vDSO) and an LRU list counted in bytes; each entry keeps its binary's
 * PT_LOADs and e_entry so file offsets turn into table pcs without the
 * binary. An epoch spares the tables of the stack being unwound from
 * eviction. Depends on sym_procs, sym_bins, unwinder, uw_table, sym_frames
 * (the entry span) and base/ only.
 */
#include "symbolize/sym_unwind.h"

#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strmap.h"
#include "symbolize/sym_frames.h"
#include "symbolize/sym_lru.h"
#include "symbolize/uw_table.h"

/* Recapture a process's maps at most every 50 ms: often enough that a process
 * whose first record arrived while ld.so was still mapping libraries gets its
 * code before it exits, rarely enough that garbage addresses cost little. */
#define RECAPTURE_NS 50000000ull
#define UW_MAX_LOADS 8

/* An unwind table, by binary key. table NULL: the binary has no usable CFI.
 * loads: its PT_LOAD headers, to turn file offsets into vaddrs without it. */
struct uw_entry {
	char *key;
	struct uw_table *table;
	size_t bytes;
	uint64_t epoch;      /* last sym_unwind__stack() that used it */
	struct { uint64_t offset, vaddr, filesz; bool exec; } loads[UW_MAX_LOADS];
	size_t nloads;
	uint64_t entry;      /* e_entry (vaddr), 0 when none */
	uint64_t used_ns;    /* built or last used to unwind a stack copy */
	bool released;       /* table freed, its rows held elsewhere (the kernel's
			      * walk): compiled again on the next need */
	struct sym_lru lru;
};

struct sym_unwind {
	size_t max_bytes;
	struct sym_procs *procs; /* borrowed */
	uint64_t *perf_maps_refused; /* borrowed: SAFE_FILE_NR_REFUSALS counters */
	struct strmap *tables;   /* binary key -> struct uw_entry */
	struct sym_lru lru;
	size_t bytes;
	uint64_t epoch;
	struct sym_unwind_stats stats;
};

static void uw_entry_free(struct sym_unwind *u, struct uw_entry *e)
{
	strmap__remove(u->tables, e->key);
	sym_lru__unlink(&e->lru);
	u->bytes -= e->bytes;
	uw_table__free(e->table);
	free(e->key);
	free(e);
}

/* Make room for need bytes, oldest first, sparing the tables the current
 * unwind uses (its caller may still hold them): the bound can be exceeded by
 * the tables of one stack, until the next unwind. */
static void uw_evict(struct sym_unwind *u, size_t need)
{
	struct sym_lru *old;

	while (u->bytes + need > u->max_bytes && (old = sym_lru__oldest(&u->lru))) {
		struct uw_entry *e = sym_lru__entry(old, struct uw_entry, lru);

		if (e->epoch == u->epoch)
			break;
		uw_entry_free(u, e);
		u->stats.tables_evicted++;
	}
}

static Elf *uw_debug_elf(void *ctx)
{
	return sym_elf__debug_elf(ctx);
}

/* Compile e's table from elf; -ENOMEM or 0 (e->table NULL: no usable CFI). */
static int uw_build(struct sym_unwind *u, struct sym_elf *elf, Elf *raw, struct uw_entry *e)
{
	uint64_t t0;

	/* Look for the separate debug file now, while /proc/PID/root still leads
	 * to the binary's directory (.gnu_debuglink): symbolization comes later,
	 * often after the process exited, and reuses what libdwfl found. */
	sym_elf__debug_elf(elf);
	t0 = clock__mono_ns();
	e->table = uw_table__build(raw, uw_debug_elf, elf);
	if (!e->table && errno == ENOMEM)
		return -ENOMEM;
	u->stats.build_ns += clock__mono_ns() - t0;
	u->stats.tables_built++;
	e->used_ns = clock__mono_ns();
	e->released = false;
	if (e->table) {
		u->stats.rows_unsupported += uw_table__stats(e->table)->unsupported;
		u->stats.cfi_dropped += uw_table__dropped(e->table);
	}
	e->bytes = sizeof(*e) + strlen(e->key) + 1 + (e->table ? uw_table__stats(e->table)->bytes : 0);
	return 0;
}

/* A released entry's table compiled again: -ENOMEM, -ENOENT (the binary
 * cannot be opened now) or 0. */
static int uw_rebuild(struct sym_unwind *u, struct sym_proc *p, struct sym_pmap *pm,
		      struct uw_entry *e)
{
	struct sym_elf *elf = sym_procs__elf(u->procs, p, pm);
	Elf *raw = elf ? sym_elf__elf(elf) : NULL;
	size_t old = e->bytes;
	int err;

	if (!raw)
		return -ENOENT;
	err = uw_build(u, elf, raw, e);
	if (err) {
		e->bytes = old;
		return err;
	}
	u->stats.tables_rebuilt++;
	u->bytes += e->bytes - old;
	uw_evict(u, 0);
	return 0;
}

/* The unwind table entry of a file or vDSO mapping, compiled on first need;
 * with rows, a released one is compiled again. NULL when the binary cannot
 * be opened now (not remembered) or on ENOMEM. */
static struct uw_entry *uw_get(struct sym_unwind *u, struct sym_proc *p, struct sym_pmap *pm,
			       bool rows)
{
	const char *key = pm->kind == SYM_PMAP_VDSO ? "vdso" : pm->bin.key;
	struct uw_entry *e;
	struct sym_elf *elf;
	GElf_Ehdr eh;
	size_t phnum;
	Elf *raw;

	if (!key)
		return NULL;
	e = strmap__get(u->tables, key);
	if (e) {
		e->epoch = u->epoch;	/* spared by the eviction of a rebuild */
		if (rows && e->released && uw_rebuild(u, p, pm, e) == -ENOMEM)
			return NULL;
		goto out_touch;
	}
	elf = sym_procs__elf(u->procs, p, pm);
	raw = elf ? sym_elf__elf(elf) : NULL;
	if (!raw)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	sym_lru__init(&e->lru);
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
	if (uw_build(u, elf, raw, e))
		goto out_free;
	uw_evict(u, e->bytes);
	if (strmap__put(u->tables, key, e) < 0)
		goto out_free;
	u->bytes += e->bytes;
	sym_lru__push_front(&u->lru, &e->lru);
out_touch:
	e->epoch = u->epoch;
	sym_lru__touch(&u->lru, &e->lru);
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
	struct sym_unwind *u;
	struct sym_proc *p;
};

static int uw_find(void *ctx, uint64_t addr, struct uw_object *ret)
{
	struct uw_ctx *c = ctx;
	struct sym_pmap *pm = sym_procs__find_mapping(c->p, addr);
	struct uw_entry *e;
	uint64_t vaddr;
	int err;

	if (!pm && (clock__mono_ns() - c->p->recaptured_ns >= RECAPTURE_NS ||
		    sym_procs__events_cover(c->u->procs, c->p, addr))) {
		/* mapped after the capture (ld.so, dlopen): look again while it
		 * lives, and at once when the kernel's events already know the
		 * mapping: a process that lives 20 ms has no 50 ms to wait */
		c->p->recaptured_ns = clock__mono_ns();
		err = sym_procs__exec(c->u->procs, c->p->pid, c->p->start_ticks);
		if (err == -ENOMEM)
			return err;
		pm = sym_procs__find_mapping(c->p, addr);
	}
	if (!pm)
		return -ENOENT;
	*ret = (struct uw_object){ .start = pm->pub.start, .limit = pm->pub.limit,
				   .name = pm->pub.path };
	if (pm->kind == SYM_PMAP_ANON) {
		/* JIT code has no CFI; the perf map may name code of a known layout */
		if (sym_jit__unwind_rule(&c->p->jit, c->p->pid, c->p->nspid, addr,
					 c->u->perf_maps_refused, &ret->start, &ret->limit,
					 &ret->rule) == 0)
			ret->has_rule = true;
		return 0;
	}
	if (pm->kind != SYM_PMAP_FILE && pm->kind != SYM_PMAP_VDSO)
		return 0;
	e = uw_get(c->u, c->p, pm, true);
	if (!e || !e->table)
		return 0;
	e->used_ns = clock__mono_ns();
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
		ret->entry_end = ret->entry_start + SYM_ENTRY_SPAN;
	}
	return 0;
}

struct sym_unwind *sym_unwind__new(size_t max_bytes, struct sym_procs *procs,
				   uint64_t *perf_maps_refused)
{
	struct sym_unwind *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->max_bytes = max_bytes;
	u->procs = procs;
	u->perf_maps_refused = perf_maps_refused;
	sym_lru__init(&u->lru);
	u->tables = strmap__new();
	if (!u->tables) {
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	return u;
}

void sym_unwind__free(struct sym_unwind *u)
{
	struct sym_lru *n;

	if (!u)
		return;
	while ((n = sym_lru__newest(&u->lru)))
		uw_entry_free(u, sym_lru__entry(n, struct uw_entry, lru));
	strmap__free(u->tables);
	free(u);
}

int sym_unwind__stack(struct sym_unwind *u, struct sym_proc *p, enum uw_mode mode,
		      const struct uw_regs *regs, const struct uw_stack *stack, uint64_t *ips,
		      uint32_t max, struct uw_result *ret)
{
	struct uw_ctx c = { .u = u, .p = p };

	u->epoch++;
	return uw_unwind(mode, regs, stack, uw_find, &c, ips, max, ret);
}

int sym_unwind__objects(struct sym_unwind *u, struct sym_proc *p, sym_unwind_object_fn fn,
			void *ctx)
{
	u->epoch++;
	for (size_t i = 0; i < p->nmaps; i++) {
		struct sym_pmap *pm = &p->maps[i];
		struct sym_unwind_object o = { .start = pm->pub.start, .limit = pm->pub.limit,
					       .offset = pm->pub.offset };
		struct uw_entry *e = NULL;
		uint64_t vaddr;
		int err;

		/* kept to unwind samples taken before the exec: the process no
		 * longer maps it, and its table would only hold kernel memory */
		if (pm->pre_exec)
			continue;
		if (pm->kind == SYM_PMAP_FILE || pm->kind == SYM_PMAP_VDSO)
			e = uw_get(u, p, pm, false);
		if (e && !e->table && !e->released)
			e = NULL;	/* no usable CFI */
		/* the bias as uw_find() sets it, from the mapping's first byte, or
		 * the first of its executable segment (which may start later) */
		if (e && !pm->uw_bias_set &&
		    uw_entry_vaddr(e, pm->pub.offset, &vaddr) == 0) {
			pm->uw_bias = pm->pub.start - vaddr;
			pm->uw_bias_set = true;
		}
		for (size_t j = 0; e && !pm->uw_bias_set && j < e->nloads; j++) {
			uint64_t off = e->loads[j].offset;

			if (e->loads[j].exec && off >= pm->pub.offset &&
			    off - pm->pub.offset < pm->pub.limit - pm->pub.start) {
				pm->uw_bias = pm->pub.start + (off - pm->pub.offset) - e->loads[j].vaddr;
				pm->uw_bias_set = true;
			}
		}
		if (e && pm->uw_bias_set) {
			o.key = e->key;
			o.table = e->table;
			o.bias = pm->uw_bias;
			o.entry = e->entry ? e->entry + pm->uw_bias : 0;
		}
		err = fn(ctx, &o);
		if (err == -ENODATA && o.key && !o.table) {
			/* released, and its rows are wanted again */
			err = uw_rebuild(u, p, pm, e);
			if (err == -ENOMEM)
				return err;
			if (err || !e->table)
				o.key = NULL;	/* as if it had no CFI */
			o.table = e->table;
			err = fn(ctx, &o);
		}
		if (err)
			return err;
	}
	return 0;
}

size_t sym_unwind__release_idle(struct sym_unwind *u, uint64_t idle_ns, size_t keep_bytes,
				bool (*held)(void *ctx, const char *key), void *ctx)
{
	uint64_t now = clock__mono_ns();
	size_t n = 0;

	/* least recently wanted first (a process's push wants its tables) */
	for (struct sym_lru *l = u->lru.prev; l != &u->lru && u->bytes > keep_bytes; l = l->prev) {
		struct uw_entry *e = sym_lru__entry(l, struct uw_entry, lru);
		size_t bytes = sizeof(*e) + strlen(e->key) + 1;

		/* the tables handed out before are valid until this call only */
		if (!e->table || now - e->used_ns < idle_ns || !held(ctx, e->key))
			continue;
		uw_table__free(e->table);
		e->table = NULL;
		e->released = true;
		u->bytes -= e->bytes - bytes;
		e->bytes = bytes;
		u->stats.tables_released++;
		n++;
	}
	return n;
}

size_t sym_unwind__count(const struct sym_unwind *u)
{
	return strmap__count(u->tables);
}

size_t sym_unwind__bytes(const struct sym_unwind *u)
{
	return u->bytes;
}

const struct sym_unwind_stats *sym_unwind__stats(const struct sym_unwind *u)
{
	return &u->stats;
}
