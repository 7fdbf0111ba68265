// SPDX-License-Identifier: MIT
/* Integration tests: files that other users control, which cprof opens as
 * root, cannot hang it, grow it or fool it. A JIT-like root process whose
 * /tmp/perf-PID.map is a FIFO, a symlink to /dev/zero, or a file written by
 * nobody; and a process whose library is hidden behind a FIFO bind-mounted
 * over it in an unprivileged user's own user+mount namespace. Runs the real
 * cprof (BPF, as root); exits 77 (skip) where BPF cannot be used.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests/record_util.h"

#define NOBODY 65534
#define TIME_LIMIT_S 15        /* cprof -d 2 must end well before this */
#define RSS_LIMIT_KB (300 << 10)

static bool userns_usable;

struct bounded_run {
	int status;     /* exit status; -1 when it had to be killed */
	double secs;
	long maxrss_kb; /* peak RSS of cprof */
};

/* Runs argv for at most TIME_LIMIT_S seconds (then SIGKILL). */
static struct bounded_run run_bounded(char *const argv[], const char *err)
{
	struct bounded_run r = { .status = -1 };
	struct timespec a, b;
	struct rusage ru;
	pid_t pid, w;
	int st;

	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = spawn(argv, err);
	for (;;) {
		w = wait4(pid, &st, WNOHANG, &ru);
		clock_gettime(CLOCK_MONOTONIC, &b);
		r.secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		if (w == pid) {
			r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
		if (r.secs > TIME_LIMIT_S) {
			kill(pid, SIGKILL);
			wait4(pid, &st, 0, &ru);
			break;
		}
		usleep(50000);
	}
	r.maxrss_kb = ru.ru_maxrss;
	return r;
}

/* Sample count of pid's samples, and of those with a frame named name. */
static int64_t samples_named(const struct prof *pr, int pid, const char *name, int64_t *ret_total)
{
	int64_t named = 0, total = 0;

	for (size_t i = 0; i < pr->p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr->p->sample[i];
		bool ours = false, hit = false;

		for (size_t j = 0; j < s->n_label; j++)
			if (!strcmp(pprof__str(pr->p, s->label[j]->key), "pid") &&
			    s->label[j]->num == pid)
				ours = true;
		if (!ours)
			continue;
		total += s->value[0];
		for (size_t j = 0; j < s->n_location_id && !hit; j++) {
			const Perftools__Profiles__Location *l =
				pprof_index__location(pr->idx, s->location_id[j]);

			for (size_t k = 0; k < l->n_line; k++) {
				const Perftools__Profiles__Function *f =
					pprof_index__function(pr->idx, l->line[k]->function_id);

				if (!strcmp(pprof__str(pr->p, f->name), name))
					hit = true;
			}
		}
		if (hit)
			named += s->value[0];
	}
	if (ret_total)
		*ret_total = total;
	return named;
}

static bool has_comment(const struct prof *pr, const char *text)
{
	for (size_t i = 0; i < pr->p->n_comment; i++)
		if (strstr(pprof__str(pr->p, pr->p->comment[i]), text))
			return true;
	return false;
}

/* Waits (10 s at most) until path holds needle; returns its text. */
static const char *wait_for(const char *path, const char *needle)
{
	for (int i = 0; i < 200; i++) {
		const char *t = slurp(path);

		if (strstr(t, needle))
			return t;
		usleep(50000);
	}
	return NULL;
}

/* --- perf maps ----------------------------------------------------------------- */

enum map_kind { MAP_OWN, MAP_FIFO, MAP_DEVZERO, MAP_NOBODY };

struct jit {
	pid_t pid;
	uint64_t code;
	char map[64];
};

static void jit_start(struct jit *j)
{
	char *argv[] = { (char *)fx("jit_burn"), "60", NULL };
	const char *out;

	unlink(tmpf("jit.out")); /* not the last run's address */
	j->pid = spawn_out(argv, tmpf("jit.out"), NULL);
	out = wait_for(tmpf("jit.out"), "ready");
	ck_assert_msg(out, "jit_burn did not start");
	ck_assert_int_eq(sscanf(out, "code %" SCNx64, &j->code), 1);
	snprintf(j->map, sizeof(j->map), "/tmp/perf-%d.map", j->pid);
	unlink(j->map);
}

static void jit_stop(struct jit *j)
{
	kill(j->pid, SIGKILL);
	wait_status(j->pid);
	unlink(j->map);
}

static void write_map(const struct jit *j, const char *name, uid_t owner)
{
	FILE *f = fopen(j->map, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "%" PRIx64 " 40 %s\n", j->code, name);
	fclose(f);
	ck_assert_int_eq(chmod(j->map, 0644), 0);
	ck_assert_int_eq(chown(j->map, owner, owner), 0);
}

/* Records the JIT for 2 s with its perf map made kind (~400 samples at 199 Hz,
 * against a floor of 30); checks time, memory and names, and returns cprof's
 * stderr. */
static const char *record_jit(enum map_kind kind, bool whole_machine)
{
	struct jit j;
	struct bounded_run r;
	struct prof pr;
	char pid[16];
	int64_t named, total;

	jit_start(&j);
	switch (kind) {
	case MAP_OWN:
		write_map(&j, "real_jit_function", 0);
		break;
	case MAP_FIFO:
		ck_assert_int_eq(mkfifo(j.map, 0644), 0);
		break;
	case MAP_DEVZERO:
		ck_assert_int_eq(symlink("/dev/zero", j.map), 0);
		break;
	case MAP_NOBODY:
		write_map(&j, "fake_function_from_nobody", NOBODY);
		break;
	}
	snprintf(pid, sizeof(pid), "%d", j.pid);
	char *by_pid[] = { cprof, "-F", "199", "--pid", pid, "-d", "2", "-o",
			   (char *)tmpf("jit.pb.gz"), NULL };
	char *all[] = { cprof, "-F", "199", "-a", "-d", "2", "-o", (char *)tmpf("jit.pb.gz"), NULL };
	r = run_bounded(whole_machine ? all : by_pid, tmpf("jit.err"));
	jit_stop(&j);
	ck_assert_msg(r.status >= 0, "cprof did not finish in %d s (hung on the perf map)",
		      TIME_LIMIT_S);
	ck_assert_msg(r.status == 0, "cprof exited %d: %s", r.status, slurp(tmpf("jit.err")));
	ck_assert_msg(r.maxrss_kb < RSS_LIMIT_KB, "cprof grew to %ld MB", r.maxrss_kb >> 10);
	pr = load(tmpf("jit.pb.gz"));
	named = samples_named(&pr, j.pid, kind == MAP_OWN ? "real_jit_function" :
				"fake_function_from_nobody", &total);
	ck_assert_msg(total >= 30, "only %ld samples of the JIT", (long)total);
	if (kind == MAP_OWN)
		ck_assert_msg(named * 2 > total, "its own map named %ld of %ld samples",
			      (long)named, (long)total);
	else
		ck_assert_msg(named == 0, "the foreign map named %ld of %ld samples", (long)named,
			      (long)total);
	if (kind != MAP_OWN)
		ck_assert_msg(has_comment(&pr, "perf maps refused: "), "no refusal in the profile");
	unload(&pr);
	return slurp(tmpf("jit.err"));
}

START_TEST(test_hostile_files__the_jits_own_map_names_its_code)
{
	const char *err = record_jit(MAP_OWN, false);

	ck_assert_msg(!strstr(err, "refused"), "%s", err);
}
END_TEST

START_TEST(test_hostile_files__a_fifo_perf_map_neither_hangs_nor_names)
{
	const char *err = record_jit(MAP_FIFO, false);

	ck_assert_msg(strstr(err, "cprof: perf maps refused: 1 not a regular file\n"), "%s", err);
}
END_TEST

START_TEST(test_hostile_files__a_fifo_perf_map_does_not_hang_a_whole_machine_record)
{
	const char *err = record_jit(MAP_FIFO, true);

	ck_assert_msg(strstr(err, "cprof: perf maps refused: ") && strstr(err, "not a regular file"),
		      "%s", err);
}
END_TEST

START_TEST(test_hostile_files__a_perf_map_linked_to_dev_zero_is_not_read)
{
	const char *err = record_jit(MAP_DEVZERO, false);

	ck_assert_msg(strstr(err, "cprof: perf maps refused: 1 symbolic link\n"), "%s", err);
}
END_TEST

START_TEST(test_hostile_files__a_perf_map_written_by_nobody_for_root_is_not_used)
{
	const char *err = record_jit(MAP_NOBODY, false);

	ck_assert_msg(strstr(err, "cprof: perf maps refused: 1 foreign owner\n"), "%s", err);
}
END_TEST

/* --- a FIFO bind-mounted over a mapped library ---------------------------------- */

static const char bind_script[] =
	"\"$1\" 60 > \"$2/out\" & p=$!\n"
	"i=0; until grep -q ready \"$2/out\"; do sleep 0.05; i=$((i+1)); [ $i -gt 200 ] && exit 3; done\n"
	"mount --bind \"$2/fifo\" \"$3\" || exit 4\n"
	"echo $p > \"$2/pid.tmp\" && mv \"$2/pid.tmp\" \"$2/pid\"\n"
	"wait\n";

START_TEST(test_hostile_files__a_fifo_over_a_mapped_library_does_not_hang)
{
	char dir[] = "/tmp/cprof-hostile-XXXXXX", fix[PATH_MAX], lib[PATH_MAX], path[PATH_MAX + 16];
	char pid_s[16], cmd[PATH_MAX + 16];
	struct bounded_run r;
	struct prof pr;
	int64_t main_named, lib_named, total;
	pid_t sh, pid;

	ck_assert_ptr_nonnull(realpath(fx("hostile_uselib"), fix));
	ck_assert_ptr_nonnull(realpath(fx("libhostile_lib.so"), lib));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chown(dir, NOBODY, NOBODY), 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_int_eq(chown(path, NOBODY, NOBODY), 0);

	char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			 "/usr/bin/unshare", "-Urm", "/bin/sh", "-c", (char *)bind_script, "sh", fix,
			 dir, lib, NULL };
	sh = spawn(argv, tmpf("bind.err"));
	snprintf(path, sizeof(path), "%s/pid", dir);
	ck_assert_msg(wait_for(path, "\n"), "the namespace was not set up: %s",
		      slurp(tmpf("bind.err")));
	pid = atoi(slurp(path));
	ck_assert_int_gt(pid, 0);
	snprintf(pid_s, sizeof(pid_s), "%d", pid);

	char *rec[] = { cprof, "-F", "199", "--pid", pid_s, "-d", "2", "-o",
			(char *)tmpf("bind.pb.gz"), NULL };
	r = run_bounded(rec, tmpf("rec.err"));
	kill(pid, SIGKILL);
	wait_status(sh);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);

	ck_assert_msg(r.status >= 0, "cprof did not finish in %d s (hung on the FIFO)",
		      TIME_LIMIT_S);
	ck_assert_msg(r.status == 0, "cprof exited %d: %s", r.status, slurp(tmpf("rec.err")));
	ck_assert_msg(strstr(slurp(tmpf("rec.err")), "mapped files refused: 1 not a regular file"),
		      "%s", slurp(tmpf("rec.err")));
	pr = load(tmpf("bind.pb.gz"));
	main_named = samples_named(&pr, pid, "hostile_main_spin", &total);
	lib_named = samples_named(&pr, pid, "hostile_lib_spin", NULL);
	unload(&pr);
	ck_assert_msg(total >= 30, "only %ld samples", (long)total);
	/* the program's own frames are named; the library's too, through
	 * /proc/PID/map_files, which names the file actually mapped */
	ck_assert_msg(main_named * 5 > total, "hostile_main_spin on %ld of %ld samples",
		      (long)main_named, (long)total);
	ck_assert_msg(lib_named * 5 > total, "hostile_lib_spin on %ld of %ld samples",
		      (long)lib_named, (long)total);
}
END_TEST

int main(void)
{
	char *probe[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			  "/usr/bin/unshare", "-Urm", "/bin/true", NULL };
	Suite *s = suite_create("hostile_files");
	TCase *maps = tcase_create("perf_maps"), *bind = tcase_create("bind_mount");
	SRunner *sr;
	int failed;

	mkdir(getenv("OUT") ? getenv("OUT") : "build", 0755);
	{
		char d[300];

		snprintf(d, sizeof(d), "%s/test-output", getenv("OUT") ? getenv("OUT") : "build");
		mkdir(d, 0755);
	}
	record_util__init("hostile_files");
	if (access(cprof, X_OK)) {
		fprintf(stderr, "%s is not built\n", cprof);
		return 1;
	}
#ifndef __x86_64__
	printf("SKIP: the JIT fixture writes x86-64 code\n");
	return 77;
#endif
	if (!bpf_usable("BPF, chown, mount"))
		return 77;
	tcase_set_timeout(maps, 60);
	tcase_add_test(maps, test_hostile_files__the_jits_own_map_names_its_code);
	tcase_add_test(maps, test_hostile_files__a_fifo_perf_map_neither_hangs_nor_names);
	tcase_add_test(maps, test_hostile_files__a_fifo_perf_map_does_not_hang_a_whole_machine_record);
	tcase_add_test(maps, test_hostile_files__a_perf_map_linked_to_dev_zero_is_not_read);
	tcase_add_test(maps, test_hostile_files__a_perf_map_written_by_nobody_for_root_is_not_used);
	suite_add_tcase(s, maps);
	userns_usable = run(probe, tmpf("userns.err")) == 0;
	if (userns_usable) {
		tcase_set_timeout(bind, 60);
		tcase_add_test(bind, test_hostile_files__a_fifo_over_a_mapped_library_does_not_hang);
		suite_add_tcase(s, bind);
	} else {
		printf("SKIP: bind-mounted FIFO test: an unprivileged user cannot create user "
		       "namespaces here: %s\n", slurp(tmpf("userns.err")));
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
