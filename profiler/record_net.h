/* SPDX-License-Identifier: MIT */
/* record_net: the --net part of `cprof record` (see record_net.c). Each
 * returns 0, or 1 having reported why on stderr. */
#ifndef CPROF_RECORD_NET_H
#define CPROF_RECORD_NET_H

#include <stdint.h>

#include "base/atomic_file.h"
#include "profiler/net/net.h"
#include "profiler/record.h"

/* Opens --net-output and attaches to the interfaces. */
int record_net__begin(const struct record_opts *o, struct atomic_file *af, struct net **ret);
/* The session component's drain (ctx: the struct net); says a failure. */
void record_net__tick(void *ctx);
/* Takes both slots, writes the profile (t0_real, dur_ns: its span), prints the summary. */
int record_net__end(const struct record_opts *o, struct net *n, struct atomic_file *af,
		    int64_t t0_real, int64_t dur_ns);
/* No CPU target: counts traffic until -d, Ctrl-C or SIGTERM; the exit status. */
int record_net__run_only(const struct record_opts *o);

#endif /* CPROF_RECORD_NET_H */
