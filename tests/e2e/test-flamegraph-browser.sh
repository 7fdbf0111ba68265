#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end test of `cprof flamegraph`: the CLI (exit codes, stdin, gzip and
# folded inputs, a Go-produced pprof), then the SVG in headless Chromium (no
# network): no script errors, search percentage, click-to-zoom, a deep
# recursion opening on its root with the tower collapsed behind a box that
# expands on a click, screenshots in $OUT/test-output/. Exit 0 pass, 1 fail,
# 77 skip (chromium not installed).
set -u
OUT=${OUT:-build}
CPROF=${CPROF:-$OUT/cprof}
dir="$OUT/test-output/flamegraph"
rm -rf "$dir"
mkdir -p "$dir"
fail=0

check() {	# check DESCRIPTION CMD...: runs CMD, reports
	local what=$1; shift
	if "$@"; then echo "ok    $what"; else echo "FAIL  $what"; fail=1; fi
}

status() {	# status WANT CMD...: CMD exits with WANT
	local want=$1; shift
	"$@" >"$dir/last.out" 2>"$dir/last.err" </dev/null
	local rc=$?
	[ "$rc" -eq "$want" ] || { echo "      exit $rc, stderr: $(head -c 300 "$dir/last.err")"; return 1; }
}

[ -x "$CPROF" ] || { echo "FAIL  $CPROF is not built (make tests)"; exit 1; }
gopb="$OUT/fixtures/fg_go.pb.gz"
[ -r "$gopb" ] || { echo "FAIL  $gopb is missing (make tests)"; exit 1; }

known="$dir/known.folded"
printf '%s\n' 'main;work;hot_a 600' 'main;work;hot_b 300' 'main;idle 100' > "$known"

# --- the command line ---------------------------------------------------------
check "--help prints usage and exits 0" status 0 "$CPROF" flamegraph --help
check "--help lists --diff" grep -q -- '--diff BASE' "$dir/last.out"
check "no input is a usage error (2)" status 2 "$CPROF" flamegraph -o "$dir/x.svg"
check "the usage error says what to try" grep -q "cprof flamegraph --help" "$dir/last.err"
check "an unknown --group is a usage error" status 2 "$CPROF" flamegraph --group cpu "$known" -o "$dir/x.svg"
check "a bad --focus regex is a usage error" status 2 "$CPROF" flamegraph --focus '([' "$known" -o "$dir/x.svg"
check "a bad --minwidth is a usage error" status 2 "$CPROF" flamegraph --minwidth wide "$known" -o "$dir/x.svg"
check "an unknown --sample-type is a usage error" status 2 "$CPROF" flamegraph --sample-type wall "$gopb" -o "$dir/x.svg"
check "  and lists the types there are" grep -q "available sample types: samples cpu" "$dir/last.err"
check "a missing input fails (1)" status 1 "$CPROF" flamegraph "$dir/none.pb.gz" -o "$dir/x.svg"
check "  naming the file" grep -q "none.pb.gz" "$dir/last.err"
printf 'garbage\0\1\2' > "$dir/garbage"
check "garbage input fails (1)" status 1 "$CPROF" flamegraph "$dir/garbage" -o "$dir/x.svg"
check "  saying what was expected" grep -q "neither a pprof profile" "$dir/last.err"
check "an unwritable output fails (1)" status 1 "$CPROF" flamegraph "$known" -o "$dir/no/such/x.svg"
check "  and no output file appears" test ! -e "$dir/x.svg"
check "folded input from stdin renders folded" \
	bash -c "'$CPROF' flamegraph --format folded - < '$known' > '$dir/stdin.folded'"
check "  with the same stacks" diff <(sort "$known") "$dir/stdin.folded"
gzip -c "$known" > "$dir/known.folded.gz"
check "gzipped folded input renders" status 0 "$CPROF" flamegraph "$dir/known.folded.gz" -o "$dir/gz.svg"
check "  to valid XML" xmllint --noout "$dir/gz.svg"
check "a Go runtime CPU profile renders" status 0 "$CPROF" flamegraph "$gopb" -o "$dir/go.svg" --title "Go fixture"
check "  to valid XML" xmllint --noout "$dir/go.svg"
check "  showing main.hotA" grep -q "<title>main.hotA (" "$dir/go.svg"
check "the known profile renders" status 0 "$CPROF" flamegraph "$known" -o "$dir/known.svg"
check "a diff of the Go profile against itself renders" \
	status 0 "$CPROF" flamegraph --diff "$gopb" "$gopb" -o "$dir/diff.svg"

# A gcc-like recursion 352 frames deep (30 %) beside a wide shallow part.
deep="$dir/deep.folded"
{
	printf 'main;cc1_main;parse_expr'
	for _ in $(seq 348); do printf ';parse_binary'; done
	printf ';lex_token 300\n'
	printf '%s\n' 'main;compile;optimize;hot_loop 500' 'main;compile;emit 150' 'main;startup 50'
} > "$deep"
check "--help lists --max-depth" bash -c "'$CPROF' flamegraph --help | grep -q -- '--max-depth N'"
check "a --max-depth over 4096 is a usage error" status 2 "$CPROF" flamegraph --max-depth 4097 "$deep" -o "$dir/x.svg"
check "  naming the range" grep -q -- "--max-depth must be 0..4096" "$dir/last.err"
check "the deep profile renders" status 0 "$CPROF" flamegraph "$deep" -o "$dir/deep.svg"
check "  to valid XML" xmllint --noout "$dir/deep.svg"
check "  with the tower past 100 frames behind one box" \
	test "$(grep -c '<g class="more"><title>\[+252 more frames\]' "$dir/deep.svg")" -eq 1
check "  and all 352 frames of it written" \
	test "$(grep -c '<title>parse_binary (' "$dir/deep.svg")" -eq 348
check "--max-depth 0 draws every frame" status 0 "$CPROF" flamegraph --max-depth 0 "$deep" -o "$dir/deep-all.svg"
check "  with no box, 5750 px tall" bash -c "! grep -q 'class=\"more\"' '$dir/deep-all.svg' &&
	grep -q '<svg [^>]* height=\"5750\"' '$dir/deep-all.svg'"
check "--max-depth 10 --inverted" status 0 "$CPROF" flamegraph --max-depth 10 --inverted "$deep" -o "$dir/x.svg"
check "  collapses the deep towers at 10" grep -q '\[+342 more frames\]' "$dir/x.svg"
check "the deep profile renders inverted" status 0 "$CPROF" flamegraph --inverted "$deep" -o "$dir/deep-inverted.svg"

# --- the browser --------------------------------------------------------------
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
	[ "$fail" -eq 0 ] || exit 1
	echo "SKIP: chromium not installed (apt-get install chromium); the CLI checks passed"
	exit 77
fi
check "headless Chromium: loads, hovers, searches, zooms, resets, opens deep graphs on the root" \
	timeout 180 python3 tests/fixtures/fg_browser.py "$chromium" "$dir/known.svg" "$dir/go.svg" \
	"$dir/deep.svg" "$dir/deep-inverted.svg" "$OUT/test-output"
exit $fail
