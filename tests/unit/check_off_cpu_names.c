// SPDX-License-Identifier: MIT
/* How each backend names the agent's off-CPU delta, read back from the wire
 * the way the backend itself forms its profile type id
 * (NAME:SAMPLE_TYPE:SAMPLE_UNIT:PERIOD_TYPE:PERIOD_UNIT):
 * - Pyroscope's push, as Grafana Alloy's pyroscope.ebpf pushes off-CPU:
 *   offcpu:offcpu:nanoseconds:: (the old off_cpu:off_cpu:nanoseconds:off_cpu:
 *   nanoseconds matched neither Alloy nor Pyroscope's own off_cpu);
 * - Parca, as the Parca Agent writes it and Parca's UI lists "Off-CPU":
 *   parca_agent:wallclock:nanoseconds:samples:count;
 * - OTLP, as the OTel eBPF profiler's off-CPU profile: off_cpu/nanoseconds and
 *   no period type, which Pyroscope's OTLP intake names __name__=off_cpu.
 * The rest of the pprof is untouched (a function named off_cpu keeps its
 * name), and a CPU delta is not retyped. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/compress.h"
#include "export/pb_profile.h"
#include "export/pprof.h"
#include "export/ship/delta.h"
#include "export/ship/otlp.h"
#include "export/ship/parca.h"
#include "export/ship/pyroscope.h"
#include "proto/otlp_profiles.pb-c.h"
#include "proto/parca_profilestore.pb-c.h"
#include "proto/pyroscope_push.pb-c.h"

/* An off-CPU delta as agent_window.c builds one (pprof_build's
 * PPROF_BUILD_OFF_CPU): one sample type, no period type, 30 ms under a
 * function that happens to be named off_cpu. */
static struct delta *make_off_cpu_delta(void)
{
	static const struct pb_value_type types[] = { { "off_cpu", "nanoseconds" } };
	struct pb_profile_opts po = { .sample_types = types, .n_sample_types = 1,
				      .time_nanos = 1700000000000000000LL,
				      .duration_nanos = 10000000000LL };
	struct pb_profile *p = pb_profile__new(&po);
	struct pb_line l = { .name = "off_cpu", .filename = "m.c", .line = 3 };
	struct pb_label st = { .key = "thread_state", .str = "sleeping" };
	uint64_t loc;
	int64_t v = 30000000;
	const Perftools__Profiles__Profile *msg;
	struct delta *d = delta__new();

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(d);
	loc = pb_profile__add_location(p, 0, 0x401000, &l, 1);
	ck_assert_int_eq(pb_profile__add_sample(p, &loc, 1, &v, &st, 1), 0);
	msg = pb_profile__finish(p);
	d->pprof_len = perftools__profiles__profile__get_packed_size(msg);
	d->pprof = malloc(d->pprof_len);
	perftools__profiles__profile__pack(msg, d->pprof);
	pb_profile__free(p);
	d->time_nanos = po.time_nanos;
	d->duration_nanos = po.duration_nanos;
	ck_assert_int_eq(delta__set_label(d, "__name__", DELTA_OFF_CPU_NAME), 0);
	ck_assert_int_eq(delta__set_label(d, "service_name", "api"), 0);
	return d;
}

/* The profile type id a pprof backend forms from __name__ and the pprof
 * (Pyroscope: pkg/phlaredb/labels CreateProfileLabels; Parca's is the same
 * but for :delta); also checks the rest survived the retyping. */
static void type_id(const char *name, const uint8_t *gz, size_t gz_len, char *buf, size_t len)
{
	Perftools__Profiles__Profile *p;

	ck_assert_int_eq(pprof__decode(gz, gz_len, &p), 0);
	ck_assert_uint_eq(p->n_sample_type, 1);
	snprintf(buf, len, "%s:%s:%s:%s:%s", name, pprof__str(p, p->sample_type[0]->type),
		 pprof__str(p, p->sample_type[0]->unit),
		 p->period_type ? pprof__str(p, p->period_type->type) : "",
		 p->period_type ? pprof__str(p, p->period_type->unit) : "");
	ck_assert_uint_eq(p->n_sample, 1);
	ck_assert_int_eq(p->sample[0]->value[0], 30000000);
	ck_assert_str_eq(pprof__str(p, p->function[0]->name), "off_cpu");
	ck_assert_str_eq(pprof__str(p, p->sample[0]->label[0]->str), "sleeping");
	ck_assert_int_eq(p->time_nanos, 1700000000000000000LL);
	pprof__free(p);
}

START_TEST(test_off_cpu_names__pyroscope_gets_alloys_offcpu)
{
	struct delta *d = make_off_cpu_delta();
	Push__V1__PushRequest *req;
	Push__V1__RawProfileSeries *s;
	char id[128];
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(pyroscope__encode_push(&d, 1, &buf, &len), 0);
	req = push__v1__push_request__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(req);
	s = req->series[0];
	ck_assert_str_eq(s->labels[0]->name, "__name__");
	type_id(s->labels[0]->value, s->samples[0]->raw_profile.data,
		s->samples[0]->raw_profile.len, id, sizeof(id));
	ck_assert_str_eq(id, "offcpu:offcpu:nanoseconds::");
	push__v1__push_request__free_unpacked(req, NULL);
	free(buf);
	delta__free(d);
}
END_TEST

START_TEST(test_off_cpu_names__parca_gets_the_parca_agents_wallclock)
{
	struct delta *d = make_off_cpu_delta();
	Parca__Profilestore__V1alpha1__WriteRawRequest *req;
	Parca__Profilestore__V1alpha1__RawProfileSeries *s;
	char id[128];
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(parca__encode_write_raw(&d, 1, NULL, &buf, &len), 0);
	req = parca__profilestore__v1alpha1__write_raw_request__unpack(NULL, len - 5, buf + 5);
	ck_assert_ptr_nonnull(req);
	s = req->series[0];
	ck_assert_str_eq(s->labels->labels[0]->name, "__name__");
	type_id(s->labels->labels[0]->value, s->samples[0]->raw_profile.data,
		s->samples[0]->raw_profile.len, id, sizeof(id));
	ck_assert_str_eq(id, "parca_agent:wallclock:nanoseconds:samples:count");
	parca__profilestore__v1alpha1__write_raw_request__free_unpacked(req, NULL);
	free(buf);
	delta__free(d);
}
END_TEST

/* Pyroscope's OTLP intake (pkg/ingester/otlp/convert.go) names a profile
 * __name__=off_cpu when its type reads off_cpu:nanoseconds:: (no period). */
START_TEST(test_off_cpu_names__otlp_gets_the_otel_profilers_off_cpu)
{
	struct delta *d = make_off_cpu_delta();
	Otlp__ExportProfilesServiceRequest *req;
	Otlp__Profile *p;
	char **st;
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(otlp__encode(&d, 1, "0.1.0", &buf, &len), 0);
	req = otlp__export_profiles_service_request__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(req);
	st = req->dictionary->string_table;
	p = req->resource_profiles[0]->scope_profiles[0]->profiles[0];
	ck_assert_str_eq(st[p->sample_type->type_strindex], "off_cpu");
	ck_assert_str_eq(st[p->sample_type->unit_strindex], "nanoseconds");
	ck_assert_msg(!p->period_type || (!*st[p->period_type->type_strindex] &&
					  !*st[p->period_type->unit_strindex]),
		      "a period type %s/%s", st[p->period_type->type_strindex],
		      st[p->period_type->unit_strindex]);
	ck_assert_int_eq(p->period, 0);
	otlp__export_profiles_service_request__free_unpacked(req, NULL);
	free(buf);
	delta__free(d);
}
END_TEST

START_TEST(test_off_cpu_names__retype_takes_one_sample_type_only)
{
	static const struct pb_value_type types[] = { { "samples", "count" },
						       { "cpu", "nanoseconds" } };
	struct pb_profile_opts po = { .sample_types = types, .n_sample_types = 2 };
	struct pb_profile *p = pb_profile__new(&po);
	const Perftools__Profiles__Profile *msg = pb_profile__finish(p);
	size_t len = perftools__profiles__profile__get_packed_size(msg), out_len;
	uint8_t *buf = malloc(len), *out = NULL;

	perftools__profiles__profile__pack(msg, buf);
	ck_assert_int_eq(pprof__retype(buf, len, "a", "b", NULL, NULL, &out, &out_len), -EINVAL);
	ck_assert_int_eq(pprof__retype(buf, len, "a", "b", "c", NULL, &out, &out_len), -EINVAL);
	ck_assert_int_eq(pprof__retype((const uint8_t *)"junk", 4, "a", "b", NULL, NULL, &out,
				       &out_len), -EBADMSG);
	ck_assert_ptr_null(out);
	free(buf);
	pb_profile__free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("off_cpu_names");
	TCase *tc = tcase_create("backends");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_off_cpu_names__pyroscope_gets_alloys_offcpu);
	tcase_add_test(tc, test_off_cpu_names__parca_gets_the_parca_agents_wallclock);
	tcase_add_test(tc, test_off_cpu_names__otlp_gets_the_otel_profilers_off_cpu);
	tcase_add_test(tc, test_off_cpu_names__retype_takes_one_sample_type_only);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
