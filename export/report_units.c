// SPDX-License-Identifier: MIT
/* report_units: go tool pprof's measurement package in C (its unit tables,
 * scaling, labels and percentages), byte for byte where a report shows it.
 * The float formats are C's, which round the same binary doubles the same
 * way Go's do. */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "export/report_units.h"

struct unit {
	const char *name;		/* canonical, as printed */
	const char *aliases[4];
	double factor;			/* in the family's base unit */
};

struct unit_family {
	const struct unit *units;	/* ascending factor */
	size_t n;
	const struct unit *def;		/* for a target unit of another family */
};

static const struct unit bytes[] = {
	{ "B", { "b", "byte" }, 1 },
	{ "kB", { "kb", "kbyte", "kilobyte" }, 1024.0 },
	{ "MB", { "mb", "mbyte", "megabyte" }, 1048576.0 },
	{ "GB", { "gb", "gbyte", "gigabyte" }, 1073741824.0 },
	{ "TB", { "tb", "tbyte", "terabyte" }, 1099511627776.0 },
	{ "PB", { "pb", "pbyte", "petabyte" }, 1125899906842624.0 },
};

static const struct unit times[] = {
	{ "ns", { "ns", "nanosecond" }, 1 },
	{ "us", { "\xce\xbcs", "us", "microsecond" }, 1e3 },
	{ "ms", { "ms", "millisecond" }, 1e6 },
	{ "s", { "s", "sec", "second" }, 1e9 },
	{ "hrs", { "hour", "hr" }, 3600e9 },
};

static const struct unit gcus[] = {
	{ "n*GCU", { "nanogcu" }, 1e-9 },
	{ "u*GCU", { "microgcu" }, 1e-6 },
	{ "m*GCU", { "milligcu" }, 1e-3 },
	{ "GCU", { "gcu" }, 1 },
	{ "k*GCU", { "kilogcu" }, 1e3 },
	{ "M*GCU", { "megagcu" }, 1e6 },
	{ "G*GCU", { "gigagcu" }, 1e9 },
	{ "T*GCU", { "teragcu" }, 1e12 },
	{ "P*GCU", { "petagcu" }, 1e15 },
};

/* The default of the time family is seconds, which no alias names (Go's
 * table gives it none), so it is its own entry. */
static const struct unit second_def = { "s", { NULL }, 1e9 };

static const struct unit_family families[] = {
	{ bytes, sizeof(bytes) / sizeof(bytes[0]), &bytes[0] },
	{ times, sizeof(times) / sizeof(times[0]), &second_def },
	{ gcus, sizeof(gcus) / sizeof(gcus[0]), &gcus[3] },
};

/* sniffUnit: lower case, one trailing 's' dropped from names longer than two
 * bytes ("nanoseconds", "bytes"), then an alias of this family. */
static const struct unit *sniff(const struct unit_family *fam, const char *name)
{
	char low[32];
	size_t n = strlen(name);

	if (n >= sizeof(low))
		return NULL;	/* longer than every alias */
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	if (n > 2 && low[n - 1] == 's')
		n--;
	low[n] = '\0';
	for (size_t i = 0; i < fam->n; i++)
		for (size_t a = 0; a < 4 && fam->units[i].aliases[a]; a++)
			if (!strcmp(low, fam->units[i].aliases[a]))
				return &fam->units[i];
	return NULL;
}

static bool is_auto(const char *to)
{
	return !strcmp(to, "minimum") || !strcmp(to, "auto");
}

/* convertUnit: false when from is not of this family. */
static bool convert(const struct unit_family *fam, int64_t value, const char *from,
		    const char *to, double *ret, const char **ret_unit)
{
	const struct unit *fu = sniff(fam, from), *tu;
	double v, f = 0;
	const char *name = NULL;

	if (!fu)
		return false;
	v = (double)value * fu->factor;
	if (is_auto(to)) {
		for (size_t i = 0; i < fam->n; i++)
			if (fam->units[i].factor >= f && v / fam->units[i].factor >= 1.0) {
				f = fam->units[i].factor;
				name = fam->units[i].name;
			}
		if (f != 0) {
			*ret = v / f;
			*ret_unit = name;
			return true;
		}
		tu = NULL;
	} else {
		tu = sniff(fam, to);
	}
	if (!tu)
		tu = fam->def;
	*ret = v / tu->factor;
	*ret_unit = tu->name;
	return true;
}

double report_units__scale(int64_t value, const char *from, const char *to,
			   const char **ret_unit)
{
	static const char *const quiet[] = { "count", "sample", "unit", "minimum", "auto" };
	double v;

	if (value < 0 && value != INT64_MIN)
		return -report_units__scale(-value, from, to, ret_unit);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (convert(&families[i], value, from, to, &v, ret_unit))
			return v;
	*ret_unit = to;
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (!strcmp(to, quiet[i]))
			*ret_unit = "";
	return (double)value;
}

char *report_units__label(char *buf, size_t len, int64_t value, const char *from,
			  const char *to)
{
	const char *unit;
	double v = report_units__scale(value, from, to, &unit);
	char num[REPORT_UNITS_BUF];
	size_t n;

	/* %.2f of an int64 scaled by at most 1e9 fits; a longer one is cut. */
	snprintf(num, sizeof(num), "%.2f", v);
	n = strlen(num);
	if (n >= 3 && !strcmp(num + n - 3, ".00"))
		num[n - 3] = '\0';
	if (!strcmp(num, "0") || !strcmp(num, "-0"))
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "%s%s", num, unit);
	return buf;
}

char *report_units__percent(char *buf, size_t len, int64_t value, int64_t total)
{
	double r = total ? fabs((double)value / (double)total) * 100 : 0;

	if (r >= 99.95 && r <= 100.05)
		snprintf(buf, len, "  100%%");
	else if (r >= 1.0)
		snprintf(buf, len, "%5.2f%%", r);
	else
		snprintf(buf, len, "%5.2g%%", r);
	return buf;
}

const char *report_units__output(size_t rows, int64_t min_value, int64_t max_value,
				 const char *sample_unit)
{
	const char *min_unit, *max_unit, *unit;
	int64_t min100;

	if (!rows)
		return "minimum";
	if (!min_value)
		min_value = max_value;
	/* Go's int64 products wrap; so does this, in unsigned arithmetic. */
	min100 = (int64_t)((uint64_t)min_value * 100);
	report_units__scale(min_value, sample_unit, "minimum", &min_unit);
	report_units__scale(max_value, sample_unit, "minimum", &max_unit);
	unit = min_unit;
	if (strcmp(min_unit, max_unit) && min100 < max_value)
		report_units__scale(min100, sample_unit, "minimum", &unit);
	return *unit ? unit : sample_unit;
}
