/* SPDX-License-Identifier: MIT */
/* exporter: sends batches of deltas to one backend, chosen by URL:
 *   pyroscope://HOST[:PORT][/PREFIX]  Grafana Pyroscope, Connect push (4040)
 *   parca://HOST[:PORT][/PREFIX]      Parca, WriteRaw over gRPC-Web (7070)
 *   otlp://HOST[:PORT][/PREFIX]       OpenTelemetry Collector, OTLP/HTTP profiles, zstd (4318)
 *   file:///DIR                       one gzipped pprof file per delta
 * "+https" after the backend name (pyroscope+https://...) speaks TLS with
 * certificate verification on; "+http" is the default. Credentials never go
 * in the URL (it shows in ps and logs): the caller reads a bearer token or
 * "user:password" from a file or the environment and passes it in opts.
 * One send is one request (libcurl, keep-alive across sends); its outcome is
 * OK (only the backend's own success reply, see export/ship/backend.h), RETRY
 * (connection errors, timeouts, 3xx, 401, 403, 408, 429, 5xx, a 2xx that is
 * not a success reply, gRPC UNAVAILABLE...) or REJECTED (any other 4xx:
 * retrying cannot help). Whatever a server says reaches detail sanitized,
 * with the credentials masked. Not thread-safe: one thread uses an exporter.
 * Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_EXPORTER_H
#define CPROF_EXPORT_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/ship/delta.h"

enum exporter_kind { EXPORTER_PYROSCOPE, EXPORTER_PARCA, EXPORTER_OTLP, EXPORTER_FILE,
		     EXPORTER_NR_KINDS };

struct backend_ops;

struct exporter_url {
	enum exporter_kind kind;
	const struct backend_ops *ops;	/* export/ship/backend.h; NULL for file:// */
	bool tls;
	char base[512];		/* "http(s)://host:port/prefix" (no trailing '/'), or the directory */
};

/* Parses an exporter URL. 0, or -EINVAL with why[why_len] (may be NULL)
 * saying what is wrong. */
int exporter__parse_url(const char *url, struct exporter_url *ret, char *why, size_t why_len)
	__attribute__((warn_unused_result));

/* Copies url into buf[len] for a message, with any "user:password@" of its
 * authority replaced by "***@" (whether or not the URL is otherwise valid);
 * cut to fit. Returns buf. */
const char *exporter__redact_url(const char *url, char *buf, size_t len);

struct exporter_opts {
	const char *url;
	const char *tenant;		/* X-Scope-OrgID (and Parca's tenant field); NULL: none */
	const char *bearer_token;	/* the secret itself; NULL: none */
	const char *basic_auth;		/* "user:password"; NULL: none */
	const char *tls_ca;		/* CA bundle file; NULL: the system's */
	const char *tls_cert, *tls_key;	/* client certificate (mTLS); NULL: none */
	bool tls_insecure;		/* skip certificate verification (never by default) */
	double timeout_s;		/* whole request; 0 = 10 */
	double connect_timeout_s;	/* 0 = min(timeout, 5) */
	const char *version;		/* cprof's, for User-Agent and the OTLP scope */
};

enum exporter_outcome { EXPORT_OK, EXPORT_RETRY, EXPORT_REJECTED };

enum exporter_reason {
	EXPORT_REASON_NONE,
	EXPORT_REASON_CONNECT,		/* refused, unreachable, DNS */
	EXPORT_REASON_TIMEOUT,
	EXPORT_REASON_RESET,		/* connection dropped mid-request, empty reply */
	EXPORT_REASON_TLS,
	EXPORT_REASON_HTTP_429,
	EXPORT_REASON_HTTP_5XX,
	EXPORT_REASON_HTTP_4XX,		/* not retried */
	EXPORT_REASON_AUTH,		/* 401/403 or gRPC UNAUTHENTICATED/PERMISSION_DENIED: kept, retried */
	EXPORT_REASON_REDIRECT,		/* 3xx: never followed (the credentials would go along); retried */
	EXPORT_REASON_BAD_REPLY,	/* a 2xx that is not the backend's success reply: retried */
	EXPORT_REASON_GRPC,		/* a gRPC status other than OK */
	EXPORT_REASON_PARTIAL,		/* OTLP partial success: some profiles refused */
	EXPORT_REASON_IO,		/* file exporter: write failed */
	EXPORT_REASON_ENCODE,		/* the batch could not be encoded (not retried) */
	EXPORT_REASON_ABORTED,		/* the caller's abort flag was raised */
	EXPORT_REASON_OTHER,
	EXPORT_NR_REASONS,
};

/* A short snake_case name for metrics ("connect", "http_5xx", ...). */
const char *exporter__reason_name(enum exporter_reason r);

struct exporter_result {
	enum exporter_outcome outcome;
	enum exporter_reason reason;
	long http_status;		/* 0 when no response */
	int grpc_status;		/* Parca: -1 when none was read */
	int64_t rejected;		/* OTLP partial success: profiles refused (outcome OK) */
	int64_t retry_after_ms;		/* from Retry-After (clamped), -1 when absent */
	uint64_t bytes_sent;		/* request body bytes */
	char detail[256];		/* curl's error or the server's message */
};

struct exporter;

/* Validates opts (URL, readable TLS files) and prepares a connection; the
 * file exporter creates its directory. NULL and errno (EINVAL: with a
 * message in why[why_len]; ENOMEM...). opts' strings are copied. */
struct exporter *exporter__new(const struct exporter_opts *opts, char *why, size_t why_len)
	__attribute__((warn_unused_result));
void exporter__free(struct exporter *ex);	/* NULL: no-op */

enum exporter_kind exporter__kind(const struct exporter *ex);
/* The backend as a metric label: "pyroscope", "parca", "otlp", "file"; static. */
const char *exporter__kind_name(enum exporter_kind kind);
/* The URL as given, for logs. Borrowed from ex. */
const char *exporter__url(const struct exporter *ex);

/* Sends deltas[0..n) as one request (the file exporter: one file each) and
 * classifies the result into *ret. While *abort_flag (may be NULL) is
 * non-zero the transfer is cut short (outcome RETRY, reason ABORTED).
 * Returns 0 when *ret is filled, -ENOMEM or -EINVAL otherwise. */
int exporter__send(struct exporter *ex, struct delta *const *deltas, size_t n,
		   const volatile int *abort_flag, struct exporter_result *ret)
	__attribute__((warn_unused_result));

#endif /* CPROF_EXPORT_EXPORTER_H */
