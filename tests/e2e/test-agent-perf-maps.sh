#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A whole-machine agent and a root JIT-like process whose /tmp/perf-PID.map
# is a FIFO: the agent keeps closing windows (it used to block in open()
# forever, ship nothing and ignore SIGTERM), counts the refusal in
# cprof_files_refused_total, and exits 0 on SIGTERM.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
command -v curl >/dev/null || skip "curl is not installed"
[ "$(uname -m)" = x86_64 ] || skip "the JIT fixture writes x86-64 code"
JIT=$OUT/fixtures/jit_burn
[ -x "$JIT" ] || fail "$JIT is not built"

"$JIT" 60 >"$T/jit.out" 2>&1 &
PIDS+=($!)
JIT_PID=$!
MAP=/tmp/perf-$JIT_PID.map
trap 'rm -f "$MAP"; cleanup' EXIT
wait_for 10 "grep -qs ready '$T/jit.out'" || fail "jit_burn did not start"
rm -f "$MAP"
mkfifo "$MAP"

mport=$(free_port)
cat >"$T/agent.conf" <<CONF
url = file://$T/out
interval = 1
frequency = 49
metrics-addr = 127.0.0.1:$mport
CONF
start_agent "$T/agent.log" --config "$T/agent.conf"
wait_for 20 "[ \$(windows_logged '$T/agent.log') -ge 3 ]" ||
	{ cat "$T/agent.log"; fail "the agent closed $(windows_logged "$T/agent.log") windows in 20 s with a FIFO perf map"; }
echo "ok   the agent closed 3 windows with a FIFO at $MAP"
n=$(metric_value "http://127.0.0.1:$mport/metrics" \
	'cprof_files_refused_total{kind="perf_map",reason="not_regular"}')
[ "${n:-0}" -ge 1 ] 2>/dev/null || fail "perf map refusal not counted in the metrics (got '${n:-}')"
echo "ok   cprof_files_refused_total{kind=\"perf_map\",reason=\"not_regular\"} $n"
stop_agent "$AGENT_PID" "$T/agent.log"
echo "ok   the agent exited 0 on SIGTERM"
