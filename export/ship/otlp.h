/* SPDX-License-Identifier: MIT */
/* otlp: OTLP profiles (v1.10+ numbering) for an OpenTelemetry Collector,
 * POST {base}/v1development/profiles (application/x-protobuf): deltas become
 * one ExportProfilesServiceRequest with one shared dictionary (slot 0 of every
 * table the zero value), one ResourceProfiles per delta (its labels as
 * resource attributes: service.name, host.name, container.id, k8s.pod.uid,
 * the rest as named but __name__, which OTLP says by sample type), one
 * ScopeProfiles "cprof" and, as OTLP has one sample type per profile: for a
 * CPU delta one Profile of samples/count with period_type cpu/nanoseconds;
 * for a delta without a samples type (the network profile's packets/count
 * and bytes/bytes) one Profile per type, the nth with the delta's id XOR n
 * in its last byte. Library code:
 * returns -errno, never prints; depends on proto/, export/pprof and, for its
 * backend table (export/ship/backend.h), base/compress. */
#ifndef CPROF_EXPORT_OTLP_H
#define CPROF_EXPORT_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "export/ship/delta.h"

#define OTLP_PROFILES_PATH "/v1development/profiles"

/* Encodes the request (not compressed); *ret_buf is malloc'd (caller frees).
 * 0, -EBADMSG (a delta's pprof does not decode), -ENOMEM. */
int otlp__encode(struct delta *const *deltas, size_t n, const char *scope_version,
		 uint8_t **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Reads an ExportProfilesServiceResponse (an empty body is a full success):
 * *ret_rejected profiles were refused, with msg (may be NULL) saying why.
 * 0 or -EBADMSG. */
int otlp__parse_response(const uint8_t *buf, size_t len, int64_t *ret_rejected, char *msg,
			 size_t msg_len);

/* The resource attribute a series label becomes: "service_name" ->
 * "service.name", "hostname" -> "host.name", "container_id" ->
 * "container.id", "pod_uid" -> "k8s.pod.uid"; any other name as it is. */
const char *otlp__attribute_name(const char *label);

#endif /* CPROF_EXPORT_OTLP_H */
