// SPDX-License-Identifier: MIT
/* record_net: `cprof record --net`: traffic counters (profiler/net/net.c) beside
 * the CPU samples, as a component of the session, or alone without a CPU
 * target. Opens --net-output first so an unwritable path fails before
 * counting; writes it at the end with a summary line. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/atomic_file.h"
#include "profiler/cli.h"
#include "profiler/core/session.h"
#include "profiler/core/stop_signal.h"
#include "profiler/net/net.h"
#include "profiler/record_net.h"


/* Opens --net-output (so an unwritable path fails before counting) and
 * attaches. 0, or 1 having reported why. */
int record_net__begin(const struct record_opts *o, struct atomic_file *af, struct net **ret)
{
	struct net_opts no = {
		.ifaces = o->net_ifaces, .nr_ifaces = o->nr_net_ifaces, .xdp = o->net_xdp,
		.verbose = o->verbose, .quiet = o->quiet,
	};
	char why[512];
	int err;

	err = atomic_file__open(af, o->net_output);
	if (err) {
		cli__err("cannot write %s: %s", o->net_output, strerror(-err));
		return 1;
	}
	*ret = net__new(&no, why, sizeof(why));
	if (!*ret) {
		if (errno == EPERM || errno == EACCES)
			cli__err("%s: run as root, or give cprof CAP_BPF and "
				"CAP_NET_ADMIN", why);
		else
			cli__err("%s", why);
		atomic_file__abort(af);
		return 1;
	}
	return 0;
}

void record_net__tick(void *ctx)
{
	struct net *n = ctx;
	int64_t d = n ? net__drain(n) : 0;

	if (d < 0)
		cli__err("draining network counters: %s", strerror((int)-d));
}

/* Takes both slots, writes the profile, prints the summary. 0 or 1. */
int record_net__end(const struct record_opts *o, struct net *n, struct atomic_file *af,
		   int64_t t0_real, int64_t dur_ns)
{
	struct net_profile_stats st;
	uint64_t lost_p = 0, lost_b = 0;
	char ifs[400], gone[256];
	int err;

	for (int i = 0; i < 2; i++) {
		int64_t d = net__drain(n);

		if (d < 0) {
			cli__err("draining network counters: %s", strerror((int)-d));
			return 1;
		}
	}
	net_profile__stats(net__profile(n), &st);
	net__lost(n, &lost_p, &lost_b);
	net__describe(n, ifs, sizeof(ifs));
	err = net__write(n, af, t0_real, dur_ns);
	if (err) {
		cli__err("writing %s: %s", o->net_output, strerror(-err));
		return 1;
	}
	if (!o->quiet)
		cli__err("net: %llu packets, %llu bytes on %s over %.1f s; lost: "
			"%llu packets; wrote %s", (unsigned long long)st.packets,
			(unsigned long long)st.bytes, ifs, dur_ns / 1e9,
			(unsigned long long)(lost_p + st.folded_packets),
			strcmp(o->net_output, "-") ? o->net_output : "standard output");
	/* Taken off by another party (bpftool, tc): the counts are incomplete. */
	if (net__check(n, gone, sizeof(gone))) {
		cli__err("--net: detached by someone else during the run: %s; the "
			"packets after that were not counted", gone);
		return 1;
	}
	return 0;
}

/* No CPU target: count traffic until -d, Ctrl-C or SIGTERM. */
int record_net__run_only(const struct record_opts *o)
{
	struct atomic_file af = {0};
	int64_t t0_real, t0, now, last, end;
	struct net *n = NULL;
	int ret = 1;

	stop_signal__install(false);
	if (record_net__begin(o, &af, &n))
		goto out_free;
	t0_real = session__clock_ns(CLOCK_REALTIME);
	t0 = last = now = session__clock_ns(CLOCK_MONOTONIC);
	end = o->duration > 0 ? t0 + (int64_t)(o->duration * 1e9) : INT64_MAX;
	while (!stop_signal__get() && now < end) {
		int64_t wait_ms = (end - now) / 1000000 + 1;

		poll(NULL, 0, wait_ms < SESSION_POLL_MS ? (int)wait_ms : SESSION_POLL_MS);
		now = session__clock_ns(CLOCK_MONOTONIC);
		if (now - last >= SESSION_DRAIN_NS) {
			record_net__tick(n);
			last = now;
		}
	}
	ret = record_net__end(o, n, &af, t0_real, session__clock_ns(CLOCK_MONOTONIC) - t0);
out_free:
	atomic_file__abort(&af);
	net__free(n);
	return ret;
}

