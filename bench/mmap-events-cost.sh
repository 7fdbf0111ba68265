#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What taking mappings from the kernel costs under a fork-heavy load: two
# shells exec'ing /bin/true in a loop, timed alone and with the reader of the
# perf dummy events (profiler/core/mmap_events.c) running; prints the records per
# second and the reader's CPU. Figures only; never fails on a time.
set -u
OUT=${OUT:-build}
N=${N:-2000}
load() {
	local a b
	sh -c "for i in \$(seq $N); do /bin/true; done" & a=$!
	sh -c "for i in \$(seq $N); do /bin/true; done" & b=$!
	wait $a $b
}
t0=$(date +%s.%N); load; t1=$(date +%s.%N)
echo "load alone: 2 x $N execs of /bin/true in $(echo "$t1 - $t0" | bc) s"
"$OUT/bench/mmap_events_cost" 6 &
bench=$!
sleep 0.5
t0=$(date +%s.%N); load; t1=$(date +%s.%N)
echo "load with the reader: $(echo "$t1 - $t0" | bc) s"
wait $bench
