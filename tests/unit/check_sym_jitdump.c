// SPDX-License-Identifier: MIT
/* Tests for sym_jitdump, the reader of jit-PID.dump files: loads and moves
 * named, other records skipped, the file taken in pieces as it grows, the
 * other byte order, and malformed input stopping the parse, never reading
 * outside what was fed. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_jitdump.h"

struct jd_buf {
	uint8_t b[8192];
	size_t n;
	bool swap;
};

static void put32(struct jd_buf *j, uint32_t v)
{
	if (j->swap)
		v = __builtin_bswap32(v);
	memcpy(j->b + j->n, &v, 4);
	j->n += 4;
}

static void put64(struct jd_buf *j, uint64_t v)
{
	if (j->swap)
		v = __builtin_bswap64(v);
	memcpy(j->b + j->n, &v, 8);
	j->n += 8;
}

static void header(struct jd_buf *j)
{
	put32(j, 0x4A695444);
	put32(j, 1);
	put32(j, 40);
	put32(j, 62);	/* EM_X86_64 */
	put32(j, 0);
	put32(j, 1234);
	put64(j, 0);
	put64(j, 0);
}

static void load(struct jd_buf *j, uint64_t addr, uint64_t size, uint64_t index, const char *name)
{
	size_t len = strlen(name) + 1;

	put32(j, 0);
	put32(j, (uint32_t)(16 + 40 + len + size));
	put64(j, 0);
	put32(j, 1234);
	put32(j, 1234);
	put64(j, addr);
	put64(j, addr);
	put64(j, size);
	put64(j, index);
	memcpy(j->b + j->n, name, len);
	j->n += len;
	memset(j->b + j->n, 0xcc, size);	/* the code */
	j->n += size;
}

static void move(struct jd_buf *j, uint64_t from, uint64_t to, uint64_t size, uint64_t index)
{
	put32(j, 1);
	put32(j, 16 + 48);
	put64(j, 0);
	put32(j, 1234);
	put32(j, 1234);
	put64(j, to);
	put64(j, from);
	put64(j, to);
	put64(j, size);
	put64(j, index);
}

static void other(struct jd_buf *j, uint32_t id, uint32_t body)
{
	put32(j, id);
	put32(j, 16 + body);
	put64(j, 0);
	memset(j->b + j->n, 0, body);
	j->n += body;
}

static const char *name_at(const struct sym_jitdump *d, uint64_t addr)
{
	const char *name;

	return sym_perf_map__lookup(sym_jitdump__map(d), addr, &name) == 0 ? name : NULL;
}

START_TEST(test_sym_jitdump__names_loads_and_moves_and_skips_other_records)
{
	struct jd_buf j = { .swap = _i == 1 };
	struct sym_jitdump *d = sym_jitdump__new();

	ck_assert_ptr_nonnull(d);
	header(&j);
	load(&j, 0x1000, 0x40, 1, "JS:*hot app.js:3");
	other(&j, 2, 40);	/* JIT_CODE_DEBUG_INFO */
	load(&j, 0x2000, 0x10, 2, "stub");
	other(&j, 4, 24);	/* JIT_CODE_UNWINDING_INFO */
	move(&j, 0x2000, 0x3000, 0x10, 2);
	other(&j, 99, 0);	/* unknown */
	ck_assert_int_eq(sym_jitdump__feed(d, j.b, j.n), (int64_t)j.n);
	ck_assert_int_eq(sym_jitdump__broken(d), 0);
	ck_assert_str_eq(name_at(d, 0x1000), "JS:*hot app.js:3");
	ck_assert_str_eq(name_at(d, 0x103f), "JS:*hot app.js:3");
	ck_assert_ptr_null(name_at(d, 0x1040));
	ck_assert_str_eq(name_at(d, 0x3008), "stub");
	sym_jitdump__free(d);
}
END_TEST

START_TEST(test_sym_jitdump__reads_a_growing_file_in_pieces)
{
	struct jd_buf j = { 0 };
	struct sym_jitdump *d = sym_jitdump__new();
	size_t first, second;
	int64_t pos;

	header(&j);
	load(&j, 0x1000, 0x40, 1, "one");
	first = j.n;
	load(&j, 0x2000, 0x200, 2, "two");
	second = j.n;
	/* the header alone, then half of the first record: nothing named yet */
	ck_assert_int_eq(sym_jitdump__feed(d, j.b, 40), 40);
	ck_assert_int_eq(sym_jitdump__feed(d, j.b + 40, 30), 40);
	ck_assert_ptr_null(name_at(d, 0x1000));
	/* its name but not all its code: named, and the code is not needed */
	pos = sym_jitdump__feed(d, j.b + 40, 16 + 40 + 4);
	ck_assert_int_eq(pos, (int64_t)first);
	ck_assert_str_eq(name_at(d, 0x1000), "one");
	/* the second record with a few bytes of its code: the next read starts past it */
	ck_assert_int_eq(sym_jitdump__feed(d, j.b + first, 16 + 40 + 4 + 8), (int64_t)second);
	ck_assert_str_eq(name_at(d, 0x2100), "two");
	sym_jitdump__free(d);
}
END_TEST

START_TEST(test_sym_jitdump__malformed_input_stops_the_parse)
{
	struct jd_buf j = { 0 };
	struct sym_jitdump *d = sym_jitdump__new();
	size_t good;

	/* not a jitdump */
	ck_assert_int_eq(sym_jitdump__feed(d, (const uint8_t *)"0000 10 perf map line\n....."
					   "...............", 40), 0);
	ck_assert_int_eq(sym_jitdump__broken(d), -EINVAL);
	sym_jitdump__free(d);

	d = sym_jitdump__new();
	header(&j);
	load(&j, 0x1000, 0x40, 1, "good");
	good = j.n;
	/* a record shorter than its own header */
	put32(&j, 0);
	put32(&j, 8);
	put64(&j, 0);
	load(&j, 0x5000, 0x40, 2, "after");
	ck_assert_int_eq(sym_jitdump__feed(d, j.b, j.n), (int64_t)good);
	ck_assert_int_eq(sym_jitdump__broken(d), -EINVAL);
	ck_assert_str_eq(name_at(d, 0x1000), "good");
	ck_assert_ptr_null(name_at(d, 0x5000));
	sym_jitdump__free(d);

	/* a load whose code size does not fit its record */
	d = sym_jitdump__new();
	j.n = 0;
	header(&j);
	load(&j, 0x1000, 0x40, 1, "bad");
	memset(j.b + 40 + 16 + 24, 0xff, 8);
	ck_assert_int_eq(sym_jitdump__feed(d, j.b, j.n), 40);
	ck_assert_int_eq(sym_jitdump__broken(d), -EINVAL);
	ck_assert_ptr_null(name_at(d, 0x1000));
	/* a name without its NUL inside the record */
	sym_jitdump__free(d);
	d = sym_jitdump__new();
	j.n = 0;
	header(&j);
	load(&j, 0x1000, 0, 1, "x");
	j.b[j.n - 1] = 'y';
	ck_assert_int_eq(sym_jitdump__feed(d, j.b, j.n), 40);
	ck_assert_int_eq(sym_jitdump__broken(d), -EINVAL);
	sym_jitdump__free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_jitdump");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_sym_jitdump__names_loads_and_moves_and_skips_other_records, 0, 2);
	tcase_add_test(tc, test_sym_jitdump__reads_a_growing_file_in_pieces);
	tcase_add_test(tc, test_sym_jitdump__malformed_input_stops_the_parse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
