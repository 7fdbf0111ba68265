// SPDX-License-Identifier: MIT
/* exporters: URLs are parsed (and credentials in them refused), each
 * backend's request decodes back (protobuf-c, the generated C side) with its
 * labels sorted, __name__ set, the delta's id carried and the pprof intact;
 * OTLP's dictionary keeps slot 0 empty and every index in range; gRPC-Web
 * trailers are read; the file exporter is idempotent per delta id; a closed
 * port is a retryable connection failure; and the uploader empties a spool
 * into the file exporter, or keeps it when the backend is away, answers a
 * 200 with HTML, redirects or 401 (against a loopback stub), and counts an
 * OTLP partial success as rejected; a huge Retry-After is clamped. The
 * network side against a real receiver is tests/e2e/test-agent-*.sh. */
#define _GNU_SOURCE	/* memmem */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <sys/socket.h>

#include "export/ship/backend.h"
#include "base/compress.h"
#include "export/ship/delta.h"
#include "export/ship/exporter.h"
#include "export/ship/otlp.h"
#include "export/ship/parca.h"
#include "export/pb_profile.h"
#include "export/ship/pyroscope.h"
#include "export/ship/spool.h"
#include "export/ship/uploader.h"
#include "proto/otlp_profiles.pb-c.h"
#include "proto/parca_profilestore.pb-c.h"
#include "proto/pyroscope_push.pb-c.h"

/* A small pprof: main -> work (2 samples, pid 42) and main (1 sample, pid 43). */
static struct delta *make_delta(const char *service)
{
	static const struct pb_value_type types[] = { { "samples", "count" }, { "cpu", "nanoseconds" } };
	struct pb_profile_opts po = { .sample_types = types, .n_sample_types = 2,
				      .period_type = { "cpu", "nanoseconds" }, .period = 52631578,
				      .time_nanos = 1700000000000000000LL, .duration_nanos = 10000000000LL };
	struct pb_profile *p = pb_profile__new(&po);
	struct pb_line lmain = { .name = "main", .filename = "m.c", .line = 3 };
	struct pb_line lwork = { .name = "work", .filename = "m.c", .line = 9 };
	struct pb_label l42 = { .key = "pid", .num = 42, .num_unit = "id" };
	struct pb_label l43 = { .key = "pid", .num = 43, .num_unit = "id" };
	uint64_t m = pb_profile__add_mapping(p, 0x400000, 0x500000, 0, "/bin/app", "abcdef");
	uint64_t loc_main = pb_profile__add_location(p, m, 0x401000, &lmain, 1);
	uint64_t loc_work = pb_profile__add_location(p, m, 0x402000, &lwork, 1);
	uint64_t stack1[] = { loc_work, loc_main }, stack2[] = { loc_main };
	int64_t v2[] = { 2, 2 * 52631578 }, v1[] = { 1, 52631578 };
	const Perftools__Profiles__Profile *msg;
	struct delta *d = delta__new();
	size_t len;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(pb_profile__add_sample(p, stack1, 2, v2, &l42, 1), 0);
	ck_assert_int_eq(pb_profile__add_sample(p, stack2, 1, v1, &l43, 1), 0);
	msg = pb_profile__finish(p);
	len = perftools__profiles__profile__get_packed_size(msg);
	d->pprof = malloc(len);
	d->pprof_len = len;
	perftools__profiles__profile__pack(msg, d->pprof);
	pb_profile__free(p);
	d->samples = 3;
	d->time_nanos = po.time_nanos;
	d->duration_nanos = po.duration_nanos;
	ck_assert_int_eq(delta__set_label(d, "service_name", service), 0);
	ck_assert_int_eq(delta__set_label(d, "hostname", "host1"), 0);
	ck_assert_int_eq(delta__set_label(d, "env", "test"), 0);
	return d;
}

static uint8_t *gunzip(const uint8_t *buf, size_t len, size_t *ret_len)
{
	size_t cap = 1 << 20;
	uint8_t *out = malloc(cap);
	z_stream zs = { .next_in = (Bytef *)buf, .avail_in = len, .next_out = out, .avail_out = cap };

	ck_assert_int_eq(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
	ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	*ret_len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

START_TEST(test_exporter__parses_urls_and_refuses_credentials_in_them)
{
	struct exporter_url u;
	char why[256];

	ck_assert_int_eq(exporter__parse_url("pyroscope://127.0.0.1", &u, why, sizeof(why)), 0);
	ck_assert_int_eq(u.kind, EXPORTER_PYROSCOPE);
	ck_assert_str_eq(u.base, "http://127.0.0.1:4040");
	ck_assert_int_eq(exporter__parse_url("parca+https://parca.example:443/x/", &u, why, sizeof(why)), 0);
	ck_assert_int_eq(u.kind, EXPORTER_PARCA);
	ck_assert_str_eq(u.base, "https://parca.example:443/x");
	ck_assert_int_eq(exporter__parse_url("otlp://[::1]", &u, why, sizeof(why)), 0);
	ck_assert_str_eq(u.base, "http://[::1]:4318");
	ck_assert_int_eq(exporter__parse_url("file:///var/lib/cprof/", &u, why, sizeof(why)), 0);
	ck_assert_int_eq(u.kind, EXPORTER_FILE);
	ck_assert_str_eq(u.base, "/var/lib/cprof");

	ck_assert_int_eq(exporter__parse_url("pyroscope://u:p@h:4040", &u, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "credentials"));
	ck_assert_int_eq(exporter__parse_url("http://h:4040", &u, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(exporter__parse_url("otlp://h:0", &u, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(exporter__parse_url("otlp://h:99999", &u, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(exporter__parse_url("otlp://:4318", &u, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(exporter__parse_url("file://relative/dir", &u, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(exporter__parse_url("pyroscope://h/x?a=b", &u, why, sizeof(why)), -EINVAL);
}
END_TEST

START_TEST(test_delta__round_trips_with_a_stable_uuid)
{
	struct delta *d = make_delta("svc"), *back = NULL, *other = delta__new();
	char id[DELTA_ID_STR_LEN], id2[DELTA_ID_STR_LEN];
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(delta__encode(d, &buf, &len), 0);
	ck_assert_int_eq(delta__decode(buf, len, &back), 0);
	ck_assert_mem_eq(back->id, d->id, DELTA_ID_LEN);
	ck_assert_str_eq(delta__label(back, "service_name"), "svc");
	ck_assert_uint_eq(back->samples, 3);
	ck_assert_uint_eq(back->pprof_len, d->pprof_len);
	ck_assert_mem_eq(back->pprof, d->pprof, d->pprof_len);
	delta__id_string(d, id);
	delta__id_string(other, id2);
	ck_assert_int_eq(strlen(id), 36);
	ck_assert_int_eq(id[14], '4');	/* version 4 */
	ck_assert_str_ne(id, id2);
	ck_assert_int_eq(delta__decode((const uint8_t *)"\x0a\x03" "abc", 5, &back), -EBADMSG);
	free(buf);
	delta__free(back);
	delta__free(other);
	delta__free(d);
}
END_TEST

START_TEST(test_pyroscope__push_carries_sorted_labels_the_id_and_the_gzipped_pprof)
{
	struct delta *d[2] = { make_delta("api"), make_delta("db") };
	Push__V1__PushRequest *req;
	char id[DELTA_ID_STR_LEN];
	uint8_t *buf, *raw;
	size_t len, raw_len;

	ck_assert_int_eq(pyroscope__encode_push(d, 2, &buf, &len), 0);
	req = push__v1__push_request__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(req);
	ck_assert_uint_eq(req->n_series, 2);
	for (size_t i = 0; i < 2; i++) {
		Push__V1__RawProfileSeries *s = req->series[i];

		ck_assert_str_eq(s->labels[0]->name, "__name__");
		ck_assert_str_eq(s->labels[0]->value, "process_cpu");
		for (size_t j = 1; j < s->n_labels; j++)
			ck_assert_int_lt(strcmp(s->labels[j - 1]->name, s->labels[j]->name), 0);
		ck_assert_uint_eq(s->n_labels, 4);
		ck_assert_uint_eq(s->n_samples, 1);
		delta__id_string(d[i], id);
		ck_assert_str_eq(s->samples[0]->id, id);
		raw = gunzip(s->samples[0]->raw_profile.data, s->samples[0]->raw_profile.len, &raw_len);
		ck_assert_uint_eq(raw_len, d[i]->pprof_len);
		ck_assert_mem_eq(raw, d[i]->pprof, raw_len);
		free(raw);
	}
	ck_assert_str_eq(req->series[1]->labels[3]->value, "db");	/* service_name sorts last */
	push__v1__push_request__free_unpacked(req, NULL);
	free(buf);
	delta__free(d[0]);
	delta__free(d[1]);
}
END_TEST

START_TEST(test_parca__write_raw_is_one_grpc_web_frame_with_name_label)
{
	struct delta *d = make_delta("api");
	Parca__Profilestore__V1alpha1__WriteRawRequest *req;
	static const char lines[] = "grpc-status: 14\r\ngrpc-message: busy\r\n";
	uint8_t trailer[64] = { 0x80, 0, 0, 0, sizeof(lines) - 1 };
	uint8_t *buf;
	size_t len;
	uint32_t flen;
	char msg[64];
	int code;

	ck_assert_int_eq(parca__encode_write_raw(&d, 1, "t1", &buf, &len), 0);
	ck_assert_int_eq(buf[0], 0);
	flen = (uint32_t)buf[1] << 24 | buf[2] << 16 | buf[3] << 8 | buf[4];
	ck_assert_uint_eq(flen, len - 5);
	req = parca__profilestore__v1alpha1__write_raw_request__unpack(NULL, flen, buf + 5);
	ck_assert_ptr_nonnull(req);
	ck_assert_str_eq(req->tenant, "t1");
	ck_assert_int_eq(req->normalized, 0);
	ck_assert_uint_eq(req->n_series, 1);
	ck_assert_str_eq(req->series[0]->labels->labels[0]->name, "__name__");
	ck_assert_str_eq(req->series[0]->labels->labels[0]->value, "parca_agent");
	ck_assert_uint_eq(req->series[0]->samples[0]->raw_profile.data[0], 0x1f);
	parca__profilestore__v1alpha1__write_raw_request__free_unpacked(req, NULL);
	free(buf);
	delta__free(d);

	memcpy(trailer + 5, lines, sizeof(lines) - 1);
	ck_assert_int_eq(parca__grpc_web_status(trailer, 5 + sizeof(lines) - 1, &code, msg,
						sizeof(msg)), 0);
	ck_assert_int_eq(code, 14);
	ck_assert_str_eq(msg, "busy");
	ck_assert(parca__grpc_retryable(14));
	ck_assert(!parca__grpc_retryable(3));
	ck_assert_int_eq(parca__grpc_web_status((const uint8_t *)"\0\0\0\0\0", 5, &code, NULL, 0), -ENOENT);
	ck_assert_int_eq(parca__grpc_web_status((const uint8_t *)"\0\0\0\0\x09xx", 7, &code, NULL, 0), -EBADMSG);
}
END_TEST

START_TEST(test_otlp__request_keeps_slot_zero_empty_and_every_index_in_range)
{
	struct delta *d[2] = { make_delta("api"), make_delta("db") };
	Otlp__ExportProfilesServiceRequest *req;
	Otlp__ProfilesDictionary *dict;
	int64_t total = 0, work = 0;
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(otlp__encode(d, 2, "0.1.0", &buf, &len), 0);
	req = otlp__export_profiles_service_request__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(req);
	dict = req->dictionary;
	ck_assert_str_eq(dict->string_table[0], "");
	ck_assert_uint_eq(otlp__mapping__get_packed_size(dict->mapping_table[0]), 0);
	ck_assert_uint_eq(otlp__location__get_packed_size(dict->location_table[0]), 0);
	ck_assert_uint_eq(otlp__function__get_packed_size(dict->function_table[0]), 0);
	ck_assert_uint_eq(otlp__stack__get_packed_size(dict->stack_table[0]), 0);
	ck_assert_uint_eq(otlp__key_value_and_unit__get_packed_size(dict->attribute_table[0]), 0);
	ck_assert_uint_eq(req->n_resource_profiles, 2);
	for (size_t r = 0; r < 2; r++) {
		Otlp__ResourceProfiles *rp = req->resource_profiles[r];
		Otlp__Profile *p = rp->scope_profiles[0]->profiles[0];
		bool has_service = false;

		for (size_t i = 0; i < rp->resource->n_attributes; i++)
			if (!strcmp(rp->resource->attributes[i]->key, "service.name"))
				has_service = !strcmp(rp->resource->attributes[i]->value->string_value,
						      r ? "db" : "api");
		ck_assert(has_service);
		ck_assert_str_eq(rp->scope_profiles[0]->scope->name, "cprof");
		ck_assert_str_eq(dict->string_table[p->sample_type->type_strindex], "samples");
		ck_assert_uint_eq(p->time_unix_nano, 1700000000000000000ULL);
		ck_assert_uint_eq(p->duration_nano, 10000000000ULL);
		ck_assert_uint_eq(p->profile_id.len, 16);
		ck_assert_mem_eq(p->profile_id.data, d[r]->id, 16);
		for (size_t i = 0; i < p->n_samples; i++) {
			Otlp__Sample *s = p->samples[i];
			Otlp__Stack *st;
			Otlp__Location *leaf;

			ck_assert_int_gt(s->stack_index, 0);
			ck_assert_uint_lt(s->stack_index, dict->n_stack_table);
			st = dict->stack_table[s->stack_index];
			ck_assert_int_gt(st->location_indices[0], 0);
			ck_assert_uint_lt(st->location_indices[0], dict->n_location_table);
			leaf = dict->location_table[st->location_indices[0]];
			ck_assert_uint_lt(leaf->lines[0]->function_index, dict->n_function_table);
			if (!strcmp(dict->string_table[dict->function_table[leaf->lines[0]->function_index]
					->name_strindex], "work"))
				work += s->values[0];
			total += s->values[0];
			ck_assert_uint_eq(s->n_attribute_indices, 1);
			ck_assert_str_eq(dict->string_table[dict->attribute_table[s->attribute_indices[0]]
					 ->key_strindex], "process.pid");
		}
	}
	ck_assert_int_eq(total, 6);
	ck_assert_int_eq(work, 4);
	otlp__export_profiles_service_request__free_unpacked(req, NULL);
	free(buf);
	delta__free(d[0]);
	delta__free(d[1]);
}
END_TEST

/* A network profile as the agent sends it: [packets, bytes], its own
 * __name__, one flow of 50 packets and 7100 bytes. */
static struct delta *make_net_delta(void)
{
	static const struct pb_value_type types[] = { { "packets", "count" }, { "bytes", "bytes" } };
	struct pb_profile_opts po = { .sample_types = types, .n_sample_types = 2,
				      .default_sample_type = "bytes",
				      .time_nanos = 1700000000000000000LL, .duration_nanos = 10000000000LL };
	struct pb_profile *p = pb_profile__new(&po);
	struct pb_line lnet = { .name = "net" }, lport = { .name = "9000/udp" };
	struct pb_label dir = { .key = "direction", .str = "egress" };
	uint64_t stack[2];
	int64_t v[] = { 50, 7100 };
	const Perftools__Profiles__Profile *msg;
	struct delta *d = delta__new();

	ck_assert_ptr_nonnull(d);
	stack[0] = pb_profile__add_location(p, 0, 0, &lport, 1);
	stack[1] = pb_profile__add_location(p, 0, 0, &lnet, 1);
	ck_assert_int_eq(pb_profile__add_sample(p, stack, 2, v, &dir, 1), 0);
	msg = pb_profile__finish(p);
	d->pprof_len = perftools__profiles__profile__get_packed_size(msg);
	d->pprof = malloc(d->pprof_len);
	perftools__profiles__profile__pack(msg, d->pprof);
	pb_profile__free(p);
	d->time_nanos = po.time_nanos;
	d->duration_nanos = po.duration_nanos;
	ck_assert_int_eq(delta__set_label(d, "service_name", "network"), 0);
	ck_assert_int_eq(delta__set_label(d, "__name__", "net"), 0);
	return d;
}

START_TEST(test_exporters__a_delta_with_its_own_name_keeps_it)
{
	struct delta *d[2] = { make_delta("api"), make_net_delta() };
	Push__V1__PushRequest *req;
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(pyroscope__encode_push(d, 2, &buf, &len), 0);
	req = push__v1__push_request__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(req);
	ck_assert_str_eq(req->series[0]->labels[0]->value, "process_cpu");
	ck_assert_uint_eq(req->series[1]->n_labels, 2);
	ck_assert_str_eq(req->series[1]->labels[0]->name, "__name__");
	ck_assert_str_eq(req->series[1]->labels[0]->value, "net");
	push__v1__push_request__free_unpacked(req, NULL);
	free(buf);
	delta__free(d[0]);
	delta__free(d[1]);
}
END_TEST

START_TEST(test_otlp__a_packets_and_bytes_profile_becomes_one_profile_per_type)
{
	struct delta *d = make_net_delta();
	Otlp__ExportProfilesServiceRequest *req;
	Otlp__ProfilesDictionary *dict;
	Otlp__ScopeProfiles *sp;
	uint8_t *buf, id[DELTA_ID_LEN];
	size_t len;

	ck_assert_int_eq(otlp__encode(&d, 1, "0.1.0", &buf, &len), 0);
	req = otlp__export_profiles_service_request__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(req);
	dict = req->dictionary;
	ck_assert_uint_eq(req->n_resource_profiles, 1);
	for (size_t i = 0; i < req->resource_profiles[0]->resource->n_attributes; i++)
		ck_assert_str_ne(req->resource_profiles[0]->resource->attributes[i]->key, "__name__");
	sp = req->resource_profiles[0]->scope_profiles[0];
	ck_assert_uint_eq(sp->n_profiles, 2);
	for (size_t i = 0; i < 2; i++) {
		Otlp__Profile *p = sp->profiles[i];

		ck_assert_str_eq(dict->string_table[p->sample_type->type_strindex],
				 i ? "bytes" : "packets");
		ck_assert_str_eq(dict->string_table[p->sample_type->unit_strindex],
				 i ? "bytes" : "count");
		ck_assert_uint_eq(p->n_samples, 1);
		ck_assert_uint_eq(p->samples[0]->n_values, 1);
		ck_assert_int_eq(p->samples[0]->values[0], i ? 7100 : 50);
		memcpy(id, d->id, DELTA_ID_LEN);
		id[DELTA_ID_LEN - 1] ^= (uint8_t)i;
		ck_assert_mem_eq(p->profile_id.data, id, DELTA_ID_LEN);
	}
	otlp__export_profiles_service_request__free_unpacked(req, NULL);
	free(buf);
	delta__free(d);
}
END_TEST

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static char tmpdir[256];

static void mktmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/cprof-exporter-test.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rmtmp(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_exporter__file_writes_each_delta_once_by_id)
{
	char url[300], why[256];
	struct exporter_opts o = { .url = url };
	struct exporter_result r;
	struct delta *d[2] = { make_delta("api/v1"), make_delta("db") };
	struct exporter *ex;

	snprintf(url, sizeof(url), "file://%s/out", tmpdir);
	ex = exporter__new(&o, why, sizeof(why));
	ck_assert_msg(ex != NULL, "%s", why);
	ck_assert_int_eq(exporter__send(ex, d, 2, NULL, &r), 0);
	ck_assert_int_eq(r.outcome, EXPORT_OK);
	ck_assert_int_eq(exporter__send(ex, d, 2, NULL, &r), 0);	/* a replay */
	snprintf(url, sizeof(url), "%s/out", tmpdir);
	ck_assert_int_eq(count_dir(url), 2);
	exporter__free(ex);
	delta__free(d[0]);
	delta__free(d[1]);
}
END_TEST

START_TEST(test_exporter__a_closed_port_is_a_retryable_connect_failure)
{
	struct exporter_opts o = { .url = "pyroscope://127.0.0.1:1", .timeout_s = 2 };
	struct delta *d = make_delta("api");
	struct exporter_result r;
	struct exporter *ex;
	char why[256];

	ex = exporter__new(&o, why, sizeof(why));
	ck_assert_ptr_nonnull(ex);
	ck_assert_int_eq(exporter__send(ex, &d, 1, NULL, &r), 0);
	ck_assert_int_eq(r.outcome, EXPORT_RETRY);
	ck_assert_int_eq(r.reason, EXPORT_REASON_CONNECT);
	ck_assert_str_eq(exporter__reason_name(r.reason), "connect");
	exporter__free(ex);
	delta__free(d);

	o.url = "otlp://127.0.0.1:4318";
	o.bearer_token = "a";
	o.basic_auth = "b:c";
	ck_assert_ptr_null(exporter__new(&o, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "not both"));
}
END_TEST

static void spool_deltas(struct spool *sp, int n)
{
	for (int i = 0; i < n; i++) {
		struct delta *d = make_delta("svc");
		uint8_t *buf;
		size_t len;

		ck_assert_int_eq(delta__encode(d, &buf, &len), 0);
		ck_assert_int_eq(spool__append(sp, buf, len, d->samples, NULL), 0);
		free(buf);
		delta__free(d);
	}
}

static void count_request(void *ctx)
{
	__atomic_add_fetch((int *)ctx, 1, __ATOMIC_SEQ_CST);
}

START_TEST(test_uploader__empties_the_spool_into_the_backend)
{
	struct spool_opts so = {0};
	struct spool *sp = spool__open(&so);
	int after_requests = 0;
	struct uploader_opts uo = { .batch_max_profiles = 2, .after_request = count_request,
				    .ctx = &after_requests };
	struct uploader_stats st;
	struct exporter_opts o;
	struct uploader *u;
	char url[300], why[256];
	time_t before = time(NULL);
	struct timespec after;

	snprintf(url, sizeof(url), "file://%s/up", tmpdir);
	o = (struct exporter_opts){ .url = url };
	spool_deltas(sp, 5);
	u = uploader__new(sp, exporter__new(&o, why, sizeof(why)), &uo);
	ck_assert_ptr_nonnull(u);
	uploader__stats(u, &st);
	ck_assert_int_eq(st.kind, EXPORTER_FILE);
	ck_assert_str_eq(exporter__kind_name(st.kind), "file");
	uploader__kick(u);
	ck_assert_uint_eq(uploader__flush_and_stop(u, 10), 0);
	uploader__stats(u, &st);
	/* the last delivery's wall-clock time, for that backend only; time()
	 * reads the coarse clock, a tick behind the uploader's, so the upper
	 * bound comes from the precise one */
	clock_gettime(CLOCK_REALTIME, &after);
	ck_assert_msg(st.last_success_s[EXPORTER_FILE] >= (double)before &&
		      st.last_success_s[EXPORTER_FILE] <= (double)after.tv_sec + 1,
		      "last success %.3f, run began at %lld", st.last_success_s[EXPORTER_FILE],
		      (long long)before);
	ck_assert(st.last_success_s[EXPORTER_PYROSCOPE] == 0);
	ck_assert_uint_eq(st.profiles, 5);
	ck_assert_uint_eq(st.samples, 15);
	ck_assert_uint_eq(st.requests, 3);	/* batches of 2 */
	ck_assert_int_eq(__atomic_load_n(&after_requests, __ATOMIC_SEQ_CST), 3);
	snprintf(url, sizeof(url), "%s/up", tmpdir);
	ck_assert_int_eq(count_dir(url), 5);
	uploader__free(u);
	spool__free(sp);
}
END_TEST

START_TEST(test_uploader__keeps_the_spool_while_the_backend_is_away)
{
	struct spool_opts so = {0};
	struct spool *sp = spool__open(&so);
	struct uploader_opts uo = { .backoff_min_s = 0.05, .backoff_max_s = 0.1 };
	struct exporter_opts o = { .url = "parca://127.0.0.1:1", .timeout_s = 1 };
	struct uploader_stats st;
	struct spool_stats ss;
	struct uploader *u;
	char why[256];

	spool_deltas(sp, 3);
	u = uploader__new(sp, exporter__new(&o, why, sizeof(why)), &uo);
	ck_assert_ptr_nonnull(u);
	usleep(400 * 1000);
	ck_assert_uint_eq(uploader__flush_and_stop(u, 0.3), 3);
	uploader__stats(u, &st);
	ck_assert_uint_ge(st.failures[EXPORT_REASON_CONNECT], 2);	/* retried */
	ck_assert_uint_eq(st.profiles, 0);
	ck_assert(st.last_success_s[EXPORTER_PARCA] == 0);	/* never delivered */
	spool__stats(sp, &ss);
	ck_assert_uint_eq(ss.files, 3);
	ck_assert_uint_eq(ss.samples, 9);
	uploader__free(u);
	spool__free(sp);
}
END_TEST

/* An HTTP/1.1 stub on loopback, one thread: answers the successive requests
 * (keep-alive or not) with replies[0], replies[1]..., the last one repeated. */
struct stub {
	int fd, port;
	pthread_t thread;
	const char *const *replies;
	size_t n, served;
};

static int stub_request(int c)
{
	char buf[65536];
	size_t len = 0;
	char *end;
	long clen = 0;

	while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
		ssize_t got = len < sizeof(buf) ? read(c, buf + len, sizeof(buf) - len) : -1;

		if (got <= 0)
			return -1;
		len += got;
	}
	for (char *h = buf; h < end; h = strstr(h, "\r\n") + 2)
		if (!strncasecmp(h, "content-length:", 15))
			clen = atol(h + 15);
	for (size_t have = len - (end + 4 - buf); (long)have < clen;) {
		ssize_t got = read(c, buf, sizeof(buf));

		if (got <= 0)
			return -1;
		have += got;
	}
	return 0;
}

static void *stub_run(void *arg)
{
	struct stub *st = arg;
	int c;

	while ((c = accept(st->fd, NULL, NULL)) >= 0) {
		while (stub_request(c) == 0) {
			const char *r = st->replies[st->served < st->n ? st->served : st->n - 1];

			__atomic_add_fetch(&st->served, 1, __ATOMIC_RELAXED);
			if (write(c, r, strlen(r)) < 0)
				break;
		}
		close(c);
	}
	return NULL;
}

static void stub_start(struct stub *st, const char *const *replies, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	*st = (struct stub){ .replies = replies, .n = n };
	st->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(st->fd, 0);
	ck_assert_int_eq(bind(st->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(st->fd, 8), 0);
	ck_assert_int_eq(getsockname(st->fd, (struct sockaddr *)&a, &alen), 0);
	st->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&st->thread, NULL, stub_run, st), 0);
}

static void stub_stop(struct stub *st)
{
	shutdown(st->fd, SHUT_RDWR);
	close(st->fd);
	pthread_cancel(st->thread);
	pthread_join(st->thread, NULL);
}

START_TEST(test_uploader__keeps_the_spool_on_foreign_replies_redirects_and_401)
{
	static const char *const replies[] = {
		"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 22\r\n\r\n"
		"<html>sign in</html>\r\n",
		"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:9/x\r\n"
		"Content-Length: 0\r\n\r\n",
		"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
		"Content-Length: 26\r\n\r\n{\"code\":\"unauthenticated\"}",
		"HTTP/1.1 200 OK\r\nContent-Type: application/proto\r\nContent-Length: 0\r\n\r\n",
	};
	struct uploader_opts uo = { .backoff_min_s = 0.02, .backoff_max_s = 0.05 };
	struct spool_opts so = {0};
	struct spool *sp = spool__open(&so);
	struct exporter_opts o = { .timeout_s = 5 };
	struct uploader_stats us;
	struct stub st;
	struct uploader *u;
	char url[64], why[256];

	stub_start(&st, replies, 4);
	snprintf(url, sizeof(url), "pyroscope://127.0.0.1:%d", st.port);
	o.url = url;
	spool_deltas(sp, 2);
	u = uploader__new(sp, exporter__new(&o, why, sizeof(why)), &uo);
	ck_assert_ptr_nonnull(u);
	uploader__kick(u);
	for (int i = 0; i < 500 && __atomic_load_n(&st.served, __ATOMIC_RELAXED) < 4; i++)
		usleep(10000);
	ck_assert_uint_eq(uploader__flush_and_stop(u, 5), 0);
	uploader__stats(u, &us);
	ck_assert_uint_eq(us.failures[EXPORT_REASON_BAD_REPLY], 1);
	ck_assert_uint_eq(us.failures[EXPORT_REASON_REDIRECT], 1);
	ck_assert_uint_eq(us.failures[EXPORT_REASON_AUTH], 1);
	ck_assert_uint_eq(us.profiles, 2);
	ck_assert_uint_eq(us.samples, 6);
	ck_assert_uint_eq(us.rejected_profiles, 0);
	uploader__free(u);
	spool__free(sp);
	stub_stop(&st);
}
END_TEST

START_TEST(test_uploader__counts_an_otlp_partial_success_as_rejected)
{
	/* ExportProfilesServiceResponse{partial_success{rejected_profiles: 1, error_message: "old"}} */
	static const char *const replies[] = {
		"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 9\r\n\r\n"
		"\x0a\x07\x08\x01\x12\x03old",
	};
	struct uploader_opts uo = { .backoff_min_s = 0.02, .backoff_max_s = 0.05 };
	struct spool_opts so = {0};
	struct spool *sp = spool__open(&so);
	struct exporter_opts o = { .timeout_s = 5 };
	struct exporter_result r;
	struct uploader_stats us;
	struct delta *d = make_delta("svc");
	struct exporter *ex;
	struct stub st;
	struct uploader *u;
	char url[64], why[256];

	stub_start(&st, replies, 1);
	snprintf(url, sizeof(url), "otlp://127.0.0.1:%d", st.port);
	o.url = url;
	ex = exporter__new(&o, why, sizeof(why));
	ck_assert_int_eq(exporter__send(ex, &d, 1, NULL, &r), 0);
	ck_assert_int_eq(r.outcome, EXPORT_OK);
	ck_assert_int_eq(r.reason, EXPORT_REASON_PARTIAL);
	ck_assert_int_eq(r.rejected, 1);
	ck_assert_str_eq(r.detail, "old");
	exporter__free(ex);
	delta__free(d);

	spool_deltas(sp, 1);
	u = uploader__new(sp, exporter__new(&o, why, sizeof(why)), &uo);
	ck_assert_ptr_nonnull(u);
	uploader__kick(u);
	ck_assert_uint_eq(uploader__flush_and_stop(u, 5), 0);
	uploader__stats(u, &us);
	ck_assert_uint_eq(us.profiles, 0);	/* the only profile was refused */
	ck_assert_uint_eq(us.rejected_profiles, 1);
	ck_assert_uint_eq(us.rejected_samples, 3);
	ck_assert_uint_eq(us.partial_rejected, 1);
	uploader__free(u);
	spool__free(sp);
	stub_stop(&st);
}
END_TEST

START_TEST(test_exporter__clamps_a_huge_retry_after)
{
	static const char *const replies[] = {
		"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 99999999999999999999\r\n"
		"Content-Length: 0\r\n\r\n",
		"HTTP/1.1 429 Too Many Requests\r\nRetry-After: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
		"Content-Length: 0\r\n\r\n",
	};
	struct exporter_opts o = { .timeout_s = 5 };
	struct delta *d = make_delta("svc");
	struct exporter_result r;
	struct exporter *ex;
	struct stub st;
	char url[64], why[256];

	stub_start(&st, replies, 2);
	snprintf(url, sizeof(url), "parca://127.0.0.1:%d", st.port);
	o.url = url;
	ex = exporter__new(&o, why, sizeof(why));
	ck_assert_int_eq(exporter__send(ex, &d, 1, NULL, &r), 0);
	ck_assert_int_eq(r.outcome, EXPORT_RETRY);
	ck_assert_int_eq(r.reason, EXPORT_REASON_HTTP_5XX);
	ck_assert_int_eq(r.retry_after_ms, BACKEND_RETRY_AFTER_MAX_S * 1000LL);
	ck_assert_int_eq(exporter__send(ex, &d, 1, NULL, &r), 0);
	ck_assert_int_eq(r.reason, EXPORT_REASON_HTTP_429);
	ck_assert_int_eq(r.retry_after_ms, 0);		/* a date in the past */
	exporter__free(ex);
	delta__free(d);
	stub_stop(&st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exporter");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, mktmp, rmtmp);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exporter__parses_urls_and_refuses_credentials_in_them);
	tcase_add_test(tc, test_delta__round_trips_with_a_stable_uuid);
	tcase_add_test(tc, test_pyroscope__push_carries_sorted_labels_the_id_and_the_gzipped_pprof);
	tcase_add_test(tc, test_parca__write_raw_is_one_grpc_web_frame_with_name_label);
	tcase_add_test(tc, test_otlp__request_keeps_slot_zero_empty_and_every_index_in_range);
	tcase_add_test(tc, test_exporters__a_delta_with_its_own_name_keeps_it);
	tcase_add_test(tc, test_otlp__a_packets_and_bytes_profile_becomes_one_profile_per_type);
	tcase_add_test(tc, test_exporter__file_writes_each_delta_once_by_id);
	tcase_add_test(tc, test_exporter__a_closed_port_is_a_retryable_connect_failure);
	tcase_add_test(tc, test_uploader__empties_the_spool_into_the_backend);
	tcase_add_test(tc, test_uploader__keeps_the_spool_while_the_backend_is_away);
	tcase_add_test(tc, test_uploader__keeps_the_spool_on_foreign_replies_redirects_and_401);
	tcase_add_test(tc, test_uploader__counts_an_otlp_partial_success_as_rejected);
	tcase_add_test(tc, test_exporter__clamps_a_huge_retry_after);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
