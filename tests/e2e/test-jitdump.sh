#!/bin/bash
# SPDX-License-Identifier: MIT
# JIT code named from a jitdump (issue 14): node --perf-prof writes
# jit-PID.dump in its working directory (and maps it executable, which is
# how cprof finds it), and no /tmp/perf-PID.map. A hot JavaScript function
# must be named from the dump ("JS:*hot ..." with its file) in at least
# 80 % of the samples; before, all of them were "[anon]".
#
#   OUT=build bash tests/e2e/test-jitdump.sh
set -u
OUT=${OUT:-build}
CPROF=$(realpath "$OUT/cprof")
T=$OUT/test-output/jitdump
rm -rf "$T" && mkdir -p "$T"
T=$(realpath "$T")
fail=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (BPF and perf events)"
	exit 77
fi
for tool in go node; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done

cat >"$T/hot.js" <<'JS'
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += (i * i) % 7; return s; }
const end = Date.now() + 1000 * Number(process.argv[2]);
let t = 0;
while (Date.now() < end) t += hot(100000);
console.log(t > 0 ? "done" : "?");
JS

(cd "$T" && "$CPROF" -F 499 -o "$T/node.pb.gz" -- node --perf-prof hot.js 3 >"$T/node.out" 2>"$T/node.err") ||
	{ echo "FAIL: cprof failed: $(tail -1 "$T/node.err")"; exit 1; }
dump=$(ls "$T"/jit-*.dump 2>/dev/null | head -1)
if [ -z "$dump" ]; then
	echo "SKIP: node $(node --version) --perf-prof wrote no jitdump"
	exit 77
fi
pid=${dump##*/jit-}
pid=${pid%.dump}
if [ -e "/tmp/perf-$pid.map" ]; then
	echo "FAIL: node wrote /tmp/perf-$pid.map too: the test would not show the jitdump is read"
	rm -f "/tmp/perf-$pid.map"
	fail=1
fi
go tool pprof -symbolize=none -top -nodecount=20 "$T/node.pb.gz" 2>/dev/null >"$T/node.top"
# flat percent of the frames named JS:...hot... from hot.js
pct=$(awk '$6 ~ /^JS:/ && $0 ~ /hot/ && $0 ~ /hot\.js/ { sub("%", "", $2); s += $2 } END { printf "%d", s }' "$T/node.top")
echo "node $(node --version): ${pct} % of samples in JS:*hot named from $dump"
if [ "$pct" -lt 80 ]; then
	echo "FAIL: the hot JS function is named in ${pct} % of samples, want >= 80 %"
	head -20 "$T/node.top"
	fail=1
fi
rm -f "$dump"
[ $fail = 0 ] && echo "PASS" || echo "FAIL"
exit $fail
