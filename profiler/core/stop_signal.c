// SPDX-License-Identifier: MIT
/* stop_signal: the flags the handlers set, and nothing else: a handler does
 * no work that is not async-signal-safe. */
#include <signal.h>
#include <stddef.h>

#include "profiler/core/stop_signal.h"

static volatile sig_atomic_t stop_sig, reload_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_sig = 1;
}

void stop_signal__install(bool hup_reloads)
{
	struct sigaction sa_stop = { .sa_handler = on_stop }, sa_hup = { .sa_handler = on_hup };

	sigaction(SIGINT, &sa_stop, NULL);
	sigaction(SIGTERM, &sa_stop, NULL);
	sigaction(SIGHUP, hup_reloads ? &sa_hup : &sa_stop, NULL);
}

int stop_signal__get(void)
{
	return stop_sig;
}

void stop_signal__request(int sig)
{
	stop_sig = sig;
}

bool stop_signal__take_reload(void)
{
	if (!reload_sig)
		return false;
	reload_sig = 0;
	return true;
}
