// SPDX-License-Identifier: MIT
/* compress: gzip and zstd round trips, and the bounded decoders refusing
 * what is not theirs, what is cut short, and what would grow past the
 * caller's bound. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compress.h"

static uint8_t *pattern(size_t len)
{
	uint8_t *b = malloc(len);

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i % 251 ^ (i >> 9));
	return b;
}

START_TEST(test_compress__gzip_round_trips_with_gzip_framing)
{
	uint8_t *in = pattern(1 << 20), *gz, *out;
	size_t gzlen, outlen;

	ck_assert_int_eq(compress__gzip(in, 1 << 20, &gz, &gzlen), 0);
	ck_assert_uint_ge(gzlen, 18);
	ck_assert_uint_eq(gz[0], 0x1f);	/* gzip, not a zlib wrapper */
	ck_assert_uint_eq(gz[1], 0x8b);
	ck_assert_int_eq(compress__gunzip(gz, gzlen, 1 << 20, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 1 << 20);
	ck_assert_mem_eq(out, in, outlen);
	free(out);
	/* one byte short of the content: refused, never allocated past */
	ck_assert_int_eq(compress__gunzip(gz, gzlen, (1 << 20) - 1, &out, &outlen), -EFBIG);
	/* cut short */
	ck_assert_int_eq(compress__gunzip(gz, gzlen / 2, 1 << 21, &out, &outlen), -EBADMSG);
	free(gz);
	free(in);
}
END_TEST

START_TEST(test_compress__gunzip_reads_members_and_refuses_trailing_garbage)
{
	uint8_t *a, *b, *cat, *out;
	size_t alen, blen, outlen;

	ck_assert_int_eq(compress__gzip("hello ", 6, &a, &alen), 0);
	ck_assert_int_eq(compress__gzip("world", 5, &b, &blen), 0);
	cat = malloc(alen + blen + 1);
	memcpy(cat, a, alen);
	memcpy(cat + alen, b, blen);
	ck_assert_int_eq(compress__gunzip(cat, alen + blen, 100, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 11);
	ck_assert_mem_eq(out, "hello world", 11);
	free(out);
	cat[alen] = 'x';	/* not another member */
	ck_assert_int_eq(compress__gunzip(cat, alen + blen, 100, &out, &outlen), -EBADMSG);
	ck_assert_int_eq(compress__gunzip("plain text", 10, 100, &out, &outlen), -EBADMSG);
	/* an empty input compresses and decompresses to nothing */
	free(a);
	ck_assert_int_eq(compress__gzip("", 0, &a, &alen), 0);
	ck_assert_int_eq(compress__gunzip(a, alen, 100, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 0);
	free(out);
	free(a);
	free(b);
	free(cat);
}
END_TEST

START_TEST(test_compress__zstd_round_trips_and_checks_its_checksum)
{
	uint8_t *in = pattern(100000), *z, *out;
	size_t zlen, outlen;

	ck_assert_int_eq(compress__zstd(in, 100000, 3, &z, &zlen), 0);
	ck_assert_int_eq(compress__unzstd(z, zlen, 100000, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 100000);
	ck_assert_mem_eq(out, in, outlen);
	free(out);
	ck_assert_int_eq(compress__unzstd(z, zlen, 99999, &out, &outlen), -EFBIG);
	ck_assert_int_eq(compress__unzstd(z, zlen - 1, 100000, &out, &outlen), -EBADMSG);
	z[zlen - 1] ^= 0xff;	/* the content checksum */
	ck_assert_int_eq(compress__unzstd(z, zlen, 100000, &out, &outlen), -EBADMSG);
	ck_assert_int_eq(compress__unzstd("not zstd", 8, 100, &out, &outlen), -EBADMSG);
	free(z);
	free(in);
}
END_TEST

/* A gzip bomb: 64 MiB of zeros in ~64 KiB; the bound stops it with at most
 * the bound allocated. */
START_TEST(test_compress__gunzip_stops_a_bomb_at_the_bound)
{
	size_t len = 64u << 20, gzlen, outlen;
	uint8_t *zeros = calloc(1, len), *gz, *out;

	ck_assert_int_eq(compress__gzip(zeros, len, &gz, &gzlen), 0);
	free(zeros);
	ck_assert_uint_lt(gzlen, 1 << 20);
	ck_assert_int_eq(compress__gunzip(gz, gzlen, 1 << 20, &out, &outlen), -EFBIG);
	free(gz);
}
END_TEST

START_TEST(test_compress__crc32_matches_the_check_value)
{
	/* CRC-32 of "123456789" is 0xcbf43926; in two pieces as in one */
	ck_assert_uint_eq(compress__crc32(0, "123456789", 9), 0xcbf43926);
	ck_assert_uint_eq(compress__crc32(compress__crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
	ck_assert_uint_eq(compress__crc32(0, "", 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compress");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_compress__gzip_round_trips_with_gzip_framing);
	tcase_add_test(tc, test_compress__gunzip_reads_members_and_refuses_trailing_garbage);
	tcase_add_test(tc, test_compress__zstd_round_trips_and_checks_its_checksum);
	tcase_add_test(tc, test_compress__gunzip_stops_a_bomb_at_the_bound);
	tcase_add_test(tc, test_compress__crc32_matches_the_check_value);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
