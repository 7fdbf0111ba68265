// SPDX-License-Identifier: MIT
/* sym_python: a code object noted while its process lives is named after
 * the process is gone; one first noted after it is gone is counted as
 * unreadable (and nothing is read from a pid that may be reused). The
 * process is Debian's /usr/bin/python3, printing id() of two functions'
 * code objects (their addresses in CPython). */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "base/proc.h"
#include "symbolize/sym_python.h"

#define PYTHON	"/usr/bin/python3"

static const char script[] =
	"import sys, time\n"
	"def first(): pass\n"
	"def second(): pass\n"
	"print(id(first.__code__), id(second.__code__), flush=True)\n"
	"time.sleep(60)\n";

/* Starts python3 with the script: its pid, the two code addresses. */
static pid_t start_python(uint64_t *first, uint64_t *second)
{
	int fds[2];
	char line[128] = "";
	pid_t pid;
	FILE *f;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(PYTHON, PYTHON, "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_int_eq(sscanf(line, "%" SCNu64 " %" SCNu64, first, second), 2);
	return pid;
}

START_TEST(test_sym_python__a_code_object_first_noted_after_the_exit_is_counted_not_read)
{
	struct sym_python *py = sym_python__new();
	struct sym_python_stats st;
	struct cprof_py_proc p;
	struct sym_result r;
	uint64_t first, second, start, f1, f2;
	char version[8];
	pid_t pid;

	if (access(PYTHON, X_OK))
		return;	/* make deps installs it */
	ck_assert_ptr_nonnull(py);
	pid = start_python(&first, &second);
	ck_assert_int_eq(proc__start_ticks(pid, &start), 0);
	ck_assert_int_eq(sym_python__add_process(py, pid, start, &p, version, sizeof(version)), 1);
	f1 = CPROF_PY_FRAME(first, 0, 0);
	f2 = CPROF_PY_FRAME(second, 0, 0);

	/* while it lives: read */
	ck_assert_int_eq(sym_python__note(py, pid, start, &f1, 1), 0);
	sym_python__stats(py, &st);
	ck_assert_uint_eq(st.codes_read, 1);
	ck_assert_uint_eq(st.codes_unreadable, 0);

	/* gone: the first stays named, the second is counted, not read */
	sym_python__remove_process(py, pid, start);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(sym_python__note(py, pid, start, &f2, 1), 0);
	ck_assert_int_eq(sym_python__note(py, pid, start, &f2, 1), 0);	/* once */
	sym_python__stats(py, &st);
	ck_assert_uint_eq(st.codes_read, 1);
	ck_assert_uint_eq(st.codes_unreadable, 1);
	ck_assert_uint_eq(st.unreadable_by_minor[p.l.minor], 1);
	ck_assert_int_eq(sym_python__resolve(py, pid, start, f1, &r), 0);
	ck_assert_str_eq(r.frames[0].name, "first");
	ck_assert_int_eq(sym_python__resolve(py, pid, start, f2, &r), -ENOENT);
	sym_python__free(py);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_python");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_sym_python__a_code_object_first_noted_after_the_exit_is_counted_not_read);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
