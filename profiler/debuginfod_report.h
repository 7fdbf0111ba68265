/* SPDX-License-Identifier: MIT */
/* debuginfod_report: what record and the agent say about debug info fetched
 * by build-id (symbolize/sym_debuginfod.h): the summary line, and record's
 * bounded wait at the end of a run (never while sampling). */
#ifndef CPROF_DEBUGINFOD_REPORT_H
#define CPROF_DEBUGINFOD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At the end of a recording: wait for fetches still queued or running, at
 * most DEBUGINFOD_TIMEOUT (default 90 s) plus 2 s, saying so on stderr
 * unless quiet. True when a fetch ended since sym_debuginfod__generation()
 * returned since (the profile is then worth symbolizing again). */
bool debuginfod_report__settle(bool quiet, uint64_t since);

/* "debuginfod: 1 fetched, 0 cached, 2 failed (last: BUILD-ID: reason)" into
 * buf; "" when fetching is off. */
void debuginfod_report__format(char *buf, size_t len);

#endif
