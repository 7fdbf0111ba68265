#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Per-sample cost of cprof's BPF program, from the kernel's own accounting
# (kernel.bpf_stats_enabled, run_time_ns / run_cnt in bpftool prog show),
# while a CPU-bound load runs at 999 Hz.
set -u
OUT=${OUT:-build}
old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
trap 'sysctl -q -w kernel.bpf_stats_enabled=$old' EXIT
"$OUT/bench/cpuburn" 3000000000 >/dev/null &
burn=$!
"$OUT/cprof" -q -a -F 999 -d 10 -o /tmp/cprof-bpf-cost.pb.gz &
cprof=$!
sleep 9
bpftool prog show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name", "").startswith("cprof_") and p.get("run_cnt"):
        print("bpf-cost: %-14s %9d runs %8.0f ns/run" % (p["name"], p["run_cnt"], p["run_time_ns"] / p["run_cnt"]))
'
wait $cprof
kill $burn 2>/dev/null; wait $burn 2>/dev/null
rm -f /tmp/cprof-bpf-cost.pb.gz
