#!/bin/bash
# SPDX-License-Identifier: MIT
# Stack ids lost to hash collisions under `cprof -a` at 99 Hz while dd copies
# in the kernel (the workload issue 16 measured 1-7 lost kernel stacks per
# 150-sample run on, where perf loses none). Prints one line per run and the
# total. Usage: bench/stack-collisions.sh [RUNS] [SECONDS] [extra cprof args]
# (CPROF=path/to/cprof, default $OUT/cprof). Needs root.
set -u
OUT=${OUT:-build}
CPROF=${CPROF:-$OUT/cprof}
RUNS=${1:-5}
SECS=${2:-3}
shift 2 2>/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
total=0
samples=0
for ((i = 1; i <= RUNS; i++)); do
	( while :; do dd if=/dev/zero of=/dev/null bs=1M count=2000 2>/dev/null; done ) &
	ddloop=$!
	"$CPROF" -a -F 99 -d "$SECS" -o "$dir/p.pb.gz" "$@" 2> "$dir/err"
	rc=$?
	kill "$ddloop"
	wait "$ddloop" 2>/dev/null
	line=$(grep -m1 ' samples from ' "$dir/err")
	n=$(sed -n 's/^cprof: \([0-9]*\) samples from.*/\1/p' <<< "$line")
	lost=$(grep -o '[0-9]* kernel stacks\? \(id collisions\?\|lost to a\? \?stack id collisions\?\)' <<< "$line" |
	       grep -o '^[0-9]*')
	lost=${lost:-0}
	echo "run $i: exit $rc, ${n:-?} samples, $lost kernel stacks lost to collisions"
	total=$((total + lost))
	samples=$((samples + ${n:-0}))
done
echo "stack-collisions: $total kernel stacks lost to id collisions in $samples samples over $RUNS runs of $SECS s"
