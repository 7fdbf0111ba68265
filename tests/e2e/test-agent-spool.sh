#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The spool across crashes, stops and its bound: an agent SIGKILLed while the
# backend is away leaves its profiles in the spool, and the next agent sends
# them first (nothing lost, nothing doubled across both runs); SIGTERM in the
# middle of a window ships that partial window; over --spool-max-bytes the
# oldest profiles are dropped, counted, and the count is in the metrics; two
# agents cannot share one spool directory.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
FAST=(-F 99 --comm '^work$' --retry-backoff-min 0.1 --retry-backoff-max 0.4)

note "SIGKILL with a non-empty spool, then a restart"
port=$(free_port)
start_work 12
start_agent "$T/run1.log" --url "pyroscope://127.0.0.1:$port" -i 1 "${FAST[@]}" --spool-dir "$T/spool"
wait_for 15 "[ \$(windows_logged $T/run1.log) -ge 3 ]" || fail "no windows"
# mid-window: half an interval after a window closed
n=$(windows_logged "$T/run1.log")
wait_for 5 "[ \$(windows_logged $T/run1.log) -gt $n ]"
sleep 0.5
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
spooled=$(ls "$T/spool" | grep -c '\.spool$')
[ "$spooled" -ge 3 ] || fail "only $spooled profiles in the spool after SIGKILL"
ls -a "$T/spool" | grep -q '^\.tmp-' && echo "(a temporary spool file was left; the next start deletes it)"
start_receiver restart pyroscope "$port"
start_agent "$T/run2.log" --url "pyroscope://127.0.0.1:$port" -i 1 "${FAST[@]}" --spool-dir "$T/spool"
grep -q "found $spooled profiles" "$T/run2.log" || { cat "$T/run2.log"; fail "the restart did not pick up the spool"; }
wait_for 15 "[ \$(windows_logged $T/run2.log) -ge 2 ]" || fail "no windows after the restart"
stop_agent "$AGENT_PID" "$T/run2.log"
[ -z "$(ls "$T/spool" | grep '\.spool$')" ] || fail "the spool is not empty at the end"
check --out "$T/restart" --agent-log "$T/run1.log" --agent-log "$T/run2.log" --service work \
	--leaf hot_a --min-deltas 5
stop_pid "$RECEIVER_PID"
stop_pid "$WORK_PID"

note "SIGTERM mid-window ships the partial window"
port=$(free_port)
start_receiver term otlp "$port"
start_work 6
start_agent "$T/term.log" --url "otlp://127.0.0.1:$port" -i 30 "${FAST[@]}"
sleep 2
stop_agent "$AGENT_PID" "$T/term.log"
check --out "$T/term" --agent-log "$T/term.log" --service work --leaf hot_a
"$PY" - "$T/term/deliveries.jsonl" <<'EOF' || fail "the partial window is wrong"
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1])]
assert len(ds) == 1, ds
d = ds[0]['duration_nanos'] / 1e9
assert 1.0 < d < 10, 'duration %.2f s for a window stopped after ~2 s of 30' % d
EOF
stop_pid "$WORK_PID"

note "spool bound: oldest dropped, counted, in the metrics"
port=$(free_port)
mport=$(free_port)
start_work 10
start_agent "$T/limit.log" --url "parca://127.0.0.1:$port" -i 1 "${FAST[@]}" --spool-dir "$T/spool2" \
	--spool-max-bytes 6K --metrics-addr "127.0.0.1:$mport"
wait_for 20 "[ \"\$(metric_value http://127.0.0.1:$mport/metrics cprof_spool_dropped_profiles_total)\" -ge 2 ] 2>/dev/null" ||
	{ cat "$T/limit.log"; curl -s "http://127.0.0.1:$mport/metrics" | grep spool; fail "the spool never dropped"; }
bytes=$(metric_value "http://127.0.0.1:$mport/metrics" cprof_spool_bytes)
[ "$bytes" -le 6144 ] || fail "the spool holds $bytes bytes over a 6K bound"
du=$(du -b "$T/spool2" --exclude=.lock | tail -n1 | cut -f1)
start_receiver limit parca "$port"
wait_for 15 "grep -q 'reachable again' $T/limit.log" || fail "no recovery"
sleep 1.5
dropped_metric=$(metric_value "http://127.0.0.1:$mport/metrics" cprof_spool_dropped_samples_total)
stop_agent "$AGENT_PID" "$T/limit.log"
check --out "$T/limit" --agent-log "$T/limit.log" --service work --expect-dropped
dropped_log=$(grep -o 'spool dropped [0-9]* profiles ([0-9]* samples)' "$T/limit.log" | grep -o '([0-9]*' | tr -d '(')
[ "$dropped_metric" -le "$dropped_log" ] && [ "$dropped_metric" -gt 0 ] ||
	fail "metrics say $dropped_metric samples dropped, the log $dropped_log"
echo "spool bound: $dropped_log samples dropped (metrics: $dropped_metric before the stop), spool dir ${du} bytes"
stop_pid "$WORK_PID"

note "one spool, one agent"
start_agent "$T/lock1.log" --url "file://$T/files" -i 1 "${FAST[@]}" --spool-dir "$T/spool3"
first=$AGENT_PID
"$CPROF" agent --url "file://$T/files" --spool-dir "$T/spool3" >"$T/lock2.log" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "a second agent on the same spool exited $rc, want 1"
grep -q 'in use by another cprof agent' "$T/lock2.log" || { cat "$T/lock2.log"; fail "no clear message"; }
stop_agent "$first" "$T/lock1.log"
echo "PASS"
