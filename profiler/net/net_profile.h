/* SPDX-License-Identifier: MIT */
/* net_profile: network counters of one window, keyed as the kernel counts them
 * (bpf/net.h struct net_key), and the pprof they become: sample types
 * [packets/count, bytes/bytes] on a synthetic stack
 *     net -> IFACE -> DIRECTION -> PROTOCOL -> PORT/PROTO
 * with labels iface, direction, proto, family, port, local_port, remote_port,
 * vlan, cgroup, cgroup_id, pid, comm. Pure userspace: no BPF, no printing.
 * Memory is bounded: past max_keys distinct keys, counts fold into one
 * "[key table full]" entry per interface and direction, and say so in stats. */
#ifndef CPROF_NET_PROFILE_H
#define CPROF_NET_PROFILE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/net.h"
#include "export/pb_profile.h"

struct net_profile_opts {
	uint32_t max_keys;		/* distinct keys per window; 0 = 65536 */
	/* The local ephemeral port range (ip_local_port_range): a port in it is
	 * a client's, so the other end's port names the service. 0, 0 = the
	 * kernel default 32768..60999. */
	uint16_t ephemeral_lo, ephemeral_hi;
	/* Where cgroup v2 is mounted, to name cgroup ids by path; NULL = do not. */
	const char *cgroup_root;
};

struct net_profile_stats {
	uint64_t keys;			/* distinct keys now held */
	uint64_t packets, bytes;	/* totals added since the last reset */
	uint64_t folded_packets, folded_bytes;	/* of those, folded: key table full */
	uint64_t cgroup_lookups, cgroup_evictions;	/* cgroup path cache */
};

struct net_build_opts {
	int64_t time_nanos, duration_nanos;
	const char *const *comments;	/* borrowed for the call */
	size_t nr_comments;
	/* Agent mode: leave out local_port, remote_port and pid, which would give
	 * every connection its own series. */
	bool low_cardinality;
};

struct net_profile;

/* Returns NULL with errno set (ENOMEM). opts is copied; cgroup_root is copied. */
struct net_profile *net_profile__new(const struct net_profile_opts *opts);
/* NULL is a no-op. */
void net_profile__free(struct net_profile *np);

/* Names an interface for the iface label and frame; name is copied. Unnamed
 * interfaces show as "if<index>". 0 or -ENOMEM. */
int net_profile__set_iface(struct net_profile *np, uint32_t ifindex, const char *name);

/* Adds counts to a key (folded into the overflow entry when the table is
 * full). 0 or -ENOMEM. */
int net_profile__add(struct net_profile *np, const struct net_key *k, uint64_t packets,
		     uint64_t bytes);

/* Empties the table and the totals, for the next window. Keeps names and the
 * cgroup path cache. */
void net_profile__reset(struct net_profile *np);

void net_profile__stats(const struct net_profile *np, struct net_profile_stats *ret);

/* Builds the profile of everything added since the last reset. On success
 * *ret_profile is a new builder the caller frees with pb_profile__free().
 * Returns 0, -ENOMEM or -EINVAL. */
int net_profile__build(struct net_profile *np, const struct net_build_opts *opts,
		       struct pb_profile **ret_profile);

/* The port that names the service of a flow: the one outside the ephemeral
 * range when exactly one is, else the lower one. Exposed for tests. */
uint16_t net_profile__service_port(const struct net_profile *np, uint16_t lport,
				   uint16_t rport);

#endif
