// SPDX-License-Identifier: MIT
/* sym_session: the symbolizer's facade. It owns one of each part and holds
 * the policy between them: the process table (sym_procs) opens binaries into
 * a cache shared by every process (sym_bins); user addresses are named from
 * ELF (sym_frames) or a perf map (sym_jit), kernel addresses from kallsyms
 * (sym_kernel); stacks are unwound through cached tables (sym_unwind).
 * Depends on symbolize/ and base/ only; never prints.
 */
#include "symbolize/sym_session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_bins.h"
#include "symbolize/sym_frames.h"
#include "symbolize/sym_kernel.h"
#include "symbolize/sym_procs.h"
#include "symbolize/sym_python.h"
#include "symbolize/sym_unwind.h"

#define DEFAULT_MAX_BINARIES 256
#define DEFAULT_MAX_PROCESSES 65536
#define DEFAULT_MAX_STRING_BYTES (64u << 20)
#define DEFAULT_MAX_UNWIND_BYTES (256u << 20)
#define DEFAULT_DEBUG_DIR "/usr/lib/debug"

struct sym_session {
	size_t max_string_bytes;
	struct sym_bins *bins;
	struct sym_procs *procs;
	struct sym_frames *frames;
	struct sym_kernel *kernel;
	struct sym_unwind *unwind;
	struct sym_python *python;
	struct sym_stats stats; /* what the facade counts itself: results, perf maps */
};

struct sym_session *sym_session__new(const struct sym_opts *opts)
{
	struct sym_session *s = calloc(1, sizeof(*s));
	const char *debug_dir = opts && opts->debug_dir ? opts->debug_dir : DEFAULT_DEBUG_DIR;
	size_t max_binaries, max_processes, max_unwind_bytes;

	if (!s)
		return NULL;
	max_binaries = opts && opts->max_binaries ? opts->max_binaries : DEFAULT_MAX_BINARIES;
	max_processes = opts && opts->max_processes ? opts->max_processes : DEFAULT_MAX_PROCESSES;
	s->max_string_bytes = opts && opts->max_string_bytes ? opts->max_string_bytes
							     : DEFAULT_MAX_STRING_BYTES;
	max_unwind_bytes = opts && opts->max_unwind_bytes ? opts->max_unwind_bytes
							  : DEFAULT_MAX_UNWIND_BYTES;
	s->bins = sym_bins__new(max_binaries, debug_dir);
	s->procs = s->bins ? sym_procs__new(max_processes, s->bins) : NULL;
	s->unwind = s->procs ? sym_unwind__new(max_unwind_bytes, s->procs,
						    s->stats.perf_maps_refused) : NULL;
	s->frames = sym_frames__new();
	s->kernel = sym_kernel__new();
	s->python = sym_python__new();
	if (!s->bins || !s->procs || !s->unwind || !s->frames || !s->kernel || !s->python) {
		sym_session__free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void sym_session__free(struct sym_session *s)
{
	if (!s)
		return;
	/* the process table and the unwind cache borrow the binaries */
	sym_procs__free(s->procs);
	sym_unwind__free(s->unwind);
	sym_bins__free(s->bins);
	sym_kernel__free(s->kernel);
	sym_frames__free(s->frames);
	sym_python__free(s->python);
	free(s);
}

void sym_session__flush(struct sym_session *s)
{
	sym_procs__flush(s->procs);
	sym_frames__flush(s->frames, s->max_string_bytes);
	sym_python__flush(s->python);
}

struct sym_python *sym_session__python(struct sym_session *s)
{
	return s->python;
}

void sym_session__stats(const struct sym_session *s, struct sym_stats *ret)
{
	const struct sym_bins_stats *b = sym_bins__stats(s->bins);
	const struct sym_procs_stats *p = sym_procs__stats(s->procs);
	const struct sym_unwind_stats *u = sym_unwind__stats(s->unwind);

	*ret = s->stats;
	ret->processes = p->processes;
	ret->processes_evicted = p->evicted;
	ret->processes_unmapped = p->unmapped;
	ret->processes_from_events = p->from_events;
	ret->processes_cached = sym_procs__count(s->procs);
	ret->binaries_opened = b->opened;
	ret->binaries_evicted = b->evicted;
	ret->binaries_shed = b->shed;
	ret->binaries_cached = sym_bins__count(s->bins);
	for (size_t i = 0; i < SAFE_FILE_NR_REFUSALS; i++)
		ret->mapped_files_refused[i] = b->mapped_files_refused[i];
	ret->unwind_tables_built = u->tables_built;
	ret->unwind_tables_evicted = u->tables_evicted;
	ret->unwind_build_ns = u->build_ns;
	ret->unwind_rows_unsupported = u->rows_unsupported;
	ret->unwind_cfi_dropped = u->cfi_dropped;
	ret->unwind_tables_cached = sym_unwind__count(s->unwind);
	ret->unwind_table_bytes = sym_unwind__bytes(s->unwind);
}

/* --- processes ------------------------------------------------------------ */

void sym_session__set_proc_events(struct sym_session *s, struct sym_proc_events *pe,
				  int (*pump)(void *ctx), void *ctx)
{
	sym_procs__set_events(s->procs, pe, pump, ctx);
}

int sym_session__add_process(struct sym_session *s, int pid, uint64_t start_ticks)
{
	return sym_procs__add(s->procs, pid, start_ticks);
}

int sym_session__exec(struct sym_session *s, int pid, uint64_t start_ticks)
{
	return sym_procs__exec(s->procs, pid, start_ticks);
}

int sym_session__remove_process(struct sym_session *s, int pid, uint64_t start_ticks)
{
	return sym_procs__remove(s->procs, pid, start_ticks);
}

int sym_session__process_name(struct sym_session *s, int pid, uint64_t start_ticks, char *buf,
			      size_t len)
{
	struct sym_proc *p = sym_procs__get(s->procs, pid, start_ticks);
	size_t n;

	if (!p || !p->comm[0])
		return -ENOENT;
	n = strlen(p->comm);
	if (n >= len)
		return -ENOSPC;
	memcpy(buf, p->comm, n + 1);
	return 0;
}

enum sym_runtime sym_session__runtime(struct sym_session *s, int pid, uint64_t start_ticks)
{
	struct sym_proc *p = sym_procs__get_recent(s->procs, pid, start_ticks);

	return p ? p->runtime : SYM_RUNTIME_NONE;
}

const struct sym_mapping *sym_session__main_mapping(struct sym_session *s, int pid,
						    uint64_t start_ticks)
{
	struct sym_proc *p = sym_procs__get(s->procs, pid, start_ticks);

	/* maps are sorted by start, and the kernel loads the program below
	 * its mmap area, where ld.so and the libraries go */
	for (size_t i = 0; p && i < p->nmaps; i++)
		if (p->maps[i].kind == SYM_PMAP_FILE)
			return &p->maps[i].pub;
	return NULL;
}

bool sym_session__may_map_python(struct sym_session *s, int pid, uint64_t start_ticks)
{
	return sym_procs__events_match(s->procs, pid, start_ticks,
				       sym_python__is_interpreter_path) != 0;
}

bool sym_session__covers(struct sym_session *s, int pid, uint64_t start_ticks, uint64_t addr)
{
	struct sym_proc *p = sym_procs__get(s->procs, pid, start_ticks);

	return p && sym_procs__find_mapping(p, addr);
}

/* --- resolving ------------------------------------------------------------ */

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
	struct sym_proc *p;
	struct sym_pmap *pm;
	uint64_t a = is_return_address && addr ? addr - 1 : addr;
	int err = 0;

	p = sym_procs__get(s->procs, pid, start_ticks);
	if (!p) {
		err = sym_procs__add(s->procs, pid, start_ticks);
		if (err == -ENOMEM)
			return err;
		err = 0;
		p = sym_procs__get(s->procs, pid, start_ticks);
	}
	if (!p)
		goto out;
	sym_procs__touch(s->procs, p);
	pm = sym_procs__find_mapping(p, a);
	if (!pm)
		goto out;
	r.mapping = &pm->pub;
	switch (pm->kind) {
	case SYM_PMAP_FILE:
	case SYM_PMAP_VDSO: {
		struct sym_elf *elf = sym_procs__elf(s->procs, p, pm);

		if (elf)
			err = sym_frames__from_elf(s->frames, elf, &pm->pub, a, &r);
		break;
	}
	case SYM_PMAP_ANON: {
		const char *name;

		if (sym_jit__lookup(&p->jit, p->pid, p->nspid, a, &name, s->stats.perf_maps_refused) < 0)
			break;
		err = sym_frames__set(s->frames, &r.frames[0], name, NULL, 0, 0);
		if (err == 0)
			r.nframes = 1;
		break;
	}
	case SYM_PMAP_NONE:
		break;
	}
	if (err < 0)
		return err;
out:
	count(s, &r);
	*ret = r;
	return 0;
}

int sym_session__resolve_kernel(struct sym_session *s, uint64_t addr, bool is_return_address,
				struct sym_result *ret)
{
	struct sym_result r = { 0 };
	uint64_t a = is_return_address && addr ? addr - 1 : addr;
	const char *name;
	int err;

	err = sym_kernel__lookup(s->kernel, a, &r.mapping, &name);
	if (err < 0)
		return err;
	if (name) {
		err = sym_frames__set(s->frames, &r.frames[0], name, NULL, 0, 0);
		if (err < 0)
			return err;
		r.nframes = 1;
	}
	count(s, &r);
	*ret = r;
	return 0;
}

/* --- unwinding ------------------------------------------------------------ */

int sym_session__unwind(struct sym_session *s, int pid, uint64_t start_ticks, enum uw_mode mode,
			const struct uw_regs *regs, const struct uw_stack *stack, uint64_t *ips,
			uint32_t max, struct uw_result *ret)
{
	struct sym_proc *p = sym_procs__get_recent(s->procs, pid, start_ticks);
	int err;

	if (!p) {
		err = sym_procs__add(s->procs, pid, start_ticks);
		if (err < 0)
			return err;
		p = sym_procs__get_recent(s->procs, pid, start_ticks);
		if (!p)
			return -ESRCH;
	}
	return sym_unwind__stack(s->unwind, p, mode, regs, stack, ips, max, ret);
}

int sym_session__unwind_objects(struct sym_session *s, int pid, uint64_t start_ticks,
				sym_unwind_object_fn fn, void *ctx)
{
	struct sym_proc *p = sym_procs__get_recent(s->procs, pid, start_ticks);

	if (!p)
		return -ESRCH;
	return sym_unwind__objects(s->unwind, p, fn, ctx);
}

size_t sym_session__shed_idle(struct sym_session *s, uint64_t idle_ns)
{
	return sym_bins__shed_idle(s->bins, idle_ns);
}

size_t sym_session__release_unwind_tables(struct sym_session *s, uint64_t idle_ns, size_t keep_bytes,
					  bool (*held)(void *ctx, const char *key), void *ctx)
{
	return sym_unwind__release_idle(s->unwind, idle_ns, keep_bytes, held, ctx);
}
