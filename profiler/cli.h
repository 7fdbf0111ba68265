/* SPDX-License-Identifier: MIT */
/* cli: the one printer of the cprof binary and its argument parsers. Every
 * message to the user goes out as "cprof: ..." or "cprof SUBCMD: ...", one
 * line in one write (lines of several threads never interleave); a usage
 * error adds the hint "Try 'cprof SUBCMD --help' for more information." and
 * exits 2. Libraries never print: they return -errno and a "why", which the
 * commands hand to this module once. The parsers accept plain decimal (no
 * sign, no trailing text) and return 0 or -EINVAL, never print.
 * Depends on libc (and libbpf's print-callback type) only.
 */
#ifndef CPROF_PROFILER_CLI_H
#define CPROF_PROFILER_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <bpf/libbpf.h>

/* The subcommand messages are attributed to: NULL (the default) prints
 * "cprof: ", "agent" prints "cprof agent: ". Set once by each cmd_*()
 * before any thread starts; cmd is a static string. */
void cli__set_command(const char *cmd);

/* "cprof[ SUBCMD]: MESSAGE\n" to stderr in one write. A message longer than
 * 4 KiB is cut. */
void cli__err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli__verr(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* cli__err() of "warning: MESSAGE". */
void cli__warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli__err(), then "Try 'cprof[ SUBCMD] --help' for more information.";
 * returns 2, the exit status of a usage error. */
int cli__usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libbpf print callbacks: everything to stderr (verbose), or nothing. */
int cli__libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);
int cli__libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap);

/* Unsigned decimal in min..max, without sign or suffix (leading blanks are
 * skipped, as strtoul does). 0 or -EINVAL (*ret untouched). */
int cli__parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
	__attribute__((warn_unused_result));

/* true/yes/on/1 or false/no/off/0 (words case-insensitive). 0 or -EINVAL. */
int cli__parse_bool(const char *s, bool *ret) __attribute__((warn_unused_result));

/* A byte count: a plain number, or one with K, M or G (binary: 1K = 1024),
 * optionally followed by "B" or "iB" ("64K", "256MiB", "1GB"), any case.
 * 0 or -EINVAL (also when the result overflows 64 bits). */
int cli__parse_size(const char *s, uint64_t *ret) __attribute__((warn_unused_result));

/* Seconds, 0..31536000 (a year): "10", "2.5", with CLI_SECONDS_UNITS also
 * "50us", "500ms", "10s", "2m", "2min". No sign. 0 or -EINVAL. */
#define CLI_SECONDS_UNITS 1u
int cli__parse_seconds(const char *s, unsigned flags, double *ret)
	__attribute__((warn_unused_result));

/* Appends the comma-separated pids of s ("12,345"; empty items skipped) to
 * pids[*nr..max). 0, or -EINVAL at the first item that is not a pid in
 * 1..INT_MAX or would pass max (the pids before it are kept). */
int cli__parse_pids(const char *s, pid_t *pids, size_t max, size_t *nr)
	__attribute__((warn_unused_result));

/* "process" or "processes": the word for a count of n, so summaries read
 * "1 process", "2 processes". Returns one of the two (static) strings. */
const char *cli__plural(uint64_t n, const char *one, const char *many);

#endif /* CPROF_PROFILER_CLI_H */
