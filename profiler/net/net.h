/* SPDX-License-Identifier: MIT */
/* net: traffic counters on network interfaces (--net). Loads bpf/net.bpf.c,
 * attaches ingress and egress classifiers (and XDP on ingress with --net-xdp)
 * to each interface of this network namespace (net_attach.h: tcx and XDP
 * links, or clsact filters on kernels before 6.6), drains the
 * double-buffered per-CPU counters losslessly into a net_profile, and writes
 * it as its own pprof.
 * Attachments are cprof's to undo: net__free() removes everything this object
 * attached; what existed before is never touched. net__new() first sweeps
 * the fallback's leftovers of dead cprofs where their death can be proven
 * (net_attach__sweep()). Its programs are named "cprof_net_*". */
#ifndef CPROF_NET_H
#define CPROF_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/atomic_file.h"
#include "profiler/net/net_profile.h"

#define NET_TC_PRIO		1		/* first, so every packet is seen */
#define NET_TC_HANDLE_BASE	0x0c9f0000u	/* "cprof"; low 16 bits: slot << 1 | created */
#define NET_TC_HANDLE_MASK	0xffff0000u
#define NET_TC_SLOTS		16		/* cprof instances sharing one interface */

struct net_opts {
	const char *const *ifaces;	/* names in this network namespace; borrowed for the call */
	size_t nr_ifaces;
	bool xdp;			/* also XDP on ingress: native, else generic */
	bool verbose;			/* libbpf's messages */
	bool quiet;			/* no notice on stderr when stale attachments are removed */
	uint32_t max_entries;		/* entries per counter map; 0 = 8192 */
	uint32_t max_keys;		/* distinct keys per window in userspace; 0 = 65536 */
};

struct net;

/* Loads the programs, sweeps stale cprof attachments, and attaches to every
 * interface. On failure returns NULL with errno set, having undone everything
 * it did, and writes a one-line reason naming the interface and what to do
 * into err (err_len bytes, always terminated). */
struct net *net__new(const struct net_opts *opts, char *err, size_t err_len);

/* Detaches everything net__new() attached (see above) and frees n. Safe on
 * every exit path; NULL is a no-op. */
void net__free(struct net *n);

/* Flips the counter slot, waits until no program can still write the old one,
 * adds its contents to the window's net_profile and clears it. Returns the
 * packets moved or -errno. Call it again at the end: the second drain takes
 * what arrived in the other slot since. */
int64_t net__drain(struct net *n);

/* The window so far. Borrowed: valid until net__free(); net_profile__reset()
 * on it starts the next window (agent mode). */
struct net_profile *net__profile(struct net *n);

/* Packets and bytes the kernel side could not count (counter map full),
 * cumulative. 0 or -errno. */
int net__lost(struct net *n, uint64_t *ret_packets, uint64_t *ret_bytes);

/* How many of the attachments someone else took off during the run (a link
 * detached, a filter deleted: the counts since are missing), naming them
 * ("vnA ingress, vnA egress") in buf (len bytes, always terminated). */
int net__check(const struct net *n, char *buf, size_t len);

/* One line describing what is attached, e.g. "veth0 (tc ingress+egress, xdp
 * native)", for the profile's comments and the summary. Writes at most len
 * bytes, always terminated. */
void net__describe(const struct net *n, char *buf, size_t len);

/* Builds the window's profile, with comments naming the version, interfaces,
 * losses and how sockets were named. low_cardinality as in net_build_opts
 * (agent mode). On success *ret_profile is a new builder the caller frees with
 * pb_profile__free(). The window is kept: net_profile__reset(net__profile(n))
 * starts the next one. 0 or -errno. */
int net__build(struct net *n, int64_t time_nanos, int64_t duration_nanos, bool low_cardinality,
	       struct pb_profile **ret_profile);

/* net__build() (all labels) and commits the profile gzipped to af. Returns 0
 * or -errno; af is released either way. */
int net__write(struct net *n, struct atomic_file *af, int64_t time_nanos,
	       int64_t duration_nanos);

#endif
