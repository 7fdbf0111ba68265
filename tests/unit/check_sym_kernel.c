// SPDX-License-Identifier: MIT
/* Tests for sym_kernel: kernel addresses get the core mapping (named when
 * kallsyms shows addresses, as it does to root), user addresses none. */
#define _GNU_SOURCE
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_kernel.h"

/* The address of a core kernel text symbol from /proc/kallsyms, 0 if hidden. */
static uint64_t kallsyms_addr(const char *want)
{
	char line[512], name[256], type;
	uint64_t addr, found = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) == 3 &&
		    !strcmp(name, want) && !strchr(line, '['))
			found = addr;
	fclose(f);
	return found;
}

START_TEST(test_sym_kernel__names_a_core_kernel_function)
{
	struct sym_kernel *k = sym_kernel__new();
	uint64_t addr = kallsyms_addr("schedule");
	const struct sym_mapping *m;
	const char *name;

	ck_assert_ptr_nonnull(k);
	if (!addr) {
		sym_kernel__free(k);
		return; /* kptr_restrict hides addresses from this user */
	}
	ck_assert_int_eq(sym_kernel__lookup(k, addr + 1, &m, &name), 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->path, "[kernel.kallsyms]");
	ck_assert_ptr_nonnull(name);
	ck_assert_str_eq(name, "schedule");
	sym_kernel__free(k);
	sym_kernel__free(NULL);
}
END_TEST

/* What kallsyms did not list when it was read (a BPF program of another
 * tool, JIT'ed since and gone by the time the profile is written) is still
 * the kernel's: unnamed, in the kernel mapping, never taken for user code. */
START_TEST(test_sym_kernel__an_unlisted_kernel_address_is_the_kernels)
{
	struct sym_kernel *k = sym_kernel__new();
	const struct sym_mapping *m;
	const char *name;

	ck_assert_ptr_nonnull(k);
	/* the first page of the kernel half: below every text symbol */
	ck_assert_int_eq(sym_kernel__lookup(k, 0xffff800000000010ull, &m, &name), 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->path, "[kernel.kallsyms]");
	ck_assert_ptr_null(name);
	sym_kernel__free(k);
}
END_TEST

START_TEST(test_sym_kernel__a_user_address_is_no_kernel_mapping)
{
	struct sym_kernel *k = sym_kernel__new();
	const struct sym_mapping *m;
	const char *name;

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(sym_kernel__lookup(k, 0x401000, &m, &name), 0);
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(name);
	sym_kernel__free(k);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_kernel");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_kernel__names_a_core_kernel_function);
	tcase_add_test(tc, test_sym_kernel__an_unlisted_kernel_address_is_the_kernels);
	tcase_add_test(tc, test_sym_kernel__a_user_address_is_no_kernel_mapping);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
