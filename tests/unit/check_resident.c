// SPDX-License-Identifier: MIT
/* resident: the code pages given back come back as they were; what the
 * loader wrote (RELRO, data, an object's text relocations) is never lost. */
#include <check.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/resident.h"
#include "tests/unit/fixture.h"

/* Whether this process maps the page at p now (/proc/self/pagemap: bit 63,
 * which needs no privilege) */
static bool mapped(const volatile void *p)
{
	FILE *f = fopen("/proc/self/pagemap", "r");
	uint64_t e = 0;
	long pg = sysconf(_SC_PAGESIZE);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseeko(f, (off_t)((uintptr_t)p / (uintptr_t)pg * 8), SEEK_SET), 0);
	ck_assert_uint_eq(fread(&e, sizeof(e), 1, f), 1);
	fclose(f);
	return e >> 63;
}

/* In .data.rel.ro: pointers the loader relocated, then made read-only */
static const char *const names[] = { "alpha", "beta", "gamma" };
static int counter = 7;		/* .data */

static const char *__attribute__((noinline)) name_of(volatile int i)
{
	return names[i];
}

START_TEST(test_resident__code_drops_and_comes_back_whole)
{
	const volatile unsigned char *big, *mid;
	char path[PATH_MAX], buf[64];
	void *h;

	fixture__path("libresident.so", path, sizeof(path));
	h = dlopen(path, RTLD_NOW);
	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	big = dlsym(h, "resident_big");
	ck_assert(big != NULL);
	mid = big + 128 * 1024;
	counter++;
	snprintf(buf, sizeof(buf), "%s-%d-%.3f", name_of(1), counter, 2.5);
	ck_assert_str_eq(buf, "beta-8-2.500");
	ck_assert_int_eq(*mid + big[0], 1);
	ck_assert(mapped(mid));
	ck_assert_uint_gt(resident__drop_code(), 256 * 1024);
	ck_assert_msg(!mapped(mid), "a read-only page not used since stays mapped");
	/* it comes back as it was, as do the loader's writes: relocated
	 * pointers, data; and the code runs as before */
	ck_assert_int_eq(*mid + big[0], 1);
	ck_assert(mapped(mid));
	ck_assert_str_eq(name_of(0), "alpha");
	ck_assert_str_eq(name_of(2), "gamma");
	ck_assert_int_eq(counter, 8);
	snprintf(buf, sizeof(buf), "%s-%d-%.3f", name_of(1), counter, 2.5);
	ck_assert_str_eq(buf, "beta-8-2.500");
	dlclose(h);
}
END_TEST

START_TEST(test_resident__text_relocations_stay)
{
	char path[PATH_MAX];
	void *h, *target;
	void *(*addr)(void);

	fixture__path("libtextrel.so", path, sizeof(path));
	h = dlopen(path, RTLD_NOW);
	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	addr = (void *(*)(void))dlsym(h, "textrel_addr");
	target = dlsym(h, "textrel_target");
	ck_assert_ptr_nonnull(addr);
	ck_assert_ptr_nonnull(target);
	ck_assert_ptr_eq(addr(), target);
	resident__drop_code();
	/* dropped, the page would be the file's: the link-time address */
	ck_assert_ptr_eq(addr(), target);
	ck_assert_int_eq(*(int *)addr(), 42);
	dlclose(h);
}
END_TEST

/* A private file mapping read and written: the pages still the file's
 * leave the RSS and stay in the page cache (no read when touched again);
 * the page written keeps what was written. */
START_TEST(test_resident__file_pages_drop_into_the_page_cache_written_ones_stay)
{
	long pg = sysconf(_SC_PAGESIZE);
	char path[] = "/tmp/check_resident.XXXXXX";
	size_t len = 64 * (size_t)pg;
	unsigned char *m, vec[64];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	for (size_t i = 0; i < len; i++)
		ck_assert_int_eq(write(fd, &(char){ (char)(i / (size_t)pg) }, 1), 1);
	ck_assert_int_eq(fsync(fd), 0);	/* clean: MADV_PAGEOUT would evict them */
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	for (size_t i = 0; i < len; i += (size_t)pg)
		ck_assert_int_eq(m[i], (int)(i / (size_t)pg));
	m[5 * pg] = 0xee;	/* a copy of its own now */
	ck_assert(mapped(m + 3 * pg) && mapped(m + 5 * pg));
	resident__drop_file(m, len);
	ck_assert_msg(!mapped(m + 3 * pg), "a page still the file's stays mapped");
	ck_assert_int_eq(mincore(m, len, vec), 0);
	ck_assert_msg(vec[3] & 1, "a dropped page left the page cache");
	ck_assert_int_eq(m[5 * pg], 0xee);
	ck_assert_int_eq(m[5 * pg + 1], 5);
	for (size_t i = 0; i < len; i += (size_t)pg)
		if (i != 5 * (size_t)pg)
			ck_assert_int_eq(m[i], (int)(i / (size_t)pg));
	munmap(m, len);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resident");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_resident__code_drops_and_comes_back_whole);
	tcase_add_test(tc, test_resident__text_relocations_stay);
	tcase_add_test(tc, test_resident__file_pages_drop_into_the_page_cache_written_ones_stay);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
