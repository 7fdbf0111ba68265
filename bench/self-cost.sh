#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cprof's own CPU seconds and peak RSS for a whole-machine run (default 30 s)
# with every CPU busy, at 99 Hz.
set -u
OUT=${OUT:-build}
SECS=${SECS:-30}
"$OUT/bench/cpuburn" 100000000000 >/dev/null &
burn=$!
/usr/bin/time -f "self-cost: ${SECS} s whole machine at 99 Hz: user %U s, sys %S s, peak RSS %M KiB" \
	"$OUT/cprof" -a -F 99 -d "$SECS" -o /tmp/cprof-self-cost.pb.gz 2>&1 | grep -E 'self-cost|samples'
kill $burn 2>/dev/null; wait $burn 2>/dev/null
ls -l /tmp/cprof-self-cost.pb.gz | awk '{print "self-cost: profile size " $5 " bytes"}'
rm -f /tmp/cprof-self-cost.pb.gz
