/* SPDX-License-Identifier: MIT */
/* net_attach: puts cprof's network programs on one interface and takes them
 * off again, apart from counting (net.c), the way bpftool keeps netlink
 * apart from its features.
 * Where the kernel has them (6.6+), the classifiers go on as tcx BPF links
 * placed first (BPF_F_BEFORE), and XDP as an XDP link: a link lives as long
 * as its file descriptor, so a cprof that dies, even by SIGKILL, leaves
 * nothing behind and there is nothing to sweep. Programs return TCX_NEXT
 * (TC_ACT_UNSPEC), so every later program and clsact filter sees every
 * packet.
 * Older kernels get the fallback: clsact filters at priority NET_TC_PRIO with
 * handles NET_TC_HANDLE_BASE | slot << 1 | created-bit, and XDP through
 * netlink. Those outlive their owner, so net_attach__sweep() removes the ones
 * a dead cprof left, but only where it can prove the owner dead: no process
 * holds the program, and this process sees every process of the machine (it
 * runs in the initial PID namespace, with a /proc of it). Otherwise it
 * removes nothing and reports what it left. */
#ifndef CPROF_NET_ATTACH_H
#define CPROF_NET_ATTACH_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	uint32_t l2_len;
	int link_in, link_eg, link_xdp;	/* BPF link fds; -1: none */
	/* the fallback (no tcx) */
	uint32_t tc_handle;	/* NET_TC_HANDLE_BASE | slot << 1 | created */
	bool created;		/* a cprof (this one or one still attached) made the clsact */
	bool tc_in, tc_eg;	/* our filters are attached */
	uint32_t prog_in, prog_eg;	/* their program ids */
	bool xdp_legacy;	/* XDP through netlink, not a link */
	uint32_t xdp_mode;	/* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE when attached */
};

/* Marks nothing attached (link fds -1). Call before anything else. */
void net_iface__init(struct net_iface *nif);

/* Attaches the ingress and egress classifiers: tcx links, or clsact filters
 * where the kernel has no tcx or the environment sets CPROF_NET_LEGACY_TC=1
 * (to test the fallback on a new kernel). 0, or -errno with a reason naming
 * the interface in err. */
int net_iface__attach_tc(struct net_iface *nif, int prog_in_fd, int prog_eg_fd, char *err,
			 size_t err_len);

/* Attaches XDP (native, else generic) unless the interface has an XDP
 * program already. 0, or -errno with a reason in err. */
int net_iface__attach_xdp(struct net_iface *nif, int prog_fd, char *err, size_t err_len);

/* How many of nif's attachments someone else took off since (a link
 * detached, a filter deleted); appends "vnA ingress" and the like to buf
 * (len bytes, always terminated, comma-separated). */
int net_iface__check(const struct net_iface *nif, char *buf, size_t len);

/* Takes off everything attached (only what is still ours), and the clsact
 * qdisc when this cprof created it and it is empty. */
void net_iface__detach(struct net_iface *nif, int xdp_prog_fd);

struct net_sweep {
	size_t removed;		/* dead cprofs' attachments removed */
	size_t kept;		/* found unheld, but the owner could not be proven dead */
};

/* Removes what dead cprofs left with the fallback on every interface of this
 * network namespace (see above). Best effort: a failed read removes nothing. */
void net_attach__sweep(struct net_sweep *ret);

#endif
