// SPDX-License-Identifier: MIT
/* record_summary: what `cprof record` says of a finished run beyond the
 * sample counts: how complete the unwound stacks are and why others stopped
 * (with the fix), which files of other users were refused, and how many
 * processes the samples came from. Prints only through profiler/cli. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/cli.h"
#include "profiler/record_summary.h"
#include "base/safe_file.h"

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* "user stacks: N walked in the kernel (P %): C % complete, ...; " with
 * --unwind auto (copies: the stacks unwound from copies), or why the kernel
 * walk is off; "user stacks: " otherwise. Returns the length written. */
static size_t kernel_walk_line(const struct session_stats *st, uint64_t copies, char *buf,
			       size_t len)
{
	const uint64_t *u = st->uw_counts;
	uint64_t walks = 0;
	size_t off;

	if (!st->kernel_walk) {
		if (st->kernel_walk_off)
			return (size_t)snprintf(buf, len, "user stacks (no kernel walk: %s): ",
						st->kernel_walk_off);
		return (size_t)snprintf(buf, len, "user stacks: ");
	}
	for (int r = 0; r < CPROF_UWC_NR_STOPS; r++)
		walks += u[r];
	off = (size_t)snprintf(buf, len, "user stacks: %llu walked in the kernel (%.1f %%): "
			       "%.1f %% complete", (unsigned long long)walks,
			       pct(walks, walks + copies), pct(u[CPROF_UWC_COMPLETE], walks));
	for (int r = 1; r < CPROF_UWC_NR_STOPS; r++)
		if (u[r] && off < len)
			off += (size_t)snprintf(buf + off, len - off, ", %.1f %% %s",
						pct(u[r], walks), uw_stop__name(r));
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, " (tables: %llu binaries, "
					"%.1f of %.1f MiB, %llu evicted)",
					(unsigned long long)st->kuw.binaries,
					st->kuw.rows * sizeof(struct cprof_uw_row) / 1048576.0,
					st->kuw.max_rows * sizeof(struct cprof_uw_row) / 1048576.0,
					(unsigned long long)st->kuw.evicted);
	for (int f = 0; f < KUNWIND_NR_FALLBACKS; f++)
		if (st->kuw.fallback[f] && off < len)
			off += (size_t)snprintf(buf + off, len - off, "; %llu %s fell back to the "
						"stack copy: %s", (unsigned long long)st->kuw.fallback[f],
						cli__plural(st->kuw.fallback[f], "process", "processes"),
						kunwind_fallback__name(f));
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "; ");
	return off < len ? off : len;
}

/* What a user needs to trust stacks unwound from copies: how many are
 * complete and, per binary, where and why the others stopped, with the fix.
 * Writes the overall line to buf (also a profile comment); prints the
 * per-binary lines unless quiet. */
void record_summary__unwind(struct session *core, const struct session_stats *st,
			    const uint64_t c[CPROF_NR_COUNTERS], bool print, char *buf, size_t len)
{
	const struct uw_stats_entry *t = uw_stats__total(session__uw_stats(core));
	uint32_t kib = st->stack_window / 1024;
	struct sym_stats ss;
	size_t off;

	off = kernel_walk_line(st, t->stacks, buf, len);
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "%llu %s (%s, %u KiB window, %.1f KiB "
				       "copied on average): %.1f %% complete",
				       (unsigned long long)t->stacks,
				       st->kernel_walk ? "from stack copies" : "unwound",
				       st->uw_mode == UW_MODE_AUTO ? "auto" : "dwarf", kib,
				       c[CPROF_USTACK_COPIES] ? (double)c[CPROF_USTACK_BYTES] /
				       (double)c[CPROF_USTACK_COPIES] / 1024.0 : 0.0,
				       pct(t->stops[UW_STOP_OUTERMOST], t->stacks));
	for (int r = 1; r < UW_NR_STOPS; r++)
		if (t->stops[r] && off < len)
			off += (size_t)snprintf(buf + off, len - off, ", %.1f %% %s",
						pct(t->stops[r], t->stacks), uw_stop__name(r));
	sym_session__stats(session__sym(core), &ss);
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "; unwind tables: %llu built in %.0f ms, "
					"%.1f MiB, %llu CFI rows not expressible",
					(unsigned long long)ss.unwind_tables_built,
					ss.unwind_build_ns / 1e6, ss.unwind_table_bytes / 1048576.0,
					(unsigned long long)ss.unwind_rows_unsupported);
	if (ss.unwind_cfi_dropped && off < len)
		snprintf(buf + off, len - off, ", %llu CFI entries dropped (malformed or over limits)",
			 (unsigned long long)ss.unwind_cfi_dropped);
	if (!print)
		return;
	cli__err("%s", buf);
	for (size_t i = 0; i < uw_stats__count(session__uw_stats(core)); i++) {
		const struct uw_stats_entry *e = uw_stats__entry(session__uw_stats(core), i);
		const char *name = basename_of(e->name);

		for (int r = 1; r < UW_NR_STOPS; r++) {
			double p = pct(e->stops[r], t->stacks);

			/* truncation from 0.1 %: the user can fix it; the rest from 1 % */
			if (p < (r == UW_STOP_TRUNCATED ? 0.1 : 1.0))
				continue;
			switch (r) {
			case UW_STOP_TRUNCATED: {
				uint32_t fit = record_summary__stack_size_for(e->max_need);

				if (fit > st->stack_window)
					cli__err("%s: %.1f %% of stacks truncated at %u KiB; "
						"try --stack-size %u", name, p, kib, fit);
				else
					cli__err("%s: %.1f %% of stacks truncated at %u KiB%s: "
						"deeper than the largest --stack-size (%u); build "
						"with -fno-omit-frame-pointer and record with "
						"--unwind fp", name, p, kib,
						st->stack_window == CPROF_STACK_COPY_MAX ?
						" (the maximum)" : "", CPROF_STACK_COPY_MAX);
				break;
			}
			case UW_STOP_NO_INFO:
				cli__err("%s: %.1f %% of stacks stop in code without unwind "
					"information%s", name, p, st->uw_mode == UW_MODE_AUTO ?
					" nor a frame pointer" : "; --unwind auto follows frame pointers there");
				break;
			default:
				cli__err("%s: %.1f %% of stacks stop: %s", name, p,
					uw_stop__name(r));
			}
		}
	}
}

uint32_t record_summary__stack_size_for(uint32_t need)
{
	uint32_t size = 4096;

	/* a power of two, as the hint always was; need is a lower bound (the
	 * frames past it are unknown), so the next size above it */
	while (size < need && size < CPROF_STACK_COPY_MAX)
		size *= 2;
	return size >= need ? size : 0;
}

/* Files other users control that were refused (safe_file.h), as "perf maps
 * refused: 1 not a regular file; mapped files refused: ..."; "" when none. */
void record_summary__refusals(struct session *core, char *buf, size_t len)
{
	struct sym_stats ss;
	size_t off = 0;
	char why[256];

	buf[0] = '\0';
	sym_session__stats(session__sym(core), &ss);
	if (safe_file__format_refusals(ss.perf_maps_refused, why, sizeof(why)))
		off += (size_t)snprintf(buf, len, "perf maps refused: %s", why);
	if (safe_file__format_refusals(ss.mapped_files_refused, why, sizeof(why)) && off < len)
		snprintf(buf + off, len - off, "%smapped files refused: %s", off ? "; " : "", why);
}

/* Distinct processes, (pid, start time), among the samples: all of them. */
size_t record_summary__processes(const struct raw_profile *rp)
{
	long n = raw_profile__processes(rp, NULL, 0);

	return n > 0 ? (size_t)n : 0;
}

void record_summary__top_processes(const struct raw_profile *rp, size_t max)
{
	struct raw_process top[8];
	uint64_t total = raw_profile__total(rp);
	char line[512];
	size_t off = 0;
	long n;

	if (max > sizeof(top) / sizeof(top[0]))
		max = sizeof(top) / sizeof(top[0]);
	n = raw_profile__processes(rp, top, max);
	if (n <= 1 || !total)
		return;	/* one process: the line above said it all */
	for (size_t i = 0; i < (size_t)n && i < max && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%u %s %.1f %%",
					i ? ", " : "", top[i].pid,
					top[i].comm[0] ? top[i].comm : "?",
					pct(top[i].count, total));
	cli__err("top processes: %s", line);
}

static int cmp_nosym(const void *a, const void *b)
{
	const struct pprof_build_nosym *x = a, *y = b;

	if (x->addresses != y->addresses)
		return x->addresses > y->addresses ? -1 : 1;
	return strcmp(x->path, y->path);
}

void record_summary__missing_symbols(const struct pprof_build_stats *bs, size_t max)
{
	struct pprof_build_nosym v[PPROF_BUILD_MAX_NOSYM];
	size_t n = 0;

	/* only binaries where most addresses had no symbol: a few gaps (PLT
	 * stubs) in a binary with symbols are not for a debug package to
	 * fill, and a stripped one still has its _start named */
	for (size_t i = 0; i < bs->n_nosym; i++)
		if (bs->nosym[i].addresses > bs->nosym[i].named)
			v[n++] = bs->nosym[i];
	qsort(v, n, sizeof(*v), cmp_nosym);
	for (size_t i = 0; i < n && i < max; i++)
		cli__err("%llu %s without symbols in %s: install its debug package or set "
			 "DEBUGINFOD_URLS", (unsigned long long)v[i].addresses,
			 cli__plural(v[i].addresses, "address", "addresses"), v[i].path);
}
