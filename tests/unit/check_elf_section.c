// SPDX-License-Identifier: MIT
/* sym_elf_section: finds sections of this test binary by name; a NOBITS
 * section (.bss) only when asked for. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "symbolize/sym_elf_section.h"

START_TEST(test_elf_section__finds_by_name_and_nobits_only_when_asked)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	GElf_Shdr sh = { .sh_addr = 12345 };
	Elf *elf;

	ck_assert_int_ge(fd, 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_ptr_nonnull(elf);
	ck_assert_ptr_nonnull(sym_elf_section__find(elf, ".text", false, &sh));
	ck_assert_uint_eq(sh.sh_type, SHT_PROGBITS);
	ck_assert_uint_ne(sh.sh_size, 0);
	sh.sh_addr = 12345;
	ck_assert_ptr_null(sym_elf_section__find(elf, ".no_such_section", true, &sh));
	ck_assert_uint_eq(sh.sh_addr, 12345);	/* untouched when not found */
	ck_assert_ptr_null(sym_elf_section__find(elf, ".bss", false, &sh));
	ck_assert_ptr_nonnull(sym_elf_section__find(elf, ".bss", true, &sh));
	ck_assert_uint_eq(sh.sh_type, SHT_NOBITS);
	elf_end(elf);
	close(fd);
}
END_TEST

static int bss_var[64];	/* makes sure there is a .bss */

int main(void)
{
	Suite *s = suite_create("elf_section");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	bss_var[0] = 1;
	tcase_add_test(tc, test_elf_section__finds_by_name_and_nobits_only_when_asked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
