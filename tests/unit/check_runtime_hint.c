// SPDX-License-Identifier: MIT
/* Tests for sym_runtime (runtimes told from mapped files) and runtime_hint
 * (a hint once JIT code ends most of a runtime's stacks). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/core/runtime_hint.h"
#include "symbolize/sym_runtime.h"

START_TEST(test_sym_runtime__tells_runtimes_from_their_files)
{
	ck_assert_int_eq(sym_runtime__of_path("/usr/lib/jvm/java-17/lib/server/libjvm.so"),
			 SYM_RUNTIME_JAVA);
	ck_assert_int_eq(sym_runtime__of_path("/usr/bin/node"), SYM_RUNTIME_NODE);
	ck_assert_int_eq(sym_runtime__of_path("/usr/lib/libnode.so.108"), SYM_RUNTIME_NODE);
	ck_assert_int_eq(sym_runtime__of_path("/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0"),
			 SYM_RUNTIME_PYTHON);
	ck_assert_int_eq(sym_runtime__of_path("/usr/bin/python3.11"), SYM_RUNTIME_PYTHON);
	ck_assert_int_eq(sym_runtime__of_path("/usr/lib/x86_64-linux-gnu/libc.so.6"),
			 SYM_RUNTIME_NONE);
	ck_assert_int_eq(sym_runtime__of_path("/opt/nodejs-tools/bin/nodemon"), SYM_RUNTIME_NONE);
	ck_assert_int_eq(sym_runtime__of_path("[anon]"), SYM_RUNTIME_NONE);
}
END_TEST

START_TEST(test_runtime_hint__hints_a_runtime_whose_stacks_mostly_end_in_jit_code)
{
	struct uw_result jit = { .nr = 2, .stop = UW_STOP_BAD_FRAME, .stop_object = "[anon]" };
	struct uw_result named = { .nr = 2, .stop = UW_STOP_BAD_FRAME, .stop_object = "[jit]" };
	struct uw_result whole = { .nr = 20, .stop = UW_STOP_OUTERMOST, .stop_object = "/bin/x" };
	struct uw_result lib = { .nr = 3, .stop = UW_STOP_NO_INFO, .stop_object = "/lib/y.so" };
	struct runtime_hint h = { 0 };
	char buf[1024];

	/* Java: 30 of 40 stacks end in JIT code; Node: 10 of 40; Python: too few */
	for (int i = 0; i < 20; i++)
		runtime_hint__add(&h, SYM_RUNTIME_JAVA, &jit);
	for (int i = 0; i < 10; i++) {
		runtime_hint__add(&h, SYM_RUNTIME_JAVA, &named);
		runtime_hint__add(&h, SYM_RUNTIME_JAVA, &whole);
		runtime_hint__add(&h, SYM_RUNTIME_NODE, &jit);
		runtime_hint__add(&h, SYM_RUNTIME_NODE, &lib);
		runtime_hint__add(&h, SYM_RUNTIME_NODE, &whole);
		runtime_hint__add(&h, SYM_RUNTIME_NODE, &whole);
		runtime_hint__add(&h, SYM_RUNTIME_PYTHON, &jit);
		runtime_hint__add(&h, SYM_RUNTIME_NONE, &jit);
	}
	ck_assert(runtime_hint__due(&h, SYM_RUNTIME_JAVA));	/* the agent's test, each window */
	ck_assert(!runtime_hint__due(&h, SYM_RUNTIME_NODE));
	ck_assert(!runtime_hint__due(&h, SYM_RUNTIME_PYTHON));
	ck_assert(!runtime_hint__due(&h, SYM_RUNTIME_NONE));
	ck_assert_int_eq(runtime_hint__format(&h, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "hint: 75 % of Java stacks end in JIT code: run java with "
			      "-XX:+PreserveFramePointer (and, for names, "
			      "-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit or a "
			      "perf-map agent)");
	/* Node's JIT ends most of its stacks too: two hints, one line */
	for (int i = 0; i < 40; i++)
		runtime_hint__add(&h, SYM_RUNTIME_NODE, &named);
	ck_assert_int_eq(runtime_hint__format(&h, buf, sizeof(buf)), 2);
	ck_assert_ptr_nonnull(strstr(buf, "; hint: 62 % of Node stacks end in JIT code: run node with "
					  "--perf-basic-prof"));
	ck_assert_int_eq(runtime_hint__format(&h, buf, 40), 1);	/* cut, never overrun */
	ck_assert_uint_eq(strlen(buf), 39);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime_hint");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sym_runtime__tells_runtimes_from_their_files);
	tcase_add_test(tc, test_runtime_hint__hints_a_runtime_whose_stacks_mostly_end_in_jit_code);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
