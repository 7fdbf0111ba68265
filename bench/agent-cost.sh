#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What `cprof agent` costs on a busy machine: its CPU (% of one core), peak
# RSS and bytes uploaded per minute, profiling the whole machine for SECS
# (default 300) at 19 and 99 Hz into a local Pyroscope-protocol receiver
# (tests/agent/receiver.py), while every CPU runs a fixed-size CPU-bound job
# over and over and ~20 short-lived processes a second come and go. The same
# workload also runs alone, half before and half after the agents: the median
# job time with each agent over the median alone is the slowdown. The agent
# runs with its defaults (--unwind auto). Figures only, never pass/fail.
set -u
OUT=${OUT:-build}
SECS=${SECS:-300}
ITERS=${ITERS:-400000000}
cd "$(dirname "$0")/.."
. tests/agent/lib.sh
[ "$(id -u)" = 0 ] || { echo "agent-cost: needs root (BPF)"; exit 0; }
require_receiver >/dev/null || { echo "agent-cost: no test receiver (make deps)"; exit 0; }
BURN=$OUT/bench/cpuburn
CHURN=$OUT/fixtures/churn
[ -x "$BURN" ] && [ -x "$CHURN" ] || { echo "agent-cost: build first (make tests)"; exit 0; }

# workload SECONDS FILE: the job on every CPU over and over, plus churn; job times to FILE
workload() {
	local end=$(( $(date +%s) + $1 )) churn_pid
	( while [ "$(date +%s)" -lt "$end" ]; do "$CHURN" 20 2 5 /dev/null; sleep 1; done ) &
	churn_pid=$!
	: >"$2"
	while [ "$(date +%s)" -lt "$end" ]; do "$BURN" "$ITERS" >>"$2"; done
	wait "$churn_pid"
}
# the median job time: a burst of noise from elsewhere on the machine moves it less than the mean
median() { sort -n "$@" | awk '{a[NR] = $1} END {if (!NR) print "nan"; else printf "%.4f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "agent-cost: $(nproc) CPUs busy with $BURN $ITERS in a loop and 20 processes/s of churn; ${SECS} s per config"
workload "$((SECS / 2))" "$T/alone.times"
printf '  %-12s %9s %9s %9s %9s %9s %9s %10s %12s %13s %9s\n' config "cpu%core" "steady%" "startup" \
	"peakRSS" "endRSS" "anonRSS" "MB/min" "profiles/min" "job s (n)" slowdown

for hz in 19 99; do
	port=$(free_port)
	mport=$(free_port)
	start_receiver "rx$hz" pyroscope "$port" --max-seconds $((SECS + 300)) >/dev/null
	"$CPROF" agent --url "pyroscope://127.0.0.1:$port" -F "$hz" -q --metrics-addr "127.0.0.1:$mport" \
		--spool-dir "$T/spool$hz" >"$T/agent$hz.log" 2>&1 &
	agent=$!
	PIDS+=($agent)
	w0=$(date +%s.%N)
	workload "$SECS" "$T/agent$hz.times" &
	work=$!
	sleep 2
	t0=$(cpu_ticks "$agent")
	# start-up: BPF load and verification, the first look at every process,
	# its tables, the first window; steady state is what follows
	for _ in $(seq 600); do
		[ "$(curl -s --max-time 2 "http://127.0.0.1:$mport/metrics" |
			awk '$1 == "cprof_upload_requests_total" {print $2}')" -ge 1 ] 2>/dev/null && break
		sleep 0.1
	done
	tu=$(cpu_ticks "$agent")
	wu=$(date +%s.%N)
	wait "$work"
	t1=$(cpu_ticks "$agent")
	w1=$(date +%s.%N)
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$agent/status")
	anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$agent/status")
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$agent/status")
	curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" >"$T/metrics$hz"
	kill -TERM "$agent"; wait "$agent"
	stop_pid "$RECEIVER_PID"
	bytes=$(awk '$1 == "cprof_uploaded_bytes_total" {print $2}' "$T/metrics$hz")
	profiles=$(awk '$1 == "cprof_uploaded_profiles_total" {print $2}' "$T/metrics$hz")
	m=$(median "$T/agent$hz.times")
	printf -v "row$hz" '  %-12s %9.2f %9.3f %7.2f s %6d MB %6d MB %6d MB %10.3f %12.1f %13s' "agent ${hz} Hz" \
		"$(echo "($t1 - $t0) * 100 / $ticks / ($w1 - $w0 - 2)" | bc -l)" \
		"$(echo "($t1 - $tu) * 100 / $ticks / ($w1 - $wu)" | bc -l)" \
		"$(echo "$tu / $ticks" | bc -l)" $((hwm / 1024)) $((rss / 1024)) $((anon / 1024)) \
		"$(echo "$bytes / 1000000 / ($SECS / 60)" | bc -l)" "$(echo "$profiles / ($SECS / 60)" | bc -l)" \
		"$m ($(wc -l <"$T/agent$hz.times"))"
done
# the workload alone, half before and half after the agents: drift of the
# machine's speed over the run weighs on both sides
workload "$((SECS - SECS / 2))" "$T/alone2.times"
alone=$(median "$T/alone.times" "$T/alone2.times")
printf '  %-12s %9s %9s %9s %9s %9s %9s %10s %12s %13s %9s\n' alone - - - - - - - - \
	"$alone ($(cat "$T/alone.times" "$T/alone2.times" | wc -l))" 1.0000
for hz in 19 99; do
	eval "row=\$row$hz"
	m=$(median "$T/agent$hz.times")
	echo "$row $(echo "$m / $alone" | bc -l | xargs printf '%9.4f')"
done
echo "  (cpu%core: the agent's user+system time from 2 s after its start to the end, start-up"
echo "   included; steady%: the same from its first upload to the end; startup: CPU seconds from"
echo "   its start to its first upload (BPF load, first look at every process, first window);"
echo "   peakRSS includes the binaries it maps"
echo "   to symbolize (page cache, shared); endRSS is its RSS at the end, anonRSS the part of it"
echo "   that is its own memory (the rest: file pages, most of them its shared libraries); MB/min: request"
echo "   bodies the backend accepted; slowdown: median job time over the median alone)"
