#!/bin/bash
# SPDX-License-Identifier: MIT
# The bench's latency histogram (CPROF_BPF_LATENCY=1, bench/kunwind-cost.sh):
#  - on, in every unwind mode, the summary has one "BPF sample time" line
#    whose count is the run's samples (every target sample timed, nothing
#    else; more when samples were lost after they were taken), with
#    P50 <= P90 <= P99 and a mean above zero;
#  - off (unset, or not "1"), there is no such line.
# Times themselves are bench figures, not asserted here.
#
#   OUT=build bash tests/e2e/test-sample-time.sh
set -u
OUT=${OUT:-build}
CPROF=$OUT/cprof
F=$(cd "$OUT/fixtures" && pwd)
T=$OUT/test-output/sample-time
rm -rf "$T" && mkdir -p "$T"
fail=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (BPF and perf events)"
	exit 77
fi
if ! "$CPROF" -d 0.1 -a -o "$T/probe.pb.gz" >"$T/probe.err" 2>&1; then
	if grep -qiE "operation not permitted|permission denied" "$T/probe.err"; then
		echo "SKIP: BPF denied: $(head -1 "$T/probe.err")"
		exit 77
	fi
fi

bad() {
	echo "FAIL: $*"
	fail=1
}

# rec NAME CPROF_ARGS...: 1.5 s of the no-FP fixture at 999 Hz, stderr NAME.err
rec() {
	local name=$1
	shift
	"$CPROF" record -F 999 -o "$T/$name.pb.gz" "$@" -- "$F/uw_work_pie" 1.5 \
		2>"$T/$name.err" >/dev/null || bad "$name: cprof exited $?: $(tail -3 "$T/$name.err")"
}

for mode in auto fp copy; do
	CPROF_BPF_LATENCY=1 rec "on-$mode" --unwind $mode
	e=$T/on-$mode.err
	n=$(sed -n 's/^cprof: \([0-9]*\) samples\{0,1\} from .*/\1/p' "$e")
	# a lost stack keeps its sample; a lost sample was timed all the same
	lost=$(grep -c '^cprof: [0-9]* samples* from .*; lost: .*samples* lost' "$e")
	line=$(grep '^cprof: BPF sample time: ' "$e")
	if [ -z "$n" ]; then
		bad "$mode: no sample count: $(tail -5 "$e")"
		continue
	fi
	if [ "$(grep -c '^cprof: BPF sample time: ' "$e")" != 1 ]; then
		bad "$mode: not one 'BPF sample time' line: $(tail -5 "$e")"
		continue
	fi
	read -r cnt p50 p90 p99 mean < <(sed -n 's/^cprof: BPF sample time: \([0-9]*\) target samples, P50 \([0-9]*\) ns, P90 \([0-9]*\) ns, P99 \([0-9]*\) ns, mean \([0-9]*\) ns.*/\1 \2 \3 \4 \5/p' <<<"$line")
	if [ -z "${mean:-}" ]; then
		bad "$mode: unreadable: $line"
		continue
	fi
	echo "$mode: $n samples; $line"
	[ "$n" -ge 100 ] || bad "$mode: only $n samples of a 1.5 s busy loop at 999 Hz"
	[ "$cnt" = "$n" ] || { [ "$lost" != 0 ] && [ "$cnt" -gt "$n" ]; } ||
		bad "$mode: $cnt samples timed, $n in the run: $(grep 'samples* from' "$e")"
	[ "$p50" -gt 0 ] && [ "$p50" -le "$p90" ] && [ "$p90" -le "$p99" ] ||
		bad "$mode: percentiles out of order: $line"
	[ "$mean" -gt 0 ] || bad "$mode: mean $mean"
done

rec off
CPROF_BPF_LATENCY=0 rec off0
for name in off off0; do
	grep -q 'samples* from' "$T/$name.err" || bad "$name: no summary: $(tail -3 "$T/$name.err")"
	! grep -q 'BPF sample time' "$T/$name.err" ||
		bad "$name: a latency line without the knob: $(grep 'BPF sample time' "$T/$name.err")"
done

[ $fail = 0 ] && echo "PASS"
exit $fail
