// SPDX-License-Identifier: MIT
/* sym_jit: a process's perf map, reloaded when its size or mtime changed,
 * and its jitdump, read on as it grows. Depends on perf_map, jitdump,
 * proc_file, uw_table (the rule type) and base/ only.
 */
#include "symbolize/sym_jit.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "symbolize/sym_jitdump.h"
#include "symbolize/sym_proc_file.h"

#define JIT_RECHECK_NS 1000000000ull /* stat a perf map at most once a second */
#define JIT_DUMP_CHUNK (1u << 20)     /* bytes of jitdump per read */
#define JIT_DUMP_READ (64ull << 20)    /* bytes of jitdump per look */

static void perf_map_path(int pid, int nspid, bool in_root, char *buf, size_t len)
{
	if (in_root)
		snprintf(buf, len, "/proc/%d/root/tmp/perf-%d.map", pid, nspid);
	else
		snprintf(buf, len, "/tmp/perf-%d.map", pid);
}

bool sym_jit__exists(int pid, int nspid)
{
	char path[96];

	perf_map_path(pid, nspid, true, path, sizeof(path));
	if (access(path, R_OK) == 0)
		return true;
	perf_map_path(pid, nspid, false, path, sizeof(path));
	return access(path, R_OK) == 0;
}

/* Count a refusal in refused[] once per reason in a row (*last keeps the
 * reason); true when err is a refusal. */
static bool note_refusal(int err, int *last, uint64_t refused[SAFE_FILE_NR_REFUSALS])
{
	enum safe_file_refusal r = safe_file__refusal(err);

	if (r == SAFE_FILE_NOT_REFUSED)
		return false;
	if (err != *last) {
		refused[r]++;
		*last = err;
	}
	return true;
}

/* (Re)load the perf map when it is missing or changed. */
static void refresh_perf_map(struct sym_jit *j, int pid, int nspid,
			     uint64_t refused[SAFE_FILE_NR_REFUSALS])
{
	struct sym_perf_map *m;
	struct stat st;
	int fd, err;

	fd = sym_proc_file__open_perf_map(pid, nspid, &st);
	if (fd < 0) {
		err = fd;
		goto out_refused;
	}
	if (j->map && st.st_size == j->size && st.st_mtim.tv_sec == j->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == j->mtime.tv_nsec) {
		close(fd);
		return;
	}
	m = sym_perf_map__read_fd(fd);
	err = m ? 0 : -errno;
	close(fd);
	if (!m)
		goto out_refused;
	sym_perf_map__free(j->map);
	j->map = m;
	j->size = st.st_size;
	j->mtime = st.st_mtim;
	j->refused = 0;
	return;

out_refused:
	/* a map refused now is not kept from before */
	if (note_refusal(err, &j->refused, refused)) {
		sym_perf_map__free(j->map);
		j->map = NULL;
	}
}

/* The jitdump pid maps now, as it sees the path: the process table learns
 * it from a capture, but a JIT may map it after its process was captured
 * (CPython 3.13's -X perf_jit does), with no new address to trigger another. */
static char *dump_in_maps(int pid)
{
	char path[32], line[4200], *found = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char perms[8];
		int at = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%*x-%*x %7s %*x %*x:%*x %*u %n", perms, &at) != 1 || !at ||
		    perms[2] != 'x' || line[at] != '/' || !sym_jit__is_dump_path(line + at))
			continue;
		found = strdup(line + at);
	}
	fclose(f);
	return found;
}

/* Read the jitdump on from where the last read stopped: the file only grows
 * (a new file, or one rewritten shorter, is read from its start). At most
 * JIT_DUMP_READ bytes a time, so a huge file is taken in over several looks. */
static void refresh_dump(struct sym_jit *j, int pid, uint64_t refused[SAFE_FILE_NR_REFUSALS])
{
	uint64_t pos, read_total = 0;
	uint8_t *buf = NULL;
	struct stat st;
	int fd;

	if (!j->dump_path)
		j->dump_path = dump_in_maps(pid);
	if (!j->dump_path)
		return;
	fd = sym_proc_file__open_jitdump(pid, j->dump_path, &st);
	if (fd < 0) {
		if (note_refusal(fd, &j->dump_refused, refused)) {
			sym_jitdump__free(j->dump);
			j->dump = NULL;
		}
		return;
	}
	j->dump_refused = 0;
	if (j->dump && (st.st_dev != j->dump_dev || st.st_ino != j->dump_ino ||
			(uint64_t)st.st_size + JIT_DUMP_CHUNK < sym_jitdump__pos(j->dump))) {
		sym_jitdump__free(j->dump);
		j->dump = NULL;
	}
	if (!j->dump) {
		j->dump = sym_jitdump__new();
		j->dump_dev = st.st_dev;
		j->dump_ino = st.st_ino;
	}
	if (j->dump)
		buf = malloc(JIT_DUMP_CHUNK);
	while (buf && (pos = sym_jitdump__pos(j->dump)) < (uint64_t)st.st_size &&
	       read_total < JIT_DUMP_READ && !sym_jitdump__broken(j->dump)) {
		ssize_t n = pread(fd, buf, JIT_DUMP_CHUNK, (off_t)pos);
		int64_t next;

		if (n <= 0)
			break;
		read_total += (uint64_t)n;
		next = sym_jitdump__feed(j->dump, buf, (size_t)n);
		if (next < 0 || (uint64_t)next == pos)
			break;	/* out of memory, or a record not written whole yet */
	}
	free(buf);
	close(fd);
}

/* Look at the files again when addr is not named; rate-limited by
 * *checked, the last look of this kind of lookup. */
static void refresh(struct sym_jit *j, int pid, int nspid, uint64_t refused[SAFE_FILE_NR_REFUSALS],
		    uint64_t *checked)
{
	uint64_t now = clock__mono_ns();

	if (*checked && now - *checked < JIT_RECHECK_NS)
		return;
	*checked = now;
	refresh_perf_map(j, pid, nspid, refused);
	refresh_dump(j, pid, refused);
}

static bool find_loaded(const struct sym_jit *j, uint64_t addr, struct sym_perf_map_sym *ret)
{
	return (j->map && sym_perf_map__find(j->map, addr, ret) == 0) ||
	       (j->dump && sym_perf_map__find(sym_jitdump__map(j->dump), addr, ret) == 0);
}

bool sym_jit__is_dump_path(const char *path)
{
	const char *base = strrchr(path, '/');
	unsigned int pid;
	int end = 0;

	base = base ? base + 1 : path;
	return sscanf(base, "jit-%u.dump%n", &pid, &end) == 1 && end && !base[end];
}

int sym_jit__set_dump(struct sym_jit *j, const char *path)
{
	char *copy = NULL;

	if ((!path && !j->dump_path) || (path && j->dump_path && !strcmp(path, j->dump_path)))
		return 0;
	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	free(j->dump_path);
	j->dump_path = copy;
	sym_jitdump__free(j->dump);
	j->dump = NULL;
	j->checked_ns = 0;
	j->rule_checked_ns = 0;
	return 0;
}

static int find(struct sym_jit *j, int pid, int nspid, uint64_t addr,
		uint64_t refused[SAFE_FILE_NR_REFUSALS], uint64_t *checked,
		struct sym_perf_map_sym *ret)
{
	if (find_loaded(j, addr, ret))
		return 0;
	refresh(j, pid, nspid, refused, checked);
	return find_loaded(j, addr, ret) ? 0 : -ENOENT;
}

int sym_jit__lookup(struct sym_jit *j, int pid, int nspid, uint64_t addr, const char **ret_name,
		    uint64_t refused[SAFE_FILE_NR_REFUSALS])
{
	struct sym_perf_map_sym sym;

	if (find(j, pid, nspid, addr, refused, &j->checked_ns, &sym) < 0)
		return -ENOENT;
	*ret_name = sym.name;
	return 0;
}

int sym_jit__unwind_rule(struct sym_jit *j, int pid, int nspid, uint64_t addr,
			 uint64_t refused[SAFE_FILE_NR_REFUSALS], uint64_t *ret_start,
			 uint64_t *ret_limit, struct uw_rule *ret_rule)
{
	struct sym_perf_map_sym sym;
	uint64_t off;

	/* its own clock: unwinding looks up every stack's JIT frames while the
	 * process runs, and must not hold back the look for names after it
	 * exited (a JVM writes its perf map at exit) */
	if (find(j, pid, nspid, addr, refused, &j->rule_checked_ns, &sym) < 0 ||
	    strncmp(sym.name, "py::", 4) ||
	    sym.size != SYM_JIT_PY_TRAMPOLINE_SIZE)
		return -ENOENT;
	/* between sub $8,%rsp and add $8,%rsp (the call and its return site)
	 * the return address sits 16 bytes up; before and after, 8 */
	off = addr - sym.start;
	if (off >= 4 && off < 10) {
		*ret_start = sym.start + 4;
		*ret_limit = sym.start + 10;
		*ret_rule = (struct uw_rule){ .cfa = UW_CFA_RSP, .cfa_off = 16, .rbp = UW_RBP_SAME };
	} else {
		*ret_start = off < 4 ? sym.start : sym.start + 10;
		*ret_limit = off < 4 ? sym.start + 4 : sym.start + sym.size;
		*ret_rule = (struct uw_rule){ .cfa = UW_CFA_RSP, .cfa_off = 8, .rbp = UW_RBP_SAME };
	}
	return 0;
}

void sym_jit__reset(struct sym_jit *j)
{
	sym_perf_map__free(j->map);
	j->map = NULL;
	j->checked_ns = 0;
	j->rule_checked_ns = 0;
}

void sym_jit__release(struct sym_jit *j)
{
	sym_perf_map__free(j->map);
	j->map = NULL;
	sym_jitdump__free(j->dump);
	j->dump = NULL;
	free(j->dump_path);
	j->dump_path = NULL;
}
