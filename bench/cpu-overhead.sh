#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Slowdown of a CPU-bound benchmark that uses every CPU while a whole-machine
# profiler samples at 99 and 999 Hz: cprof (default --unwind auto, and fp),
# perf record -g, and bcc's profile,
# in interleaved rounds; prints the median wall time and its ratio to the
# median without a profiler. Figures only, never pass/fail.
set -u
OUT=${OUT:-build}
ROUNDS=${ROUNDS:-5}
ITERS=${ITERS:-1500000000}
BURN="$OUT/bench/cpuburn"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

have_perf=0; perf record -q -o /dev/null -F 99 -a -g -- true >/dev/null 2>&1 && have_perf=1
BCC=$(command -v profile-bpfcc || true)

start_profiler() { # name hz -> pid in $prof_pid
	case $1 in
	cprof) "$OUT/cprof" -q -a -F "$2" -o "$tmp/cprof.pb.gz" & prof_pid=$!; sleep 1 ;;
	cprof-fp) "$OUT/cprof" -q -a --unwind fp -F "$2" -o "$tmp/cprof.pb.gz" & prof_pid=$!; sleep 1 ;;
	perf)  perf record -q -F "$2" -g -a -o "$tmp/perf.data" >/dev/null 2>&1 & prof_pid=$!; sleep 1 ;;
	bcc)   "$BCC" -F "$2" -f > "$tmp/bcc.out" 2>/dev/null & prof_pid=$!
	       # bcc compiles its program at start: wait for it to attach
	       for _ in $(seq 100); do [ -n "$(bpftool prog show 2>/dev/null | grep -w do_perf_event)" ] && break; sleep 0.2; done ;;
	esac
}
stop_profiler() { kill -INT "$prof_pid" 2>/dev/null; wait "$prof_pid" 2>/dev/null; }

configs="none cprof-fp:99 cprof-fp:999 cprof:99 cprof:999"
[ $have_perf = 1 ] && configs="$configs perf:99 perf:999"
[ -n "$BCC" ] && configs="$configs bcc:99 bcc:999"

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
echo "cpu-overhead: $(nproc) CPUs busy, $ROUNDS interleaved rounds, median wall time"
printf '  %-10s %8s %8s\n' config seconds ratio
for c in $configs; do
	m=$(awk -v c="$c" '$1==c{print $2}' "$tmp/times" | median)
	printf '  %-10s %8.3f %8.4f\n' "$c" "$m" "$(echo "$m / $base" | bc -l)"
done
[ $have_perf = 1 ] || echo "  (perf record unavailable here)"
[ -n "$BCC" ] || echo "  (bcc profile unavailable: install bpfcc-tools)"
