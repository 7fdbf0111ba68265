/* SPDX-License-Identifier: MIT */
/* agent_metrics: a minimal HTTP/1.1 endpoint for Prometheus, GET /metrics,
 * on its own thread. One connection at a time, requests bounded in size and
 * time, the connection closed after each response: a scraper every few
 * seconds is its whole load. The text is produced by the caller's render
 * callback (run on the server thread: it must only read thread-safe state). */
#ifndef CPROF_AGENT_METRICS_H
#define CPROF_AGENT_METRICS_H

#include <stddef.h>
#include <stdio.h>

/* Writes the exposition text (Prometheus text format 0.0.4) to out. */
typedef void (*metrics_render_fn)(void *ctx, FILE *out);

struct metrics_server;

/* Listens on addr ("127.0.0.1:9464", "[::1]:9464", "localhost:9464", ":9464"
 * for every address) and starts the thread. NULL and errno, with why[why_len]
 * naming the problem. */
struct metrics_server *metrics_server__new(const char *addr, metrics_render_fn render, void *ctx,
					   char *why, size_t why_len);
/* Stops the thread and closes the socket. NULL: no-op. */
void metrics_server__free(struct metrics_server *m);

#endif /* CPROF_AGENT_METRICS_H */
