// SPDX-License-Identifier: MIT
/* sym_jit: a process's perf map, reloaded when its size or mtime changed.
 * Depends on perf_map, proc_file and base/ only.
 */
#include "symbolize/sym_jit.h"

#include <errno.h>
#include <stdio.h>
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

int sym_jit__lookup(struct sym_jit *j, int pid, int nspid, uint64_t addr, const char **ret_name,
		    uint64_t refused[SAFE_FILE_NR_REFUSALS])
{
	if (j->map && sym_perf_map__lookup(j->map, addr, ret_name) == 0)
		return 0;
	refresh(j, pid, nspid, refused);
	if (j->map && sym_perf_map__lookup(j->map, addr, ret_name) == 0)
		return 0;
	return -ENOENT;
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
