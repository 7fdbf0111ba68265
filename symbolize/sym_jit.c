// SPDX-License-Identifier: MIT
/* sym_jit: a process's perf map, reloaded when its size or mtime changed.
 * Depends on perf_map, proc_file, uw_table (the rule type) and base/ only.
 */
#include "symbolize/sym_jit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/sym_proc_file.h"
#include "symbolize/sym_clock.h"

#define JIT_RECHECK_NS 1000000000ull /* stat a perf map at most once a second */

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

/* (Re)load the perf map when it is missing or changed; rate-limited. */
static void refresh(struct sym_jit *j, int pid, int nspid, uint64_t refused[SAFE_FILE_NR_REFUSALS])
{
	struct sym_perf_map *m;
	struct stat st;
	uint64_t now = sym_clock__now_ns();
	int fd, err;

	if (j->checked_ns && now - j->checked_ns < JIT_RECHECK_NS)
		return;
	j->checked_ns = now;
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
	if (safe_file__refusal(err) != SAFE_FILE_NOT_REFUSED && err != j->refused) {
		refused[safe_file__refusal(err)]++;
		j->refused = err;
	}
	/* a map refused now is not kept from before */
	if (safe_file__refusal(err) != SAFE_FILE_NOT_REFUSED) {
		sym_perf_map__free(j->map);
		j->map = NULL;
	}
}

static int find(struct sym_jit *j, int pid, int nspid, uint64_t addr,
		uint64_t refused[SAFE_FILE_NR_REFUSALS], struct sym_perf_map_sym *ret)
{
	if (j->map && sym_perf_map__find(j->map, addr, ret) == 0)
		return 0;
	refresh(j, pid, nspid, refused);
	if (j->map && sym_perf_map__find(j->map, addr, ret) == 0)
		return 0;
	return -ENOENT;
}

int sym_jit__lookup(struct sym_jit *j, int pid, int nspid, uint64_t addr, const char **ret_name,
		    uint64_t refused[SAFE_FILE_NR_REFUSALS])
{
	struct sym_perf_map_sym sym;

	if (find(j, pid, nspid, addr, refused, &sym) < 0)
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

	if (find(j, pid, nspid, addr, refused, &sym) < 0 || strncmp(sym.name, "py::", 4) ||
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
}

void sym_jit__release(struct sym_jit *j)
{
	sym_perf_map__free(j->map);
	j->map = NULL;
}
