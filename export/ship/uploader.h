/* SPDX-License-Identifier: MIT */
/* uploader: the thread that empties the spool into the exporter, so sampling
 * never waits for the network. Records leave the spool oldest first, in
 * batches (one request), and are deleted only once the backend accepted them:
 * at-least-once delivery, made idempotent by each delta's id. A failed
 * attempt (connection error, timeout, 429, 5xx, 401/403, a redirect, a 2xx
 * that is not the backend's success reply...) keeps the batch and retries it
 * after an exponential backoff with jitter (or the server's Retry-After,
 * clamped to BACKEND_RETRY_AFTER_MAX_S); a rejected one (any other 4xx) is
 * deleted, counted and reported, never retried. An OTLP partial success
 * counts the refused profiles as rejected (the collector does not say which
 * they were: their samples stay counted as delivered unless it refused the
 * whole batch) and the rest as delivered.
 * While the backend is away the spool grows up to its bound, oldest dropped
 * first. Library code: never prints; what happens is reported through the
 * caller's on_event callback, called from the upload thread. */
#ifndef CPROF_EXPORT_UPLOADER_H
#define CPROF_EXPORT_UPLOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/ship/exporter.h"
#include "export/ship/spool.h"

enum upload_event_type {
	UPLOAD_FAILED,		/* an attempt failed; it will be retried */
	UPLOAD_REJECTED,	/* the backend refused a batch (or, OTLP partial success,
				 * some of its profiles) for good: deleted */
	UPLOAD_RECOVERED,	/* a success after failures */
	UPLOAD_UNDECODABLE,	/* a spooled record that is not a delta: deleted */
};

struct upload_event {
	enum upload_event_type type;
	const struct exporter_result *result;	/* FAILED, REJECTED, RECOVERED */
	const char *url;
	size_t profiles;		/* in the batch */
	uint64_t samples;
	uint64_t consecutive_failures;	/* FAILED: including this one; RECOVERED: before it */
	double retry_in_s;		/* FAILED */
};

struct uploader_opts {
	double backoff_min_s;		/* first retry delay; 0 = 0.5 s */
	double backoff_max_s;		/* delay bound; 0 = 30 s */
	size_t batch_max_profiles;	/* 0 = 32 */
	size_t batch_max_bytes;		/* uncompressed pprof bytes per request; 0 = 4 MiB */
	void (*on_event)(void *ctx, const struct upload_event *ev);	/* may be NULL */
	/* after each request, whatever came of it, from the upload thread,
	 * with no lock held; may be NULL */
	void (*after_request)(void *ctx);
	void *ctx;
};

struct uploader_stats {
	uint64_t requests;			/* attempts */
	uint64_t profiles, samples, bytes;	/* delivered (bytes: request bodies) */
	uint64_t failures[EXPORT_NR_REASONS];	/* failed or rejected attempts by reason */
	uint64_t rejected_profiles, rejected_samples;	/* deleted without delivery */
	uint64_t partial_rejected;		/* OTLP partial success: profiles refused */
	uint64_t undecodable;			/* spooled records that were not deltas */
	uint64_t consecutive_failures;
	/* Wall-clock seconds (CLOCK_REALTIME) of the last delivery to each kind
	 * of backend (a reload may change it); 0: none yet. */
	double last_success_s[EXPORTER_NR_KINDS];
	enum exporter_kind kind;		/* of the exporter in use */
};

struct uploader;

/* Borrows sp (it must outlive the uploader) and takes ownership of ex. The
 * thread starts at once. NULL and errno (ENOMEM, or pthread_create's). */
struct uploader *uploader__new(struct spool *sp, struct exporter *ex,
			       const struct uploader_opts *opts)
	__attribute__((warn_unused_result));

/* New records are in the spool: try now (a pending backoff still applies). */
void uploader__kick(struct uploader *u);

/* Replaces the exporter (a reloaded configuration): taken over, used from
 * the next attempt on, with the backoff reset. */
void uploader__set_exporter(struct uploader *u, struct exporter *ex);

/* Keeps uploading until the spool is empty or timeout_s has passed (an
 * attempt still running then is aborted, its batch stays spooled), then stops
 * the thread. Returns the number of records left in the spool. */
uint64_t uploader__flush_and_stop(struct uploader *u, double timeout_s);

/* Stops the thread (aborting any attempt) and frees u and its exporter.
 * NULL: no-op. */
void uploader__free(struct uploader *u);

void uploader__stats(struct uploader *u, struct uploader_stats *ret);

#endif /* CPROF_EXPORT_UPLOADER_H */
