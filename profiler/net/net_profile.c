// SPDX-License-Identifier: MIT
/* Entries sit in one array in the order first seen, indexed by base/hashmap
 * on the raw key bytes (the kernel writes every byte, padding included). Frames are synthetic locations at address 0, which
 * pb_profile interns by name, so a frame name maps to one function however
 * many stacks it appears in. cgroup ids are named through open_by_handle_at()
 * on the cgroup2 mount (the id is the kernfs file handle), cached with a bound. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "profiler/net/net_profile.h"

#define DEFAULT_MAX_KEYS	65536
#define CGROUP_CACHE_MAX	1024
#define FILEID_KERNFS		0xfe
#define ST_FOLDED		0xff	/* net_key.status of an overflow entry (userspace only) */

struct entry {
	struct net_key k;
	uint64_t packets, bytes;
};

struct iface_name {
	uint32_t ifindex;
	char name[32];
};

struct cg_entry {
	uint64_t id;
	char *path;		/* "" = could not be named */
};

struct net_profile {
	struct net_profile_opts o;
	char *cgroup_root;
	struct entry *e;
	size_t cap, n;
	struct hashmap index;	/* key -> e[] */
	struct iface_name *ifs;
	size_t nr_ifs;
	struct cg_entry *cg;
	size_t nr_cg;
	int cg_mount_fd;	/* -1: not opened yet or unavailable */
	bool cg_tried;
	struct net_profile_stats st;
};

static uint32_t key_hash(const struct net_key *k)
{
	return hash__fold(hash__fnv1a(HASH_FNV1A_SEED, k, sizeof(*k)));
}

static bool key_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct net_profile *np = ctx;

	return !memcmp(&np->e[i].k, key, sizeof(struct net_key));
}

struct net_profile *net_profile__new(const struct net_profile_opts *opts)
{
	struct net_profile *np = calloc(1, sizeof(*np));

	if (!np)
		goto out_nomem;
	np->o = *opts;
	np->cg_mount_fd = -1;
	if (!np->o.max_keys)
		np->o.max_keys = DEFAULT_MAX_KEYS;
	if (!np->o.ephemeral_lo && !np->o.ephemeral_hi) {
		np->o.ephemeral_lo = 32768;
		np->o.ephemeral_hi = 60999;
	}
	if (opts->cgroup_root && !(np->cgroup_root = strdup(opts->cgroup_root)))
		goto out_nomem;
	np->o.cgroup_root = np->cgroup_root;
	hashmap__init(&np->index, key_eq, np);
	if (VEC_RESERVE(np->e, 0, np->cap, 256) || hashmap__reserve(&np->index, 256))
		goto out_nomem;
	return np;

out_nomem:
	net_profile__free(np);
	errno = ENOMEM;
	return NULL;
}

void net_profile__free(struct net_profile *np)
{
	if (!np)
		return;
	for (size_t i = 0; i < np->nr_cg; i++)
		free(np->cg[i].path);
	if (np->cg_mount_fd >= 0)
		close(np->cg_mount_fd);
	free(np->cg);
	free(np->ifs);
	free(np->e);
	hashmap__release(&np->index);
	free(np->cgroup_root);
	free(np);
}

int net_profile__set_iface(struct net_profile *np, uint32_t ifindex, const char *name)
{
	struct iface_name *ifs;

	for (size_t i = 0; i < np->nr_ifs; i++)
		if (np->ifs[i].ifindex == ifindex) {
			snprintf(np->ifs[i].name, sizeof(np->ifs[i].name), "%s", name);
			return 0;
		}
	ifs = realloc(np->ifs, (np->nr_ifs + 1) * sizeof(*ifs));
	if (!ifs)
		return -ENOMEM;
	np->ifs = ifs;
	ifs[np->nr_ifs].ifindex = ifindex;
	snprintf(ifs[np->nr_ifs].name, sizeof(ifs[np->nr_ifs].name), "%s", name);
	np->nr_ifs++;
	return 0;
}

int net_profile__add(struct net_profile *np, const struct net_key *k, uint64_t packets,
		     uint64_t bytes)
{
	uint32_t h = key_hash(k), i;
	struct net_key folded;
	bool found;

	/* Room first: the counts are added whole or not at all. n never
	 * exceeds max_keys plus the few folded entries. */
	if (VEC_RESERVE(np->e, np->n, np->cap, 1) || hashmap__reserve(&np->index, 1))
		return -ENOMEM;
	found = hashmap__find(&np->index, h, k, &i);
	if (!found && np->n >= np->o.max_keys) {
		/* Full: fold into one entry per interface and direction (these few
		 * go beyond max_keys). */
		memset(&folded, 0, sizeof(folded));
		folded.ifindex = k->ifindex;
		folded.dir = k->dir;
		folded.status = ST_FOLDED;
		k = &folded;
		h = key_hash(k);
		found = hashmap__find(&np->index, h, k, &i);
		np->st.folded_packets += packets;
		np->st.folded_bytes += bytes;
	}
	if (!found) {
		i = (uint32_t)np->n++;
		np->e[i] = (struct entry){ .k = *k };
		hashmap__add(&np->index, h, i);
	}
	np->e[i].packets += packets;
	np->e[i].bytes += bytes;
	np->st.packets += packets;
	np->st.bytes += bytes;
	return 0;
}

void net_profile__reset(struct net_profile *np)
{
	np->n = 0;
	hashmap__clear(&np->index);
	np->st.packets = np->st.bytes = 0;
	np->st.folded_packets = np->st.folded_bytes = 0;
}

void net_profile__stats(const struct net_profile *np, struct net_profile_stats *ret)
{
	*ret = np->st;
	ret->keys = np->n;
}

uint16_t net_profile__service_port(const struct net_profile *np, uint16_t lport, uint16_t rport)
{
	bool le = lport >= np->o.ephemeral_lo && lport <= np->o.ephemeral_hi;
	bool re = rport >= np->o.ephemeral_lo && rport <= np->o.ephemeral_hi;

	if (le != re)
		return le ? rport : lport;
	return lport < rport ? lport : rport;
}

/* --- names ----------------------------------------------------------------- */

static const char *iface_name(const struct net_profile *np, uint32_t ifindex, char *buf,
			      size_t len)
{
	for (size_t i = 0; i < np->nr_ifs; i++)
		if (np->ifs[i].ifindex == ifindex)
			return np->ifs[i].name;
	snprintf(buf, len, "if%u", ifindex);
	return buf;
}

static const char *dir_name(uint8_t dir)
{
	switch (dir) {
	case NET_DIR_INGRESS:
		return "ingress";
	case NET_DIR_EGRESS:
		return "egress";
	case NET_DIR_XDP:
		return "xdp";
	default:
		return "unknown direction";
	}
}

static const char *l4_name(uint8_t proto)
{
	switch (proto) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipip";
	case 6: return "tcp";
	case 17: return "udp";
	case 41: return "ipv6";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmpv6";
	case 59: return "ipv6-nonxt";
	case 89: return "ospf";
	case 103: return "pim";
	case 112: return "vrrp";
	case 132: return "sctp";
	case 136: return "udplite";
	default: return NULL;
	}
}

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

static bool is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

static const char *family_of(const struct net_key *k)
{
	if (k->ethertype == 0x0800)
		return "ipv4";
	if (k->ethertype == 0x86DD)
		return "ipv6";
	return NULL;
}

static const char *ethertype_name(uint16_t et)
{
	switch (et) {
	case 0x0806: return "arp";
	case 0x8035: return "rarp";
	case 0x88CC: return "lldp";
	case 0x8847: return "mpls";
	case 0x8848: return "mpls-multicast";
	case 0x8863: return "pppoe-discovery";
	case 0x8864: return "pppoe";
	case 0x888E: return "eapol";
	case 0x88F7: return "ptp";
	default: return NULL;
	}
}

static const char *icmp_type_name(uint8_t proto, uint16_t type)
{
	if (proto == 1) {
		switch (type) {
		case 0: return "echo-reply";
		case 3: return "dest-unreachable";
		case 5: return "redirect";
		case 8: return "echo-request";
		case 11: return "time-exceeded";
		case 12: return "parameter-problem";
		}
		return NULL;
	}
	switch (type) {
	case 1: return "dest-unreachable";
	case 2: return "packet-too-big";
	case 3: return "time-exceeded";
	case 4: return "parameter-problem";
	case 128: return "echo-request";
	case 129: return "echo-reply";
	case 130: return "mld-query";
	case 131: return "mld-report";
	case 133: return "router-solicitation";
	case 134: return "router-advertisement";
	case 135: return "neighbor-solicitation";
	case 136: return "neighbor-advertisement";
	case 137: return "redirect";
	case 143: return "mldv2-report";
	}
	return NULL;
}

/* The protocol frame: an L4 name for IP, an ethertype name otherwise. */
static void proto_frame(const struct net_key *k, char *buf, size_t len)
{
	const char *n;

	if (k->status == ST_FOLDED) {
		snprintf(buf, len, "[key table full]");
		return;
	}
	if (k->status != NET_ST_OK && k->status != NET_ST_FRAGMENT) {
		snprintf(buf, len, "malformed");
		return;
	}
	if (family_of(k)) {
		if ((n = l4_name(k->proto)))
			snprintf(buf, len, "%s", n);
		else
			snprintf(buf, len, "%s proto %u", family_of(k), k->proto);
		return;
	}
	if ((n = ethertype_name(k->ethertype)))
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "ethertype 0x%04x", k->ethertype);
}

static const char *l3_header_name(const struct net_key *k)
{
	return k->ethertype == 0x86DD ? "ipv6" : "ipv4";
}

/* The leaf under the protocol frame, or "" for none. */
static void leaf_frame(const struct net_profile *np, const struct net_key *k, char *buf,
		       size_t len)
{
	const char *l4 = l4_name(k->proto), *n;

	buf[0] = '\0';
	switch (k->status) {
	case NET_ST_OK:
		if (!family_of(k))
			return;
		if (has_ports(k->proto))
			snprintf(buf, len, "%u/%s", net_profile__service_port(np, k->lport, k->rport),
				 l4);
		else if (is_icmp(k->proto) && (n = icmp_type_name(k->proto, k->lport)))
			snprintf(buf, len, "%s", n);
		else if (is_icmp(k->proto))
			snprintf(buf, len, "type %u", k->lport);
		return;
	case NET_ST_FRAGMENT:
		snprintf(buf, len, "fragment");
		return;
	case NET_ST_TRUNC_L2:
		snprintf(buf, len, k->ethertype == 0x8100 || k->ethertype == 0x88A8 ?
			 "truncated vlan header" : "truncated ethernet header");
		return;
	case NET_ST_TRUNC_L3:
		snprintf(buf, len, "truncated %s header", l3_header_name(k));
		return;
	case NET_ST_BAD_L3:
		snprintf(buf, len, "bad %s header", l3_header_name(k));
		return;
	case NET_ST_TRUNC_L4:
		if (l4)
			snprintf(buf, len, "truncated %s header", l4);
		else
			snprintf(buf, len, "truncated proto %u header", k->proto);
		return;
	case NET_ST_BAD_L4:
		snprintf(buf, len, "bad %s header", l4 ? l4 : "l4");
		return;
	case NET_ST_EXT_LIMIT:
		snprintf(buf, len, "too many ipv6 extension headers");
		return;
	default:
		return;
	}
}

/* --- cgroup paths ------------------------------------------------------------ */

static int cg_resolve(struct net_profile *np, uint64_t id, char *buf, size_t len)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char link[64];
	ssize_t n;
	size_t rl;
	int fd;

	if (np->cg_mount_fd < 0)
		return -ENOENT;
	h.fh.handle_bytes = sizeof(uint64_t);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(np->cg_mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* "/sys/fs/cgroup/a/b" -> "/a/b"; the root itself -> "/". */
	rl = strlen(np->cgroup_root);
	if (!strncmp(buf, np->cgroup_root, rl) && (buf[rl] == '/' || !buf[rl])) {
		memmove(buf, buf + rl, strlen(buf + rl) + 1);
		if (!buf[0])
			snprintf(buf, len, "/");
	}
	return 0;
}

/* Borrowed from the cache: valid until the next cgroup_path() call. NULL when
 * the id cannot be named. */
static const char *cgroup_path(struct net_profile *np, uint64_t id)
{
	struct cg_entry *c;
	char path[4096];

	if (!np->cgroup_root || !id)
		return NULL;
	if (!np->cg_tried) {
		np->cg_tried = true;
		np->cg_mount_fd = open(np->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	for (size_t i = 0; i < np->nr_cg; i++)
		if (np->cg[i].id == id)
			return np->cg[i].path[0] ? np->cg[i].path : NULL;
	if (np->nr_cg >= CGROUP_CACHE_MAX) {
		/* Evict everything: ids are few and cheap to name again. */
		for (size_t i = 0; i < np->nr_cg; i++)
			free(np->cg[i].path);
		np->st.cgroup_evictions += np->nr_cg;
		np->nr_cg = 0;
	}
	if (!np->cg && !(np->cg = calloc(CGROUP_CACHE_MAX, sizeof(*np->cg))))
		return NULL;
	np->st.cgroup_lookups++;
	if (cg_resolve(np, id, path, sizeof(path)))
		path[0] = '\0';
	c = &np->cg[np->nr_cg];
	c->path = strdup(path);
	if (!c->path)
		return NULL;
	c->id = id;
	np->nr_cg++;
	return c->path[0] ? c->path : NULL;
}

/* --- building ------------------------------------------------------------- */

static int add_entry(struct net_profile *np, struct pb_profile *p, const struct entry *e,
		     const struct net_build_opts *bo)
{
	const struct net_key *k = &e->k;
	char ifbuf[16], proto[48], leaf[64], comm[NET_COMM_LEN + 1], cgid[24];
	const char *frames[5], *fam = family_of(k), *cg;
	struct pb_label labels[14];
	uint64_t locs[5];
	size_t nf = 0, nl = 0;
	int64_t values[2];

	proto_frame(k, proto, sizeof(proto));
	leaf_frame(np, k, leaf, sizeof(leaf));
	/* Leaf first. */
	if (leaf[0])
		frames[nf++] = leaf;
	frames[nf++] = proto;
	frames[nf++] = dir_name(k->dir);
	frames[nf++] = iface_name(np, k->ifindex, ifbuf, sizeof(ifbuf));
	frames[nf++] = "net";
	for (size_t i = 0; i < nf; i++) {
		struct pb_line line = { .name = frames[i], .system_name = frames[i] };

		locs[i] = pb_profile__add_location(p, 0, 0, &line, 1);
		if (!locs[i])
			return -errno;
	}

	labels[nl++] = (struct pb_label){ .key = "iface", .str = frames[nf - 2] };
	labels[nl++] = (struct pb_label){ .key = "direction", .str = dir_name(k->dir) };
	labels[nl++] = (struct pb_label){ .key = "proto", .str = proto };
	if (fam && k->status != ST_FOLDED)
		labels[nl++] = (struct pb_label){ .key = "family", .str = fam };
	if (k->status == NET_ST_OK && has_ports(k->proto)) {
		labels[nl++] = (struct pb_label){ .key = "port",
			.num = net_profile__service_port(np, k->lport, k->rport) };
		if (!bo->low_cardinality) {
			labels[nl++] = (struct pb_label){ .key = "local_port", .num = k->lport };
			labels[nl++] = (struct pb_label){ .key = "remote_port", .num = k->rport };
		}
	}
	if (k->status != NET_ST_OK && k->status != NET_ST_FRAGMENT && k->status != ST_FOLDED)
		labels[nl++] = (struct pb_label){ .key = "malformed", .str = leaf };
	if (k->vlan & NET_VLAN_TAGGED)
		labels[nl++] = (struct pb_label){ .key = "vlan", .num = k->vlan & 0xfff,
						  .num_unit = "id" };
	if (k->cgroup_id) {
		cg = cgroup_path(np, k->cgroup_id);
		if (!cg) {
			snprintf(cgid, sizeof(cgid), "%llu", (unsigned long long)k->cgroup_id);
			cg = cgid;
		}
		labels[nl++] = (struct pb_label){ .key = "cgroup", .str = cg };
		labels[nl++] = (struct pb_label){ .key = "cgroup_id", .num = (int64_t)k->cgroup_id,
						  .num_unit = "id" };
	}
	if (k->tgid && !bo->low_cardinality)
		labels[nl++] = (struct pb_label){ .key = "pid", .num = k->tgid, .num_unit = "id" };
	memcpy(comm, k->comm, NET_COMM_LEN);
	comm[NET_COMM_LEN] = '\0';
	if (comm[0])
		labels[nl++] = (struct pb_label){ .key = "comm", .str = comm };

	values[0] = (int64_t)e->packets;
	values[1] = (int64_t)e->bytes;
	return pb_profile__add_sample(p, locs, nf, values, labels, nl);
}

int net_profile__build(struct net_profile *np, const struct net_build_opts *opts,
		       struct pb_profile **ret_profile)
{
	static const struct pb_value_type types[] = {
		{ "packets", "count" }, { "bytes", "bytes" },
	};
	struct pb_profile_opts po = {
		.sample_types = types, .n_sample_types = 2,
		.time_nanos = opts->time_nanos, .duration_nanos = opts->duration_nanos,
		.default_sample_type = "bytes",
		/* every packet is counted, none sampled; backends that merge
		 * profiles (Pyroscope) want a period type */
		.period_type = { "packets", "count" }, .period = 1,
	};
	struct pb_profile *p;
	int err = 0;

	p = pb_profile__new(&po);
	if (!p)
		return -errno;
	for (size_t i = 0; i < opts->nr_comments && !err; i++)
		err = pb_profile__add_comment(p, opts->comments[i]);
	for (size_t i = 0; i < np->n && !err; i++)
		if (np->e[i].packets || np->e[i].bytes)
			err = add_entry(np, p, &np->e[i], opts);
	if (err) {
		pb_profile__free(p);
		return err;
	}
	*ret_profile = p;
	return 0;
}
