// SPDX-License-Identifier: MIT
/* Exporters over libcurl. One easy handle per exporter keeps the connection
 * alive between requests; nothing here retries or sleeps: the uploader owns
 * the retry policy. What a reply means is the backend table's business
 * (export/ship/backend.h); this file reads it off the wire, masks the
 * credentials in whatever the server said, and hands it over.
 * The file exporter names each file after the delta's id, so writing a delta
 * twice (a replay after a crash) replaces the file instead of doubling it. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <curl/curl.h>

#include "base/atomic_file.h"
#include "export/ship/backend.h"
#include "base/compress.h"
#include "export/ship/exporter.h"
#include "base/fs.h"
#include "export/ship/redact.h"

#define RESPONSE_MAX	(64 * 1024)	/* response bytes kept; the rest is discarded */
#define HEADER_MAX	256		/* bytes kept of each header we read */

/* The headers a reply is classified by, as the last response sent them. */
enum { H_CONTENT_TYPE, H_GRPC_STATUS, H_GRPC_MESSAGE, H_LOCATION, H_RETRY_AFTER, NR_H };

struct exporter {
	struct exporter_url url;
	const struct backend_ops *ops;		/* NULL: the file exporter */
	char *url_str, *tenant, *bearer, *basic, *tls_ca, *tls_cert, *tls_key, *version;
	struct redact_secrets secrets;
	bool insecure;
	long timeout_ms, connect_ms;
	char user_agent[64];
	CURL *curl;
	/* per request */
	uint8_t *resp;
	size_t resp_len;
	char hdr[NR_H][HEADER_MAX];
	bool has_hdr[NR_H];
	const volatile int *abort_flag;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void init_curl(void)
{
	curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *exporter__reason_name(enum exporter_reason r)
{
	static const char *const names[EXPORT_NR_REASONS] = {
		[EXPORT_REASON_NONE] = "none",
		[EXPORT_REASON_CONNECT] = "connect",
		[EXPORT_REASON_TIMEOUT] = "timeout",
		[EXPORT_REASON_RESET] = "connection_reset",
		[EXPORT_REASON_TLS] = "tls",
		[EXPORT_REASON_HTTP_429] = "http_429",
		[EXPORT_REASON_HTTP_5XX] = "http_5xx",
		[EXPORT_REASON_HTTP_4XX] = "http_4xx",
		[EXPORT_REASON_AUTH] = "auth",
		[EXPORT_REASON_REDIRECT] = "redirect",
		[EXPORT_REASON_BAD_REPLY] = "bad_reply",
		[EXPORT_REASON_GRPC] = "grpc_status",
		[EXPORT_REASON_PARTIAL] = "partial_success",
		[EXPORT_REASON_IO] = "io",
		[EXPORT_REASON_ENCODE] = "encode",
		[EXPORT_REASON_ABORTED] = "aborted",
		[EXPORT_REASON_OTHER] = "other",
	};

	return (unsigned)r < EXPORT_NR_REASONS && names[r] ? names[r] : "other";
}

/* ---- URL ------------------------------------------------------------------ */

static bool valid_port(const char *s, size_t n)
{
	long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static int parse_url(const char *url, struct exporter_url *ret, const char **ret_why)
{
	const char *sep = strstr(url, "://"), *auth, *auth_end, *host_end, *prefix;
	struct exporter_url u = {0};
	size_t plen;
	int port;

	*ret_why = "expected pyroscope://HOST:PORT, parca://HOST:PORT, otlp://HOST:PORT "
		   "(+https for TLS, e.g. pyroscope+https://HOST) or file:///DIR";
	if (!sep)
		return -EINVAL;
	if (sep - url == 4 && !strncasecmp(url, "file", 4)) {
		u.kind = EXPORTER_FILE;
	} else {
		u.ops = backend__by_scheme(url, (size_t)(sep - url), &u.tls);
		if (!u.ops) {
			*ret_why = "unknown scheme: use pyroscope://, parca://, otlp:// (or their "
				   "+https forms) or file://";
			return -EINVAL;
		}
		u.kind = u.ops->kind;
	}
	auth = sep + 3;
	if (u.kind == EXPORTER_FILE) {
		if (strncmp(auth, "localhost/", 10) == 0)
			auth += 9;
		if (auth[0] != '/' || !auth[1]) {
			*ret_why = "file:// takes an absolute directory: file:///var/lib/cprof/out";
			return -EINVAL;
		}
		if (strlen(auth) >= sizeof(u.base)) {
			*ret_why = "directory path too long";
			return -EINVAL;
		}
		snprintf(u.base, sizeof(u.base), "%s", auth);
		plen = strlen(u.base);
		while (plen > 1 && u.base[plen - 1] == '/')
			u.base[--plen] = '\0';
		*ret = u;
		return 0;
	}
	auth_end = auth + strcspn(auth, "/?#");
	if (*auth_end == '?' || *auth_end == '#' || strpbrk(auth_end, "?#")) {
		*ret_why = "the URL may not have a query or fragment";
		return -EINVAL;
	}
	if (memchr(auth, '@', auth_end - auth)) {
		*ret_why = "credentials do not go in the URL (ps and logs would show them): use "
			   "--basic-auth-file or CPROF_BASIC_AUTH, --bearer-token-file or "
			   "CPROF_BEARER_TOKEN";
		return -EINVAL;
	}
	if (*auth == '[') {
		host_end = memchr(auth, ']', auth_end - auth);
		if (!host_end) {
			*ret_why = "unterminated [IPv6] address";
			return -EINVAL;
		}
		host_end++;
	} else {
		host_end = memchr(auth, ':', auth_end - auth);
		if (!host_end)
			host_end = auth_end;
	}
	if (host_end == auth) {
		*ret_why = "the URL has no host";
		return -EINVAL;
	}
	port = u.ops->default_port;
	if (host_end < auth_end) {
		if (*host_end != ':' || !valid_port(host_end + 1, auth_end - host_end - 1)) {
			*ret_why = "the port must be a number 1..65535";
			return -EINVAL;
		}
		port = atoi(host_end + 1);
	}
	prefix = auth_end;
	plen = strlen(prefix);
	while (plen && prefix[plen - 1] == '/')
		plen--;
	if ((size_t)snprintf(u.base, sizeof(u.base), "%s://%.*s:%d%.*s", u.tls ? "https" : "http",
			     (int)(host_end - auth), auth, port, (int)plen, prefix) >= sizeof(u.base)) {
		*ret_why = "URL too long";
		return -EINVAL;
	}
	*ret = u;
	return 0;
}

int exporter__parse_url(const char *url, struct exporter_url *ret, char *why, size_t why_len)
{
	const char *msg = "";
	int err = parse_url(url, ret, &msg);

	if (err && why && why_len)
		snprintf(why, why_len, "%s", msg);
	return err;
}

const char *exporter__redact_url(const char *url, char *buf, size_t len)
{
	const char *sep = strstr(url, "://"), *auth = sep ? sep + 3 : url, *at = NULL;
	size_t end = strcspn(auth, "/?#");

	for (size_t i = 0; i < end; i++)
		if (auth[i] == '@')
			at = auth + i;
	if (!at)
		snprintf(buf, len, "%s", url);
	else
		snprintf(buf, len, "%.*s***%s", (int)(auth - url), url, at);
	return buf;
}

/* ---- lifecycle ------------------------------------------------------------ */

static int dup_opt(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

/* The file:// directory: made like any output directory (0755), and writable. */
static int file_dir_ready(const char *path)
{
	int err = fs__mkdir_p(path, 0755);

	return err ? err : access(path, W_OK) ? -errno : 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct exporter *ex = ctx;
	size_t n = size * nmemb, keep = n;

	if (ex->resp_len + keep > RESPONSE_MAX)
		keep = RESPONSE_MAX - ex->resp_len;
	if (keep) {
		memcpy(ex->resp + ex->resp_len, data, keep);
		ex->resp_len += keep;
	}
	return n;
}

static void reset_reply(struct exporter *ex)
{
	ex->resp_len = 0;
	memset(ex->has_hdr, 0, sizeof(ex->has_hdr));
}

/* Header (and HTTP trailer) lines. A status line starts a new response
 * (curl passes those of a 1xx too): what an earlier one said is forgotten. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	static const char *const names[NR_H] = {
		[H_CONTENT_TYPE] = "content-type", [H_GRPC_STATUS] = "grpc-status",
		[H_GRPC_MESSAGE] = "grpc-message", [H_LOCATION] = "location",
		[H_RETRY_AFTER] = "retry-after",
	};
	struct exporter *ex = ctx;
	size_t n = size * nmemb, vlen;
	const char *colon = memchr(data, ':', n), *v;

	if (n >= 5 && !memcmp(data, "HTTP/", 5)) {
		reset_reply(ex);
		return n;
	}
	if (!colon)
		return n;
	v = colon + 1;
	while (v < data + n && (*v == ' ' || *v == '\t'))
		v++;
	vlen = data + n - v;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	for (int h = 0; h < NR_H; h++) {
		size_t klen = strlen(names[h]);

		if ((size_t)(colon - data) != klen || strncasecmp(data, names[h], klen))
			continue;
		if (vlen >= HEADER_MAX)
			vlen = HEADER_MAX - 1;
		memcpy(ex->hdr[h], v, vlen);
		ex->hdr[h][vlen] = '\0';
		ex->has_hdr[h] = true;
	}
	return n;
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct exporter *ex = ctx;

	(void)dt; (void)dn; (void)ut; (void)un;
	return ex->abort_flag && __atomic_load_n(ex->abort_flag, __ATOMIC_RELAXED);
}

static int setup_curl(struct exporter *ex)
{
	CURL *c = curl_easy_init();

	if (!c)
		return -ENOMEM;
	ex->curl = c;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ex->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ex->connect_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ex->user_agent);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ex);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, ex);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, ex);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (ex->tls_ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ex->tls_ca);
	if (ex->tls_cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, ex->tls_cert);
	if (ex->tls_key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, ex->tls_key);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, ex->insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, ex->insecure ? 0L : 2L);
	if (ex->basic) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, ex->basic);
	}
	return 0;
}

static int check_readable(const char *path, const char *what, char *why, size_t why_len)
{
	if (!path || access(path, R_OK) == 0)
		return 0;
	snprintf(why, why_len, "%s %s: %s", what, path, strerror(errno));
	return -EINVAL;
}

struct exporter *exporter__new(const struct exporter_opts *o, char *why, size_t why_len)
{
	struct exporter *ex = calloc(1, sizeof(*ex));
	const char *msg;
	int err = -ENOMEM;

	if (!ex)
		return NULL;
	why[0] = '\0';
	if (!o->url) {
		snprintf(why, why_len, "no backend URL");
		err = -EINVAL;
		goto out_free;
	}
	if ((err = parse_url(o->url, &ex->url, &msg))) {
		char shown[300];

		snprintf(why, why_len, "%s: %s", exporter__redact_url(o->url, shown, sizeof(shown)),
			 msg);
		goto out_free;
	}
	ex->ops = ex->url.ops;
	if (o->bearer_token && o->basic_auth) {
		snprintf(why, why_len, "give a bearer token or basic auth, not both");
		err = -EINVAL;
		goto out_free;
	}
	if (o->basic_auth && !strchr(o->basic_auth, ':')) {
		snprintf(why, why_len, "basic auth must read USER:PASSWORD");
		err = -EINVAL;
		goto out_free;
	}
	if ((err = check_readable(o->tls_ca, "--tls-ca", why, why_len)) ||
	    (err = check_readable(o->tls_cert, "--tls-cert", why, why_len)) ||
	    (err = check_readable(o->tls_key, "--tls-key", why, why_len)))
		goto out_free;
	err = -ENOMEM;
	if (dup_opt(&ex->url_str, o->url) || dup_opt(&ex->tenant, o->tenant) ||
	    dup_opt(&ex->bearer, o->bearer_token) || dup_opt(&ex->basic, o->basic_auth) ||
	    dup_opt(&ex->tls_ca, o->tls_ca) || dup_opt(&ex->tls_cert, o->tls_cert) ||
	    dup_opt(&ex->tls_key, o->tls_key) || dup_opt(&ex->version, o->version ? o->version : "") ||
	    redact__secrets_init(&ex->secrets, o->bearer_token, o->basic_auth))
		goto out_free;
	ex->insecure = o->tls_insecure;
	ex->timeout_ms = (long)((o->timeout_s > 0 ? o->timeout_s : 10) * 1000);
	ex->connect_ms = o->connect_timeout_s > 0 ? (long)(o->connect_timeout_s * 1000) :
			 (ex->timeout_ms < 5000 ? ex->timeout_ms : 5000);
	snprintf(ex->user_agent, sizeof(ex->user_agent), "cprof/%s", ex->version);

	if (ex->url.kind == EXPORTER_FILE) {
		if ((err = file_dir_ready(ex->url.base))) {
			snprintf(why, why_len, "cannot write to %s: %s", ex->url.base, strerror(-err));
			err = -EINVAL;
			goto out_free;
		}
		return ex;
	}
	pthread_once(&curl_once, init_curl);
	if (curl_init_code != CURLE_OK) {
		snprintf(why, why_len, "libcurl: %s", curl_easy_strerror(curl_init_code));
		err = -EIO;
		goto out_free;
	}
	ex->resp = malloc(RESPONSE_MAX);
	if (!ex->resp || (err = setup_curl(ex)))
		goto out_free;
	return ex;

out_free:
	exporter__free(ex);
	errno = -err;
	return NULL;
}

void exporter__free(struct exporter *ex)
{
	if (!ex)
		return;
	if (ex->curl)
		curl_easy_cleanup(ex->curl);
	free(ex->url_str);
	free(ex->tenant);
	if (ex->bearer)
		explicit_bzero(ex->bearer, strlen(ex->bearer));
	if (ex->basic)
		explicit_bzero(ex->basic, strlen(ex->basic));
	free(ex->bearer);
	free(ex->basic);
	redact__secrets_release(&ex->secrets);
	free(ex->tls_ca);
	free(ex->tls_cert);
	free(ex->tls_key);
	free(ex->version);
	free(ex->resp);
	free(ex);
}

enum exporter_kind exporter__kind(const struct exporter *ex)
{
	return ex->url.kind;
}

const char *exporter__kind_name(enum exporter_kind kind)
{
	static const char *const names[EXPORTER_NR_KINDS] = {
		[EXPORTER_PYROSCOPE] = "pyroscope",
		[EXPORTER_PARCA] = "parca",
		[EXPORTER_OTLP] = "otlp",
		[EXPORTER_FILE] = "file",
	};

	return (unsigned int)kind < EXPORTER_NR_KINDS ? names[kind] : "unknown";
}

const char *exporter__url(const struct exporter *ex)
{
	return ex->url_str;
}

/* ---- sending -------------------------------------------------------------- */

static void set_result(struct exporter_result *r, enum exporter_outcome o,
		       enum exporter_reason reason)
{
	r->outcome = o;
	r->reason = reason;
}

static void classify_curl(CURLcode rc, const char *errbuf, struct exporter_result *r)
{
	snprintf(r->detail, sizeof(r->detail), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		set_result(r, EXPORT_RETRY, EXPORT_REASON_CONNECT);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		set_result(r, EXPORT_RETRY, EXPORT_REASON_TIMEOUT);
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		set_result(r, EXPORT_RETRY, EXPORT_REASON_RESET);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		set_result(r, EXPORT_RETRY, EXPORT_REASON_TLS);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		set_result(r, EXPORT_RETRY, EXPORT_REASON_ABORTED);
		break;
	default:
		set_result(r, EXPORT_RETRY, EXPORT_REASON_OTHER);
	}
}

/* Reads the reply the last transfer left and lets the backend say what it
 * means. The credentials are masked in everything a server could have
 * echoed before anyone reads it, then once more in the text that will be
 * printed. */
static void classify_reply(struct exporter *ex, long status, struct exporter_result *r)
{
	struct backend_reply rp = { .status = status, .body = ex->resp, .body_len = ex->resp_len };
	const char **hv[NR_H] = {
		[H_CONTENT_TYPE] = &rp.content_type, [H_GRPC_STATUS] = &rp.grpc_status,
		[H_GRPC_MESSAGE] = &rp.grpc_message, [H_LOCATION] = &rp.location,
	};

	redact__mask(&ex->secrets, ex->resp, ex->resp_len);
	for (int h = 0; h < NR_H; h++) {
		if (!ex->has_hdr[h])
			continue;
		redact__mask(&ex->secrets, (uint8_t *)ex->hdr[h], strlen(ex->hdr[h]));
		if (hv[h])
			*hv[h] = ex->hdr[h];
	}
	ex->ops->classify(&rp, r);
	redact__mask(&ex->secrets, (uint8_t *)r->detail, strlen(r->detail));
	redact__text(&ex->secrets, r->detail);
	if (ex->has_hdr[H_RETRY_AFTER] &&
	    backend__parse_retry_after(ex->hdr[H_RETRY_AFTER], time(NULL), &r->retry_after_ms))
		r->retry_after_ms = -1;
}

static int send_http(struct exporter *ex, struct delta *const *deltas, size_t n,
		     struct exporter_result *r)
{
	const struct backend_encode_opts eo = { .tenant = ex->tenant, .version = ex->version };
	struct curl_slist *h = NULL, *t;
	uint8_t *body = NULL;
	size_t len = 0;
	char url[600], hdr[600], errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	long status = 0;
	int err;

	err = ex->ops->encode(deltas, n, &eo, &body, &len);
	if (err == -ENOMEM)
		goto out_free;
	if (err) {
		snprintf(r->detail, sizeof(r->detail), "encoding the request: %s", strerror(-err));
		set_result(r, EXPORT_REJECTED, EXPORT_REASON_ENCODE);
		err = 0;
		goto out_free;
	}
	for (const char *const *hl = ex->ops->headers; *hl; hl++) {
		if (!(t = curl_slist_append(h, *hl))) {
			err = -ENOMEM;
			goto out_free;
		}
		h = t;
	}
	/* curl would otherwise wait up to 1 s for a "100 Continue" on big bodies. */
	t = curl_slist_append(h, "Expect:");
	h = t ? t : h;
	if (ex->tenant) {
		snprintf(hdr, sizeof(hdr), "X-Scope-OrgID: %s", ex->tenant);
		t = curl_slist_append(h, hdr);
		h = t ? t : h;
	}
	if (ex->bearer) {
		size_t alen = strlen(ex->bearer) + 32;
		char *auth = malloc(alen);

		if (!auth) {
			err = -ENOMEM;
			goto out_free;
		}
		snprintf(auth, alen, "Authorization: Bearer %s", ex->bearer);
		t = curl_slist_append(h, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
		if (!t) {
			err = -ENOMEM;
			goto out_free;
		}
		h = t;
	}
	snprintf(url, sizeof(url), "%s%s", ex->url.base, ex->ops->path);
	reset_reply(ex);
	curl_easy_setopt(ex->curl, CURLOPT_URL, url);
	curl_easy_setopt(ex->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(ex->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(ex->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(ex->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(ex->curl, CURLOPT_ERRORBUFFER, errbuf);
	r->bytes_sent = len;
	rc = curl_easy_perform(ex->curl);
	curl_easy_setopt(ex->curl, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		classify_curl(rc, errbuf, r);
		redact__text(&ex->secrets, r->detail);
		goto out_free;
	}
	curl_easy_getinfo(ex->curl, CURLINFO_RESPONSE_CODE, &status);
	classify_reply(ex, status, r);
out_free:
	curl_easy_setopt(ex->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	free(body);
	return err;
}

/* "service.20240101T120000Z.<uuid>.pb.gz": sortable by time, unique per delta. */
static void file_name(const struct delta *d, char *buf, size_t len)
{
	const char *svc = delta__label(d, "service_name");
	char safe[65], id[DELTA_ID_STR_LEN], when[32];
	time_t t = d->time_nanos / 1000000000LL;
	struct tm tm;
	size_t i;

	for (i = 0; svc && svc[i] && i < sizeof(safe) - 1; i++)
		safe[i] = isalnum((unsigned char)svc[i]) || strchr("._-", svc[i]) ? svc[i] : '_';
	safe[i] = '\0';
	if (!i || safe[0] == '.')
		snprintf(safe, sizeof(safe), "profile");
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	delta__id_string(d, id);
	snprintf(buf, len, "%s.%s.%s.pb.gz", safe, when, id);
}

static int send_files(struct exporter *ex, struct delta *const *deltas, size_t n,
		      struct exporter_result *r)
{
	for (size_t i = 0; i < n; i++) {
		struct atomic_file af;
		char name[200], path[800];
		uint8_t *gz;
		size_t len;
		int err;

		file_name(deltas[i], name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", ex->url.base, name);
		err = compress__gzip(deltas[i]->pprof, deltas[i]->pprof_len, &gz, &len);
		if (err)
			return err;
		err = atomic_file__open(&af, path);
		if (err == -ENOENT && !file_dir_ready(ex->url.base))	/* the directory went away */
			err = atomic_file__open(&af, path);
		if (!err) {
			if (fwrite(gz, 1, len, af.f) != len)
				err = -EIO;
			if (err)
				atomic_file__abort(&af);
			else
				err = atomic_file__commit(&af);
		}
		free(gz);
		if (err) {
			snprintf(r->detail, sizeof(r->detail), "%.200s: %s", name, strerror(-err));
			set_result(r, EXPORT_RETRY, EXPORT_REASON_IO);
			return 0;
		}
		r->bytes_sent += len;
	}
	return 0;
}

int exporter__send(struct exporter *ex, struct delta *const *deltas, size_t n,
		   const volatile int *abort_flag, struct exporter_result *r)
{
	memset(r, 0, sizeof(*r));
	r->grpc_status = -1;
	r->retry_after_ms = -1;
	if (!n)
		return -EINVAL;
	ex->abort_flag = abort_flag;
	if (ex->url.kind == EXPORTER_FILE)
		return send_files(ex, deltas, n, r);
	return send_http(ex, deltas, n, r);
}
