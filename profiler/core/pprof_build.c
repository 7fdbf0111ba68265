// SPDX-License-Identifier: MIT
/* Every frame but the leaf of a stack is a return address: it is stored and
 * symbolized as addr - 1, inside the call instruction, so the line shown is the
 * call's and a function ending in a call is not mistaken for its neighbour. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "bpf/python.h"
#include "bpf/sample.h"
#include "export/pprof.h"
#include "profiler/core/pprof_build.h"
#include "symbolize/sym_python.h"
#include "symbolize/unwinder.h"

/* (pid, start, addr) -> location id; pid 0/start 0 is the kernel. */
/* What a native frame is to the merge of Python frames. */
enum loc_kind {
	LOC_NATIVE,
	LOC_PY_EVAL,		/* CPython's eval loop: Python frames run above it */
	LOC_PY_TRAMPOLINE,	/* a -X perf trampoline "py::QUALNAME:FILE": one Python frame */
};

struct loc_entry {
	uint64_t start_ticks, addr, loc_id;
	uint32_t pid;
	uint8_t kind;		/* enum loc_kind */
};

struct loc_cache {
	struct loc_entry *e;
	size_t cap, n;
	struct hashmap index;	/* -> e[]; ctx is this struct: not to be copied */
};

static uint32_t loc_hash(uint32_t pid, uint64_t start, uint64_t addr)
{
	uint64_t h = hash__fnv1a(HASH_FNV1A_SEED, &pid, sizeof(pid));

	h = hash__fnv1a(h, &start, sizeof(start));
	return hash__fold(hash__fnv1a(h, &addr, sizeof(addr)));
}

static bool loc_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct loc_entry *a = &((const struct loc_cache *)ctx)->e[i], *b = key;

	return a->pid == b->pid && a->start_ticks == b->start_ticks && a->addr == b->addr;
}

struct builder {
	struct pb_profile *prof;
	struct sym_session *sym;
	struct loc_cache cache;
	struct pprof_build_stats stats;
	uint64_t *locs;		/* scratch: one sample's location ids */
	size_t locs_cap;
	bool low_cardinality;
	enum pprof_build_values values;
};

static int reserve_locs(struct builder *b, const struct raw_profile *rp,
			const struct raw_sample *s)
{
	const struct raw_stack *k = raw_profile__stack(rp, s->kstack);
	const struct raw_stack *u = raw_profile__stack(rp, s->ustack);
	const struct raw_stack *py = raw_profile__stack(rp, raw_sample__pystack(s));
	size_t need = 2 + (k ? k->nr : 0) + (u ? u->nr : 0) + (py ? py->nr : 0);
	uint64_t *l;

	if (need <= b->locs_cap)
		return 0;
	l = realloc(b->locs, need * sizeof(*l));
	if (!l)
		return -ENOMEM;
	b->locs = l;
	b->locs_cap = need;
	return 0;
}

/* One more address in the binary at path, named by a symbol or not. */
static void count_nosym(struct pprof_build_stats *st, const char *path, bool named)
{
	size_t i;

	for (i = 0; i < st->n_nosym; i++)
		if (!strcmp(st->nosym[i].path, path))
			break;
	if (i == st->n_nosym) {
		if (i == PPROF_BUILD_MAX_NOSYM)
			return;
		st->nosym[st->n_nosym++] = (struct pprof_build_nosym){ .path = path };
	}
	if (named)
		st->nosym[i].named++;
	else
		st->nosym[i].addresses++;
}

static uint64_t add_resolved(struct builder *b, const struct sym_result *r, uint64_t addr)
{
	struct pb_line lines[SYM_MAX_INLINE];
	uint64_t mapping_id = 0;

	if (r->mapping) {
		mapping_id = pb_profile__add_mapping(b->prof, r->mapping->start, r->mapping->limit,
						     r->mapping->offset, r->mapping->path,
						     r->mapping->build_id);
		if (!mapping_id)
			return 0;
	}
	for (uint32_t i = 0; i < r->nframes && i < SYM_MAX_INLINE; i++) {
		lines[i].name = r->frames[i].name;
		lines[i].system_name = r->frames[i].system_name;
		lines[i].filename = r->frames[i].file;
		lines[i].line = r->frames[i].line;
		lines[i].start_line = r->frames[i].start_line;
		lines[i].func_start = r->frames[i].func_start;
	}
	if (r->mapping && r->mapping->path[0] == '/')
		count_nosym(&b->stats, r->mapping->path, r->nframes && !r->frames[0].func_start);
	if (r->nframes)
		b->stats.symbolized++, b->stats.func_starts += r->frames[0].func_start;
	else
		b->stats.unsymbolized++;
	b->stats.locations++;
	if (!r->nframes && r->mapping) {
		/* the name folded and SVG give it, not go tool pprof's
		 * "[python3.11]" (or "[[jit]]"); not a symbol, so the mapping
		 * still claims no functions and a backend symbolizes it */
		char name[300];

		pprof__unnamed_name(name, sizeof(name), r->mapping->path, r->mapping->start,
				    r->mapping->offset, addr);
		lines[0] = (struct pb_line){ .name = name, .func_start = true };
		return pb_profile__add_location(b->prof, mapping_id, addr, lines, 1);
	}
	return pb_profile__add_location(b->prof, mapping_id, addr, lines,
					r->nframes < SYM_MAX_INLINE ? r->nframes : SYM_MAX_INLINE);
}

/* The function whose native frame runs Python frames: the same name from
 * 3.7 to 3.13, exported (so named in a stripped python too). A copy of
 * CPython 3.12+'s perf trampoline is JIT code its perf map names
 * "py::QUALNAME:FILE" (see sym_jit.h): the Python frame it calls the eval
 * loop for, a second time when the walk has it too. */
static enum loc_kind loc_kind_of(const struct sym_result *r)
{
	for (uint32_t i = 0; i < r->nframes && i < SYM_MAX_INLINE; i++)
		if (r->frames[i].name && !strcmp(r->frames[i].name, "_PyEval_EvalFrameDefault"))
			return LOC_PY_EVAL;
	if (r->nframes == 1 && r->mapping && r->mapping->path[0] != '/' && r->frames[0].name &&
	    !strncmp(r->frames[0].name, "py::", 4))
		return LOC_PY_TRAMPOLINE;
	return LOC_NATIVE;
}

/* Location id of one Python frame (bpf/python.h packing), named from the
 * code object read while the process lived. 0 on ENOMEM. */
static uint64_t py_location(struct builder *b, uint32_t pid, uint64_t start, uint64_t frame)
{
	struct loc_entry key = { .start_ticks = start, .addr = frame & ~CPROF_PY_ENTRY, .pid = pid };
	struct pb_line line = { .name = "[Python frame: code object unreadable]" };
	uint32_t h = loc_hash(pid, start, key.addr), i;
	struct sym_result r;
	uint64_t id;

	if (hashmap__find(&b->cache.index, h, &key, &i))
		return b->cache.e[i].loc_id;
	if (VEC_RESERVE(b->cache.e, b->cache.n, b->cache.cap, 1) ||
	    hashmap__reserve(&b->cache.index, 1))
		return 0;
	/* address 0: a Python location is its lines (pb_profile interns them) */
	if (sym_python__resolve(sym_session__python(b->sym), (int)pid, start, frame, &r) == 0) {
		id = add_resolved(b, &r, 0);
	} else {
		line.system_name = line.name;
		id = pb_profile__add_location(b->prof, 0, 0, &line, 1);
	}
	if (!id)
		return 0;
	key.loc_id = id;
	b->cache.e[b->cache.n] = key;
	hashmap__add(&b->cache.index, h, (uint32_t)b->cache.n++);
	return id;
}

/* Location id of one frame, symbolizing it on first sight, and its kind
 * in *ret_kind. 0 on ENOMEM. */
static uint64_t frame_location(struct builder *b, uint32_t pid, uint64_t start, uint64_t addr,
			       int kernel, enum loc_kind *ret_kind)
{
	struct loc_entry key;
	struct sym_result r;
	uint32_t h, i;
	uint64_t id;
	int err;

	if (kernel)
		pid = 0, start = 0;
	key = (struct loc_entry){ .start_ticks = start, .addr = addr, .pid = pid };
	h = loc_hash(pid, start, addr);
	if (hashmap__find(&b->cache.index, h, &key, &i)) {
		*ret_kind = b->cache.e[i].kind;
		return b->cache.e[i].loc_id;
	}
	/* room first: a location resolved is always cached */
	if (VEC_RESERVE(b->cache.e, b->cache.n, b->cache.cap, 1) ||
	    hashmap__reserve(&b->cache.index, 1))
		return 0;

	memset(&r, 0, sizeof(r));
	if (kernel)
		err = sym_session__resolve_kernel(b->sym, addr, false, &r);
	else
		err = sym_session__resolve_user(b->sym, pid, start, addr, false, &r);
	if (err == -ENOMEM)
		return 0;
	if (err)
		memset(&r, 0, sizeof(r));
	id = add_resolved(b, &r, addr);
	if (!id)
		return 0;
	key.loc_id = id;
	key.kind = kernel ? LOC_NATIVE : loc_kind_of(&r);
	*ret_kind = key.kind;
	b->cache.e[b->cache.n] = key;
	hashmap__add(&b->cache.index, h, (uint32_t)b->cache.n++);
	return id;
}

static const char *lost_stack_name(int32_t why, int user)
{
	switch (why) {
	case RAW_STACK_COLLISION:
		return user ? "[user stack lost: stack id collision]" :
			      "[kernel stack lost: stack id collision]";
	case RAW_STACK_MAP_FULL:
		return user ? "[user stack lost: stack map full]" :
			      "[kernel stack lost: stack map full]";
	case RAW_STACK_RING_FULL:
		return "[user stack lost: stack ring buffer full]";
	case RAW_STACK_PREEMPTED:
		return "[preempted: user stack not taken]";
	case RAW_STACK_RAN_ON:
		return "[blocked outside a system call: user stack not taken]";
	default:
		return user ? "[user stack missing]" : "[kernel stack missing]";
	}
}

static uint64_t lost_location(struct builder *b, int32_t why, int user)
{
	struct pb_line line = { .name = lost_stack_name(why, user) };
	/* A reserved fake address per reason, never a real one. */
	uint64_t addr = (user ? 0x100 : 0x200) + (uint64_t)(-(int64_t)why);

	line.system_name = line.name;
	return pb_profile__add_location(b->prof, 0, addr, &line, 1);
}

/* The root frame of a user stack whose unwinding stopped early: where the
 * missing callers would be, so such stacks group apart in a flame graph. */
static uint64_t marker_location(struct builder *b, uint64_t marker)
{
	char name[96];
	struct pb_line line = { .name = name, .system_name = name };
	uint64_t reason = marker - RAW_IP_MARKER_BASE;

	if (reason == UW_STOP_TRUNCATED)
		snprintf(name, sizeof(name), "[truncated: stack deeper than --stack-size]");
	else
		snprintf(name, sizeof(name), "[unwind stopped: %s]", uw_stop__name((enum uw_stop)reason));
	return pb_profile__add_location(b->prof, 0, marker, &line, 1);
}

/* Appends Python frames from *pi on, through the first that a C call of the
 * eval loop started at (all of them when all is set). n, or 0 on ENOMEM. */
static size_t append_py(struct builder *b, const struct raw_sample *s, const struct raw_stack *py,
			uint32_t *pi, bool all, size_t n)
{
	while (py && *pi < py->nr) {
		uint64_t f = py->ips[(*pi)++];

		if (!(b->locs[n++] = py_location(b, s->pid, s->start_ticks, f)))
			return 0;
		if (!all && CPROF_PY_IS_ENTRY(f))
			break;
	}
	return n;
}

/* Appends a stack's locations (leaf first) to b->locs; returns the new count or 0 on ENOMEM.
 * A user stack gets the sample's Python frames merged in: those each C call
 * of the eval loop runs go right above (leafward of) its native frame, and
 * any left (a native stack cut short) at the root.
 * A -X perf trampoline stands for one Python frame of an eval loop below
 * it. While the walk still has frames to merge (pi < nr), or has just
 * merged some at the eval loop right above, that frame is one the walk
 * has, with its line: the trampoline is left out. Past the walk's last
 * frame (a walk cut short or failed) the trampolines are the only names
 * of their frames and stay. */
static size_t append_stack(struct builder *b, const struct raw_profile *rp,
			   const struct raw_sample *s, int32_t idx, int kernel, size_t n)
{
	const struct raw_stack *st = raw_profile__stack(rp, idx);
	const struct raw_stack *py = kernel ? NULL : raw_profile__stack(rp, raw_sample__pystack(s));
	bool merged = false;	/* the frame before was an eval loop that got Python frames */
	uint32_t pi = 0;

	for (uint32_t i = 0; st && i < st->nr; i++) {
		enum loc_kind kind = LOC_NATIVE;
		uint64_t addr = st->ips[i];
		uint64_t id;
		size_t m;

		/* The leaf of each stack (the user one too: it is the saved user
		 * ip) is exact; every caller is a return address. */
		if (!kernel && RAW_IP_IS_MARKER(addr)) {
			id = marker_location(b, addr);
			if (!id)
				return 0;
			b->locs[n++] = id;
			continue;
		}
		if (i > 0 && addr)
			addr--;
		id = frame_location(b, s->pid, s->start_ticks, addr, kernel, &kind);
		if (!id)
			return 0;
		if (kind == LOC_PY_TRAMPOLINE && py && (merged || pi < py->nr)) {
			merged = false;
			continue;
		}
		m = n;
		if (kind == LOC_PY_EVAL && py && !(n = append_py(b, s, py, &pi, false, n)))
			return 0;
		merged = n > m;
		b->locs[n++] = id;
	}
	return py ? append_py(b, s, py, &pi, true, n) : n;
}

static const char *state_name(uint8_t state)
{
	switch (state) {
	case CPROF_OFFCPU_SLEEPING:
		return "sleeping";
	case CPROF_OFFCPU_DISK:
		return "uninterruptible";
	case CPROF_OFFCPU_PREEMPTED:
		return "preempted";
	default:
		return "stopped";
	}
}

static int add_sample(struct builder *b, const struct raw_profile *rp,
		      const struct raw_sample *s, int64_t period)
{
	char process[64] = "";
	struct pb_label labels[5];
	int64_t values[4];
	size_t n = 0, nl = 0;

	if (s->state ? b->values == PPROF_BUILD_CPU : b->values == PPROF_BUILD_OFF_CPU)
		return 0;	/* the other profile's */
	if (reserve_locs(b, rp, s))
		return -ENOMEM;
	if (s->kstack >= 0) {
		n = append_stack(b, rp, s, s->kstack, 1, n);
		if (!n)
			return -ENOMEM;
	} else if (s->kstack != RAW_STACK_NONE) {
		if (!(b->locs[n++] = lost_location(b, s->kstack, 0)))
			return -ENOMEM;
	}
	if (s->ustack >= 0) {
		size_t m = append_stack(b, rp, s, s->ustack, 0, n);

		if (m == 0 && raw_profile__stack(rp, s->ustack)->nr)
			return -ENOMEM;
		n = m ? m : n;
	} else if (s->ustack != RAW_STACK_NONE || s->kstack < 0) {
		/* A user task without its stack, or a sample with no stack at all:
		 * its Python frames, if any, still say where it was. */
		const struct raw_stack *py = raw_profile__stack(rp, raw_sample__pystack(s));
		uint32_t pi = 0;

		if (py && !(n = append_py(b, s, py, &pi, true, n)))
			return -ENOMEM;
		if (!(b->locs[n++] = lost_location(b, s->ustack, 1)))
			return -ENOMEM;
	}

	labels[nl++] = (struct pb_label){ .key = "pid", .num = s->pid, .num_unit = "id" };
	if (s->state)	/* a handful of values: kept in agent mode too */
		labels[nl++] = (struct pb_label){ .key = "thread_state", .str = state_name(s->state) };
	if (b->low_cardinality)
		goto out_add;
	labels[nl++] = (struct pb_label){ .key = "tid", .num = s->tid, .num_unit = "id" };
	if (s->comm[0])
		labels[nl++] = (struct pb_label){ .key = "comm", .str = s->comm };
	if (s->pid && sym_session__process_name(b->sym, s->pid, s->start_ticks, process,
						sizeof(process)) == 0 && process[0])
		labels[nl++] = (struct pb_label){ .key = "process", .str = process };
	else if (s->pid == s->tid && s->comm[0])
		labels[nl++] = (struct pb_label){ .key = "process", .str = s->comm };
out_add:
	if (b->values == PPROF_BUILD_OFF_CPU) {
		values[0] = (int64_t)s->off_ns;
	} else {
		values[0] = s->count;
		values[1] = s->count * period;
		values[2] = (int64_t)s->off_ns;
		values[3] = values[1] + values[2];
	}
	return pb_profile__add_sample(b->prof, b->locs, n, values, labels, nl);
}

/* The mapping of the outermost user frame of a process's main thread: its
 * _start, in the executable, for a walk that reached the thread's first
 * frame. Taken from the samples rather than from the process's captured
 * maps, which for cprof -- CMD may still be cprof's own from before exec. */
static const struct sym_mapping *main_thread_root(struct builder *b, const struct raw_profile *rp,
						  uint32_t pid, uint64_t *ret_start)
{
	struct sym_result r;

	for (size_t i = 0; i < raw_profile__nr_samples(rp); i++) {
		const struct raw_sample *s = raw_profile__sample(rp, i);
		const struct raw_stack *st = raw_profile__stack(rp, s->ustack);
		uint64_t addr;

		if (s->pid != pid || s->tid != pid || !st || !st->nr)
			continue;
		*ret_start = s->start_ticks;
		addr = st->ips[st->nr - 1];
		if (RAW_IP_IS_MARKER(addr) || !addr)
			continue;
		if (sym_session__resolve_user(b->sym, (int)pid, s->start_ticks, addr, st->nr > 1,
					      &r) == 0 && r.mapping && r.mapping->path[0] == '/')
			return r.mapping;
	}
	return NULL;
}

/* The main process's executable as the first mapping: pprof readers take
 * mapping[0] for the profiled program ("File:" in go tool pprof), and the
 * kernel's came first whenever a kernel frame led the first sample. Later
 * adds of the same mapping find it interned. */
static int add_main_mapping(struct builder *b, const struct raw_profile *rp, uint32_t main_pid)
{
	const struct sym_mapping *m = NULL;
	struct raw_process top[8];
	uint64_t start = 0;
	long n = 0;

	if (main_pid && !(m = main_thread_root(b, rp, main_pid, &start)) && start)
		m = sym_session__main_mapping(b->sym, (int)main_pid, start);
	if (!m) {
		/* the busiest process that has an executable (not a kernel thread) */
		n = raw_profile__processes(rp, top, sizeof(top) / sizeof(top[0]));
		if (n < 0)
			return (int)n;
	}
	for (long i = 0; !m && i < n && i < (long)(sizeof(top) / sizeof(top[0])); i++) {
		if (!top[i].pid)
			continue;
		m = main_thread_root(b, rp, top[i].pid, &start);
		if (!m)
			m = sym_session__main_mapping(b->sym, (int)top[i].pid, top[i].start_ticks);
	}
	if (m && !pb_profile__add_mapping(b->prof, m->start, m->limit, m->offset, m->path,
					  m->build_id))
		return -errno;
	return 0;
}

int pprof_build(const struct raw_profile *rp, struct sym_session *sym,
		const struct pprof_build_opts *opts, struct pb_profile **ret_profile,
		struct pprof_build_stats *ret_stats)
{
	static const struct pb_value_type types[] = {
		{ "samples", "count" }, { "cpu", "nanoseconds" },
		{ "off_cpu", "nanoseconds" }, { "wall", "nanoseconds" },
	};
	struct pb_profile_opts po = {
		.sample_types = types, .n_sample_types = 2,
		.period_type = { "cpu", "nanoseconds" },
		.period = 1000000000LL / opts->freq,
		.time_nanos = opts->time_nanos,
		.duration_nanos = opts->duration_nanos,
	};
	struct builder b = { .sym = sym, .low_cardinality = opts->low_cardinality,
			     .values = opts->values };
	int err = -ENOMEM;

	if (opts->values == PPROF_BUILD_CPU_OFF_CPU) {
		/* go tool pprof shows the last type unless told: CPU, as without */
		po.n_sample_types = 4;
		po.default_sample_type = "cpu";
	} else if (opts->values == PPROF_BUILD_OFF_CPU) {
		/* blocks are not periodic: no period, nor a period type, as the
		 * OTel eBPF profiler's off-CPU profile (and Pyroscope's OTLP
		 * intake recognizes off_cpu:nanoseconds with none) */
		po.sample_types = &types[2];
		po.n_sample_types = 1;
		po.period_type = (struct pb_value_type){ NULL, NULL };
		po.period = 0;
	}

	b.prof = pb_profile__new(&po);
	hashmap__init(&b.cache.index, loc_eq, &b.cache);
	if (!b.prof || hashmap__reserve(&b.cache.index, 2048))
		goto out_free;
	for (size_t i = 0; i < opts->nr_comments; i++)
		if ((err = pb_profile__add_comment(b.prof, opts->comments[i])))
			goto out_free;
	if ((err = add_main_mapping(&b, rp, opts->main_pid)))
		goto out_free;
	for (size_t i = 0; i < raw_profile__nr_samples(rp); i++)
		if ((err = add_sample(&b, rp, raw_profile__sample(rp, i), po.period)))
			goto out_free;

	*ret_profile = b.prof;
	b.prof = NULL;
	if (ret_stats)
		*ret_stats = b.stats;
	err = 0;
out_free:
	pb_profile__free(b.prof);
	free(b.locs);
	free(b.cache.e);
	hashmap__release(&b.cache.index);
	return err;
}
