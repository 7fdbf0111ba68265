// SPDX-License-Identifier: MIT
/* debuginfod_report: formatting and the end-of-run wait; the fetching itself
 * lives in symbolize/sym_debuginfod.c. */
#include "profiler/cli.h"
#include "profiler/debuginfod_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_debuginfod.h"

bool debuginfod_report__settle(bool quiet, uint64_t since)
{
	struct sym_debuginfod_stats st;
	const char *t = getenv("DEBUGINFOD_TIMEOUT");
	long secs = t && atol(t) > 0 ? atol(t) : 90;
	unsigned left;

	if (!sym_debuginfod__enabled())
		return false;
	sym_debuginfod__stats(&st);
	if (!st.pending)
		return sym_debuginfod__generation() != since;	/* ended already */
	if (!quiet)
		cli__err("waiting up to %ld s for %llu debuginfod fetch%s", secs + 2,
			(unsigned long long)st.pending, st.pending == 1 ? "" : "es");
	left = sym_debuginfod__wait((int)(secs + 2) * 1000);
	if (left && !quiet)
		cli__err("debuginfod: %u fetch%s still running; their binaries keep "
			"function-start names", left, left == 1 ? "" : "es");
	return sym_debuginfod__generation() != since;
}

void debuginfod_report__format(char *buf, size_t len)
{
	struct sym_debuginfod_stats st;
	int n;

	*buf = 0;
	if (!sym_debuginfod__enabled() || !len)
		return;
	sym_debuginfod__stats(&st);
	n = snprintf(buf, len, "debuginfod: %llu fetched, %llu cached, %llu failed",
		     (unsigned long long)st.fetched, (unsigned long long)st.cached,
		     (unsigned long long)st.failed);
	if (n > 0 && (size_t)n < len && st.pending)
		n += snprintf(buf + n, len - (size_t)n, ", %llu pending",
			      (unsigned long long)st.pending);
	/* the loader's own words when the client library is missing */
	if (n > 0 && (size_t)n < len && st.failed && st.last_error)
		snprintf(buf + n, len - (size_t)n, " (last: %s: %s)", st.last_failed,
			 st.unavailable[0] ? st.unavailable : strerror(-st.last_error));
}
