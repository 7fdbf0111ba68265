// SPDX-License-Identifier: MIT
/* DWARF unwinding costs: (1) unwind table build time and memory for large
 * libraries (libc, libLLVM, python3); (2) unwinding throughput on real stack
 * records: a CPU-bound program is sampled through the BPF sampler at 999 Hz,
 * its records are kept, then unwound again and again through a sym_session,
 * cold (first pass: process capture and table builds) and warm. Needs root.
 * usage: unwind_throughput [PROGRAM ARGS...] (default: python3 running a loop)
 *        unwind_throughput --tables FILE... (only (1), for these files) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "profiler/core/sampler.h"
#include "symbolize/sym_session.h"
#include "symbolize/uw_table.h"

#define MAX_RECORDS 4000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void table(const char *path)
{
	double best = 1e9;
	struct uw_table *t = NULL;
	uint64_t ehsize = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd = open(path, O_RDONLY);
	Elf *elf;

	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0)
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) &&
			    !strcmp(elf_strptr(elf, shstrndx, sh.sh_name), ".eh_frame"))
				ehsize = sh.sh_size;
		}
	for (int i = 0; i < 3 && elf; i++) {
		double t0 = now();

		uw_table__free(t);
		t = uw_table__build(elf, NULL, NULL);
		if (now() - t0 < best)
			best = now() - t0;
	}
	if (t) {
		const struct uw_table_stats *st = uw_table__stats(t);

		printf("unwind-table: %-45s %7lu FDEs %8lu rows %8.1f ms %7.2f MiB (%.1f B/row; "
		       ".eh_frame %.2f MiB) %lu rows unsupported\n", path,
		       (unsigned long)st->fdes, (unsigned long)st->rows, best * 1e3,
		       st->bytes / 1048576.0, (double)st->bytes / st->rows, ehsize / 1048576.0,
		       (unsigned long)st->unsupported);
	}
	uw_table__free(t);
	if (elf)
		elf_end(elf);
	close(fd);
}

struct kept {
	struct cprof_stack_record r;
	uint8_t *stack;
};

struct ctx {
	struct kept *recs;
	size_t n;
};

static int keep(void *arg, const struct cprof_stack_record *r, const void *stack, uint64_t *ips,
		uint32_t max)
{
	struct ctx *c = arg;

	(void)max;
	if (c->n < MAX_RECORDS && r->ip < 0x800000000000ULL) {
		c->recs[c->n].r = *r;
		c->recs[c->n].stack = malloc(r->stack_len + 1);
		if (!c->recs[c->n].stack)
			return -ENOMEM;
		memcpy(c->recs[c->n].stack, stack, r->stack_len);
		c->n++;
	}
	ips[0] = r->ip;
	return 1;
}

/* One pass over every record; returns frames produced. */
static uint64_t pass(struct sym_session *s, const struct ctx *c, uint64_t *complete)
{
	uint64_t frames = 0, ips[1024];

	*complete = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct kept *k = &c->recs[i];
		struct uw_regs regs = { .ip = k->r.ip, .sp = k->r.sp, .bp = k->r.bp, .bx = k->r.bx };
		struct uw_stack st = { .data = k->stack, .len = k->r.stack_len,
				       .limit = CPROF_STACK_COPY_DEFAULT };
		struct uw_result res;

		if (sym_session__unwind(s, (int)k->r.tgid, k->r.start_ticks, UW_MODE_DWARF, &regs,
					&st, ips, 1024, &res) == 0) {
			frames += res.nr;
			*complete += res.stop == UW_STOP_OUTERMOST;
		}
	}
	return frames;
}

int main(int argc, char **argv)
{
	static char *def[] = { "/usr/bin/python3", "-c",
			       "def f(n): return n if n < 2 else f(n-1) + f(n-2)\nwhile True: f(20)",
			       NULL };
	char **prog = argc > 1 ? argv + 1 : def;
	struct ctx c = { .recs = calloc(MAX_RECORDS, sizeof(*c.recs)) };
	struct sampler_opts so = { .freq = 999, .stack_window = CPROF_STACK_COPY_DEFAULT,
				   .unwind = keep, .ctx = &c };
	const char *libs[] = { "/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/python3.11",
			       "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1",
			       "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1" };
	struct raw_profile *rp = raw_profile__new();
	struct sym_session *s;
	struct sampler *smp;
	const char *what = "";
	uint64_t frames = 0, complete = 0;
	double t0, cold, warm;
	size_t passes = 0;
	pid_t pid;

	elf_version(EV_CURRENT);
	if (argc > 1 && !strcmp(argv[1], "--tables")) {
		for (int i = 2; i < argc; i++)
			table(argv[i]);
		return 0;
	}
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		table(libs[i]);

	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(prog[0], prog);
		_exit(127);
	}
	usleep(300000);
	smp = sampler__new(&so, &what);
	if (!smp || sampler__add_target(smp, (uint32_t)pid) || sampler__start(smp, &what)) {
		printf("unwind-throughput: %s: %s\n", what, strerror(errno));
		kill(pid, SIGKILL);
		return 0;
	}
	for (int i = 0; i < 40 && c.n < MAX_RECORDS; i++)
		sampler__poll(smp, 100);
	sampler__stop(smp);
	if (sampler__drain(smp, rp) < 0)
		printf("unwind-throughput: draining: %s\n", strerror(errno));

	s = sym_session__new(NULL);
	t0 = now();
	frames = pass(s, &c, &complete);
	cold = now() - t0;
	t0 = now();
	do {
		pass(s, &c, &complete);
		passes++;
	} while (now() - t0 < 2.0);
	warm = (now() - t0) / passes;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("unwind-throughput: %s: %zu records, %.1f frames each, %.1f %% complete\n", prog[0],
	       c.n, c.n ? (double)frames / c.n : 0, c.n ? 100.0 * complete / c.n : 0);
	printf("unwind-throughput: cold %.0f stacks/s (first pass %.3f s, with capture and table "
	       "builds), warm %.0f stacks/s = %.0f ns/stack, %.0f ns/frame\n", c.n / cold, cold,
	       c.n / warm, warm * 1e9 / c.n, warm * 1e9 / (double)frames);
	sym_session__free(s);
	sampler__free(smp);
	raw_profile__free(rp);
	for (size_t i = 0; i < c.n; i++)
		free(c.recs[i].stack);
	free(c.recs);
	return 0;
}
