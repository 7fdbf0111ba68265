// SPDX-License-Identifier: MIT
/* Tests of the DWARF unwinder (symbolize/unwinder.c): synthetic stacks over the
 * hand-written CFI of tests/fixtures/uw_cfi.S, one per rule (rsp, rbp, stack
 * realignment, PLT, signal frame, outermost, a CFA in rbx) and per way a
 * walk can stop; a
 * chain of noinline functions without frame pointers that captures and
 * unwinds its own stack through a sym_session; and libunwind's remote API on
 * the same capture, which must give the same frames. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/proc.h"
#include "symbolize/sym_session.h"
#include "symbolize/uw_table.h"
#include "symbolize/unwinder.h"
#include "tests/uw_libunwind.h"

static char fixtures[300];

/* --- the uw_cfi.so object ------------------------------------------------ */

struct cfi_obj {
	Elf *elf;
	int fd;
	struct uw_table *t;
};

static struct cfi_obj obj;

static uint64_t sym(const char *name)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(obj.elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;

			if (gelf_getsym(d, (int)i, &s) &&
			    !strcmp(elf_strptr(obj.elf, sh.sh_link, s.st_name), name))
				return s.st_value;
		}
	}
	ck_abort_msg("no symbol %s in uw_cfi.so", name);
	return 0;
}

static void open_cfi(void)
{
	char path[400];

	elf_version(EV_CURRENT);
	snprintf(path, sizeof(path), "%s/uw_cfi.so", fixtures);
	obj.fd = open(path, O_RDONLY);
	ck_assert_msg(obj.fd >= 0, "%s: %s", path, strerror(errno));
	obj.elf = elf_begin(obj.fd, ELF_C_READ_MMAP, NULL);
	ck_assert_ptr_nonnull(obj.elf);
	obj.t = uw_table__build(obj.elf, NULL, NULL);
	ck_assert_ptr_nonnull(obj.t);
}

static void close_cfi(void)
{
	uw_table__free(obj.t);
	elf_end(obj.elf);
	close(obj.fd);
}

/* The object at its link addresses (bias 0) in [0x1000, 0x2000). */
static int find_cfi(void *ctx, uint64_t addr, struct uw_object *ret)
{
	(void)ctx;
	if (addr < 0x1000 || addr >= 0x2000)
		return -ENOENT;
	*ret = (struct uw_object){ .start = 0x1000, .limit = 0x2000, .table = obj.t,
				   .name = "uw_cfi.so" };
	return 0;
}

/* --- synthetic stacks ------------------------------------------------------ */

#define S 0x7ffe00000000ULL	/* the sampled sp */

struct fake_stack {
	uint64_t words[512];	/* 4 KiB from S */
};

static void put(struct fake_stack *f, uint64_t addr, uint64_t v)
{
	ck_assert(addr >= S && addr + 8 <= S + sizeof(f->words));
	f->words[(addr - S) / 8] = v;
}

/* uw_start -> uw_rsp -> uw_rbp -> uw_realign -> uw_leaf, as the code of
 * uw_cfi.S would leave it (see the offsets in its comments). */
static void build_chain(struct fake_stack *f, struct uw_regs *regs)
{
	memset(f, 0, sizeof(*f));
	/* uw_leaf: no frame; returns into uw_realign+24 */
	put(f, S, sym("uw_realign") + 24);
	/* uw_realign: rbp = S+16; [rbp-8] = its CFA (S+64); [rbp] = uw_rbp's rbp */
	put(f, S + 8, S + 64);
	put(f, S + 16, S + 128);
	put(f, S + 24, sym("uw_rbp") + 13);	/* the copy realignment makes */
	put(f, S + 56, sym("uw_rbp") + 13);	/* the return address, at CFA - 8 */
	/* uw_rbp: rbp = S+128, CFA = rbp + 16; returns into uw_rsp+10 */
	put(f, S + 128, 0);			/* uw_start cleared rbp */
	put(f, S + 136, sym("uw_rsp") + 10);
	/* uw_rsp: CFA = rsp + 48 = S+192; returns into uw_start+7 */
	put(f, S + 184, sym("uw_start") + 7);
	*regs = (struct uw_regs){ .ip = sym("uw_leaf"), .sp = S, .bp = S + 16 };
}

static void expect_ips(const uint64_t *ips, const struct uw_result *r, const uint64_t *want,
		       uint32_t n, enum uw_stop stop)
{
	ck_assert_msg(r->stop == stop, "stopped after %u frames (last %#lx): %s, want %s", r->nr, (unsigned long)ips[r->nr - 1], uw_stop__name(r->stop),
		      uw_stop__name(stop));
	ck_assert_uint_eq(r->nr, n);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_msg(ips[i] == want[i], "frame %u: %#lx, want %#lx", i,
			      (unsigned long)ips[i], (unsigned long)want[i]);
}

START_TEST(test_unwinder__walks_rsp_rbp_and_realigned_frames_to_the_outermost)
{
	struct fake_stack f;
	struct uw_regs regs;
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	uint64_t ips[16];
	struct uw_result r;
	const uint64_t want[] = { sym("uw_leaf"), sym("uw_realign") + 24, sym("uw_rbp") + 13,
				  sym("uw_rsp") + 10, sym("uw_start") + 7 };

	build_chain(&f, &regs);
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, want, 5, UW_STOP_OUTERMOST);
	ck_assert_str_eq(r.stop_object, "uw_cfi.so");
}
END_TEST

START_TEST(test_unwinder__a_frame_beyond_the_copy_is_truncated_never_guessed)
{
	struct fake_stack f;
	struct uw_regs regs;
	uint64_t ips[16];
	struct uw_result r;
	const uint64_t want[] = { sym("uw_leaf"), sym("uw_realign") + 24, sym("uw_rbp") + 13 };

	build_chain(&f, &regs);
	/* the copy ends before uw_rbp's return address at S+136 */
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = 136, .limit = 136 };
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, want, 3, UW_STOP_TRUNCATED);
	ck_assert_uint_eq(r.need, 144);	/* the 8 bytes at S+136 */
	/* the same bytes from a copy that ended early (the stack ended there) */
	st.limit = 16384;
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, want, 3, UW_STOP_COPY_SHORT);
	/* a caller's maximum */
	st.limit = st.len = sizeof(f.words);
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 2, &r), 0);
	expect_ips(ips, &r, want, 2, UW_STOP_DEPTH);
}
END_TEST

START_TEST(test_unwinder__plt_stub_cfa_depends_on_the_ip)
{
	struct fake_stack f = { 0 };
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	struct uw_regs regs = { .sp = S, .bp = 0 };
	uint64_t ips[16];
	struct uw_result r;

	/* before the push: CFA = rsp + 8; after it (ip & 15 >= 11): rsp + 16 */
	put(&f, S, sym("uw_start") + 7);
	put(&f, S + 8, sym("uw_start") + 7);
	regs.ip = sym("uw_plt") + 2;
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ regs.ip, sym("uw_start") + 7 }, 2, UW_STOP_OUTERMOST);
	put(&f, S, 0x4242);	/* the pushed PLT index, not a return address */
	regs.ip = sym("uw_plt") + 11;
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ regs.ip, sym("uw_start") + 7 }, 2, UW_STOP_OUTERMOST);
}
END_TEST

START_TEST(test_unwinder__signal_frame_resumes_at_the_interrupted_pc)
{
	struct fake_stack f = { 0 };
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	struct uw_regs regs = { .ip = sym("uw_leaf"), .sp = S, .bp = 0 };
	uint64_t ips[16], u = S + 8;	/* the ucontext, right above the handler's return address */
	struct uw_result r;

	put(&f, S, sym("uw_sigreturn"));		/* the handler returns into the trampoline */
	put(&f, u + 160, S + 512);		/* interrupted rsp */
	put(&f, u + 168, sym("uw_rsp") + 1);	/* interrupted rip: after push rbx */
	put(&f, u + 120, 0);			/* interrupted rbp */
	put(&f, S + 512 + 8, sym("uw_start") + 7);	/* uw_rsp at +1: CFA = rsp + 16 */
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_leaf"), sym("uw_sigreturn"), sym("uw_rsp") + 1,
					  sym("uw_start") + 7 }, 4, UW_STOP_OUTERMOST);
}
END_TEST

START_TEST(test_unwinder__code_without_cfi_stops_in_dwarf_mode_and_uses_rbp_in_auto)
{
	struct fake_stack f = { 0 };
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	struct uw_regs regs = { .ip = sym("uw_nocfi"), .sp = S, .bp = S + 32 };
	uint64_t ips[16];
	struct uw_result r;

	put(&f, S + 32, 0);			/* the caller's rbp */
	put(&f, S + 40, sym("uw_start") + 7);	/* the return address above it */
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_nocfi") }, 1, UW_STOP_NO_INFO);
	ck_assert_int_eq(uw_unwind(UW_MODE_AUTO, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_nocfi"), sym("uw_start") + 7 }, 2,
		   UW_STOP_OUTERMOST);
}
END_TEST

/* glibc's clone3 ends its FDE before the syscall: a sample in the parent
 * after it is in code without CFI whose rbp is no frame pointer. What rbp
 * leads to is in no mapping: no caller, and the stop names the missing CFI. */
START_TEST(test_unwinder__a_frame_pointer_guess_into_no_mapping_is_dropped)
{
	struct fake_stack f = { 0 };
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	struct uw_regs regs = { .ip = sym("uw_nocfi"), .sp = S, .bp = S + 32 };
	uint64_t ips[16];
	struct uw_result r;

	put(&f, S + 32, S + 96);
	put(&f, S + 40, 0x555c5ad11f1f);	/* not code: some heap or data word */
	ck_assert_int_eq(uw_unwind(UW_MODE_AUTO, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_nocfi") }, 1, UW_STOP_NO_INFO);
	/* the binary the walk ended in: what the runtime hints count */
	ck_assert_str_eq(r.stop_object, "uw_cfi.so");
}
END_TEST

/* find_cfi with uw_nocfi as the binary's entry code (_start). */
static int find_cfi_entry(void *ctx, uint64_t addr, struct uw_object *ret)
{
	int err = find_cfi(ctx, addr, ret);

	if (!err) {
		ret->entry_start = sym("uw_nocfi");
		ret->entry_end = ret->entry_start + 8;
	}
	return err;
}

START_TEST(test_unwinder__a_frame_in_the_entry_code_is_the_outermost)
{
	struct fake_stack f = { 0 };
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	struct uw_regs regs = { .ip = sym("uw_nocfi"), .sp = S, .bp = S + 32 };
	uint64_t ips[16];
	struct uw_result r;

	/* what the kernel left in rbp at exec is no frame pointer: without the
	 * entry stop, auto mode would follow it to a bogus caller */
	put(&f, S + 32, S + 64);
	put(&f, S + 40, sym("uw_start") + 7);
	ck_assert_int_eq(uw_unwind(UW_MODE_AUTO, &regs, &st, find_cfi_entry, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_nocfi") }, 1, UW_STOP_OUTERMOST);
}
END_TEST

START_TEST(test_unwinder__bad_frames_and_unknown_code_stop_the_walk)
{
	struct fake_stack f = { 0 };
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	struct uw_regs regs;
	uint64_t ips[16];
	struct uw_result r;

	/* uw_rbp's body with an rbp below the stack pointer */
	regs = (struct uw_regs){ .ip = sym("uw_rbp") + 8, .sp = S, .bp = S - 64 };
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ regs.ip }, 1, UW_STOP_BAD_FRAME);
	/* a return address into no mapping */
	put(&f, S, 0x900000);
	regs = (struct uw_regs){ .ip = sym("uw_leaf"), .sp = S };
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ regs.ip, 0x900000 }, 2, UW_STOP_NO_MAPPING);
	ck_assert_ptr_null(r.stop_object);
	/* the CFA in r10 (uw_realign's prologue): a rule the table cannot express */
	regs = (struct uw_regs){ .ip = sym("uw_realign") + 9, .sp = S };
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ regs.ip }, 1, UW_STOP_UNSUPPORTED);
}
END_TEST

/* ld.so's lazy-binding trampoline keeps its CFA in rbx (uw_rbx) and calls
 * _dl_fixup, which saves rbx again (uw_rsp, CFA = rsp + 48, rbx at CFA -
 * 16): a sample in the callee finds the trampoline's rbx in that slot, not
 * in the sampled registers, whatever they hold. */
#define RBX_AT	(S + 104)	/* uw_rbx's rbx: rsp after its push */

static void build_rbx_chain(struct fake_stack *f, uint64_t junk_bx, struct uw_regs *regs)
{
	memset(f, 0, sizeof(*f));
	/* uw_rsp at its call: CFA S + 48 */
	put(f, S + 40, sym("uw_rbx") + 17);
	put(f, S + 32, RBX_AT);			/* uw_rbx's rbx, pushed */
	/* uw_rbx realigned below its push: CFA = rbx + 16 */
	put(f, RBX_AT, 0x1234);			/* its caller's rbx */
	put(f, RBX_AT + 8, sym("uw_start") + 7);
	*regs = (struct uw_regs){ .ip = sym("uw_rsp") + 5, .sp = S, .bp = 0, .bx = junk_bx };
}

START_TEST(test_unwinder__a_cfa_in_rbx_comes_from_the_callees_save_slot)
{
	struct fake_stack f;
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	struct uw_regs regs;
	uint64_t ips[16];
	struct uw_result r;

	/* rbx in the callee holds anything: a pointer to a frame-like place
	 * too, which a walker taking the sampled rbx would follow */
	build_rbx_chain(&f, S + 512, &regs);
	put(&f, S + 512 + 8, sym("uw_start") + 7);
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_rsp") + 5, sym("uw_rbx") + 17,
					  sym("uw_start") + 7 }, 3, UW_STOP_OUTERMOST);

	/* the sample in the trampoline itself: rbx from the registers */
	memset(&f, 0, sizeof(f));
	put(&f, S + 64 + 8, sym("uw_start") + 7);
	regs = (struct uw_regs){ .ip = sym("uw_rbx") + 12, .sp = S, .bx = S + 64 };
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_rbx") + 12, sym("uw_start") + 7 }, 2,
		   UW_STOP_OUTERMOST);

	/* the callee's slot beyond a short copy: stopped there, not guessed */
	build_rbx_chain(&f, RBX_AT, &regs);
	st.len = st.limit = 32;
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_rsp") + 5 }, 1, UW_STOP_TRUNCATED);
	st.len = st.limit = 40;
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_rsp") + 5 }, 1, UW_STOP_TRUNCATED);
}
END_TEST

START_TEST(test_unwinder__a_signal_frame_gives_the_interrupted_rbx)
{
	struct fake_stack f = { 0 };
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	struct uw_regs regs = { .ip = sym("uw_leaf"), .sp = S, .bx = S + 256 };
	uint64_t ips[16], u = S + 8;
	struct uw_result r;

	/* the handler interrupted uw_rbx after its realignment */
	put(&f, S, sym("uw_sigreturn"));
	put(&f, u + 160, S + 512);		/* interrupted rsp */
	put(&f, u + 168, sym("uw_rbx") + 8);	/* interrupted rip */
	put(&f, u + 128, S + 600);		/* interrupted rbx */
	put(&f, S + 600 + 8, sym("uw_start") + 7);
	put(&f, S + 256 + 8, sym("uw_rsp") + 10);	/* where the handler's rbx leads */
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ sym("uw_leaf"), sym("uw_sigreturn"), sym("uw_rbx") + 8,
					  sym("uw_start") + 7 }, 4, UW_STOP_OUTERMOST);
}
END_TEST

START_TEST(test_unwinder__an_rbx_the_table_cannot_recover_stops_the_walk_never_guesses)
{
	struct fake_stack f = { 0 };
	struct uw_stack st = { .data = (const uint8_t *)f.words, .len = sizeof(f.words),
			       .limit = sizeof(f.words) };
	/* uw_rbx_lost keeps rbx in r12 at its call: CFA = rsp + 2056 */
	struct uw_regs regs = { .ip = sym("uw_rbx_lost") + 14, .sp = S, .bx = S + 2200 };
	uint64_t ips[16];
	struct uw_result r;

	put(&f, S + 2048, sym("uw_rbx") + 17);
	/* what the sampled rbx would give uw_rbx: a whole stack, but a wrong one */
	put(&f, S + 2200 + 8, sym("uw_start") + 7);
	ck_assert_int_eq(uw_unwind(UW_MODE_DWARF, &regs, &st, find_cfi, NULL, ips, 16, &r), 0);
	expect_ips(ips, &r, (uint64_t[]){ regs.ip, sym("uw_rbx") + 17 }, 2, UW_STOP_BAD_FRAME);
}
END_TEST

/* The agent's labels are snake_case; the summary keeps its words. */
START_TEST(test_uw_stop__every_stop_has_words_and_a_unique_snake_case_key)
{
	for (int i = 0; i < UW_NR_STOPS; i++) {
		const char *k = uw_stop__key(i);

		ck_assert_msg(k && *k && strcmp(k, "unknown"), "stop %d has no key", i);
		ck_assert_msg(strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(k),
			      "stop %d: key '%s' is not snake_case", i, k);
		ck_assert_msg(strcmp(uw_stop__name(i), "?"), "stop %d has no words", i);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(k, uw_stop__key(j));
	}
	ck_assert_str_eq(uw_stop__key(UW_STOP_COPY_SHORT), "stack_unreadable");
	ck_assert_str_eq(uw_stop__name(UW_STOP_COPY_SHORT), "stack unreadable");
}
END_TEST

START_TEST(test_uw_stats__counts_stops_per_binary_within_a_bound)
{
	struct uw_stats *s = uw_stats__new(2);
	struct uw_result a = { .nr = 3, .stop = UW_STOP_TRUNCATED, .stop_object = "/lib/a.so",
				.need = 40000 };
	struct uw_result b = { .nr = 9, .stop = UW_STOP_OUTERMOST, .stop_object = "/lib/b.so" };
	struct uw_result c = { .nr = 1, .stop = UW_STOP_NO_INFO, .stop_object = "/lib/c.so" };
	struct uw_result d = { .nr = 1, .stop = UW_STOP_NO_INFO, .stop_object = "/lib/d.so" };

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(uw_stats__add(s, &a), 0);
	ck_assert_int_eq(uw_stats__add(s, &a), 0);
	ck_assert_int_eq(uw_stats__add(s, &b), 0);
	ck_assert_int_eq(uw_stats__add(s, &c), 0);
	ck_assert_int_eq(uw_stats__add(s, &d), 0);
	ck_assert_uint_eq(uw_stats__total(s)->stacks, 5);
	ck_assert_uint_eq(uw_stats__total(s)->stops[UW_STOP_TRUNCATED], 2);
	ck_assert_uint_eq(uw_stats__total(s)->stops[UW_STOP_NO_INFO], 2);
	ck_assert_uint_eq(uw_stats__count(s), 3);
	ck_assert_str_eq(uw_stats__entry(s, 0)->name, "/lib/a.so");
	ck_assert_uint_eq(uw_stats__entry(s, 0)->stops[UW_STOP_TRUNCATED], 2);
	ck_assert_uint_eq(uw_stats__entry(s, 0)->max_need, 40000);
	ck_assert_uint_eq(uw_stats__total(s)->max_need, 40000);
	ck_assert_str_eq(uw_stats__entry(s, 2)->name, "[other]");
	ck_assert_uint_eq(uw_stats__entry(s, 2)->stacks, 2);
	uw_stats__free(s);
}
END_TEST

/* --- a real stack: capture our own ----------------------------------------- */

struct capture {
	uint64_t ip, sp, bp, bx;
	uint32_t len;
	uint8_t data[32768];
};

static struct capture cap;

/* Registers and stack of this very function, from the current sp to the
 * stack's end (or 32 KiB). Reading the stack above sp crosses other frames'
 * redzones, as the kernel's stack copy does, so AddressSanitizer stays out of
 * it and the copy is a plain loop (memcpy would be intercepted). */
__attribute__((noinline, no_sanitize_address)) static void capture_here(void)
{
	const volatile uint8_t *src;
	pthread_attr_t a;
	void *addr;
	size_t size;
	uint64_t top;

	__asm__ volatile("mov %%rsp, %0\n\tmov %%rbp, %1\n\tlea 0(%%rip), %2\n\tmov %%rbx, %3"
			 : "=r"(cap.sp), "=r"(cap.bp), "=r"(cap.ip), "=r"(cap.bx));
	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	top = (uint64_t)addr + size;
	cap.len = top - cap.sp < sizeof(cap.data) ? (uint32_t)(top - cap.sp) : sizeof(cap.data);
	src = (const volatile uint8_t *)cap.sp;
	for (uint32_t i = 0; i < cap.len; i++)
		cap.data[i] = src[i];
}

/* No frame pointers here, whatever the build flags: rbp is not a chain. */
#define NOFP __attribute__((noinline, optimize("omit-frame-pointer")))
NOFP void uw_chain_4(void) { capture_here(); __asm__ volatile(""); }
NOFP void uw_chain_3(void) { uw_chain_4(); __asm__ volatile(""); }
NOFP void uw_chain_2(void) { uw_chain_3(); __asm__ volatile(""); }
NOFP void uw_chain_1(void) { uw_chain_2(); __asm__ volatile(""); }

/* Unwind the capture through session s in mode and check that it is
 * complete, its first n frames are named want[], and its last is _start. */
static void expect_capture_names_in(struct sym_session *s, enum uw_mode mode,
				    const char *const *want, uint32_t n)
{
	struct uw_regs regs = { .ip = cap.ip, .sp = cap.sp, .bp = cap.bp, .bx = cap.bx };
	struct uw_stack st = { .data = cap.data, .len = cap.len, .limit = sizeof(cap.data) };
	struct uw_result r;
	uint64_t ips[256], start;
	const char *last = NULL;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(proc__start_ticks(getpid(), &start), 0);
	ck_assert_int_eq(sym_session__unwind(s, getpid(), start, mode, &regs, &st, ips, 256, &r), 0);
	for (uint32_t i = 0; i < r.nr; i++) {
		struct sym_result sr;

		ck_assert_int_eq(sym_session__resolve_user(s, getpid(), start, ips[i], i > 0, &sr), 0);
		ck_assert_msg(sr.nframes > 0, "frame %u (%#lx) unnamed", i, (unsigned long)ips[i]);
		last = sr.frames[sr.nframes - 1].name;
		if (i < n)
			ck_assert_msg(!strcmp(last, want[i]), "frame %u: %s, want %s", i, last,
				      want[i]);
	}
	ck_assert_msg(r.stop == UW_STOP_OUTERMOST && r.nr > n, "stopped after %u frames (%s): %s",
		      r.nr, last, uw_stop__name(r.stop));
	ck_assert_str_eq(last, "_start");
}

/* The same through a new session. */
static void expect_capture_names(enum uw_mode mode, const char *const *want, uint32_t n)
{
	struct sym_session *s = sym_session__new(NULL);

	expect_capture_names_in(s, mode, want, n);
	sym_session__free(s);
}

START_TEST(test_unwinder__noinline_chain_unwinds_its_own_stack_frame_by_frame)
{
	static const char *const want[] = { "capture_here", "uw_chain_4", "uw_chain_3",
					    "uw_chain_2", "uw_chain_1",
					    "test_unwinder__noinline_chain_unwinds_its_own_stack_frame_by_frame_fn" };

	uw_chain_1();
	expect_capture_names(UW_MODE_DWARF, want, 6);
}
END_TEST

static bool held_elsewhere(void *ctx, const char *key)
{
	(void)key;
	return *(bool *)ctx;
}

struct objects_seen {
	uint32_t with_table, released, refused;
};

/* Asks once for the rows of each released table, as kunwind does for a
 * binary whose rows the kernel no longer holds. */
static int see_object(void *ctx, const struct sym_unwind_object *o)
{
	struct objects_seen *seen = ctx;

	if (o->key && !o->table) {
		seen->released++;
		seen->refused++;
		return -ENODATA;
	}
	if (o->table)
		seen->with_table++;
	return 0;
}

START_TEST(test_unwinder__a_released_table_is_compiled_again_when_wanted)
{
	static const char *const want[] = { "capture_here", "uw_chain_4", "uw_chain_3",
					    "uw_chain_2", "uw_chain_1" };
	struct sym_session *s = sym_session__new(NULL);
	struct objects_seen seen = { 0 }, seen2 = { 0 };
	struct sym_stats before, after;
	bool held = false;
	uint64_t start;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(proc__start_ticks(getpid(), &start), 0);
	uw_chain_1();
	expect_capture_names_in(s, UW_MODE_DWARF, want, 5);
	ck_assert_int_eq(sym_session__unwind_objects(s, getpid(), start, see_object, &seen), 0);
	ck_assert_uint_gt(seen.with_table, 0);
	ck_assert_uint_eq(seen.released, 0);
	/* rows nobody else holds stay */
	ck_assert_uint_eq(sym_session__release_unwind_tables(s, 0, 0, held_elsewhere, &held), 0);
	/* nor does a table a stack copy used within the idle time go */
	held = true;
	ck_assert_uint_eq(sym_session__release_unwind_tables(s, 3600000000000ull, 0,
							     held_elsewhere, &held), 0);
	/* nor any while the tables hold no more than the bytes to keep */
	sym_session__stats(s, &before);
	ck_assert_uint_eq(sym_session__release_unwind_tables(s, 0, before.unwind_table_bytes,
							     held_elsewhere, &held), 0);
	/* over it: the least recently wanted go until they hold no more */
	ck_assert_uint_gt(sym_session__release_unwind_tables(s, 0, before.unwind_table_bytes - 1,
							     held_elsewhere, &held), 0);
	sym_session__stats(s, &after);
	ck_assert_uint_le(after.unwind_table_bytes, before.unwind_table_bytes - 1);
	ck_assert_uint_gt(sym_session__release_unwind_tables(s, 0, 0, held_elsewhere, &held), 0);
	sym_session__stats(s, &after);
	ck_assert_uint_lt(after.unwind_table_bytes, before.unwind_table_bytes);
	ck_assert_uint_eq(after.unwind_tables_cached, before.unwind_tables_cached);
	/* the kernel-walk side: each released table asked for comes back */
	ck_assert_int_eq(sym_session__unwind_objects(s, getpid(), start, see_object, &seen2), 0);
	ck_assert_uint_gt(seen2.released, 0);
	ck_assert_uint_eq(seen2.with_table, seen.with_table);
	/* a stack copy unwinds exactly as before, its tables compiled again */
	ck_assert_uint_gt(sym_session__release_unwind_tables(s, 0, 0, held_elsewhere, &held), 0);
	uw_chain_1();
	expect_capture_names_in(s, UW_MODE_DWARF, want, 5);
	sym_session__stats(s, &after);
	ck_assert_uint_gt(after.unwind_tables_built, before.unwind_tables_built);
	sym_session__free(s);
}
END_TEST

/* --- CPython's perf trampolines -------------------------------------------- */

/* Python/asm_trampoline.S as CPython 3.12 and 3.13 build it for x86_64:
 * sub $8,%rsp; call *%rcx; add $8,%rsp; ret */
static const uint8_t py_trampoline[] = { 0x48, 0x83, 0xec, 0x08, 0xff, 0xd1,
					 0x48, 0x83, 0xc4, 0x08, 0xc3 };

typedef void (*py_trampoline_fn)(void *, void *, void *, void (*)(void));

static uint8_t *tramp_code;	/* two copies, at 0 and 16, as CPython 3.13 lays them */

/* The evaluator the outer trampoline calls: enters the inner one, the way
 * _PyEval_EvalFrameDefault enters the next Python function. */
NOFP void uw_py_eval(void)
{
	((py_trampoline_fn)(void *)(tramp_code + 16))(NULL, NULL, NULL, uw_chain_1);
	__asm__ volatile("");
}

NOFP void uw_py_run(void)
{
	((py_trampoline_fn)(void *)tramp_code)(NULL, NULL, NULL, uw_py_eval);
	__asm__ volatile("");
}

static void unwind_through_trampolines(enum uw_mode mode)
{
	static const char *const want[] = { "capture_here", "uw_chain_4", "uw_chain_3",
					    "uw_chain_2", "uw_chain_1", "py::inner:/x.py",
					    "uw_py_eval", "py::outer:/x.py", "uw_py_run" };
	char path[64];
	FILE *f;

	tramp_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(tramp_code, MAP_FAILED);
	memcpy(tramp_code, py_trampoline, sizeof(py_trampoline));
	memcpy(tramp_code + 16, py_trampoline, sizeof(py_trampoline));
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%lx b py::outer:/x.py\n%lx b py::inner:/x.py\n",
		(unsigned long)tramp_code, (unsigned long)tramp_code + 16);
	fclose(f);
	uw_py_run();
	expect_capture_names(mode, want, 9);
	unlink(path);
}

START_TEST(test_unwinder__walks_through_python_perf_trampolines_with_unwind_tables)
{
	unwind_through_trampolines(UW_MODE_DWARF);
}
END_TEST

START_TEST(test_unwinder__walks_through_python_perf_trampolines_in_auto_mode)
{
	unwind_through_trampolines(UW_MODE_AUTO);
}
END_TEST

START_TEST(test_unwinder__matches_libunwind_on_the_same_capture)
{
	struct sym_session *s = sym_session__new(NULL);
	struct lu_target t;
	struct uw_regs regs;
	struct uw_stack st;
	struct uw_result r;
	uint64_t ips[256], lips[256], start;
	uint32_t n;
	int lerr;

	uw_chain_1();
	regs = (struct uw_regs){ .ip = cap.ip, .sp = cap.sp, .bp = cap.bp, .bx = cap.bx };
	st = (struct uw_stack){ .data = cap.data, .len = cap.len, .limit = sizeof(cap.data) };
	ck_assert_int_eq(proc__start_ticks(getpid(), &start), 0);
	ck_assert_int_eq(sym_session__unwind(s, getpid(), start, UW_MODE_DWARF, &regs, &st, ips,
					     256, &r), 0);
	ck_assert_int_eq(lu_open(&t, getpid()), 0);
	t.ip = cap.ip;
	t.sp = cap.sp;
	t.bp = cap.bp;
	t.bx = cap.bx;
	t.stack = cap.data;
	t.stack_len = cap.len;
	n = lu_unwind(&t, lips, 256, &lerr);
	ck_assert_msg(lerr == 0, "libunwind stopped on error %d after %u frames", lerr, n);
	ck_assert_uint_eq(n, r.nr);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_msg(ips[i] == lips[i], "frame %u: cprof %#lx, libunwind %#lx", i,
			      (unsigned long)ips[i], (unsigned long)lips[i]);
	lu_close(&t);
	sym_session__free(s);
}
END_TEST

int main(void)
{
	const char *o = getenv("OUT") ? getenv("OUT") : "build";
	Suite *s = suite_create("unwinder");
	TCase *syn = tcase_create("synthetic"), *real = tcase_create("real");
	SRunner *sr;
	int failed;

	snprintf(fixtures, sizeof(fixtures), "%s/fixtures", o);
	tcase_add_checked_fixture(syn, open_cfi, close_cfi);
	tcase_add_test(syn, test_unwinder__walks_rsp_rbp_and_realigned_frames_to_the_outermost);
	tcase_add_test(syn, test_unwinder__a_frame_beyond_the_copy_is_truncated_never_guessed);
	tcase_add_test(syn, test_unwinder__plt_stub_cfa_depends_on_the_ip);
	tcase_add_test(syn, test_unwinder__signal_frame_resumes_at_the_interrupted_pc);
	tcase_add_test(syn, test_unwinder__code_without_cfi_stops_in_dwarf_mode_and_uses_rbp_in_auto);
	tcase_add_test(syn, test_unwinder__a_frame_pointer_guess_into_no_mapping_is_dropped);
	tcase_add_test(syn, test_unwinder__bad_frames_and_unknown_code_stop_the_walk);
	tcase_add_test(syn, test_unwinder__a_frame_in_the_entry_code_is_the_outermost);
	tcase_add_test(syn, test_unwinder__a_cfa_in_rbx_comes_from_the_callees_save_slot);
	tcase_add_test(syn, test_unwinder__a_signal_frame_gives_the_interrupted_rbx);
	tcase_add_test(syn, test_unwinder__an_rbx_the_table_cannot_recover_stops_the_walk_never_guesses);
	tcase_add_test(syn, test_uw_stats__counts_stops_per_binary_within_a_bound);
	tcase_add_test(syn, test_uw_stop__every_stop_has_words_and_a_unique_snake_case_key);
	suite_add_tcase(s, syn);
	tcase_add_test(real, test_unwinder__noinline_chain_unwinds_its_own_stack_frame_by_frame);
	tcase_add_test(real, test_unwinder__a_released_table_is_compiled_again_when_wanted);
	tcase_add_test(real, test_unwinder__matches_libunwind_on_the_same_capture);
	tcase_add_test(real, test_unwinder__walks_through_python_perf_trampolines_with_unwind_tables);
	tcase_add_test(real, test_unwinder__walks_through_python_perf_trampolines_in_auto_mode);
	suite_add_tcase(s, real);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
