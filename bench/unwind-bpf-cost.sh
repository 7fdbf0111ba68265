#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Per-sample cost of cprof's BPF program by unwind mode, from the kernel's own
# accounting (kernel.bpf_stats_enabled: run_time_ns / run_cnt), and the bytes
# each sample puts in the stack ring buffer (stack-copy modes; fp mode puts
# none: stacks are aggregated in kernel maps). Whole machine at 999 Hz, under
# a shallow load (cpuburn's threads) and a deep one (uw_deep on every CPU: 48
# KiB of stack, so every copy is a full window). Figures only; other load on
# the machine shows up in the averages.
set -u
OUT=${OUT:-build}
SECS=${SECS:-6}
old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
tmp=$(mktemp -d)
trap 'sysctl -q -w kernel.bpf_stats_enabled=$old; rm -rf "$tmp"' EXIT

deep_everywhere() { # one uw_deep per CPU
	for _ in $(seq "$(nproc)"); do "$OUT/fixtures/uw_deep" 1000 & done
	wait
}

measure() { # LABEL LOAD-CMD... ; uses $mode $extra
	local label=$1; shift
	"$@" >/dev/null 2>&1 &
	local load=$!
	local before
	before=$(bpftool prog show -j | python3 -c '
import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin) if p.get("name") == "cprof_sample"))')
	"$OUT/cprof" -a -F 999 -d "$SECS" --unwind "$mode" $extra -o "$tmp/p.pb.gz" 2>"$tmp/err" &
	local cprof=$!
	sleep $((SECS - 1))
	local ns
	# ours is the cprof_sample program loaded since
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
	pkill -P $load 2>/dev/null; kill $load 2>/dev/null; wait $load 2>/dev/null
	local kib
	kib=$(sed -n 's/.*KiB window, \([0-9.]*\) KiB copied on average.*/\1/p' "$tmp/err")
	if [ -n "$kib" ]; then
		# record header (72 B) and the ring buffer's own 8 B header
		bytes=$(echo "$kib * 1024 + 80" | bc -l | xargs printf '%.0f')
	else
		bytes=0
	fi
	printf '  %-10s %-16s %10s runs %7s ns/sample %8s ring bytes/sample\n' "$label" \
		"$mode $extra" "${ns% *}" "${ns#* }" "$bytes"
}

echo "unwind-bpf-cost: cprof_sample per sample, whole machine at 999 Hz, $(nproc) CPUs"
for mode in fp dwarf; do
	extra=""
	measure cpuburn "$OUT/bench/cpuburn" 100000000000
	measure uw_deep deep_everywhere
done
mode=dwarf extra="--stack-size 65536"
measure uw_deep deep_everywhere
