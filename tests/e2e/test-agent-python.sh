#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent's /metrics counts the Python frames lost, from the same table
# as record's summary lines and the profile comments (profiler/core/losses):
# cprof_python_frames_lost_total{reason,version}. A CPython without a known
# layout (pyenv's 3.6) and Debian's python3 run under the agent (file://
# deltas, -i 1): the 3.6 process's samples are counted as
# reason="unknown_version",version="3.6", at least 80 % of the samples the
# deltas delivered before the scrape hold for it, and no 3.11 sample is;
# the delivered profiles say the same loss in a comment. Needs root; exits
# 77 with SKIP otherwise, or without a pyenv 3.6.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
FIX=$ROOT/tests/fixtures
PY36=$(ls -d "$HOME"/.pyenv/versions/3.6.*/bin/python3 2>/dev/null | tail -1)
[ -n "$PY36" ] || skip "no pyenv CPython 3.6 (a version without a layout) on this machine"
command -v go >/dev/null || skip "go tool pprof reads the deltas"

"$PY36" "$FIX/py_work.py" 8 &
old=$!
PIDS+=($old)
/usr/bin/python3 "$FIX/py_work.py" 8 &
new=$!
PIDS+=($new)
mport=$(free_port)
M=http://127.0.0.1:$mport/metrics
start_agent "$T/agent.log" --url "file://$T/out" -i 1 -p "$old" -p "$new" \
	--spool-dir "$T/spool" --metrics-addr "127.0.0.1:$mport"
wait_for 20 "[ \$(windows_logged '$T/agent.log') -ge 3 ]" || { cat "$T/agent.log"; fail "no windows"; }

# the samples of the 3.6 process in the deltas delivered so far, then the
# metrics (a drain happens before each window closes: they count at least
# as many)
delivered=0
for f in "$T"/out/*.pb.gz; do
	n=$(pprof_pids "$f" | awk -v p="$old" '$1 == p { print $2 }')
	delivered=$((delivered + ${n:-0}))
done
curl -s --max-time 5 "$M" >"$T/metrics.txt"
stop_agent "$AGENT_PID" "$T/agent.log"
grep '^cprof_python_frames_lost_total' "$T/metrics.txt"
lost=$(awk '$1 == "cprof_python_frames_lost_total{reason=\"unknown_version\",version=\"3.6\"}" { print $2 }' \
	"$T/metrics.txt")
grep -q '^# TYPE cprof_python_frames_lost_total counter$' "$T/metrics.txt" ||
	fail "no cprof_python_frames_lost_total family in /metrics"
[ -n "$lost" ] || fail "no unknown_version 3.6 series in /metrics"
echo "3.6 samples delivered before the scrape: $delivered; counted lost: $lost"
[ "$delivered" -gt 0 ] || fail "no samples of the 3.6 process were delivered"
[ "$lost" -ge $((delivered * 8 / 10)) ] || fail "$lost lost samples counted, want >= 80 % of $delivered"
! grep -q 'reason="unknown_version",version="3.11"' "$T/metrics.txt" ||
	fail "Debian's 3.11 counted as an unknown version"
last=$(ls "$T"/out/*.pb.gz | tail -1)
go tool pprof -comments "$last" 2>/dev/null | grep -q "Python frames lost: [0-9]* samples of Python 3.6: unknown version" ||
	fail "the last delta has no comment on the 3.6 loss"
echo "PASS test-agent-python"
