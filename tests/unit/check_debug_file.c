// SPDX-License-Identifier: MIT
/* Tests for sym_debug_file: the .gnu_debuglink of a user's binary naming a
 * FIFO, a symlink or a file of another build must not block cprof nor be
 * used; the genuine debug file next to the binary still is, even a user's
 * (from a private copy). And sym_untrusted_elf: a user's binary truncated
 * while cprof holds it does not kill cprof with SIGBUS. Uses the sym_dbglink
 * (stripped, .symtab kept, debuglink sym_dbglink.debug) and sym_pie fixtures.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "symbolize/sym_elf.h"

static char dir[64], bin[128], dbg[128], fixtures[256];

static void copy(const char *from, const char *to)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	ck_assert_int_eq(system(cmd), 0);
}

static void setup(void)
{
	char from[400];

	snprintf(fixtures, sizeof(fixtures), "%s/fixtures", getenv("OUT") ? getenv("OUT") : "build");
	snprintf(dir, sizeof(dir), "/tmp/cprof-debug-file-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/sym_dbglink", dir);
	snprintf(dbg, sizeof(dbg), "%s/sym_dbglink.debug", dir);
	snprintf(from, sizeof(from), "%s/sym_dbglink", fixtures);
	copy(from, bin);
	alarm(10); /* a blocked open fails the test instead of hanging it */
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static uint64_t sym_addr(const char *name)
{
	char cmd[300], line[256];
	uint64_t a = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm '%s'", bin);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p)) {
		char n[128];
		uint64_t v;

		if (sscanf(line, "%" SCNx64 " %*s %127s", &v, n) == 2 && !strcmp(n, name))
			a = v;
	}
	pclose(p);
	ck_assert_msg(a, "%s not in %s", name, bin);
	return a;
}

/* File of sym_work's first line, or NULL when no debug info was found. */
static const char *file_of_sym_work(void)
{
	static char file[256];
	struct sym_elf_frame f[8];
	struct sym_elf *e;
	int fd = open(bin, O_RDONLY | O_CLOEXEC), n;
	const char *ret = NULL;

	ck_assert_int_ge(fd, 0);
	e = sym_elf__open(bin, fd, ":.debug:/nonexistent-debug-root");
	ck_assert_ptr_nonnull(e);
	n = sym_elf__resolve(e, sym_addr("sym_work"), f, 8);
	ck_assert_int_ge(n, 1);
	ck_assert_str_eq(f[n - 1].name, "sym_work");
	if (f[n - 1].file) {
		snprintf(file, sizeof(file), "%s", f[n - 1].file);
		ret = file;
	}
	sym_elf__free(e);
	return ret;
}

START_TEST(test_debug_file__the_genuine_debuglink_file_is_used)
{
	char from[400];

	snprintf(from, sizeof(from), "%s/sym_dbglink.debug", fixtures);
	copy(from, dbg);
	ck_assert_ptr_nonnull(file_of_sym_work());
	ck_assert_ptr_nonnull(strstr(file_of_sym_work(), "sym_prog.c"));
}
END_TEST

START_TEST(test_debug_file__a_fifo_named_by_the_debuglink_does_not_block)
{
	ck_assert_int_eq(mkfifo(dbg, 0644), 0);
	ck_assert_ptr_null(file_of_sym_work());
}
END_TEST

START_TEST(test_debug_file__a_debuglink_symlink_is_not_followed)
{
	char from[PATH_MAX + 8];

	snprintf(from, sizeof(from), "%s/sym_dbglink.debug", fixtures);
	if (from[0] != '/') { /* a relative link would resolve against dir */
		char abs[PATH_MAX];

		ck_assert_ptr_nonnull(realpath(from, abs));
		snprintf(from, sizeof(from), "%s", abs);
	}
	ck_assert_int_eq(symlink(from, dbg), 0);
	ck_assert_ptr_null(file_of_sym_work());
	unlink(dbg);
	ck_assert_int_eq(symlink("/dev/zero", dbg), 0);
	ck_assert_ptr_null(file_of_sym_work());
}
END_TEST

START_TEST(test_debug_file__a_debug_file_of_another_build_is_not_used)
{
	char from[400];

	/* the debug file of another binary, under the expected name */
	snprintf(from, sizeof(from), "%s/sym_bidonly.full", fixtures);
	copy(from, dbg);
	ck_assert_ptr_null(file_of_sym_work());
}
END_TEST

/* --- files their owner can change under cprof ---------------------------------- */

START_TEST(test_debug_file__a_users_debug_file_is_used_from_a_private_copy)
{
	char from[400];

	if (geteuid() != 0) {
		printf("SKIP: chown needs root\n");
		return;
	}
	snprintf(from, sizeof(from), "%s/sym_dbglink.debug", fixtures);
	copy(from, dbg);
	ck_assert_int_eq(chown(dbg, 65534, 65534), 0);
	ck_assert_ptr_nonnull(file_of_sym_work());
	ck_assert_ptr_nonnull(strstr(file_of_sym_work(), "sym_prog.c"));
}
END_TEST

START_TEST(test_debug_file__a_users_debug_file_truncated_later_does_not_kill_cprof)
{
	struct sym_elf_frame f[8];
	char from[400];
	struct sym_elf *e;
	uint64_t addr = sym_addr("sym_work");
	int fd, n;

	if (geteuid() != 0) {
		printf("SKIP: chown needs root\n");
		return;
	}
	snprintf(from, sizeof(from), "%s/sym_dbglink.debug", fixtures);
	copy(from, dbg);
	ck_assert_int_eq(chown(dbg, 65534, 65534), 0);
	fd = open(bin, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	e = sym_elf__open(bin, fd, ":.debug:/nonexistent-debug-root");
	ck_assert_ptr_nonnull(e);
	n = sym_elf__resolve(e, addr, f, 8);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_nonnull(f[n - 1].file); /* the debug file is in use */
	/* its owner truncates it: names and files point into its data */
	ck_assert_int_eq(truncate(dbg, 0), 0);
	n = sym_elf__resolve(e, addr, f, 8);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_nonnull(strstr(f[n - 1].file, "sym_prog.c"));
	sym_elf__free(e);
}
END_TEST

START_TEST(test_untrusted_elf__a_binary_truncated_by_its_owner_does_not_kill_cprof)
{
	struct sym_elf_frame f[8];
	char from[400];
	struct sym_elf *e;
	uint64_t addr;
	int fd;

	if (geteuid() != 0) {
		printf("SKIP: chown needs root\n");
		return;
	}
	snprintf(from, sizeof(from), "%s/sym_pie", fixtures);
	copy(from, bin);
	ck_assert_int_eq(chown(bin, 65534, 65534), 0);
	addr = sym_addr("sym_work");
	fd = open(bin, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	e = sym_elf__open(bin, fd, ":.debug:/nonexistent-debug-root");
	ck_assert_ptr_nonnull(e);
	/* what a user can do to their own library while cprof holds it: a
	 * mapping of it would now raise SIGBUS on the symbol table */
	ck_assert_int_eq(truncate(bin, 4096), 0);
	ck_assert_int_le(sym_elf__resolve(e, addr, f, 8), 8);
	sym_elf__free(e);
}
END_TEST

/* A user's binary whose .symtab claims 900 MB, all of it a hole: read rather
 * than mapped, it would cost 900 MB of heap. */
START_TEST(test_untrusted_elf__a_sparse_binary_claiming_a_huge_symtab_is_refused)
{
	const uint64_t claim = 900ull << 20;
	struct sym_elf_frame f[8];
	struct rusage ru;
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	char from[400];
	struct sym_elf *e;
	struct stat st;
	int fd;

	if (geteuid() != 0) {
		printf("SKIP: chown needs root\n");
		return;
	}
	snprintf(from, sizeof(from), "%s/sym_pie", fixtures);
	copy(from, bin);
	fd = open(bin, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	for (int i = 0; i < eh.e_shnum; i++) {
		off_t at = (off_t)(eh.e_shoff + (uint64_t)i * eh.e_shentsize);

		ck_assert_int_eq(pread(fd, &sh, sizeof(sh), at), sizeof(sh));
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		sh.sh_offset = (uint64_t)st.st_size;
		sh.sh_size = claim;
		ck_assert_int_eq(pwrite(fd, &sh, sizeof(sh), at), sizeof(sh));
	}
	ck_assert_int_eq(ftruncate(fd, (off_t)(st.st_size + claim)), 0);
	close(fd);
	ck_assert_int_eq(chown(bin, 65534, 65534), 0);
	fd = open(bin, O_RDONLY | O_CLOEXEC);
	e = sym_elf__open(bin, fd, ":.debug:/nonexistent-debug-root");
	if (e) {
		int n = sym_elf__resolve(e, 0x1000, f, 8);

		(void)n; /* only the memory it takes matters here */
		sym_elf__free(e);
	}
	getrusage(RUSAGE_SELF, &ru);
	ck_assert_msg(ru.ru_maxrss < (200 << 10), "grew to %ld MB", ru.ru_maxrss >> 10);
	ck_assert_msg(!e, "a sparse 900 MB binary was opened");
	ck_assert_int_eq(errno, EFBIG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("debug_file");
	TCase *tc = tcase_create("debug_file");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_debug_file__the_genuine_debuglink_file_is_used);
	tcase_add_test(tc, test_debug_file__a_fifo_named_by_the_debuglink_does_not_block);
	tcase_add_test(tc, test_debug_file__a_debuglink_symlink_is_not_followed);
	tcase_add_test(tc, test_debug_file__a_debug_file_of_another_build_is_not_used);
	tcase_add_test(tc, test_debug_file__a_users_debug_file_is_used_from_a_private_copy);
	tcase_add_test(tc, test_debug_file__a_users_debug_file_truncated_later_does_not_kill_cprof);
	tcase_add_test(tc, test_untrusted_elf__a_binary_truncated_by_its_owner_does_not_kill_cprof);
	tcase_add_test(tc, test_untrusted_elf__a_sparse_binary_claiming_a_huge_symtab_is_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
