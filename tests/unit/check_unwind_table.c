// SPDX-License-Identifier: MIT
/* Tests of the unwind table builder (symbolize/uw_table.c): every row of
 * fixture objects with known CFI, of the -O2 fixtures, of libc and of ld.so
 * is checked against `readelf --debug-dump=frames-interp`; .debug_frame is
 * found in a separate debug file when the stripped binary has none;
 * hand-written rules (stack realignment, PLT, signal frame, outermost, a CFA
 * in rbx, rbx's save slots) come out exactly; and the
 * sym_session builds each table once, shares it between processes and keeps
 * its cache within the bound. The bounded reader: hostile .eh_frame bytes (a
 * huge register number, remember_state 5000 deep, CIE pointers to nowhere, a
 * length past the end) cost little time and memory and keep the good FDEs; a
 * 80k-row FDE builds in linear time (the limits, raw sections and images:
 * tests/unit/check_cfi_reader.c). */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/proc.h"
#include "symbolize/sym_session.h"
#include "symbolize/uw_table.h"
#include "tests/uw_table_util.h"

static char fixtures[300];

static const char *fx(const char *name)
{
	static char buf[4][400];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", fixtures, name);
	return buf[i];
}

/* --- readelf --debug-dump=frames-interp ------------------------------------- */

struct ref_row {
	uint64_t loc, end;	/* [loc, end): up to the next row or the FDE's end */
	char cfa[24], rbp[24], rbx[24], ra[24];
};

struct ref {
	struct ref_row *rows;
	size_t n, cap;
	struct { uint64_t lo, hi; } *fdes;
	size_t nfdes, cap_fdes;
};

static void ref_push(struct ref *r, const struct ref_row *row)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->rows = realloc(r->rows, r->cap * sizeof(*r->rows));
		ck_assert_ptr_nonnull(r->rows);
	}
	r->rows[r->n++] = *row;
}

/* Column index of name in a "LOC CFA rbx rbp ra" header, or -1. */
static int column(char cols[][16], int ncols, const char *name)
{
	for (int i = 0; i < ncols; i++)
		if (!strcmp(cols[i], name))
			return i;
	return -1;
}

/* The rows readelf prints for one CFI section of path (".eh_frame" or
 * ".debug_frame"). FDEs that print no rows get their CIE's initial row. */
static struct ref read_ref(const char *path, const char *section)
{
	struct ref r = { 0 };
	char cmd[600], line[1024], cols[24][16];
	struct { uint64_t off; struct ref_row row; bool have; } cies[64];
	int ncies = 0, ncols = 0, in_section = 0, cur_cie = -1;
	bool in_fde = false, fde_rows = false;
	uint64_t lo = 0, hi = 0;
	size_t fde_first = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames-interp '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long off, a, b;
		char kind[8];

		if (!strncmp(line, "Contents of the ", 16)) {
			in_section = !strncmp(line + 16, section, strlen(section)) &&
				     line[16 + strlen(section)] == ' ';
			continue;
		}
		if (!in_section)
			continue;
		if (sscanf(line, "%llx %*x %*x %7s", &off, kind) == 2 && !strcmp(kind, "CIE")) {
			ck_assert_int_lt(ncies, 64);
			cies[ncies].off = off;
			cies[ncies].have = false;
			cur_cie = ncies++;
			in_fde = false;
			continue;
		}
		if (strstr(line, " FDE cie=") &&
		    sscanf(strstr(line, " FDE cie="), " FDE cie=%llx pc=%llx..%llx", &off, &a, &b) == 3) {
			/* close the previous FDE */
			if (in_fde && fde_rows)
				r.rows[r.n - 1].end = hi;
			in_fde = true;
			fde_rows = false;
			lo = a;
			hi = b;
			fde_first = r.n;
			cur_cie = -1;
			for (int i = 0; i < ncies; i++)
				if (cies[i].off == off && cies[i].have) {
					struct ref_row row = cies[i].row;

					row.loc = lo;
					row.end = hi;
					ref_push(&r, &row);
				}
			if (r.nfdes == r.cap_fdes) {
				r.cap_fdes = r.cap_fdes ? r.cap_fdes * 2 : 1024;
				r.fdes = realloc(r.fdes, r.cap_fdes * sizeof(*r.fdes));
				ck_assert_ptr_nonnull(r.fdes);
			}
			r.fdes[r.nfdes].lo = lo;
			r.fdes[r.nfdes++].hi = hi;
			continue;
		}
		if (strstr(line, "LOC") && strstr(line, "CFA")) {
			char *save, *tok;

			ncols = 0;
			for (tok = strtok_r(line, " \n", &save); tok && ncols < 24;
			     tok = strtok_r(NULL, " \n", &save))
				snprintf(cols[ncols++], sizeof(cols[0]), "%s", tok);
			continue;
		}
		/* a row starts with a 16-digit LOC ("00000124 ZERO terminator" does not) */
		if (ncols && strspn(line, "0123456789abcdef") == 16 && sscanf(line, "%llx", &a) == 1) {
			char vals[24][24], *save, *tok;
			struct ref_row row = { .loc = a };
			int nv = 0, irbp = column(cols, ncols, "rbp"), ira = column(cols, ncols, "ra");
			int irbx = column(cols, ncols, "rbx");

			/* values may hold spaces ("r5 (rdi)"): split on 2+ spaces */
			for (tok = strtok_r(line, " \n", &save); tok && nv < 24;
			     tok = strtok_r(NULL, " \n", &save)) {
				if (tok[0] == '(' && nv) {	/* "(rdi)" belongs to the previous "r5" */
					continue;
				}
				snprintf(vals[nv++], sizeof(vals[0]), "%s", tok);
			}
			snprintf(row.cfa, sizeof(row.cfa), "%s", nv > 1 ? vals[1] : "?");
			snprintf(row.rbp, sizeof(row.rbp), "%s", irbp > 0 && irbp < nv ? vals[irbp] : "u");
			snprintf(row.rbx, sizeof(row.rbx), "%s", irbx > 0 && irbx < nv ? vals[irbx] : "u");
			snprintf(row.ra, sizeof(row.ra), "%s", ira > 0 && ira < nv ? vals[ira] : "u");
			if (cur_cie >= 0) {
				cies[cur_cie].row = row;
				cies[cur_cie].have = true;
				continue;
			}
			if (!in_fde)
				continue;
			if (!fde_rows) {
				/* the CIE's row pushed above is superseded */
				r.n = fde_first;
				fde_rows = true;
			} else {
				r.rows[r.n - 1].end = a;
			}
			row.end = hi;
			ref_push(&r, &row);
		}
	}
	pclose(p);
	return r;
}

static void free_ref(struct ref *r)
{
	free(r->rows);
	free(r->fdes);
}

static bool cfa_is(const char *s, const char *reg, int64_t *ret_off)
{
	size_t n = strlen(reg);

	if (strncmp(s, reg, n) || (s[n] != '+' && s[n] != '-'))
		return false;
	*ret_off = strtoll(s + n, NULL, 10);
	return true;
}

/* Whether the table's rule says what readelf's row says; why in *why. */
static bool same_rule(const struct ref_row *row, const struct uw_rule *r, const char **why)
{
	int64_t off;

	*why = "cfa";
	if (!strcmp(row->ra, "u"))
		return r->cfa == UW_CFA_OUTERMOST;
	if (cfa_is(row->cfa, "rsp", &off)) {
		if (strcmp(row->ra, "c-8"))
			return r->cfa == UW_CFA_UNSUPPORTED;
		if (r->cfa != UW_CFA_RSP || r->cfa_off != off)
			return false;
	} else if (cfa_is(row->cfa, "rbp", &off) || cfa_is(row->cfa, "rbx", &off)) {
		if (strcmp(row->ra, "c-8"))
			return r->cfa == UW_CFA_UNSUPPORTED;
		if (r->cfa != (row->cfa[2] == 'p' ? UW_CFA_RBP : UW_CFA_RBX) || r->cfa_off != off)
			return false;
	} else if (!strcmp(row->cfa, "exp")) {
		/* readelf does not decode expressions: one of the forms we know */
		return r->cfa == UW_CFA_PLT || r->cfa == UW_CFA_RBP_DEREF ||
		       r->cfa == UW_CFA_SIGNAL || r->cfa == UW_CFA_UNSUPPORTED;
	} else {
		return r->cfa == UW_CFA_UNSUPPORTED;	/* another register */
	}
	*why = "rbp";
	if (row->rbp[0] == 'c' && (row->rbp[1] == '-' || row->rbp[1] == '+')) {
		if (r->rbp != UW_RBP_AT_CFA || r->rbp_off != strtol(row->rbp + 1, NULL, 10))
			return false;
	} else if (!strcmp(row->rbp, "u") || !strcmp(row->rbp, "s")) {
		if (r->rbp != UW_RBP_SAME && r->rbp != UW_RBP_UNDEFINED)
			return false;
	} else if (!strcmp(row->rbp, "exp")) {
		if (r->rbp != UW_RBP_AT_RBP && r->rbp != UW_RBP_UNDEFINED)
			return false;
	} else if (r->rbp != UW_RBP_UNDEFINED) {
		return false;
	}
	/* rbx: a slot the row holds (whole words within 1 KiB), else undefined */
	*why = "rbx";
	if (row->rbx[0] == 'c' && (row->rbx[1] == '-' || row->rbx[1] == '+')) {
		off = strtol(row->rbx + 1, NULL, 10);
		if (off % 8 || off < -1024 || off > 1016)
			return r->rbx == UW_RBX_UNDEFINED;
		return r->rbx == UW_RBX_AT_CFA && r->rbx_off * 8 == off;
	}
	if (!strcmp(row->rbx, "u") || !strcmp(row->rbx, "s"))
		return r->rbx == UW_RBX_SAME || r->rbx == UW_RBX_UNDEFINED;
	return r->rbx == UW_RBX_UNDEFINED;
}

/* readelf rows with the CFA in rbx that check_against_readelf() checked */
static size_t rbx_cfa_rows;

/* Every readelf row of path's section against t: at its first byte and its
 * last. Returns the number of rows checked. */
static size_t check_against_readelf(const struct uw_table *t, const char *path, const char *section)
{
	struct ref ref = read_ref(path, section);

	ck_assert_msg(ref.n > 0, "readelf printed no rows for %s of %s", section, path);
	for (size_t i = 0; i < ref.n; i++) {
		const struct ref_row *row = &ref.rows[i];
		uint64_t at[2] = { row->loc, row->end - 1 };
		const char *why;

		if (row->end <= row->loc)
			continue;
		rbx_cfa_rows += !strncmp(row->cfa, "rbx", 3);
		for (int k = 0; k < 2; k++) {
			struct uw_rule r;

			ck_assert_msg(uw_table__lookup(t, at[k], &r) == 0, "%s: no row for %#lx",
				      path, (unsigned long)at[k]);
			ck_assert_msg(same_rule(row, &r, &why),
				      "%s %#lx: readelf says CFA %s rbp %s rbx %s ra %s; "
				      "table cfa %u%+d rbp %u%+d rbx %u%+d (%s)",
				      path, (unsigned long)at[k], row->cfa, row->rbp, row->rbx, row->ra,
				      r.cfa, r.cfa_off, r.rbp, r.rbp_off, r.rbx, r.rbx_off * 8, why);
		}
	}
	/* between FDEs there is no unwind information */
	for (size_t i = 0; i < ref.nfdes; i++) {
		uint64_t end = ref.fdes[i].hi;
		bool covered = false;
		struct uw_rule r;

		for (size_t j = 0; j < ref.nfdes && !covered; j++)
			covered = end >= ref.fdes[j].lo && end < ref.fdes[j].hi;
		if (!covered)
			ck_assert_msg(uw_table__lookup(t, end, &r) == -ENOENT,
				      "%s: %#lx, after an FDE, has a row", path, (unsigned long)end);
	}
	free_ref(&ref);
	return ref.n;
}

/* Returns the number of readelf rows checked. */
static size_t check_file(const char *path)
{
	struct elf_file f = open_elf(path);
	struct uw_table *t = uw_table__build(f.elf, NULL, NULL);
	size_t n;

	ck_assert_msg(t, "%s: %s", path, strerror(errno));
	ck_assert(uw_table__stats(t)->eh_frame);
	n = check_against_readelf(t, path, ".eh_frame");
	uw_table__free(t);
	close_elf(&f);
	return n;
}

START_TEST(test_unwind_table__hand_written_cfi_matches_readelf_row_by_row)
{
	ck_assert_uint_ge(check_file(fx("uw_cfi.so")), 20);
}
END_TEST

START_TEST(test_unwind_table__o2_fixtures_libc_and_ld_so_match_readelf_row_by_row)
{
	ck_assert_uint_ge(check_file(fx("libuw_hot.so")), 10);
	ck_assert_uint_ge(check_file(fx("uw_work_pie")), 10);
	ck_assert_uint_ge(check_file(fx("uw_work_nopie")), 10);
	ck_assert_uint_ge(check_file("/lib/x86_64-linux-gnu/libc.so.6"), 10000);
	/* its lazy-binding and TLS descriptor trampolines keep the CFA in rbx */
	rbx_cfa_rows = 0;
	ck_assert_uint_ge(check_file("/lib64/ld-linux-x86-64.so.2"), 1000);
	ck_assert_uint_ge(rbx_cfa_rows, 4);
}
END_TEST

START_TEST(test_unwind_table__expresses_realignment_plt_signal_and_outermost_exactly)
{
	struct elf_file f = open_elf(fx("uw_cfi.so"));
	struct uw_table *t = uw_table__build(f.elf, NULL, NULL);
	uint64_t realign = sym(f.elf, "uw_realign");
	struct uw_rule r;

	ck_assert_ptr_nonnull(t);
	expect_rule(t, sym(f.elf, "uw_rsp") + 5, UW_CFA_RSP, 48, UW_RBP_SAME, 0);
	expect_rule(t, sym(f.elf, "uw_rbp") + 8, UW_CFA_RBP, 16, UW_RBP_AT_CFA, -16);
	expect_rule(t, realign + 19, UW_CFA_RBP_DEREF, -8, UW_RBP_AT_RBP, 0);
	expect_rule(t, realign + 9, UW_CFA_UNSUPPORTED, 0, UW_RBP_SAME, 0);	/* CFA in r10 */
	expect_rule(t, sym(f.elf, "uw_plt"), UW_CFA_PLT, 8, UW_RBP_SAME, 11);
	expect_rule(t, sym(f.elf, "uw_sigreturn") - 1, UW_CFA_SIGNAL, 0, UW_RBP_SAME, 0);
	expect_rule(t, sym(f.elf, "uw_start") + 2, UW_CFA_OUTERMOST, 0, UW_RBP_SAME, 0);
	ck_assert_int_eq(uw_table__lookup(t, sym(f.elf, "uw_nocfi"), &r), -ENOENT);
	ck_assert_int_eq(uw_table__lookup(t, 0x10, &r), -ENOENT);
	ck_assert_int_eq(uw_table__lookup(t, 0x100000, &r), -ENOENT);
	/* the r10 rows of uw_realign: counted, not silently dropped */
	ck_assert_uint_ge(uw_table__stats(t)->unsupported, 2);
	ck_assert_uint_eq(uw_table__stats(t)->fdes, 10);
	uw_table__free(t);
	close_elf(&f);
}
END_TEST

/* The rule at pc of uw_cfi.so's table, which must have one. */
static struct uw_rule rule_at(const struct uw_table *t, uint64_t pc)
{
	struct uw_rule r;

	ck_assert_msg(uw_table__lookup(t, pc, &r) == 0, "no row at %#lx", (unsigned long)pc);
	return r;
}

START_TEST(test_unwind_table__expresses_an_rbx_cfa_and_rbx_save_slots)
{
	struct elf_file f = open_elf(fx("uw_cfi.so"));
	struct uw_table *t = uw_table__build(f.elf, NULL, NULL);
	uint64_t rbx = sym(f.elf, "uw_rbx"), lost = sym(f.elf, "uw_rbx_lost");
	uint64_t unsupported;
	struct uw_rule r;

	ck_assert_ptr_nonnull(t);
	/* push rbx: the caller's rbx at CFA - 16 (two words) */
	r = rule_at(t, rbx + 1);
	ck_assert_int_eq(r.cfa, UW_CFA_RSP);
	ck_assert_int_eq(r.cfa_off, 16);
	ck_assert_int_eq(r.rbx, UW_RBX_AT_CFA);
	ck_assert_int_eq(r.rbx_off, -2);
	/* mov rbx, rsp; and rsp, -64; ...; call: CFA = rbx + 16, the slot kept */
	for (int at = 4; at <= 17; at += 13) {
		r = rule_at(t, rbx + at);
		ck_assert_int_eq(r.cfa, UW_CFA_RBX);
		ck_assert_int_eq(r.cfa_off, 16);
		ck_assert_int_eq(r.rbx, UW_RBX_AT_CFA);
		ck_assert_int_eq(r.rbx_off, -2);
		ck_assert_int_eq(r.rbp, UW_RBP_SAME);
	}
	/* after the pop and .cfi_restore: the CIE's rule, the same value */
	r = rule_at(t, rbx + 21);
	ck_assert_int_eq(r.cfa, UW_CFA_RSP);
	ck_assert_int_eq(r.cfa_off, 8);
	ck_assert_int_eq(r.rbx, UW_RBX_SAME);
	/* the rsp-based callee saves rbx too */
	r = rule_at(t, sym(f.elf, "uw_rsp") + 5);
	ck_assert_int_eq(r.rbx, UW_RBX_AT_CFA);
	ck_assert_int_eq(r.rbx_off, -2);

	/* saved 2056 bytes down, then in r12: undefined, the frame kept */
	r = rule_at(t, lost + 7);
	ck_assert_int_eq(r.cfa, UW_CFA_RSP);
	ck_assert_int_eq(r.rbx, UW_RBX_SAME);
	for (int at = 11; at <= 14; at += 3) {
		r = rule_at(t, lost + at);
		ck_assert_int_eq(r.cfa, UW_CFA_RSP);
		ck_assert_int_eq(r.cfa_off, 2056);
		ck_assert_int_eq(r.rbx, UW_RBX_UNDEFINED);
	}
	r = rule_at(t, lost + 22);
	ck_assert_int_eq(r.rbx, UW_RBX_SAME);
	/* counted: the two rows of uw_rbx_lost besides uw_realign's three
	 * with the CFA in r10 */
	unsupported = uw_table__stats(t)->unsupported;
	ck_assert_uint_eq(unsupported, 3 + 2);
	uw_table__free(t);
	close_elf(&f);
}
END_TEST

static Elf *debug_file(void *ctx)
{
	return ctx;
}

START_TEST(test_unwind_table__debug_frame_comes_from_the_separate_debug_file)
{
	struct elf_file bin = open_elf(fx("uw_nocfi"));
	struct elf_file dbg = open_elf(fx("uw_nocfi.debug"));
	struct elf_file full = open_elf(fx("uw_nocfi.full"));
	struct uw_table *alone = uw_table__build(bin.elf, NULL, NULL);
	struct uw_table *t = uw_table__build(bin.elf, debug_file, dbg.elf);
	uint64_t leaf = sym(full.elf, "leaf");
	struct uw_rule r;

	/* stripped: only the C runtime's .eh_frame is left */
	ck_assert_ptr_nonnull(alone);
	ck_assert_int_eq(uw_table__lookup(alone, leaf, &r), -ENOENT);
	ck_assert_ptr_nonnull(t);
	ck_assert(uw_table__stats(t)->debug_frame);
	ck_assert_int_eq(uw_table__lookup(t, leaf, &r), 0);
	ck_assert_uint_gt(check_against_readelf(t, fx("uw_nocfi.debug"), ".debug_frame"), 3);
	uw_table__free(alone);
	uw_table__free(t);
	close_elf(&bin);
	close_elf(&dbg);
	close_elf(&full);
}
END_TEST

/* --- the bounded reader ------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Peak resident memory of this process so far, in KiB (VmHWM). */
static long peak_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

START_TEST(test_unwind_table__hostile_eh_frame_costs_its_own_frames_only)
{
	struct elf_file f = open_elf(fx("uw_hostile"));
	uint64_t spin = sym(f.elf, "uw_hostile_spin"), deep = sym(f.elf, "uw_hostile_deep");
	long rss0 = peak_rss_kib();
	double t0 = now_s(), secs;
	struct uw_table *t = uw_table__build(f.elf, NULL, NULL);
	const struct uw_table_stats *st;
	long grew;
	struct uw_rule r;

	secs = now_s() - t0;
	grew = peak_rss_kib() - rss0;
	printf("hostile .eh_frame: table built in %.3f s, peak RSS +%ld KiB\n", secs, grew);
	ck_assert_msg(secs < 1.0, "building the hostile table took %.1f s", secs);
	ck_assert_msg(grew < 64 * 1024, "building the hostile table grew RSS by %ld MiB", grew / 1024);
	ck_assert_ptr_nonnull(t);
	st = uw_table__stats(t);
	/* the register bomb is a register the table does not track: 48 rows */
	expect_rule(t, spin, UW_CFA_RSP, 8, UW_RBP_SAME, 0);
	expect_rule(t, spin + 1, UW_CFA_RSP, 16, UW_RBP_SAME, 0);
	expect_rule(t, spin + 2, UW_CFA_RSP, 8, UW_RBP_SAME, 0);
	expect_rule(t, spin + 47, UW_CFA_RSP, 16, UW_RBP_SAME, 0);
	/* remember_state 5000 deep: over the depth limit, the FDE is unusable */
	expect_rule(t, deep + 3, UW_CFA_UNSUPPORTED, 0, UW_RBP_SAME, 0);
	ck_assert_uint_eq(st->limited[UW_LIMIT_DEPTH], 1);
	/* three CIE pointers to no CIE, and the length past the end */
	ck_assert_uint_eq(st->entries_bad, 4);
	/* the C runtime's own entries, before them, are intact */
	ck_assert_int_eq(uw_table__lookup(t, sym(f.elf, "_start"), &r), 0);
	ck_assert_uint_eq(r.cfa, UW_CFA_OUTERMOST);
	uw_table__free(t);
	close_elf(&f);
}
END_TEST

START_TEST(test_unwind_table__an_80k_row_fde_builds_in_linear_time_and_matches_readelf)
{
	struct elf_file f = open_elf(fx("uw_rows.so"));
	double t0 = now_s(), secs;
	struct uw_table *t = uw_table__build(f.elf, NULL, NULL);

	secs = now_s() - t0;
	/* libdw took 1.8 s of CPU for 40k rows here, 7 s for 80k: quadratic */
	printf("80k-row FDE: %lu rows in %.3f s\n",
	       t ? (unsigned long)uw_table__stats(t)->rows : 0UL, secs);
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(secs < 2.0, "80k rows took %.1f s", secs);
	ck_assert_uint_ge(uw_table__stats(t)->rows, 80000);
	ck_assert_uint_ge(check_against_readelf(t, fx("uw_rows.so"), ".eh_frame"), 80000);
	uw_table__free(t);
	close_elf(&f);
}
END_TEST

/* --- the session's table cache ------------------------------------------- */

static pid_t start_work(const char *name)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(fx(name), name, "30", (char *)NULL);
		_exit(127);
	}
	usleep(300000);	/* ld.so has mapped everything */
	return pid;
}

static void stop_work(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Unwind an empty copy at an address of the process's main executable: only
 * the leaf frame, but its binary's table gets built. */
static void touch_exe(struct sym_session *s, pid_t pid, const char *exe)
{
	char path[64], line[1024];
	struct uw_result r;
	uint64_t st, ip = 0, ips[4];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (!ip && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) == 3 && perms[2] == 'x' &&
		    strstr(line, exe))
			ip = a;
	}
	fclose(f);
	ck_assert_msg(ip, "no executable mapping of %s", exe);
	ck_assert_int_eq(proc__start_ticks(pid, &st), 0);
	struct uw_regs regs = { .ip = ip, .sp = 0x7ff000000000ULL };
	struct uw_stack stack = { .data = (const uint8_t *)"", .len = 0, .limit = 16384 };
	ck_assert_int_eq(sym_session__unwind(s, pid, st, UW_MODE_DWARF, &regs, &stack, ips, 4, &r), 0);
	ck_assert_uint_ge(r.nr, 1);
}

START_TEST(test_unwind_table__built_once_per_binary_and_shared_by_processes)
{
	struct sym_session *s = sym_session__new(NULL);
	pid_t a = start_work("uw_work_pie"), b = start_work("uw_work_pie");
	struct sym_stats st;

	touch_exe(s, a, "uw_work_pie");
	sym_session__stats(s, &st);
	ck_assert_uint_eq(st.unwind_tables_built, 1);
	touch_exe(s, b, "uw_work_pie");
	touch_exe(s, a, "uw_work_pie");
	sym_session__stats(s, &st);
	ck_assert_uint_eq(st.unwind_tables_built, 1);
	ck_assert_uint_eq(st.unwind_tables_cached, 1);
	ck_assert_uint_gt(st.unwind_table_bytes, 0);
	stop_work(a);
	stop_work(b);
	sym_session__free(s);
}
END_TEST

START_TEST(test_unwind_table__cache_stays_within_its_bound_by_evicting)
{
	struct sym_opts o = { .max_unwind_bytes = 1 };	/* one table at a time */
	struct sym_session *s = sym_session__new(&o);
	pid_t a = start_work("uw_work_pie"), b = start_work("uw_work_nopie");
	struct sym_stats st;

	touch_exe(s, a, "uw_work_pie");
	touch_exe(s, b, "uw_work_nopie");
	touch_exe(s, a, "uw_work_pie");
	sym_session__stats(s, &st);
	ck_assert_uint_eq(st.unwind_tables_built, 3);
	ck_assert_uint_eq(st.unwind_tables_evicted, 2);
	ck_assert_uint_eq(st.unwind_tables_cached, 1);
	stop_work(a);
	stop_work(b);
	sym_session__free(s);
}
END_TEST

int main(void)
{
	const char *o = getenv("OUT") ? getenv("OUT") : "build";
	Suite *s = suite_create("unwind_table");
	TCase *tc = tcase_create("table"), *cache = tcase_create("cache");
	SRunner *sr;
	int failed;

	snprintf(fixtures, sizeof(fixtures), "%s/fixtures", o);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unwind_table__hand_written_cfi_matches_readelf_row_by_row);
	tcase_add_test(tc, test_unwind_table__o2_fixtures_libc_and_ld_so_match_readelf_row_by_row);
	tcase_add_test(tc, test_unwind_table__expresses_realignment_plt_signal_and_outermost_exactly);
	tcase_add_test(tc, test_unwind_table__expresses_an_rbx_cfa_and_rbx_save_slots);
	tcase_add_test(tc, test_unwind_table__debug_frame_comes_from_the_separate_debug_file);
	tcase_add_test(tc, test_unwind_table__hostile_eh_frame_costs_its_own_frames_only);
	tcase_add_test(tc, test_unwind_table__an_80k_row_fde_builds_in_linear_time_and_matches_readelf);
	suite_add_tcase(s, tc);
	tcase_add_test(cache, test_unwind_table__built_once_per_binary_and_shared_by_processes);
	tcase_add_test(cache, test_unwind_table__cache_stays_within_its_bound_by_evicting);
	suite_add_tcase(s, cache);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
