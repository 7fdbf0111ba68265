/* SPDX-License-Identifier: MIT */
/* agent_config: the agent's settings, from command-line flags and a config
 * file that use the same names ("--spool-dir DIR" on the command line is
 * "spool-dir = DIR" in the file). Flags win over the file; repeatable
 * options (pid, label) add up, a later label replacing an earlier one of the
 * same name. On SIGHUP the agent builds a fresh config the same way (file,
 * then the original flags) and keeps the old one if the new one is wrong.
 * Secrets are never settings: only the files (or environment variables) that
 * hold them are. */
#ifndef CPROF_AGENT_CONFIG_H
#define CPROF_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AGENT_MAX_PIDS		1024
#define AGENT_MAX_NET_IFACES	64	/* NET_MAX_IFACES */
#define AGENT_MAX_LABELS	20	/* user labels; Pyroscope takes 30 names per series in all */

struct agent_label {
	char *name, *value;
};

/* Every string is owned (malloc'd) and freed by agent_config__release(). */
struct agent_config {
	/* what to sample: nothing set = the whole machine */
	pid_t *pids;
	size_t nr_pids;
	char *cgroup;			/* a cgroup v2 path: "/system.slice/x.service" or under /sys/fs/cgroup */
	char *comm;			/* POSIX ERE on the process name */
	unsigned int freq;		/* Hz; default 19, a prime */
	bool cycles, idle;
	bool profile_self;		/* sample the agent's own process too */
	bool no_python;			/* no CPython frames */
	uint32_t max_stacks;		/* 0 = the sampler's default */
	char *unwind;			/* "auto" (NULL), "dwarf" or "fp" */
	uint32_t stack_size;		/* bytes of user stack copied for auto/dwarf; 0 = default */
	/* off-CPU time: its own profile, __name__ = off_cpu */
	bool off_cpu;
	double off_cpu_min;		/* s; default 0.001 */
	double off_cpu_probability;	/* a block is recorded with it, scaled back; default 1 */
	double interval;		/* s; default 10 */
	/* network counters (profiler/net/net.h): its own profile, __name__ = net */
	char **net_ifaces;		/* --net IFACE, repeatable; none: no network profile */
	size_t nr_net_ifaces;
	bool net_xdp;
	/* attribution */
	char *service_name;		/* rule; default "container,exe" */
	struct agent_label *labels;
	size_t nr_labels;
	/* delivery */
	char *url;
	char *tenant;
	char *tls_ca, *tls_cert, *tls_key;
	bool tls_insecure;
	char *bearer_token_file, *basic_auth_file;
	double upload_timeout;		/* s; default 10 */
	double backoff_min, backoff_max;	/* s; default 0.5 and 30 */
	double shutdown_timeout;	/* s spent delivering at exit; default 5 */
	char *spool_dir;		/* NULL: in memory */
	uint64_t spool_max_bytes;	/* default 256 MiB */
	uint32_t max_samples_per_profile;	/* default 16000 (Pyroscope's limit) */
	/* the agent itself */
	char *metrics_addr;		/* HOST:PORT; NULL: no endpoint */
	char *debuginfod;		/* servers for missing debug info; NULL: DEBUGINFOD_URLS */
	int verbose;			/* 0..3 */
	bool quiet;
	char *config;			/* the config file, re-read on SIGHUP */
};

struct agent_option {
	const char *name;
	int short_name;			/* 0: none */
	const char *arg;		/* metavar; NULL: a flag */
	bool repeatable;
};

/* The option table, ended by a NULL name: the names flags and the file share. */
extern const struct agent_option agent_options[];

/* Defaults. */
void agent_config__init(struct agent_config *c);
/* Frees every string; c can be init'ed again. */
void agent_config__release(struct agent_config *c);

/* Applies one setting: name is an option name (no dashes), value its text
 * ("true" for a flag given without one). 0; -ENOENT for an unknown name;
 * -EINVAL with err[err_len] saying what is wrong with the value; -ENOMEM. */
int agent_config__set(struct agent_config *c, const char *name, const char *value, char *err,
		      size_t err_len);

/* Applies a config file: "name = value" lines, '#' comments, blank lines; a
 * value may be in double quotes. 0, or -errno with err saying where
 * ("FILE:LINE: ..."). "config" itself cannot be set from a file. */
int agent_config__load_file(struct agent_config *c, const char *path, char *err, size_t err_len);

/* Checks what single settings cannot: a URL is given, targets do not
 * conflict, backoff_min <= backoff_max. 0 or -EINVAL with err. */
int agent_config__check(const struct agent_config *c, char *err, size_t err_len);
/* Whether --cgroup names a cgroup that exists now (a directory of the v2
 * hierarchy): a runtime check, apart from agent_config__check(), so that a
 * missing cgroup is a runtime failure (exit 1) and a malformed one a usage
 * error (exit 2). 0 (also without --cgroup) or -ENOENT with err naming the
 * path. */
int agent_config__check_cgroup(const struct agent_config *c, char *err, size_t err_len);

/* The longest secret (bearer token or user:password) cprof sends: a longer
 * one is refused, never cut (a cut token is a wrong token). */
#define AGENT_SECRET_MAX	4095

/* Reads a secret from file (a regular file; one line, the trailing newline
 * dropped) or, when file is NULL, from the environment variable env. *ret
 * is malloc'd (the caller wipes and frees it), NULL when neither is set.
 * 0; -EINVAL with err saying what is wrong (never the secret itself: an
 * unreadable, empty, multi-line or oversized file, control characters);
 * -ENOMEM. */
int agent_config__read_secret(const char *file, const char *env, char **ret, char *err,
			      size_t err_len);

#endif /* CPROF_AGENT_CONFIG_H */
