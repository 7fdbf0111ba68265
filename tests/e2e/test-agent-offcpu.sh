#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cprof agent --off-cpu`: off-CPU time as its own delta beside the CPU one,
# to every backend. tests/fixtures/offcpu_sleep (10 ms of work in burn_cpu,
# then a 10 ms nanosleep in sleep_a_while, for 4 s) runs under the agent
# (-i 1, --comm offcpu_sleep); the receiver decodes every delta: the off-CPU
# ones must be named as each backend's own agent names off-CPU (Pyroscope:
# __name__=offcpu, offcpu/nanoseconds, as Grafana Alloy; Parca: parca_agent,
# wallclock/nanoseconds over samples/count, as the Parca Agent; OTLP:
# off_cpu/nanoseconds and no period type, as the OTel eBPF profiler) with
# only thread_state as a string label, at least three of them, and the time under
# sleep_a_while summed over them at least 1.4 s of the fixture's ~2 s of
# sleep (the C suite tests/bpf/check_offcpu.c holds the sum to the time the
# fixture measured); the CPU deltas still pass the sample accounting. The
# metrics count events seen, recorded and left out, and off-CPU time
# --comm leaves out is counted (cprof_off_cpu_filtered_seconds_total). Needs root; exits 77 with
# SKIP otherwise.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
SLEEPER=$OUT/fixtures/offcpu_sleep
[ -x "$SLEEPER" ] || fail "$SLEEPER is not built"

# offcpu_run NAME BACKEND [agent options...]
offcpu_run() {
	local name=$1 backend=$2 port log=$T/$1.log s; shift 2
	port=$(free_port)
	start_receiver "$name" "$backend" "$port"
	start_agent "$log" --url "$backend://127.0.0.1:$port" -i 1 --comm '^offcpu_sleep$' \
		--off-cpu "$@"
	"$SLEEPER" 4 >"$T/$name.fx" || fail "$name: the fixture failed"
	s=$(windows_logged "$log")
	wait_for 5 "[ \$(windows_logged '$log') -gt $s ]" || fail "$name: no window after the fixture"
	[ -n "${BEFORE_STOP:-}" ] && eval "$BEFORE_STOP"
	stop_agent "$AGENT_PID" "$log"
	stop_pid "$RECEIVER_PID"
	[ ! -s "$T/$name/errors.log" ] || { cat "$T/$name/errors.log"; fail "$name: the receiver found errors"; }
	check --out "$T/$name" --agent-log "$log" --min-deltas 1 --min-offcpu-deltas 3 \
		--offcpu-under sleep_a_while=1.4
	echo "ok   $name: $(cat "$T/$name.fx")"
}

mport=$(free_port)
M=http://127.0.0.1:$mport/metrics
metrics_check() {
	local seen rec short prof
	seen=$(metric_value "$M" cprof_off_cpu_switches_total)
	rec=$(metric_value "$M" cprof_off_cpu_recorded_total)
	short=$(metric_value "$M" cprof_off_cpu_short_total)
	prof=$(metric_value "$M" cprof_off_cpu_profiles_total)
	echo "metrics: switches $seen, recorded $rec, short $short, profiles $prof"
	# ~200 sleeps of 10 ms recorded; every block counted at most once
	[ "${rec:-0}" -ge 150 ] && [ "$seen" -ge $((rec + short)) ] && [ "${prof:-0}" -ge 3 ] ||
		fail "off-CPU metrics do not add up"
	[ "$(metric_value "$M" 'cprof_drops_total{reason="off_cpu_threads_full"}')" = 0 ] ||
		fail "off_cpu_threads_full is not 0 (or not there)"
}

note "pyroscope: __name__=offcpu (offcpu:offcpu:nanoseconds::) beside process_cpu, metrics"
BEFORE_STOP=metrics_check offcpu_run pyro pyroscope --metrics-addr "127.0.0.1:$mport"
unset BEFORE_STOP
# --comm that the fixture does not match: its off-CPU time is left out, and
# said so (it once went nowhere: filtered counted its 0 samples)
note "filtered: off-CPU time left out by --comm is counted"
fport=$(free_port)
FM=http://127.0.0.1:$fport/metrics
start_agent "$T/filtered.log" --url "file://$T/filtered" -i 1 --comm '^cprof_no_such_comm$' \
	--off-cpu --metrics-addr "127.0.0.1:$fport"
"$SLEEPER" 3 >"$T/filtered.fx" || fail "filtered: the fixture failed"
s=$(windows_logged "$T/filtered.log")
wait_for 5 "[ \$(windows_logged '$T/filtered.log') -gt $s ]" || fail "filtered: no window"
slept=$(awk '{ print $4 / 1e9 }' "$T/filtered.fx")
fsec=$(metric_value "$FM" cprof_off_cpu_filtered_seconds_total)
prob=$(metric_value "$FM" cprof_off_cpu_probability)
echo "filtered: ${fsec:-none} s of off-CPU time filtered out; the fixture slept $slept s"
# the fixture's sleep at least, with everything else the machine waited for
awk -v f="${fsec:-0}" -v s="$slept" 'BEGIN { exit !(f >= s * 0.9) }' ||
	fail "filtered: cprof_off_cpu_filtered_seconds_total ${fsec:-none} < 0.9 x $slept s"
[ "$prob" = 1 ] || fail "filtered: cprof_off_cpu_probability is '${prob:-none}', not 1"
[ -n "$(metric_value "$FM" 'cprof_off_cpu_lost_seconds_total{reason="off_cpu_unshipped"}')" ] ||
	fail "filtered: no cprof_off_cpu_lost_seconds_total{reason=\"off_cpu_unshipped\"}"
stop_agent "$AGENT_PID" "$T/filtered.log"
grep -q 'off-CPU: .* s filtered out' "$T/filtered.log" ||
	{ cat "$T/filtered.log"; fail "filtered: the stop summary does not say the off-CPU time filtered out"; }
echo "ok   filtered"

note "parca: parca_agent:wallclock:nanoseconds:samples:count beside parca_agent CPU"
offcpu_run parca parca
note "otlp: a profile of sample type off_cpu/nanoseconds, no period type"
offcpu_run otlp otlp --off-cpu-probability 0.5
echo PASS
