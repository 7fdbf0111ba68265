#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nothing lost, nothing doubled while the backend misbehaves: with the
# ground-truth workload running, the samples of all distinct deltas delivered
# (plus those the agent reports as rejected) equal what the agent counted,
# when the backend is down at start and comes up later, answers 500s and
# 429s, resets connections mid-request, answers slower than the timeout (the
# resend repeats the delta's id, so the receiver sees the same delta twice and
# counts it once), or refuses a request for good (400: counted, not retried).
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
FAST=(-i 1 -F 99 --comm '^work$' --retry-backoff-min 0.1 --retry-backoff-max 0.4)

note "backend down at start, then up: the spool is replayed in order"
port=$(free_port)
start_work 8
start_agent "$T/down.log" --url "pyroscope://127.0.0.1:$port" "${FAST[@]}" --spool-dir "$T/spool-down"
wait_for 15 "[ \$(windows_logged $T/down.log) -ge 3 ]" || fail "no windows"
n=$(ls "$T/spool-down" | grep -c '\.spool$')
[ "$n" -ge 2 ] || fail "the spool holds $n profiles while the backend is down"
grep -q 'failed (connect' "$T/down.log" || { cat "$T/down.log"; fail "connection failures not reported"; }
start_receiver down pyroscope "$port"
wait_for 15 "grep -q 'reachable again' $T/down.log" || { cat "$T/down.log"; fail "no recovery"; }
sleep 1.5
stop_agent "$AGENT_PID" "$T/down.log"
[ -z "$(ls "$T/spool-down" | grep '\.spool$')" ] || fail "the spool is not empty after the backend came back"
check --out "$T/down" --agent-log "$T/down.log" --service work --leaf hot_a --min-deltas 5
# replayed in order: the first request holds the oldest window
"$PY" - "$T/down/deliveries.jsonl" <<'EOF' || fail "replay out of order"
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1])]
times = [d['time_nanos'] for d in ds]
assert times == sorted(times), times
EOF
stop_pid "$RECEIVER_PID"
stop_pid "$WORK_PID"

note "500s and 429s: retried with backoff"
port=$(free_port)
start_receiver http5xx otlp "$port" --script 500,429,503,500,ok,502,429
start_work 6
start_agent "$T/5xx.log" --url "otlp://127.0.0.1:$port" "${FAST[@]}"
wait_for 20 "[ \$(answered $T/http5xx) -ge 3 ]" ||
	{ cat "$T/5xx.log"; fail "no deliveries after the 5xx"; }
stop_agent "$AGENT_PID" "$T/5xx.log"
check --out "$T/http5xx" --agent-log "$T/5xx.log" --service work --leaf hot_a
grep -q 'upload failures: .*http_429 2, http_5xx 4' "$T/5xx.log" || { cat "$T/5xx.log"; fail "5xx/429 not counted"; }
stop_pid "$WORK_PID"

note "connection reset mid-request"
port=$(free_port)
start_receiver reset parca "$port" --script reset,ok,reset,reset,ok,reset
start_work 6
start_agent "$T/reset.log" --url "parca://127.0.0.1:$port" "${FAST[@]}"
wait_for 20 "[ \$(answered $T/reset) -ge 3 ]" ||
	{ cat "$T/reset.log"; fail "no deliveries after resets"; }
stop_agent "$AGENT_PID" "$T/reset.log"
check --out "$T/reset" --agent-log "$T/reset.log" --service work --leaf hot_a
grep -q 'connection_reset' "$T/reset.log" || { cat "$T/reset.log"; fail "resets not reported"; }
stop_pid "$WORK_PID"

note "responses slower than the timeout: resent with the same id, counted once"
port=$(free_port)
start_receiver slow pyroscope "$port" --script delay,delay --delay 1.5
start_work 6
start_agent "$T/slow.log" --url "pyroscope://127.0.0.1:$port" "${FAST[@]}" --upload-timeout 0.5
wait_for 20 "[ \$(answered $T/slow) -ge 2 ]" ||
	{ cat "$T/slow.log"; fail "no deliveries after timeouts"; }
stop_agent "$AGENT_PID" "$T/slow.log"
check --out "$T/slow" --agent-log "$T/slow.log" --service work --min-dups 1
grep -q 'failed (timeout' "$T/slow.log" || fail "timeouts not reported"
stop_pid "$WORK_PID"

note "400: logged, counted, not retried"
port=$(free_port)
start_receiver bad pyroscope "$port" --script 400
start_work 5
start_agent "$T/bad.log" --url "pyroscope://127.0.0.1:$port" "${FAST[@]}"
wait_for 15 "[ \$(windows_logged $T/bad.log) -ge 3 ]" || fail "no windows"
stop_agent "$AGENT_PID" "$T/bad.log"
grep -q 'rejected .* not retried' "$T/bad.log" || { cat "$T/bad.log"; fail "the 400 was not logged"; }
grep -q 'fault injected by the test receiver' "$T/bad.log" || fail "the server's message was not logged"
check --out "$T/bad" --agent-log "$T/bad.log" --service work
rejected=$(grep -o 'rejected [0-9]* profiles' "$T/bad.log" | tail -n1 | awk '{print $2}')
[ "$rejected" -ge 1 ] || fail "rejected profiles not counted"
[ "$(grep -c '"action": "400"' "$T/bad/requests.jsonl")" = 1 ] || fail "the 400 was retried"
echo "PASS"
