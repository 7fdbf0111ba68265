// SPDX-License-Identifier: MIT
/* sym_debuginfod: elfutils' client (and libcurl-gnutls behind it) is loaded
 * when the first fetch is queued, never at start and never without
 * DEBUGINFOD_URLS; a fetch that fails is counted, with the client's error,
 * and without a loader's reason. The server is a bound port that does not
 * listen: connections are refused at once, nothing leaves the machine.
 * Fork mode gives each test a fresh process (the fetcher is process-wide).
 */
#define _GNU_SOURCE
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "symbolize/sym_debuginfod.h"
#include "tests/unit/fixture.h"

#define BUILD_ID "0123456789abcdef0123456789abcdef01234567"


START_TEST(test_sym_debuginfod__loads_nothing_without_urls)
{
	char path[256];

	unsetenv("DEBUGINFOD_URLS");
	ck_assert(!sym_debuginfod__enabled());
	ck_assert_int_eq(sym_debuginfod__lookup(BUILD_ID, path, sizeof(path)), -ENOSYS);
	ck_assert_msg(!fixture__mapped("/libdebuginfod"), "libdebuginfod mapped with fetching off");
	ck_assert_msg(!fixture__mapped("/libcurl-gnutls"), "libcurl-gnutls mapped with fetching off");
}
END_TEST

START_TEST(test_sym_debuginfod__loads_the_client_for_the_first_fetch)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	char cache[] = "/tmp/check_sym_debuginfod.XXXXXX", url[64], path[256], cmd[128];
	struct sym_debuginfod_stats st;
	int fd = socket(AF_INET, SOCK_STREAM, 0), err;

	/* bound, not listening: the port is ours and refuses connections */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(sa.sin_port));
	ck_assert_ptr_nonnull(mkdtemp(cache));
	setenv("DEBUGINFOD_URLS", url, 1);
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
	setenv("DEBUGINFOD_TIMEOUT", "5", 1);
	ck_assert_msg(!fixture__mapped("/libdebuginfod"), "libdebuginfod mapped before any fetch");

	ck_assert_int_eq(sym_debuginfod__lookup(BUILD_ID, path, sizeof(path)), -EINPROGRESS);
	ck_assert_uint_eq(sym_debuginfod__wait(20000), 0);
	err = sym_debuginfod__lookup(BUILD_ID, path, sizeof(path));
	ck_assert_msg(err < 0 && err != -EINPROGRESS && err != -ELIBACC, "lookup: %d", err);
	sym_debuginfod__stats(&st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.fetched + st.cached + st.pending, 0);
	ck_assert_int_eq(st.last_error, err);
	ck_assert_str_eq(st.last_failed, BUILD_ID);
	ck_assert_str_eq(st.unavailable, "");
	ck_assert(fixture__mapped("/libdebuginfod"));

	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", cache);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sym_debuginfod");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sym_debuginfod__loads_nothing_without_urls);
	tcase_add_test(tc, test_sym_debuginfod__loads_the_client_for_the_first_fetch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
