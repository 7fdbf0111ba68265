/* SPDX-License-Identifier: MIT */
/* report_units: numbers as `go tool pprof` prints them, so `cprof report`
 * reads the same as `go tool pprof -top`: its unit tables (bytes, time, GCU),
 * its scaling ("minimum"/"auto" pick the largest unit the value reaches),
 * "%.2f" labels without ".00" ("10ms", "1.50s"), its percentages ("  100%",
 * "38.24%", "  0.5%") and its choice of one output unit for a whole report.
 * Library code: writes into the caller's buffers, never prints; libc only. */
#ifndef CPROF_EXPORT_REPORT_UNITS_H
#define CPROF_EXPORT_REPORT_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Big enough for any label or percentage below (a %.2f of 2^63 and a unit). */
#define REPORT_UNITS_BUF 64

/* value in unit from, expressed in unit to ("minimum" or "auto": the largest
 * unit of from's family that the value reaches). *ret_unit gets the unit to
 * print: a static string, "" for a unit not worth printing (count, samples),
 * or to itself when from is no known unit (a borrowed pointer to `to`). */
double report_units__scale(int64_t value, const char *from, const char *to,
			   const char **ret_unit);

/* measurement.ScaledLabel: "%.2f" of the scaled value without a ".00"
 * suffix, then the unit; "0" for anything that rounds to zero. Returns buf. */
char *report_units__label(char *buf, size_t len, int64_t value, const char *from,
			  const char *to);

/* measurement.Percentage: |value / total| as "  100%" (within 0.05 of 100),
 * "%5.2f%%" from 1 % up, "%5.2g%%" below (0 when total is 0). Returns buf. */
char *report_units__percent(char *buf, size_t len, int64_t value, int64_t total);

/* The output unit of a report of rows rows whose smallest non-zero value is
 * min_value (0: none) and whose total is max_value, as
 * report.selectOutputUnit picks it: the unit of the smallest value, or of
 * 100x it when that is 100x below the total, so small rows still show two
 * decimals. Returns a static unit name, or sample_unit itself when no family
 * knows it; "minimum" (each value scaled alone) for a report without rows. */
const char *report_units__output(size_t rows, int64_t min_value, int64_t max_value,
				 const char *sample_unit);

#endif /* CPROF_EXPORT_REPORT_UNITS_H */
