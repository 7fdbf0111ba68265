// SPDX-License-Identifier: MIT
/* cli: formatting into one buffer before one fputs keeps a line whole when
 * the agent's threads print at once (stderr is unbuffered). The parsers
 * refuse a leading sign on purpose: strtoul alone would take "-1" as
 * ULONG_MAX. */
#include "profiler/cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *command;	/* NULL: plain "cprof" */

void cli__set_command(const char *cmd)
{
	command = cmd;
}

void cli__verr(const char *fmt, va_list ap)
{
	char buf[4096];
	int n;

	n = command ? snprintf(buf, sizeof(buf), "cprof %s: ", command) :
		      snprintf(buf, sizeof(buf), "cprof: ");
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	strcat(buf, "\n");
	fputs(buf, stderr);
}

void cli__err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli__verr(fmt, ap);
	va_end(ap);
}

void cli__warn(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cli__err("warning: %s", buf);
}

int cli__usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli__verr(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'cprof%s%s --help' for more information.\n", command ? " " : "",
		command ? command : "");
	return 2;
}

int cli__libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

int cli__libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

int cli__parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cli__parse_bool(const char *s, bool *ret)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1") ||
	    !strcasecmp(s, "on"))
		*ret = true;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0") ||
		 !strcasecmp(s, "off"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

int cli__parse_size(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && strcasecmp(end + 1, "iB") && strcasecmp(end + 1, "B"))
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*ret = (uint64_t)v << shift;
	return 0;
}

int cli__parse_seconds(const char *s, unsigned flags, double *ret)
{
	double v, mult = 1;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	if (!*end)
		;
	else if (!(flags & CLI_SECONDS_UNITS))
		return -EINVAL;
	else if (!strcmp(end, "ms"))
		mult = 0.001;
	else if (!strcmp(end, "us"))
		mult = 0.000001;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mult = 60;
	else if (strcmp(end, "s"))
		return -EINVAL;
	v *= mult;
	if (!(v >= 0) || v > 31536000.0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cli__parse_pids(const char *s, pid_t *pids, size_t max, size_t *nr)
{
	while (*s) {
		size_t len = strcspn(s, ",");
		char tok[24];
		unsigned long v;

		if (len) {
			if (len >= sizeof(tok) || *nr >= max)
				return -EINVAL;
			memcpy(tok, s, len);
			tok[len] = '\0';
			if (cli__parse_ulong(tok, 1, INT_MAX, &v))
				return -EINVAL;
			pids[(*nr)++] = (pid_t)v;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

const char *cli__plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
