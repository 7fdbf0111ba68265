// SPDX-License-Identifier: MIT
/* PushRequest encoding. Each profile is gzipped here, at send time: the
 * spool keeps it uncompressed inside its own zstd frame. And the reading of
 * the Connect reply: success is a PushResponse (an empty message) as
 * application/proto, or "{}" as application/json; Connect errors are JSON
 * {"code", "message"} with a non-2xx status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export/ship/backend.h"
#include "export/ship/pyroscope.h"
#include "proto/pyroscope_push.pb-c.h"

struct series_buf {
	Push__V1__RawProfileSeries series;
	Push__V1__RawProfileSeries *series_p;
	Push__V1__RawSample sample;
	Push__V1__RawSample *sample_p;
	char id[DELTA_ID_STR_LEN];
	struct backend_series s;
};

static void set_label(void *msg, const char *name, const char *value)
{
	Push__V1__LabelPair *l = msg;

	push__v1__label_pair__init(l);
	l->name = (char *)name;
	l->value = (char *)value;
}

/* Off-CPU as Grafana Alloy's pyroscope.ebpf pushes it (reporter/builder.go,
 * discovery/target.go): __name__=offcpu, offcpu/nanoseconds, no period
 * type; Pyroscope's profile type offcpu:offcpu:nanoseconds::. */
static const struct backend_names names = {
	.metric = PYROSCOPE_METRIC, .off_cpu_metric = "offcpu",
	.off_cpu_type = "offcpu", .off_cpu_unit = "nanoseconds",
};

static int fill(struct series_buf *b, const struct delta *d)
{
	int err;

	push__v1__raw_profile_series__init(&b->series);
	push__v1__raw_sample__init(&b->sample);
	err = backend__series_fill(&b->s, d, &names, sizeof(Push__V1__LabelPair),
				   set_label);
	if (err)
		return err;
	delta__id_string(d, b->id);
	b->sample.raw_profile.data = b->s.gz;
	b->sample.raw_profile.len = b->s.gz_len;
	b->sample.id = b->id;
	b->sample_p = &b->sample;
	b->series.labels = (Push__V1__LabelPair **)b->s.labels_p;
	b->series.n_labels = b->s.n;
	b->series.samples = &b->sample_p;
	b->series.n_samples = 1;
	b->series_p = &b->series;
	return 0;
}

int pyroscope__encode_push(struct delta *const *deltas, size_t n, uint8_t **ret_buf,
			   size_t *ret_len)
{
	Push__V1__PushRequest req = PUSH__V1__PUSH_REQUEST__INIT;
	struct series_buf *bufs = calloc(n ? n : 1, sizeof(*bufs));
	Push__V1__RawProfileSeries **series = calloc(n ? n : 1, sizeof(*series));
	uint8_t *out = NULL;
	size_t len;
	int err = -ENOMEM;

	if (!bufs || !series)
		goto out_free;
	for (size_t i = 0; i < n; i++) {
		if ((err = fill(&bufs[i], deltas[i])))
			goto out_free;
		series[i] = bufs[i].series_p;
	}
	req.series = series;
	req.n_series = n;
	len = push__v1__push_request__get_packed_size(&req);
	out = malloc(len ? len : 1);
	err = -ENOMEM;
	if (!out)
		goto out_free;
	push__v1__push_request__pack(&req, out);
	*ret_buf = out;
	*ret_len = len;
	err = 0;
out_free:
	for (size_t i = 0; bufs && i < n; i++)
		backend__series_release(&bufs[i].s);
	free(bufs);
	free(series);
	return err;
}

/* ---- the backend table ------------------------------------------------------ */

static int encode(struct delta *const *deltas, size_t n, const struct backend_encode_opts *o,
		  uint8_t **ret_buf, size_t *ret_len)
{
	(void)o;
	return pyroscope__encode_push(deltas, n, ret_buf, ret_len);
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A JSON object with no "code" member at its top level (a Connect error has
 * one); nested objects are skipped by depth, strings by their quotes. */
static bool json_success(const uint8_t *b, size_t len)
{
	size_t i = 0, end = len;
	int depth = 0;
	bool in_str = false;

	while (i < end && is_ws(b[i]))
		i++;
	while (end > i && is_ws(b[end - 1]))
		end--;
	if (end - i < 2 || b[i] != '{' || b[end - 1] != '}')
		return false;
	for (size_t k = i; k < end; k++) {
		if (in_str) {
			if (b[k] == '\\')
				k++;
			else if (b[k] == '"')
				in_str = false;
			continue;
		}
		if (b[k] == '"') {
			if (depth == 1 && end - k > 6 && !memcmp(b + k, "\"code\"", 6))
				return false;
			in_str = true;
		} else if (b[k] == '{' || b[k] == '[') {
			depth++;
		} else if (b[k] == '}' || b[k] == ']') {
			if (--depth < 0)
				return false;
		} else if (b[k] < 0x20 && !is_ws(b[k])) {
			return false;
		}
	}
	return depth == 0 && !in_str;
}

static void classify(const struct backend_reply *rp, struct exporter_result *r)
{
	if (!backend__http_ok(rp, r))
		return;
	if (backend__content_type_is(rp->content_type, "application/proto")) {
		if (!backend__protobuf_well_formed(rp->body, rp->body_len)) {
			backend__bad_reply(rp, "the body is not a protobuf PushResponse", r);
			return;
		}
	} else if (backend__content_type_is(rp->content_type, "application/json")) {
		if (!json_success(rp->body, rp->body_len)) {
			backend__bad_reply(rp, "the body is not a JSON PushResponse", r);
			return;
		}
	} else if (rp->content_type || rp->body_len) {
		backend__bad_reply(rp, "not a Pyroscope push reply", r);
		return;
	}
	r->outcome = EXPORT_OK;
	r->reason = EXPORT_REASON_NONE;
}

static const char *const headers[] = {
	"Content-Type: application/proto", "Connect-Protocol-Version: 1", NULL,
};

const struct backend_ops pyroscope_backend = {
	.scheme = "pyroscope",
	.kind = EXPORTER_PYROSCOPE,
	.default_port = 4040,
	.path = PYROSCOPE_PUSH_PATH,
	.headers = headers,
	.encode = encode,
	.classify = classify,
};
