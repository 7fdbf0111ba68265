// SPDX-License-Identifier: MIT
/* sym_debuginfod: a fixed table of build-ids with their state (queued,
 * running, done, failed), a FIFO of queued entries, and one worker thread
 * that owns the debuginfod client and fetches them in order. Callers only
 * take the mutex to look an entry up or queue it; the worker holds it only
 * between fetches. "Cached" means the file was already in the client's cache
 * directory when its turn came (the client then answers without a server).
 * The client library is dlopen()ed by the worker, so a run that never queues
 * a fetch never maps it: linked, libdebuginfod and libcurl-gnutls behind it
 * were mapped, relocated and initialised in every run. The header is still
 * included, for the types and the prototypes the pointers are declared from.
 * Depends on libdebuginfod (loaded at run time), libdl and pthreads only (no
 * other symbolize/ module); never prints.
 */
#define _GNU_SOURCE
#include "symbolize/sym_debuginfod.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum state { QUEUED, RUNNING, DONE, FAILED };

struct entry {
	char build_id[2 * 64 + 1];
	enum state state;
	int err;
	char *path;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;	/* queue grew, or a fetch ended */
	struct entry *e;	/* SYM_DEBUGINFOD_MAX entries */
	size_t n;
	size_t queue[SYM_DEBUGINFOD_MAX], q_head, q_len;
	bool started;
	uint64_t generation;
	struct sym_debuginfod_stats st;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };

bool sym_debuginfod__enabled(void)
{
	const char *urls = getenv(DEBUGINFOD_URLS_ENV_VAR);

	return urls && *urls;
}

/* The client's entry points, resolved once by the worker. */
struct client_fns {
	__typeof__(debuginfod_begin) *begin;
	__typeof__(debuginfod_find_debuginfo) *find_debuginfo;
};

/* Load elfutils' client and start a session with it: 0 and *ret_client;
 * -ELIBACC with the loader's reason in why when the library or one of its
 * functions is missing; -ENOMEM when the client does not start. The library
 * stays loaded for the life of the process (the worker never ends). */
static int client_open(struct client_fns *fns, debuginfod_client **ret_client, char *why,
		       size_t len)
{
	const char *so = "libdebuginfod.so.1";	/* the soname -ldebuginfod records */
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	debuginfod_client *client;

	if (!h) {
		snprintf(why, len, "%s", dlerror());
		return -ELIBACC;
	}
	fns->begin = (__typeof__(fns->begin))dlsym(h, "debuginfod_begin");
	fns->find_debuginfo = (__typeof__(fns->find_debuginfo))dlsym(h, "debuginfod_find_debuginfo");
	if (!fns->begin || !fns->find_debuginfo) {
		snprintf(why, len, "%s", dlerror());	/* names the file and the symbol */
		dlclose(h);
		return -ELIBACC;
	}
	client = fns->begin();
	if (!client)
		return -ENOMEM;
	*ret_client = client;
	return 0;
}

/* Where the client keeps build_id's debug file (its documented layout). */
static bool in_cache(const char *build_id)
{
	const char *dir = getenv(DEBUGINFOD_CACHE_PATH_ENV_VAR), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char path[4096];
	struct stat st;
	int n;

	if (dir && *dir)
		n = snprintf(path, sizeof(path), "%s/%s/debuginfo", dir, build_id);
	else if (xdg && *xdg)
		n = snprintf(path, sizeof(path), "%s/debuginfod_client/%s/debuginfo", xdg, build_id);
	else if (home && *home)
		n = snprintf(path, sizeof(path), "%s/.cache/debuginfod_client/%s/debuginfo", home,
			     build_id);
	else
		return false;
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       st.st_size > 0;
}

static void *worker(void *arg)
{
	char why[sizeof(g.st.unavailable)] = "";
	struct client_fns fns = { NULL };
	debuginfod_client *client = NULL;
	/* on failure every fetch fails with this error, counted as any other */
	int client_err = client_open(&fns, &client, why, sizeof(why));

	(void)arg;
	pthread_mutex_lock(&g.lock);
	memcpy(g.st.unavailable, why, sizeof(why));
	for (;;) {
		struct entry *e;
		char id[sizeof(e->build_id)], *path = NULL;
		bool cached;
		int fd;

		while (!g.q_len)
			pthread_cond_wait(&g.changed, &g.lock);
		e = &g.e[g.queue[g.q_head]];
		g.q_head = (g.q_head + 1) % SYM_DEBUGINFOD_MAX;
		g.q_len--;
		e->state = RUNNING;
		memcpy(id, e->build_id, sizeof(id));
		pthread_mutex_unlock(&g.lock);

		cached = in_cache(id);
		fd = client ? fns.find_debuginfo(client, (const unsigned char *)id, 0, &path)
			    : client_err;
		if (fd >= 0)
			close(fd);	/* the symbolizer opens the path itself, checked */

		pthread_mutex_lock(&g.lock);
		g.st.pending--;
		if (fd >= 0 && path) {
			e->state = DONE;
			e->path = path;
			if (cached)
				g.st.cached++;
			else
				g.st.fetched++;
		} else {
			free(path);
			e->state = FAILED;
			e->err = fd < 0 ? fd : -ENOENT;
			g.st.failed++;
			g.st.last_error = e->err;
			memcpy(g.st.last_failed, id, sizeof(id));
		}
		g.generation++;
		pthread_cond_broadcast(&g.changed);
	}
	return NULL;
}

static int start_locked(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (g.started)
		return 0;
	g.e = calloc(SYM_DEBUGINFOD_MAX, sizeof(*g.e));
	if (!g.e)
		return -ENOMEM;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = -pthread_create(&t, &attr, worker, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		free(g.e);
		g.e = NULL;
		return err;
	}
	pthread_setname_np(t, "cprof-debuginfod");
	g.started = true;
	return 0;
}

int sym_debuginfod__lookup(const char *build_id, char *path, size_t len)
{
	struct entry *e = NULL;
	int err;

	if (!sym_debuginfod__enabled())
		return -ENOSYS;
	if (!build_id || !*build_id || strlen(build_id) >= sizeof(e->build_id))
		return -EINVAL;
	pthread_mutex_lock(&g.lock);
	err = start_locked();
	if (err)
		goto out;
	for (size_t i = 0; i < g.n; i++)
		if (strcmp(g.e[i].build_id, build_id) == 0) {
			e = &g.e[i];
			break;
		}
	if (!e) {
		if (g.n == SYM_DEBUGINFOD_MAX) {
			g.st.failed++;	/* refused: counted once per lookup past the bound */
			err = -ENOSPC;
			goto out;
		}
		e = &g.e[g.n++];
		strcpy(e->build_id, build_id);
		e->state = QUEUED;
		g.queue[(g.q_head + g.q_len) % SYM_DEBUGINFOD_MAX] = (size_t)(e - g.e);
		g.q_len++;
		g.st.pending++;
		pthread_cond_broadcast(&g.changed);
	}
	switch (e->state) {
	case QUEUED:
	case RUNNING:
		err = -EINPROGRESS;
		break;
	case FAILED:
		err = e->err;
		break;
	case DONE:
		err = strlen(e->path) < len ? (strcpy(path, e->path), 0) : -ENOSPC;
		break;
	}
out:
	pthread_mutex_unlock(&g.lock);
	return err;
}

uint64_t sym_debuginfod__generation(void)
{
	uint64_t gen;

	pthread_mutex_lock(&g.lock);
	gen = g.generation;
	pthread_mutex_unlock(&g.lock);
	return gen;
}

unsigned sym_debuginfod__wait(int timeout_ms)
{
	struct timespec until;
	unsigned left;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&g.lock);
	while (g.st.pending && pthread_cond_timedwait(&g.changed, &g.lock, &until) == 0)
		;
	left = (unsigned)g.st.pending;
	pthread_mutex_unlock(&g.lock);
	return left;
}

void sym_debuginfod__stats(struct sym_debuginfod_stats *ret)
{
	pthread_mutex_lock(&g.lock);
	*ret = g.st;
	pthread_mutex_unlock(&g.lock);
}
