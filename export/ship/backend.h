/* SPDX-License-Identifier: MIT */
/* backend: one operations table per HTTP backend (Pyroscope, Parca, OTLP):
 * the request's path and headers, the encoding of a batch, and the reading
 * of the reply. The transport (exporter.c) knows no backend; it fills a
 * struct backend_reply from the wire and asks the table what it means.
 * Classifying works on buffers only (no curl, no clock, no allocation that
 * outlives the call), so a fuzz target can drive it with arbitrary replies.
 * The rule every classify follows: a reply is delivered (EXPORT_OK) only
 * when it is the backend's own success reply; a 2xx that is something else
 * (a proxy's HTML page, random bytes), a redirect, or a refusal of the
 * credentials (401/403, gRPC UNAUTHENTICATED/PERMISSION_DENIED) keeps the
 * data and is retried (EXPORT_RETRY with reason BAD_REPLY, REDIRECT or
 * AUTH); only a 4xx that says the request itself is wrong is REJECTED.
 * Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_BACKEND_H
#define CPROF_EXPORT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "export/ship/delta.h"
#include "export/ship/exporter.h"

/* What one delta becomes in a Pyroscope or Parca series: its labels in name
 * order (delta__series() with the backend's metric name) as n label
 * messages of the backend's protobuf type, and its pprof gzipped. */
struct backend_series {
	struct delta_label *sorted;
	size_t n;
	void *labels;		/* n messages of label_size bytes each */
	void **labels_p;	/* pointers to them, as protobuf-c wants */
	uint8_t *gz;
	size_t gz_len;
};

/* How a backend names the profiles of a delta: metric is __name__ of a CPU
 * delta (which has none of its own); off_cpu_* name an off-CPU delta
 * (__name__ DELTA_OFF_CPU_NAME) as that backend's own agent does: its
 * __name__, its one sample type and its period type (NULL: none). */
struct backend_names {
	const char *metric;
	const char *off_cpu_metric;
	const char *off_cpu_type, *off_cpu_unit;
	const char *off_cpu_period_type, *off_cpu_period_unit;
};

/* Fills s from d, named by names. set_label(msg, name, value) initializes
 * one label message and points it at name and value (borrowed from
 * s->sorted and names). -ENOMEM, -EBADMSG (an off-CPU delta whose pprof is
 * not one), or delta__series()'s error; s is to be released either way. */
int backend__series_fill(struct backend_series *s, const struct delta *d,
			 const struct backend_names *names, size_t label_size,
			 void (*set_label)(void *msg, const char *name, const char *value))
	__attribute__((warn_unused_result));
void backend__series_release(struct backend_series *s);

/* The longest wait a Retry-After may impose, in seconds; a larger value (or
 * a date further out) is clamped to it. */
#define BACKEND_RETRY_AFTER_MAX_S	300

/* One reply as read off the wire. Every pointer is borrowed for the call
 * and may be NULL (header absent); body may hold anything. */
struct backend_reply {
	long status;			/* HTTP status code */
	const char *content_type;	/* Content-Type value */
	const char *grpc_status;	/* grpc-status header (trailers-only gRPC-Web) */
	const char *grpc_message;	/* grpc-message header */
	const char *location;		/* Location header of a redirect */
	const uint8_t *body;
	size_t body_len;
};

/* What an encoder may need besides the deltas. */
struct backend_encode_opts {
	const char *tenant;		/* Parca's tenant field; NULL: none */
	const char *version;		/* cprof's version (the OTLP scope) */
};

struct backend_ops {
	const char *scheme;		/* of the URL: "pyroscope", "parca", "otlp" (+http, +https) */
	enum exporter_kind kind;
	int default_port;
	const char *path;		/* appended to the URL's base */
	const char *const *headers;	/* request headers, "Name: value", NULL-terminated */
	/* Encodes deltas[0..n) as one request body (compressed as the headers
	 * say); *ret_buf is malloc'd (caller frees). 0, -ENOMEM, or another
	 * -errno when the batch cannot be encoded (not worth retrying). */
	int (*encode)(struct delta *const *deltas, size_t n, const struct backend_encode_opts *o,
		      uint8_t **ret_buf, size_t *ret_len);
	/* Fills outcome, reason, http_status, grpc_status, rejected and a
	 * sanitized detail (printable ASCII, bounded) in *ret; leaves
	 * bytes_sent and retry_after_ms alone. Never fails. */
	void (*classify)(const struct backend_reply *reply, struct exporter_result *ret);
};

extern const struct backend_ops pyroscope_backend, parca_backend, otlp_backend;

/* The backend whose scheme is scheme[0..len) ("parca", "parca+http",
 * "parca+https", case ignored); *ret_tls says whether "+https" was given.
 * NULL (and *ret_tls untouched) for an unknown scheme. */
const struct backend_ops *backend__by_scheme(const char *scheme, size_t len, bool *ret_tls);

/* The part of classify all backends share: a non-2xx status. Returns true
 * (and touches nothing but http_status) for a 2xx, which the backend must
 * then check; otherwise fills *ret: 3xx RETRY/REDIRECT, 401 and 403
 * RETRY/AUTH, 408 RETRY/TIMEOUT, 429 RETRY/HTTP_429, 5xx RETRY/HTTP_5XX, any
 * other 4xx REJECTED/HTTP_4XX, anything else RETRY/BAD_REPLY; detail holds a
 * sanitized prefix of the body (or the redirect's target). */
bool backend__http_ok(const struct backend_reply *reply, struct exporter_result *ret);

/* Marks a 2xx whose body is not the backend's success reply: RETRY with
 * reason BAD_REPLY and a detail naming the content type and a sanitized
 * prefix of the body, after why. */
void backend__bad_reply(const struct backend_reply *reply, const char *why,
			struct exporter_result *ret);

/* Whether the Content-Type value's media type (parameters and case
 * ignored) is mime. NULL content_type: false. */
bool backend__content_type_is(const char *content_type, const char *mime);

/* Whether buf[0..len) is a well-formed protobuf message: every field has a
 * number > 0, a known wire type (no groups) and lies within the buffer. The
 * empty buffer is (an empty message). */
bool backend__protobuf_well_formed(const uint8_t *buf, size_t len);

/* Copies at most out_len - 1 bytes of in[0..len) into out as printable
 * ASCII: control and non-ASCII bytes become '?', runs of whitespace one
 * space; "…" is not added. out is always terminated. */
void backend__sanitize(const uint8_t *in, size_t len, char *out, size_t out_len);

/* Parses a Retry-After value: delta-seconds (any number of digits,
 * saturating, never overflowing) or an IMF-fixdate ("Sun, 06 Nov 1994
 * 08:49:37 GMT", read against now). 0 and *ret_ms within
 * [0, BACKEND_RETRY_AFTER_MAX_S * 1000]; -EINVAL for anything else. */
int backend__parse_retry_after(const char *value, time_t now, int64_t *ret_ms);

#endif /* CPROF_EXPORT_BACKEND_H */
