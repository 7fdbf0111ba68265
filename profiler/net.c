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
#include <ctype.h>
#include <dirent.h>
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
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "export/pprof.h"
#include "profiler/bpf_sync.h"
#include "profiler/net.h"
#include "net.skel.h"

#define DEFAULT_MAX_ENTRIES	8192
#define MAX_FILTERS		256	/* per hook, read back from the kernel */
#define CGROUP2_MAGIC		0x63677270
#define PARENT_INGRESS		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define PARENT_EGRESS		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)
#define PROG_PREFIX		"cprof_net_"

enum owner_hooks { OWNER_FENTRY, OWNER_TRACEPOINTS, OWNER_NONE };

struct net_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	uint32_t l2_len;
	uint32_t tc_handle;	/* NET_TC_HANDLE_BASE | slot << 1 | created */
	bool created;		/* a cprof (this one or one still attached) made the clsact */
	bool tc_in, tc_eg;	/* our filters are attached */
	uint32_t xdp_mode;	/* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE when attached */
};

struct net {
	struct net_opts o;
	struct net_bpf *skel;
	enum owner_hooks owner;
	struct net_iface *ifs;
	size_t nr_ifs;
	uint32_t prog_in, prog_eg;	/* our classifiers' program ids */
	struct bpf_sync sync;	/* waits out programs still on the old slot */
	int nr_possible;
	struct net_value *values;	/* per-CPU value buffer */
	struct net_profile *prof;
};

struct tc_filter {
	uint32_t handle, prio, prog_id;
	char kind[16];
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

static void fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* --- reading the kernel's state --------------------------------------------- */

/* Filters (not the per-priority headers, whose handle is 0) on one clsact hook.
 * Stores up to cap in out (NULL when cap is 0), returns how many there are,
 * or -errno (no clsact: the kernel answers -EINVAL or an empty dump). */
static int list_filters(int ifindex, uint32_t parent, struct tc_filter *out, size_t cap)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg t;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	/* The kernel sizes dump batches to at most 32 KiB. */
	const size_t blen = 32768;
	int fd, n = 0, err = 0;
	bool done = false;
	char *buf;

	buf = malloc(blen);
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	req.nh.nlmsg_type = RTM_GETTFILTER;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.t.tcm_family = AF_UNSPEC;
	req.t.tcm_ifindex = ifindex;
	req.t.tcm_parent = parent;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out_close;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, blen, 0);
		struct nlmsghdr *h;

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			err = len < 0 ? -errno : -EIO;
			goto out_close;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct tcmsg *t = NLMSG_DATA(h);
			struct tc_filter f = {0};
			struct rtattr *a;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				goto out_close;
			}
			if (h->nlmsg_type != RTM_NEWTFILTER || !t->tcm_handle)
				continue;
			f.handle = t->tcm_handle;
			f.prio = TC_H_MAJ(t->tcm_info) >> 16;
			alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*t));
			for (a = (struct rtattr *)((char *)t + NLMSG_ALIGN(sizeof(*t)));
			     RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				if (a->rta_type == TCA_KIND)
					snprintf(f.kind, sizeof(f.kind), "%.*s",
						 (int)RTA_PAYLOAD(a), (char *)RTA_DATA(a));
				if (a->rta_type == TCA_OPTIONS) {
					int olen = RTA_PAYLOAD(a);
					struct rtattr *o;

					for (o = RTA_DATA(a); RTA_OK(o, olen); o = RTA_NEXT(o, olen))
						if (o->rta_type == TCA_BPF_ID &&
						    RTA_PAYLOAD(o) >= sizeof(uint32_t))
							memcpy(&f.prog_id, RTA_DATA(o), sizeof(uint32_t));
				}
			}
			if ((size_t)n < cap)
				out[n] = f;
			n++;
		}
	}
out_close:
	close(fd);
	free(buf);
	return err ? err : n;
}

static bool is_cprof_handle(const struct tc_filter *f)
{
	return f->prio == NET_TC_PRIO && !strcmp(f->kind, "bpf") &&
	       (f->handle & NET_TC_HANDLE_MASK) == NET_TC_HANDLE_BASE;
}

static int prog_info(int fd, uint32_t *ret_id, char *name, size_t len)
{
	struct bpf_prog_info info;
	__u32 ilen = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return -errno;
	if (ret_id)
		*ret_id = info.id;
	if (name)
		snprintf(name, len, "%s", info.name);
	return 0;
}

static bool prog_is_cprof(uint32_t id, const char *want)
{
	char name[BPF_OBJ_NAME_LEN];
	int fd = bpf_prog_get_fd_by_id(id);
	bool ok;

	if (fd < 0)
		return false;
	ok = prog_info(fd, NULL, name, sizeof(name)) == 0 &&
	     !strncmp(name, want, strlen(want));
	close(fd);
	return ok;
}

/* Marks which of ids[] (BPF program ids) a process other than us holds open:
 * a live cprof holds its programs, a killed one nothing. One pass over
 * /proc/PID/fdinfo for them all. Returns -errno when /proc cannot be read,
 * and the caller then treats every program as held, so a failed scan never
 * removes anything. */
static int progs_held(const uint32_t *ids, bool *held, size_t n)
{
	char path[300], lnk[64], line[128];
	pid_t self = getpid();
	struct dirent *d, *f;
	DIR *proc, *fds;

	for (size_t i = 0; i < n; i++)
		held[i] = false;
	if (!n)
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((d = readdir(proc))) {
		pid_t pid;

		if (!isdigit((unsigned char)d->d_name[0]) || (pid = atoi(d->d_name)) == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			ssize_t len;
			FILE *fi;

			if (f->d_name[0] == '.')
				continue;
			len = readlinkat(dirfd(fds), f->d_name, lnk, sizeof(lnk) - 1);
			if (len < 0)
				continue;
			lnk[len] = '\0';
			if (strcmp(lnk, "anon_inode:bpf-prog"))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, f->d_name);
			fi = fopen(path, "r");
			if (!fi)
				continue;
			while (fgets(line, sizeof(line), fi)) {
				unsigned int v;

				if (sscanf(line, "prog_id: %u", &v) != 1)
					continue;
				for (size_t i = 0; i < n; i++)
					held[i] |= ids[i] == v;
				break;
			}
			fclose(fi);
		}
		closedir(fds);
	}
	closedir(proc);
	return 0;
}

/* --- stale attachments ------------------------------------------------------ */

static int tc_detach(int ifindex, uint32_t parent_point, uint32_t handle)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = parent_point);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = NET_TC_PRIO);

	return bpf_tc_detach(&hook, &opts);
}

/* Whether the clsact qdisc of ifindex holds no filter at all. False when it
 * cannot be read. */
static bool clsact_empty(int ifindex)
{
	return list_filters(ifindex, PARENT_INGRESS, NULL, 0) == 0 &&
	       list_filters(ifindex, PARENT_EGRESS, NULL, 0) == 0;
}

static void clsact_destroy(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	bpf_tc_hook_destroy(&hook);
}

static void xdp_detach(int ifindex, uint32_t mode, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd);

	/* REPLACE with the expected program: never removes anyone else's. */
	bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, &opts);
}

/* A cprof attachment found by the sweep. */
struct stale {
	int ifindex;
	uint32_t prog_id;
	uint32_t point;		/* BPF_TC_INGRESS or BPF_TC_EGRESS; 0 for XDP */
	uint32_t handle;	/* TC */
	uint32_t xdp_mode;	/* XDP */
};

#define MAX_STALE 256

/* cprof's attachments on one interface, live ones included. */
static size_t find_cprof(int ifindex, struct stale *out, size_t cap)
{
	static const uint32_t parents[] = { PARENT_INGRESS, PARENT_EGRESS };
	static const uint32_t points[] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct tc_filter f[MAX_FILTERS];
	size_t n = 0;

	for (size_t p = 0; p < 2; p++) {
		int m = list_filters(ifindex, parents[p], f, MAX_FILTERS);

		for (int i = 0; i < m && i < MAX_FILTERS && n < cap; i++)
			if (is_cprof_handle(&f[i]) && f[i].prog_id &&
			    prog_is_cprof(f[i].prog_id, PROG_PREFIX))
				out[n++] = (struct stale){ .ifindex = ifindex, .prog_id = f[i].prog_id,
							   .point = points[p], .handle = f[i].handle };
	}
	if (bpf_xdp_query(ifindex, 0, &q) == 0) {
		const struct { uint32_t id, mode; } x[] = {
			{ q.drv_prog_id, XDP_FLAGS_DRV_MODE }, { q.skb_prog_id, XDP_FLAGS_SKB_MODE },
		};

		for (size_t i = 0; i < 2 && n < cap; i++)
			if (x[i].id && prog_is_cprof(x[i].id, PROG_PREFIX "xdp"))
				out[n++] = (struct stale){ .ifindex = ifindex, .prog_id = x[i].id,
							   .xdp_mode = x[i].mode };
	}
	return n;
}

/* Removes what dead cprofs left on every interface of this network namespace
 * (not only the requested ones), and the clsact qdiscs they had created once
 * empty. Returns how many attachments it removed. */
static size_t sweep_all(void)
{
	struct if_nameindex *all = if_nameindex(), *i;
	struct stale *st = calloc(MAX_STALE, sizeof(*st));
	uint32_t ids[MAX_STALE];
	bool held[MAX_STALE];
	size_t n = 0, removed = 0;

	if (!all || !st)
		goto out_free;
	for (i = all; i->if_index && n < MAX_STALE; i++)
		n += find_cprof(i->if_index, st + n, MAX_STALE - n);
	for (size_t k = 0; k < n; k++)
		ids[k] = st[k].prog_id;
	if (progs_held(ids, held, n))
		goto out_free;
	for (size_t k = 0; k < n; k++) {
		int fd;

		if (held[k])
			continue;
		if (!st[k].xdp_mode) {
			if (tc_detach(st[k].ifindex, st[k].point, st[k].handle) == 0)
				removed++;
			continue;
		}
		fd = bpf_prog_get_fd_by_id(st[k].prog_id);
		if (fd < 0)
			continue;
		xdp_detach(st[k].ifindex, st[k].xdp_mode, fd);
		close(fd);
		removed++;
	}
	/* A dead cprof's created bit: it made the qdisc, which goes once empty. */
	for (size_t k = 0; k < n; k++)
		if (!held[k] && !st[k].xdp_mode && (st[k].handle & 1) &&
		    clsact_empty(st[k].ifindex))
			clsact_destroy(st[k].ifindex);
out_free:
	if (all)
		if_freenameindex(all);
	free(st);
	return removed;
}

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

/* --- attaching -------------------------------------------------------------- */

static int attach_tc(struct net *n, struct net_iface *nif, char *err, size_t len)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = nif->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	static const uint32_t parents[] = { PARENT_INGRESS, PARENT_EGRESS };
	struct tc_filter f[MAX_FILTERS];
	uint32_t used = 0;
	bool inherit = false, created;
	int slot, e;

	/* Slots of live cprofs already here; a created bit among them means a
	 * cprof made the qdisc, and whichever leaves last may remove it. */
	for (size_t p = 0; p < 2; p++) {
		int m = list_filters(nif->ifindex, parents[p], f, MAX_FILTERS);

		for (int i = 0; i < m && i < MAX_FILTERS; i++)
			if (is_cprof_handle(&f[i])) {
				used |= 1u << ((f[i].handle >> 1) & (NET_TC_SLOTS - 1));
				inherit |= f[i].handle & 1;
			}
	}
	for (slot = 0; slot < NET_TC_SLOTS && (used & (1u << slot)); slot++)
		;
	if (slot == NET_TC_SLOTS) {
		fail(err, len, "%s: %d cprof instances already count this interface",
		     nif->name, NET_TC_SLOTS);
		return -EBUSY;
	}

	e = bpf_tc_hook_create(&hook);
	if (e && e != -EEXIST) {
		fail(err, len, "%s: creating the clsact qdisc: %s", nif->name, strerror(-e));
		return e;
	}
	created = !e || inherit;
	nif->created = created;
	nif->tc_handle = NET_TC_HANDLE_BASE | (uint32_t)slot << 1 | created;

	for (size_t p = 0; p < 2; p++) {
		struct bpf_program *prog = p ? n->skel->progs.cprof_net_eg : n->skel->progs.cprof_net_in;
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = nif->tc_handle,
				    .priority = NET_TC_PRIO, .prog_fd = bpf_program__fd(prog));

		hook.attach_point = p ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		e = bpf_tc_attach(&hook, &opts);
		if (e) {
			fail(err, len, "%s: attaching the TC %s classifier: %s%s", nif->name,
			     p ? "egress" : "ingress", strerror(-e),
			     e == -EINVAL ? " (TC priority 1 there holds a filter of another kind "
					    "or protocol, which cprof cannot share)" :
			     e == -EOPNOTSUPP || e == -ENOENT ? " (is an 'ingress' qdisc installed "
					    "instead of clsact?)" : "");
			return e;
		}
		if (p)
			nif->tc_eg = true;
		else
			nif->tc_in = true;
	}
	return 0;
}

static int attach_xdp(struct net *n, struct net_iface *nif, char *err, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int fd = bpf_program__fd(n->skel->progs.cprof_net_xdp), e;

	if (bpf_xdp_query(nif->ifindex, 0, &q) == 0 && q.prog_id) {
		fail(err, len, "%s already has an XDP program (id %u); cprof does not replace "
		     "it: drop --net-xdp (the TC counters still work)", nif->name, q.prog_id);
		return -EBUSY;
	}
	e = bpf_xdp_attach(nif->ifindex, fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (!e) {
		nif->xdp_mode = XDP_FLAGS_DRV_MODE;
		return 0;
	}
	e = bpf_xdp_attach(nif->ifindex, fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (!e) {
		nif->xdp_mode = XDP_FLAGS_SKB_MODE;
		return 0;
	}
	fail(err, len, "%s: attaching the XDP program: %s", nif->name, strerror(-e));
	return e;
}

static void detach_iface(struct net *n, struct net_iface *nif)
{
	static const uint32_t parents[] = { PARENT_INGRESS, PARENT_EGRESS };
	static const uint32_t points[] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	const uint32_t ours[] = { n->prog_in, n->prog_eg };
	bool attached[] = { nif->tc_in, nif->tc_eg };
	struct tc_filter f[MAX_FILTERS];

	if (nif->xdp_mode)
		xdp_detach(nif->ifindex, nif->xdp_mode,
			   bpf_program__fd(n->skel->progs.cprof_net_xdp));
	nif->xdp_mode = 0;

	for (size_t p = 0; p < 2; p++) {
		int m;

		if (!attached[p])
			continue;
		/* Only while the filter there still runs our program. */
		m = list_filters(nif->ifindex, parents[p], f, MAX_FILTERS);
		for (int i = 0; i < m && i < MAX_FILTERS; i++)
			if (is_cprof_handle(&f[i]) && f[i].handle == nif->tc_handle &&
			    f[i].prog_id == ours[p])
				tc_detach(nif->ifindex, points[p], nif->tc_handle);
	}
	/* Also when attaching failed after the qdisc was made. */
	if (nif->created && clsact_empty(nif->ifindex))
		clsact_destroy(nif->ifindex);
	nif->tc_in = nif->tc_eg = nif->created = false;
}

/* --- public --------------------------------------------------------------- */

struct net *net__new(const struct net_opts *opts, char *err, size_t err_len)
{
	struct net_profile_opts po = { .max_keys = opts->max_keys };
	struct statfs sfs;
	struct net *n;
	size_t swept;
	int e = 0;

	err[0] = '\0';
	n = calloc(1, sizeof(*n));
	if (!n) {
		fail(err, err_len, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	n->o = *opts;
	n->o.ifaces = NULL;
	bpf_sync__init(&n->sync);
	if (!n->o.max_entries)
		n->o.max_entries = DEFAULT_MAX_ENTRIES;
	libbpf_set_print(opts->verbose ? libbpf_print : libbpf_quiet);

	if (!opts->nr_ifaces || opts->nr_ifaces > NET_MAX_IFACES) {
		fail(err, err_len, "--net takes 1..%d interfaces", NET_MAX_IFACES);
		e = -EINVAL;
		goto out_free;
	}
	n->ifs = calloc(opts->nr_ifaces, sizeof(*n->ifs));
	n->nr_possible = libbpf_num_possible_cpus();
	if (!n->ifs || n->nr_possible <= 0) {
		fail(err, err_len, n->ifs ? "counting CPUs" : "out of memory");
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
		fail(err, err_len, "out of memory");
		e = -ENOMEM;
		goto out_free;
	}

	/* Check every name before touching anything. */
	for (size_t i = 0; i < opts->nr_ifaces; i++) {
		struct net_iface *nif = &n->ifs[i];

		if (strlen(opts->ifaces[i]) >= IF_NAMESIZE ||
		    !(nif->ifindex = if_nametoindex(opts->ifaces[i]))) {
			fail(err, err_len, "no network interface '%s' in this network namespace "
			     "(ip link lists them)", opts->ifaces[i]);
			e = -ENODEV;
			goto out_free;
		}
		for (size_t j = 0; j < i; j++)
			if (n->ifs[j].ifindex == nif->ifindex) {
				fail(err, err_len, "interface '%s' given twice", opts->ifaces[i]);
				e = -EINVAL;
				goto out_free;
			}
		snprintf(nif->name, sizeof(nif->name), "%s", opts->ifaces[i]);
		e = link_l2_len(nif->name, &nif->l2_len);
		if (e) {
			fail(err, err_len, "%s: %s", nif->name, e == -EPROTONOSUPPORT ?
			     "link type is neither Ethernet nor raw IP; cprof cannot parse it" :
			     strerror(-e));
			goto out_free;
		}
		e = net_profile__set_iface(n->prof, nif->ifindex, nif->name);
		if (e) {
			fail(err, err_len, "out of memory");
			goto out_free;
		}
	}

	e = load(n);
	if (e) {
		fail(err, err_len, "loading the network BPF programs: %s", strerror(-e));
		goto out_free;
	}
	e = prog_info(bpf_program__fd(n->skel->progs.cprof_net_in), &n->prog_in, NULL, 0);
	if (!e)
		e = prog_info(bpf_program__fd(n->skel->progs.cprof_net_eg), &n->prog_eg, NULL, 0);
	if (!e)
		e = bpf_sync__open(&n->sync, "cprof_nsync");
	if (e) {
		fail(err, err_len, "creating the network maps: %s", strerror(-e));
		goto out_free;
	}
	for (size_t i = 0; i < opts->nr_ifaces; i++) {
		struct net_ifcfg cfg = { .l2_len = n->ifs[i].l2_len };
		__u32 ifindex = n->ifs[i].ifindex;

		if (bpf_map__update_elem(n->skel->maps.nifcfg, &ifindex, sizeof(ifindex), &cfg,
					 sizeof(cfg), BPF_ANY)) {
			e = -errno;
			fail(err, err_len, "configuring %s: %s", n->ifs[i].name, strerror(-e));
			goto out_free;
		}
	}

	swept = sweep_all();
	if (swept && !opts->quiet)
		fprintf(stderr, "cprof: removed %zu stale cprof network attachment%s left by a "
			"cprof that did not exit cleanly\n", swept, swept == 1 ? "" : "s");

	for (size_t i = 0; i < opts->nr_ifaces; i++) {
		n->nr_ifs = i + 1;	/* so a failure detaches this one too */
		e = attach_tc(n, &n->ifs[i], err, err_len);
		if (!e && opts->xdp)
			e = attach_xdp(n, &n->ifs[i], err, err_len);
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
		detach_iface(n, &n->ifs[i]);
	net_bpf__destroy(n->skel);
	bpf_sync__release(&n->sync);
	net_profile__free(n->prof);
	free(n->values);
	free(n->ifs);
	free(n);
}

/* Deletes every key of a map nobody writes to any more. Keys are collected
 * first: restarting get_next_key from NULL after each delete is quadratic. */
static int clear_map(int fd)
{
	size_t n = 0, cap = 0;
	struct net_key *keys = NULL, *cur = NULL;
	int err = 0;

	for (;;) {
		if (n == cap) {
			struct net_key *k = realloc(keys, (cap = cap ? cap * 2 : 256) * sizeof(*k));

			if (!k) {
				err = -ENOMEM;
				goto out_free;
			}
			keys = k;
			cur = n ? &keys[n - 1] : NULL;
		}
		if (bpf_map_get_next_key(fd, cur, &keys[n]))
			break;
		cur = &keys[n++];
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, &keys[i]) && errno != ENOENT) {
			err = -errno;
			break;
		}
out_free:
	free(keys);
	return err;
}

int64_t net__drain(struct net *n)
{
	unsigned int old = n->skel->bss->slot;
	int fd = bpf_map__fd(old ? n->skel->maps.ncount1 : n->skel->maps.ncount0);
	struct net_key key, next;
	int64_t moved = 0;
	void *cur = NULL;
	int err, add_err = 0;

	n->skel->bss->slot = !old;
	__sync_synchronize();
	err = bpf_sync__wait(&n->sync);
	if (err)
		return err;

	while (bpf_map_get_next_key(fd, cur, &next) == 0) {
		uint64_t pkts = 0, bytes = 0;

		key = next;
		cur = &key;
		if (bpf_map_lookup_elem(fd, &key, n->values))
			continue;
		for (int c = 0; c < n->nr_possible; c++) {
			pkts += n->values[c].packets;
			bytes += n->values[c].bytes;
		}
		if (!pkts && !bytes)
			continue;
		/* On ENOMEM the rest of the slot is lost, not kept to count twice. */
		if (add_err)
			continue;
		add_err = net_profile__add(n->prof, &key, pkts, bytes);
		if (!add_err)
			moved += pkts;
	}
	err = clear_map(fd);
	return add_err ? add_err : err ? err : moved;
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
	char line1[512], line2[256], line3[256], ifs[400];
	const char *comments[] = { line1, line2, line3 };
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
	return net_profile__build(n->prof, &bo, ret_profile);
}

int net__write(struct net *n, struct atomic_file *af, int64_t time_nanos, int64_t duration_nanos)
{
	const Perftools__Profiles__Profile *msg;
	struct pb_profile *prof = NULL;
	uint8_t *buf = NULL;
	size_t blen = 0;
	int err;

	err = net__build(n, time_nanos, duration_nanos, false, &prof);
	if (err)
		goto out_abort;
	msg = pb_profile__finish(prof);
	if (!msg) {
		err = -ENOMEM;
		goto out_abort;
	}
	err = pprof__encode_gzip(msg, &buf, &blen);
	if (!err && fwrite(buf, 1, blen, af->f) != blen)
		err = -EIO;
	if (err)
		goto out_abort;
	err = atomic_file__commit(af);
	goto out_free;

out_abort:
	atomic_file__abort(af);
out_free:
	free(buf);
	pb_profile__free(prof);
	return err;
}
