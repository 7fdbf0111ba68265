// SPDX-License-Identifier: MIT
/* Tests for sym_debug_spill: a separate debug file with compressed sections
 * (objcopy --compress-debug-sections, as Debian's -dbg packages ship them)
 * is handed to libdw as a copy with them decompressed, and names every
 * address of sym_work exactly as the file itself does; a file with nothing
 * compressed is used as it is, and a corrupt one is used as it is and
 * counted. Uses the sym_dbglink fixture (stripped, .symtab kept, build-id,
 * debug file sym_dbglink.debug) found under a debug root by build-id.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "symbolize/sym_debug_spill.h"
#include "symbolize/sym_elf.h"

static char root[256], spill[PATH_MAX], bin[512], dbg[512], fixtures[PATH_MAX];
static char search[PATH_MAX + 8];

static void sh(const char *fmt, const char *a, const char *b)
{
	char cmd[4 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* The first line of what cmd prints, its newline cut, into buf. */
static void first_line(const char *cmd, char *buf, size_t len)
{
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(fgets(buf, (int)len, p) != NULL, "nothing from: %s", cmd);
	pclose(p);
	buf[strcspn(buf, "\n")] = 0;
}

/* The debug file under root's .build-id/ (where it is found by build-id),
 * from the fixture's, made by cmd ("cp" or an objcopy). */
static void place_debug(const char *cmd)
{
	char from[PATH_MAX + 32], id[128] = "", line[600];

	snprintf(line, sizeof(line), "readelf -n '%s' 2>/dev/null | awk '/Build ID/ { print $3 }'", bin);
	first_line(line, id, sizeof(id));
	ck_assert_uint_gt(strlen(id), 2);
	snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s/%s.debug", root, id, id + 2);
	sh("mkdir -p \"$(dirname '%s')\"%s", dbg, "");
	snprintf(from, sizeof(from), "%s/sym_dbglink.debug", fixtures);
	if (!strcmp(cmd, "cp"))
		sh("cp '%s' '%s'", from, dbg);
	else
		sh("objcopy --compress-debug-sections=zlib '%s' '%s'", from, dbg);
}

static void setup(void)
{
	const char *out = getenv("OUT") ? getenv("OUT") : "build";
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/fixtures", out);
	ck_assert_ptr_nonnull(realpath(rel, fixtures));
	snprintf(root, sizeof(root), "/tmp/cprof-spill-root-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	/* the spilled copies on disk: the build's directory, never a tmpfs */
	snprintf(spill, sizeof(spill), "%s/spill-XXXXXX", out);
	ck_assert_ptr_nonnull(mkdtemp(spill));
	snprintf(bin, sizeof(bin), "%s/sym_dbglink", root);
	sh("cp '%s/sym_dbglink' '%s'", fixtures, bin);
	snprintf(search, sizeof(search), ":%s", root);
}

static void teardown(void)
{
	ck_assert_int_eq(sym_debug_spill__set_dir(NULL), 0);
	sh("rm -rf '%s' '%s'", root, spill);
}

struct answer {
	char name[64], file[128];
	uint32_t line;
};

/* Every address of sym_work through a new sym_elf; whether libdw read its
 * DWARF from another file than the debug file (the spilled copy: bigger)
 * into *copy. */
static int resolve_all(struct answer *out, size_t max, bool *copy)
{
	char cmd[PATH_MAX + 64], line[128];
	unsigned long long a = 0, size = 0;
	int fd = open(bin, O_RDONLY | O_CLOEXEC), n = 0;
	struct sym_elf *e;
	struct stat st;
	size_t dw_size = 0;
	Elf *dw;

	snprintf(cmd, sizeof(cmd), "nm -S '%s' | awk '$4 == \"sym_work\" { print $1, $2 }'", bin);
	first_line(cmd, line, sizeof(line));
	ck_assert_int_eq(sscanf(line, "%llx %llx", &a, &size), 2);
	ck_assert_int_ge(fd, 0);
	e = sym_elf__open(bin, fd, search);
	ck_assert_ptr_nonnull(e);
	dw = sym_elf__debug_elf(e);
	ck_assert_ptr_nonnull(dw);
	ck_assert_ptr_nonnull(elf_rawfile(dw, &dw_size));
	ck_assert_int_eq(stat(dbg, &st), 0);
	*copy = dw_size != (size_t)st.st_size;
	for (unsigned long long i = 0; i < size && (size_t)n < max; i++, n++) {
		struct sym_elf_frame f[8];
		int k = sym_elf__resolve(e, a + i, f, 8);

		ck_assert_int_ge(k, 1);
		snprintf(out[n].name, sizeof(out[n].name), "%s", f[k - 1].name);
		snprintf(out[n].file, sizeof(out[n].file), "%s", f[k - 1].file ? f[k - 1].file : "");
		out[n].line = f[k - 1].line;
	}
	sym_elf__free(e);
	return n;
}

START_TEST(test_debug_spill__compressed_sections_name_the_same_decompressed_on_disk)
{
	static struct answer plain[512], spilled[512], unspilled[512];
	struct sym_debug_spill_stats st0, st1;
	bool copy;
	int n;

	place_debug("cp");
	n = resolve_all(plain, 512, &copy);
	ck_assert(!copy);
	ck_assert_int_gt(n, 8);
	ck_assert_ptr_nonnull(strstr(plain[0].file, "sym_prog.c"));
	ck_assert_uint_gt(plain[0].line, 0);

	place_debug("objcopy");
	/* off: libdw decompresses them itself */
	ck_assert_int_eq(resolve_all(unspilled, 512, &copy), n);
	ck_assert(!copy);
	ck_assert_int_eq(sym_debug_spill__set_dir(spill), 0);
	sym_debug_spill__stats(&st0);
	ck_assert_int_eq(resolve_all(spilled, 512, &copy), n);
	sym_debug_spill__stats(&st1);
	ck_assert_msg(copy, "libdw was given the compressed file");
	ck_assert_uint_eq(st1.files, st0.files + 1);
	ck_assert_uint_gt(st1.bytes, st0.bytes);
	ck_assert_uint_eq(st1.failed, st0.failed);
	for (int i = 0; i < n; i++) {
		ck_assert_str_eq(spilled[i].name, plain[i].name);
		ck_assert_str_eq(spilled[i].file, plain[i].file);
		ck_assert_uint_eq(spilled[i].line, plain[i].line);
		ck_assert_str_eq(unspilled[i].file, plain[i].file);
	}
}
END_TEST

START_TEST(test_debug_spill__a_file_with_nothing_compressed_is_used_as_it_is)
{
	static struct answer a[512];
	struct sym_debug_spill_stats st0, st1;
	bool copy;

	place_debug("cp");
	ck_assert_int_eq(sym_debug_spill__set_dir(spill), 0);
	sym_debug_spill__stats(&st0);
	ck_assert_int_gt(resolve_all(a, 512, &copy), 8);
	sym_debug_spill__stats(&st1);
	ck_assert_uint_eq(st1.files, st0.files);
	ck_assert_uint_eq(st1.failed, st0.failed);
	ck_assert_ptr_nonnull(strstr(a[0].file, "sym_prog.c"));
}
END_TEST

/* A compressed .debug_info whose stream is garbage: the copy fails, is
 * counted, and the file is used as it is (its symbols still name). */
START_TEST(test_debug_spill__a_corrupt_stream_is_counted_and_the_file_used_as_it_is)
{
	static struct answer a[512];
	struct sym_debug_spill_stats st0, st1;
	char cmd[PATH_MAX + 200], line[64];
	unsigned long long off = 0;
	bool copy;

	place_debug("objcopy");
	snprintf(cmd, sizeof(cmd), "readelf -SW '%s' 2>/dev/null | awk '$2 == \".debug_info\" { print $5 }'", dbg);
	first_line(cmd, line, sizeof(line));
	ck_assert_int_eq(sscanf(line, "%llx", &off), 1);
	snprintf(line, sizeof(line), "%llu", off + 24 + 4);	/* past the header and 4 bytes */
	sh("printf 'XXXXXXXXXXXXXXXX' | dd of='%s' bs=1 seek=%s conv=notrunc status=none", dbg, line);
	ck_assert_int_eq(sym_debug_spill__set_dir(spill), 0);
	sym_debug_spill__stats(&st0);
	ck_assert_int_gt(resolve_all(a, 512, &copy), 8);
	sym_debug_spill__stats(&st1);
	ck_assert_uint_eq(st1.files, st0.files);
	ck_assert_uint_eq(st1.failed, st0.failed + 1);
	ck_assert_str_eq(a[0].name, "sym_work");
}
END_TEST

START_TEST(test_debug_spill__a_directory_in_memory_is_refused)
{
	struct stat st;

	if (stat("/dev/shm", &st) != 0) {
		printf("SKIP: no /dev/shm\n");
		return;
	}
	ck_assert_int_eq(sym_debug_spill__set_dir("/dev/shm"), -EXDEV);
	ck_assert_int_lt(sym_debug_spill__set_dir("/nonexistent-spill-dir"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("debug_spill");
	TCase *tc = tcase_create("debug_spill");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_debug_spill__compressed_sections_name_the_same_decompressed_on_disk);
	tcase_add_test(tc, test_debug_spill__a_file_with_nothing_compressed_is_used_as_it_is);
	tcase_add_test(tc, test_debug_spill__a_corrupt_stream_is_counted_and_the_file_used_as_it_is);
	tcase_add_test(tc, test_debug_spill__a_directory_in_memory_is_refused);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
