// SPDX-License-Identifier: MIT
/* Attaching and sweeping for --net (see net_attach.h). Who owns what on an
 * interface is read back from the kernel (link info, an rtnetlink filter
 * dump, bpf_xdp_query), never assumed: with the fallback, only filters with
 * cprof's priority and handle family whose program is named cprof_net_* are
 * touched, and a clsact qdisc is deleted only by the cprof that created it
 * (the created bit of its handles says so, even after a SIGKILL) and only
 * empty. Links are never swept: the kernel takes them off with their owner,
 * and refuses a netlink detach of a link's XDP program. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "profiler/net/net.h"
#include "profiler/net/net_attach.h"

#define MAX_FILTERS		256	/* per hook, read back from the kernel */
#define PARENT_INGRESS		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define PARENT_EGRESS		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)
#define PROG_PREFIX		"cprof_net_"
/* uapi values of 6.6+, which the installed headers may predate */
#define ATTACH_TCX_INGRESS	46	/* BPF_TCX_INGRESS */
#define ATTACH_TCX_EGRESS	47	/* BPF_TCX_EGRESS */
#define LINK_F_BEFORE		(1U << 3)	/* BPF_F_BEFORE: first in the chain */
#define PROC_PID_INIT_INO	0xEFFFFFFCU	/* the initial PID namespace's inode */

struct tc_filter {
	uint32_t handle, prio, prog_id;
	char kind[16];
};

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

static int xdp_detach(int ifindex, uint32_t mode, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd);

	/* REPLACE with the expected program: never removes anyone else's. */
	return bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, &opts);
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
/* Whether a BPF link runs program prog_id: a live cprof's XDP link (its
 * program shows in bpf_xdp_query like a netlink one), never a leftover. */
static bool prog_in_link(uint32_t prog_id)
{
	__u32 id = 0;

	while (bpf_link_get_next_id(id, &id) == 0) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);
		bool hit;

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		hit = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.prog_id == prog_id;
		close(fd);
		if (hit)
			return true;
	}
	return false;
}

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
			if (x[i].id && prog_is_cprof(x[i].id, PROG_PREFIX "xdp") &&
			    !prog_in_link(x[i].id))
				out[n++] = (struct stale){ .ifindex = ifindex, .prog_id = x[i].id,
							   .xdp_mode = x[i].mode };
	}
	return n;
}

/* Whether the /proc scan sees every process of the machine: this process is
 * in the initial PID namespace and /proc is that namespace's. Anywhere else
 * a live cprof of a sibling namespace is invisible, and an unheld-looking
 * program proves nothing. */
static bool sees_every_process(void)
{
	char self[32];
	struct stat st;
	ssize_t len;

	if (stat("/proc/self/ns/pid", &st) || st.st_ino != PROC_PID_INIT_INO)
		return false;
	len = readlink("/proc/self", self, sizeof(self) - 1);
	if (len <= 0)
		return false;
	self[len] = '\0';
	return atoi(self) == getpid();
}

void net_attach__sweep(struct net_sweep *ret)
{
	struct if_nameindex *all = if_nameindex(), *i;
	struct stale *st = calloc(MAX_STALE, sizeof(*st));
	uint32_t ids[MAX_STALE];
	bool held[MAX_STALE], provable = sees_every_process();
	size_t n = 0;

	ret->removed = ret->kept = 0;
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
		if (!provable) {
			ret->kept++;
			held[k] = true;	/* and so its qdisc stays too */
			continue;
		}
		if (!st[k].xdp_mode) {
			if (tc_detach(st[k].ifindex, st[k].point, st[k].handle) == 0)
				ret->removed++;
			continue;
		}
		fd = bpf_prog_get_fd_by_id(st[k].prog_id);
		if (fd < 0)
			continue;
		/* Should this be a link's program after all, the kernel refuses
		 * to detach it through netlink (-EBUSY). */
		if (xdp_detach(st[k].ifindex, st[k].xdp_mode, fd) == 0)
			ret->removed++;
		close(fd);
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
}

/* --- attaching ---------------------------------------------------------------- */

void net_iface__init(struct net_iface *nif)
{
	nif->link_in = nif->link_eg = nif->link_xdp = -1;
}

/* BPF_LINK_CREATE by hand: libbpf 1.1 predates tcx. The attr's tail (tcx
 * relative_fd, expected_revision) stays zero: with BPF_F_BEFORE, first. */
static int link_create(int prog_fd, int ifindex, uint32_t attach_type, uint32_t flags)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.target_fd = ifindex;	/* target_ifindex */
	attr.link_create.attach_type = attach_type;
	attr.link_create.flags = flags;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* The interface a link is attached to; 0 once detached (the kernel clears it
 * for tcx and XDP links alike: tcx's ifindex sits where xdp's does). */
static int link_ifindex(int link_fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	return (int)info.xdp.ifindex;
}

static bool legacy_forced(void)
{
	const char *e = getenv("CPROF_NET_LEGACY_TC");

	return e && !strcmp(e, "1");
}

static int attach_clsact(struct net_iface *nif, int prog_in_fd, int prog_eg_fd, char *err,
			 size_t len)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = nif->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	static const uint32_t parents[] = { PARENT_INGRESS, PARENT_EGRESS };
	struct tc_filter f[MAX_FILTERS];
	uint32_t used = 0;
	bool inherit = false, created;
	int slot, e;

	e = prog_info(prog_in_fd, &nif->prog_in, NULL, 0);
	if (!e)
		e = prog_info(prog_eg_fd, &nif->prog_eg, NULL, 0);
	if (e) {
		fail(err, len, "%s: reading the classifiers' ids: %s", nif->name, strerror(-e));
		return e;
	}
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
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = nif->tc_handle,
				    .priority = NET_TC_PRIO, .prog_fd = p ? prog_eg_fd : prog_in_fd);

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

int net_iface__attach_tc(struct net_iface *nif, int prog_in_fd, int prog_eg_fd, char *err,
			 size_t err_len)
{
	int fd;

	if (legacy_forced())
		return attach_clsact(nif, prog_in_fd, prog_eg_fd, err, err_len);
	fd = link_create(prog_in_fd, nif->ifindex, ATTACH_TCX_INGRESS, LINK_F_BEFORE);
	if (fd == -EINVAL)	/* a kernel without tcx (before 6.6) */
		return attach_clsact(nif, prog_in_fd, prog_eg_fd, err, err_len);
	if (fd < 0) {
		fail(err, err_len, "%s: attaching the tcx ingress program: %s", nif->name,
		     strerror(-fd));
		return fd;
	}
	nif->link_in = fd;
	fd = link_create(prog_eg_fd, nif->ifindex, ATTACH_TCX_EGRESS, LINK_F_BEFORE);
	if (fd < 0) {
		fail(err, err_len, "%s: attaching the tcx egress program: %s", nif->name,
		     strerror(-fd));
		return fd;
	}
	nif->link_eg = fd;
	return 0;
}

int net_iface__attach_xdp(struct net_iface *nif, int prog_fd, char *err, size_t len)
{
	static const uint32_t modes[] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int e = 0;

	if (bpf_xdp_query(nif->ifindex, 0, &q) == 0 && q.prog_id) {
		fail(err, len, "%s already has an XDP program (id %u); cprof does not replace "
		     "it: drop --net-xdp (the TC counters still work)", nif->name, q.prog_id);
		return -EBUSY;
	}
	for (size_t i = 0; i < 2 && !legacy_forced(); i++) {
		e = link_create(prog_fd, nif->ifindex, BPF_XDP, modes[i]);
		if (e >= 0) {
			nif->link_xdp = e;
			nif->xdp_mode = modes[i];
			return 0;
		}
	}
	/* No XDP links (before 5.9), or the test of the fallback. */
	for (size_t i = 0; i < 2; i++) {
		e = bpf_xdp_attach(nif->ifindex, prog_fd, modes[i] | XDP_FLAGS_UPDATE_IF_NOEXIST,
				   NULL);
		if (!e) {
			nif->xdp_legacy = true;
			nif->xdp_mode = modes[i];
			return 0;
		}
	}
	fail(err, len, "%s: attaching the XDP program: %s", nif->name, strerror(-e));
	return e;
}

/* Whether our filter still runs our program on one clsact hook: 1 yes, 0 no
 * (also when the clsact is gone: -EINVAL), -errno when it cannot be read. */
static int filter_there(const struct net_iface *nif, uint32_t parent, uint32_t prog_id)
{
	struct tc_filter f[MAX_FILTERS];
	int m = list_filters(nif->ifindex, parent, f, MAX_FILTERS);

	if (m < 0)
		return m == -EINVAL ? 0 : m;
	for (int i = 0; i < m && i < MAX_FILTERS; i++)
		if (is_cprof_handle(&f[i]) && f[i].handle == nif->tc_handle &&
		    f[i].prog_id == prog_id)
			return 1;
	return 0;
}

static void add_name(char *buf, size_t len, int *n, const char *iface, const char *hook)
{
	size_t off = strlen(buf);

	if (off < len)
		snprintf(buf + off, len - off, "%s%s %s", off ? ", " : "", iface, hook);
	(*n)++;
}

int net_iface__check(const struct net_iface *nif, char *buf, size_t len)
{
	const int links[] = { nif->link_in, nif->link_eg, nif->link_xdp };
	static const char *const hooks[] = { "ingress", "egress", "xdp" };
	int n = 0;

	for (size_t i = 0; i < 3; i++)
		if (links[i] >= 0 && link_ifindex(links[i]) == 0)
			add_name(buf, len, &n, nif->name, hooks[i]);
	/* A filter that cannot be read is not claimed lost. */
	if (nif->tc_in && filter_there(nif, PARENT_INGRESS, nif->prog_in) == 0)
		add_name(buf, len, &n, nif->name, "ingress");
	if (nif->tc_eg && filter_there(nif, PARENT_EGRESS, nif->prog_eg) == 0)
		add_name(buf, len, &n, nif->name, "egress");
	if (nif->xdp_legacy && nif->xdp_mode) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		uint32_t want;

		if (bpf_xdp_query(nif->ifindex, 0, &q) == 0) {
			want = nif->xdp_mode == XDP_FLAGS_DRV_MODE ? q.drv_prog_id : q.skb_prog_id;
			if (!want || !prog_is_cprof(want, PROG_PREFIX "xdp"))
				add_name(buf, len, &n, nif->name, "xdp");
		}
	}
	return n;
}

void net_iface__detach(struct net_iface *nif, int xdp_prog_fd)
{
	static const uint32_t parents[] = { PARENT_INGRESS, PARENT_EGRESS };
	static const uint32_t points[] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	const uint32_t ours[] = { nif->prog_in, nif->prog_eg };
	bool attached[] = { nif->tc_in, nif->tc_eg };

	/* Closing a link's last fd detaches it. */
	if (nif->link_in >= 0)
		close(nif->link_in);
	if (nif->link_eg >= 0)
		close(nif->link_eg);
	if (nif->link_xdp >= 0)
		close(nif->link_xdp);
	nif->link_in = nif->link_eg = nif->link_xdp = -1;
	if (nif->xdp_legacy && nif->xdp_mode)
		xdp_detach(nif->ifindex, nif->xdp_mode, xdp_prog_fd);
	nif->xdp_mode = 0;
	nif->xdp_legacy = false;

	for (size_t p = 0; p < 2; p++)
		/* Only while the filter there still runs our program. */
		if (attached[p] && filter_there(nif, parents[p], ours[p]) == 1)
			tc_detach(nif->ifindex, points[p], nif->tc_handle);
	/* Also when attaching failed after the qdisc was made. */
	if (nif->created && clsact_empty(nif->ifindex))
		clsact_destroy(nif->ifindex);
	nif->tc_in = nif->tc_eg = nif->created = false;
}
