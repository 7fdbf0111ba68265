#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Unwind table build time against the rows of one FDE (tests/fixtures/uw_rows.S
# at 5k to 80k rows): linear since cprof reads CFI itself (libdw's row-by-row
# evaluation took 0.03 / 0.11 / 0.52 / 1.78 s of CPU for 5k / 10k / 20k / 40k).
set -u
OUT=${OUT:-build}
CC=${CC:-cc}
dir="$OUT/bench/uw_rows"
mkdir -p "$dir"
files=()
for n in 5000 10000 20000 40000 80000; do
	f="$dir/rows$n.so"
	[ -e "$f" ] || "$CC" -shared -nostdlib -DROWS=$n tests/fixtures/uw_rows.S -o "$f" || exit 1
	files+=("$f")
done
"$OUT/bench/unwind_throughput" --tables "${files[@]}"
