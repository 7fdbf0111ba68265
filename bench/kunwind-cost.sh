#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the in-kernel unwinder (--unwind auto) costs beside frame pointers
# (fp) and the stack copy (copy), side by side:
#  1. cprof_sample's mean ns per run from the kernel's own accounting
#     (kernel.bpf_stats_enabled: run_time_ns / run_cnt), whole machine at
#     999 Hz, with each CPU running the load: uw_work_pie (the no-FP
#     fixture, 6-9 frames), uw_deep 500 (a 500-deep recursion without frame
#     pointers, 80 KiB of stack), and clang-14 -O2 compiling cprof's own C
#     files (libclang-cpp/libLLVM: deep C++ stacks). Runs include the
#     samples of other processes (all are profiled: -a).
#  2. userspace CPU seconds and peak RSS of `cprof -a` at 99 and 999 Hz on a
#     machine kept busy by the same three loads at once;
#  3. the BPF map memory cprof holds (from its summary: tables, stacks,
#     counts).
# Figures only; other load on the machine shows up in the averages.
#
#   OUT=build bash bench/kunwind-cost.sh      (as root; SECS=6 per figure)
set -u
OUT=${OUT:-build}
SECS=${SECS:-6}
old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
tmp=$(mktemp -d)
trap 'sysctl -q -w kernel.bpf_stats_enabled=$old; pkill -P $$ 2>/dev/null; rm -rf "$tmp"' EXIT

every_cpu() { # CMD...: one per CPU, until killed
	for _ in $(seq "$(nproc)"); do "$@" & done
	wait
}
clang_loop() { # clang-14 -O2 over cprof's C files, again and again
	while :; do
		for f in symbolize/*.c profiler/core/*.c; do
			clang-14 -O2 -I. -I"$OUT" -c "$f" -o /dev/null 2>/dev/null
		done
	done
}
work() { every_cpu "$OUT/fixtures/uw_work_pie" 100000; }
deep() { every_cpu "$OUT/fixtures/uw_deep" 100000 500; }
clang() { every_cpu clang_loop; }
busy() { "$OUT/fixtures/uw_work_pie" 100000 & "$OUT/fixtures/uw_deep" 100000 500 & clang_loop & wait; }

prog_ids() {
	bpftool prog show -j | python3 -c '
import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin) if p.get("name") == "cprof_sample"))'
}

# bpf_cost LOAD MODE: "runs ns/run" of the cprof_sample loaded by this run
bpf_cost() {
	local load=$1 mode=$2 before pid ns
	$load >/dev/null 2>&1 &
	pid=$!
	sleep 1
	before=$(prog_ids)
	"$OUT/cprof" -a -F 999 -d "$SECS" --unwind "$mode" -o "$tmp/p.pb.gz" 2>"$tmp/$load.$mode.err" &
	local cprof=$!
	sleep $((SECS - 1))
	ns=$(bpftool prog show -j | python3 -c '
import json, sys
before = set(int(x) for x in sys.argv[1].split())
progs = [p for p in json.load(sys.stdin) if p.get("name") == "cprof_sample"
         and p.get("run_cnt") and p["id"] not in before]
if progs:
    p = max(progs, key=lambda p: p["run_cnt"])
    print("%d %.0f" % (p["run_cnt"], p["run_time_ns"] / p["run_cnt"]))
' "$before")
	wait $cprof
	pkill -P $pid 2>/dev/null
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	pkill -x clang-14 2>/dev/null
	echo "${ns:-0 0}"
}

echo "kunwind-cost: $(nproc) CPUs, $(uname -r)"
echo "1. cprof_sample, mean ns per run (bpf_stats), -a at 999 Hz, ${SECS} s"
printf '  %-8s %-6s %10s %10s  %s\n' load mode runs ns/run "user stacks (summary)"
for load in work deep clang; do
	for mode in auto fp copy; do
		r=$(bpf_cost $load $mode)
		printf '  %-8s %-6s %10s %10s  %s\n' $load $mode ${r% *} ${r#* } \
			"$(grep -o 'user stacks.*complete' "$tmp/$load.$mode.err" | head -1 | cut -c1-110)"
	done
done

echo "2. cprof -a userspace CPU and peak RSS, machine busy (uw_work_pie, uw_deep 500, clang-14), $((2 * SECS)) s"
printf '  %-6s %6s %10s %10s %12s\n' mode Hz "user s" "sys s" "peak RSS MiB"
busy >/dev/null 2>&1 &
bpid=$!
sleep 1
for hz in 99 999; do
	for mode in auto fp copy; do
		/usr/bin/time -f '%U %S %M' -o "$tmp/time" "$OUT/cprof" -a -F $hz -d $((2 * SECS)) \
			--unwind $mode -o "$tmp/p.pb.gz" 2>"$tmp/busy.$mode.$hz.err"
		read -r u s m <"$tmp/time"
		printf '  %-6s %6s %10s %10s %12.1f\n' $mode $hz "$u" "$s" "$(echo "$m / 1024" | bc -l)"
	done
done
pkill -P $bpid 2>/dev/null
kill $bpid 2>/dev/null
pkill -x clang-14 2>/dev/null

echo "3. BPF map memory held (cprof -a at 999 Hz, busy), from the summary:"
for mode in auto fp copy; do
	printf '  %-6s %s\n' $mode "$(grep -o 'BPF maps: [^;]*' "$tmp/busy.$mode.999.err")"
done
echo "  auto: $(grep -o 'walked in the kernel[^;]*' "$tmp/busy.auto.999.err" | head -1)"
