#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark for `cprof flamegraph`: renders a synthetic profile of 100k unique
# stacks (depth 8-40 over 2,000 function names, deterministic) and prints the
# render time and SVG size, with --minwidth 0 (every frame) as the baseline.
# Prints figures only; never fails on a time.
set -eu
OUT=${OUT:-build}
CPROF=${CPROF:-$OUT/cprof}
STACKS=${STACKS:-100000}
dir="$OUT/bench/flamegraph"
mkdir -p "$dir"
in="$dir/stacks-$STACKS.folded"

python3 - "$STACKS" > "$in" <<'PY'
import random, sys
n = int(sys.argv[1])
rng = random.Random(42)
names = ["ns%d::Class%d::method_%d" % (i % 17, i % 101, i) for i in range(2000)]
seen = set()
while len(seen) < n:
    depth = rng.randint(8, 40)
    # shared roots, diverging leaves: like real programs
    stack = ["main", "run"] + [names[min(int(rng.expovariate(1 / (30 + 40 * d))), 1999)]
                               for d in range(depth)]
    s = ";".join(stack)
    if s not in seen:
        seen.add(s)
        print("%s %d" % (s, rng.randint(1, 50)))
PY

run() {	# run LABEL ARGS...: prints wall time and output size
	local label=$1; shift
	local start end out="$dir/out.$label"
	start=$(date +%s.%N)
	"$CPROF" flamegraph "$@" "$in" -o "$out"
	end=$(date +%s.%N)
	printf '%-30s %7.3f s %11d bytes %9s frames\n' "$label" \
		"$(awk "BEGIN { print $end - $start }")" "$(stat -c %s "$out")" \
		"$(case $label in svg*) grep -c '<g data-v' "$out" ;; *) echo - ;; esac)"
}

printf 'input: %d unique stacks, %d bytes of folded text\n' "$STACKS" "$(stat -c %s "$in")"
run "svg --minwidth 0.1 (default)"
run "svg --minwidth 0" --minwidth 0
run "svg --inverted" --inverted
run "folded" --format folded
rm -f "$dir"/out.*	# the --minwidth 0 SVG is hundreds of MB
