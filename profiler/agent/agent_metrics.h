/* SPDX-License-Identifier: MIT */
/* agent_metrics: a minimal HTTP/1.1 endpoint for Prometheus, GET /metrics and
 * GET /healthz, on its own thread. Clients are served side by side (poll over
 * non-blocking sockets): at most 16 connections (the oldest is closed for a
 * new one), requests of at most 4 KiB, 3 s from accept to the end of the
 * request and 5 s to the last byte of the response; the connection is closed
 * after each response. Running out of descriptors pauses accepting for a
 * moment instead of spinning. The text is produced by the caller's callbacks
 * (run on the server thread: they must only read thread-safe state). */
#ifndef CPROF_AGENT_METRICS_H
#define CPROF_AGENT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes the exposition text (Prometheus text format 0.0.4) to out. */
typedef void (*metrics_render_fn)(void *ctx, FILE *out);
/* true when healthy (GET /healthz answers 200 "ok"); false with a one-line
 * reason in why (answered with 503). */
typedef bool (*metrics_health_fn)(void *ctx, char *why, size_t why_len);

struct metrics_server;

struct metrics_server_stats {
	uint64_t accepted, scrapes;
	uint64_t timeouts;		/* closed at their deadline */
	uint64_t evicted;		/* closed, oldest first, for a new connection */
	uint64_t too_large;		/* requests over the bound (431) */
	uint64_t accept_backoffs;	/* accept() out of descriptors or memory */
};

/* Listens on addr ("127.0.0.1:9464", "[::1]:9464", "localhost:9464", ":9464"
 * for every address; port 0 picks a free one) and starts the thread. health
 * may be NULL (always healthy). NULL and errno, with why[why_len] naming the
 * problem. */
struct metrics_server *metrics_server__new(const char *addr, metrics_render_fn render,
					   metrics_health_fn health, void *ctx, char *why,
					   size_t why_len);
/* The port listened on. */
int metrics_server__port(const struct metrics_server *m);
/* A consistent-enough copy of the counters (each read atomically). */
void metrics_server__stats(struct metrics_server *m, struct metrics_server_stats *ret);
/* Stops the thread and closes every socket. NULL: no-op. */
void metrics_server__free(struct metrics_server *m);

#endif /* CPROF_AGENT_METRICS_H */
