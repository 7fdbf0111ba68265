#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Slowdown of the whole-machine CPU benchmark (bench/cpuburn on every CPU)
# while a profiler samples the whole machine at 99 and 999 Hz: cprof with
# frame pointers (--unwind fp), cprof with stack copies unwound through
# .eh_frame (--unwind dwarf), and perf record --call-graph dwarf, in
# interleaved rounds, as bench/cpu-overhead.sh does. Prints the median wall
# time and its ratio to the median without a profiler. Figures only.
set -u
OUT=${OUT:-build}
ROUNDS=${ROUNDS:-5}
ITERS=${ITERS:-1500000000}
BURN="$OUT/bench/cpuburn"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

have_perf=0
perf record -q -o /dev/null -F 99 -a --call-graph dwarf -- true >/dev/null 2>&1 && have_perf=1

start_profiler() { # name hz -> pid in $prof_pid
	case $1 in
	cprof-fp)    "$OUT/cprof" -q -a -F "$2" --unwind fp -o "$tmp/cprof.pb.gz" & prof_pid=$! ;;
	cprof-dwarf) "$OUT/cprof" -q -a -F "$2" --unwind dwarf -o "$tmp/cprof.pb.gz" & prof_pid=$! ;;
	perf-dwarf)  perf record -q -F "$2" --call-graph dwarf -a -o "$tmp/perf.data" >/dev/null 2>&1 &
		     prof_pid=$! ;;
	esac
	sleep 1
}
stop_profiler() { kill -INT "$prof_pid" 2>/dev/null; wait "$prof_pid" 2>/dev/null; rm -f "$tmp"/perf.data*; }

configs="none cprof-fp:99 cprof-fp:999 cprof-dwarf:99 cprof-dwarf:999"
[ $have_perf = 1 ] && configs="$configs perf-dwarf:99 perf-dwarf:999"

for r in $(seq "$ROUNDS"); do
	for c in $configs; do
		name=${c%%:*}; hz=${c#*:}
		[ "$name" != none ] && start_profiler "$name" "$hz"
		t=$("$BURN" "$ITERS")
		[ "$name" != none ] && stop_profiler
		echo "$c $t" >> "$tmp/times"
	done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
base=$(awk '$1=="none"{print $2}' "$tmp/times" | median)
echo "unwind-overhead: $(nproc) CPUs busy, $ROUNDS interleaved rounds, median wall time"
printf '  %-16s %8s %8s\n' config seconds ratio
for c in $configs; do
	m=$(awk -v c="$c" '$1==c{print $2}' "$tmp/times" | median)
	printf '  %-16s %8.3f %8.4f\n' "$c" "$m" "$(echo "$m / $base" | bc -l)"
done
[ $have_perf = 1 ] || echo "  (perf record --call-graph dwarf unavailable here)"
