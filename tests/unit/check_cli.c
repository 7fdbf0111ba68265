// SPDX-License-Identifier: MIT
/* cli: the binary's one printer (prefix per subcommand, the usage-error hint
 * and exit status 2) and its number parsers. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/cli.h"

/* Runs fn with stderr redirected to a temporary file; returns what it wrote. */
static char captured[8192];

static const char *capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
	return captured;
}

static int status;

static void record_usage(void)
{
	cli__set_command(NULL);
	status = cli__usage_error("frequency must be 1..10000 Hz, not '%s'", "0");
}

static void agent_usage(void)
{
	cli__set_command("agent");
	status = cli__usage_error("%s", "--url is required");
}

static void flamegraph_warn(void)
{
	cli__set_command("flamegraph");
	cli__warn("%s: skipped %d malformed line(s)", "in.folded", 3);
	cli__err("out of memory");
}

START_TEST(test_cli__usage_error_names_the_command_and_exits_2)
{
	ck_assert_str_eq(capture(record_usage),
			 "cprof: frequency must be 1..10000 Hz, not '0'\n"
			 "Try 'cprof --help' for more information.\n");
	ck_assert_int_eq(status, 2);
	ck_assert_str_eq(capture(agent_usage),
			 "cprof agent: --url is required\n"
			 "Try 'cprof agent --help' for more information.\n");
	ck_assert_int_eq(status, 2);
}
END_TEST

START_TEST(test_cli__err_and_warn_print_one_prefixed_line_each)
{
	ck_assert_str_eq(capture(flamegraph_warn),
			 "cprof flamegraph: warning: in.folded: skipped 3 malformed line(s)\n"
			 "cprof flamegraph: out of memory\n");
}
END_TEST

START_TEST(test_cli__plural_agrees_with_the_count)
{
	ck_assert_str_eq(cli__plural(0, "process", "processes"), "processes");
	ck_assert_str_eq(cli__plural(1, "process", "processes"), "process");
	ck_assert_str_eq(cli__plural(2, "window", "windows"), "windows");
}
END_TEST

START_TEST(test_cli__parse_ulong_takes_plain_decimal_in_range)
{
	unsigned long v = 7;

	ck_assert_int_eq(cli__parse_ulong("99", 1, 10000, &v), 0);
	ck_assert_uint_eq(v, 99);
	ck_assert_int_eq(cli__parse_ulong("10000", 1, 10000, &v), 0);
	v = 7;
	ck_assert_int_eq(cli__parse_ulong("10001", 1, 10000, &v), -EINVAL);
	ck_assert_int_eq(cli__parse_ulong("0", 1, 10000, &v), -EINVAL);
	ck_assert_int_eq(cli__parse_ulong("", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(cli__parse_ulong("-1", 0, ULONG_MAX, &v), -EINVAL);
	ck_assert_int_eq(cli__parse_ulong("+1", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(cli__parse_ulong("5x", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(cli__parse_ulong("99999999999999999999999", 0, ULONG_MAX, &v), -EINVAL);
	ck_assert_uint_eq(v, 7);	/* untouched on failure */
}
END_TEST

START_TEST(test_cli__parse_bool_size_and_seconds)
{
	uint64_t sz;
	double s;
	bool b;

	ck_assert_int_eq(cli__parse_bool("YES", &b), 0);
	ck_assert(b);
	ck_assert_int_eq(cli__parse_bool("off", &b), 0);
	ck_assert(!b);
	ck_assert_int_eq(cli__parse_bool("2", &b), -EINVAL);

	ck_assert_int_eq(cli__parse_size("4096", &sz), 0);
	ck_assert_uint_eq(sz, 4096);
	ck_assert_int_eq(cli__parse_size("64k", &sz), 0);
	ck_assert_uint_eq(sz, 64 << 10);
	ck_assert_int_eq(cli__parse_size("256MiB", &sz), 0);
	ck_assert_uint_eq(sz, 256 << 20);
	ck_assert_int_eq(cli__parse_size("1GB", &sz), 0);
	ck_assert_uint_eq(sz, 1ULL << 30);
	ck_assert_int_eq(cli__parse_size("1T", &sz), -EINVAL);
	ck_assert_int_eq(cli__parse_size("1Mx", &sz), -EINVAL);
	ck_assert_int_eq(cli__parse_size("-1", &sz), -EINVAL);
	ck_assert_int_eq(cli__parse_size("17179869184G", &sz), -EINVAL);	/* 2^64 */

	ck_assert_int_eq(cli__parse_seconds("2.5", 0, &s), 0);
	ck_assert(s == 2.5);
	ck_assert_int_eq(cli__parse_seconds("500ms", 0, &s), -EINVAL);	/* units not asked for */
	ck_assert_int_eq(cli__parse_seconds("500ms", CLI_SECONDS_UNITS, &s), 0);
	ck_assert(s == 0.5);
	ck_assert_int_eq(cli__parse_seconds("2min", CLI_SECONDS_UNITS, &s), 0);
	ck_assert(s == 120);
	ck_assert_int_eq(cli__parse_seconds("10s", CLI_SECONDS_UNITS, &s), 0);
	ck_assert(s == 10);
	ck_assert_int_eq(cli__parse_seconds("1h", CLI_SECONDS_UNITS, &s), -EINVAL);
	ck_assert_int_eq(cli__parse_seconds("-1", 0, &s), -EINVAL);
	ck_assert_int_eq(cli__parse_seconds("31536001", 0, &s), -EINVAL);	/* over a year */
	ck_assert_int_eq(cli__parse_seconds("nan", 0, &s), -EINVAL);
	ck_assert_int_eq(cli__parse_seconds("", 0, &s), -EINVAL);
}
END_TEST

START_TEST(test_cli__parse_pids_appends_and_stops_at_the_bound)
{
	pid_t pids[3];
	size_t n = 0;

	ck_assert_int_eq(cli__parse_pids("12,,345", pids, 3, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(pids[0], 12);
	ck_assert_int_eq(pids[1], 345);
	ck_assert_int_eq(cli__parse_pids("7,8", pids, 3, &n), -EINVAL);	/* the 4th passes max */
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(pids[2], 7);
	n = 0;
	ck_assert_int_eq(cli__parse_pids("0", pids, 3, &n), -EINVAL);
	ck_assert_int_eq(cli__parse_pids("2147483648", pids, 3, &n), -EINVAL);	/* > INT_MAX */
	ck_assert_int_eq(cli__parse_pids("1,x", pids, 3, &n), -EINVAL);
	ck_assert_uint_eq(n, 1);
	n = 0;
	ck_assert_int_eq(cli__parse_pids("", pids, 3, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_cli__usage_error_names_the_command_and_exits_2);
	tcase_add_test(tc, test_cli__err_and_warn_print_one_prefixed_line_each);
	tcase_add_test(tc, test_cli__plural_agrees_with_the_count);
	tcase_add_test(tc, test_cli__parse_ulong_takes_plain_decimal_in_range);
	tcase_add_test(tc, test_cli__parse_bool_size_and_seconds);
	tcase_add_test(tc, test_cli__parse_pids_appends_and_stops_at_the_bound);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
