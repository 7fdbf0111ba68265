// SPDX-License-Identifier: MIT
/* The perf side of mmap_events.h. Records of one pump are gathered from all
 * rings, then applied sorted by their time (the sample_id trailer): a child
 * may fork on one CPU and exec on another, and its exec must come before the
 * mmaps of the new image. */
#define _GNU_SOURCE
#include "profiler/core/mmap_events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

#include "profiler/core/perf_ring.h"

#define DEFAULT_DATA_PAGES 64

struct cpu_ring {
	int fd;
	void *base;
	size_t len;
	struct perf_ring ring;
};

struct pending {
	uint64_t time;
	uint64_t seq;	/* keeps one ring's order among equal times */
	size_t off;	/* into buf */
};

struct mmap_events {
	struct sym_session *sym;
	struct sym_proc_events *pe;
	struct cpu_ring *cpus;
	int nr_cpus;
	/* one pump's records */
	uint8_t *buf;
	size_t buf_len, buf_cap;
	struct pending *pend;
	size_t nr_pend, cap_pend;
	bool pumping;
	struct mmap_events_listener l;
	struct mmap_events_stats stats;
};

/* The records as the kernel lays them out (perf_event.h describes them in
 * comments only), before the sample_id trailer. */
struct rec_task {	/* FORK, EXIT */
	struct perf_event_header h;
	uint32_t pid, ppid, tid, ptid;
	uint64_t time;
};

struct rec_comm {
	struct perf_event_header h;
	uint32_t pid, tid;
	char comm[];
};

struct rec_mmap2 {
	struct perf_event_header h;
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	union {
		struct {
			uint32_t maj, min;
			uint64_t ino, ino_generation;
		};
		struct {
			uint8_t build_id_size;
			uint8_t reserved1;
			uint16_t reserved2;
			uint8_t build_id[20];
		};
	};
	uint32_t prot, flags;
	char filename[];
};

struct rec_lost {
	struct perf_event_header h;
	uint64_t id, lost;
};

#define TRAILER 16	/* sample_id: u32 pid, tid; u64 time */

static void apply(struct mmap_events *me, const struct perf_event_header *h)
{
	const char *end = (const char *)h + h->size - TRAILER;
	int err = 0;

	switch (h->type) {
	case PERF_RECORD_MMAP2: {
		const struct rec_mmap2 *r = (const void *)h;
		struct sym_proc_events_map m = { .start = r->addr, .len = r->len, .pgoff = r->pgoff,
						 .prot = r->prot, .path = r->filename };

		if (h->size < sizeof(*r) + TRAILER || !memchr(r->filename, '\0', end - r->filename))
			goto out_bad;
		if (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
			m.build_id = r->build_id;
			m.build_id_size = r->build_id_size;
		} else {
			m.maj = r->maj;
			m.min = r->min;
			m.ino = r->ino;
		}
		if ((int)r->pid > 0)
			err = sym_proc_events__mmap(me->pe, (int)r->pid, &m);
		/* perf names anonymous memory "//anon" */
		if (!err && (int)r->pid > 0 && (r->prot & PROT_EXEC) && me->l.mapped)
			me->l.mapped(me->l.ctx, (int)r->pid, &m, !strcmp(r->filename, "//anon") ||
				     !strcmp(r->filename, "/anon_hugepage"));
		break;
	}
	case PERF_RECORD_COMM: {
		const struct rec_comm *r = (const void *)h;

		if (h->size < sizeof(*r) + TRAILER || !memchr(r->comm, '\0', end - r->comm))
			goto out_bad;
		if (r->pid != r->tid)
			break;
		if (h->misc & PERF_RECORD_MISC_COMM_EXEC) {
			err = sym_proc_events__exec(me->pe, (int)r->pid, r->comm);
			if (me->l.exec)
				me->l.exec(me->l.ctx, (int)r->pid);
		} else
			err = sym_proc_events__comm(me->pe, (int)r->pid, r->comm);
		break;
	}
	case PERF_RECORD_FORK: {
		const struct rec_task *r = (const void *)h;

		if (h->size < sizeof(*r))
			goto out_bad;
		if (r->pid != r->ppid)	/* a new process, not a thread */
			err = sym_proc_events__fork(me->pe, (int)r->pid, (int)r->ppid, r->time);
		break;
	}
	case PERF_RECORD_EXIT: {
		const struct rec_task *r = (const void *)h;

		if (h->size < sizeof(*r))
			goto out_bad;
		if (r->pid == r->tid)
			err = sym_proc_events__exit(me->pe, (int)r->pid);
		break;
	}
	case PERF_RECORD_LOST: {
		const struct rec_lost *r = (const void *)h;

		if (h->size < sizeof(*r))
			goto out_bad;
		me->stats.lost += r->lost;
		return;
	}
	default:
		return;
	}
	if (err)
		me->stats.failed++;
	else
		me->stats.records++;
	return;
out_bad:
	me->stats.failed++;
}

/* perf_ring callback: keep a copy, applied in time order once all rings are read. */
static void gather(void *ctx, const struct perf_event_header *h)
{
	struct mmap_events *me = ctx;
	uint64_t time = 0;

	if (h->size >= sizeof(*h) + TRAILER)
		memcpy(&time, (const uint8_t *)h + h->size - sizeof(time), sizeof(time));
	if (me->buf_len + h->size > me->buf_cap) {
		size_t cap = me->buf_cap ? me->buf_cap : 65536;
		uint8_t *b;

		while (cap < me->buf_len + h->size)
			cap *= 2;
		b = realloc(me->buf, cap);
		if (!b)
			goto out_failed;
		me->buf = b;
		me->buf_cap = cap;
	}
	if (me->nr_pend == me->cap_pend) {
		size_t cap = me->cap_pend ? 2 * me->cap_pend : 1024;
		struct pending *p = realloc(me->pend, cap * sizeof(*p));

		if (!p)
			goto out_failed;
		me->pend = p;
		me->cap_pend = cap;
	}
	memcpy(me->buf + me->buf_len, h, h->size);
	me->pend[me->nr_pend] = (struct pending){ .time = time, .seq = me->nr_pend, .off = me->buf_len };
	me->nr_pend++;
	me->buf_len += (h->size + 7) & ~7u;
	return;
out_failed:
	me->stats.failed++;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int mmap_events__pump(struct mmap_events *me)
{
	int n;

	if (!me || me->pumping)
		return 0;
	me->pumping = true;
	me->buf_len = 0;
	me->nr_pend = 0;
	for (int i = 0; i < me->nr_cpus; i++) {
		uint64_t corrupt = me->cpus[i].ring.corrupt;

		if (perf_ring__consume(&me->cpus[i].ring, gather, me) < 0)
			me->stats.failed++;
		me->stats.failed += me->cpus[i].ring.corrupt - corrupt;
	}
	if (me->nr_pend)	/* qsort(NULL, 0) is undefined: nothing was pending */
		qsort(me->pend, me->nr_pend, sizeof(*me->pend), cmp_pending);
	for (size_t i = 0; i < me->nr_pend; i++)
		apply(me, (const struct perf_event_header *)(me->buf + me->pend[i].off));
	n = (int)me->nr_pend;
	me->pumping = false;
	if (n && me->l.pumped)
		me->l.pumped(me->l.ctx);
	return n;
}

static int pump_cb(void *ctx)
{
	return mmap_events__pump(ctx);
}

static void forget_cb(void *ctx, int pid, uint64_t start_ticks, bool estimated)
{
	struct mmap_events *me = ctx;

	if (sym_session__remove_process(me->sym, pid, start_ticks) && estimated && start_ticks)
		sym_session__remove_process(me->sym, pid, start_ticks - 1);
}

void mmap_events__forget_in_symbolizer(struct mmap_events *me)
{
	if (me)
		sym_proc_events__on_forget(me->pe, forget_cb, me);
}

void mmap_events__listen(struct mmap_events *me, const struct mmap_events_listener *l)
{
	if (!me)
		return;
	if (l)
		me->l = *l;
	else
		memset(&me->l, 0, sizeof(me->l));
}

void mmap_events__flush(struct mmap_events *me)
{
	if (me)
		sym_proc_events__flush(me->pe);
}

void mmap_events__stats(const struct mmap_events *me, struct mmap_events_stats *ret)
{
	struct sym_proc_events_stats ps;

	memset(ret, 0, sizeof(*ret));
	if (!me)
		return;
	*ret = me->stats;
	ret->nr_cpus = me->nr_cpus;
	sym_proc_events__stats(me->pe, &ps);
	ret->processes = ps.processes;
	ret->forks = ps.forks;
	ret->execs = ps.execs;
	ret->exits = ps.exits;
	ret->mmaps = ps.mmaps;
}

/* wakeup_bytes: a poll waiting on the fd (mmap_events__fd) ends once the
 * ring holds that much: a burst of processes is read before the ring fills,
 * however long the poll would wait otherwise. */
static int open_dummy(int cpu, bool build_id, uint32_t wakeup_bytes)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
		.sample_id_all = 1,
		.mmap = 1,
		.mmap2 = 1,
		.comm = 1,
		.comm_exec = 1,
		.task = 1,
		.build_id = build_id,
		.use_clockid = 1,
		.clockid = CLOCK_BOOTTIME, /* the clock of a process's start time */
		.watermark = 1,
		.wakeup_watermark = wakeup_bytes,
	};

	return (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

struct mmap_events *mmap_events__new(struct sym_session *sym, size_t data_pages,
				     const char **ret_what)
{
	struct sym_proc_events_opts po = { .read_proc = true };
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct mmap_events *me;
	bool build_id = true;
	int err;

	if (!data_pages)
		data_pages = DEFAULT_DATA_PAGES;
	if (data_pages & (data_pages - 1)) {
		*ret_what = "sizing the mapping event rings";
		errno = EINVAL;
		return NULL;
	}
	me = calloc(1, sizeof(*me));
	if (!me || ncpu <= 0)
		goto out_nomem;
	me->sym = sym;
	me->cpus = calloc((size_t)ncpu, sizeof(*me->cpus));
	me->pe = sym_proc_events__new(&po);
	if (!me->cpus || !me->pe)
		goto out_nomem;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct cpu_ring *c = &me->cpus[me->nr_cpus];
		uint32_t wakeup = (uint32_t)(data_pages * page / 4);
		int fd = open_dummy(cpu, build_id, wakeup);

		if (fd < 0 && errno == EINVAL && build_id) {
			build_id = false;	/* before 5.12: inodes instead of build-ids */
			fd = open_dummy(cpu, build_id, wakeup);
		}
		if (fd < 0) {
			if (errno == ENODEV)	/* offline CPU */
				continue;
			err = -errno;
			*ret_what = "opening the mapping events (perf dummy event)";
			goto out_free;
		}
		c->fd = fd;
		c->len = (1 + data_pages) * page;
		c->base = mmap(NULL, c->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (c->base == MAP_FAILED) {
			err = -errno;
			close(fd);
			*ret_what = "mapping the mapping event ring";
			goto out_free;
		}
		perf_ring__init(&c->ring, c->base, page, (uint64_t)data_pages * page);
		me->nr_cpus++;
	}
	if (!me->nr_cpus) {
		err = -ENODEV;
		*ret_what = "finding an online CPU";
		goto out_free;
	}
	sym_session__set_proc_events(sym, me->pe, pump_cb, me);
	return me;

out_nomem:
	err = -ENOMEM;
	*ret_what = "allocating the mapping events";
out_free:
	if (me)
		me->sym = NULL;
	mmap_events__free(me);
	errno = -err;
	return NULL;
}

int mmap_events__fd(const struct mmap_events *me, int i)
{
	return me && i >= 0 && i < me->nr_cpus ? me->cpus[i].fd : -1;
}

void mmap_events__free(struct mmap_events *me)
{
	if (!me)
		return;
	if (me->sym)
		sym_session__set_proc_events(me->sym, NULL, NULL, NULL);
	for (int i = 0; i < me->nr_cpus; i++) {
		perf_ring__release(&me->cpus[i].ring);
		munmap(me->cpus[i].base, me->cpus[i].len);
		close(me->cpus[i].fd);
	}
	free(me->cpus);
	sym_proc_events__free(me->pe);
	free(me->buf);
	free(me->pend);
	free(me);
}
