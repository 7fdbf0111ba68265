#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent pays nothing for processes it never samples: with --unwind auto
# an exec stays in the kernel until its process is first sampled or has
# lived half a sampling period (bpf/sample.bpf.c, exec_wait). At 19 Hz that
# is 26 ms: 400 processes that each burn ~1 ms and exit are mostly never
# sampled, and their execs must end in the kernel, counted, not read by the
# agent. (That the sampled ones still come out whole and under their own
# name is test-agent-churn's, at 997 Hz, where the hold is 0.5 ms.)
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
CHURN=$OUT/fixtures/churn
[ -x "$CHURN" ] || fail "$CHURN is not built"

port=$(free_port)
mport=$(free_port)
M=http://127.0.0.1:$mport/metrics
start_receiver hold pyroscope "$port"
start_agent "$T/agent.log" --url "pyroscope://127.0.0.1:$port" -i 1 -F 19 --metrics-addr "127.0.0.1:$mport"
wait_for 15 "[ \$(windows_logged $T/agent.log) -ge 1 ]" || fail "no windows"
held0=$(metric_value "$M" cprof_process_execs_unsampled_total)
"$CHURN" 400 2 1 "$T/pids" || fail "the churn fixture failed"
n=$(windows_logged "$T/agent.log")
wait_for 10 "[ \$(windows_logged $T/agent.log) -ge $((n + 2)) ]" || fail "windows stopped"
held=$(( $(metric_value "$M" cprof_process_execs_unsampled_total) - held0 ))
stop_agent "$AGENT_PID" "$T/agent.log"
echo "exec-hold: $held processes exited unsampled during the churn of 400, their execs never sent"
# ~2 ms of life each at 19 Hz: about 4 % are sampled. Sending every exec
# (the old way) counts none. (Other short processes of the machine count
# too: no upper bound.)
[ "$held" -ge 300 ] || fail "only $held of 400 unsampled execs stayed in the kernel"
echo "PASS"
