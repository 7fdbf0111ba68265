/* SPDX-License-Identifier: MIT */
/* stop_signal: how a session is asked to stop. SIGINT and SIGTERM (and
 * SIGHUP where it means stop) only set a flag the loop reads; SIGHUP may
 * instead ask for a reload. Installed before anything is created, so a stop
 * during start-up ends the run cleanly. Process-wide, like signals. */
#ifndef CPROF_STOP_SIGNAL_H
#define CPROF_STOP_SIGNAL_H

#include <stdbool.h>

/* hup_reloads: SIGHUP sets the reload flag (agent) instead of stopping (record). */
void stop_signal__install(bool hup_reloads);
/* The signal that asked to stop, or 0. */
int stop_signal__get(void);
/* Asks the loop to stop as if sig had come (e.g. out of memory). */
void stop_signal__request(int sig);
/* true once per SIGHUP received since the last call (hup_reloads only). */
bool stop_signal__take_reload(void);

#endif /* CPROF_STOP_SIGNAL_H */
