// SPDX-License-Identifier: MIT
/* Attach, sweep, drain and write for --net. Drains are lossless for the reason
 * sampler.c gives: the programs read `slot` once per packet, and updating a
 * map-in-map makes the kernel call synchronize_rcu(), which returns only after
 * every TC and XDP program that could still write the old slot has returned
 * (both run under rcu_read_lock, in softirq or with BH disabled).
 * Who owns what on an interface is read back from the kernel (an rtnetlink
 * filter dump, bpf_xdp_query), never assumed: only filters with cprof's
 * priority and handle family whose program is named cprof_net_* are touched,
 * and a clsact qdisc is deleted only by the cprof that created it (the
 * created bit of its handles says so, even after a SIGKILL) and only empty. */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "export/profile_write.h"
#include "profiler/cli.h"
#include "profiler/core/bpf_sync.h"
#include "profiler/core/map_drain.h"
#include "profiler/net/net.h"
#include "profiler/net/net_attach.h"
#include "net.skel.h"

#define DEFAULT_MAX_ENTRIES	8192
#define CGROUP2_MAGIC		0x63677270

enum owner_hooks { OWNER_FENTRY, OWNER_TRACEPOINTS, OWNER_NONE };

struct net {
	struct net_opts o;
	struct net_bpf *skel;
	enum owner_hooks owner;
	struct net_iface *ifs;
	size_t nr_ifs;
	struct bpf_sync sync;	/* waits out programs still on the old slot */
	int nr_possible;
	struct net_value *values;	/* per-CPU value buffer */
	struct net_profile *prof;
};

/* --- loading ---------------------------------------------------------------- */

static void set_owner_hooks(struct net_bpf *skel, enum owner_hooks mode)
{
	bool fe = mode == OWNER_FENTRY, tp = mode == OWNER_TRACEPOINTS;

	bpf_program__set_autoload(skel->progs.cprof_net_new, fe);
	bpf_program__set_autoload(skel->progs.cprof_net_snd, fe);
	bpf_program__set_autoload(skel->progs.cprof_net_rcv, fe);
	bpf_program__set_autoload(skel->progs.cprof_net_tsnd, tp);
	bpf_program__set_autoload(skel->progs.cprof_net_trcv, tp);
	bpf_program__set_autoload(skel->progs.cprof_net_tst, tp);
}

/* Loads with the best socket-owner hooks the kernel takes: fentry on the LSM
 * socket calls, else the sock tracepoints (6.3+), else none. */
static int load(struct net *n)
{
	int err = -EINVAL;

	for (int mode = OWNER_FENTRY; mode <= OWNER_NONE; mode++) {
		n->skel = net_bpf__open();
		if (!n->skel)
			return -errno;
		bpf_map__set_max_entries(n->skel->maps.ncount0, n->o.max_entries);
		bpf_map__set_max_entries(n->skel->maps.ncount1, n->o.max_entries);
		if (!n->o.xdp)
			bpf_program__set_autoload(n->skel->progs.cprof_net_xdp, false);
		for (size_t i = 0; i < n->o.nr_ifaces; i++)
			if (!n->ifs[i].l2_len)
				n->skel->rodata->any_raw_ip = 1;
		set_owner_hooks(n->skel, mode);
		err = net_bpf__load(n->skel);
		/* Attaches the owner hooks only: TC and XDP have no auto-attach. */
		if (!err && mode != OWNER_NONE)
			err = net_bpf__attach(n->skel);
		if (!err) {
			n->owner = mode;
			return 0;
		}
		net_bpf__destroy(n->skel);
		n->skel = NULL;
	}
	return err;
}

static int link_l2_len(const char *name, uint32_t *ret)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		err = -errno;
		goto out_close;
	}
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		*ret = 14;
		break;
	case ARPHRD_NONE:
	case ARPHRD_PPP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case 519:	/* ARPHRD_RAWIP */
		*ret = 0;
		break;
	default:
		err = -EPROTONOSUPPORT;
	}
out_close:
	close(fd);
	return err;
}

static void read_port_range(struct net_profile_opts *po)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned int lo, hi;

	if (!f)
		return;
	if (fscanf(f, "%u %u", &lo, &hi) == 2 && lo <= hi && hi <= 65535) {
		po->ephemeral_lo = lo;
		po->ephemeral_hi = hi;
	}
	fclose(f);
}

/* --- public --------------------------------------------------------------- */

struct net *net__new(const struct net_opts *opts, char *err, size_t err_len)
{
	struct net_profile_opts po = { .max_keys = opts->max_keys };
	struct statfs sfs;
	struct net *n;
	struct net_sweep sw;
	int e = 0;

	err[0] = '\0';
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, err_len, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	n->o = *opts;
	n->o.ifaces = NULL;
	bpf_sync__init(&n->sync);
	if (!n->o.max_entries)
		n->o.max_entries = DEFAULT_MAX_ENTRIES;
	libbpf_set_print(opts->verbose ? cli__libbpf_print : cli__libbpf_quiet);

	if (!opts->nr_ifaces || opts->nr_ifaces > NET_MAX_IFACES) {
		snprintf(err, err_len, "--net takes 1..%d interfaces", NET_MAX_IFACES);
		e = -EINVAL;
		goto out_free;
	}
	n->ifs = calloc(opts->nr_ifaces, sizeof(*n->ifs));
	for (size_t i = 0; n->ifs && i < opts->nr_ifaces; i++)
		net_iface__init(&n->ifs[i]);
	n->nr_possible = libbpf_num_possible_cpus();
	if (!n->ifs || n->nr_possible <= 0) {
		snprintf(err, err_len, n->ifs ? "counting CPUs" : "out of memory");
		e = n->ifs ? -ENODEV : -ENOMEM;
		goto out_free;
	}
	n->values = calloc(n->nr_possible, sizeof(*n->values));
	read_port_range(&po);
	/* cgroup v2 alone, or beside v1 (hybrid) */
	if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_MAGIC)
		po.cgroup_root = "/sys/fs/cgroup";
	else if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_MAGIC)
		po.cgroup_root = "/sys/fs/cgroup/unified";
	n->prof = net_profile__new(&po);
	if (!n->values || !n->prof) {
		snprintf(err, err_len, "out of memory");
		e = -ENOMEM;
		goto out_free;
	}

	/* Check every name before touching anything. */
	for (size_t i = 0; i < opts->nr_ifaces; i++) {
		struct net_iface *nif = &n->ifs[i];

		if (strlen(opts->ifaces[i]) >= IF_NAMESIZE ||
		    !(nif->ifindex = if_nametoindex(opts->ifaces[i]))) {
			snprintf(err, err_len, "no network interface '%s' in this network namespace "
			     "(ip link lists them)", opts->ifaces[i]);
			e = -ENODEV;
			goto out_free;
		}
		for (size_t j = 0; j < i; j++)
			if (n->ifs[j].ifindex == nif->ifindex) {
				snprintf(err, err_len, "interface '%s' given twice", opts->ifaces[i]);
				e = -EINVAL;
				goto out_free;
			}
		snprintf(nif->name, sizeof(nif->name), "%s", opts->ifaces[i]);
		e = link_l2_len(nif->name, &nif->l2_len);
		if (e) {
			snprintf(err, err_len, "%s: %s", nif->name, e == -EPROTONOSUPPORT ?
			     "link type is neither Ethernet nor raw IP; cprof cannot parse it" :
			     strerror(-e));
			goto out_free;
		}
		e = net_profile__set_iface(n->prof, nif->ifindex, nif->name);
		if (e) {
			snprintf(err, err_len, "out of memory");
			goto out_free;
		}
	}

	e = load(n);
	if (e) {
		snprintf(err, err_len, "loading the network BPF programs: %s", strerror(-e));
		goto out_free;
	}
	e = bpf_sync__open(&n->sync, "cprof_nsync");
	if (e) {
		snprintf(err, err_len, "creating the network maps: %s", strerror(-e));
		goto out_free;
	}
	for (size_t i = 0; i < opts->nr_ifaces; i++) {
		struct net_ifcfg cfg = { .l2_len = n->ifs[i].l2_len };
		__u32 ifindex = n->ifs[i].ifindex;

		if (bpf_map__update_elem(n->skel->maps.nifcfg, &ifindex, sizeof(ifindex), &cfg,
					 sizeof(cfg), BPF_ANY)) {
			e = -errno;
			snprintf(err, err_len, "configuring %s: %s", n->ifs[i].name, strerror(-e));
			goto out_free;
		}
	}

	net_attach__sweep(&sw);
	if (sw.removed && !opts->quiet)
		cli__err("removed %zu stale cprof network attachment%s left by a "
			"cprof that did not exit cleanly", sw.removed, sw.removed == 1 ? "" : "s");
	if (sw.kept)	/* an error of the machine's state: shown even with -q */
		cli__err("left %zu cprof TC filter%s or XDP program%s that no "
			"process visible here holds: the cprof that owns them may run in another "
			"PID namespace (from the initial one, cprof removes them once their owner "
			"is gone)", sw.kept, sw.kept == 1 ? "" : "s", sw.kept == 1 ? "" : "s");

	for (size_t i = 0; i < opts->nr_ifaces; i++) {
		struct net_iface *nif = &n->ifs[i];

		n->nr_ifs = i + 1;	/* so a failure detaches this one too */
		e = net_iface__attach_tc(nif, bpf_program__fd(n->skel->progs.cprof_net_in),
					 bpf_program__fd(n->skel->progs.cprof_net_eg), err, err_len);
		if (!e && opts->xdp)
			e = net_iface__attach_xdp(nif, bpf_program__fd(n->skel->progs.cprof_net_xdp),
						  err, err_len);
		if (e)
			goto out_free;
	}
	return n;

out_free:
	net__free(n);
	errno = -e;
	return NULL;
}

void net__free(struct net *n)
{
	if (!n)
		return;
	for (size_t i = n->nr_ifs; i-- > 0;)
		net_iface__detach(&n->ifs[i], n->skel ?
				  bpf_program__fd(n->skel->progs.cprof_net_xdp) : -1);
	net_bpf__destroy(n->skel);
	bpf_sync__release(&n->sync);
	net_profile__free(n->prof);
	free(n->values);
	free(n->ifs);
	free(n);
}

struct net_drain {
	struct net *n;
	int64_t moved;
	int add_err;
};

static int on_net_count(void *arg, const void *key, const void *value)
{
	struct net_drain *d = arg;
	const struct net_value *v = value;
	uint64_t pkts = 0, bytes = 0;

	for (int c = 0; c < d->n->nr_possible; c++) {
		pkts += v[c].packets;
		bytes += v[c].bytes;
	}
	/* On ENOMEM the rest of the slot is lost, not kept to count twice. */
	if ((!pkts && !bytes) || d->add_err)
		return 0;
	d->add_err = net_profile__add(d->n->prof, key, pkts, bytes);
	if (!d->add_err)
		d->moved += pkts;
	return d->add_err;
}

int64_t net__drain(struct net *n)
{
	struct map_drain_opts o = { .key_size = sizeof(struct net_key),
				    .value_size = n->nr_possible * sizeof(*n->values) };
	struct net_drain d = { .n = n };
	unsigned int old;
	int64_t err = bpf_sync__flip(&n->sync, &n->skel->bss->slot, &old);

	if (err)
		return err;
	err = map_drain__fd(bpf_map__fd(old ? n->skel->maps.ncount1 : n->skel->maps.ncount0),
			    &o, on_net_count, &d);
	return err < 0 ? err : d.moved;
}

struct net_profile *net__profile(struct net *n)
{
	return n->prof;
}

int net__lost(struct net *n, uint64_t *ret_packets, uint64_t *ret_bytes)
{
	int fd = bpf_map__fd(n->skel->maps.nstats);
	uint64_t v[NET_NR_STATS] = {0};
	uint64_t *per_cpu = (uint64_t *)n->values;	/* nr_possible * 16 bytes >= 8 each */

	for (__u32 i = 0; i < NET_NR_STATS; i++) {
		if (bpf_map_lookup_elem(fd, &i, per_cpu))
			return -errno;
		for (int c = 0; c < n->nr_possible; c++)
			v[i] += per_cpu[c];
	}
	*ret_packets = v[NET_STAT_FULL_PKTS];
	*ret_bytes = v[NET_STAT_FULL_BYTES];
	return 0;
}

int net__check(const struct net *n, char *buf, size_t len)
{
	int lost = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n->nr_ifs; i++)
		lost += net_iface__check(&n->ifs[i], buf, len);
	return lost;
}

void net__describe(const struct net *n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n->nr_ifs && off < len; i++) {
		const struct net_iface *nif = &n->ifs[i];

		off += snprintf(buf + off, len - off, "%s%s (tc ingress+egress%s)", i ? ", " : "",
				nif->name, nif->xdp_mode == XDP_FLAGS_DRV_MODE ? ", xdp native" :
				nif->xdp_mode == XDP_FLAGS_SKB_MODE ? ", xdp generic" : "");
	}
}

int net__build(struct net *n, int64_t time_nanos, int64_t duration_nanos, bool low_cardinality,
	       struct pb_profile **ret_profile)
{
	static const char *const owners[] = {
		[OWNER_FENTRY] = "LSM socket fentry hooks",
		[OWNER_TRACEPOINTS] = "sock tracepoints (a socket's first packet may be unnamed)",
		[OWNER_NONE] = "unavailable",
	};
	char line1[512], line2[256], line3[256], line4[400], ifs[400], gone[256];
	const char *comments[] = { line1, line2, line3, line4 };
	struct net_build_opts bo = {
		.time_nanos = time_nanos, .duration_nanos = duration_nanos,
		.comments = comments, .nr_comments = 3, .low_cardinality = low_cardinality,
	};
	struct net_profile_stats st;
	uint64_t lost_p = 0, lost_b = 0;

	net__describe(n, ifs, sizeof(ifs));
	net__lost(n, &lost_p, &lost_b);
	net_profile__stats(n->prof, &st);
	snprintf(line1, sizeof(line1), "cprof %s; network counters on %s", CPROF_VERSION, ifs);
	snprintf(line2, sizeof(line2), "lost: %llu packets (%llu bytes), counter map full; "
		 "folded: %llu packets (%llu bytes), key table full",
		 (unsigned long long)lost_p, (unsigned long long)lost_b,
		 (unsigned long long)st.folded_packets, (unsigned long long)st.folded_bytes);
	snprintf(line3, sizeof(line3), "socket owners (comm, pid, ingress cgroup): %s; "
		 "cgroup paths: %llu looked up, %llu evicted", owners[n->owner],
		 (unsigned long long)st.cgroup_lookups, (unsigned long long)st.cgroup_evictions);
	if (net__check(n, gone, sizeof(gone))) {
		snprintf(line4, sizeof(line4), "incomplete: detached by someone else during the "
			 "window: %s", gone);
		bo.nr_comments = 4;
	}
	return net_profile__build(n->prof, &bo, ret_profile);
}

int net__write(struct net *n, struct atomic_file *af, int64_t time_nanos, int64_t duration_nanos)
{
	const Perftools__Profiles__Profile *msg;
	struct pb_profile *prof = NULL;
	int err;

	err = net__build(n, time_nanos, duration_nanos, false, &prof);
	if (err)
		goto out_abort;
	msg = pb_profile__finish(prof);
	if (!msg) {
		err = -ENOMEM;
		goto out_abort;
	}
	err = profile_write__commit(af, msg, &(struct profile_write_opts){
		.format = PROFILE_FORMAT_PPROF });
	if (err)
		goto out_abort;
	goto out_free;

out_abort:
	atomic_file__abort(af);
out_free:
	pb_profile__free(prof);
	return err;
}
