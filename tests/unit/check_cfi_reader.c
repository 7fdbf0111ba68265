// SPDX-License-Identifier: MIT
/* Tests of the bounded CFI reader (symbolize/cfi.c) through the unwind
 * table's entry points: each limit keeps the FDEs built and counts the rest;
 * raw .eh_frame bytes decode every pointer form the reader accepts and refuse
 * indirect ones; a .debug_frame CIE of version 4 with 64-bit lengths decodes;
 * an ELF image in memory gives the rows of its file. The hostile fixture and
 * the readelf comparisons are in tests/unit/check_unwind_table.c. */
#define _GNU_SOURCE
#include <check.h>
#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static size_t rows_of(const struct uw_table *t)
{
	uint64_t base;
	const uint32_t *pcs;
	const struct uw_rule *rules;

	return uw_table__rows(t, &base, &pcs, &rules);
}

START_TEST(test_cfi_reader__a_limit_keeps_the_fdes_built_and_counts_the_rest)
{
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	struct elf_file f = open_elf(libc);
	struct uw_table *full = uw_table__build(f.elf, NULL, NULL);
	struct uw_limits lim = uw_limits__default();
	const struct uw_table_stats *st;
	uint64_t base, total;
	const uint32_t *pcs;
	const struct uw_rule *rules;
	struct uw_table *t;
	size_t n;

	ck_assert_ptr_nonnull(full);
	total = uw_table__stats(full)->fdes;

	/* rows: the first FDEs whole, then nothing; every FDE left out counted */
	lim.max_rows = 1000;
	t = uw_table__build_limits(f.elf, NULL, NULL, &lim);
	ck_assert_ptr_nonnull(t);
	st = uw_table__stats(t);
	ck_assert_uint_le(rows_of(t), 1001);
	ck_assert_uint_gt(st->limited[UW_LIMIT_ROWS], 0);
	ck_assert_uint_eq(st->fdes + st->limited[UW_LIMIT_ROWS], total);
	n = uw_table__rows(t, &base, &pcs, &rules);
	ck_assert_uint_eq(rules[n - 1].cfa, UW_CFA_NONE);
	for (size_t i = 0; i + 1 < n; i++) {
		struct uw_rule r;

		ck_assert_int_eq(uw_table__lookup(full, base + pcs[i], &r) == 0,
				 rules[i].cfa != UW_CFA_NONE);
		if (rules[i].cfa != UW_CFA_NONE)
			ck_assert(!memcmp(&r, &rules[i], sizeof(r)));
	}
	uw_table__free(t);

	/* instructions per FDE: those over it are UNSUPPORTED, the others exact */
	lim = uw_limits__default();
	lim.max_insns = 8;
	t = uw_table__build_limits(f.elf, NULL, NULL, &lim);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_gt(uw_table__stats(t)->limited[UW_LIMIT_INSNS], 0);
	ck_assert_uint_eq(uw_table__stats(t)->fdes, total);
	uw_table__free(t);

	/* bytes: .eh_frame over the limit is not read at all */
	lim = uw_limits__default();
	lim.max_cfi_bytes = 4096;
	t = uw_table__build_limits(f.elf, NULL, NULL, &lim);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(errno, ENOENT);

	/* entries */
	lim = uw_limits__default();
	lim.max_fdes = 10;
	t = uw_table__build_limits(f.elf, NULL, NULL, &lim);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(uw_table__stats(t)->fdes, 10);
	ck_assert_uint_eq(uw_table__stats(t)->limited[UW_LIMIT_ENTRIES], total - 10);
	uw_table__free(t);
	uw_table__free(full);
	close_elf(&f);
}
END_TEST

/* --- raw sections ------------------------------------------------------------- */

struct bytes {
	uint8_t b[256];
	size_t n;
};

static void put(struct bytes *x, const void *p, size_t n)
{
	ck_assert_uint_le(x->n + n, sizeof(x->b));
	memcpy(x->b + x->n, p, n);
	x->n += n;
}

static void put32(struct bytes *x, uint32_t v)
{
	put(x, &v, 4);
}

/* A .eh_frame CIE ("zR", FDE pointers in enc; def_cfa rsp+8; rip at cfa-8). */
static size_t put_cie(struct bytes *x, uint8_t enc)
{
	static const uint8_t body[] = { 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0xff,
					0x0c, 7, 8, 0x90, 1, 0, 0 };
	size_t at = x->n;

	put32(x, sizeof(body));
	put(x, body, sizeof(body));
	x->b[at + 4 + 12] = enc;
	return at;
}

/* An FDE of CIE at cie_at: [pc field value, len), program prog. */
static void put_fde(struct bytes *x, size_t cie_at, uint32_t pc, uint32_t len, const uint8_t *prog,
		    size_t nprog)
{
	size_t at = x->n;

	put32(x, (uint32_t)(4 + 4 + 4 + 1 + nprog));
	put32(x, (uint32_t)(at + 4 - cie_at));
	put32(x, pc);
	put32(x, len);
	put(x, "", 1);	/* no augmentation data */
	put(x, prog, nprog);
}

START_TEST(test_cfi_reader__raw_sections_decode_every_pointer_form_and_refuse_indirect)
{
	/* push rbp at +1, then set_loc to +8 where the CFA is rbp+16 */
	static const uint8_t prog[] = { 0x41, 0x0e, 16, 0x86, 2, 0x01, 0, 0, 0, 0, 0x0d, 6 };
	const uint8_t encs[] = { DW_EH_PE_udata4, DW_EH_PE_pcrel | DW_EH_PE_sdata4,
				 DW_EH_PE_textrel | DW_EH_PE_udata4,
				 DW_EH_PE_datarel | DW_EH_PE_sdata4 };
	const uint64_t sec_addr = 0x20000, text = 0x1000, data = 0x30000, fn = 0x1400;

	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		struct bytes x = { .n = 0 };
		uint8_t p[sizeof(prog)];
		size_t cie = put_cie(&x, encs[i]);
		uint64_t at = sec_addr + x.n + 8;	/* where the FDE's pc field lands */
		uint64_t base = encs[i] == DW_EH_PE_udata4 ? 0 :
				(encs[i] & 0x70) == DW_EH_PE_pcrel ? at :
				(encs[i] & 0x70) == DW_EH_PE_textrel ? text : data;
		uint32_t loc;
		struct uw_cfi_section sec = { .data = x.b, .addr = sec_addr, .text_base = text,
					      .data_base = data, .eh = true };
		struct uw_table *t;

		memcpy(p, prog, sizeof(p));
		/* set_loc's operand, relative to where it is for pcrel */
		loc = (uint32_t)(fn + 8 - ((encs[i] & 0x70) == DW_EH_PE_pcrel ?
					   sec_addr + x.n + 17 + 6 : base));
		memcpy(p + 6, &loc, 4);
		put_fde(&x, cie, (uint32_t)(fn - base), 32, p, sizeof(p));
		sec.size = x.n;
		t = uw_table__build_sections(&sec, 1, NULL);
		ck_assert_msg(t, "encoding %#x: %s", encs[i], strerror(errno));
		expect_rule(t, fn, UW_CFA_RSP, 8, UW_RBP_SAME, 0);
		expect_rule(t, fn + 1, UW_CFA_RSP, 16, UW_RBP_AT_CFA, -16);
		expect_rule(t, fn + 8, UW_CFA_RBP, 16, UW_RBP_AT_CFA, -16);
		expect_rule(t, fn + 31, UW_CFA_RBP, 16, UW_RBP_AT_CFA, -16);
		ck_assert_int_eq(uw_table__lookup(t, fn + 32, &(struct uw_rule){ 0 }), -ENOENT);
		uw_table__free(t);
	}

	/* indirect: refused, counted */
	struct bytes x = { .n = 0 };
	size_t cie = put_cie(&x, DW_EH_PE_indirect | DW_EH_PE_udata4);
	struct uw_cfi_section sec = { .data = x.b, .addr = sec_addr, .eh = true };

	put_fde(&x, cie, (uint32_t)fn, 32, prog, 5);
	sec.size = x.n;
	ck_assert_ptr_null(uw_table__build_sections(&sec, 1, NULL));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_cfi_reader__debug_frame_v4_with_64_bit_lengths_decodes)
{
	/* CIE v4 (address size 8), 64-bit DWARF: length escape, 8-byte id */
	static const uint8_t cie_body[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 4, 0,
					    8, 0, 1, 0x78, 16, 0x0c, 7, 8, 0x90, 1 };
	/* push rbp; mov rsp, rbp; the FDE's CIE pointer is the CIE's offset, 0 */
	static const uint8_t prog[] = { 0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6 };
	const uint64_t fn = 0x401000;
	struct bytes x = { .n = 0 };
	uint64_t len = sizeof(cie_body), zero = 0;
	struct uw_cfi_section sec = { .data = x.b, .eh = false };
	struct uw_table *t;

	put32(&x, 0xffffffff);
	put(&x, &len, 8);
	put(&x, cie_body, sizeof(cie_body));
	put32(&x, 0xffffffff);
	len = 8 + 8 + 8 + sizeof(prog);
	put(&x, &len, 8);
	put(&x, &zero, 8);
	put(&x, &fn, 8);
	len = 0x20;
	put(&x, &len, 8);
	put(&x, prog, sizeof(prog));
	sec.size = x.n;
	t = uw_table__build_sections(&sec, 1, NULL);
	ck_assert_msg(t, "%s", strerror(errno));
	ck_assert(uw_table__stats(t)->debug_frame);
	expect_rule(t, fn, UW_CFA_RSP, 8, UW_RBP_SAME, 0);
	expect_rule(t, fn + 1, UW_CFA_RSP, 16, UW_RBP_AT_CFA, -16);
	expect_rule(t, fn + 4, UW_CFA_RBP, 16, UW_RBP_AT_CFA, -16);
	ck_assert_int_eq(uw_table__lookup(t, fn + 0x20, &(struct uw_rule){ 0 }), -ENOENT);
	uw_table__free(t);
}
END_TEST

/* A whole file as bytes. */
static void *slurp_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

START_TEST(test_cfi_reader__an_image_in_memory_gives_the_rows_of_its_file)
{
	struct elf_file f = open_elf(fx("uw_cfi.so"));
	struct uw_table *a = uw_table__build(f.elf, NULL, NULL), *b;
	uint64_t base_a, base_b;
	const uint32_t *pcs_a, *pcs_b;
	const struct uw_rule *ra, *rb;
	size_t len, n;
	void *img = slurp_file(fx("uw_cfi.so"), &len);

	b = uw_table__build_image(img, len, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	n = uw_table__rows(a, &base_a, &pcs_a, &ra);
	ck_assert_uint_eq(uw_table__rows(b, &base_b, &pcs_b, &rb), n);
	ck_assert_uint_eq(base_a, base_b);
	ck_assert(!memcmp(pcs_a, pcs_b, n * sizeof(*pcs_a)));
	ck_assert(!memcmp(ra, rb, n * sizeof(*ra)));
	uw_table__free(a);
	uw_table__free(b);
	ck_assert_ptr_null(uw_table__build_image("not an ELF file", 15, NULL));
	ck_assert_int_eq(errno, EINVAL);
	free(img);
	close_elf(&f);
}
END_TEST

int main(void)
{
	const char *o = getenv("OUT") ? getenv("OUT") : "build";
	Suite *s = suite_create("cfi_reader");
	TCase *tc = tcase_create("reader");
	SRunner *sr;
	int failed;

	snprintf(fixtures, sizeof(fixtures), "%s/fixtures", o);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cfi_reader__a_limit_keeps_the_fdes_built_and_counts_the_rest);
	tcase_add_test(tc, test_cfi_reader__raw_sections_decode_every_pointer_form_and_refuse_indirect);
	tcase_add_test(tc, test_cfi_reader__debug_frame_v4_with_64_bit_lengths_decodes);
	tcase_add_test(tc, test_cfi_reader__an_image_in_memory_gives_the_rows_of_its_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
