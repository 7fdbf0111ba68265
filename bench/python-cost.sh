#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What naming Python frames costs (issue 11), per CPython on the machine:
# - BPF: ns per sample of cprof_sample on tests/fixtures/py_work.py at 999 Hz,
#   with the Python walk and with --no-python, from the kernel's accounting
#   (kernel.bpf_stats_enabled: run_time_ns / run_cnt);
# - userspace: reading 2000 code objects cold (first sight), checking them
#   warm (each drain), and resolving them (bench/py_read_cost); then the
#   same for 2000 methods of an imported module (3.7-3.10 look for their
#   classes).
#   OUT=build bash bench/python-cost.sh
set -u
OUT=${OUT:-build}
FIX=tests/fixtures
old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
trap 'sysctl -q -w kernel.bpf_stats_enabled=$old' EXIT

# PYTHONS="a b": only these interpreters
if [ -n "${PYTHONS:-}" ]; then
	read -r -a pythons <<<"$PYTHONS"
else
	pythons=(/usr/bin/python3)
	for m in 7 8 9 10 11 12 13; do
		p=$(ls -d "$HOME"/.pyenv/versions/3."$m".*/bin/python3 2>/dev/null | tail -1)
		[ -n "$p" ] && pythons+=("$p")
	done
fi

# --unwind fp: the stack copy of the default mode costs more than the walk
# and its noise on a busy machine hides it
sample_ids() {
	bpftool prog show -j | python3 -c '
import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin) if p.get("name") == "cprof_sample"))'
}

ns_per_run() {	# prints cprof_sample's ns/run after 6 s of sampling pid $1
	local opt=$2 before
	before=$(sample_ids)
	"$OUT/cprof" -q --pid "$1" -F 999 -d 7 --unwind fp $opt -o /tmp/cprof-py-cost.pb.gz &
	local c=$!
	sleep 6
	# this cprof's program only (the one that was not there before): other
	# cprofs may run on the machine
	bpftool prog show -j | python3 -c '
import json, sys
before = set(sys.argv[1].split())
for p in json.load(sys.stdin):
    if p.get("name") == "cprof_sample" and p.get("run_cnt") and str(p["id"]) not in before:
        print("%.0f" % (p["run_time_ns"] / p["run_cnt"]))
        break' "$before"
	wait $c
}

for py in "${pythons[@]}"; do
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	"$py" "$FIX/py_work.py" 40 &
	w=$!
	sleep 0.5
	# twice each, alternating: the machine's load changes under us
	with=$(ns_per_run $w "")
	without=$(ns_per_run $w --no-python)
	with="$with/$(ns_per_run $w "")"
	without="$without/$(ns_per_run $w --no-python)"
	kill $w 2>/dev/null; wait $w 2>/dev/null
	echo "python-cost: Python $v ($py): BPF $with ns/sample with the Python walk, $without ns without (--unwind fp, two runs each)"
	# 2000 functions, each its own code object, then wait to be read
	"$py" -c '
import sys, time
ns = {}
for i in range(2000):
    exec("def f%d(x):\n    y = x + %d\n    return y * 2\n" % (i, i), ns)
for i in range(2000):
    print("%x" % id(ns["f%d" % i].__code__))
sys.stdout.flush()
time.sleep(30)' >/tmp/cprof-py-codes &
	w=$!
	for _ in $(seq 50); do [ "$(wc -l </tmp/cprof-py-codes)" -ge 2000 ] && break; sleep 0.1; done
	"$OUT/bench/py_read_cost" "$w" </tmp/cprof-py-codes
	kill $w 2>/dev/null; wait $w 2>/dev/null
	# 2000 methods (200 classes of 10) of an imported module: before 3.11
	# cold reads include finding each one's class (sym_python_class)
	"$py" -c '
import importlib, sys, time
with open("/tmp/cprof_bench_methods.py", "w") as f:
    for c in range(200):
        f.write("class C%d:\n" % c)
        for m in range(10):
            f.write("    def m%d(self, x):\n        return x + %d\n" % (m, m))
sys.path.insert(0, "/tmp")
mod = importlib.import_module("cprof_bench_methods")
for c in range(200):
    for m in range(10):
        print("%x" % id(getattr(getattr(mod, "C%d" % c), "m%d" % m).__code__))
sys.stdout.flush()
time.sleep(30)' >/tmp/cprof-py-codes &
	w=$!
	for _ in $(seq 50); do [ "$(wc -l </tmp/cprof-py-codes)" -ge 2000 ] && break; sleep 0.1; done
	echo -n "methods: "
	"$OUT/bench/py_read_cost" "$w" </tmp/cprof-py-codes
	kill $w 2>/dev/null; wait $w 2>/dev/null
done
rm -rf /tmp/cprof-py-cost.pb.gz /tmp/cprof-py-codes /tmp/cprof_bench_methods.py /tmp/__pycache__/cprof_bench_methods*
