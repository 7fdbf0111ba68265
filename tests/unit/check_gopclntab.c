// SPDX-License-Identifier: MIT
/* Tests for symbolize/sym_gopclntab: a pclntab of each format (Go 1.16,
 * 1.18, 1.20) written here byte by byte into a small ELF image, with one
 * function that has an inlined call; then every truncation and many
 * corruptions of it, which must be refused or resolved without reading out
 * of bounds. The Go toolchain on this machine is exercised end to end by
 * tests/e2e/test-names.sh. */
#define _GNU_SOURCE
#include <check.h>
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_gopclntab.h"

#define BASE 0x400000ull
#define TEXT 0x401000ull
#define TAB 0x200		/* file offset of the pclntab */
#define TAB_LEN 0x200
#define INL 0x600		/* the inline tree */
#define MD 0x700		/* moduledata */
#define SHDRS 0x900
#define IMAGE 0x9c0

static uint8_t img[IMAGE];

static void put32(size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void put64(size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

/* pclntab offsets */
#define NAMES 0x80
#define CUTAB 0xa0
#define FILES 0xb0
#define PCTAB 0xc0
#define PCLN 0x100

static void build(int version)
{
	static const uint8_t pcfile[] = { 2, 0x40, 0 };			/* file 0 */
	static const uint8_t pcline[] = { 22, 0x10, 4, 0x30, 0 };	/* 10, then 12 from 0x10 */
	static const uint8_t pcinl[] = { 0, 0x20, 2, 0x10, 1, 0x10, 0 }; /* -1, 0 at 0x20..0x30, -1 */
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + SHDRS);
	uint32_t magic = version == 116 ? 0xfffffffa : version == 118 ? 0xfffffff0 : 0xfffffff1;
	size_t t = TAB, f, h = 8;
	uint32_t pf = 1, pl = 4, pi = 10;	/* table offsets in pctab */

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_shoff = SHDRS;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = 3;
	eh->e_shstrndx = 1;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = BASE,
			    .p_filesz = IMAGE, .p_memsz = IMAGE, .p_align = 0x1000 };
	memcpy(img + 0x100, "\0.shstrtab\0.gopclntab", 22);
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = 0x100, .sh_size = 22 };
	sh[2] = (Elf64_Shdr){ .sh_name = 11, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
			      .sh_addr = BASE + TAB, .sh_offset = TAB, .sh_size = TAB_LEN };

	/* header */
	put32(t, magic);
	img[t + 6] = 1;		/* pc quantum */
	img[t + 7] = 8;		/* pointer size */
	put64(t + h, 1), h += 8;	/* nfunc */
	put64(t + h, 1), h += 8;	/* nfiles */
	if (version != 116)
		put64(t + h, TEXT), h += 8;
	put64(t + h, NAMES), h += 8;
	put64(t + h, CUTAB), h += 8;
	put64(t + h, FILES), h += 8;
	put64(t + h, PCTAB), h += 8;
	put64(t + h, PCLN);
	memcpy(img + t + NAMES, "\0main.outer\0main.inner", 23);	/* outer 1, inner 12 */
	put32(t + CUTAB, 0);
	memcpy(img + t + FILES, "/src/a.go", 10);
	memcpy(img + t + PCTAB + pf, pcfile, sizeof(pcfile));
	memcpy(img + t + PCTAB + pl, pcline, sizeof(pcline));
	memcpy(img + t + PCTAB + pi, pcinl, sizeof(pcinl));

	/* function table and the _func record */
	if (version == 116) {
		put64(t + PCLN, TEXT), put64(t + PCLN + 8, 0x20);
		put64(t + PCLN + 16, TEXT + 0x40), put64(t + PCLN + 24, 0);
		f = t + PCLN + 0x20;
		put64(f, TEXT), f += 8;
	} else {
		put32(t + PCLN, 0), put32(t + PCLN + 4, 0x10);
		put32(t + PCLN + 8, 0x40), put32(t + PCLN + 12, 0);
		f = t + PCLN + 0x10;
		put32(f, 0), f += 4;
	}
	put32(f, 1);		/* nameoff */
	put32(f + 16, pf);	/* pcfile */
	put32(f + 20, pl);	/* pcln */
	put32(f + 24, 3);	/* npcdata */
	put32(f + 28, 0);	/* cuOffset */
	f += 32;
	if (version == 120)
		put32(f, 9), f += 4;	/* startLine */
	img[f + 3] = 4;		/* nfuncdata */
	f += 4;
	put32(f, 0), put32(f + 4, 0), put32(f + 8, pi);	/* pcdata */
	f += 12;
	if (version == 116) {
		if ((BASE + f) & 4)
			f += 4;
		put64(f + 24, BASE + INL);	/* funcdata[3]: the tree's address */
	} else {
		put32(f, ~0u), put32(f + 4, ~0u), put32(f + 8, ~0u);
		put32(f + 12, 0);		/* funcdata[3]: offset from gofunc */
		/* moduledata: where gofunc is found */
		put64(MD, BASE + TAB);
		put64(MD + 8, BASE + TAB + NAMES);
		put64(MD + 176, TEXT);
		put64(MD + (version == 120 ? 320 : 304), BASE + INL);
	}
	/* the inline tree: main.inner called at outer+8 */
	if (version == 120) {
		put32(INL + 4, 12), put32(INL + 8, 8), put32(INL + 12, 11);
	} else {
		img[INL] = 0xff, img[INL + 1] = 0xff;	/* parent -1 */
		put32(INL + 8, 10), put32(INL + 12, 12), put32(INL + 16, 8);
	}
}

static void check_version(int version)
{
	struct sym_elf_frame fr[8];
	struct sym_gopclntab *g;
	int n;

	build(version);
	g = sym_gopclntab__from_image(img, sizeof(img));
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(sym_gopclntab__version(g), version);

	n = sym_gopclntab__resolve(g, TEXT + 4, fr, 8);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(fr[0].name, "main.outer");
	ck_assert_str_eq(fr[0].file, "/src/a.go");
	ck_assert_uint_eq(fr[0].line, 10);

	/* inside the inlined call: inner at its own line, outer at the call site */
	n = sym_gopclntab__resolve(g, TEXT + 0x24, fr, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(fr[0].name, "main.inner");
	ck_assert_uint_eq(fr[0].line, 12);
	ck_assert_str_eq(fr[1].name, "main.outer");
	ck_assert_uint_eq(fr[1].line, 10);
	/* max 1: the physical function is kept */
	n = sym_gopclntab__resolve(g, TEXT + 0x24, fr, 1);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(fr[0].name, "main.outer");

	n = sym_gopclntab__resolve(g, TEXT + 0x38, fr, 8);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(fr[0].line, 12);
	ck_assert_int_eq(sym_gopclntab__resolve(g, TEXT + 0x40, fr, 8), 0);
	ck_assert_int_eq(sym_gopclntab__resolve(g, TEXT - 1, fr, 8), 0);
	sym_gopclntab__free(g);
}

START_TEST(test_gopclntab__go116_names_lines_and_inlined_calls) { check_version(116); }
END_TEST
START_TEST(test_gopclntab__go118_names_lines_and_inlined_calls) { check_version(118); }
END_TEST
START_TEST(test_gopclntab__go120_names_lines_and_inlined_calls) { check_version(120); }
END_TEST

/* Resolve every address around the function; nothing may crash. */
static void poke(void)
{
	struct sym_elf_frame fr[8];
	struct sym_gopclntab *g = sym_gopclntab__from_image(img, sizeof(img));

	for (uint64_t a = TEXT - 2; g && a < TEXT + 0x48; a++) {
		int n = sym_gopclntab__resolve(g, a, fr, 8);

		ck_assert_int_le(n, 8);
		for (int i = 0; i < n; i++)
			ck_assert_ptr_nonnull(fr[i].name);
	}
	sym_gopclntab__free(g);
}

START_TEST(test_gopclntab__every_truncation_and_corruption_is_bounded)
{
	static const int versions[] = { 116, 118, 120 };

	for (int v = 0; v < 3; v++) {
		/* the table cut short at every length */
		for (size_t len = 0; len < TAB_LEN; len++) {
			build(versions[v]);
			((Elf64_Shdr *)(img + SHDRS))[2].sh_size = len;
			memset(img + TAB + len, 0xff, TAB_LEN - len);
			poke();
		}
		/* each byte of the table, the tree and moduledata set to hostile values */
		for (size_t off = TAB; off < MD + 330; off++)
			for (int k = 0; k < 3; k++) {
				static const uint8_t vals[] = { 0xff, 0x80, 0x7f };

				build(versions[v]);
				img[off] = vals[k];
				poke();
			}
	}
}
END_TEST

START_TEST(test_gopclntab__refuses_what_is_no_go_binary)
{
	build(118);
	memcpy(img + 0x100 + 11, ".notpclntab", 11);	/* no Go section names */
	ck_assert_ptr_null(sym_gopclntab__from_image(img, sizeof(img)));
	ck_assert_ptr_null(sym_gopclntab__from_image("not an ELF", 10));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gopclntab");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_gopclntab__go116_names_lines_and_inlined_calls);
	tcase_add_test(tc, test_gopclntab__go118_names_lines_and_inlined_calls);
	tcase_add_test(tc, test_gopclntab__go120_names_lines_and_inlined_calls);
	tcase_add_test(tc, test_gopclntab__every_truncation_and_corruption_is_bounded);
	tcase_add_test(tc, test_gopclntab__refuses_what_is_no_go_binary);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
