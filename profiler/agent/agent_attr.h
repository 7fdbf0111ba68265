/* SPDX-License-Identifier: MIT */
/* agent_attr: which service a process belongs to, for the agent's
 * one-profile-per-service split. Facts come from /proc/PID (executable, comm,
 * cgroup, kernel-thread flag) when a process is first seen, and from the
 * kernel's exec event (each set of cgroups is read twice, then known by
 * the kernel's name for it); the cgroup path tells the container id (docker,
 * containerd, CRI-O, podman), the Kubernetes pod uid and the systemd unit. A rule names the service from those facts,
 * e.g. "container,exe": the short container id when there is one, else the
 * executable's name. Facts are cached per (pid, start time), bounded with LRU
 * eviction; exited processes are dropped once the agent says their samples
 * are shipped. Never prints. */
#ifndef CPROF_AGENT_ATTR_H
#define CPROF_AGENT_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTR_MAX_SOURCES	8
#define ATTR_NAME_LEN		128

enum attr_source {
	ATTR_SRC_CONTAINER,	/* short (12 hex) container id */
	ATTR_SRC_POD,		/* Kubernetes pod uid */
	ATTR_SRC_UNIT,		/* systemd service, without ".service" */
	ATTR_SRC_CGROUP,	/* last component of the cgroup path */
	ATTR_SRC_EXE,		/* executable's file name */
	ATTR_SRC_COMM,		/* process name (comm of the main thread) */
	ATTR_SRC_LITERAL,	/* "=NAME": that name */
};

/* The first source that has a value names the service. */
struct attr_rule {
	enum attr_source src[ATTR_MAX_SOURCES];
	size_t n;
	char literal[64];
};

/* Parses "container,exe", "unit,exe", "=myapp"... 0 or -EINVAL with *ret_why. */
int attr_rule__parse(const char *s, struct attr_rule *ret, const char **ret_why);

/* What /proc says about a process. Empty strings when unknown. */
struct proc_facts {
	char exe[64];
	char comm[16];
	char cgroup[256];	/* the cgroup v2 path (or v1 name=systemd's) */
	char container_id[65];	/* 64 hex digits */
	char pod_uid[37];
	char unit[64];
	bool kthread;
};

/* From a cgroup path, fills container_id, pod_uid and unit (cleared first).
 * Pure: for tests. */
void proc_facts__parse_cgroup(const char *path, struct proc_facts *f);
/* Reads /proc/PID. 0; -ESRCH when the process is gone or the pid was reused
 * (start time differs). */
int proc_facts__read(int pid, uint64_t start_ticks, struct proc_facts *ret);

/* The service name by rule r ("kernel" for kernel threads unless the rule is
 * a literal; the comm, then "unknown", when no source has a value). */
void attr_rule__service(const struct attr_rule *r, const struct proc_facts *f, char *buf,
			size_t len);

struct attr_info {
	char service[ATTR_NAME_LEN];
	struct proc_facts facts;
	bool selected;		/* passes the --cgroup and --comm filters */
	bool from_proc;		/* false: the process was gone, facts from a sample */
	bool exited;
};

struct attr_stats {
	uint64_t entries, evictions, captures, forgotten;
	uint64_t fallbacks;	/* processes gone before /proc could be read */
	uint64_t memo_replaced;	/* comm -> executable memo entries replaced */
	uint64_t cgroup_hits;	/* execs whose cgroup was known by their set (no read) */
};

struct attr_cache;

/* cgroup (a path prefix) and comm (POSIX ERE on comm) filter processes; NULL:
 * no filter. max_entries 0 = 32768. Strings are copied. NULL and errno
 * (EINVAL: a bad regex). */
struct attr_cache *attr_cache__new(size_t max_entries, const struct attr_rule *rule,
				   const char *cgroup, const char *comm);
void attr_cache__free(struct attr_cache *c);	/* NULL: no-op */

/* A reloaded configuration: recomputes every cached service and filter result. */
int attr_cache__reconfigure(struct attr_cache *c, const struct attr_rule *rule,
			    const char *cgroup, const char *comm);

/* Reads the process's facts now (first sight; force: again after an exec).
 * 0 or -ESRCH (gone: a later get falls back on the sample's thread name). */
int attr_cache__capture(struct attr_cache *c, int pid, uint64_t start_ticks, bool force);

/* An exec, with what the kernel told of it as it happened: comm (16 bytes
 * at most read), the executable file's name (64 at most; "memfd:..." is
 * none) and the set of cgroups it is in (cprof_event.cgroups; 0: unknown).
 * Reads /proc/PID/cgroup unless that set's path is known; no other read. An
 * empty comm: as capture(force). 0, or -ENOMEM. */
int attr_cache__exec(struct attr_cache *c, int pid, uint64_t start_ticks, const char *comm,
		     const char *exe, uint64_t cgroups);

/* The process's attribution: cached, captured now, or (the process is gone)
 * built from sample_comm and the executable last seen with that comm. pid 0 is the idle task ("idle"). The pointer is
 * borrowed, valid until the next call on c. NULL only on ENOMEM. */
const struct attr_info *attr_cache__get(struct attr_cache *c, int pid, uint64_t start_ticks,
					const char *sample_comm);

/* The process exited: forget it at the next attr_cache__forget_exited(). */
void attr_cache__exited(struct attr_cache *c, int pid, uint64_t start_ticks);

/* Drops the processes marked exited, and (check_alive) those /proc no longer
 * shows, calling forget(ctx, pid, start_ticks) for each. Returns how many. */
size_t attr_cache__forget_exited(struct attr_cache *c, bool check_alive,
				 void (*forget)(void *ctx, int pid, uint64_t start_ticks),
				 void *ctx);

void attr_cache__stats(const struct attr_cache *c, struct attr_stats *ret);

#endif /* CPROF_AGENT_ATTR_H */
