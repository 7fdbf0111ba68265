// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cprof's traffic counters: TC ingress/egress classifiers (tcx links, or
 * clsact filters on kernels before 6.6; profiler/net/net_attach.c) and an XDP
 * program that parse each packet (Ethernet, one VLAN tag, IPv4/IPv6 with
 * extension headers, TCP/UDP/SCTP/ICMP) and add {packets, bytes} to per-CPU
 * hashes keyed by interface, direction, protocol, ports and owning socket.
 * Invariants: traffic is never changed or dropped (TC_ACT_UNSPEC, which is
 * tcx's TCX_NEXT, lets the next program or filter and then the stack decide,
 * XDP_PASS); every read is bounds-checked by a load helper, so a short or
 * bogus header is counted as malformed, never misparsed. Counter maps are double-buffered exactly like bpf/sample.bpf.c:
 * `slot` is read once per packet and userspace drains the idle one. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "bpf/net.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* "No verdict": cls_bpf goes on with the next filter, and when none decides,
 * the packet passes. TC_ACT_OK would end classification here and hide the
 * packet from every lower-priority filter on the same hook. */
#define TC_ACT_UNSPEC	(-1)

#define ETH_HLEN	14
#define VLAN_HLEN	4
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define AF_INET		2
#define AF_INET6	10
#define TCP_SYN_SENT_	2
#define TCP_LISTEN_	10

#define IPPROTO_ICMPV6_	58	/* a macro in the uapi headers, so not in vmlinux.h */
#define NEXTHDR_HOP	0
#define NEXTHDR_ROUTING	43
#define NEXTHDR_FRAG	44
#define NEXTHDR_AUTH	51
#define NEXTHDR_DEST	60

/* Set by userspace before load. */
const volatile __u8 any_raw_ip = 0;	/* some interface has no L2 header: consult nifcfg */

/* Written by userspace between windows; read once per packet. */
volatile __u32 slot = 0;

#define COUNT_MAP(name)						\
	struct {						\
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);		\
		__type(key, struct net_key);			\
		__type(value, struct net_value);		\
		__uint(max_entries, 8192);			\
	} name SEC(".maps")

COUNT_MAP(ncount0);
COUNT_MAP(ncount1);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, NET_NR_STATS);
} nstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);	/* ifindex */
	__type(value, struct net_ifcfg);
	__uint(max_entries, NET_MAX_IFACES);
} nifcfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);	/* accepted sockets inherit the listener's */
	__type(key, int);
	__type(value, struct net_owner);
} nowner SEC(".maps");

/* What the parser learnt beyond the key. Addresses and ports stay in network
 * order: they are only used to look the socket up. */
struct parsed {
	__u32 len;		/* bytes that can be loaded: the frame as the hook sees it */
	__u32 hdr_len;		/* L2 through L4 header, replicated in each GSO segment */
	__u32 gso;		/* a GSO/GRO super-packet: IP length fields may be 0 */
	__u32 family;		/* AF_INET, AF_INET6, 0 */
	__be32 saddr[4], daddr[4];
	__be16 sport, dport;
};

/* Bounds-checked copy from the packet: the helpers fail (< 0) past the end of
 * the frame, including data in fragments. `xdp` is a constant at every call
 * site, so each program keeps only the helper its type allows. */
static __always_inline int load(void *ctx, int xdp, __u32 off, void *buf, __u32 len)
{
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, buf, len);
	return bpf_skb_load_bytes(ctx, off, buf, len);
}

static __always_inline void stat_add(__u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&nstats, &idx);

	if (p)
		*p += v;
}

static __always_inline void parse_l4(void *ctx, int xdp, struct parsed *p,
				     struct net_key *k, __u32 off, __u32 end)
{
	__u8 h[4];
	__u32 need;

	switch (k->proto) {
	case IPPROTO_TCP:
		need = 20;
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		need = 8;
		break;
	case IPPROTO_SCTP:
		need = 12;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_:
		need = 4;
		break;
	default:
		p->hdr_len = off;
		return;
	}
	if (off + need > end || load(ctx, xdp, off, h, sizeof(h))) {
		k->status = NET_ST_TRUNC_L4;
		return;
	}
	if (k->proto == IPPROTO_TCP) {
		__u8 doff;

		if (load(ctx, xdp, off + 12, &doff, 1)) {
			k->status = NET_ST_TRUNC_L4;
			return;
		}
		need = (doff >> 4) * 4;
		if (need < 20) {
			k->status = NET_ST_BAD_L4;
			return;
		}
		if (off + need > end) {
			k->status = NET_ST_TRUNC_L4;
			return;
		}
	}
	p->hdr_len = off + need;
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6_) {
		k->lport = h[0];	/* type */
		k->rport = h[1];	/* code */
		return;
	}
	__builtin_memcpy(&p->sport, &h[0], 2);
	__builtin_memcpy(&p->dport, &h[2], 2);
	if (k->dir == NET_DIR_EGRESS) {
		k->lport = bpf_ntohs(p->sport);
		k->rport = bpf_ntohs(p->dport);
	} else {
		k->lport = bpf_ntohs(p->dport);
		k->rport = bpf_ntohs(p->sport);
	}
}

static __always_inline void parse_ipv4(void *ctx, int xdp, struct parsed *p,
				       struct net_key *k, __u32 off)
{
	__u32 ihl, tot, end;
	__u8 h[20];

	if (off + sizeof(h) > p->len || load(ctx, xdp, off, h, sizeof(h))) {
		k->status = NET_ST_TRUNC_L3;
		return;
	}
	ihl = (h[0] & 0xf) * 4;
	tot = (__u32)h[2] << 8 | h[3];
	/* Total length 0 only in big GSO packets (BIG TCP). */
	if ((h[0] >> 4) != 4 || ihl < 20 || (tot && tot < ihl) || (!tot && !p->gso)) {
		k->status = NET_ST_BAD_L3;
		return;
	}
	end = tot ? off + tot : p->len;
	if (off + ihl > p->len || end > p->len) {
		k->status = NET_ST_TRUNC_L3;
		return;
	}
	k->proto = h[9];
	p->family = AF_INET;
	__builtin_memcpy(&p->saddr[0], &h[12], 4);
	__builtin_memcpy(&p->daddr[0], &h[16], 4);
	p->hdr_len = off + ihl;
	if ((((__u32)h[6] << 8) | h[7]) & 0x1fff) {	/* fragment offset */
		k->status = NET_ST_FRAGMENT;
		return;
	}
	parse_l4(ctx, xdp, p, k, off + ihl, end);
}

static __always_inline void parse_ipv6(void *ctx, int xdp, struct parsed *p,
				       struct net_key *k, __u32 off)
{
	__u32 plen, end, cur;
	__u8 h[40], nh;
	int i;

	if (off + sizeof(h) > p->len || load(ctx, xdp, off, h, sizeof(h))) {
		k->status = NET_ST_TRUNC_L3;
		return;
	}
	if ((h[0] >> 4) != 6) {
		k->status = NET_ST_BAD_L3;
		return;
	}
	plen = (__u32)h[4] << 8 | h[5];
	end = p->gso && !plen ? p->len : off + 40 + plen;
	if (end > p->len) {
		k->status = NET_ST_TRUNC_L3;
		return;
	}
	p->family = AF_INET6;
	__builtin_memcpy(p->saddr, &h[8], 16);
	__builtin_memcpy(p->daddr, &h[24], 16);
	nh = h[6];
	cur = off + 40;
	for (i = 0; i < NET_IPV6_MAX_EXT; i++) {
		__u8 e[4];

		if (nh != NEXTHDR_HOP && nh != NEXTHDR_ROUTING && nh != NEXTHDR_DEST &&
		    nh != NEXTHDR_AUTH && nh != NEXTHDR_FRAG)
			break;
		if (cur + 8 > end || load(ctx, xdp, cur, e, sizeof(e))) {
			k->status = NET_ST_TRUNC_L3;
			return;
		}
		if (nh == NEXTHDR_FRAG) {
			nh = e[0];
			cur += 8;
			if ((((__u32)e[2] << 8) | e[3]) & 0xfff8) {
				k->proto = nh;
				p->hdr_len = cur;
				k->status = NET_ST_FRAGMENT;
				return;
			}
			continue;
		}
		cur += nh == NEXTHDR_AUTH ? ((__u32)e[1] + 2) * 4 : ((__u32)e[1] + 1) * 8;
		nh = e[0];
	}
	k->proto = nh;
	p->hdr_len = cur;
	if (nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING || nh == NEXTHDR_DEST ||
	    nh == NEXTHDR_AUTH || nh == NEXTHDR_FRAG) {
		k->status = NET_ST_EXT_LIMIT;
		return;
	}
	if (cur > end) {
		k->status = NET_ST_TRUNC_L3;
		return;
	}
	parse_l4(ctx, xdp, p, k, cur, end);
}

/* l2_len 0: a raw IP link, where l3_proto (host order) says what follows. */
static __always_inline void parse(void *ctx, int xdp, struct parsed *p, struct net_key *k,
				  __u32 l2_len, __u16 l3_proto)
{
	__u16 et = l3_proto;
	__u32 off = 0;
	__u8 h[4];

	if (l2_len) {
		__u8 eth[ETH_HLEN];

		if (p->len < ETH_HLEN || load(ctx, xdp, 0, eth, sizeof(eth))) {
			k->status = NET_ST_TRUNC_L2;
			return;
		}
		et = (__u16)eth[12] << 8 | eth[13];
		off = ETH_HLEN;
		/* One tag; a second (QinQ, or one behind an offloaded tag) is "other". */
		if ((et == ETH_P_8021Q || et == ETH_P_8021AD) && !k->vlan) {
			if (p->len < ETH_HLEN + VLAN_HLEN || load(ctx, xdp, off, h, sizeof(h))) {
				k->ethertype = et;
				k->status = NET_ST_TRUNC_L2;
				return;
			}
			k->vlan = NET_VLAN_TAGGED | ((((__u16)h[0] << 8) | h[1]) & 0xfff);
			et = (__u16)h[2] << 8 | h[3];
			off += VLAN_HLEN;
		}
	}
	k->ethertype = et;
	p->hdr_len = off;
	if (et == ETH_P_IP)
		parse_ipv4(ctx, xdp, p, k, off);
	else if (et == ETH_P_IPV6)
		parse_ipv6(ctx, xdp, p, k, off);
}

static __always_inline void add_to(void *map, struct net_key *k, __u64 pkts, __u64 bytes)
{
	struct net_value init = { .packets = pkts, .bytes = bytes }, *v;

	v = bpf_map_lookup_elem(map, k);
	if (!v) {
		if (bpf_map_update_elem(map, k, &init, BPF_NOEXIST) == 0)
			return;
		/* Another CPU may have created the key meanwhile. */
		v = bpf_map_lookup_elem(map, k);
	}
	if (v) {
		v->packets += pkts;
		v->bytes += bytes;
		return;
	}
	stat_add(NET_STAT_FULL_PKTS, pkts);
	stat_add(NET_STAT_FULL_BYTES, bytes);
}

static __always_inline void count(struct net_key *k, __u64 pkts, __u64 bytes)
{
	if (slot)
		add_to(&ncount1, k, pkts, bytes);
	else
		add_to(&ncount0, k, pkts, bytes);
}

static __always_inline __u32 l2_len_of(__u32 ifindex)
{
	struct net_ifcfg *cfg;

	if (!any_raw_ip)	/* the common case saves a lookup per packet */
		return ETH_HLEN;
	cfg = bpf_map_lookup_elem(&nifcfg, &ifindex);
	return cfg ? cfg->l2_len : ETH_HLEN;
}

static __always_inline void copy_owner(struct net_key *k, struct net_owner *o)
{
	if (!o)
		return;
	if (!k->cgroup_id)
		k->cgroup_id = o->cgroup_id;
	k->tgid = o->tgid;
	__builtin_memcpy(k->comm, o->comm, NET_COMM_LEN);
}

/* Ingress: the packet has no socket yet; look up the one it is going to. TC
 * may not call bpf_sk_cgroup_id(), so the cgroup comes from the owner tag. */
static __always_inline void ingress_socket(struct __sk_buff *skb, struct parsed *p,
					   struct net_key *k)
{
	struct bpf_sock_tuple t;
	struct bpf_sock *sk;
	__u32 tlen;

	if (k->status != NET_ST_OK ||
	    (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP))
		return;
	__builtin_memset(&t, 0, sizeof(t));
	if (p->family == AF_INET) {
		t.ipv4.saddr = p->saddr[0];
		t.ipv4.daddr = p->daddr[0];
		t.ipv4.sport = p->sport;
		t.ipv4.dport = p->dport;
		tlen = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, p->saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, p->daddr, 16);
		t.ipv6.sport = p->sport;
		t.ipv6.dport = p->dport;
		tlen = sizeof(t.ipv6);
	}
	if (k->proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(skb, &t, tlen, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(skb, &t, tlen, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return;
	copy_owner(k, bpf_sk_storage_get(&nowner, sk, 0, 0));
	bpf_sk_release(sk);
}

static __always_inline void egress_socket(struct __sk_buff *skb, struct net_key *k)
{
	struct bpf_sock *sk = skb->sk;

	k->cgroup_id = bpf_skb_cgroup_id(skb);
	if (!sk)
		return;
	sk = bpf_sk_fullsock(sk);
	if (sk)
		copy_owner(k, bpf_sk_storage_get(&nowner, sk, 0, 0));
}

static __always_inline int tc_count(struct __sk_buff *skb, __u8 dir)
{
	struct parsed p;
	struct net_key k;
	__u64 pkts = 1, bytes, tag;
	__u32 segs = skb->gso_segs;

	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memset(&p, 0, sizeof(p));
	k.ifindex = skb->ifindex;
	k.dir = dir;
	/* A tag held in metadata is not in the data but is on the wire. */
	tag = 0;
	if (skb->vlan_present) {
		k.vlan = NET_VLAN_TAGGED | (skb->vlan_tci & 0xfff);
		tag = VLAN_HLEN;
	}
	p.len = skb->len;
	p.gso = segs > 1;
	parse(skb, 0, &p, &k, l2_len_of(k.ifindex), bpf_ntohs((__u16)skb->protocol));
	if (dir == NET_DIR_EGRESS)
		egress_socket(skb, &k);
	else
		ingress_socket(skb, &p, &k);

	bytes = skb->len + tag;
	if (segs > 1) {
		/* Each segment on the wire repeats the headers. */
		pkts = segs;
		bytes += (__u64)(segs - 1) * (p.hdr_len + tag);
	}
	count(&k, pkts, bytes);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int cprof_net_in(struct __sk_buff *skb)
{
	return tc_count(skb, NET_DIR_INGRESS);
}

SEC("tc")
int cprof_net_eg(struct __sk_buff *skb)
{
	return tc_count(skb, NET_DIR_EGRESS);
}

/* Frags-aware, so it attaches to jumbo-MTU links too: lengths and loads cover
 * every buffer of the frame. */
SEC("xdp.frags")
int cprof_net_xdp(struct xdp_md *ctx)
{
	struct parsed p;
	struct net_key k;
	__u32 l2;
	__u16 l3 = 0;
	__u8 v;

	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memset(&p, 0, sizeof(p));
	k.ifindex = ctx->ingress_ifindex;
	k.dir = NET_DIR_XDP;
	p.len = bpf_xdp_get_buff_len(ctx);
	l2 = l2_len_of(k.ifindex);
	if (!l2 && load(ctx, 1, 0, &v, 1) == 0)	/* raw IP: the version says which */
		l3 = (v >> 4) == 4 ? ETH_P_IP : (v >> 4) == 6 ? ETH_P_IPV6 : 0;
	parse(ctx, 1, &p, &k, l2, l3);
	count(&k, 1, p.len);
	return XDP_PASS;
}

/* Socket owners: tag each inet socket with the process that last used it and
 * the socket's cgroup, in process context, so the TC programs can name them
 * (the storage is freed with the socket, or with the map when cprof exits).
 * Two sets of hooks, userspace loads the first the kernel accepts: fentry on
 * the LSM socket calls (before the first packet leaves), else the 6.3+
 * sock tracepoints (after each call: a socket's very first packet may go
 * untagged). Every hook runs in the caller's process context. */
static __always_inline void tag_owner(struct sock *sk)
{
	struct net_owner *o;
	__u32 tgid;
	__u16 family;

	if (!sk)
		return;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return;
	o = bpf_sk_storage_get(&nowner, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (o->tgid != tgid) {
		o->cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
		o->tgid = tgid;
		bpf_get_current_comm(o->comm, sizeof(o->comm));
	}
}

SEC("fentry/security_socket_post_create")
int BPF_PROG(cprof_net_new, struct socket *sock, int family, int type, int protocol, int kern)
{
	if (!kern)
		tag_owner(sock->sk);
	return 0;
}

SEC("fentry/security_socket_sendmsg")
int BPF_PROG(cprof_net_snd, struct socket *sock, struct msghdr *msg, int size)
{
	tag_owner(sock->sk);
	return 0;
}

SEC("fentry/security_socket_recvmsg")
int BPF_PROG(cprof_net_rcv, struct socket *sock, struct msghdr *msg, int size, int flags)
{
	tag_owner(sock->sk);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(cprof_net_tsnd, struct sock *sk, int ret, int flags)
{
	tag_owner(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(cprof_net_trcv, struct sock *sk, int ret, int flags)
{
	tag_owner(sk);
	return 0;
}

/* connect() and listen() move TCP sockets to these states in process context;
 * every other transition may happen in softirq, under an unrelated task. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(cprof_net_tst, const struct sock *sk, const int oldstate, const int newstate)
{
	if (newstate == TCP_SYN_SENT_ || newstate == TCP_LISTEN_)
		tag_owner((struct sock *)sk);
	return 0;
}
