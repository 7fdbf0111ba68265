// SPDX-License-Identifier: MIT
/* A fixed amount of CPU-bound work on every CPU (one thread each), a few
 * call levels deep; prints the wall-clock seconds it took. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static unsigned long iters;

NOINLINE static unsigned long leaf(unsigned long x, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005UL + i;
	return x;
}

NOINLINE static unsigned long middle(unsigned long x)
{
	for (int i = 0; i < 1000; i++)
		x = leaf(x, iters / 1000);
	return x;
}

static void *worker(void *arg)
{
	volatile unsigned long sink = middle((unsigned long)arg);

	(void)sink;
	return NULL;
}

int main(int argc, char **argv)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t *t = calloc(n, sizeof(*t));
	struct timespec a, b;

	iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000000UL;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.4f\n", b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
