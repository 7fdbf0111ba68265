/* SPDX-License-Identifier: MIT */
/* parca: the body of Parca's WriteRaw spoken as gRPC-Web over HTTP/1.1,
 * POST {base}/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw
 * (Content-Type application/grpc-web+proto): one frame (flag 0x00, big-endian
 * u32 length, WriteRawRequest) with one series per delta, labelled
 * __name__ = parca_agent plus the delta's labels, holding the gzipped pprof
 * (an off-CPU one retyped wallclock/nanoseconds over samples/count).
 * And the reading of the call's status from the response. Library code:
 * returns -errno, never prints. */
#ifndef CPROF_EXPORT_PARCA_H
#define CPROF_EXPORT_PARCA_H

#include <stddef.h>
#include <stdint.h>

#include "export/ship/delta.h"

#define PARCA_WRITE_RAW_PATH	"/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw"
#define PARCA_METRIC		"parca_agent"

/* Encodes a framed WriteRawRequest of n deltas; tenant may be NULL.
 * *ret_buf is malloc'd (caller frees). 0, -ENOMEM, -EIO (compression). */
int parca__encode_write_raw(struct delta *const *deltas, size_t n, const char *tenant,
			    uint8_t **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Finds the grpc-status (and grpc-message, copied into msg, may be NULL) in
 * the trailer frame (flag 0x80) of a gRPC-Web response body. 0 and
 * *ret_code; -ENOENT when the body has no trailer frame; -EBADMSG when the
 * framing is broken. */
int parca__grpc_web_status(const uint8_t *body, size_t len, int *ret_code, char *msg,
			   size_t msg_len);

/* Whether a gRPC status code is worth retrying: DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE. */
int parca__grpc_retryable(int code);

#endif /* CPROF_EXPORT_PARCA_H */
