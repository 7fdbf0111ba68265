#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the agent does with replies that are not a backend's success reply,
# and with its secrets. With the ground-truth workload running:
#  - a 200 carrying an HTML page or random bytes (each backend), a Parca 200
#    without a grpc-status, redirects (307, 308), and 401/403 for a while:
#    nothing is deleted, each is counted by reason, and once the receiver
#    answers properly every window arrives (delivered + dropped + rejected =
#    what the agent counted);
#  - an OTLP partial success refusing every profile: counted as rejected
#    (not delivered), with the collector's reason;
#  - a Retry-After of 99999999999999999999 is clamped (300 s), the agent
#    keeps sampling, and its shutdown flush delivers everything;
#  - a receiver that echoes the request headers (Authorization included, and
#    the decoded basic credentials) into its error bodies: neither the token
#    nor the password, nor its base64, nor a 16-byte piece of them appears
#    in the agent's log or in its metrics;
#  - a URL with user:password is refused without repeating the password, at
#    start and on a SIGHUP reload; a 5000-byte token is refused at start
#    without printing it.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
# --pid, not --comm: the agent then never reads what other processes of this
# (shared, maybe busy) machine map, so only the backend's replies vary here.
FAST=(-i 1 -F 99 --retry-backoff-min 0.1 --retry-backoff-max 0.4)

# failures LOG REASON: the count the agent's summary gives for REASON
failures() { grep -o "upload failures: .*" "$1" | grep -o "$2 [0-9]*" | awk '{print $2}'; }
# no_piece FILE SECRET WHAT: no 16-byte piece of SECRET in FILE
no_piece() {
	"$PY" - "$1" "$2" "$3" <<'EOF' || fail "$3"
import sys
text = open(sys.argv[1], errors='replace').read()
secret = sys.argv[2]
for i in range(0, max(1, len(secret) - 15)):
    piece = secret[i:i + 16]
    if piece in text:
        print('%s: %r found at offset %d' % (sys.argv[3], piece, text.index(piece)))
        sys.exit(1)
EOF
}

# run_bad NAME BACKEND SCRIPT "REASON MIN": one agent against a receiver
# answering SCRIPT, then "ok"; every window must arrive, and the summary
# must count at least MIN failures of REASON.
run_bad() {
	local name=$1 backend=$2 script=$3 port log; shift 3
	port=$(free_port)
	log=$T/$name.log
	start_receiver "$name" "$backend" "$port" --script "$script"
	start_work 60	# stopped below; windows keep coming however loaded the machine is
	start_agent "$log" --url "$backend://127.0.0.1:$port" "${FAST[@]}" --pid "$WORK_PID" --spool-dir "$T/spool-$name"
	wait_for 40 "[ \$(answered $T/$name) -ge 2 ] && [ \$(windows_logged $log) -ge 4 ]" ||
		{ cat "$log"; fail "$name: nothing delivered once the receiver answered properly"; }
	stop_agent "$AGENT_PID" "$log"
	stop_pid "$WORK_PID"
	stop_pid "$RECEIVER_PID"
	[ -z "$(ls "$T/spool-$name" | grep '\.spool$')" ] || fail "$name: the spool is not empty"
	grep -q 'rejected 0 profiles (0 samples)' "$log" || { cat "$log"; fail "$name: profiles were rejected"; }
	check --out "$T/$name" --agent-log "$log" --service work --leaf hot_a --min-deltas 4
	local want=$1 reason=${1% *} count
	count=$(failures "$log" "$reason")
	[ "${count:-0}" -ge "${want#* }" ] ||
		{ cat "$log"; fail "$name: $reason counted ${count:-0} times, want at least ${want#* }"; }
	grep -q "failed ($reason" "$log" || { cat "$log"; fail "$name: the $reason failure was not logged"; }
}

note "pyroscope: 200 with HTML, 200 with random bytes: kept, retried, counted"
run_bad pyro-bad pyroscope html,garbage,html,ok "bad_reply 3"
grep -q 'not a Pyroscope push reply (Content-Type text/html' "$T/pyro-bad.log" ||
	{ cat "$T/pyro-bad.log"; fail "the HTML reply is not described"; }

note "parca: 200 with random bytes, 200 without grpc-status"
run_bad parca-bad parca garbage,nostatus,html,ok "bad_reply 3"

note "otlp: 200 with HTML, 200 with random bytes"
run_bad otlp-bad otlp html,garbage,ok "bad_reply 2"

note "redirects: never followed, never a reason to delete"
run_bad redirect pyroscope 307,308,301,ok "redirect 3"
grep -q 'HTTP 307 redirect to http://127.0.0.1:9/moved' "$T/redirect.log" ||
	{ cat "$T/redirect.log"; fail "the redirect's target is not logged"; }

note "401 and 403 for a while, then 200: everything delivered"
run_bad auth parca 401,403,401,403,ok "auth 4"

note "otlp partial success: the refused profiles are counted as rejected, with the reason"
port=$(free_port)
start_receiver partial otlp "$port" --script partial,ok,partial
start_work 60
start_agent "$T/partial.log" --url "otlp://127.0.0.1:$port" "${FAST[@]}" --pid "$WORK_PID"
wait_for 40 "[ \$(answered $T/partial) -ge 2 ] && [ \$(windows_logged $T/partial.log) -ge 4 ]" ||
	{ cat "$T/partial.log"; fail "partial: no delivery after the partial successes"; }
stop_agent "$AGENT_PID" "$T/partial.log"
stop_pid "$WORK_PID"
stop_pid "$RECEIVER_PID"
grep -q 'rejected [0-9]* profiles (.*partial_success (HTTP 200)' "$T/partial.log" ||
	{ cat "$T/partial.log"; fail "the partial success is not reported as a rejection"; }
grep -q 'the server said: profiles too old' "$T/partial.log" || fail "the collector's reason is not logged"
[ "$(failures "$T/partial.log" partial_success)" = 2 ] || { cat "$T/partial.log"; fail "partial successes not counted"; }
check --out "$T/partial" --agent-log "$T/partial.log" --service work --min-deltas 2

note "Retry-After: 99999999999999999999 is clamped to 300 s; the agent keeps working"
port=$(free_port)
start_receiver huge otlp "$port" --script hugeretry
start_work 60
start_agent "$T/huge.log" --url "otlp://127.0.0.1:$port" "${FAST[@]}" --pid "$WORK_PID" --spool-dir "$T/spool-huge"
wait_for 15 "grep -q 'failed (http_5xx' $T/huge.log" || { cat "$T/huge.log"; fail "no 503"; }
grep -q 'retrying in 300.0 s' "$T/huge.log" || { cat "$T/huge.log"; fail "Retry-After not clamped to 300 s"; }
w0=$(windows_logged "$T/huge.log")
wait_for 30 "[ \$(windows_logged $T/huge.log) -ge $((w0 + 3)) ]" || fail "the agent stopped sampling"
[ "$(answered "$T/huge")" = 0 ] || fail "the agent did not wait as told"
stop_agent "$AGENT_PID" "$T/huge.log"	# the shutdown flush skips the wait
check --out "$T/huge" --agent-log "$T/huge.log" --service work --leaf hot_a --min-deltas 3
stop_pid "$WORK_PID"
stop_pid "$RECEIVER_PID"

note "a backend that echoes the request headers: the token is nowhere in logs or metrics"
token=$(head -c 600 /dev/urandom | base64 -w0 | tr -d '/+=' | head -c 700)
printf '%s\n' "$token" >"$T/token"
port=$(free_port)
mport=$(free_port)
start_receiver echo pyroscope "$port" --script echo,echo200,echo,echo400
start_work 60
start_agent "$T/echo.log" --url "pyroscope://127.0.0.1:$port" "${FAST[@]}" --pid "$WORK_PID" \
	--bearer-token-file "$T/token" --metrics-addr "127.0.0.1:$mport"
wait_for 40 "[ \$(answered $T/echo) -ge 1 ] && [ \$(windows_logged $T/echo.log) -ge 5 ]" || { cat "$T/echo.log"; fail "no delivery after the echoes"; }
curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" >"$T/echo.metrics"
stop_agent "$AGENT_PID" "$T/echo.log"
stop_pid "$WORK_PID"
stop_pid "$RECEIVER_PID"
no_piece "$T/echo.log" "$token" "the bearer token is in the agent's log"
no_piece "$T/echo.metrics" "$token" "the bearer token is in the metrics"
grep -q 'Authorization: Bearer \*\*\*\*' "$T/echo.log" || { cat "$T/echo.log"; fail "the echoed bodies were not logged, masked"; }
grep -q 'the server said' "$T/echo.log" || { cat "$T/echo.log"; fail "the 400's body was not logged"; }
grep -q 'cprof_upload_failures_total{reason="bad_reply"} 1' "$T/echo.metrics" ||
	{ cat "$T/echo.metrics"; fail "the echoing 200 is not counted as a bad reply"; }
check --out "$T/echo" --agent-log "$T/echo.log" --service work

note "the same with basic auth over Parca (grpc-message echoes it too)"
port=$(free_port)
password=$(head -c 300 /dev/urandom | base64 -w0 | tr -d '/+=' | head -c 40)
printf 'agent:%s\n' "$password" >"$T/basic"
start_receiver echo2 parca "$port" --script echo,echo200,echo400,echo
start_work 60
start_agent "$T/echo2.log" --url "parca://127.0.0.1:$port" "${FAST[@]}" --pid "$WORK_PID" --basic-auth-file "$T/basic"
wait_for 40 "[ \$(answered $T/echo2) -ge 1 ] && [ \$(windows_logged $T/echo2.log) -ge 5 ]" || { cat "$T/echo2.log"; fail "no delivery after the echoes"; }
stop_agent "$AGENT_PID" "$T/echo2.log"
stop_pid "$WORK_PID"
stop_pid "$RECEIVER_PID"
no_piece "$T/echo2.log" "$password" "the password is in the agent's log"
no_piece "$T/echo2.log" "$(printf 'agent:%s' "$password" | base64 -w0)" "the base64 credentials are in the agent's log"
check --out "$T/echo2" --agent-log "$T/echo2.log" --service work

note "a URL with user:password is refused without printing the password"
"$CPROF" agent --url "pyroscope://agent:Pa55w0rd-xyzzy@127.0.0.1:4040" >"$T/url.out" 2>&1
rc=$?
[ "$rc" = 2 ] || { cat "$T/url.out"; fail "exit $rc for credentials in the URL, want 2"; }
grep -q 'credentials do not go in the URL' "$T/url.out" || { cat "$T/url.out"; fail "no reason given"; }
grep -q 'Pa55w0rd' "$T/url.out" && { cat "$T/url.out"; fail "the password was printed"; }

note "... and on a SIGHUP reload"
port=$(free_port)
start_receiver reload pyroscope "$port"
printf 'url = pyroscope://127.0.0.1:%s\n' "$port" >"$T/agent.conf"
start_work 4
start_agent "$T/reload.log" --config "$T/agent.conf" "${FAST[@]}" --pid "$WORK_PID"
printf 'url = pyroscope://agent:Pa55w0rd-xyzzy@127.0.0.1:%s\n' "$port" >"$T/agent.conf"
kill -HUP "$AGENT_PID"
wait_for 10 "grep -q 'keeping the running configuration' $T/reload.log" ||
	{ cat "$T/reload.log"; fail "the reload was not refused"; }
stop_agent "$AGENT_PID" "$T/reload.log"
stop_pid "$WORK_PID"
stop_pid "$RECEIVER_PID"
grep -q 'Pa55w0rd' "$T/reload.log" && { cat "$T/reload.log"; fail "the password was printed on reload"; }
grep -q 'pyroscope://\*\*\*@127.0.0.1' "$T/reload.log" || { cat "$T/reload.log"; fail "the URL is not shown redacted"; }

note "a 5000-byte token is refused at start, without printing it"
head -c 4000 /dev/urandom | base64 -w0 | tr -d '/+=' | head -c 5000 >"$T/long-token"
[ "$(wc -c <"$T/long-token")" = 5000 ] || fail "could not make a 5000-byte token"
"$CPROF" agent --url "pyroscope://127.0.0.1:1" --bearer-token-file "$T/long-token" "${FAST[@]}" \
	>"$T/long.out" 2>&1 &
pid=$!
PIDS+=($pid)
wait_for 20 "! kill -0 $pid 2>/dev/null" || { cat "$T/long.out"; fail "the agent started with a 5000-byte token"; }
wait "$pid"; rc=$?
[ "$rc" = 1 ] || [ "$rc" = 2 ] || { cat "$T/long.out"; fail "exit $rc for a 5000-byte token, want 1 or 2"; }
grep -q 'refused rather than cut' "$T/long.out" || { cat "$T/long.out"; fail "no clear reason for the refusal"; }
no_piece "$T/long.out" "$(cat "$T/long-token")" "the long token was printed"
echo "PASS"
