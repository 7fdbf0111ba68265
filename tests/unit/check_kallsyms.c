// SPDX-License-Identifier: MIT
/* Tests for symbolize/kallsyms on fixture text (core and module symbols,
 * unsorted input, exact span boundaries, zeroed addresses), on a large
 * generated table against a plain reference of the lookup rules (every
 * boundary of every symbol, across the name blocks and their cache), and
 * for the session's kernel frames against the live /proc/kallsyms.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/sym_kallsyms.h"
#include "symbolize/sym_session.h"

/* deliberately unsorted; data symbols (d, b, r) must be ignored */
static const char KALLSYMS[] =
	"ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000100 T do_one_initcall\n"
	"ffffffff82000000 D some_data\n"
	"ffffffff81000040 t helper_a\n"
	"ffffffffc0a01200 T nft_register_chain\t[nf_tables]\n"
	"ffffffff81000200 T _etext\n"
	"ffffffffc0b00000 t ext4_readpage\t[ext4]\n"
	"ffffffff81000080 W weak_fn\n"
	"ffffffff82000100 b bss_thing\n"
	"ffffffffc0a01100 t nft_trace\t[nf_tables]\n";

static struct sym_kallsyms *parse_fixture(void)
{
	struct sym_kallsyms *k = sym_kallsyms__parse_string(KALLSYMS);

	ck_assert_ptr_nonnull(k);
	ck_assert(!sym_kallsyms__restricted(k));
	return k;
}

static void expect(const struct sym_kallsyms *k, uint64_t addr, const char *name, const char *module)
{
	struct sym_ksym ks;

	ck_assert_msg(sym_kallsyms__lookup(k, addr, &ks) == 0, "no symbol at %" PRIx64, addr);
	ck_assert_str_eq(ks.name, name);
	if (module)
		ck_assert_str_eq(ks.module, module);
	else
		ck_assert_ptr_null(ks.module);
}

START_TEST(test_kallsyms__keeps_only_text_symbols)
{
	struct sym_kallsyms *k = parse_fixture();

	/* 9 text symbols of 11 lines */
	ck_assert_uint_eq(sym_kallsyms__count(k), 9);
	sym_kallsyms__free(k);
}
END_TEST

/* Names that add nothing to the one before: "__pfx_" alone (its stem is
 * empty), and a name twice. The fuzzer's find: the first, as the table's
 * first name, copied zero bytes into a stem not allocated yet. */
START_TEST(test_kallsyms__names_all_stem_are_kept)
{
	struct sym_kallsyms *k = sym_kallsyms__parse_string(
		"ffffffff81000000 T __pfx_\n"
		"ffffffff81000010 t foo\n"
		"ffffffff81000020 t foo\n"
		"ffffffff81000030 T __pfx_foo\n"
		"ffffffff81000040 T foo\n");
	struct sym_ksym ks;

	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(sym_kallsyms__count(k), 5);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffff81000004, &ks), 0);
	ck_assert_str_eq(ks.name, "__pfx_");
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffff81000024, &ks), 0);
	ck_assert_str_eq(ks.name, "foo");
	ck_assert_uint_eq(ks.addr, 0xffffffff81000020);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffff81000034, &ks), 0);
	ck_assert_str_eq(ks.name, "__pfx_foo");
	sym_kallsyms__free(k);
}
END_TEST

START_TEST(test_kallsyms__finds_symbols_at_their_exact_boundaries)
{
	struct sym_kallsyms *k = parse_fixture();
	struct sym_ksym ks;

	expect(k, 0xffffffff81000000ull, "_stext", NULL);
	expect(k, 0xffffffff8100003full, "_stext", NULL);
	expect(k, 0xffffffff81000040ull, "helper_a", NULL);
	expect(k, 0xffffffff8100007full, "helper_a", NULL);
	expect(k, 0xffffffff81000080ull, "weak_fn", NULL);
	expect(k, 0xffffffff81000100ull, "do_one_initcall", NULL);
	expect(k, 0xffffffff810001ffull, "do_one_initcall", NULL);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffff810001ffull, &ks), 0);
	ck_assert_uint_eq(ks.addr, 0xffffffff81000100ull);
	ck_assert_uint_eq(ks.end, 0xffffffff81000200ull);
	/* below the first symbol, and at the _etext end marker */
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffff80ffffffull, &ks), -ENOENT);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffff81000200ull, &ks), -ENOENT);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffff90000000ull, &ks), -ENOENT);
	sym_kallsyms__free(k);
}
END_TEST

START_TEST(test_kallsyms__keeps_the_module_name_of_module_symbols)
{
	struct sym_kallsyms *k = parse_fixture();
	const char *name;
	uint64_t start, limit;
	struct sym_ksym ks;

	expect(k, 0xffffffffc0a01000ull, "nft_do_chain", "nf_tables");
	expect(k, 0xffffffffc0a010ffull, "nft_do_chain", "nf_tables");
	expect(k, 0xffffffffc0a01100ull, "nft_trace", "nf_tables");
	expect(k, 0xffffffffc0a01234ull, "nft_register_chain", "nf_tables");
	expect(k, 0xffffffffc0b00010ull, "ext4_readpage", "ext4");

	ck_assert_uint_eq(sym_kallsyms__nmodules(k), 3);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffffc0a01000ull, &ks), 0);
	ck_assert_int_eq(sym_kallsyms__module(k, ks.module_idx, &name, &start, &limit), 0);
	ck_assert_str_eq(name, "nf_tables");
	ck_assert_uint_eq(start, 0xffffffffc0a01000ull);
	/* the last symbol of a module spans at most SYM_KALLSYMS_MAX_SPAN */
	ck_assert_uint_eq(limit, 0xffffffffc0a01200ull + SYM_KALLSYMS_MAX_SPAN);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffffc0a01200ull + SYM_KALLSYMS_MAX_SPAN, &ks), -ENOENT);
	ck_assert_int_eq(sym_kallsyms__module(k, 0, &name, &start, &limit), 0);
	ck_assert_ptr_null(name);
	ck_assert_uint_eq(start, 0xffffffff81000000ull);
	sym_kallsyms__free(k);
}
END_TEST

START_TEST(test_kallsyms__names_nothing_when_every_address_is_zero)
{
	struct sym_kallsyms *k = sym_kallsyms__parse_string(
		"0000000000000000 T _stext\n"
		"0000000000000000 t helper_a\n"
		"0000000000000000 t nft_do_chain\t[nf_tables]\n");
	struct sym_ksym ks;

	ck_assert_ptr_nonnull(k);
	ck_assert(sym_kallsyms__restricted(k));
	ck_assert_uint_eq(sym_kallsyms__count(k), 0);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0, &ks), -ENOENT);
	ck_assert_int_eq(sym_kallsyms__lookup(k, 0xffffffff81000000ull, &ks), -ENOENT);
	sym_kallsyms__free(k);
}
END_TEST

START_TEST(test_kallsyms__parses_from_a_file_stream)
{
	FILE *f = fmemopen((void *)KALLSYMS, strlen(KALLSYMS), "r");
	struct sym_kallsyms *k;

	ck_assert_ptr_nonnull(f);
	k = sym_kallsyms__parse(f);
	fclose(f);
	ck_assert_ptr_nonnull(k);
	expect(k, 0xffffffff81000041ull, "helper_a", NULL);
	sym_kallsyms__free(k);
}
END_TEST

/* The live kernel: vfs_read must come back by name in [kernel.kallsyms]. */
START_TEST(test_kallsyms__session_names_live_kernel_addresses)
{
	struct sym_session *s = sym_session__new(NULL);
	char line[512], name[256], type;
	uint64_t addr = 0, a;
	struct sym_result r;
	FILE *f = fopen("/proc/kallsyms", "r");

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 " %c %255s", &a, &type, name) == 3 &&
		    strcmp(name, "vfs_read") == 0) {
			addr = a;
			break;
		}
	fclose(f);
	/* a return address one past vfs_read's first byte: looked up at addr */
	ck_assert_int_eq(sym_session__resolve_kernel(s, addr ? addr + 1 : 0xffffffff81000001ull, true, &r), 0);
	ck_assert_ptr_nonnull(r.mapping);
	ck_assert_str_eq(r.mapping->path, "[kernel.kallsyms]");
	if (addr == 0) {
		/* kptr_restrict: nothing named, never dropped */
		ck_assert_uint_eq(r.nframes, 0);
	} else {
		ck_assert_uint_eq(r.nframes, 1);
		ck_assert_str_eq(r.frames[0].name, "vfs_read");
		ck_assert_str_eq(r.frames[0].system_name, "vfs_read");
		ck_assert_ptr_null(r.frames[0].file);
		ck_assert_uint_le(r.mapping->start, addr);
		ck_assert_uint_gt(r.mapping->limit, addr);
		ck_assert_uint_eq(r.mapping->offset, 0);
	}
	/* the GNU build-id note of the running kernel, 20 bytes as hex */
	if (access("/sys/kernel/notes", R_OK) == 0)
		ck_assert_uint_eq(strlen(r.mapping->build_id), 40);
	sym_session__free(s);
}
END_TEST

/* A generated table: many symbols with shared prefixes in the core kernel
 * and two modules, "__pfx_" padding before half the functions, aliases and
 * end markers at one address, markers alone, long names, gaps past
 * SYM_KALLSYMS_MAX_SPAN inside and between modules, shuffled input. With
 * wide, one core symbol sits below 4 GiB, so the addresses span more than
 * 32 bits. */
#define SYNTH_N 50000
#define SYNTH_NAME_MAX 200

struct ref_sym {
	uint64_t addr;
	char name[SYNTH_NAME_MAX];
	const char *module;	/* NULL: the core kernel */
	bool marker;
	uint32_t order;		/* line in the input */
};

struct synth {
	struct ref_sym *syms;	/* sorted as the table promises */
	size_t n;
	char *text;
};

static uint64_t synth_rng;

static uint64_t synth_next(void)
{
	synth_rng ^= synth_rng << 13;
	synth_rng ^= synth_rng >> 7;
	synth_rng ^= synth_rng << 17;
	return synth_rng;
}

static struct ref_sym *synth_add(struct synth *s, uint64_t addr, const char *module, const char *name)
{
	struct ref_sym *r;

	ck_assert_uint_lt(s->n, SYNTH_N + 64);
	r = &s->syms[s->n++];
	r->addr = addr;
	r->module = module;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->marker = strcmp(name, "_etext") == 0 || strcmp(name, "_einittext") == 0;
	return r;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct ref_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->marker != y->marker)
		return x->marker ? 1 : -1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void synth_make(struct synth *s, bool wide)
{
	static const char *const stems[] = { "ext4_", "tcp_v4_", "__x64_sys_", "mm_", "do_", "nft_", "" };
	static const char *const types = "tTwW";
	const char *module = NULL;
	uint64_t addr = 0xffffffff81000000ull;
	char name[SYNTH_NAME_MAX], line[SYNTH_NAME_MAX + 64];
	size_t len = 0, cap = (size_t)(SYNTH_N + 64) * sizeof(line);

	synth_rng = 0x9e3779b97f4a7c15ull;
	s->n = 0;
	s->syms = calloc(SYNTH_N + 64, sizeof(*s->syms));
	ck_assert_ptr_nonnull(s->syms);
	if (wide)
		synth_add(s, 0x1000, NULL, "low_sym");
	for (uint32_t i = 0; s->n < SYNTH_N; i++) {
		unsigned kind = (unsigned)(synth_next() % 100);

		if (!module && s->n >= SYNTH_N * 8 / 10)
			module = "mod_a", addr = 0xffffffffc0001000ull;
		else if (module && module[4] == 'a' && s->n >= SYNTH_N * 9 / 10)
			module = "mod_b", addr = 0xffffffffc1000000ull;
		if (kind < 2) {
			/* long: the next one shares more than a code byte counts */
			memset(name, 'x', 150);
			snprintf(name + 150, sizeof(name) - 150, "_%u", i);
		} else {
			snprintf(name, sizeof(name), "%sfunc_%u", stems[synth_next() % 7], i / 3);
			if (i % 3)
				snprintf(name + strlen(name), sizeof(name) - strlen(name), "_part%u", i % 3);
		}
		if (kind == 2) {
			synth_add(s, addr, module, "_einittext");	/* a marker alone */
			addr += 0x40;
		}
		if (kind & 1) {	/* padding before the function, as a 6.x kernel has */
			char pfx[SYNTH_NAME_MAX];

			snprintf(pfx, sizeof(pfx), "__pfx_%.150s", name);
			synth_add(s, addr, module, pfx);
			addr += 16;
		}
		synth_add(s, addr, module, name);
		if (kind >= 95) {	/* an alias after it, at one address */
			strcat(name, "_alias");
			synth_add(s, addr, module, name);
		}
		if (kind == 4)		/* an end marker at a function's address */
			synth_add(s, addr, module, "_etext");
		addr += 16 * (1 + synth_next() % 32);
		if (kind == 6)		/* past the span cap, in one module */
			addr += 2 * SYM_KALLSYMS_MAX_SPAN;
	}
	/* shuffle the lines; input order decides among names at one address */
	for (size_t i = s->n; i > 1; i--) {
		size_t j = (size_t)(synth_next() % i);
		struct ref_sym t = s->syms[i - 1];

		s->syms[i - 1] = s->syms[j];
		s->syms[j] = t;
	}
	s->text = malloc(cap);
	ck_assert_ptr_nonnull(s->text);
	for (size_t i = 0; i < s->n; i++) {
		struct ref_sym *r = &s->syms[i];
		int w;

		r->order = (uint32_t)i;
		if (r->module)
			w = snprintf(line, sizeof(line), "%016" PRIx64 " %c %s\t[%s]\n", r->addr,
				     types[i % 4], r->name, r->module);
		else
			w = snprintf(line, sizeof(line), "%016" PRIx64 " %c %s\n", r->addr, types[i % 4],
				     r->name);
		ck_assert_int_lt(w, (int)sizeof(line));
		memcpy(s->text + len, line, (size_t)w);
		len += (size_t)w;
		if (i % 1000 == 0) {	/* and lines the table ignores */
			w = snprintf(line, sizeof(line), "%016" PRIx64 " D data_%zu\n", r->addr, i);
			memcpy(s->text + len, line, (size_t)w);
			len += (size_t)w;
		}
	}
	s->text[len] = '\0';
	qsort(s->syms, s->n, sizeof(*s->syms), cmp_ref);
}

static void synth_free(struct synth *s)
{
	free(s->syms);
	free(s->text);
}

static bool same_module(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The reference: where sorted entry i ends, per sym_kallsyms.h. */
static uint64_t ref_end(const struct synth *s, size_t i)
{
	const struct ref_sym *r = &s->syms[i];
	size_t j = i + 1;
	uint64_t end;

	while (j < s->n && s->syms[j].addr == r->addr)
		j++;
	if (j < s->n) {
		end = s->syms[j].addr;
		if (!same_module(s->syms[j].module, r->module) && end - r->addr > SYM_KALLSYMS_MAX_SPAN)
			end = r->addr + SYM_KALLSYMS_MAX_SPAN;
		return end;
	}
	end = r->addr + SYM_KALLSYMS_MAX_SPAN;
	return end < r->addr ? UINT64_MAX : end;
}

/* The reference lookup: the sorted entry naming addr, or -1. */
static ssize_t ref_lookup(const struct synth *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	for (lo--; lo > 0 && s->syms[lo - 1].addr == s->syms[lo].addr;)
		lo--;
	if (s->syms[lo].marker || addr >= ref_end(s, lo))
		return -1;
	return (ssize_t)lo;
}

/* Every symbol's start, its neighbours, its middle, its end and the span
 * cap past it, looked up in the table and in the reference. A name comes
 * back at one pointer each time, still intact after every other decode. */
START_TEST(test_kallsyms__large_tables_look_up_as_the_reference_does)
{
	struct synth s;
	struct sym_kallsyms *k;
	const char **seen;
	size_t name_bytes = 0, looked = 0;

	synth_make(&s, _i == 1);
	k = sym_kallsyms__parse_string(s.text);
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(sym_kallsyms__count(k), s.n);
	ck_assert_uint_eq(sym_kallsyms__nmodules(k), 3);
	for (size_t i = 0; i < s.n; i++)
		name_bytes += strlen(s.syms[i].name) + 1;
	/* far below the 16-byte records and plain names it replaced */
	ck_assert_uint_lt(sym_kallsyms__bytes(k) * 3, 16 * s.n + name_bytes);
	seen = calloc(s.n, sizeof(*seen));
	ck_assert_ptr_nonnull(seen);
	for (size_t i = 0; i < s.n; i++) {
		uint64_t a = s.syms[i].addr, end = ref_end(&s, i);
		uint64_t qs[] = { a - 1, a, a + 1, a + (end - a) / 2, end - 1, end,
				  a + SYM_KALLSYMS_MAX_SPAN - 1, a + SYM_KALLSYMS_MAX_SPAN };

		for (size_t q = 0; q < sizeof(qs) / sizeof(qs[0]); q++) {
			ssize_t want = ref_lookup(&s, qs[q]);
			struct sym_ksym ks;
			const char *mname = NULL;
			int err = sym_kallsyms__lookup(k, qs[q], &ks);

			/* plain ifs: in fork mode every ck_assert is a write */
			if (want < 0) {
				if (err != -ENOENT)
					ck_abort_msg("%" PRIx64 ": %d, %s", qs[q], err, err ? "" : ks.name);
				continue;
			}
			if (err)
				ck_abort_msg("%" PRIx64 ": %d, want %s", qs[q], err, s.syms[want].name);
			if (sym_kallsyms__module(k, ks.module_idx, &mname, NULL, NULL) < 0 ||
			    strcmp(ks.name, s.syms[want].name) || ks.addr != s.syms[want].addr ||
			    ks.end != ref_end(&s, (size_t)want) || !same_module(ks.module, s.syms[want].module) ||
			    !same_module(mname, s.syms[want].module))
				ck_abort_msg("%" PRIx64 ": %s %" PRIx64 "-%" PRIx64 " [%s], want %s %" PRIx64
					     "-%" PRIx64 " [%s]", qs[q], ks.name, ks.addr, ks.end,
					     ks.module ? ks.module : "", s.syms[want].name, s.syms[want].addr,
					     ref_end(&s, (size_t)want),
					     s.syms[want].module ? s.syms[want].module : "");
			if (!seen[want])
				seen[want] = ks.name, looked++;
			if (ks.name != seen[want])
				ck_abort_msg("%s moved", ks.name);
		}
	}
	for (size_t i = 0; i < s.n; i++)
		if (seen[i] && strcmp(seen[i], s.syms[i].name))
			ck_abort_msg("%s became %s", s.syms[i].name, seen[i]);
	ck_assert_uint_gt(looked, s.n / 2);
	/* module ranges: [lowest start, highest end) of each module's symbols */
	for (uint32_t m = 0; m < 3; m++) {
		const char *mname;
		uint64_t start, limit, want_start = UINT64_MAX, want_limit = 0;

		ck_assert_int_eq(sym_kallsyms__module(k, m, &mname, &start, &limit), 0);
		for (size_t i = 0; i < s.n; i++) {
			if (!same_module(s.syms[i].module, mname))
				continue;
			if (s.syms[i].addr < want_start)
				want_start = s.syms[i].addr;
			if (ref_end(&s, i) > want_limit)
				want_limit = ref_end(&s, i);
		}
		ck_assert_uint_eq(start, want_start);
		ck_assert_uint_eq(limit, want_limit);
	}
	free(seen);
	sym_kallsyms__free(k);
	synth_free(&s);
}
END_TEST

/* Writes text to a fresh temporary file; returns its malloc'd path. */
static char *fake_kallsyms(const char *text)
{
	char *path = strdup("/tmp/cprof-kallsyms.XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_kallsyms__probe_tells_hidden_addresses_from_readable_ones)
{
	char *zeros = fake_kallsyms("0000000000000000 T _stext\n"
				    "0000000000000000 t helper_a\n"
				    "0000000000000000 t nft_do_chain\t[nf_tables]\n");
	char *real = fake_kallsyms("0000000000000000 A fixed_percpu_data\n"
				   "ffffffff81000000 T _stext\n");
	char *empty = fake_kallsyms("");
	struct sym_kallsyms *live;

	ck_assert_int_eq(sym_kallsyms__probe_hidden(zeros), 1);
	ck_assert_int_eq(sym_kallsyms__probe_hidden(real), 0);
	ck_assert_int_eq(sym_kallsyms__probe_hidden(empty), 0);
	ck_assert_int_eq(sym_kallsyms__probe_hidden("/nonexistent/kallsyms"), -ENOENT);
	/* the live file: the probe agrees with a full parse */
	live = sym_kallsyms__load();
	if (live) {
		ck_assert_int_eq(sym_kallsyms__probe_hidden(NULL), sym_kallsyms__restricted(live));
		/* less than the 16-byte records alone it used to keep */
		ck_assert_uint_lt(sym_kallsyms__bytes(live), 16 * sym_kallsyms__count(live) + 4096);
		sym_kallsyms__free(live);
	}
	unlink(zeros);
	unlink(real);
	unlink(empty);
	free(zeros);
	free(real);
	free(empty);
}
END_TEST

static Suite *kallsyms_suite(void)
{
	Suite *s = suite_create("kallsyms");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_kallsyms__keeps_only_text_symbols);
	tcase_add_test(tc, test_kallsyms__names_all_stem_are_kept);
	tcase_add_test(tc, test_kallsyms__finds_symbols_at_their_exact_boundaries);
	tcase_add_test(tc, test_kallsyms__keeps_the_module_name_of_module_symbols);
	tcase_add_test(tc, test_kallsyms__names_nothing_when_every_address_is_zero);
	tcase_add_test(tc, test_kallsyms__probe_tells_hidden_addresses_from_readable_ones);
	tcase_add_test(tc, test_kallsyms__parses_from_a_file_stream);
	tcase_add_test(tc, test_kallsyms__session_names_live_kernel_addresses);
	suite_add_tcase(s, tc);
	tc = tcase_create("large");
	tcase_set_timeout(tc, 60);
	/* 0: addresses within 4 GiB, 1: wider */
	tcase_add_loop_test(tc, test_kallsyms__large_tables_look_up_as_the_reference_does, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kallsyms_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
