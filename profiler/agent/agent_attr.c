// SPDX-License-Identifier: MIT
/* Attribution. The cache is a chained hash over a pool of nodes with an LRU
 * list; node indices, not pointers, so the pool can grow by realloc. A full
 * cache evicts its least recently used entry: if that process is still alive
 * its facts are simply read again from /proc when next needed. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/hash.h"
#include "base/hashmap.h"
#include "base/proc.h"
#include "base/regex_bound.h"
#include "profiler/agent/agent_attr.h"

#define PF_KTHREAD_FLAG	0x00200000	/* include/linux/sched.h */
#define NIL		(-1)

/* ---- rules ---------------------------------------------------------------- */

int attr_rule__parse(const char *s, struct attr_rule *ret, const char **ret_why)
{
	static const struct { const char *name; enum attr_source src; } names[] = {
		{ "container", ATTR_SRC_CONTAINER }, { "pod", ATTR_SRC_POD },
		{ "unit", ATTR_SRC_UNIT }, { "cgroup", ATTR_SRC_CGROUP },
		{ "exe", ATTR_SRC_EXE }, { "comm", ATTR_SRC_COMM },
	};
	struct attr_rule r = {0};
	const char *p = s;

	*ret_why = "expected a comma-separated list of container, pod, unit, cgroup, exe, comm, "
		   "or =NAME for a fixed name";
	if (!*s)
		return -EINVAL;
	while (*p) {
		size_t len = strcspn(p, ","), i;

		if (r.n == ATTR_MAX_SOURCES || len == 0)
			return -EINVAL;
		if (*p == '=') {
			if (len < 2 || len - 1 >= sizeof(r.literal) || r.literal[0])
				return -EINVAL;
			memcpy(r.literal, p + 1, len - 1);
			r.literal[len - 1] = '\0';
			r.src[r.n++] = ATTR_SRC_LITERAL;
		} else {
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (strlen(names[i].name) == len && !strncmp(p, names[i].name, len))
					break;
			if (i == sizeof(names) / sizeof(names[0]))
				return -EINVAL;
			r.src[r.n++] = names[i].src;
		}
		p += len;
		if (*p == ',' && !*++p)
			return -EINVAL;
	}
	*ret = r;
	return 0;
}

static void copy(char *dst, size_t dlen, const char *src, size_t n)
{
	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The last path component, without a systemd suffix. */
static void cgroup_leaf(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/'), *leaf = slash ? slash + 1 : path;
	size_t n = strlen(leaf);

	for (const char *suf = ".service\0.scope\0.slice\0"; *suf; suf += strlen(suf) + 1) {
		size_t sl = strlen(suf);

		if (n > sl && !strcmp(leaf + n - sl, suf)) {
			n -= sl;
			break;
		}
	}
	copy(buf, len, leaf, n);
}

void attr_rule__service(const struct attr_rule *r, const struct proc_facts *f, char *buf,
			size_t len)
{
	char tmp[ATTR_NAME_LEN];

	if (f->kthread && !(r->n && r->src[0] == ATTR_SRC_LITERAL)) {
		snprintf(buf, len, "kernel");
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const char *v = NULL;
		size_t n = SIZE_MAX;

		switch (r->src[i]) {
		case ATTR_SRC_CONTAINER:
			v = f->container_id;
			n = 12;		/* as `docker ps` shows it */
			break;
		case ATTR_SRC_POD:
			v = f->pod_uid;
			break;
		case ATTR_SRC_UNIT:
			v = f->unit;
			break;
		case ATTR_SRC_CGROUP:
			if (f->cgroup[0] && strcmp(f->cgroup, "/")) {
				cgroup_leaf(f->cgroup, tmp, sizeof(tmp));
				v = tmp;
			}
			break;
		case ATTR_SRC_EXE:
			v = f->exe;
			break;
		case ATTR_SRC_COMM:
			v = f->comm;
			break;
		case ATTR_SRC_LITERAL:
			v = r->literal;
			break;
		}
		if (v && *v) {
			copy(buf, len, v, n < strlen(v) ? n : strlen(v));
			return;
		}
	}
	snprintf(buf, len, "%s", f->comm[0] ? f->comm : "unknown");
}

/* ---- facts ---------------------------------------------------------------- */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A run of exactly 64 hex digits in s[0..n): where it starts, or NULL. */
static const char *find_id64(const char *s, size_t n)
{
	for (size_t i = 0; i + 64 <= n; i++) {
		size_t j = 0;

		if (i > 0 && is_hex(s[i - 1]))
			continue;
		while (j < 64 && is_hex(s[i + j]))
			j++;
		if (j == 64 && (i + 64 == n || !is_hex(s[i + 64])))
			return s + i;
	}
	return NULL;
}

/* "pod" followed by a uuid written with '-' or '_' (systemd slices). */
static bool find_pod(const char *s, size_t n, char out[37])
{
	for (size_t i = 0; i + 3 + 36 <= n; i++) {
		const char *u = s + i + 3;
		size_t j;

		if (strncmp(s + i, "pod", 3))
			continue;
		for (j = 0; j < 36; j++) {
			bool dash = j == 8 || j == 13 || j == 18 || j == 23;

			if (dash ? (u[j] != '-' && u[j] != '_') : !is_hex(u[j]))
				break;
		}
		if (j < 36)
			continue;
		for (j = 0; j < 36; j++)
			out[j] = u[j] == '_' ? '-' : u[j];
		out[36] = '\0';
		return true;
	}
	return false;
}

void proc_facts__parse_cgroup(const char *path, struct proc_facts *f)
{
	const char *p = path;

	f->container_id[0] = f->pod_uid[0] = f->unit[0] = '\0';
	while (*p) {
		size_t n;
		const char *id;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (!n)
			break;
		/* crio-conmon-<id>.scope is CRI-O's monitor, not the container */
		id = strncmp(p, "crio-conmon-", 12) ? find_id64(p, n) : NULL;
		if (id)
			copy(f->container_id, sizeof(f->container_id), id, 64);
		find_pod(p, n, f->pod_uid);
		if (n > 8 && !strncmp(p + n - 8, ".service", 8))
			copy(f->unit, sizeof(f->unit), p, n - 8);
		p += n;
	}
}

/* The cgroup v2 path ("0::/..."); on a hybrid v1/v2 host where it is "/",
 * v1's name=systemd path, else the first deeper v1 path. */
static void pick_cgroup(char *content, char *out, size_t len)
{
	char *line, *save, *v2 = NULL, *systemd = NULL, *other = NULL;

	for (line = strtok_r(content, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		if (!strncmp(line, "0::", 3))
			v2 = c2 + 1;
		else if (!strncmp(c1 + 1, "name=systemd:", 13))
			systemd = c2 + 1;
		else if (!other && strcmp(c2 + 1, "/"))
			other = c2 + 1;
	}
	if (v2 && strcmp(v2, "/"))
		snprintf(out, len, "%s", v2);
	else if (systemd && strcmp(systemd, "/"))
		snprintf(out, len, "%s", systemd);
	else if (other)
		snprintf(out, len, "%s", other);
	else
		snprintf(out, len, "%s", v2 ? v2 : systemd ? systemd : "");
}

int proc_facts__read(int pid, uint64_t start_ticks, struct proc_facts *f)
{
	char path[64], buf[4096];
	struct proc_stat st;
	ssize_t n;

	memset(f, 0, sizeof(*f));
	if (proc__stat(pid, &st))
		return -ESRCH;
	if (st.start_ticks != start_ticks)
		return -ESRCH;	/* pid reused */
	f->kthread = st.flags & PF_KTHREAD_FLAG;
	/* stat's comm is /proc/PID/comm's: one read fewer per process */
	copy(f->comm, sizeof(f->comm), st.comm, strnlen(st.comm, sizeof(st.comm)));
	if (!f->kthread) {
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		n = readlink(path, buf, sizeof(buf) - 1);
		/* "memfd:..." and other non-paths: no useful name, the comm is better */
		if (n > 0 && buf[0] == '/') {
			const char *base;

			buf[n] = '\0';
			if (n > 10 && !strcmp(buf + n - 10, " (deleted)"))
				buf[n - 10] = '\0';
			base = strrchr(buf, '/');
			base = base ? base + 1 : buf;
			copy(f->exe, sizeof(f->exe), base, strlen(base));
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (proc__read(path, buf, sizeof(buf)) > 0) {
		pick_cgroup(buf, f->cgroup, sizeof(f->cgroup));
		proc_facts__parse_cgroup(f->cgroup, f);
	}
	return 0;
}

/* ---- cache ---------------------------------------------------------------- */

struct node {
	struct attr_info info;
	uint64_t start;
	int pid;
	int32_t free_next;	/* free list */
	int32_t prev, next;	/* LRU list, most recent first */
};

/* comm -> executable name, learned from processes read from /proc, to name
 * the ones that were gone before they could be read (a process exec'd as
 * "/proc/self/exe" or through a symlink has a comm unlike its executable;
 * comm is also cut at 15 characters). Direct-mapped: a colliding entry
 * replaces the old one. */
#define MEMO_SLOTS 1024

struct memo_slot {
	char comm[16];
	char exe[64];
};

/* The kernel's name for a set of cgroups -> the path attribution picks
 * from them, for execs (attr_cache__exec()): a machine's processes live in
 * few sets, on v1, v2 and hybrid hosts alike. A set's path is learnt from
 * reads of /proc/PID/cgroup once two of them agree: one process moved
 * between its exec and the read teaches nothing. A path learnt is read
 * again after CG_TTL_NS (a v1 cgroup can be renamed). Direct-mapped. */
#define CG_SLOTS	256
#define CG_TTL_NS	(60 * 1000000000ULL)

struct cg_slot {
	uint64_t set;
	uint64_t learnt_ns;	/* 0: one read so far, not learnt */
	char path[sizeof(((struct proc_facts *)0)->cgroup)];
};

struct attr_cache {
	struct memo_slot memo[MEMO_SLOTS];
	struct attr_rule rule;
	char *cgroup;
	regex_t comm_re;
	bool has_comm;
	struct node *nodes;
	size_t nr_nodes, cap_nodes, max;
	int32_t free_head;
	struct hashmap index;	/* (pid, start) -> node */
	int32_t lru_head, lru_tail;
	size_t count;
	struct attr_stats st;
	struct attr_info idle;
	struct cg_slot *cg;	/* NULL: no room, every exec reads */
};

struct node_key {
	int pid;
	uint64_t start;
};

static uint32_t node_hash(int pid, uint64_t start)
{
	uint64_t h = hash__fnv1a(HASH_FNV1A_SEED, &pid, sizeof(pid));

	return hash__fold(hash__fnv1a(h, &start, sizeof(start)));
}

static bool node_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct attr_cache *c = ctx;
	const struct node_key *k = key;

	return c->nodes[i].pid == k->pid && c->nodes[i].start == k->start;
}

static void lru_unlink(struct attr_cache *c, int32_t i)
{
	struct node *n = &c->nodes[i];

	if (n->prev != NIL)
		c->nodes[n->prev].next = n->next;
	else
		c->lru_head = n->next;
	if (n->next != NIL)
		c->nodes[n->next].prev = n->prev;
	else
		c->lru_tail = n->prev;
}

static void lru_push_front(struct attr_cache *c, int32_t i)
{
	struct node *n = &c->nodes[i];

	n->prev = NIL;
	n->next = c->lru_head;
	if (c->lru_head != NIL)
		c->nodes[c->lru_head].prev = i;
	c->lru_head = i;
	if (c->lru_tail == NIL)
		c->lru_tail = i;
}

static int32_t lookup(struct attr_cache *c, int pid, uint64_t start)
{
	struct node_key k = { .pid = pid, .start = start };
	uint32_t i;

	return hashmap__find(&c->index, node_hash(pid, start), &k, &i) ? (int32_t)i : NIL;
}

static void remove_node(struct attr_cache *c, int32_t i)
{
	hashmap__remove(&c->index, node_hash(c->nodes[i].pid, c->nodes[i].start), (uint32_t)i);
	lru_unlink(c, i);
	c->nodes[i].free_next = c->free_head;
	c->free_head = i;
	c->count--;
}

static struct memo_slot *memo_slot(struct attr_cache *c, const char *comm)
{
	return &c->memo[hash__fnv1a(HASH_FNV1A_SEED, comm, strnlen(comm, 15)) % MEMO_SLOTS];
}

static void memo_learn(struct attr_cache *c, const struct proc_facts *f)
{
	struct memo_slot *m;

	if (!f->comm[0] || !f->exe[0])
		return;
	m = memo_slot(c, f->comm);
	if (m->comm[0] && strcmp(m->comm, f->comm))
		c->st.memo_replaced++;
	snprintf(m->comm, sizeof(m->comm), "%s", f->comm);
	snprintf(m->exe, sizeof(m->exe), "%s", f->exe);
}

/* Fills an unknown executable name from the memo. */
static void memo_recall(struct attr_cache *c, struct proc_facts *f)
{
	const struct memo_slot *m;

	if (f->exe[0] || f->kthread || !f->comm[0])
		return;
	m = memo_slot(c, f->comm);
	if (!strcmp(m->comm, f->comm))
		snprintf(f->exe, sizeof(f->exe), "%s", m->exe);
}

static void decide(struct attr_cache *c, struct attr_info *in)
{
	const char *cg = in->facts.cgroup;
	size_t n = c->cgroup ? strlen(c->cgroup) : 0;

	attr_rule__service(&c->rule, &in->facts, in->service, sizeof(in->service));
	in->selected = true;
	/* "/" selects everything; "/a/b" selects /a/b and /a/b/..., not /a/bc */
	if (c->cgroup && strcmp(c->cgroup, "/") &&
	    (strncmp(cg, c->cgroup, n) || (cg[n] && cg[n] != '/')))
		in->selected = false;
	if (c->has_comm && regexec(&c->comm_re, in->facts.comm, 0, NULL, 0))
		in->selected = false;
}

/* A node for (pid, start), evicting the least recently used when full. */
static int32_t new_node(struct attr_cache *c, int pid, uint64_t start)
{
	int32_t i;

	if (c->count >= c->max) {
		remove_node(c, c->lru_tail);
		c->st.evictions++;
	}
	if (c->free_head != NIL) {
		i = c->free_head;
		c->free_head = c->nodes[i].free_next;
	} else {
		if (c->nr_nodes == c->cap_nodes) {
			size_t cap = c->cap_nodes ? c->cap_nodes * 2 : 256;
			struct node *n;

			if (cap > c->max)
				cap = c->max;
			n = realloc(c->nodes, cap * sizeof(*n));
			if (!n)
				return NIL;
			c->nodes = n;
			c->cap_nodes = cap;
		}
		i = c->nr_nodes++;
	}
	if (hashmap__reserve(&c->index, 1)) {
		c->nodes[i].free_next = c->free_head;
		c->free_head = i;
		return NIL;
	}
	memset(&c->nodes[i].info, 0, sizeof(c->nodes[i].info));
	c->nodes[i].pid = pid;
	c->nodes[i].start = start;
	hashmap__add(&c->index, node_hash(pid, start), (uint32_t)i);
	lru_push_front(c, i);
	c->count++;
	return i;
}

static int set_filters(struct attr_cache *c, const char *cgroup, const char *comm)
{
	char *cg = NULL;
	regex_t re;

	if (cgroup && !(cg = strdup(cgroup)))
		return -ENOMEM;
	if (comm && regex_bound__compile(&re, comm, REG_EXTENDED | REG_NOSUB, NULL, 0)) {
		free(cg);
		return -EINVAL;
	}
	free(c->cgroup);
	c->cgroup = cg;
	if (c->has_comm)
		regfree(&c->comm_re);
	c->has_comm = comm != NULL;
	if (comm)
		c->comm_re = re;
	return 0;
}

struct attr_cache *attr_cache__new(size_t max_entries, const struct attr_rule *rule,
				   const char *cgroup, const char *comm)
{
	struct attr_cache *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->max = max_entries ? max_entries : 32768;
	c->rule = *rule;
	c->free_head = c->lru_head = c->lru_tail = NIL;
	hashmap__init(&c->index, node_eq, c);
	if ((err = set_filters(c, cgroup, comm)) || (err = hashmap__reserve(&c->index, 1024))) {
		attr_cache__free(c);
		errno = -err;
		return NULL;
	}
	c->cg = calloc(CG_SLOTS, sizeof(*c->cg));	/* none: execs read /proc */
	snprintf(c->idle.service, sizeof(c->idle.service), "idle");
	c->idle.selected = !cgroup && !comm;
	c->idle.from_proc = true;
	return c;
}

void attr_cache__free(struct attr_cache *c)
{
	if (!c)
		return;
	if (c->has_comm)
		regfree(&c->comm_re);
	free(c->cgroup);
	free(c->nodes);
	free(c->cg);
	hashmap__release(&c->index);
	free(c);
}

int attr_cache__reconfigure(struct attr_cache *c, const struct attr_rule *rule,
			    const char *cgroup, const char *comm)
{
	int err = set_filters(c, cgroup, comm);

	if (err)
		return err;
	c->rule = *rule;
	c->idle.selected = !cgroup && !comm;
	for (int32_t i = c->lru_head; i != NIL; i = c->nodes[i].next)
		decide(c, &c->nodes[i].info);
	return 0;
}

/* Facts captured for (pid, start), in node i (NIL: a new one). */
static int keep(struct attr_cache *c, int32_t i, int pid, uint64_t start, struct proc_facts *f)
{
	if (i == NIL && (i = new_node(c, pid, start)) == NIL)
		return -ENOMEM;
	memo_learn(c, f);
	memo_recall(c, f);	/* a zombie has no executable left to read */
	c->nodes[i].info.facts = *f;
	c->nodes[i].info.from_proc = true;
	decide(c, &c->nodes[i].info);
	c->st.captures++;
	return 0;
}

int attr_cache__capture(struct attr_cache *c, int pid, uint64_t start, bool force)
{
	struct proc_facts f;
	int32_t i = lookup(c, pid, start);

	if (i != NIL && !force && c->nodes[i].info.from_proc)
		return 0;
	/* Reaped between two reads: as good as gone (the sample names it). */
	if (proc_facts__read(pid, start, &f) || (!f.kthread && !f.comm[0] && !f.exe[0]))
		return -ESRCH;
	return keep(c, i, pid, start, &f);
}

/* The cgroup path of pid, which exec'd in the set of cgroups the kernel
 * named set: from the cache, else one read of /proc/PID/cgroup. -ESRCH: gone. */
static int cgroup_of(struct attr_cache *c, int pid, uint64_t set, char *out, size_t len)
{
	uint64_t now = clock__mono_ns();
	struct cg_slot *slot = NULL;
	char path[64], buf[4096];

	if (c->cg && set) {
		slot = &c->cg[hash__fold(hash__fnv1a(HASH_FNV1A_SEED, &set, sizeof(set))) % CG_SLOTS];
		if (slot->set == set && slot->learnt_ns && now - slot->learnt_ns < CG_TTL_NS) {
			snprintf(out, len, "%s", slot->path);
			c->st.cgroup_hits++;
			return 0;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (proc__read(path, buf, sizeof(buf)) <= 0)
		return -ESRCH;
	pick_cgroup(buf, out, len);
	if (!slot)
		return 0;
	if (slot->set == set && !strcmp(slot->path, out)) {
		slot->learnt_ns = now;	/* a second read agrees, or a refresh */
	} else {
		slot->set = set;
		slot->learnt_ns = 0;
		snprintf(slot->path, sizeof(slot->path), "%s", out);
	}
	return 0;
}

int attr_cache__exec(struct attr_cache *c, int pid, uint64_t start, const char *comm,
		     const char *exe, uint64_t cgroups)
{
	struct proc_facts f;

	if (!comm[0])	/* the kernel did not say: /proc does */
		return attr_cache__capture(c, pid, start, true);
	memset(&f, 0, sizeof(f));
	copy(f.comm, sizeof(f.comm), comm, strnlen(comm, sizeof(f.comm) - 1));
	/* a memfd's name is no file's name: the comm is better */
	if (strncmp(exe, "memfd:", 6))
		copy(f.exe, sizeof(f.exe), exe, strnlen(exe, sizeof(f.exe) - 1));
	/* gone already (a short-lived process): what the kernel told is still
	 * more than its samples tell */
	if (cgroup_of(c, pid, cgroups, f.cgroup, sizeof(f.cgroup)) == 0)
		proc_facts__parse_cgroup(f.cgroup, &f);
	return keep(c, lookup(c, pid, start), pid, start, &f);
}

const struct attr_info *attr_cache__get(struct attr_cache *c, int pid, uint64_t start,
					const char *sample_comm)
{
	int32_t i;

	if (pid == 0)
		return &c->idle;
	i = lookup(c, pid, start);
	if (i != NIL) {
		lru_unlink(c, i);
		lru_push_front(c, i);
		return &c->nodes[i].info;
	}
	if (attr_cache__capture(c, pid, start, false) == 0)
		return &c->nodes[lookup(c, pid, start)].info;
	/* Gone before we could look: all that is left is the sample's thread name. */
	i = new_node(c, pid, start);
	if (i == NIL)
		return NULL;
	copy(c->nodes[i].info.facts.comm, sizeof(c->nodes[i].info.facts.comm), sample_comm,
	     strnlen(sample_comm, sizeof(c->nodes[i].info.facts.comm) - 1));
	memo_recall(c, &c->nodes[i].info.facts);
	c->nodes[i].info.exited = true;	/* gone: forget it with this window */
	decide(c, &c->nodes[i].info);
	c->st.fallbacks++;
	return &c->nodes[i].info;
}

void attr_cache__exited(struct attr_cache *c, int pid, uint64_t start)
{
	int32_t i = lookup(c, pid, start);

	if (i != NIL)
		c->nodes[i].info.exited = true;
}

static bool alive(int pid, uint64_t start)
{
	uint64_t st;

	return proc__start_ticks(pid, &st) == 0 && st == start;
}

size_t attr_cache__forget_exited(struct attr_cache *c, bool check_alive,
				 void (*forget)(void *ctx, int pid, uint64_t start), void *ctx)
{
	size_t n = 0;
	int32_t i = c->lru_head;

	while (i != NIL) {
		int32_t next = c->nodes[i].next;
		struct node *nd = &c->nodes[i];

		if (nd->info.exited || (check_alive && !alive(nd->pid, nd->start))) {
			if (forget)
				forget(ctx, nd->pid, nd->start);
			remove_node(c, i);
			n++;
		}
		i = next;
	}
	c->st.forgotten += n;
	return n;
}

void attr_cache__stats(const struct attr_cache *c, struct attr_stats *ret)
{
	*ret = c->st;
	ret->entries = c->count;
}
