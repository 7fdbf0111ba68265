// SPDX-License-Identifier: MIT
/* The upload thread. All state is under one mutex, released while a request
 * runs. Records of a batch are pinned in the spool while the request is in
 * flight, so the size bound never drops a record that may be delivered
 * (which would count it twice, as dropped and as delivered); between
 * attempts they are unpinned and may be dropped, oldest first. Shutdown:
 * flush_and_stop() lets the loop run (without waiting for backoffs past the
 * deadline) until the spool is empty, then raises the abort flag that cuts a
 * request short. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "export/ship/backend.h"
#include "export/ship/uploader.h"

/* With nothing to send, the longest sleep: every append kicks
 * (uploader__kick()), so this only picks up a record spooled without one. */
#define IDLE_WAIT_S	10.0


struct batch {
	struct delta **d;
	uint64_t *seq;
	size_t n, cap;
	uint64_t samples;
};

struct uploader {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* kicks, stop, flush, done */
	pthread_t thread;
	struct spool *sp;
	struct exporter *ex, *pending_ex;
	struct uploader_opts o;
	struct uploader_stats st;
	bool stop, flushing, done, kicked;
	volatile int abort_flag;
	double next_attempt;		/* CLOCK_MONOTONIC seconds */
	double deadline;		/* flush deadline */
	uint64_t rng;
};

static double clock_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* For the last-delivery metric: a time people and Prometheus read. */
static double wall_s(void)
{
	return clock_s(CLOCK_REALTIME);
}

static double jitter(struct uploader *u)
{
	/* xorshift64*: enough to keep a fleet of agents from retrying in step */
	u->rng ^= u->rng >> 12;
	u->rng ^= u->rng << 25;
	u->rng ^= u->rng >> 27;
	return (double)((u->rng * 0x2545F4914F6CDD1DULL) >> 11) / (double)(1ULL << 53);
}

/* Delay before attempt k+1 after k consecutive failures: exponential, capped,
 * then "equal jitter" (half fixed, half random), at least the Retry-After. */
static double backoff(struct uploader *u, uint64_t failures, int64_t retry_after_ms)
{
	double d = u->o.backoff_min_s;

	for (uint64_t i = 1; i < failures && d < u->o.backoff_max_s; i++)
		d *= 2;
	if (d > u->o.backoff_max_s)
		d = u->o.backoff_max_s;
	d = d / 2 + jitter(u) * d / 2;
	if (retry_after_ms >= 0) {
		double ra = retry_after_ms / 1000.0;

		if (ra > BACKEND_RETRY_AFTER_MAX_S)
			ra = BACKEND_RETRY_AFTER_MAX_S;
		if (ra > d)
			d = ra;
	}
	return d;
}

static void timed_wait(struct uploader *u, double until)
{
	struct timespec ts;
	double now = now_s();

	if (until <= now)
		return;
	/* The condition variable runs on CLOCK_MONOTONIC (see uploader__new). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	until -= now;
	ts.tv_sec += (time_t)until;
	ts.tv_nsec += (long)((until - (double)(time_t)until) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&u->cond, &u->lock, &ts);
}

static void batch_release(struct uploader *u, struct batch *b, bool unpin)
{
	for (size_t i = 0; i < b->n; i++) {
		if (unpin)
			spool__unpin(u->sp, b->seq[i]);
		delta__free(b->d[i]);
	}
	b->n = 0;
	b->samples = 0;
}

static int batch_push(struct batch *b, struct delta *d, uint64_t seq)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct delta **nd = realloc(b->d, cap * sizeof(*nd));
		uint64_t *ns;

		if (!nd)
			return -ENOMEM;
		b->d = nd;
		ns = realloc(b->seq, cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		b->seq = ns;
		b->cap = cap;
	}
	b->d[b->n] = d;
	b->seq[b->n++] = seq;
	b->samples += d->samples;
	return 0;
}

static void emit(struct uploader *u, struct upload_event *ev)
{
	if (u->o.on_event)
		u->o.on_event(u->o.ctx, ev);
}

/* Pins and reads the oldest records, up to the batch bounds. Called unlocked. */
static void collect(struct uploader *u, struct batch *b)
{
	uint64_t after = 0, bytes = 0;
	struct spool_info info;

	while (b->n < u->o.batch_max_profiles && spool__pin_next(u->sp, after, &info) == 0) {
		struct delta *d = NULL;
		uint8_t *buf;
		size_t len;
		int err;

		after = info.seq;
		err = spool__read(u->sp, info.seq, &buf, &len);
		if (err == -EBADMSG)	/* corrupt: the spool deleted and counted it */
			continue;
		if (err) {
			spool__unpin(u->sp, info.seq);
			break;
		}
		err = delta__decode(buf, len, &d);
		free(buf);
		if (err == -EBADMSG) {
			struct upload_event ev = { .type = UPLOAD_UNDECODABLE, .samples = info.samples,
						   .profiles = 1 };

			spool__remove(u->sp, info.seq);
			pthread_mutex_lock(&u->lock);
			u->st.undecodable++;
			pthread_mutex_unlock(&u->lock);
			emit(u, &ev);
			continue;
		}
		if (err) {
			spool__unpin(u->sp, info.seq);
			break;
		}
		if (b->n && bytes + d->pprof_len > u->o.batch_max_bytes) {
			delta__free(d);
			spool__unpin(u->sp, info.seq);
			break;
		}
		if (batch_push(b, d, info.seq)) {
			delta__free(d);
			spool__unpin(u->sp, info.seq);
			break;
		}
		bytes += d->pprof_len;
	}
}

/* Books the outcome of one attempt. Called locked. */
static void settle(struct uploader *u, struct batch *b, const struct exporter_result *r)
{
	struct upload_event ev = { .result = r, .url = exporter__url(u->ex), .profiles = b->n,
				   .samples = b->samples };
	uint64_t failures = u->st.consecutive_failures;

	u->st.requests++;
	if (r->outcome == EXPORT_OK) {
		/* OTLP partial success: the collector refused some profiles and
		 * does not say which; refusing them all is refusing the batch. */
		size_t refused = r->rejected <= 0 ? 0 : (uint64_t)r->rejected < b->n ?
				 (size_t)r->rejected : b->n;

		for (size_t i = 0; i < b->n; i++)
			spool__remove(u->sp, b->seq[i]);
		u->st.profiles += b->n - refused;
		u->st.bytes += r->bytes_sent;
		if (refused == b->n)
			u->st.rejected_samples += b->samples;
		else
			u->st.samples += b->samples;
		if (refused) {
			u->st.partial_rejected += r->rejected;
			u->st.rejected_profiles += refused;
			u->st.failures[EXPORT_REASON_PARTIAL]++;
		}
		u->st.consecutive_failures = 0;
		if (refused < b->n)
			u->st.last_success_s[exporter__kind(u->ex)] = wall_s();
		u->next_attempt = 0;
		batch_release(u, b, false);
		if (refused) {
			ev.type = UPLOAD_REJECTED;
			ev.profiles = refused;
			ev.samples = refused == b->n ? ev.samples : 0;
			pthread_mutex_unlock(&u->lock);
			emit(u, &ev);
			pthread_mutex_lock(&u->lock);
		}
		if (failures) {
			ev.type = UPLOAD_RECOVERED;
			ev.consecutive_failures = failures;
			pthread_mutex_unlock(&u->lock);
			emit(u, &ev);
			pthread_mutex_lock(&u->lock);
		}
		return;
	}
	u->st.failures[r->reason]++;
	if (r->outcome == EXPORT_REJECTED) {
		for (size_t i = 0; i < b->n; i++)
			spool__remove(u->sp, b->seq[i]);
		u->st.rejected_profiles += b->n;
		u->st.rejected_samples += b->samples;
		ev.type = UPLOAD_REJECTED;
		batch_release(u, b, false);
		pthread_mutex_unlock(&u->lock);
		emit(u, &ev);
		pthread_mutex_lock(&u->lock);
		return;
	}
	u->st.consecutive_failures++;
	ev.type = UPLOAD_FAILED;
	ev.consecutive_failures = u->st.consecutive_failures;
	ev.retry_in_s = backoff(u, u->st.consecutive_failures, r->retry_after_ms);
	u->next_attempt = now_s() + ev.retry_in_s;
	batch_release(u, b, true);
	if (r->reason == EXPORT_REASON_ABORTED)	/* shutting down: not worth a line */
		return;
	pthread_mutex_unlock(&u->lock);
	emit(u, &ev);
	pthread_mutex_lock(&u->lock);
}

static void *run(void *arg)
{
	struct uploader *u = arg;
	struct batch b = {0};

	pthread_mutex_lock(&u->lock);
	while (!u->stop) {
		struct exporter_result r;
		double now = now_s();
		int err;

		if (u->pending_ex) {
			exporter__free(u->ex);
			u->ex = u->pending_ex;
			u->pending_ex = NULL;
			u->next_attempt = 0;
			u->st.consecutive_failures = 0;
		}
		if (u->flushing && now >= u->deadline)
			break;
		if (now < u->next_attempt) {
			timed_wait(u, u->flushing && u->deadline < u->next_attempt ? u->deadline :
				   u->next_attempt);
			continue;
		}
		u->kicked = false;
		pthread_mutex_unlock(&u->lock);
		collect(u, &b);
		pthread_mutex_lock(&u->lock);
		if (!b.n) {
			if (u->flushing)
				break;
			if (!u->kicked && !u->stop && !u->pending_ex)
				timed_wait(u, now_s() + IDLE_WAIT_S);
			continue;
		}
		pthread_mutex_unlock(&u->lock);
		err = exporter__send(u->ex, b.d, b.n, &u->abort_flag, &r);
		pthread_mutex_lock(&u->lock);
		if (err) {	/* out of memory: keep the batch, try later */
			memset(&r, 0, sizeof(r));
			r.outcome = EXPORT_RETRY;
			r.reason = EXPORT_REASON_OTHER;
			r.retry_after_ms = -1;
			snprintf(r.detail, sizeof(r.detail), "%s", strerror(-err));
		}
		settle(u, &b, &r);
		if (u->o.after_request) {
			pthread_mutex_unlock(&u->lock);
			u->o.after_request(u->o.ctx);
			pthread_mutex_lock(&u->lock);
		}
	}
	u->done = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	batch_release(u, &b, true);
	free(b.d);
	free(b.seq);
	return NULL;
}

struct uploader *uploader__new(struct spool *sp, struct exporter *ex,
			       const struct uploader_opts *o)
{
	struct uploader *u = calloc(1, sizeof(*u));
	pthread_condattr_t ca;
	int err;

	if (!u)
		return NULL;
	u->sp = sp;
	u->o = *o;
	if (!(u->o.backoff_min_s > 0))
		u->o.backoff_min_s = 0.5;
	if (!(u->o.backoff_max_s > 0))
		u->o.backoff_max_s = 30;
	if (u->o.backoff_max_s < u->o.backoff_min_s)
		u->o.backoff_max_s = u->o.backoff_min_s;
	if (!u->o.batch_max_profiles)
		u->o.batch_max_profiles = 32;
	if (!u->o.batch_max_bytes)
		u->o.batch_max_bytes = 4 << 20;
	if (getrandom(&u->rng, sizeof(u->rng), 0) != sizeof(u->rng) || !u->rng)
		u->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)now_s();
	pthread_mutex_init(&u->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cond, &ca);
	pthread_condattr_destroy(&ca);
	u->ex = ex;
	err = pthread_create(&u->thread, NULL, run, u);
	if (err) {
		pthread_cond_destroy(&u->cond);
		pthread_mutex_destroy(&u->lock);
		free(u);
		errno = err;
		return NULL;
	}
	return u;
}

void uploader__kick(struct uploader *u)
{
	pthread_mutex_lock(&u->lock);
	u->kicked = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

void uploader__set_exporter(struct uploader *u, struct exporter *ex)
{
	pthread_mutex_lock(&u->lock);
	exporter__free(u->pending_ex);
	u->pending_ex = ex;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

static void join(struct uploader *u)
{
	pthread_mutex_lock(&u->lock);
	u->stop = true;
	__atomic_store_n(&u->abort_flag, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
}

uint64_t uploader__flush_and_stop(struct uploader *u, double timeout_s)
{
	struct spool_stats st;

	pthread_mutex_lock(&u->lock);
	if (!u->done) {
		u->flushing = true;
		u->deadline = now_s() + timeout_s;
		/* No backoff left from before: the last chance is now. */
		if (u->next_attempt > now_s() + 0.2)
			u->next_attempt = now_s() + 0.2;
		pthread_cond_broadcast(&u->cond);
		while (!u->done && now_s() < u->deadline)
			timed_wait(u, u->deadline);
	}
	pthread_mutex_unlock(&u->lock);
	join(u);
	u->done = true;
	spool__stats(u->sp, &st);
	return st.files;
}

void uploader__free(struct uploader *u)
{
	if (!u)
		return;
	if (!u->done || !u->stop)
		join(u);
	exporter__free(u->ex);
	exporter__free(u->pending_ex);
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void uploader__stats(struct uploader *u, struct uploader_stats *ret)
{
	pthread_mutex_lock(&u->lock);
	*ret = u->st;
	ret->kind = exporter__kind(u->pending_ex ? u->pending_ex : u->ex);
	pthread_mutex_unlock(&u->lock);
}
