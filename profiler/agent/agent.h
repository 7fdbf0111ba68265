/* SPDX-License-Identifier: MIT */
/* agent: `cprof agent`, the continuous sibling of record. Samples the whole
 * machine (or --pid / --cgroup / --comm) until stopped; every --interval it
 * drains the window losslessly, splits the samples by service, builds one
 * pprof delta per service (time_nanos = window start, duration_nanos = window
 * length) and spools it; the upload thread ships the spool to the backend.
 * SIGTERM/SIGINT: the current window is flushed to the backend or the spool,
 * then the agent exits; SIGHUP: the config file is read again. */
#ifndef CPROF_AGENT_H
#define CPROF_AGENT_H

#include <stddef.h>

#include "profiler/agent/agent_config.h"

/* The settings given on the command line, in order, re-applied over the
 * config file on every reload. Borrowed for the whole run. */
struct agent_args {
	const char *const *names, *const *values;
	size_t n;
};

/* Runs the agent with cfg (checked by agent_config__check), taking it over:
 * it is released before returning. Returns the exit status: 0 after a signal
 * or when every --pid target exited, 1 on a runtime failure (reported on
 * stderr). */
int agent__run(struct agent_config *cfg, const struct agent_args *args);

#endif /* CPROF_AGENT_H */
