// SPDX-License-Identifier: MIT
/* What the backends' reply readers share: the meaning of an HTTP status, the
 * check of a content type and of protobuf framing, a text sanitizer for
 * whatever a server says, and the Retry-After parser. Everything here reads
 * bounded buffers that a server (or a fuzzer) controls: no recursion, every
 * length checked before use, every number parsed with saturation. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/compress.h"
#include "export/pprof.h"
#include "export/ship/backend.h"

/* Every backend the transport can reach, found by scheme only: the
 * transport itself names none. */
static const struct backend_ops *const backends[] = {
	&pyroscope_backend, &parca_backend, &otlp_backend,
};

const struct backend_ops *backend__by_scheme(const char *scheme, size_t len, bool *ret_tls)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i]->scheme);

		if (len < n || strncasecmp(scheme, backends[i]->scheme, n))
			continue;
		if (len == n || (len - n == 5 && !strncasecmp(scheme + n, "+http", 5))) {
			*ret_tls = false;
			return backends[i];
		}
		if (len - n == 6 && !strncasecmp(scheme + n, "+https", 6)) {
			*ret_tls = true;
			return backends[i];
		}
	}
	return NULL;
}

void backend__sanitize(const uint8_t *in, size_t len, char *out, size_t out_len)
{
	size_t o = 0;
	bool space = false;

	if (!out_len)
		return;
	for (size_t i = 0; i < len && o + 1 < out_len; i++) {
		unsigned char c = in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (!space && o)
				out[o++] = ' ';
			space = true;
			continue;
		}
		space = false;
		out[o++] = c >= 0x21 && c <= 0x7e ? (char)c : '?';
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

bool backend__content_type_is(const char *ct, const char *mime)
{
	size_t n = strlen(mime), end;

	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	end = strcspn(ct, ";");
	while (end && (ct[end - 1] == ' ' || ct[end - 1] == '\t'))
		end--;
	return end == n && !strncasecmp(ct, mime, n);
}

static bool read_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *ret)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (*pos >= len)
			return false;
		b = buf[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;	/* more than 10 bytes */
}

bool backend__protobuf_well_formed(const uint8_t *buf, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		uint64_t key, v;

		if (!read_varint(buf, len, &pos, &key) || key >> 3 == 0 || key >> 3 > 0x1fffffff)
			return false;
		switch (key & 7) {
		case 0:
			if (!read_varint(buf, len, &pos, &v))
				return false;
			break;
		case 1:
			if (len - pos < 8)
				return false;
			pos += 8;
			break;
		case 2:
			if (!read_varint(buf, len, &pos, &v) || v > len - pos)
				return false;
			pos += v;
			break;
		case 5:
			if (len - pos < 4)
				return false;
			pos += 4;
			break;
		default:	/* groups (3, 4) are not used by any reply; 6, 7 do not exist */
			return false;
		}
	}
	return true;
}

static void body_detail(const struct backend_reply *rp, const char *prefix,
			struct exporter_result *r)
{
	size_t n = rp->body_len < 160 ? rp->body_len : 160, odd = 0;
	char text[160];

	for (size_t i = 0; i < n; i++) {
		uint8_t c = rp->body[i];

		odd += c >= 0x7f || (c < 0x20 && c != '\t' && c != '\r' && c != '\n');
	}
	if (odd > n / 8)	/* a line of '?' says nothing */
		snprintf(text, sizeof(text), "(binary)");
	else
		backend__sanitize(rp->body, rp->body_len, text, sizeof(text));
	snprintf(r->detail, sizeof(r->detail), "%s%s%s", prefix, *prefix && *text ? ": " : "",
		 text);
}

static void set(struct exporter_result *r, enum exporter_outcome o, enum exporter_reason why)
{
	r->outcome = o;
	r->reason = why;
}

bool backend__http_ok(const struct backend_reply *rp, struct exporter_result *r)
{
	long s = rp->status;

	r->http_status = s;
	if (s >= 200 && s < 300)
		return true;
	if (s >= 300 && s < 400) {
		char where[160], shown[160];

		/* Never followed: the credentials would go wherever it points. */
		exporter__redact_url(rp->location ? rp->location : "", shown, sizeof(shown));
		backend__sanitize((const uint8_t *)shown, strlen(shown), where, sizeof(where));
		snprintf(r->detail, sizeof(r->detail), "HTTP %ld redirect to %s, not followed: "
			 "check --url", s, where[0] ? where : "(no Location)");
		set(r, EXPORT_RETRY, EXPORT_REASON_REDIRECT);
		return false;
	}
	if (s == 401 || s == 403) {
		char prefix[100];

		snprintf(prefix, sizeof(prefix), "HTTP %ld: the backend refuses the credentials", s);
		body_detail(rp, prefix, r);
		set(r, EXPORT_RETRY, EXPORT_REASON_AUTH);
		return false;
	}
	body_detail(rp, "", r);
	if (s == 408)
		set(r, EXPORT_RETRY, EXPORT_REASON_TIMEOUT);
	else if (s == 429)
		set(r, EXPORT_RETRY, EXPORT_REASON_HTTP_429);
	else if (s >= 500 && s < 600)
		set(r, EXPORT_RETRY, EXPORT_REASON_HTTP_5XX);
	else if (s >= 400 && s < 500)
		set(r, EXPORT_REJECTED, EXPORT_REASON_HTTP_4XX);
	else
		set(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
	return false;
}

void backend__bad_reply(const struct backend_reply *rp, const char *why,
			struct exporter_result *r)
{
	char ct[64], prefix[200];

	backend__sanitize((const uint8_t *)(rp->content_type ? rp->content_type : ""),
			  rp->content_type ? strlen(rp->content_type) : 0, ct, sizeof(ct));
	snprintf(prefix, sizeof(prefix), "HTTP %ld but %s (Content-Type %s, %zu bytes)",
		 rp->status, why, ct[0] ? ct : "none", rp->body_len);
	body_detail(rp, prefix, r);
	set(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
}

/* ---- Retry-After ------------------------------------------------------------ */

static int month_of(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int m = 0; m < 12; m++)
		if (!strncmp(s, months + 3 * m, 3))
			return m;
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm: it reads
 * the environment and is not required to handle every year). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate), exactly. */
static int parse_imf_fixdate(const char *s, int64_t *ret_epoch)
{
	int day, year, hh, mm, ss, mon;

	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT"))
		return -EINVAL;
	mon = month_of(s + 8);
	if (mon < 0 || !digits(s + 5, 2, &day) || !digits(s + 12, 4, &year) ||
	    !digits(s + 17, 2, &hh) || !digits(s + 20, 2, &mm) || !digits(s + 23, 2, &ss))
		return -EINVAL;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -EINVAL;
	*ret_epoch = days_from_civil(year, mon + 1, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

int backend__parse_retry_after(const char *value, time_t now, int64_t *ret_ms)
{
	const int64_t max_s = BACKEND_RETRY_AFTER_MAX_S;
	char buf[64];
	size_t len;
	int64_t s = 0, when;

	if (!value)
		return -EINVAL;
	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (!len)
		return -EINVAL;
	if (isdigit((unsigned char)value[0])) {
		for (size_t i = 0; i < len; i++) {
			if (!isdigit((unsigned char)value[i]))
				return -EINVAL;
			if (s <= max_s)	/* saturate: never past max_s + 1, so never overflows */
				s = s * 10 + (value[i] - '0');
		}
		*ret_ms = (s > max_s ? max_s : s) * 1000;
		return 0;
	}
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, value, len);
	buf[len] = '\0';
	if (parse_imf_fixdate(buf, &when))
		return -EINVAL;
	s = when - (int64_t)now;
	*ret_ms = (s <= 0 ? 0 : s > max_s ? max_s : s) * 1000;
	return 0;
}

int backend__series_fill(struct backend_series *s, const struct delta *d,
			 const struct backend_names *names, size_t label_size,
			 void (*set_label)(void *msg, const char *name, const char *value))
{
	const char *name = delta__label(d, "__name__");
	bool off_cpu = name && !strcmp(name, DELTA_OFF_CPU_NAME);
	uint8_t *retyped = NULL;
	size_t retyped_len = 0;
	int err;

	err = delta__series(d, names->metric, &s->sorted, &s->n);
	if (err)
		return err;
	s->labels = calloc(s->n ? s->n : 1, label_size);
	s->labels_p = calloc(s->n ? s->n : 1, sizeof(*s->labels_p));
	if (!s->labels || !s->labels_p)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		if (off_cpu && !strcmp(s->sorted[i].name, "__name__"))
			s->sorted[i].value = (char *)names->off_cpu_metric;
		s->labels_p[i] = (char *)s->labels + i * label_size;
		set_label(s->labels_p[i], s->sorted[i].name, s->sorted[i].value);
	}
	if (!off_cpu)
		return compress__gzip(d->pprof, d->pprof_len, &s->gz, &s->gz_len);
	err = pprof__retype(d->pprof, d->pprof_len, names->off_cpu_type, names->off_cpu_unit,
			    names->off_cpu_period_type, names->off_cpu_period_unit, &retyped,
			    &retyped_len);
	if (!err)
		err = compress__gzip(retyped, retyped_len, &s->gz, &s->gz_len);
	free(retyped);
	return err == -EINVAL ? -EBADMSG : err;
}

void backend__series_release(struct backend_series *s)
{
	free(s->labels);
	free(s->labels_p);
	free(s->sorted);
	free(s->gz);
}
