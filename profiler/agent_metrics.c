// SPDX-License-Identifier: MIT
/* The metrics endpoint. A pipe wakes the thread for shutdown; every socket
 * operation has a timeout, so a stuck client holds the thread for 2 s at
 * most; responses go out with MSG_NOSIGNAL (a client gone early is no
 * SIGPIPE for the agent). */
#define _GNU_SOURCE	/* accept4, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "profiler/agent_metrics.h"

#define REQUEST_MAX	8192

struct metrics_server {
	int fd, wake[2];
	pthread_t thread;
	metrics_render_fn render;
	void *ctx;
};

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len,
		    bool head)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type, len);

	send_all(fd, hdr, n);
	if (!head)
		send_all(fd, body, len);
}

static void serve(struct metrics_server *m, int fd)
{
	struct timeval tv = { .tv_sec = 2 };
	char req[REQUEST_MAX + 1], path[256];
	size_t len = 0;
	bool head;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < REQUEST_MAX) {
		ssize_t n = recv(fd, req + len, REQUEST_MAX - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		len += n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[len] = '\0';
	head = !strncmp(req, "HEAD ", 5);
	if (strncmp(req, "GET ", 4) && !head) {
		respond(fd, "405 Method Not Allowed", "text/plain", "GET /metrics\n", 13, false);
		return;
	}
	if (sscanf(req + (head ? 5 : 4), "%255s", path) != 1)
		return;
	path[strcspn(path, "?")] = '\0';
	if (!strcmp(path, "/metrics")) {
		char *body = NULL;
		size_t blen = 0;
		FILE *f = open_memstream(&body, &blen);

		if (!f) {
			respond(fd, "500 Internal Server Error", "text/plain", "", 0, head);
			return;
		}
		m->render(m->ctx, f);
		fclose(f);
		respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, blen, head);
		free(body);
	} else if (!strcmp(path, "/")) {
		static const char root[] = "cprof agent: metrics at /metrics\n";

		respond(fd, "200 OK", "text/plain", root, sizeof(root) - 1, head);
	} else {
		respond(fd, "404 Not Found", "text/plain", "not found: try /metrics\n", 24, head);
	}
}

static void *run(void *arg)
{
	struct metrics_server *m = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = m->fd, .events = POLLIN },
				       { .fd = m->wake[0], .events = POLLIN } };
		int c;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		c = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve(m, c);
		close(c);
	}
	return NULL;
}

static int listen_on(const char *addr, char *why, size_t why_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	const char *colon = strrchr(addr, ':');
	char host[256];
	size_t hl;
	int fd = -1, rc, one = 1, err = -EADDRNOTAVAIL;

	if (!colon || (size_t)(colon - addr) >= sizeof(host)) {
		snprintf(why, why_len, "expected HOST:PORT, not '%s'", addr);
		return -EINVAL;
	}
	hl = colon - addr;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc) {
		snprintf(why, why_len, "%s: %s", addr, gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0)
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, why_len, "cannot listen on %s: %s", addr, strerror(-err));
		return err;
	}
	return fd;
}

struct metrics_server *metrics_server__new(const char *addr, metrics_render_fn render, void *ctx,
					   char *why, size_t why_len)
{
	struct metrics_server *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return NULL;
	m->wake[0] = m->wake[1] = -1;
	m->render = render;
	m->ctx = ctx;
	m->fd = listen_on(addr, why, why_len);
	if (m->fd < 0) {
		err = m->fd;
		goto out_free;
	}
	if (pipe2(m->wake, O_CLOEXEC)) {
		err = -errno;
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		goto out_free;
	}
	err = -pthread_create(&m->thread, NULL, run, m);
	if (err) {
		snprintf(why, why_len, "starting the metrics thread: %s", strerror(-err));
		goto out_free;
	}
	return m;

out_free:
	if (m->fd >= 0)
		close(m->fd);
	if (m->wake[0] >= 0) {
		close(m->wake[0]);
		close(m->wake[1]);
	}
	free(m);
	errno = -err;
	return NULL;
}

void metrics_server__free(struct metrics_server *m)
{
	if (!m)
		return;
	/* The pipe is ours and empty: this write cannot block or fail. */
	(void)!write(m->wake[1], "x", 1);
	pthread_join(m->thread, NULL);
	close(m->fd);
	close(m->wake[0]);
	close(m->wake[1]);
	free(m);
}
