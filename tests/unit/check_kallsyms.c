// SPDX-License-Identifier: MIT
/* Tests for symbolize/kallsyms on fixture text (core and module symbols,
 * unsorted input, exact span boundaries, zeroed addresses), and for the
 * session's kernel frames against the live /proc/kallsyms.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
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
	tcase_add_test(tc, test_kallsyms__finds_symbols_at_their_exact_boundaries);
	tcase_add_test(tc, test_kallsyms__keeps_the_module_name_of_module_symbols);
	tcase_add_test(tc, test_kallsyms__names_nothing_when_every_address_is_zero);
	tcase_add_test(tc, test_kallsyms__probe_tells_hidden_addresses_from_readable_ones);
	tcase_add_test(tc, test_kallsyms__parses_from_a_file_stream);
	tcase_add_test(tc, test_kallsyms__session_names_live_kernel_addresses);
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
