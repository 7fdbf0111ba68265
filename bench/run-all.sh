#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark; each prints its figures. Never fails on a time.
set -u
OUT=${OUT:-build}; export OUT
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "bench: needs root (BPF)"; exit 0; fi
for b in bench/sym-throughput.sh bench/bpf-cost.sh bench/self-cost.sh bench/cpu-overhead.sh bench/flamegraph.sh \
	bench/unwind-throughput.sh bench/unwind-table-rows.sh bench/unwind-bpf-cost.sh bench/unwind-overhead.sh \
	bench/net-cost.sh bench/agent-cost.sh bench/mmap-events-cost.sh; do
	[ -x "$b" ] || continue
	echo "== $b"
	"$b" || echo "($b exited $?)"
done
