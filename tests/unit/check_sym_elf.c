// SPDX-License-Identifier: MIT
/* Tests for symbolize/sym_elf and the session around it, end to end: each
 * fixture (tests/fixtures/sym_*, built by tests/sym.mk under $OUT/fixtures)
 * runs as a child that prints its own function addresses and lines; we
 * capture it with sym_session__add_process and check exact names, files,
 * lines, inline frames and build-ids (the latter against `readelf -n`).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>

#include "base/proc.h"
#include "symbolize/sym_session.h"
#include "symbolize/sym_elf.h"
#include "tests/unit/fixture.h"

/* --- fixture children ------------------------------------------------------ */

#define MAX_KV 32

struct child {
	pid_t pid;
	uint64_t start_ticks;
	int to_child;
	char path[PATH_MAX];
	char keys[MAX_KV][64];
	char vals[MAX_KV][128];
	int nkv;
};


/* Read "key value" lines up to "ready". */
static void child_read_until_ready(struct child *c, int fd)
{
	char line[256];
	FILE *f = fdopen(fd, "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "ready") == 0)
			break;
		ck_assert_int_lt(c->nkv, MAX_KV);
		ck_assert_int_eq(sscanf(line, "%63s %127s", c->keys[c->nkv], c->vals[c->nkv]), 2);
		c->nkv++;
	}
	fclose(f);
}

/* Run argv with pipes on stdin and stdout; returns the read end of stdout. */
static int child_spawn(struct child *c, char *const argv[])
{
	int in[2], out[2];

	/* close-on-exec, so a second child does not hold the first one's stdin */
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->to_child = in[1];
	ck_assert_int_eq(proc__start_ticks(c->pid, &c->start_ticks), 0);
	return out[0];
}

static void child_start(struct child *c, const char *fixture)
{
	char *argv[2];

	memset(c, 0, sizeof(*c));
	fixture__path(fixture, c->path, sizeof(c->path));
	argv[0] = c->path;
	argv[1] = NULL;
	child_read_until_ready(c, child_spawn(c, argv));
}

static const char *child_val(const struct child *c, const char *key)
{
	for (int i = 0; i < c->nkv; i++)
		if (strcmp(c->keys[i], key) == 0)
			return c->vals[i];
	ck_abort_msg("fixture did not print %s", key);
	return NULL;
}

static uint64_t child_addr(const struct child *c, const char *key)
{
	return strtoull(child_val(c, key), NULL, 16);
}

static uint32_t child_int(const struct child *c, const char *key)
{
	return (uint32_t)strtoul(child_val(c, key), NULL, 10);
}

/* Close its stdin: the child exits; reap it. */
static void child_stop(struct child *c)
{
	int status;

	close(c->to_child);
	ck_assert_int_eq(waitpid(c->pid, &status, 0), c->pid);
	ck_assert(WIFEXITED(status));
}

static void readelf_build_id(const char *path, char *buf, size_t len)
{
	char cmd[PATH_MAX + 32], line[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Build ID: ");

		if (p && sscanf(p + 10, "%127s", buf) == 1)
			break;
	}
	pclose(f);
	ck_assert_msg(buf[0], "readelf found no build-id in %s", path);
	(void)len;
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

static struct sym_session *new_session(const char *debug_dir)
{
	struct sym_opts opts = { .debug_dir = debug_dir };
	struct sym_session *s = sym_session__new(&opts);

	ck_assert_ptr_nonnull(s);
	return s;
}

static void resolve(struct sym_session *s, const struct child *c, uint64_t addr, bool is_ret,
		    struct sym_result *r)
{
	ck_assert_int_eq(sym_session__resolve_user(s, c->pid, c->start_ticks, addr, is_ret, r), 0);
}

/* The checks every sym_prog.c flavour must pass. */
static void check_prog(struct sym_session *s, const struct child *c, const char *binary)
{
	struct sym_result r;
	char bid[130];

	/* the entry of sym_work: gcc gives the prologue the line of the
	 * opening brace, the line after the declarator */
	resolve(s, c, child_addr(c, "sym_work"), false, &r);
	ck_assert_ptr_nonnull(r.mapping);
	ck_assert_str_eq(r.mapping->path, binary);
	readelf_build_id(binary, bid, sizeof(bid));
	ck_assert_str_eq(r.mapping->build_id, bid);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_work");
	ck_assert_str_eq(r.frames[0].system_name, "sym_work");
	ck_assert_str_eq(base_name(r.frames[0].file), "sym_prog.c");
	ck_assert_msg(r.frames[0].file[0] == '/', "file not absolute: %s", r.frames[0].file);
	ck_assert_uint_eq(r.frames[0].line, child_int(c, "work_decl_line") + 1);
	ck_assert_uint_eq(r.frames[0].start_line, child_int(c, "work_decl_line"));

	/* a return address inside sym_work: the line of the call */
	resolve(s, c, child_addr(c, "work_ret"), true, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_work");
	ck_assert_uint_eq(r.frames[0].line, child_int(c, "work_call_line"));

	/* a static function, some bytes in */
	resolve(s, c, child_addr(c, "helper") + 4, false, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_static_helper");
	ck_assert_uint_eq(r.frames[0].start_line, child_int(c, "helper_decl_line"));
}

static void run_prog(const char *fixture, const char *debug_dir)
{
	struct sym_session *s = new_session(debug_dir);
	struct child c;

	child_start(&c, fixture);
	ck_assert_str_eq(child_val(&c, "variant"), fixture + strlen("sym_"));
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);
	check_prog(s, &c, c.path);
	child_stop(&c);
	sym_session__free(s);
}

/* --- tests ------------------------------------------------------------------- */

START_TEST(test_sym_elf__resolves_pie_offsets)
{
	run_prog("sym_pie", NULL);
}
END_TEST

START_TEST(test_sym_elf__resolves_non_pie_executables)
{
	run_prog("sym_nopie", NULL);
}
END_TEST

START_TEST(test_sym_elf__finds_separate_debug_info_through_gnu_debuglink)
{
	run_prog("sym_dbglink", NULL);
}
END_TEST

START_TEST(test_sym_elf__finds_separate_debug_info_through_the_build_id_directory)
{
	char dir[PATH_MAX];

	fixture__path("debug", dir, sizeof(dir));
	run_prog("sym_bidonly", dir);
}
END_TEST

START_TEST(test_sym_elf__keeps_mapping_and_build_id_and_names_the_function_start_without_symbols)
{
	struct sym_session *s = new_session("/nonexistent-debug-dir");
	struct sym_result r;
	struct sym_stats st;
	struct child c;
	char bid[130];

	child_start(&c, "sym_bidonly");
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);
	resolve(s, &c, child_addr(&c, "sym_work"), false, &r);
	ck_assert_ptr_nonnull(r.mapping);
	ck_assert_str_eq(r.mapping->path, c.path);
	readelf_build_id(c.path, bid, sizeof(bid));
	ck_assert_str_eq(r.mapping->build_id, bid);
	/* no symbol, no DWARF: named after the function start in its unwind
	 * tables, marked as such (issue 13) */
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert(r.frames[0].func_start);
	ck_assert_str_eq(r.frames[0].system_name, "");
	ck_assert_ptr_nonnull(strstr(r.frames[0].name, "sym_bidonly+0x"));
	ck_assert_ptr_null(r.frames[0].file);
	sym_session__stats(s, &st);
	ck_assert_uint_eq(st.unresolved, 0);
	ck_assert_uint_eq(st.resolved, 1);
	ck_assert_uint_eq(st.func_starts, 1);
	child_stop(&c);
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__resolves_shared_libraries_through_file_offsets)
{
	struct sym_session *s = new_session(NULL);
	char lib[PATH_MAX], bid[130];
	struct sym_result r;
	struct child c;

	child_start(&c, "sym_uselib");
	fixture__path("libsym_lib.so", lib, sizeof(lib));
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);

	resolve(s, &c, child_addr(&c, "sym_lib_work") + 1, false, &r);
	ck_assert_ptr_nonnull(r.mapping);
	ck_assert_str_eq(r.mapping->path, lib);
	readelf_build_id(lib, bid, sizeof(bid));
	ck_assert_str_eq(r.mapping->build_id, bid);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_lib_work");
	ck_assert_str_eq(base_name(r.frames[0].file), "sym_lib.c");
	ck_assert_uint_eq(r.frames[0].start_line, child_int(&c, "lib_decl_line"));

	resolve(s, &c, child_addr(&c, "lib_ret"), true, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_lib_work");
	ck_assert_uint_eq(r.frames[0].line, child_int(&c, "lib_call_line"));
	child_stop(&c);
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__demangles_cxx_names_and_keeps_the_mangled_system_name)
{
	struct sym_session *s = new_session(NULL);
	struct sym_result r;
	struct child c;

	child_start(&c, "sym_cxx");
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);
	resolve(s, &c, child_addr(&c, "twice") + 8, false, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].system_name, "_ZN8cprof_fx5inner5twiceIiEET_S2_RKNS0_5PointE");
	ck_assert_str_eq(r.frames[0].name,
			 "int cprof_fx::inner::twice<int>(int, cprof_fx::inner::Point const&)");
	ck_assert_str_eq(base_name(r.frames[0].file), "sym_cxx.cc");
	ck_assert_uint_eq(r.frames[0].start_line, child_int(&c, "twice_decl_line"));
	child_stop(&c);
	sym_session__free(s);
}
END_TEST

/* Names of the fixture's two functions: ver_free under its plain name, and
 * the versioned-only one without its version (start_system_name keeps it). */
static void run_ver(const char *fixture, const char *start_system_name)
{
	struct sym_session *s = new_session(NULL);
	struct sym_result r;
	struct child c;

	child_start(&c, fixture);
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);
	resolve(s, &c, child_addr(&c, "ver_free") + 4, false, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "ver_free");
	ck_assert_str_eq(r.frames[0].system_name, "ver_free");
	resolve(s, &c, child_addr(&c, "ver_start") + 4, false, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "ver_start_main");
	ck_assert_str_eq(r.frames[0].system_name, start_system_name);
	child_stop(&c);
	sym_session__free(s);
}

/* .symtab: ver_free over __ver_libc_free, ver_zfree (weak), __GI_ver_free
 * (local) and ver_cfree@VER_1 (hidden version); the default version over
 * the hidden one, shown without its suffix */
START_TEST(test_sym_elf__prefers_the_plain_global_default_versioned_alias)
{
	run_ver("sym_usever", "ver_start_main@@VER_2");
}
END_TEST

/* .dynsym alone carries no version in the names: ver_free beats ver_cfree
 * and __ver_libc_free, all three global */
START_TEST(test_sym_elf__prefers_the_plain_alias_in_a_stripped_library)
{
	run_ver("verstrip/sym_usever", "ver_start_main");
}
END_TEST

START_TEST(test_sym_elf__returns_inlined_frames_innermost_first_with_the_call_line)
{
	struct sym_session *s = new_session(NULL);
	uint64_t outer;
	int found = 0;
	struct child c;

	child_start(&c, "sym_inline");
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);
	outer = child_addr(&c, "inl_outer");
	for (uint64_t a = outer; a < outer + 256; a++) {
		struct sym_result r;

		resolve(s, &c, a, false, &r);
		if (r.nframes == 0 || strcmp(r.frames[r.nframes - 1].name, "inl_outer") != 0)
			break; /* past the end of inl_outer */
		if (r.nframes == 1)
			continue;
		ck_assert_uint_eq(r.nframes, 2);
		ck_assert_str_eq(r.frames[0].name, "inl_leaf");
		ck_assert_str_eq(base_name(r.frames[0].file), "sym_inline.c");
		ck_assert_uint_gt(r.frames[0].line, child_int(&c, "leaf_decl_line"));
		ck_assert_uint_lt(r.frames[0].line, child_int(&c, "leaf_last_line"));
		ck_assert_uint_eq(r.frames[0].start_line, child_int(&c, "leaf_decl_line"));
		ck_assert_str_eq(r.frames[1].name, "inl_outer");
		ck_assert_str_eq(base_name(r.frames[1].file), "sym_inline.c");
		ck_assert_uint_eq(r.frames[1].line, child_int(&c, "call_line"));
		ck_assert_uint_eq(r.frames[1].start_line, child_int(&c, "outer_decl_line"));
		found++;
	}
	ck_assert_int_gt(found, 0);
	child_stop(&c);
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__resolves_a_process_that_exited_after_capture)
{
	struct sym_session *s = new_session(NULL);
	struct sym_result r;
	struct child c;
	char comm[32];

	child_start(&c, "sym_pie");
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);
	child_stop(&c);
	ck_assert_int_eq(kill(c.pid, 0), -1); /* really gone */

	resolve(s, &c, child_addr(&c, "work_ret"), true, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_work");
	ck_assert_uint_eq(r.frames[0].line, child_int(&c, "work_call_line"));
	ck_assert_int_eq(sym_session__process_name(s, c.pid, c.start_ticks, comm, sizeof(comm)), 0);
	ck_assert_str_eq(comm, "sym_pie");
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__rejects_a_pid_whose_start_time_differs)
{
	struct sym_session *s = new_session(NULL);
	struct sym_result r;
	struct child c;
	char comm[32];

	child_start(&c, "sym_pie");
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks + 1), -ESRCH);
	ck_assert_int_eq(sym_session__process_name(s, c.pid, c.start_ticks + 1, comm, sizeof(comm)), -ENOENT);
	resolve(s, &c, child_addr(&c, "sym_work"), false, &r); /* right key: captured on demand */
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_work");
	child_stop(&c);
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__reopens_binaries_the_lru_evicted)
{
	struct sym_opts opts = { .max_binaries = 1 };
	struct sym_session *s = sym_session__new(&opts);
	struct child a, b;
	struct sym_result r;
	struct sym_stats st;

	ck_assert_ptr_nonnull(s);
	child_start(&a, "sym_pie");
	child_start(&b, "sym_nopie");
	ck_assert_int_eq(sym_session__add_process(s, a.pid, a.start_ticks), 0);
	ck_assert_int_eq(sym_session__add_process(s, b.pid, b.start_ticks), 0);
	sym_session__stats(s, &st);
	ck_assert_uint_eq(st.binaries_cached, 1);
	ck_assert_uint_ge(st.binaries_evicted, 2); /* sym_pie, libc, ... went out */
	ck_assert_uint_eq(st.processes, 2);

	resolve(s, &a, child_addr(&a, "work_ret"), true, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_work");
	ck_assert_uint_eq(r.frames[0].line, child_int(&a, "work_call_line"));
	sym_session__stats(s, &st);
	ck_assert_uint_eq(st.binaries_cached, 1);
	child_stop(&a);
	child_stop(&b);
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__names_jit_code_from_the_perf_map)
{
	struct sym_session *s = new_session(NULL);
	char path[64];
	struct sym_result r;
	struct child c;
	uint64_t code;
	FILE *f;

	child_start(&c, "sym_jit");
	code = child_addr(&c, "code");
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", c.pid);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%" PRIx64 " 40 jit_function_one\n%" PRIx64 " 20 Interpreted: jit two\n", code,
		code + 0x40);
	fclose(f);
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);

	resolve(s, &c, code + 0x10, false, &r);
	ck_assert_ptr_nonnull(r.mapping);
	ck_assert_str_eq(r.mapping->path, "[jit]");
	ck_assert_str_eq(r.mapping->build_id, "");
	ck_assert_uint_eq(r.mapping->start, code);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "jit_function_one");
	ck_assert_ptr_null(r.frames[0].file);

	resolve(s, &c, code + 0x40 + 0x1f, false, &r);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "Interpreted: jit two");

	resolve(s, &c, code + 0x60, false, &r); /* past both symbols */
	ck_assert_ptr_nonnull(r.mapping);
	ck_assert_uint_eq(r.nframes, 0);
	unlink(path);
	child_stop(&c);
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__names_vdso_functions)
{
	struct sym_session *s = new_session(NULL);
	struct sym_result r;
	struct child c;
	uint64_t lo = 0, hi = 0;
	bool named = false;
	char line[512];
	FILE *f;

	child_start(&c, "sym_pie");
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0);
	snprintf(line, sizeof(line), "/proc/%d/maps", c.pid);
	f = fopen(line, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]"))
			ck_assert_int_eq(sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi), 2);
	fclose(f);
	ck_assert_uint_ne(lo, 0);
	for (uint64_t a = lo; a < hi; a += 4) {
		resolve(s, &c, a, false, &r);
		ck_assert_ptr_nonnull(r.mapping);
		ck_assert_str_eq(r.mapping->path, "[vdso]");
		ck_assert_uint_eq(strlen(r.mapping->build_id), 40);
		if (r.nframes && (strcmp(r.frames[0].name, "__vdso_clock_gettime") == 0 ||
				  strcmp(r.frames[0].name, "clock_gettime") == 0))
			named = true;
	}
	ck_assert(named);
	child_stop(&c);
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__recaptures_maps_after_exec)
{
	struct sym_session *s = new_session(NULL);
	char script[PATH_MAX + 32];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct sym_result r;
	struct child c;
	uint64_t ticks;
	int out;

	memset(&c, 0, sizeof(c));
	fixture__path("sym_pie", c.path, sizeof(c.path));
	snprintf(script, sizeof(script), "read x; exec '%s'", c.path);
	out = child_spawn(&c, argv);
	ck_assert_int_eq(sym_session__add_process(s, c.pid, c.start_ticks), 0); /* still the shell */
	ck_assert_int_eq(write(c.to_child, "go\n", 3), 3);
	child_read_until_ready(&c, out);
	ck_assert_int_eq(proc__start_ticks(c.pid, &ticks), 0);
	ck_assert_uint_eq(ticks, c.start_ticks); /* exec keeps the start time */

	ck_assert_int_eq(sym_session__exec(s, c.pid, c.start_ticks), 0);
	resolve(s, &c, child_addr(&c, "work_ret"), true, &r);
	ck_assert_ptr_nonnull(r.mapping);
	ck_assert_str_eq(r.mapping->path, c.path);
	ck_assert_uint_eq(r.nframes, 1);
	ck_assert_str_eq(r.frames[0].name, "sym_work");
	ck_assert_uint_eq(r.frames[0].line, child_int(&c, "work_call_line"));
	child_stop(&c);
	sym_session__flush(s);
	sym_session__free(s);
}
END_TEST

START_TEST(test_sym_elf__translates_file_offsets_through_pt_load)
{
	char path[PATH_MAX];
	struct sym_elf *e;
	struct sym_elf_frame f[SYM_MAX_INLINE];
	uint64_t vaddr;
	FILE *p;
	char cmd[PATH_MAX + 128], line[256];
	unsigned long long off = 0, va = 0;
	int fd;

	/* readelf's first executable PT_LOAD: offset and vaddr */
	fixture__path("sym_nopie", path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "readelf -lW '%s' | awk '$1 == \"LOAD\" && / R E / { print $2, $3; exit }'", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
	pclose(p);
	ck_assert_int_eq(sscanf(line, "%llx %llx", &off, &va), 2);

	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	e = sym_elf__open(path, fd, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(sym_elf__offset_to_vaddr(e, off + 0x10, &vaddr), 0);
	ck_assert_uint_eq(vaddr, va + 0x10);
	ck_assert_int_eq(sym_elf__offset_to_vaddr(e, 1ull << 40, &vaddr), -ENOENT);
	ck_assert_int_eq(sym_elf__resolve(e, 0x10, f, SYM_MAX_INLINE), 0);
	sym_elf__free(e);
}
END_TEST

/* popen(cmd) and read its first line as two hex numbers */
static int read_two_hex(const char *cmd, unsigned long long *a, unsigned long long *b)
{
	char line[256];
	FILE *p = popen(cmd, "r");
	int n = 0;

	if (p && fgets(line, sizeof(line), p))
		n = sscanf(line, "%llx %llx", a, b);
	if (p)
		pclose(p);
	return n;
}

/* libdw reads .debug_line_str with strlen(): a last string that runs to the
 * section's end made it read past its buffer (fuzz_sym_elf). Such a file's
 * DWARF is not used; its symbols still name the function. */
START_TEST(test_sym_elf__refuses_dwarf_whose_string_section_is_not_terminated)
{
	char path[PATH_MAX], copy[] = "/tmp/check_sym_elf_strsec.XXXXXX", cmd[2 * PATH_MAX + 200];
	struct sym_elf_frame f[SYM_MAX_INLINE];
	unsigned long long main_addr = 0, unused = 0, off = 0, size = 0;
	struct sym_elf *e;
	int fd, n;

	fixture__path("sym_nopie", path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "nm '%s' | awk '$3 == \"main\" { print $1, 0 }'", path);
	ck_assert_int_eq(read_two_hex(cmd, &main_addr, &unused), 2);
	/* intact: DWARF gives the file */
	fd = open(path, O_RDONLY);
	e = sym_elf__open(path, fd, NULL);
	ck_assert_ptr_nonnull(e);
	n = sym_elf__resolve(e, main_addr, f, SYM_MAX_INLINE);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_nonnull(f[n - 1].file);
	sym_elf__free(e);

	/* the copy's .debug_line_str ends in 'x' instead of its NUL */
	fd = mkstemp(copy);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cp '%s' %s && readelf -SW %s | "
		 "awk '$2 == \".debug_line_str\" { print $5, $6 }'", path, copy, copy);
	ck_assert_int_eq(read_two_hex(cmd, &off, &size), 2);
	ck_assert_uint_gt(size, 0);
	fd = open(copy, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "x", 1, (off_t)(off + size - 1)), 1);
	close(fd);
	fd = open(copy, O_RDONLY);
	e = sym_elf__open(copy, fd, NULL);
	ck_assert_ptr_nonnull(e);
	n = sym_elf__resolve(e, main_addr, f, SYM_MAX_INLINE);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(f[0].name, "main");
	ck_assert_ptr_null(f[0].file);
	sym_elf__free(e);
	unlink(copy);
}
END_TEST

/* libdwfl checks that a symbol's name starts inside .strtab, not that it
 * ends there: with .strtab's size cut to end inside "main", the old reader
 * ran off the table's end (fuzz_sym_elf: a heap overflow where libelf had
 * read the table into memory). Such a name is dropped; the address is still
 * named by its function start. */
START_TEST(test_sym_elf__drops_a_symbol_name_that_runs_off_its_string_table)
{
	char path[PATH_MAX], copy[] = "/tmp/check_sym_elf_strtab.XXXXXX", cmd[2 * PATH_MAX + 100];
	struct sym_elf_frame f[SYM_MAX_INLINE];
	uint64_t main_addr = 0, main_name = 0, shdr_at = 0;
	Elf_Scn *scn = NULL;
	struct sym_elf *e;
	Elf *elf;
	int fd, n;

	fixture__path("sym_nopie", path, sizeof(path));
	fd = mkstemp(copy);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* no DWARF, whose subprogram names would name main anyway */
	snprintf(cmd, sizeof(cmd), "objcopy --strip-debug '%s' %s", path, copy);
	ck_assert_int_eq(system(cmd), 0);
	/* main's name offset, and where .strtab's section header is */
	elf_version(EV_CURRENT);
	fd = open(copy, O_RDONLY);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_ptr_nonnull(elf);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Ehdr eh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;

			if (gelf_getsym(d, (int)i, &sym) &&
			    !strcmp(elf_strptr(elf, sh.sh_link, sym.st_name), "main")) {
				main_addr = sym.st_value;
				main_name = sym.st_name;
			}
		}
		ck_assert_ptr_nonnull(gelf_getehdr(elf, &eh));
		shdr_at = eh.e_shoff + (uint64_t)sh.sh_link * eh.e_shentsize;
	}
	elf_end(elf);
	close(fd);
	ck_assert_uint_gt(main_addr, 0);
	ck_assert_uint_gt(shdr_at, 0);
	/* sh_size (at byte 32 of an Elf64_Shdr) ends two bytes into "main" */
	fd = open(copy, O_WRONLY);
	{
		uint64_t size = main_name + 2;

		ck_assert_int_eq(pwrite(fd, &size, 8, (off_t)(shdr_at + 32)), 8);
	}
	close(fd);

	fd = open(copy, O_RDONLY);
	e = sym_elf__open(copy, fd, NULL);
	ck_assert_ptr_nonnull(e);
	n = sym_elf__resolve(e, main_addr, f, SYM_MAX_INLINE);
	ck_assert_int_ge(n, 1);
	ck_assert_msg(!f[n - 1].name || strncmp(f[n - 1].name, "ma", 2),
		      "a name that runs off .strtab was used: %s", f[n - 1].name);
	sym_elf__free(e);
	unlink(copy);
}
END_TEST

static Suite *sym_elf_suite(void)
{
	Suite *s = suite_create("sym_elf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sym_elf__resolves_pie_offsets);
	tcase_add_test(tc, test_sym_elf__resolves_non_pie_executables);
	tcase_add_test(tc, test_sym_elf__finds_separate_debug_info_through_gnu_debuglink);
	tcase_add_test(tc, test_sym_elf__finds_separate_debug_info_through_the_build_id_directory);
	tcase_add_test(tc, test_sym_elf__keeps_mapping_and_build_id_and_names_the_function_start_without_symbols);
	tcase_add_test(tc, test_sym_elf__resolves_shared_libraries_through_file_offsets);
	tcase_add_test(tc, test_sym_elf__demangles_cxx_names_and_keeps_the_mangled_system_name);
	tcase_add_test(tc, test_sym_elf__prefers_the_plain_global_default_versioned_alias);
	tcase_add_test(tc, test_sym_elf__prefers_the_plain_alias_in_a_stripped_library);
	tcase_add_test(tc, test_sym_elf__returns_inlined_frames_innermost_first_with_the_call_line);
	tcase_add_test(tc, test_sym_elf__resolves_a_process_that_exited_after_capture);
	tcase_add_test(tc, test_sym_elf__rejects_a_pid_whose_start_time_differs);
	tcase_add_test(tc, test_sym_elf__reopens_binaries_the_lru_evicted);
	tcase_add_test(tc, test_sym_elf__names_jit_code_from_the_perf_map);
	tcase_add_test(tc, test_sym_elf__names_vdso_functions);
	tcase_add_test(tc, test_sym_elf__recaptures_maps_after_exec);
	tcase_add_test(tc, test_sym_elf__translates_file_offsets_through_pt_load);
	tcase_add_test(tc, test_sym_elf__refuses_dwarf_whose_string_section_is_not_terminated);
	tcase_add_test(tc, test_sym_elf__drops_a_symbol_name_that_runs_off_its_string_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sym_elf_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
