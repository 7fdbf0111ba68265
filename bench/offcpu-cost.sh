#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What --off-cpu costs on a context-switch-heavy load: bench/pingpong (two
# threads passing a byte over pipes, each blocking in read(2) every round
# trip) run alone, under `cprof` (CPU samples only), under `cprof --off-cpu`
# (default 1 ms minimum: nearly every block is too short to record, the
# common case) and under `cprof --off-cpu --off-cpu-min 0` (every block
# recorded with its stacks: the worst case). Prints, per mode, the median
# round trips/s of RUNS runs and the slowdown against running alone, and for
# the off-CPU modes the kernel's own accounting of the BPF programs
# (kernel.bpf_stats_enabled: runs, ns per run, runs per second of the run).
# Then, on a preemption-heavy load (two busy loops on one CPU), the ns per
# sched_switch run by unwind mode: a preempted thread's user stack is taken
# at its switch-out (copy: not taken; fp; auto: walked in the kernel);
# PREEMPT_ONLY=1 runs that part alone.
# Figures, not assertions; a busy machine makes them noisy (see RUNS).
set -u
OUT=${OUT:-build}
N=${N:-300000}		# round trips per run
RUNS=${RUNS:-5}
PP=$OUT/bench/pingpong
# Both threads on one CPU: every round trip is two context switches there.
# Spread over two CPUs, each wakeup crosses CPUs and the rate swings tenfold
# with where the scheduler puts them, drowning what is measured.
CPU=${CPU:-0}
PIN=(taskset -c "$CPU")
for f in "$PP" "$OUT/cprof"; do [ -x "$f" ] || { echo "$f is not built (make -j2 tests)"; exit 1; }; done
old=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -q -w kernel.bpf_stats_enabled=$old; rm -f /tmp/cprof-offcpu-cost.*' EXIT

per_s() { sed -n 's/.* per_s \([0-9]*\).*/\1/p' "$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run MODE [cprof options...]: RUNS runs; prints the median rate
run() {
	local mode=$1 i; shift
	for i in $(seq "$RUNS"); do
		if [ "$mode" = alone ]; then
			"${PIN[@]}" "$PP" "$N" >/tmp/cprof-offcpu-cost.out
		else
			"$OUT/cprof" -q "$@" -o /tmp/cprof-offcpu-cost.pb.gz -- "${PIN[@]}" "$PP" "$N" \
				>/tmp/cprof-offcpu-cost.out 2>/tmp/cprof-offcpu-cost.err ||
				{ cat /tmp/cprof-offcpu-cost.err; exit 1; }
		fi
		per_s /tmp/cprof-offcpu-cost.out
	done | median
}

# measure MODE PID SINCE: the BPF programs of cprof process PID (started at
# unix second SINCE) over a second, read while the load still runs (the
# programs go when cprof exits)
measure() {
	local mode=$1 c=$2 since=$3 t0 t1 i
	# loading takes a while on a busy machine: from its programs on (this
	# run's: its pid where bpftool knows pids, else loaded since it started)
	for i in $(seq 100); do
		bpftool prog show -j 2>/dev/null | python3 -c 'import json, sys
pid, since = int(sys.argv[1]), int(sys.argv[2])
sys.exit(not any(p.get("name", "").startswith("cprof_offcpu") and
                 (any(q["pid"] == pid for q in p["pids"]) if p.get("pids") else
                  p.get("loaded_at", 0) >= since) for p in json.load(sys.stdin)))' "$c" "$since" &&
			break
		sleep 0.1
	done
	sleep 0.5
	t0=$(date +%s.%N)
	bpftool prog show -j >/tmp/cprof-offcpu-cost.a
	sleep 1
	t1=$(date +%s.%N)
	bpftool prog show -j >/tmp/cprof-offcpu-cost.b
	python3 - "$mode" "$t0" "$t1" "$c" <<'PY'
import json, sys
mode, t0, t1, pid = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
a = {p["id"]: p for p in json.load(open("/tmp/cprof-offcpu-cost.a"))}
for p in json.load(open("/tmp/cprof-offcpu-cost.b")):
    # this run's programs: other cprof processes may be loaded too, and
    # bpftool may not know the pids: then every cprof_offcpu_ program
    pids = [q["pid"] for q in p.get("pids", [])]
    if p["id"] not in a or not p.get("name", "").startswith("cprof_"):
        continue
    if (pids and pid not in pids) or (not pids and not p["name"].startswith("cprof_offcpu")):
        continue
    runs = p.get("run_cnt", 0) - a[p["id"]].get("run_cnt", 0)
    ns = p.get("run_time_ns", 0) - a[p["id"]].get("run_time_ns", 0)
    if runs:
        print("offcpu-cost: %-16s %-22s %9.0f runs/s %6.0f ns/run" %
              (mode, p["name"], runs / (t1 - t0), ns / runs))
PY
}

# bpf_stats MODE [cprof options...]: one run of the ping-pong with the BPF
# programs' figures
bpf_stats() {
	local mode=$1; shift
	local since c
	since=$(date +%s)
	"$OUT/cprof" -q "$@" -o /tmp/cprof-offcpu-cost.pb.gz -- "${PIN[@]}" "$PP" $((N * 4)) \
		>/tmp/cprof-offcpu-cost.out 2>/tmp/cprof-offcpu-cost.err &
	c=$!
	measure "$mode" "$c" "$since"
	wait $c
}

# preempt_stats MODE [cprof options...]: two busy loops on one CPU preempt
# each other; a preempted switch-out takes the thread's user stack there
# (--unwind fp: bpf_get_stack; auto: walked with the unwind tables; copy: not
# taken), so cprof_offcpu_switch's ns/run is that cost on top of the rest
preempt_stats() {
	local mode=$1 s1 s2 c since; shift
	"${PIN[@]}" bash -c 'e=$((SECONDS + 9)); while [ $SECONDS -lt $e ]; do :; done' &
	s1=$!
	"${PIN[@]}" bash -c 'e=$((SECONDS + 9)); while [ $SECONDS -lt $e ]; do :; done' &
	s2=$!
	since=$(date +%s)
	"$OUT/cprof" -q "$@" --pid "$s1" --pid "$s2" -d 3 -o /tmp/cprof-offcpu-cost.pb.gz \
		2>/tmp/cprof-offcpu-cost.err &
	c=$!
	measure "$mode" "$c" "$since"
	wait $c $s1 $s2
}

preempted() {
	sysctl -q -w kernel.bpf_stats_enabled=1
	for u in copy fp auto; do
		preempt_stats "preempt-$u" --off-cpu --unwind "$u"
	done
}
if [ -n "${PREEMPT_ONLY:-}" ]; then
	preempted
	exit 0
fi
alone=$(run alone)
cpu=$(run cpu)
off=$(run off-cpu --off-cpu)
off0=$(run off-cpu-min-0 --off-cpu --off-cpu-min 0)
for m in "alone $alone" "cpu $cpu" "off-cpu $off" "off-cpu-min-0 $off0"; do
	set -- $m
	awk -v m="$1" -v r="$2" -v a="$alone" -v c="$cpu" 'BEGIN {
		printf "offcpu-cost: %-16s %8d round trips/s  %5.1f %% slower than alone, %5.1f %% than cpu only\n",
		       m, r, 100 * (a - r) / a, 100 * (c - r) / c }'
done
# the statistics cost time themselves: on for these runs only
sysctl -q -w kernel.bpf_stats_enabled=1
bpf_stats off-cpu --off-cpu
bpf_stats off-cpu-min-0 --off-cpu --off-cpu-min 0
preempted
