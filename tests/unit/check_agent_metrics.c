// SPDX-License-Identifier: MIT
/* The agent's metrics endpoint against hostile clients, in-process on a free
 * loopback port: a slowloris client and ten idle connections do not delay
 * scrapes; more connections than the bound evict the oldest; a request over
 * the bound is refused; running out of descriptors does not make the thread
 * spin; /healthz answers 200 or 503 with the reason. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "profiler/agent/agent_metrics.h"

static void render(void *ctx, FILE *f)
{
	(void)ctx;
	fprintf(f, "# TYPE cprof_test counter\ncprof_test 42\n");
}

static bool healthy = true;

static bool health(void *ctx, char *why, size_t len)
{
	(void)ctx;
	if (!healthy)
		snprintf(why, len, "not sampling");
	return healthy;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static struct metrics_server *start(void)
{
	char why[256];
	struct metrics_server *m = metrics_server__new("127.0.0.1:0", render, health, NULL, why,
						       sizeof(why));

	ck_assert_msg(m, "metrics_server__new: %s", why);
	return m;
}

static int connect_to(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* GET path; the response (status line and all) in buf; -1 when the server did
 * not answer within timeout_ms. */
static int get(int port, const char *path, char *buf, size_t len, int timeout_ms)
{
	int fd = connect_to(port);
	double end = now_s() + timeout_ms / 1000.0;
	char req[256];
	size_t got = 0;

	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		goto out_fail;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)((end - now_s()) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			goto out_fail;
		n = recv(fd, buf + got, len - 1 - got, 0);
		if (n < 0)
			goto out_fail;
		if (n == 0)
			break;
		got += n;
		if (got == len - 1)
			break;
	}
	buf[got] = '\0';
	close(fd);
	return 0;

out_fail:
	close(fd);
	return -1;
}

struct slowloris {
	int port;
	volatile int stop;
};

/* Sends a request one byte every 1.5 s, without ever ending it. */
static void *slowloris(void *arg)
{
	struct slowloris *s = arg;
	int fd = connect_to(s->port);

	while (fd >= 0 && !s->stop) {
		if (send(fd, "G", 1, MSG_NOSIGNAL) < 0) {	/* closed on us: again */
			close(fd);
			fd = connect_to(s->port);
			continue;
		}
		for (int i = 0; i < 15 && !s->stop; i++)
			usleep(100000);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

START_TEST(test_metrics__scrapes_answer_despite_a_slowloris_and_idle_connections)
{
	struct metrics_server *m = start();
	struct slowloris s = { .port = metrics_server__port(m) };
	int idle[10], ok = 0;
	pthread_t t;
	char buf[4096];

	ck_assert_int_eq(pthread_create(&t, NULL, slowloris, &s), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_ge(idle[i] = connect_to(s.port), 0);
	usleep(200000);
	for (int i = 0; i < 5; i++) {
		double t0 = now_s();

		if (get(s.port, "/metrics", buf, sizeof(buf), 1000) == 0 &&
		    strstr(buf, "HTTP/1.1 200 OK") && strstr(buf, "cprof_test 42") &&
		    now_s() - t0 < 1.0)
			ok++;
		usleep(500000);
	}
	ck_assert_msg(ok == 5, "%d of 5 scrapes answered within a second", ok);
	s.stop = 1;
	pthread_join(t, NULL);
	for (int i = 0; i < 10; i++)
		close(idle[i]);
	metrics_server__free(m);
}
END_TEST

START_TEST(test_metrics__closes_a_silent_client_at_its_deadline)
{
	struct metrics_server *m = start();
	struct metrics_server_stats st;
	int fd = connect_to(metrics_server__port(m));
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	ck_assert_int_ge(fd, 0);
	/* Closed by the server (EOF) within its 3 s deadline, well before 10 s. */
	ck_assert_int_eq(poll(&p, 1, 10000), 1);
	ck_assert_int_le(recv(fd, &c, 1, 0), 0);
	metrics_server__stats(m, &st);
	ck_assert_uint_eq(st.timeouts, 1);
	close(fd);
	metrics_server__free(m);
}
END_TEST

START_TEST(test_metrics__bounds_connections_by_closing_the_oldest)
{
	struct metrics_server *m = start();
	int port = metrics_server__port(m), fds[40];
	struct metrics_server_stats st;
	char buf[4096];

	for (int i = 0; i < 40; i++)
		ck_assert_int_ge(fds[i] = connect_to(port), 0);
	ck_assert_int_eq(get(port, "/metrics", buf, sizeof(buf), 1000), 0);
	ck_assert_msg(strstr(buf, "200 OK"), "%s", buf);
	metrics_server__stats(m, &st);
	ck_assert_uint_eq(st.accepted, 41);
	ck_assert_uint_ge(st.evicted, 40 + 1 - 16);
	/* The first connection was evicted: the server closed it. */
	ck_assert_int_eq(recv(fds[0], buf, 1, MSG_DONTWAIT), 0);
	for (int i = 0; i < 40; i++)
		close(fds[i]);
	metrics_server__free(m);
}
END_TEST

START_TEST(test_metrics__refuses_a_request_over_the_bound)
{
	struct metrics_server *m = start();
	int fd = connect_to(metrics_server__port(m));
	char big[8192], buf[512];
	ssize_t n, got = 0;

	ck_assert_int_ge(fd, 0);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	(void)!send(fd, big, sizeof(big), MSG_NOSIGNAL);
	while (got < (ssize_t)sizeof(buf) - 1 &&
	       (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += n;
	buf[got > 0 ? got : 0] = '\0';
	ck_assert_msg(strstr(buf, "431 Request Header Fields Too Large"), "got '%s'", buf);
	close(fd);
	metrics_server__free(m);
}
END_TEST

START_TEST(test_metrics__healthz_says_200_or_503_with_the_reason)
{
	struct metrics_server *m = start();
	int port = metrics_server__port(m);
	char buf[4096];

	healthy = true;
	ck_assert_int_eq(get(port, "/healthz", buf, sizeof(buf), 2000), 0);
	ck_assert_msg(strstr(buf, "HTTP/1.1 200 OK") && strstr(buf, "\r\n\r\nok\n"), "%s", buf);
	healthy = false;
	ck_assert_int_eq(get(port, "/healthz", buf, sizeof(buf), 2000), 0);
	ck_assert_msg(strstr(buf, "HTTP/1.1 503") && strstr(buf, "not sampling"), "%s", buf);
	ck_assert_int_eq(get(port, "/nope", buf, sizeof(buf), 2000), 0);
	ck_assert_msg(strstr(buf, "HTTP/1.1 404"), "%s", buf);
	metrics_server__free(m);
}
END_TEST

/* With every descriptor of the process taken, a pending connection makes
 * accept() fail with EMFILE: the thread backs off instead of spinning, and
 * serves again once descriptors are free. */
START_TEST(test_metrics__does_not_spin_when_out_of_descriptors)
{
	struct rlimit rl = { 64, 64 };
	struct metrics_server *m;
	struct metrics_server_stats st;
	int port, fds[64], nfds = 0, client, fd;
	double cpu0, wall0, cpu;
	char buf[4096];

	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	m = start();
	port = metrics_server__port(m);
	while (nfds < 64 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		fds[nfds++] = fd;
	ck_assert_int_eq(errno, EMFILE);
	/* The client takes the last descriptor: accept() finds none. */
	close(fds[--nfds]);
	client = connect_to(port);
	ck_assert_int_ge(client, 0);
	cpu0 = cpu_s();
	wall0 = now_s();
	/* Let the pending connection wake the thread: a spin would burn ~2 s. */
	sleep(2);
	cpu = cpu_s() - cpu0;
	ck_assert_msg(cpu < 0.5, "%.2f s of CPU in %.2f s out of descriptors", cpu,
		      now_s() - wall0);
	metrics_server__stats(m, &st);
	ck_assert_uint_ge(st.accept_backoffs, 1);
	ck_assert_uint_le(st.accept_backoffs, 20);
	while (nfds)
		close(fds[--nfds]);
	close(client);
	ck_assert_int_eq(get(port, "/metrics", buf, sizeof(buf), 2000), 0);
	ck_assert_msg(strstr(buf, "200 OK"), "%s", buf);
	metrics_server__free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent_metrics");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_metrics__scrapes_answer_despite_a_slowloris_and_idle_connections);
	tcase_add_test(tc, test_metrics__closes_a_silent_client_at_its_deadline);
	tcase_add_test(tc, test_metrics__bounds_connections_by_closing_the_oldest);
	tcase_add_test(tc, test_metrics__refuses_a_request_over_the_bound);
	tcase_add_test(tc, test_metrics__healthz_says_200_or_503_with_the_reason);
	tcase_add_test(tc, test_metrics__does_not_spin_when_out_of_descriptors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
