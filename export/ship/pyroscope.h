/* SPDX-License-Identifier: MIT */
/* pyroscope: the body of Grafana Pyroscope's Connect push,
 * POST {base}/push.v1.PusherService/Push (Content-Type application/proto):
 * one RawProfileSeries per delta, labelled __name__ = process_cpu (offcpu
 * for an off-CPU delta) plus the delta's labels (service_name, ...), holding
 * the gzipped pprof and the delta's id. Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_PYROSCOPE_H
#define CPROF_EXPORT_PYROSCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "export/ship/delta.h"

#define PYROSCOPE_PUSH_PATH	"/push.v1.PusherService/Push"
#define PYROSCOPE_METRIC	"process_cpu"
#define PYROSCOPE_MAX_LABELS	30	/* label names per series the server accepts */

/* Encodes a PushRequest of n deltas; *ret_buf is malloc'd (caller frees).
 * 0, -ENOMEM, -EIO (compression). */
int pyroscope__encode_push(struct delta *const *deltas, size_t n, uint8_t **ret_buf,
			   size_t *ret_len)
	__attribute__((warn_unused_result));

#endif /* CPROF_EXPORT_PYROSCOPE_H */
