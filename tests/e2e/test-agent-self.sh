#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cprof leaves itself out: an agent sampling the whole machine at 997 Hz
# while it captures the maps of 2,000 short-lived processes (work enough to
# be sampled) delivers no sample of its own pid, and `cprof record -a` none
# of its own; with --profile-self (agent and record alike) they are there.
# The agent's metrics: cprof_last_upload_success_timestamp_seconds{backend}
# is 0 before the first delivery and the delivery's time after it, and every
# label value is snake_case ("stack_unreadable", never "stack unreadable").
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
command -v curl >/dev/null || skip "curl is not installed"
CHURN=$OUT/fixtures/churn
[ -x "$CHURN" ] || fail "$CHURN is not built"

# samples_of PID FILE...: the samples of pid PID in the receiver's deliveries
samples_of() {
	"$PY" - "$@" <<'EOF'
import json, sys
pid, n = sys.argv[1], 0
for path in sys.argv[2:]:
    for l in open(path):
        n += json.loads(l)['pids'].get(pid, 0)
print(n)
EOF
}

last_success() {
	metric_value "$1" 'cprof_last_upload_success_timestamp_seconds{backend="pyroscope"}'
}

# run_agent NAME [agent options...]: an agent beside a churn of 2,000
# processes; leaves the metrics it served at the end in $T/NAME.metrics
run_agent() {
	local name=$1 port mport M t0 t1 v; shift
	port=$(free_port)
	mport=$(free_port)
	M=http://127.0.0.1:$mport/metrics
	# the receiver is not up yet: no delivery so far
	start_agent "$T/$name.log" --url "pyroscope://127.0.0.1:$port" -i 1 -F 997 \
		--metrics-addr "127.0.0.1:$mport" --retry-backoff-max 0.5 "$@"
	v=$(last_success "$M")
	[ "$v" = 0.000 ] || { curl -s "$M" | grep last_upload; fail "$name: last upload success before any: '$v'"; }
	t0=$(date +%s)
	start_receiver "$name" pyroscope "$port"
	# the receiver logs a request before the agent has read the reply
	wait_for 20 "[ \$(answered $T/$name) -ge 1 ] && last_success '$M' | grep -qv '^0.000\$'" ||
		fail "$name: nothing delivered"
	t1=$(date +%s)
	v=$(last_success "$M")
	awk -v v="$v" -v a="$t0" -v b="$t1" 'BEGIN { exit !(v >= a && v <= b + 1) }' ||
		fail "$name: last upload success $v, not within the delivery's time $t0..$t1"
	"$CHURN" 2000 4 1 "$T/$name.pids" || fail "the churn fixture failed"
	local n=$(windows_logged "$T/$name.log")
	wait_for 10 "[ \$(windows_logged $T/$name.log) -ge $((n + 2)) ]" || fail "$name: windows stopped"
	curl -s --max-time 5 "$M" >"$T/$name.metrics"
	stop_agent "$AGENT_PID" "$T/$name.log"
	stop_pid "$RECEIVER_PID"
}

note "the agent leaves itself out"
run_agent self
self=$(samples_of "$AGENT_PID" "$T/self/deliveries.jsonl")
all=$(cat "$T/self/deliveries.jsonl" | "$PY" -c 'import json,sys; print(sum(sum(json.loads(l)["pids"].values()) for l in sys.stdin))')
echo "agent: $self of $all samples delivered are its own (pid $AGENT_PID)"
[ "$all" -ge 500 ] || fail "too few samples ($all) to judge"
[ "$self" = 0 ] || fail "the agent sampled itself: $self samples of pid $AGENT_PID"
echo "ok   no sample of the agent's own pid"

note "metric labels are snake_case"
grep -q 'cprof_unwind_stops_total{stop="stack_unreadable"}' "$T/self.metrics" ||
	{ grep unwind_stops "$T/self.metrics"; fail "no stop=\"stack_unreadable\" series"; }
# a version ("3.11", cprof's own in cprof_build_info) is a version's own form
bad=$(grep -v '^#' "$T/self.metrics" | grep -v '^cprof_build_info{' | grep -o '[a-z_]*="[^"]*"' |
	grep -v '^version="[0-9.]*"$' | grep -v '^[a-z_]*="[a-z0-9_]*"$' | sort -u)
[ -z "$bad" ] || fail "label values that are not snake_case: $bad"
echo "ok   every label value is snake_case"

note "--profile-self: the agent's own samples are there"
run_agent with-self --profile-self
self=$(samples_of "$AGENT_PID" "$T/with-self/deliveries.jsonl")
echo "agent --profile-self: $self samples of its own pid $AGENT_PID"
[ "$self" -ge 1 ] || fail "--profile-self: no sample of the agent's own pid"
echo "ok   --profile-self samples the agent"

note "cprof record -a leaves itself out; --profile-self keeps it"
for mode in out in; do
	extra=(); [ "$mode" = in ] && extra=(--profile-self)
	"$CPROF" record -a -F 997 -d 4 -q "${extra[@]}" -o "$T/rec-$mode.pb.gz" 2>"$T/rec-$mode.err" &
	rec=$!
	PIDS+=($rec)
	sleep 0.5
	"$CHURN" 2000 4 1 "$T/rec-$mode.pids" || fail "the churn fixture failed"
	wait "$rec" || { cat "$T/rec-$mode.err"; fail "record -a ${extra[*]} exited $?"; }
	pprof_pids "$T/rec-$mode.pb.gz" >"$T/rec-$mode.pids.txt" || fail "reading the profile"
	mine=$(pid_samples "$rec" "$T/rec-$mode.pids.txt")
	total=$(pid_samples total "$T/rec-$mode.pids.txt")
	echo "record -a ${extra[*]}: $mine of $total samples are cprof's own (pid $rec)"
	[ "$total" -ge 500 ] || fail "too few samples ($total) to judge"
	if [ "$mode" = out ]; then
		[ "$mine" = 0 ] || fail "record -a sampled itself: $mine samples"
	else
		[ "$mine" -ge 1 ] || fail "record -a --profile-self: no sample of cprof"
	fi
done
echo "ok   record -a: itself out by default, in with --profile-self"
echo "PASS"
