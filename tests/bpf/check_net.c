// SPDX-License-Identifier: MIT
/* Tests for --net below the command line (net_profile's are in
 * tests/unit/check_net_profile.c). The BPF parser (bpf/net.bpf.c): hand-made
 * frames run through the TC and XDP programs with BPF_PROG_TEST_RUN, and the
 * exact key each one is counted under; random frames are each counted once with their exact length. net.c:
 * a private network namespace whose loopback carries a known number of
 * datagrams while the counters are drained, and every one is counted once.
 * BPF cases need root; without it they are skipped (exit 77). */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "profiler/net/net.h"
#include "profiler/net/net_profile.h"
#include "net.skel.h"
#include "tests/net_profile_util.h"

/* --- the BPF parser, through BPF_PROG_TEST_RUN -------------------------------- */

static struct net_bpf *skel;

static void load_skel(void)
{
	skel = net_bpf__open();
	ck_assert_ptr_nonnull(skel);
	/* Only the packet programs: the owner hooks need attach targets. */
	bpf_program__set_autoload(skel->progs.cprof_net_new, false);
	bpf_program__set_autoload(skel->progs.cprof_net_snd, false);
	bpf_program__set_autoload(skel->progs.cprof_net_rcv, false);
	bpf_program__set_autoload(skel->progs.cprof_net_tsnd, false);
	bpf_program__set_autoload(skel->progs.cprof_net_trcv, false);
	bpf_program__set_autoload(skel->progs.cprof_net_tst, false);
	ck_assert_int_eq(net_bpf__load(skel), 0);
}

static void unload_skel(void)
{
	net_bpf__destroy(skel);
	skel = NULL;
}

struct frame {
	unsigned char b[4096];
	size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct frame *f, unsigned int v)
{
	unsigned char b[2] = { v >> 8, v & 0xff };

	put(f, b, 2);
}

static void eth(struct frame *f, unsigned int type)
{
	static const unsigned char macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	f->n = 0;
	put(f, macs, 12);
	put16(f, type);
}

/* IPv4 header with ihl*4 bytes; tot = 0 means "to the end of what follows",
 * patched by fix_tot(). */
static size_t ipv4(struct frame *f, unsigned int ihl, unsigned int proto, unsigned int frag)
{
	unsigned char h[60] = { 0x40 | ihl, 0, 0, 0, 0, 0, frag >> 8, frag & 0xff, 64, proto,
				0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	size_t at = f->n;

	put(f, h, ihl * 4);
	return at;
}

static void fix_tot(struct frame *f, size_t ip_at)
{
	size_t tot = f->n - ip_at;

	f->b[ip_at + 2] = tot >> 8;
	f->b[ip_at + 3] = tot & 0xff;
}

static size_t ipv6(struct frame *f, unsigned int next)
{
	unsigned char h[40] = { 0x60, 0, 0, 0, 0, 0, next, 64,
				0xfd, 0x77, [23] = 1, [24] = 0xfd, [25] = 0x77, [39] = 2 };
	size_t at = f->n;

	put(f, h, 40);
	return at;
}

static void fix_plen(struct frame *f, size_t ip_at)
{
	size_t plen = f->n - ip_at - 40;

	f->b[ip_at + 4] = plen >> 8;
	f->b[ip_at + 5] = plen & 0xff;
}

static void udp(struct frame *f, unsigned int sport, unsigned int dport, size_t payload)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, 8 + payload);
	put16(f, 0);
	memset(f->b + f->n, 0xab, payload);
	f->n += payload;
}

static void tcp(struct frame *f, unsigned int sport, unsigned int dport, unsigned int doff,
		size_t payload)
{
	unsigned char h[60] = {0};

	h[0] = sport >> 8; h[1] = sport & 0xff;
	h[2] = dport >> 8; h[3] = dport & 0xff;
	h[12] = doff << 4;
	h[13] = 0x18;	/* PSH ACK */
	put(f, h, doff >= 5 ? doff * 4 : 20);
	memset(f->b + f->n, 0xcd, payload);
	f->n += payload;
}

/* Runs one program on the frame; returns its verdict. */
static int run_prog(struct bpf_program *prog, const struct frame *f, uint32_t gso_segs,
		    uint32_t gso_size)
{
	struct __sk_buff ctx = { .gso_segs = gso_segs, .gso_size = gso_size };
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->n,
			    .repeat = 1);
	bool xdp = prog == skel->progs.cprof_net_xdp;

	if (!xdp) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	ck_assert_int_eq(bpf_prog_test_run_opts(bpf_program__fd(prog), &o), 0);
	return (int)o.retval;
}

struct counted {
	struct net_key k;
	uint64_t packets, bytes;
};

/* Every key of slot 0 summed over CPUs, then the slot emptied. */
static size_t take(struct counted *out, size_t cap)
{
	int fd = bpf_map__fd(skel->maps.ncount0), ncpu = libbpf_num_possible_cpus();
	struct net_value *v = calloc(ncpu, sizeof(*v));
	struct net_key k, *cur = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(v);
	while (bpf_map_get_next_key(fd, cur, &k) == 0) {
		ck_assert_uint_lt(n, cap);
		out[n].k = k;
		out[n].packets = out[n].bytes = 0;
		ck_assert_int_eq(bpf_map_lookup_elem(fd, &k, v), 0);
		for (int c = 0; c < ncpu; c++) {
			out[n].packets += v[c].packets;
			out[n].bytes += v[c].bytes;
		}
		cur = &out[n].k;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &out[i].k);
	free(v);
	return n;
}

/* Runs f through prog and returns the single key it was counted under. */
static struct counted one(struct bpf_program *prog, const struct frame *f)
{
	struct counted c[8];
	int verdict = run_prog(prog, f, 0, 0);

	if (prog == skel->progs.cprof_net_xdp)
		ck_assert_int_eq(verdict, 2);		/* XDP_PASS */
	else
		ck_assert_int_eq(verdict, TC_ACT_UNSPEC);
	ck_assert_uint_eq(take(c, 8), 1);
	ck_assert_uint_eq(c[0].packets, 1);
	ck_assert_uint_eq(c[0].bytes, f->n);
	return c[0];
}

#define ck_assert_key(c, et, pr, st, lp, rp) do {			\
		ck_assert_uint_eq((c).k.ethertype, (et));		\
		ck_assert_uint_eq((c).k.proto, (pr));			\
		ck_assert_uint_eq((c).k.status, (st));			\
		ck_assert_uint_eq((c).k.lport, (lp));			\
		ck_assert_uint_eq((c).k.rport, (rp));			\
	} while (0)

START_TEST(test_net_bpf__ipv4_udp_ports_follow_the_direction)
{
	struct frame f;
	struct counted c;
	size_t ip;

	load_skel();
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 17, 0);
	udp(&f, 40001, 9000, 100);
	fix_tot(&f, ip);
	ck_assert_uint_eq(f.n, 142);

	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x0800, 17, NET_ST_OK, 40001, 9000);
	ck_assert_uint_eq(c.k.dir, NET_DIR_EGRESS);
	ck_assert_uint_eq(c.k.vlan, 0);
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x0800, 17, NET_ST_OK, 9000, 40001);
	ck_assert_uint_eq(c.k.dir, NET_DIR_INGRESS);
	ck_assert_uint_eq(c.k.cgroup_id, 0);	/* no socket listens */
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x0800, 17, NET_ST_OK, 9000, 40001);
	ck_assert_uint_eq(c.k.dir, NET_DIR_XDP);
	unload_skel();
}
END_TEST

START_TEST(test_net_bpf__ipv4_options_and_tcp_options_are_skipped)
{
	struct frame f;
	struct counted c;
	size_t ip;

	load_skel();
	eth(&f, 0x0800);
	ip = ipv4(&f, 7, 6, 0);		/* 8 bytes of IP options */
	tcp(&f, 443, 51000, 11, 10);	/* 24 bytes of TCP options */
	fix_tot(&f, ip);
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x0800, 6, NET_ST_OK, 51000, 443);
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x0800, 6, NET_ST_OK, 51000, 443);
	unload_skel();
}
END_TEST

START_TEST(test_net_bpf__ipv6_extension_headers_are_walked_to_the_ports)
{
	static const unsigned char hop[8] = { 43, 0, 1, 4 }, dst[16] = { 17, 1, 1, 12 };
	static const unsigned char rt[8] = { 60, 0, 0, 0 };
	struct frame f;
	struct counted c;
	size_t ip;

	load_skel();
	eth(&f, 0x86DD);
	ip = ipv6(&f, 0);
	put(&f, hop, 8);	/* hop-by-hop -> routing */
	put(&f, rt, 8);		/* routing -> destination options */
	put(&f, dst, 16);	/* destination options (16 bytes) -> UDP */
	udp(&f, 5353, 5354, 20);
	fix_plen(&f, ip);
	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x86DD, 17, NET_ST_OK, 5353, 5354);
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x86DD, 17, NET_ST_OK, 5354, 5353);
	unload_skel();
}
END_TEST

START_TEST(test_net_bpf__seven_ipv6_extension_headers_are_too_many)
{
	static const unsigned char dst[8] = { 60 };
	struct frame f;
	struct counted c;
	size_t ip;

	load_skel();
	eth(&f, 0x86DD);
	ip = ipv6(&f, 60);
	for (int i = 0; i < 7; i++)
		put(&f, dst, 8);
	f.b[f.n - 8] = 17;	/* the seventh leads to UDP */
	udp(&f, 1, 2, 4);
	fix_plen(&f, ip);
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x86DD, 60, NET_ST_EXT_LIMIT, 0, 0);
	unload_skel();
}
END_TEST

START_TEST(test_net_bpf__fragments_keep_ports_only_in_the_first)
{
	unsigned char fh[8] = { 17, 0, 0, 1 };	/* offset 0, more fragments */
	struct frame f;
	struct counted c;
	size_t ip;

	load_skel();
	eth(&f, 0x86DD);
	ip = ipv6(&f, 44);
	put(&f, fh, 8);
	udp(&f, 7000, 7001, 40);
	fix_plen(&f, ip);
	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x86DD, 17, NET_ST_OK, 7000, 7001);

	eth(&f, 0x86DD);
	ip = ipv6(&f, 44);
	fh[2] = 0x01;		/* offset 32 */
	fh[3] = 0x00;
	put(&f, fh, 8);
	memset(f.b + f.n, 0, 40);
	f.n += 40;
	fix_plen(&f, ip);
	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x86DD, 17, NET_ST_FRAGMENT, 0, 0);

	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 17, 0x2000 | 185);	/* MF, offset 185 * 8 */
	memset(f.b + f.n, 0, 32);
	f.n += 32;
	fix_tot(&f, ip);
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x0800, 17, NET_ST_FRAGMENT, 0, 0);
	unload_skel();
}
END_TEST

START_TEST(test_net_bpf__short_and_bogus_headers_are_counted_as_malformed)
{
	struct frame f;
	struct counted c;
	size_t ip;

	load_skel();
	/* BPF_PROG_TEST_RUN refuses skbs shorter than their IP header, so the
	 * XDP program (the same parser) takes those. */
	/* Ethernet header and nothing more. */
	eth(&f, 0x0800);
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x0800, 0, NET_ST_TRUNC_L3, 0, 0);
	/* A VLAN ethertype without its tag. */
	eth(&f, 0x8100);
	put16(&f, 100);
	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x8100, 0, NET_ST_TRUNC_L2, 0, 0);
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x8100, 0, NET_ST_TRUNC_L2, 0, 0);
	/* IPv4 claiming 100 bytes in a 54-byte frame. */
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 17, 0);
	udp(&f, 1, 2, 12);
	f.b[ip + 3] = 100;
	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x0800, 0, NET_ST_TRUNC_L3, 0, 0);
	/* Total length shorter than the header. */
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 17, 0);
	udp(&f, 1, 2, 12);
	f.b[ip + 3] = 16;
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x0800, 0, NET_ST_BAD_L3, 0, 0);
	/* IHL 4. */
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 17, 0);
	udp(&f, 1, 2, 12);
	fix_tot(&f, ip);
	f.b[ip] = 0x44;
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x0800, 0, NET_ST_BAD_L3, 0, 0);
	/* An IPv6 header under the IPv4 ethertype. */
	eth(&f, 0x0800);
	ip = ipv6(&f, 17);
	udp(&f, 1, 2, 12);
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x0800, 0, NET_ST_BAD_L3, 0, 0);
	/* UDP header with 4 of its 8 bytes. */
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 17, 0);
	put16(&f, 1);
	put16(&f, 2);
	fix_tot(&f, ip);
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x0800, 17, NET_ST_TRUNC_L4, 0, 0);
	/* TCP data offset 4. */
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 6, 0);
	tcp(&f, 1, 2, 4, 0);
	fix_tot(&f, ip);
	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x0800, 6, NET_ST_BAD_L4, 0, 0);
	/* TCP data offset 15 (60 bytes) in a 20-byte segment. */
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 6, 0);
	tcp(&f, 1, 2, 5, 0);
	f.b[f.n - 8] = 15 << 4;
	fix_tot(&f, ip);
	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x0800, 6, NET_ST_TRUNC_L4, 0, 0);
	/* ICMP header cut at 2 bytes. */
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 1, 0);
	put16(&f, 0x0800);
	fix_tot(&f, ip);
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x0800, 1, NET_ST_TRUNC_L4, 0, 0);
	/* IPv6 header cut at 30 bytes. */
	eth(&f, 0x86DD);
	ipv6(&f, 17);
	f.n -= 10;
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x86DD, 0, NET_ST_TRUNC_L3, 0, 0);
	unload_skel();
}
END_TEST

START_TEST(test_net_bpf__icmp_type_vlan_and_other_ethertypes)
{
	static const unsigned char echo[8] = { 128, 0 };
	struct frame f;
	struct counted c;
	size_t ip;

	load_skel();
	eth(&f, 0x86DD);
	ip = ipv6(&f, 58);
	put(&f, echo, 8);
	fix_plen(&f, ip);
	c = one(skel->progs.cprof_net_eg, &f);
	ck_assert_key(c, 0x86DD, 58, NET_ST_OK, 128, 0);

	/* One 802.1Q tag in the data. */
	eth(&f, 0x8100);
	put16(&f, 0x2064);	/* PCP 1, VID 100 */
	put16(&f, 0x0800);
	ip = ipv4(&f, 5, 17, 0);
	udp(&f, 5555, 7777, 64);
	fix_tot(&f, ip);
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x0800, 17, NET_ST_OK, 7777, 5555);
	ck_assert_uint_eq(c.k.vlan, NET_VLAN_TAGGED | 100);

	/* QinQ: the second tag is not parsed, the frame is "other". */
	eth(&f, 0x88A8);
	put16(&f, 10);
	put16(&f, 0x8100);
	put16(&f, 20);
	put16(&f, 0x0800);
	ip = ipv4(&f, 5, 17, 0);
	udp(&f, 1, 2, 8);
	fix_tot(&f, ip);
	c = one(skel->progs.cprof_net_xdp, &f);
	ck_assert_key(c, 0x8100, 0, NET_ST_OK, 0, 0);
	ck_assert_uint_eq(c.k.vlan, NET_VLAN_TAGGED | 10);

	/* ARP. */
	eth(&f, 0x0806);
	memset(f.b + f.n, 0, 28);
	f.n += 28;
	c = one(skel->progs.cprof_net_in, &f);
	ck_assert_key(c, 0x0806, 0, NET_ST_OK, 0, 0);
	unload_skel();
}
END_TEST

START_TEST(test_net_bpf__gso_packet_counts_its_wire_segments)
{
	struct counted c[4];
	struct frame f;
	size_t ip;

	load_skel();
	eth(&f, 0x0800);
	ip = ipv4(&f, 5, 6, 0);
	tcp(&f, 40000, 80, 8, 2 * 1000);	/* 32-byte TCP header */
	fix_tot(&f, ip);
	ck_assert_int_eq(run_prog(skel->progs.cprof_net_eg, &f, 2, 1000), TC_ACT_UNSPEC);
	ck_assert_uint_eq(take(c, 4), 1);
	ck_assert_uint_eq(c[0].packets, 2);
	/* Two frames of 14 + 20 + 32 + 1000. */
	ck_assert_uint_eq(c[0].bytes, 2 * (14 + 20 + 32 + 1000));
	ck_assert_key(c[0], 0x0800, 6, NET_ST_OK, 40000, 80);
	unload_skel();
}
END_TEST

/* Random bytes behind random headers: whatever the parser makes of them, each
 * frame is counted exactly once with its exact length, and nothing is dropped. */
START_TEST(test_net_bpf__random_frames_are_each_counted_once)
{
	static const unsigned int types[] = { 0x0800, 0x86DD, 0x8100, 0x88A8, 0x0806, 0x1234 };
	static struct counted c[4096];
	uint64_t want_bytes = 0, got_p = 0, got_b = 0, seed = 0x9e3779b97f4a7c15ULL;
	const int runs = 3000;
	struct frame f;
	size_t n;

	load_skel();
	for (int i = 0; i < runs; i++) {
		size_t len;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		eth(&f, types[(seed >> 33) % 6]);
		len = (seed >> 40) % 120;
		for (size_t j = 0; j < len; j++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			f.b[f.n++] = seed >> 56;
		}
		/* Mostly plausible versions, so the deeper parsers run too. */
		if (len && (i & 1))
			f.b[14] = (f.b[12] == 0x86 ? 0x60 : 0x40) | (f.b[14] & 0x0f);
		want_bytes += f.n;
		/* skb test runs need the whole IP header (see above) */
		if (i % 3 == 0 || (f.b[12] == 0x08 && f.b[13] == 0x00 && f.n < 34) ||
		    (f.b[12] == 0x86 && f.b[13] == 0xdd && f.n < 54))
			ck_assert_int_eq(run_prog(skel->progs.cprof_net_xdp, &f, 0, 0), 2);
		else
			ck_assert_int_eq(run_prog(i % 3 == 1 ? skel->progs.cprof_net_in :
						  skel->progs.cprof_net_eg, &f, 0, 0),
					 TC_ACT_UNSPEC);
	}
	n = take(c, sizeof(c) / sizeof(c[0]));
	for (size_t i = 0; i < n; i++) {
		got_p += c[i].packets;
		got_b += c[i].bytes;
		ck_assert_uint_lt(c[i].k.status, NET_NR_STATUS);
		if (c[i].k.status != NET_ST_OK)
			ck_assert_uint_eq(c[i].k.lport | c[i].k.rport, 0);
	}
	ck_assert_uint_eq(got_p, runs);
	ck_assert_uint_eq(got_b, want_bytes);
	unload_skel();
}
END_TEST

/* --- net.c on a private loopback ---------------------------------------------- */

struct sender {
	volatile int stop;
	int64_t sent;
};

static void *send_udp(void *arg)
{
	struct sender *s = arg;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9000),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[64] = {0};

	while (!s->stop)
		if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to)) == 64)
			s->sent++;
	close(fd);
	return NULL;
}

static void loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

START_TEST(test_net__drains_while_traffic_flows_and_loses_nothing)
{
	const char *ifaces[] = { "lo" };
	struct net_opts no = { .ifaces = ifaces, .nr_ifaces = 1, .quiet = true };
	struct sender snd = {0};
	Perftools__Profiles__Profile *p;
	struct net_profile *np;
	struct pb_profile *pb;
	int64_t pk, by;
	struct net_build_opts bo = {0};
	pthread_t t;
	char err[256];
	struct net *n;
	int drains, sink;
	struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(9000),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	/* Our own network namespace: nothing else on this lo, and it goes away with us. */
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	loopback_up();
	sink = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(sink, (struct sockaddr *)&at, sizeof(at)), 0);

	n = net__new(&no, err, sizeof(err));
	ck_assert_msg(n != NULL, "net__new: %s", err);
	ck_assert_int_eq(pthread_create(&t, NULL, send_udp, &snd), 0);
	/* 50 slot flips while datagrams flow on the other CPU. */
	for (drains = 0; drains < 50; drains++) {
		char buf[64];

		while (recv(sink, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		ck_assert_int_ge(net__drain(n), 0);
	}
	snd.stop = 1;
	pthread_join(t, NULL);
	ck_assert_int_ge(net__drain(n), 0);
	ck_assert_int_ge(net__drain(n), 0);
	ck_assert_int_gt(snd.sent, 1000);

	np = net__profile(n);
	ck_assert_int_eq(net_profile__build(np, &bo, &pb), 0);
	p = round_trip(pb);
	/* On lo each datagram leaves (egress) and arrives (ingress): 14 + 20 + 8 + 64. */
	sum_stack(p, "net;lo;egress;udp;9000/udp", &pk, &by);
	ck_assert_int_eq(pk, snd.sent);
	ck_assert_int_eq(by, snd.sent * 106);
	sum_stack(p, "net;lo;ingress;udp;9000/udp", &pk, &by);
	ck_assert_int_eq(pk, snd.sent);
	ck_assert_int_eq(by, snd.sent * 106);
	perftools__profiles__profile__free_unpacked(p, NULL);
	pb_profile__free(pb);
	net__free(n);
	close(sink);
}
END_TEST

static bool bpf_usable(void)
{
	struct net_bpf *s;

	if (geteuid() != 0) {
		printf("SKIP: BPF tests need root (or CAP_BPF + CAP_NET_ADMIN)\n");
		return false;
	}
	s = net_bpf__open();
	if (s) {
		bpf_program__set_autoload(s->progs.cprof_net_new, false);
		bpf_program__set_autoload(s->progs.cprof_net_snd, false);
		bpf_program__set_autoload(s->progs.cprof_net_rcv, false);
		bpf_program__set_autoload(s->progs.cprof_net_tsnd, false);
		bpf_program__set_autoload(s->progs.cprof_net_trcv, false);
		bpf_program__set_autoload(s->progs.cprof_net_tst, false);
	}
	if (!s || net_bpf__load(s)) {
		printf("SKIP: the network BPF programs do not load here\n");
		net_bpf__destroy(s);
		return false;
	}
	net_bpf__destroy(s);
	return true;
}

int main(void)
{
	Suite *s = suite_create("net");
	TCase *bpf = tcase_create("bpf"), *live = tcase_create("live");
	SRunner *sr;
	int failed;

	libbpf_set_print(NULL);
	if (!bpf_usable())
		return 77;
	tcase_add_test(bpf, test_net_bpf__ipv4_udp_ports_follow_the_direction);
	tcase_add_test(bpf, test_net_bpf__ipv4_options_and_tcp_options_are_skipped);
	tcase_add_test(bpf, test_net_bpf__ipv6_extension_headers_are_walked_to_the_ports);
	tcase_add_test(bpf, test_net_bpf__seven_ipv6_extension_headers_are_too_many);
	tcase_add_test(bpf, test_net_bpf__fragments_keep_ports_only_in_the_first);
	tcase_add_test(bpf, test_net_bpf__short_and_bogus_headers_are_counted_as_malformed);
	tcase_add_test(bpf, test_net_bpf__icmp_type_vlan_and_other_ethertypes);
	tcase_add_test(bpf, test_net_bpf__gso_packet_counts_its_wire_segments);
	tcase_add_test(bpf, test_net_bpf__random_frames_are_each_counted_once);
	tcase_set_timeout(bpf, 60);
	suite_add_tcase(s, bpf);
	tcase_add_test(live, test_net__drains_while_traffic_flows_and_loses_nothing);
	tcase_set_timeout(live, 60);
	suite_add_tcase(s, live);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
