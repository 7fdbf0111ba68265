// SPDX-License-Identifier: MIT
/* The metrics endpoint: one thread, one poll() over the listening socket, a
 * wake pipe and at most CONN_MAX non-blocking client sockets, so no client
 * can hold up another. Each connection has a deadline from its accept (the
 * request in REQUEST_DEADLINE_MS, everything in CONN_DEADLINE_MS) and a
 * request bounded to REQUEST_MAX bytes; past CONN_MAX the oldest connection
 * is closed for the new one. When accept() runs out of descriptors or memory
 * the listening socket leaves the poll set for ACCEPT_BACKOFF_MS instead of
 * waking it again at once (a level-triggered spin). Responses go out with
 * MSG_NOSIGNAL: a client gone early is no SIGPIPE for the agent. */
#define _GNU_SOURCE	/* accept4, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "profiler/agent/agent_metrics.h"

#define REQUEST_MAX		4096
#define CONN_MAX		16
#define REQUEST_DEADLINE_MS	3000
#define CONN_DEADLINE_MS	5000
#define ACCEPT_BACKOFF_MS	250

struct conn {
	int fd;				/* -1: free */
	int64_t accepted_ms;
	size_t in_len;
	char *out;			/* the whole response, once the request is in */
	size_t out_len, out_off;
	char in[REQUEST_MAX + 1];
};

struct metrics_server {
	int fd, wake[2], port;
	pthread_t thread;
	metrics_render_fn render;
	metrics_health_fn health;
	void *ctx;
	int64_t accept_paused_until;	/* monotonic ms; 0: accepting */
	struct conn conns[CONN_MAX];
	struct metrics_server_stats st;	/* written by the thread, read atomically */
};

#define STAT_ADD(m, f)	__atomic_fetch_add(&(m)->st.f, 1, __ATOMIC_RELAXED)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->in_len = c->out_len = c->out_off = 0;
}

static int64_t conn_deadline(const struct conn *c)
{
	return c->accepted_ms + (c->out ? CONN_DEADLINE_MS : REQUEST_DEADLINE_MS);
}

/* Sets c->out to the status line, headers and (unless head) the body. */
static void respond(struct conn *c, const char *status, const char *type, const char *body,
		    size_t len, bool head)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type, len);
	size_t total = n + (head ? 0 : len);

	c->out = malloc(total ? total : 1);
	if (!c->out) {	/* nothing to say: the client sees the connection close */
		c->out_len = 0;
		return;
	}
	memcpy(c->out, hdr, n);
	if (!head)
		memcpy(c->out + n, body, len);
	c->out_len = total;
	c->out_off = 0;
}

static void answer(struct metrics_server *m, struct conn *c, bool complete)
{
	char path[256], why[256] = "";
	const char *req = c->in;
	bool head = !strncmp(req, "HEAD ", 5);

	if (!complete) {
		STAT_ADD(m, too_large);
		respond(c, "431 Request Header Fields Too Large", "text/plain",
			"request too large\n", 18, false);
		return;
	}
	if (strncmp(req, "GET ", 4) && !head) {
		respond(c, "405 Method Not Allowed", "text/plain", "GET /metrics\n", 13, false);
		return;
	}
	if (sscanf(req + (head ? 5 : 4), "%255s", path) != 1) {
		respond(c, "400 Bad Request", "text/plain", "bad request\n", 12, false);
		return;
	}
	path[strcspn(path, "?")] = '\0';
	if (!strcmp(path, "/metrics")) {
		char *body = NULL;
		size_t blen = 0;
		FILE *f = open_memstream(&body, &blen);

		if (!f) {
			respond(c, "500 Internal Server Error", "text/plain", "", 0, head);
			return;
		}
		m->render(m->ctx, f);
		fclose(f);
		respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, blen, head);
		free(body);
		STAT_ADD(m, scrapes);
	} else if (!strcmp(path, "/healthz")) {
		bool ok = m->health ? m->health(m->ctx, why, sizeof(why)) : true;
		size_t wl;

		if (ok)
			snprintf(why, sizeof(why), "ok\n");
		else
			strncat(why, "\n", sizeof(why) - strlen(why) - 1);
		wl = strlen(why);
		respond(c, ok ? "200 OK" : "503 Service Unavailable", "text/plain", why, wl, head);
	} else if (!strcmp(path, "/")) {
		static const char root[] = "cprof agent: metrics at /metrics, health at /healthz\n";

		respond(c, "200 OK", "text/plain", root, sizeof(root) - 1, head);
	} else {
		static const char nf[] = "not found: try /metrics or /healthz\n";

		respond(c, "404 Not Found", "text/plain", nf, sizeof(nf) - 1, head);
	}
}

/* Sends what the socket takes now; closes the connection when all is sent. */
static void conn_send(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		c->out_off += n;
	}
	conn_close(c);
}

static void conn_recv(struct metrics_server *m, struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->in_len == REQUEST_MAX) {
			answer(m, c, false);
			break;
		}
		n = recv(c->fd, c->in + c->in_len, REQUEST_MAX - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {	/* gone, or closed before the end of its request */
			conn_close(c);
			return;
		}
		c->in_len += n;
		c->in[c->in_len] = '\0';
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
			answer(m, c, true);
			break;
		}
	}
	if (c->out)
		conn_send(c);
	else
		conn_close(c);	/* out of memory for the response */
}

static struct conn *free_slot(struct metrics_server *m)
{
	struct conn *oldest = NULL;

	for (int i = 0; i < CONN_MAX; i++) {
		struct conn *c = &m->conns[i];

		if (c->fd < 0)
			return c;
		if (!oldest || c->accepted_ms < oldest->accepted_ms)
			oldest = c;
	}
	STAT_ADD(m, evicted);
	conn_close(oldest);
	return oldest;
}

static void accept_all(struct metrics_server *m, int64_t now)
{
	for (int i = 0; i < CONN_MAX; i++) {
		int fd = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The connection stays queued and poll() would report it
				 * again at once: look again later. */
				STAT_ADD(m, accept_backoffs);
				m->accept_paused_until = now + ACCEPT_BACKOFF_MS;
			}
			return;
		}
		c = free_slot(m);
		c->fd = fd;
		c->accepted_ms = now;
		STAT_ADD(m, accepted);
	}
}

static void *run(void *arg)
{
	struct metrics_server *m = arg;
	struct pollfd p[CONN_MAX + 2];
	int idx[CONN_MAX + 2];

	for (;;) {
		int64_t now = now_ms(), next = now + 60000;
		int np = 2, timeout;

		p[0] = (struct pollfd){ .fd = m->wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = -1 };
		if (m->accept_paused_until <= now) {
			m->accept_paused_until = 0;
			p[1].fd = m->fd;
			p[1].events = POLLIN;
		} else {
			next = m->accept_paused_until;
		}
		for (int i = 0; i < CONN_MAX; i++) {
			struct conn *c = &m->conns[i];

			if (c->fd < 0)
				continue;
			if (now >= conn_deadline(c)) {
				STAT_ADD(m, timeouts);
				conn_close(c);
				continue;
			}
			if (conn_deadline(c) < next)
				next = conn_deadline(c);
			p[np] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
			idx[np++] = i;
		}
		timeout = (int)(next - now);
		if (poll(p, np, timeout < 0 ? 0 : timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		now = now_ms();
		for (int k = 2; k < np; k++) {
			struct conn *c = &m->conns[idx[k]];

			if (!p[k].revents)
				continue;
			if (c->out)
				conn_send(c);
			else
				conn_recv(m, c);
		}
		if (p[1].revents)
			accept_all(m, now);
	}
	for (int i = 0; i < CONN_MAX; i++)
		conn_close(&m->conns[i]);
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
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
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

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

struct metrics_server *metrics_server__new(const char *addr, metrics_render_fn render,
					   metrics_health_fn health, void *ctx, char *why,
					   size_t why_len)
{
	struct metrics_server *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return NULL;
	m->wake[0] = m->wake[1] = -1;
	for (int i = 0; i < CONN_MAX; i++)
		m->conns[i].fd = -1;
	m->render = render;
	m->health = health;
	m->ctx = ctx;
	m->fd = listen_on(addr, why, why_len);
	if (m->fd < 0) {
		err = m->fd;
		goto out_free;
	}
	m->port = bound_port(m->fd);
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

int metrics_server__port(const struct metrics_server *m)
{
	return m->port;
}

void metrics_server__stats(struct metrics_server *m, struct metrics_server_stats *ret)
{
	ret->accepted = __atomic_load_n(&m->st.accepted, __ATOMIC_RELAXED);
	ret->scrapes = __atomic_load_n(&m->st.scrapes, __ATOMIC_RELAXED);
	ret->timeouts = __atomic_load_n(&m->st.timeouts, __ATOMIC_RELAXED);
	ret->evicted = __atomic_load_n(&m->st.evicted, __ATOMIC_RELAXED);
	ret->too_large = __atomic_load_n(&m->st.too_large, __ATOMIC_RELAXED);
	ret->accept_backoffs = __atomic_load_n(&m->st.accept_backoffs, __ATOMIC_RELAXED);
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
