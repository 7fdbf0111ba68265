// SPDX-License-Identifier: MIT
/* WriteRaw over gRPC-Web. A gRPC-Web response carries its status either in
 * the HTTP headers ("trailers-only", the usual shape of an error) or in a
 * trailer frame after the message frames: a frame whose flag byte has bit
 * 0x80 set, whose payload is HTTP/1-style "name: value\r\n" lines. A 2xx is
 * delivered only with a readable grpc-status of 0 (OK); UNAUTHENTICATED and
 * PERMISSION_DENIED keep the data like an HTTP 401/403. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export/ship/backend.h"
#include "export/ship/parca.h"
#include "proto/parca_profilestore.pb-c.h"

struct series_buf {
	Parca__Profilestore__V1alpha1__RawProfileSeries series;
	Parca__Profilestore__V1alpha1__LabelSet set;
	Parca__Profilestore__V1alpha1__RawSample sample;
	Parca__Profilestore__V1alpha1__RawSample *sample_p;
	struct backend_series s;
};

static void set_label(void *msg, const char *name, const char *value)
{
	Parca__Profilestore__V1alpha1__Label *l = msg;

	parca__profilestore__v1alpha1__label__init(l);
	l->name = (char *)name;
	l->value = (char *)value;
}

/* Off-CPU as the Parca Agent writes it (reporter/parca_reporter.go:
 * wallclock/nanoseconds over samples/count), the type Parca's UI lists as
 * "Off-CPU": parca_agent:wallclock:nanoseconds:samples:count:delta. */
static const struct backend_names names = {
	.metric = PARCA_METRIC, .off_cpu_metric = PARCA_METRIC,
	.off_cpu_type = "wallclock", .off_cpu_unit = "nanoseconds",
	.off_cpu_period_type = "samples", .off_cpu_period_unit = "count",
};

static int fill(struct series_buf *b, const struct delta *d)
{
	int err;

	parca__profilestore__v1alpha1__raw_profile_series__init(&b->series);
	parca__profilestore__v1alpha1__label_set__init(&b->set);
	parca__profilestore__v1alpha1__raw_sample__init(&b->sample);
	err = backend__series_fill(&b->s, d, &names, sizeof(Parca__Profilestore__V1alpha1__Label),
				   set_label);
	if (err)
		return err;
	b->set.labels = (Parca__Profilestore__V1alpha1__Label **)b->s.labels_p;
	b->set.n_labels = b->s.n;
	b->sample.raw_profile.data = b->s.gz;
	b->sample.raw_profile.len = b->s.gz_len;
	b->sample_p = &b->sample;
	b->series.labels = &b->set;
	b->series.samples = &b->sample_p;
	b->series.n_samples = 1;
	return 0;
}

int parca__encode_write_raw(struct delta *const *deltas, size_t n, const char *tenant,
			    uint8_t **ret_buf, size_t *ret_len)
{
	Parca__Profilestore__V1alpha1__WriteRawRequest req =
		PARCA__PROFILESTORE__V1ALPHA1__WRITE_RAW_REQUEST__INIT;
	struct series_buf *bufs = calloc(n ? n : 1, sizeof(*bufs));
	Parca__Profilestore__V1alpha1__RawProfileSeries **series =
		calloc(n ? n : 1, sizeof(*series));
	uint8_t *out = NULL;
	size_t len;
	int err = -ENOMEM;

	if (!bufs || !series)
		goto out_free;
	for (size_t i = 0; i < n; i++) {
		if ((err = fill(&bufs[i], deltas[i])))
			goto out_free;
		series[i] = &bufs[i].series;
	}
	req.tenant = (char *)(tenant ? tenant : "");
	req.series = series;
	req.n_series = n;
	req.normalized = 0;
	len = parca__profilestore__v1alpha1__write_raw_request__get_packed_size(&req);
	err = -EFBIG;
	if (len > UINT32_MAX)
		goto out_free;
	err = -ENOMEM;
	out = malloc(5 + len);
	if (!out)
		goto out_free;
	out[0] = 0x00;		/* a message frame, not compressed */
	out[1] = len >> 24;
	out[2] = len >> 16;
	out[3] = len >> 8;
	out[4] = len;
	parca__profilestore__v1alpha1__write_raw_request__pack(&req, out + 5);
	*ret_buf = out;
	*ret_len = 5 + len;
	err = 0;
out_free:
	for (size_t i = 0; bufs && i < n; i++)
		backend__series_release(&bufs[i].s);
	free(bufs);
	free(series);
	return err;
}

/* A grpc-status value: 1 to 9 digits, nothing else ("0x0", "-1", "" and
 * "0 garbage" are not statuses). */
static int parse_code(const char *v, size_t len, int *ret)
{
	int code = 0;

	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (!len || len > 9)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EBADMSG;
		code = code * 10 + (v[i] - '0');
	}
	*ret = code;
	return 0;
}

/* Reads "grpc-status" and "grpc-message" from a trailer frame's header lines. */
static int parse_trailers(const char *p, size_t len, int *ret_code, char *msg, size_t msg_len)
{
	const char *end = p + len;
	int found = -ENOENT;

	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		size_t line_len = (eol ? eol : end) - p;
		const char *colon = memchr(p, ':', line_len);

		if (line_len && p[line_len - 1] == '\r')
			line_len--;
		if (colon) {
			size_t klen = colon - p;
			const char *v = colon + 1;
			size_t vlen = p + line_len - v;

			while (vlen && (*v == ' ' || *v == '\t'))
				v++, vlen--;
			if (klen == 11 && !strncasecmp(p, "grpc-status", 11)) {
				if (parse_code(v, vlen, ret_code))
					return -EBADMSG;
				found = 0;
			} else if (klen == 12 && !strncasecmp(p, "grpc-message", 12) && msg &&
				   msg_len) {
				size_t n = vlen < msg_len - 1 ? vlen : msg_len - 1;

				memcpy(msg, v, n);
				msg[n] = '\0';
			}
		}
		p = eol ? eol + 1 : end;
	}
	return found;
}

int parca__grpc_web_status(const uint8_t *body, size_t len, int *ret_code, char *msg,
			   size_t msg_len)
{
	size_t pos = 0;

	while (pos < len) {
		uint32_t flen;

		if (len - pos < 5)
			return -EBADMSG;
		flen = (uint32_t)body[pos + 1] << 24 | (uint32_t)body[pos + 2] << 16 |
		       (uint32_t)body[pos + 3] << 8 | body[pos + 4];
		if (flen > len - pos - 5)
			return -EBADMSG;
		if (body[pos] & 0x80)
			return parse_trailers((const char *)body + pos + 5, flen, ret_code, msg,
					      msg_len);
		pos += 5 + flen;
	}
	return -ENOENT;
}

int parca__grpc_retryable(int code)
{
	switch (code) {
	case 4:		/* DEADLINE_EXCEEDED */
	case 8:		/* RESOURCE_EXHAUSTED */
	case 10:	/* ABORTED */
	case 13:	/* INTERNAL */
	case 14:	/* UNAVAILABLE */
		return 1;
	default:
		return 0;
	}
}

/* ---- the backend table ------------------------------------------------------ */

static int encode(struct delta *const *deltas, size_t n, const struct backend_encode_opts *o,
		  uint8_t **ret_buf, size_t *ret_len)
{
	return parca__encode_write_raw(deltas, n, o->tenant, ret_buf, ret_len);
}

static void classify(const struct backend_reply *rp, struct exporter_result *r)
{
	char msg[160] = "", text[160];
	int code = -1, err;

	if (!backend__http_ok(rp, r))
		return;
	if (!backend__content_type_is(rp->content_type, "application/grpc-web+proto") &&
	    !backend__content_type_is(rp->content_type, "application/grpc-web")) {
		backend__bad_reply(rp, "not a gRPC-Web reply", r);
		return;
	}
	if (rp->grpc_status) {	/* trailers-only: the status is in the headers */
		if (parse_code(rp->grpc_status, strlen(rp->grpc_status), &code)) {
			backend__bad_reply(rp, "its grpc-status header is not a number", r);
			return;
		}
		if (rp->grpc_message)
			snprintf(msg, sizeof(msg), "%s", rp->grpc_message);
	} else {
		err = parca__grpc_web_status(rp->body, rp->body_len, &code, msg, sizeof(msg));
		if (err) {
			backend__bad_reply(rp, err == -ENOENT ? "no grpc-status in its trailers" :
					   "its gRPC-Web framing is broken", r);
			return;
		}
	}
	r->grpc_status = code;
	if (code == 0) {
		r->outcome = EXPORT_OK;
		r->reason = EXPORT_REASON_NONE;
		return;
	}
	backend__sanitize((const uint8_t *)msg, strlen(msg), text, sizeof(text));
	snprintf(r->detail, sizeof(r->detail), "grpc-status %d: %s", code, text);
	r->reason = EXPORT_REASON_GRPC;
	if (code == 16 || code == 7) {	/* UNAUTHENTICATED, PERMISSION_DENIED */
		r->outcome = EXPORT_RETRY;
		r->reason = EXPORT_REASON_AUTH;
	} else {
		r->outcome = parca__grpc_retryable(code) ? EXPORT_RETRY : EXPORT_REJECTED;
	}
}

static const char *const headers[] = {
	"Content-Type: application/grpc-web+proto", "X-Grpc-Web: 1", NULL,
};

const struct backend_ops parca_backend = {
	.scheme = "parca",
	.kind = EXPORTER_PARCA,
	.default_port = 7070,
	.path = PARCA_WRITE_RAW_PATH,
	.headers = headers,
	.encode = encode,
	.classify = classify,
};
