/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ABI between bpf/net.bpf.c (TC and XDP traffic counters) and
 * profiler/net/net.c: plain fixed-width types, no pointers, no bool, explicit
 * padding, so clang (BPF) and gcc lay every struct out the same way. Keys are
 * hashed as raw bytes: every byte, padding included, is written by the kernel
 * side. Nothing here may depend on either side's headers beyond __u8..__u64. */
#ifndef CPROF_BPF_NET_H
#define CPROF_BPF_NET_H

#define NET_COMM_LEN		16
#define NET_VLAN_TAGGED		0x8000	/* net_key.vlan: a tag was present; low 12 bits = VID */
#define NET_MAX_IFACES		64	/* entries of the per-interface config map */
#define NET_IPV6_MAX_EXT	6	/* IPv6 extension headers walked before giving up */

/* Where the packet was seen. */
enum net_dir {
	NET_DIR_INGRESS = 0,	/* TC clsact ingress */
	NET_DIR_EGRESS = 1,	/* TC clsact egress */
	NET_DIR_XDP = 2,	/* XDP, ingress, before the stack (and before GRO) */
	NET_NR_DIRS,
};

/* How far the parser got. Anything but OK/FRAGMENT is "malformed": the key then
 * names the header that was cut short or invalid (ethertype, proto) and carries
 * no ports. */
enum net_status {
	NET_ST_OK = 0,
	NET_ST_FRAGMENT,	/* a non-first IP fragment: L4 protocol known, no ports */
	NET_ST_TRUNC_L2,	/* frame shorter than its Ethernet or VLAN header */
	NET_ST_TRUNC_L3,	/* IP header (or IPv6 extension header) cut short, or
				 * the frame is shorter than the IP length field says */
	NET_ST_BAD_L3,		/* IP version, IHL or total length invalid */
	NET_ST_TRUNC_L4,	/* TCP/UDP/ICMP/SCTP header cut short */
	NET_ST_BAD_L4,		/* TCP data offset < 5 */
	NET_ST_EXT_LIMIT,	/* more than NET_IPV6_MAX_EXT IPv6 extension headers */
	NET_NR_STATUS,
};

/* Key of the per-CPU counter maps. Ports are host order; local/remote are
 * from this host's point of view (egress: local = source; ingress and XDP:
 * local = destination). ICMP and ICMPv6 store type in lport, code in rport. */
struct net_key {
	__u64 cgroup_id;	/* cgroup v2 id of the socket; 0 = unknown */
	__u32 ifindex;
	__u32 tgid;		/* process that last sent or received on the socket; 0 = unknown */
	__u16 ethertype;	/* host order, after at most one VLAN tag */
	__u16 vlan;		/* NET_VLAN_TAGGED | VID, 0 = untagged */
	__u16 lport;
	__u16 rport;
	__u8 dir;		/* enum net_dir */
	__u8 proto;		/* IP protocol (IPPROTO_*); 0 for non-IP */
	__u8 status;		/* enum net_status */
	__u8 pad0;
	__u32 pad1;
	char comm[NET_COMM_LEN];	/* that process's name; "" = unknown */
};

/* Value of the per-CPU counter maps. packets counts wire frames: a GSO or GRO
 * super-packet counts as its segments, and bytes as the segments' frames
 * (L2 header included, FCS excluded, a VLAN tag held in metadata included). */
struct net_value {
	__u64 packets;
	__u64 bytes;
};

/* Per-CPU counters, indices of the `nstats` array map. Cumulative. */
enum net_stat {
	NET_STAT_FULL_PKTS = 0,	/* packets not counted: counter map full */
	NET_STAT_FULL_BYTES,	/* their bytes */
	NET_NR_STATS,
};

/* Value of the `nifcfg` hash (key: ifindex): how to find the L3 header. */
struct net_ifcfg {
	__u32 l2_len;		/* 14 on Ethernet-like links; 0 on raw IP links (tun, wireguard) */
	__u32 pad;
};

/* Socket local storage (`nowner`): who last used the socket, and the
 * socket's own cgroup (set when it was created). */
struct net_owner {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 pad;
	char comm[NET_COMM_LEN];
};

#endif
