// SPDX-License-Identifier: MIT
/* Reading the backends' replies, without a network: each backend delivers
 * only on its own success reply (an empty PushResponse, a gRPC-Web trailer
 * with grpc-status 0, an ExportProfilesServiceResponse) and keeps the data on
 * a 200 with HTML or random bytes, a redirect, a 401/403; OTLP's partial
 * success is read; Retry-After never overflows and is clamped; the
 * credentials are masked in whatever a server echoes, the password in a
 * refused URL is not repeated. Against a real receiver (and the uploader's
 * books): tests/e2e/test-agent-replies.sh. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/ship/backend.h"
#include "export/ship/exporter.h"
#include "export/ship/redact.h"
#include "proto/otlp_profiles.pb-c.h"

static struct exporter_result classify(const struct backend_ops *ops, long status,
				       const char *ctype, const void *body, size_t len)
{
	struct backend_reply rp = { .status = status, .content_type = ctype, .body = body,
				    .body_len = len };
	struct exporter_result r;

	memset(&r, 0, sizeof(r));
	r.grpc_status = -1;
	r.retry_after_ms = -1;
	ops->classify(&rp, &r);
	return r;
}

#define ASSERT_REPLY(r, o, why) do { \
	ck_assert_msg((r).outcome == (o) && (r).reason == (why), \
		      "outcome %d reason %s (%s), want %d %s", (r).outcome, \
		      exporter__reason_name((r).reason), (r).detail, (o), exporter__reason_name(why)); \
} while (0)

static const char html[] = "<!DOCTYPE html><html><body>Please sign in</body></html>";
static const uint8_t garbage[] = { 0x07, 0xff, 0xff, 0xff, 0xff, 0x13, 0x37, 0x00, 0x42 };

START_TEST(test_backends__deliver_only_on_their_own_success_reply)
{
	const struct backend_ops *all[] = { &pyroscope_backend, &parca_backend, &otlp_backend };
	static const uint8_t trailer_ok[] = "\x00\x00\x00\x00\x00" "\x80\x00\x00\x00\x0e"
					    "grpc-status:0\r\n";
	struct exporter_result r;

	/* the genuine replies */
	r = classify(&pyroscope_backend, 200, "application/proto", "", 0);
	ASSERT_REPLY(r, EXPORT_OK, EXPORT_REASON_NONE);
	r = classify(&pyroscope_backend, 200, "application/json; charset=utf-8", " {} ", 4);
	ASSERT_REPLY(r, EXPORT_OK, EXPORT_REASON_NONE);
	r = classify(&pyroscope_backend, 200, NULL, "", 0);
	ASSERT_REPLY(r, EXPORT_OK, EXPORT_REASON_NONE);
	r = classify(&parca_backend, 200, "application/grpc-web+proto", trailer_ok,
		     sizeof(trailer_ok) - 1);
	ASSERT_REPLY(r, EXPORT_OK, EXPORT_REASON_NONE);
	ck_assert_int_eq(r.grpc_status, 0);
	r = classify(&otlp_backend, 200, "application/x-protobuf", "", 0);
	ASSERT_REPLY(r, EXPORT_OK, EXPORT_REASON_NONE);

	/* a proxy's page, random bytes: kept and retried, on every backend */
	for (size_t i = 0; i < 3; i++) {
		r = classify(all[i], 200, "text/html", html, strlen(html));
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
		ck_assert_ptr_nonnull(strstr(r.detail, "text/html"));
		ck_assert_ptr_nonnull(strstr(r.detail, "Please sign in"));
		r = classify(all[i], 200, i == 0 ? "application/proto" : i == 1 ?
			     "application/grpc-web+proto" : "application/x-protobuf",
			     garbage, sizeof(garbage));
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
		ck_assert_ptr_nonnull(strstr(r.detail, "(binary)"));	/* not a line of '?' */
		r = classify(all[i], 204, "text/plain", "ok", 2);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
	}
	/* a Connect error inside a 200, JSON that is not an object */
	r = classify(&pyroscope_backend, 200, "application/json",
		     "{\"code\":\"unauthenticated\",\"message\":\"no\"}", 41);
	ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
	r = classify(&pyroscope_backend, 200, "application/json", "[1]", 3);
	ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
	/* Parca: no status anywhere, a status that is not a number */
	r = classify(&parca_backend, 200, "application/grpc-web+proto", "", 0);
	ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
	{
		struct backend_reply rp = { .status = 200, .content_type = "application/grpc-web",
					    .grpc_status = "0x0" };

		memset(&r, 0, sizeof(r));
		parca_backend.classify(&rp, &r);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
		rp.grpc_status = "16";
		rp.grpc_message = "bad token";
		parca_backend.classify(&rp, &r);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_AUTH);
		rp.grpc_status = "14";
		parca_backend.classify(&rp, &r);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_GRPC);
		rp.grpc_status = "3";	/* INVALID_ARGUMENT: retrying cannot help */
		parca_backend.classify(&rp, &r);
		ASSERT_REPLY(r, EXPORT_REJECTED, EXPORT_REASON_GRPC);
	}
}
END_TEST

START_TEST(test_backends__keep_the_data_on_redirects_and_refused_credentials)
{
	const struct backend_ops *all[] = { &pyroscope_backend, &parca_backend, &otlp_backend };
	static const long redirects[] = { 301, 302, 303, 307, 308 };

	for (size_t i = 0; i < 3; i++) {
		struct backend_reply rp = { .location = "https://elsewhere.example/push" };
		struct exporter_result r = {0};

		for (size_t k = 0; k < sizeof(redirects) / sizeof(redirects[0]); k++) {
			rp.status = redirects[k];
			all[i]->classify(&rp, &r);
			ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_REDIRECT);
			ck_assert_ptr_nonnull(strstr(r.detail, "elsewhere.example"));
		}
		rp.location = "http://someone:their-password@elsewhere.example/\x1b[2J";
		all[i]->classify(&rp, &r);
		ck_assert_ptr_null(strstr(r.detail, "their-password"));
		ck_assert_ptr_nonnull(strstr(r.detail, "http://***@elsewhere.example/?[2J"));
		r = classify(all[i], 401, "application/json", "{\"code\":\"unauthenticated\"}", 26);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_AUTH);
		ck_assert_ptr_nonnull(strstr(r.detail, "HTTP 401: the backend refuses the credentials"));
		r = classify(all[i], 403, NULL, "", 0);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_AUTH);
		r = classify(all[i], 400, "application/json", "{\"code\":\"invalid_argument\"}", 27);
		ASSERT_REPLY(r, EXPORT_REJECTED, EXPORT_REASON_HTTP_4XX);
		r = classify(all[i], 503, NULL, "", 0);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_HTTP_5XX);
		r = classify(all[i], 429, NULL, "", 0);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_HTTP_429);
		r = classify(all[i], 600, NULL, "", 0);
		ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
	}
}
END_TEST

START_TEST(test_otlp__partial_success_counts_what_the_collector_refused)
{
	Otlp__ExportProfilesServiceResponse resp = OTLP__EXPORT_PROFILES_SERVICE_RESPONSE__INIT;
	Otlp__ExportProfilesPartialSuccess ps = OTLP__EXPORT_PROFILES_PARTIAL_SUCCESS__INIT;
	struct exporter_result r;
	uint8_t buf[256];
	size_t len;

	ps.rejected_profiles = 2;
	ps.error_message = "too old\x01";
	resp.partial_success = &ps;
	len = otlp__export_profiles_service_response__pack(&resp, buf);
	r = classify(&otlp_backend, 200, "application/x-protobuf", buf, len);
	ASSERT_REPLY(r, EXPORT_OK, EXPORT_REASON_PARTIAL);
	ck_assert_int_eq(r.rejected, 2);
	ck_assert_str_eq(r.detail, "too old?");
	ps.rejected_profiles = -5;	/* nonsense */
	len = otlp__export_profiles_service_response__pack(&resp, buf);
	r = classify(&otlp_backend, 200, "application/x-protobuf", buf, len);
	ASSERT_REPLY(r, EXPORT_RETRY, EXPORT_REASON_BAD_REPLY);
	ck_assert_int_eq(r.rejected, 0);
}
END_TEST

START_TEST(test_backend__retry_after_never_overflows_and_is_clamped)
{
	const int64_t max_ms = BACKEND_RETRY_AFTER_MAX_S * 1000LL;
	time_t now = 784111777;		/* Sun, 06 Nov 1994 08:49:37 GMT */
	int64_t ms = -7;

	ck_assert_int_eq(backend__parse_retry_after("120", now, &ms), 0);
	ck_assert_int_eq(ms, 120000);
	ck_assert_int_eq(backend__parse_retry_after(" 0 ", now, &ms), 0);
	ck_assert_int_eq(ms, 0);
	ck_assert_int_eq(backend__parse_retry_after("99999999999999999999", now, &ms), 0);
	ck_assert_int_eq(ms, max_ms);
	ck_assert_int_eq(backend__parse_retry_after("9223372036854775807", now, &ms), 0);
	ck_assert_int_eq(ms, max_ms);
	ck_assert_int_eq(backend__parse_retry_after("18446744073709551616000", now, &ms), 0);
	ck_assert_int_eq(ms, max_ms);
	ck_assert_int_eq(backend__parse_retry_after("301", now, &ms), 0);
	ck_assert_int_eq(ms, max_ms);
	/* HTTP-date: relative to now, in the past is 0, far ahead is clamped */
	ck_assert_int_eq(backend__parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now, &ms), 0);
	ck_assert_int_eq(ms, 60000);
	ck_assert_int_eq(backend__parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now, &ms), 0);
	ck_assert_int_eq(ms, 0);
	ck_assert_int_eq(backend__parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now, &ms), 0);
	ck_assert_int_eq(ms, max_ms);
	ck_assert_int_eq(backend__parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now, &ms), 0);
	ck_assert_int_eq(ms, 0);
	/* not a Retry-After */
	ms = -7;
	ck_assert_int_eq(backend__parse_retry_after("", now, &ms), -EINVAL);
	ck_assert_int_eq(backend__parse_retry_after("-1", now, &ms), -EINVAL);
	ck_assert_int_eq(backend__parse_retry_after("1.5", now, &ms), -EINVAL);
	ck_assert_int_eq(backend__parse_retry_after("12abc", now, &ms), -EINVAL);
	ck_assert_int_eq(backend__parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now, &ms),
			 -EINVAL);
	ck_assert_int_eq(backend__parse_retry_after("Sun, 06 Nov 1994 25:49:37 GMT", now, &ms),
			 -EINVAL);
	ck_assert_int_eq(backend__parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now, &ms),
			 -EINVAL);
	ck_assert_int_eq(backend__parse_retry_after(NULL, now, &ms), -EINVAL);
	ck_assert_int_eq(ms, -7);
}
END_TEST

START_TEST(test_backend__reads_protobuf_framing_and_content_types)
{
	ck_assert(backend__protobuf_well_formed((const uint8_t *)"", 0));
	ck_assert(backend__protobuf_well_formed((const uint8_t *)"\x08\x96\x01", 3));
	ck_assert(backend__protobuf_well_formed((const uint8_t *)"\x12\x02hi\x1d\x01\x02\x03\x04", 9));
	ck_assert(!backend__protobuf_well_formed((const uint8_t *)"\x12\x05hi", 4));	/* short */
	ck_assert(!backend__protobuf_well_formed((const uint8_t *)"\x00\x01", 2));	/* field 0 */
	ck_assert(!backend__protobuf_well_formed((const uint8_t *)"\x0b", 1));		/* group */
	ck_assert(!backend__protobuf_well_formed((const uint8_t *)"<html>", 6));
	ck_assert(!backend__protobuf_well_formed(garbage, sizeof(garbage)));
	ck_assert(!backend__protobuf_well_formed(
		(const uint8_t *)"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12));
	ck_assert(backend__content_type_is(" Application/Proto ; charset=x", "application/proto"));
	ck_assert(!backend__content_type_is("application/protobuf", "application/proto"));
	ck_assert(!backend__content_type_is(NULL, "application/proto"));
}
END_TEST

START_TEST(test_redact__masks_every_form_of_the_credentials)
{
	struct redact_secrets rs;
	char url[128], text[256];
	uint8_t body[256];
	int n;

	/* user:pass = agent:hunter2-long-password, base64 YWdlbnQ6aHVudGVyMi1sb25nLXBhc3N3b3Jk */
	ck_assert_int_eq(redact__secrets_init(&rs, NULL, "agent:hunter2-long-password"), 0);
	n = snprintf((char *)body, sizeof(body), "{\"echo\":\"Authorization: Basic "
		     "YWdlbnQ6aHVudGVyMi1sb25nLXBhc3N3b3Jk\", \"pw\":\"hunter2-long-password\"}");
	ck_assert_uint_ge(redact__mask(&rs, body, n), 2);
	ck_assert_ptr_null(strstr((char *)body, "YWdlbnQ6"));
	ck_assert_ptr_null(strstr((char *)body, "hunter2"));
	ck_assert_ptr_nonnull(strstr((char *)body, "\"pw\":\"*****"));	/* same length, same framing */
	ck_assert_int_eq(strlen((char *)body), n);
	/* a prefix cut by a proxy (or by a bound) is still caught */
	snprintf(text, sizeof(text), "x-echo: hunter2-long-pa");
	ck_assert_uint_ge(redact__text(&rs, text), 1);
	ck_assert_ptr_null(strstr(text, "hunter2"));
	redact__secrets_release(&rs);

	ck_assert_int_eq(redact__secrets_init(&rs, "eyJhbGciOiJIUzI1NiJ9.payload.sig", NULL), 0);
	snprintf(text, sizeof(text), "auth was 'Bearer eyJhbGciOiJIUzI1' and bearer=otherthing ok");
	redact__text(&rs, text);
	ck_assert_ptr_null(strstr(text, "eyJhbGciOi"));
	ck_assert_ptr_null(strstr(text, "otherthing"));
	ck_assert_ptr_nonnull(strstr(text, " ok"));
	redact__secrets_release(&rs);

	ck_assert_str_eq(exporter__redact_url("pyroscope://agent:s3cret@h:4040/p", url, sizeof(url)),
			 "pyroscope://***@h:4040/p");
	ck_assert_str_eq(exporter__redact_url("otlp://a:b@c@h/x@y", url, sizeof(url)),
			 "otlp://***@h/x@y");
	ck_assert_str_eq(exporter__redact_url("u:p@h", url, sizeof(url)), "***@h");
	ck_assert_str_eq(exporter__redact_url("parca://h:7070", url, sizeof(url)), "parca://h:7070");
}
END_TEST

START_TEST(test_exporter__refusing_a_url_does_not_repeat_its_password)
{
	struct exporter_opts o = { .url = "pyroscope://agent:Pa55w0rd@127.0.0.1:4040" };
	char why[512];

	ck_assert_ptr_null(exporter__new(&o, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "credentials do not go in the URL"));
	ck_assert_ptr_null(strstr(why, "Pa55w0rd"));
	ck_assert_ptr_nonnull(strstr(why, "pyroscope://***@127.0.0.1:4040"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backend");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_backends__deliver_only_on_their_own_success_reply);
	tcase_add_test(tc, test_backends__keep_the_data_on_redirects_and_refused_credentials);
	tcase_add_test(tc, test_otlp__partial_success_counts_what_the_collector_refused);
	tcase_add_test(tc, test_backend__retry_after_never_overflows_and_is_clamped);
	tcase_add_test(tc, test_backend__reads_protobuf_framing_and_content_types);
	tcase_add_test(tc, test_redact__masks_every_form_of_the_credentials);
	tcase_add_test(tc, test_exporter__refusing_a_url_does_not_repeat_its_password);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
