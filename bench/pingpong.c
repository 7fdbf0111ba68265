// SPDX-License-Identifier: MIT
/* Context-switch-heavy load for bench/offcpu-cost.sh: two threads pass a byte
 * back and forth over two pipes, each blocking in read(2) until the other
 * writes. Prints "round trips N seconds S per_s R" (CLOCK_MONOTONIC).
 * usage: pingpong ROUND_TRIPS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2];
static long n;

static void *echo(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0; i < n; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			abort();
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	pthread_t t;
	double s;
	char c = 'x';

	n = argc > 1 ? atol(argv[1]) : 200000;
	if (pipe(ping) || pipe(pong) || pthread_create(&t, NULL, echo, NULL))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			abort();
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(t, NULL);
	s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("round trips %ld seconds %.3f per_s %.0f\n", n, s, n / s);
	return 0;
}
