// SPDX-License-Identifier: MIT
/* Drains are lossless because of two things: the BPF program reads `slot` once
 * per sample, and after flipping it we update a map-in-map, which makes the
 * kernel call synchronize_rcu(): every program that could still be writing to
 * the old slot has returned when the update does (perf_event programs run under
 * rcu_read_lock). Only then is the old slot read and cleared.
 * Stack records name a kernel stack id in the slot they were taken in, so a
 * drain consumes them after the flip and before that slot is cleared. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "profiler/cli.h"
#include "profiler/core/bpf_sync.h"
#include "profiler/core/kunwind.h"
#include "profiler/core/losses.h"
#include "profiler/core/sampler.h"
#include "profiler/core/slot_drain.h"
#include "sample.skel.h"

#define MAX_USER_FRAMES 1024
#define RING_MIN (4u << 20)
#define RING_MAX (128u << 20)
/* The kernel walk's ring carries only its fallbacks' copies and off-CPU
 * blocks: the copies come in a burst while userspace builds the tables of
 * a new process, which it does not read meanwhile: tens of ms, but a
 * library as big as libLLVM takes 100-300 ms (1/16 s lost 24-100 copies of
 * clang-14's at 499 Hz). So it holds 1/4 s of samples on every CPU,
 * 256 KiB (16 default windows) at least. Userspace maps it twice (the
 * wrap), and every page of both is resident: 4 MiB, the copy mode's least,
 * was 8 MiB of a 19 Hz agent's RSS, and 1 MiB still 2 MiB of it. */
#define RING_KWALK_MIN (256u << 10)
#define RING_KWALK_SECS_DIV 4

struct sampler {
	struct sampler_opts opts;
	struct sample_bpf *skel;
	struct ring_buffer *rb;
	int nr_possible;
	int *pfds;		/* per possible CPU, -1 when not open */
	struct bpf_link **links;
	int nr_open;
	int nr_cpus;		/* CPUs sampled, kept after sampler__stop() */
	struct bpf_sync sync;	/* waits out programs still on the old slot */
	uint32_t max_stacks;
	struct slot_cache stack_idx;	/* stack key -> index in the drain's raw_profile */
	uint64_t *values;	/* per-CPU value buffer */
	/* percpu_sum()'s batch: nr_sum elements of every CPU, and their keys */
	uint64_t *sum_values;
	__u32 *sum_keys;
	__u32 nr_sum;
	bool sum_no_batch;	/* the kernel has no batch lookup for arrays */
	/* sampler__map_bytes(): memlock of the maps whose size is fixed, by
	 * their order in the object, 0 until read */
	uint64_t *memlock;
	size_t nr_memlock;
	/* stack-copy mode */
	struct ring_buffer *rb_records;
	int epfd;
	struct raw_profile *pending;	/* unwound samples not drained yet */
	struct slot_cache pending_idx[CPROF_NR_SLOTS];	/* per slot: stack key -> index in pending */
	uint64_t *ips;
	int records_err;		/* first fatal error of a record callback */
	uint64_t lost[CPROF_NR_COUNTERS];	/* consumed but not stored: losses__unstored() */
	bool kernel_walk;		/* in-kernel unwinding on */
	const char *kernel_walk_off;	/* why it was asked for but is off */
};

/* The bench's knob (bench/kunwind-cost.sh): time each target sample in the
 * program into the CPROF_LAT_* counters. Off, the verifier drops the code. */
static bool time_samples_asked(void)
{
	const char *e = getenv(SAMPLER_LATENCY_ENV);

	return e && !strcmp(e, "1");
}

static int on_ringbuf(void *ctx, void *data, size_t len)
{
	struct sampler *s = ctx;
	const struct cprof_event *e = data;

	if (len < sizeof(*e))
		return 0;
	if (e->type != CPROF_EV_PYSTACK) {
		if (s->opts.on_event)
			s->opts.on_event(s->opts.ctx, e);
		return 0;
	}
	/* a Python stack's first sight: its code objects are read now */
	if (s->opts.on_py_stack && e->pad <= CPROF_PY_MAX_DEPTH &&
	    len >= sizeof(*e) + e->pad * sizeof(uint64_t))
		s->opts.on_py_stack(s->opts.ctx, e->tgid, e->start_ticks,
				    (const uint64_t *)(e + 1), e->pad);
	return 0;
}

/* The maps of one slot, as slot_drain reaches them. */
static struct slot_drain slot_maps(const struct sampler *s, unsigned int slot)
{
	struct slot_drain d = {
		.ops = &map_ops_bpf,
		.counts = (void *)(intptr_t)bpf_map__fd(slot ? s->skel->maps.counts1 :
							     s->skel->maps.counts0),
		.stacks = (void *)(intptr_t)bpf_map__fd(slot ? s->skel->maps.stacks1 :
							     s->skel->maps.stacks0),
		.pystacks = (void *)(intptr_t)bpf_map__fd(slot ? s->skel->maps.pystacks1 :
							       s->skel->maps.pystacks0),
		.nr_values = s->nr_possible,
	};

	return d;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct sampler *s = ctx;
	const struct cprof_stack_record *r = data;
	struct raw_sample rs = {0};
	struct slot_drain d;
	int n, err;

	if (len < sizeof(*r) || r->stack_len > len - sizeof(*r) || r->slot >= CPROF_NR_SLOTS)
		return 0;
	d = slot_maps(s, r->slot);
	rs.pid = r->tgid;
	rs.tid = r->tid;
	rs.start_ticks = r->start_ticks;
	memcpy(rs.comm, r->comm, sizeof(rs.comm));
	rs.comm[sizeof(rs.comm) - 1] = '\0';
	rs.state = r->state;
	if (r->state)
		rs.off_ns = r->value;	/* an off-CPU block: no CPU sample */
	else
		rs.count = 1;
	err = slot_drain__stack(&d, &s->pending_idx[r->slot], s->pending, r->kern_stack,
				r->kern_lost, &rs.kstack);
	if (!err)
		err = slot_drain__py_stack(&d, &s->pending_idx[r->slot], s->pending, r->py_stack,
					   r->py_lost, &rs);
	if (err)
		goto out_err;
	if (rs.pystack && s->opts.on_py_stack) {
		/* now, while the process most likely still runs */
		const struct raw_stack *py = raw_profile__stack(s->pending, rs.pystack - 1);

		s->opts.on_py_stack(s->opts.ctx, rs.pid, rs.start_ticks, py->ips, py->nr);
	}
	n = s->opts.unwind(s->opts.ctx, r, r + 1, s->ips, MAX_USER_FRAMES);
	if (n == -ENOMEM) {
		err = n;
		goto out_err;
	}
	rs.ustack = RAW_STACK_NONE;	/* no ip: as before, not shown as a loss */
	if (n > 0) {
		err = raw_profile__intern_stack(s->pending, s->ips, (uint32_t)n);
		if (err < 0)
			goto out_err;
		rs.ustack = err;
	}
	err = raw_profile__add(s->pending, &rs);
	if (err)
		goto out_err;
	return 0;

out_err:
	/* this record is consumed: its sample (or block) is lost, counted */
	losses__unstored(s->lost, rs.count, rs.state, rs.off_ns);
	if (!s->records_err)
		s->records_err = err;
	return err;
}

static int consume_records(struct sampler *s)
{
	int n;

	if (!s->rb_records)
		return 0;
	n = ring_buffer__consume(s->rb_records);
	if (s->records_err)
		return s->records_err;
	return n < 0 ? n : 0;
}

/* Moves the unwound samples into rp; pending starts over even when some
 * could not be stored (counted lost): kept, they would be merged twice. */
static int merge_pending(struct sampler *s, struct raw_profile *rp, int64_t *moved)
{
	struct raw_profile *fresh;
	int err = 0;

	if (!s->pending || !raw_profile__nr_samples(s->pending))
		return 0;
	fresh = raw_profile__new();	/* first: failing here consumes nothing */
	if (!fresh)
		return -ENOMEM;
	for (size_t i = 0; i < raw_profile__nr_samples(s->pending); i++) {
		struct raw_sample rs = *raw_profile__sample(s->pending, i);
		const struct raw_stack *u = raw_profile__stack(s->pending, rs.ustack);
		const struct raw_stack *k = raw_profile__stack(s->pending, rs.kstack);
		const struct raw_stack *py = raw_profile__stack(s->pending, raw_sample__pystack(&rs));
		int e = 0;
		int32_t pi = 0;

		if (u && (rs.ustack = raw_profile__intern_stack(rp, u->ips, u->nr)) < 0)
			e = -ENOMEM;
		if (!e && k && (rs.kstack = raw_profile__intern_stack(rp, k->ips, k->nr)) < 0)
			e = -ENOMEM;
		if (!e && py) {
			if ((pi = raw_profile__intern_stack(rp, py->ips, py->nr)) < 0)
				e = -ENOMEM;
			else
				rs.pystack = pi + 1;
		}
		if (!e)
			e = raw_profile__add(rp, &rs);
		if (e) {
			losses__unstored(s->lost, rs.count, rs.state, rs.off_ns);
			err = err ? err : e;
			continue;
		}
		*moved += rs.count;
	}
	raw_profile__free(s->pending);
	s->pending = fresh;
	for (int i = 0; i < CPROF_NR_SLOTS; i++)
		slot_cache__reset(&s->pending_idx[i]);
	return err;
}

static uint32_t ring_size(int nr_cpus, uint32_t window, unsigned int freq, bool kernel_walk)
{
	uint64_t per_cpu = kernel_walk ? freq / RING_KWALK_SECS_DIV + 1 : 32;
	/* a record holds the stack up to its top, not the window: the
	 * fallback's wide window is sized as the default one */
	uint64_t rec = (kernel_walk && window > CPROF_STACK_COPY_DEFAULT ?
			CPROF_STACK_COPY_DEFAULT : window) + sizeof(struct cprof_stack_record);
	uint64_t want = (uint64_t)nr_cpus * per_cpu * rec;
	uint32_t size = kernel_walk ? RING_KWALK_MIN : RING_MIN;

	while (size < want && size < RING_MAX)
		size *= 2;
	return size;
}

/* One epoll set for every ring the poll waits on: the event ring, the stack
 * ring (stack-copy modes) and whatever sampler__watch() adds. */
static int watch_ring(struct sampler *s, struct ring_buffer *rb)
{
	return sampler__watch(s, ring_buffer__epoll_fd(rb));
}

static int open_records(struct sampler *s)
{
	s->rb_records = ring_buffer__new(bpf_map__fd(s->skel->maps.ustacks), on_record, s, NULL);
	if (!s->rb_records)
		return -errno;
	return watch_ring(s, s->rb_records);
}

struct sampler *sampler__new(const struct sampler_opts *opts, const char **ret_what)
{
	struct sampler *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s) {
		*ret_what = "allocating the sampler";
		return NULL;
	}
	s->opts = *opts;
	bpf_sync__init(&s->sync);
	s->epfd = -1;
	s->max_stacks = opts->max_stacks ? opts->max_stacks : 16384;
	libbpf_set_print(opts->verbose ? cli__libbpf_print : cli__libbpf_quiet);

	s->nr_possible = libbpf_num_possible_cpus();
	if (s->nr_possible <= 0) {
		err = s->nr_possible ? s->nr_possible : -ENODEV;
		*ret_what = "counting CPUs";
		goto out_free;
	}
	s->pfds = malloc(s->nr_possible * sizeof(*s->pfds));
	s->links = calloc(s->nr_possible, sizeof(*s->links));
	s->values = calloc(s->nr_possible, sizeof(*s->values));
	if (!s->pfds || !s->links || !s->values || slot_cache__init(&s->stack_idx, s->max_stacks)) {
		err = -ENOMEM;
		*ret_what = "allocating the sampler";
		goto out_free;
	}
	for (int i = 0; i < s->nr_possible; i++)
		s->pfds[i] = -1;
	if (opts->stack_window) {
		if (!opts->unwind || opts->stack_window > CPROF_STACK_COPY_MAX) {
			err = -EINVAL;
			*ret_what = "configuring stack copies";
			goto out_free;
		}
		s->pending = raw_profile__new();
		s->ips = malloc(MAX_USER_FRAMES * sizeof(*s->ips));
		if (!s->pending || !s->ips || slot_cache__init(&s->pending_idx[0], s->max_stacks) ||
		    slot_cache__init(&s->pending_idx[1], s->max_stacks)) {
			err = -ENOMEM;
			*ret_what = "allocating the sampler";
			goto out_free;
		}
	}

	s->skel = sample_bpf__open();
	if (!s->skel) {
		err = -errno;
		*ret_what = "opening the BPF object";
		goto out_free;
	}
	s->skel->rodata->filter_targets = !opts->all;
	s->skel->rodata->include_idle = opts->idle;
	s->skel->rodata->follow_forks = opts->follow_forks;
	s->skel->rodata->exclude_tgid = opts->exclude_tgid;
	s->skel->rodata->python_on = !opts->no_python;
	s->skel->rodata->time_samples = time_samples_asked();
	/* an exec is held while the process is as likely as not to go
	 * unsampled (bpf/sample.bpf.c, exec_wait): half a sampling period */
	if (opts->freq)
		s->skel->rodata->exec_hold_ns = 500000000ull / opts->freq;
	if (opts->stack_window) {
		s->skel->rodata->copy_stacks = CPROF_UNWIND_COPY;
		s->skel->rodata->stack_window = opts->stack_window;
		/* a buffer per CPU and per kind of program (sample.bpf.c) */
		bpf_map__set_max_entries(s->skel->maps.stack_bufs, s->nr_possible * 2);
	}
	if (opts->stack_window && opts->kernel_walk) {
		uint64_t rows = opts->kernel_walk_bytes / sizeof(struct cprof_uw_row);

		/* the walker's loop is a bpf_loop callback: no helper, no walk */
		if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_loop, NULL) != 1) {
			s->kernel_walk_off = "this kernel has no bpf_loop (5.17 or later)";
		} else {
			s->kernel_walk = true;
			s->skel->rodata->copy_stacks = CPROF_UNWIND_KERNEL;
			bpf_map__set_max_entries(s->skel->maps.uw_rows,
						 rows < 1 ? 1 : rows > UINT32_MAX / 2 ? UINT32_MAX / 2 :
						 (uint32_t)rows);
		}
	}
	if (s->kernel_walk && opts->walk_window)
		s->skel->rodata->stack_window = opts->walk_window;
	if (opts->stack_window)
		bpf_map__set_max_entries(s->skel->maps.ustacks,
					 ring_size(s->nr_possible, s->skel->rodata->stack_window,
						   opts->freq, s->kernel_walk));
	/* every user page fault of the machine would call it: only the kernel
	 * walk needs it */
	if (!s->kernel_walk)
		bpf_program__set_autoload(s->skel->progs.cprof_uw_fault, false);
	bpf_map__set_max_entries(s->skel->maps.stacks0,
				 opts->stack_entries ? opts->stack_entries : s->max_stacks);
	bpf_map__set_max_entries(s->skel->maps.stacks1,
				 opts->stack_entries ? opts->stack_entries : s->max_stacks);
	bpf_map__set_max_entries(s->skel->maps.counts0, s->max_stacks);
	bpf_map__set_max_entries(s->skel->maps.counts1, s->max_stacks);
	/* a Python stack is 1.5 KiB: a quarter as many (no room at all for
	 * --no-python, where they stay empty) */
	for (int i = 0; i < CPROF_NR_SLOTS; i++)
		bpf_map__set_max_entries(i ? s->skel->maps.pystacks1 : s->skel->maps.pystacks0,
					 opts->no_python ? 1 :
					 s->max_stacks / 4 > 1024 ? s->max_stacks / 4 : 1024);
	if (opts->off_cpu) {
		s->skel->rodata->off_cpu_min_ns = opts->off_cpu_min_ns;
		s->skel->rodata->off_cpu_ppm = opts->off_cpu_ppm ? opts->off_cpu_ppm : 1000000;
	} else {
		/* not even loaded: sched_switch and sys_exit stay free of cprof */
		bpf_program__set_autoload(s->skel->progs.cprof_offcpu_switch, false);
		bpf_program__set_autoload(s->skel->progs.cprof_offcpu_sys_exit, false);
		bpf_map__set_max_entries(s->skel->maps.offcpu_starts, 1);
	}

	err = sample_bpf__load(s->skel);
	if (err) {
		*ret_what = "loading the BPF programs";
		goto out_free;
	}
	err = bpf_sync__open(&s->sync, "cprof_sync");
	if (err) {
		*ret_what = "creating the synchronisation map";
		goto out_free;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_ringbuf, s, NULL);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	err = !s->rb || s->epfd < 0 ? -errno : watch_ring(s, s->rb);
	if (err) {
		*ret_what = "opening the event ring buffer";
		goto out_free;
	}
	if (opts->stack_window && (err = open_records(s))) {
		*ret_what = "opening the stack ring buffer";
		goto out_free;
	}
	return s;

out_free:
	sampler__free(s);
	errno = -err;
	return NULL;
}

void sampler__free(struct sampler *s)
{
	if (!s)
		return;
	sampler__stop(s);
	ring_buffer__free(s->rb);
	ring_buffer__free(s->rb_records);
	if (s->epfd >= 0)
		close(s->epfd);
	raw_profile__free(s->pending);
	for (int i = 0; i < CPROF_NR_SLOTS; i++)
		slot_cache__release(&s->pending_idx[i]);
	free(s->ips);
	sample_bpf__destroy(s->skel);
	bpf_sync__release(&s->sync);
	free(s->pfds);
	free(s->links);
	slot_cache__release(&s->stack_idx);
	free(s->values);
	free(s->sum_values);
	free(s->sum_keys);
	free(s->memlock);
	free(s);
}

int sampler__add_target(struct sampler *s, uint32_t tgid)
{
	__u8 one = 1;

	if (bpf_map__update_elem(s->skel->maps.targets, &tgid, sizeof(tgid), &one,
				 sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}

static int open_perf_event(const struct sampler_opts *o, int cpu)
{
	struct perf_event_attr attr = {0};

	attr.size = sizeof(attr);
	if (o->cycles) {
		attr.type = PERF_TYPE_HARDWARE;
		attr.config = PERF_COUNT_HW_CPU_CYCLES;
		attr.freq = 1;
		attr.sample_freq = o->freq;
	} else {
		/* A fixed period in ns: exact 1/Hz spacing, and period = 1e9/Hz in the pprof. */
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_CPU_CLOCK;
		attr.sample_period = 1000000000ULL / o->freq;
	}
	return syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

int sampler__start(struct sampler *s, const char **ret_what)
{
	int err;

	err = sample_bpf__attach(s->skel);
	if (err) {
		*ret_what = "attaching the process tracepoints";
		return err;
	}

	for (int cpu = 0; cpu < s->nr_possible; cpu++) {
		int fd = open_perf_event(&s->opts, cpu);

		if (fd < 0) {
			if (errno == ENODEV)	/* offline CPU */
				continue;
			err = -errno;
			*ret_what = s->opts.cycles ? "opening the cycles perf event" :
						     "opening the cpu-clock perf event";
			goto out_stop;
		}
		s->pfds[cpu] = fd;
		s->links[cpu] = bpf_program__attach_perf_event(s->skel->progs.cprof_sample, fd);
		if (!s->links[cpu]) {
			err = -errno;
			*ret_what = "attaching to the perf event";
			goto out_stop;
		}
		s->nr_open++;
	}
	s->nr_cpus = s->nr_open;
	if (!s->nr_open) {
		*ret_what = "finding an online CPU";
		err = -ENODEV;
		goto out_stop;
	}
	return 0;

out_stop:
	sampler__stop(s);
	return err;
}

void sampler__stop(struct sampler *s)
{
	for (int cpu = 0; cpu < s->nr_possible; cpu++) {
		bpf_link__destroy(s->links[cpu]);
		s->links[cpu] = NULL;
		if (s->pfds[cpu] >= 0)
			close(s->pfds[cpu]);
		s->pfds[cpu] = -1;
	}
	s->nr_open = 0;
}

int sampler__nr_cpus(const struct sampler *s)
{
	return s->nr_cpus;
}

int sampler__watch(struct sampler *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int sampler__poll(struct sampler *s, int timeout_ms)
{
	struct epoll_event ev[4];
	int n, err;

	n = epoll_wait(s->epfd, ev, 4, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -errno;
	/* events first: a record's process is then known, its exec seen */
	n = ring_buffer__consume(s->rb);
	if (n < 0)
		return n == -EINTR ? 0 : n;
	err = s->rb_records ? consume_records(s) : 0;
	return err ? err : n;
}

int64_t sampler__drain(struct sampler *s, struct raw_profile *rp)
{
	unsigned int old;
	struct slot_drain d;
	int64_t moved = 0, n;
	int err = bpf_sync__flip(&s->sync, &s->skel->bss->slot, &old);

	if (err)
		return err;	/* nothing consumed; the next drain takes it */
	d = slot_maps(s, old);

	if (s->rb_records) {
		/* every record of the old slot is in the ring now; their
		 * processes' events first. Go on after an error: the slot is
		 * drained all the same, nothing is kept to be counted twice. */
		ring_buffer__consume(s->rb);
		err = consume_records(s);
		n = merge_pending(s, rp, &moved);
		err = err ? err : (int)n;
	}
	n = slot_drain__run(&d, &s->stack_idx, rp, s->lost);
	if (n < 0)
		return err ? err : n;
	slot_cache__reset(&s->pending_idx[old]);	/* the slot's stack map is empty now */
	return err ? err : moved + n;
}

/* Room for n elements of every CPU in percpu_sum()'s batch. */
static int sum_reserve(struct sampler *s, __u32 n)
{
	uint64_t *v;
	__u32 *k;

	if (n <= s->nr_sum)
		return 0;
	v = realloc(s->sum_values, (size_t)n * s->nr_possible * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->sum_values = v;
	k = realloc(s->sum_keys, n * sizeof(*k));
	if (!k)
		return -ENOMEM;
	s->sum_keys = k;
	s->nr_sum = n;
	return 0;
}

/* ret[i] = the sum over CPUs of element i of a per-CPU array of n __u64.
 * One batch lookup for all n (each drain reads about a hundred counters:
 * a syscall apiece was most of the agent's bpf() calls); element by
 * element on a kernel without batch lookups on arrays (before 5.6). */
static int percpu_sum(struct sampler *s, int fd, uint64_t *ret, __u32 n)
{
	__u32 count = n, out;
	int err;

	if (!n)
		return 0;
	if (!s->sum_no_batch) {
		err = sum_reserve(s, n);
		if (err)
			return err;
		/* from key 0; -ENOENT when the array ends before n */
		err = bpf_map_lookup_batch(fd, NULL, &out, s->sum_keys, s->sum_values, &count,
					   NULL) ? -errno : 0;
		if ((!err || err == -ENOENT) && count == n) {
			for (__u32 i = 0; i < n; i++) {
				const uint64_t *v = s->sum_values + (size_t)i * s->nr_possible;

				ret[i] = 0;
				for (int c = 0; c < s->nr_possible; c++)
					ret[i] += v[c];
			}
			return 0;
		}
		/* ENOTSUPP (524) is the kernel's own, not in errno.h */
		if (err != -EINVAL && err != -EOPNOTSUPP && err != -524)
			return err ? err : -ENOENT;
		s->sum_no_batch = true;
	}
	for (__u32 i = 0; i < n; i++) {
		ret[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, s->values))
			return -errno;
		for (int c = 0; c < s->nr_possible; c++)
			ret[i] += s->values[c];
	}
	return 0;
}

int sampler__counters(struct sampler *s, uint64_t ret[CPROF_NR_COUNTERS])
{
	/* the histogram's hundreds of lookups only when it is on */
	__u32 n = s->skel->rodata->time_samples ? CPROF_NR_COUNTERS : CPROF_LAT_NS;
	int err = percpu_sum(s, bpf_map__fd(s->skel->maps.counters), ret, n);

	if (err)
		return err;
	memset(ret + n, 0, (CPROF_NR_COUNTERS - n) * sizeof(*ret));
	for (int i = 0; i < CPROF_NR_COUNTERS; i++)
		ret[i] += s->lost[i];
	return 0;
}

int sampler__kunwind_maps(struct sampler *s, struct kunwind_maps *ret, const char **ret_why)
{
	*ret_why = s->kernel_walk_off;
	if (!s->kernel_walk)
		return -EOPNOTSUPP;
	ret->rows_fd = bpf_map__fd(s->skel->maps.uw_rows);
	ret->max_rows = bpf_map__max_entries(s->skel->maps.uw_rows);
	ret->procs_fd = bpf_map__fd(s->skel->maps.uw_procs);
	return 0;
}

static uint64_t map_memlock(int fd)
{
	unsigned long long v = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Whether a map's memory is all allocated when it is made: then its
 * memlock, read once, holds (the agent asks every second, and reading each
 * map's fdinfo was a tenth of its syscalls). Hashes without preallocation
 * grow and shrink with their entries; read those each time. */
static bool memlock_fixed(const struct bpf_map *m)
{
	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_STACK_TRACE:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return true;
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return !(bpf_map__map_flags(m) & BPF_F_NO_PREALLOC);
	default:
		return false;
	}
}

void sampler__map_bytes(struct sampler *s, uint64_t ret[SAMPLER_NR_MAP_KINDS])
{
	static const struct { const char *prefix; enum sampler_map_kind kind; } kinds[] = {
		{ "uw_rows", SAMPLER_MAPS_TABLES }, { "uw_procs", SAMPLER_MAPS_TABLES },
		{ "stacks", SAMPLER_MAPS_STACKS }, { "pystacks", SAMPLER_MAPS_STACKS },
		{ "stack_", SAMPLER_MAPS_STACKS }, { "uw_bufs", SAMPLER_MAPS_STACKS },
		{ "ustacks", SAMPLER_MAPS_STACKS }, { "counts", SAMPLER_MAPS_COUNTS },
	};
	struct bpf_map *m;
	size_t nr = 0, i = 0;

	memset(ret, 0, SAMPLER_NR_MAP_KINDS * sizeof(*ret));
	if (!s->memlock) {
		bpf_object__for_each_map(m, s->skel->obj)
			nr++;
		s->memlock = calloc(nr, sizeof(*s->memlock));
		s->nr_memlock = s->memlock ? nr : 0;	/* no memory: read them all */
	}
	bpf_object__for_each_map(m, s->skel->obj) {
		enum sampler_map_kind k = SAMPLER_MAPS_OTHER;
		int fd = bpf_map__fd(m);
		uint64_t *cached = i < s->nr_memlock ? &s->memlock[i] : NULL, v;

		i++;
		if (fd < 0)
			continue;
		for (size_t j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
			if (!strncmp(bpf_map__name(m), kinds[j].prefix, strlen(kinds[j].prefix))) {
				k = kinds[j].kind;
				break;
			}
		if (cached && *cached) {
			ret[k] += *cached;
			continue;
		}
		v = map_memlock(fd);
		ret[k] += v;
		if (cached && memlock_fixed(m))
			*cached = v;
	}
}

void sampler__prog_stats(struct sampler *s, uint64_t *ret_runs, uint64_t *ret_ns)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	*ret_runs = *ret_ns = 0;
	if (bpf_obj_get_info_by_fd(bpf_program__fd(s->skel->progs.cprof_sample), &info, &len))
		return;
	*ret_runs = info.run_cnt;
	*ret_ns = info.run_time_ns;
}

int sampler__uw_counts(struct sampler *s, uint64_t ret[CPROF_UWC_NR])
{
	return percpu_sum(s, bpf_map__fd(s->skel->maps.uw_counts), ret, CPROF_UWC_NR);
}

int sampler__set_python(struct sampler *s, uint32_t tgid, const struct cprof_py_proc *p)
{
	int fd = bpf_map__fd(s->skel->maps.py_procs);

	if (!p)
		return bpf_map_delete_elem(fd, &tgid) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, &tgid, p, BPF_ANY) ? -errno : 0;
}

int sampler__python_counts(struct sampler *s, uint64_t ret[CPROF_PYC_NR * CPROF_PY_NR_MINORS])
{
	return percpu_sum(s, bpf_map__fd(s->skel->maps.py_counts), ret,
			  CPROF_PYC_NR * CPROF_PY_NR_MINORS);
}
