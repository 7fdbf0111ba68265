// SPDX-License-Identifier: MIT
/* python: see python.h. An exec'd process is looked at again from polls,
 * at the first after its exec, then 0.2, 0.6, 1.4, 3.0, 4.6 and 6.2 s on
 * (7 looks where 50 were, 100 ms apart), and from its
 * samples every 5 ms (PYTHON_MAX_TRIES looks in all at most): at the exec
 * event the kernel has mapped the python binary but ld.so may not yet have
 * mapped libpython, where _PyRuntime is (--unwind auto holds the event
 * until the process is sampled or has lived half a sampling period, other
 * modes do not), and a program
 * embedding Python may load it later still. A process being sampled is looked at from its
 * samples; the polls, backing off, are for the others. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "profiler/core/python.h"

#include "base/clock.h"

#define PYTHON_MAX_TRIES	50
#define PYTHON_RETRY_NS		(5 * 1000000LL)	/* between two looks from samples */
#define PYTHON_POLL_NS		(100 * 1000000LL) /* between the first two looks from polls */
#define PYTHON_POLL_SHIFT_MAX	4		/* ... doubling up to 16 times that */
#define PYTHON_MAX_POLLS	7		/* looks from polls */

void python__init(struct python *py, struct sym_python *sym, python_set_fn set, void *ctx)
{
	memset(py, 0, sizeof(*py));
	py->sym = sym;
	py->set = set;
	py->ctx = ctx;
}

static void count_unknown(struct python *py, const char *version, uint64_t n)
{
	size_t i;

	for (i = 0; i < py->nunknown; i++)
		if (!strcmp(py->unknown[i].version, version))
			break;
	if (i == py->nunknown) {
		if (py->nunknown == PYTHON_MAX_VERSIONS)
			i = PYTHON_MAX_VERSIONS - 1;	/* the last one takes the rest */
		else
			snprintf(py->unknown[py->nunknown++].version, sizeof(py->unknown[0].version),
				 "%s", version);
	}
	py->unknown[i].samples += n;
}

/* 1: found (pushed, or unknown), 0: not Python, -EAGAIN: try again later,
 * -ESRCH: gone (its maps cannot be read again). */
static int look(struct python *py, uint32_t pid, uint64_t start, bool last_try)
{
	struct cprof_py_proc p;
	char version[8] = "";
	int err;

	/* the kernel's mapping events already tell: a read of /proc/PID/maps
	 * for each look at each exec'd process was most of a whole-machine
	 * agent's system time */
	if (py->may && !py->may(py->ctx, pid, start))
		return 0;
	err = sym_python__add_process(py->sym, (int)pid, start, &p, version, sizeof(version));

	if (err == 1) {
		if (py->set(py->ctx, pid, &p))
			py->set_failures++;
		return 1;
	}
	if (err == -EAGAIN && !last_try)
		return -EAGAIN;
	if (err == -ESRCH)
		return -ESRCH;
	return err == -ENOTSUP || err == -EAGAIN ? 1 : 0;
}

static void add_pending(struct python *py, uint32_t pid, uint64_t start)
{
	for (size_t i = 0; i < py->npending; i++)
		if (py->pending[i].pid == pid) {
			py->pending[i] = (struct python_pending){ .pid = pid, .start_ticks = start };
			return;
		}
	if (py->npending < PYTHON_MAX_PENDING)
		py->pending[py->npending++] =
			(struct python_pending){ .pid = pid, .start_ticks = start };
}

static void drop_pending(struct python *py, size_t i)
{
	py->pending[i] = py->pending[--py->npending];
}

/* The process's image is gone: its entry leaves the kernel. Only a process
 * found to be Python has one (pushed by look()), so most processes cost no
 * system call here; a stale entry of a pid reused after a lost exit event
 * names another start time, which the BPF walk checks. */
static void forget(struct python *py, const struct cprof_event *e)
{
	if (!sym_python__live(py->sym, (int)e->tgid, e->start_ticks))
		return;
	py->set(py->ctx, e->tgid, NULL);
	sym_python__remove_process(py->sym, (int)e->tgid, e->start_ticks);
}

void python__on_event(struct python *py, const struct cprof_event *e)
{
	int r;

	if (!py->set)
		return;
	switch (e->type) {
	case CPROF_EV_NEW:
	case CPROF_EV_FORK:
	case CPROF_EV_EXEC:
		if (e->type == CPROF_EV_EXEC)
			forget(py, e);	/* the old image is gone */
		r = look(py, e->tgid, e->start_ticks, false);
		/* not Python yet right after an exec: ld.so may still be
		 * mapping; once the program ran its own code, it is done */
		if (r == -EAGAIN || (e->type == CPROF_EV_EXEC && r != -ESRCH &&
				     !(e->pad & CPROF_EXEC_STARTED)))
			add_pending(py, e->tgid, e->start_ticks);
		break;
	case CPROF_EV_EXIT:
		forget(py, e);
		/* no more looks: each one reads /proc/PID/maps, up to
		 * PYTHON_MAX_TRIES times for a short-lived process */
		for (size_t i = 0; i < py->npending; i++)
			if (py->pending[i].pid == e->tgid &&
			    py->pending[i].start_ticks == e->start_ticks) {
				drop_pending(py, i);
				break;
			}
		break;
	}
}

/* One more look at pending[i] (from a poll, or from a sample); true when it
 * is settled (and removed). */
static bool try_pending(struct python *py, size_t i, int64_t now, bool poll)
{
	struct python_pending *p = &py->pending[i];
	bool last = ++p->tries >= PYTHON_MAX_TRIES || (poll && ++p->polls >= PYTHON_MAX_POLLS);
	int r = sym_python__live(py->sym, (int)p->pid, p->start_ticks) ? 1 :
		look(py, p->pid, p->start_ticks, last);

	if (poll)
		p->last_poll_ns = now;
	else
		p->last_ns = now;
	/* not Python yet after an exec: ld.so may still be mapping (a process
	 * that is gone settles now, its exit event may not have come yet) */
	if (r == -EAGAIN || (r == 0 && !last))
		return false;
	drop_pending(py, i);
	return true;
}

static int64_t poll_due(const struct python_pending *p)
{
	int shift = p->polls < PYTHON_POLL_SHIFT_MAX ? p->polls : PYTHON_POLL_SHIFT_MAX;

	return p->last_poll_ns + (PYTHON_POLL_NS << shift);
}

int64_t python__next_poll_ns(const struct python *py)
{
	int64_t due = INT64_MAX;

	for (size_t i = 0; i < py->npending; i++) {
		int64_t d = poll_due(&py->pending[i]);

		if (d < due)
			due = d;
	}
	return due;
}

void python__poll(struct python *py)
{
	int64_t now = clock__mono_ns();

	/* a poll comes with every wake-up of the session, many a second on a
	 * busy machine: a process is looked at again only once its last look
	 * from a poll is PYTHON_POLL_NS old, doubling with each */
	for (size_t i = 0; i < py->npending;) {
		if (now < poll_due(&py->pending[i]) || !try_pending(py, i, now, true))
			i++;
	}
}

void python__on_sample(struct python *py, uint32_t pid)
{
	int64_t now;

	if (!py->npending)
		return;
	now = clock__mono_ns();
	for (size_t i = 0; i < py->npending; i++)
		if (py->pending[i].pid == pid) {
			/* the samples of a starting interpreter come faster than polls */
			if (now - py->pending[i].last_ns >= PYTHON_RETRY_NS)
				try_pending(py, i, now, false);
			return;
		}
}

void python__note(struct python *py, uint32_t pid, uint64_t start_ticks,
		  const uint64_t *frames, uint32_t n)
{
	sym_python__note(py->sym, (int)pid, start_ticks, frames, n);
}

void python__drained(struct python *py, const struct raw_profile *rp)
{
	size_t n = raw_profile__nr_samples(rp);

	if (!py->set)
		return;
	for (size_t i = py->noted_upto; i < n; i++) {
		const struct raw_sample *s = raw_profile__sample(rp, i);
		const struct raw_stack *st = raw_profile__stack(rp, raw_sample__pystack(s));
		const char *v;

		if (st) {
			python__note(py, s->pid, s->start_ticks, st->ips, st->nr);
			continue;
		}
		v = sym_python__version(py->sym, (int)s->pid, s->start_ticks);
		if (v && !sym_python__known(py->sym, (int)s->pid, s->start_ticks))
			count_unknown(py, v, s->count);
	}
	/* a sample already seen only adds to its count: noted once is enough */
	py->noted_upto = n;
	sym_python__next_generation(py->sym);
}

void python__reset(struct python *py)
{
	py->noted_upto = 0;
}

static void put(struct loss_py_count *ret, size_t max, size_t *n, enum loss_py_reason why,
		const char *version, uint64_t v)
{
	if (!v || *n == max)
		return;
	ret[*n] = (struct loss_py_count){ .why = why, .n = v };
	snprintf(ret[*n].version, sizeof(ret[*n].version), "%s", version);
	(*n)++;
}

size_t python__losses(const struct python *py,
		      const uint64_t counts[CPROF_PYC_NR * CPROF_PY_NR_MINORS],
		      struct loss_py_count *ret, size_t max)
{
	char version[8];
	size_t n = 0;

	for (size_t i = 0; i < py->nunknown; i++)
		put(ret, max, &n, LOSS_PY_UNKNOWN_VERSION, py->unknown[i].version,
		    py->unknown[i].samples);
	for (int why = 0; why < LOSS_PY_NR; why++) {
		int r = losses__python[why].pyc;

		for (int m = 0; r >= 0 && m < CPROF_PY_NR_MINORS; m++) {
			snprintf(version, sizeof(version), "3.%d", m);
			put(ret, max, &n, (enum loss_py_reason)why, version,
			    counts[r * CPROF_PY_NR_MINORS + m]);
		}
	}
	if (py->sym) {
		struct sym_python_stats st;

		sym_python__stats(py->sym, &st);
		for (int m = 0; m < CPROF_PY_NR_MINORS; m++) {
			snprintf(version, sizeof(version), "3.%d", m);
			put(ret, max, &n, LOSS_PY_CODE_UNREADABLE, version, st.unreadable_by_minor[m]);
		}
	}
	put(ret, max, &n, LOSS_PY_NOT_WALKED, "", py->set_failures);
	return n;
}
