#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Process churn: 5,000 short-lived processes (each burns ~1 ms and exits)
# while the agent profiles the whole machine at 997 Hz. Every churned process
# that has samples is attributed to its service ("churn", its executable),
# even those gone before /proc could be read; the agent's memory stays
# bounded, and once the churn is over and its windows shipped, the exited
# processes are forgotten (symbolizer and attribution caches, and the kernel
# walk's entries, back to a handful). Nothing lost, nothing doubled.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
CHURN=$OUT/fixtures/churn
[ -x "$CHURN" ] || fail "$CHURN is not built"

port=$(free_port)
mport=$(free_port)
M=http://127.0.0.1:$mport/metrics
start_receiver churn pyroscope "$port"
start_agent "$T/agent.log" --url "pyroscope://127.0.0.1:$port" -i 1 -F 997 --metrics-addr "127.0.0.1:$mport"
wait_for 15 "[ \$(windows_logged $T/agent.log) -ge 2 ]" || fail "no windows"
rss0=$(metric_value "$M" process_resident_memory_bytes)
start=$(date +%s.%N)
"$CHURN" 5000 4 1 "$T/pids" || fail "the churn fixture failed"
secs=$(echo "$(date +%s.%N) - $start" | bc)
rss1=$(metric_value "$M" process_resident_memory_bytes)
# two windows after the churn: its last samples shipped, its processes forgotten
n=$(windows_logged "$T/agent.log")
wait_for 10 "[ \$(windows_logged $T/agent.log) -ge $((n + 2)) ]" || fail "windows stopped"
sleep 0.3
curl -s --max-time 5 "$M" >"$T/metrics.txt"
# the kernel walk's entries of the churned processes went with them (the
# kernel takes out most at the exit, the agent the rest)
kentries=-1
if command -v bpftool >/dev/null; then
	id=$(bpf_maps_of "$AGENT_PID" uw_procs)
	[ -n "$id" ] || fail "the agent has no uw_procs map"
	kentries=$(bpftool map dump id "$id" -j | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')
fi
stop_agent "$AGENT_PID" "$T/agent.log"
check --out "$T/churn" --agent-log "$T/agent.log" --service churn --leaf churn_burn
value() { awk -v n="$1" '$1 == n { print $2; exit }' "$T/metrics.txt"; }
sym=$(value cprof_symbolizer_processes)
cache=$(value cprof_process_cache_entries)
forgotten=$(value cprof_processes_forgotten_total)
gone=$(value cprof_process_gone_before_read_total)
rss2=$(value process_resident_memory_bytes)
echo "churn: 5000 processes in ${secs} s; agent RSS $((rss0 >> 20)) MiB before, $((rss1 >> 20)) MiB after," \
	"$((rss2 >> 20)) MiB two windows later; symbolizer holds $sym processes, attribution $cache;" \
	"$forgotten forgotten, $gone gone before /proc could be read; $kentries kernel walk entries"
"$PY" - "$T/churn/deliveries.jsonl" "$T/pids" <<'EOF' || fail "churned processes misattributed"
import json, sys
churn = set(int(l) for l in open(sys.argv[2]))
assert len(churn) == 5000, len(churn)
services = {}
for l in open(sys.argv[1]):
    d = json.loads(l)
    for pid in d['pids']:
        services.setdefault(int(pid), set()).add(d['service'])
sampled = [p for p in churn if p in services]
bad = [(p, sorted(services[p])) for p in sampled if services[p] != {'churn'}]
print('churn: %d of 5000 processes have samples, %d attributed elsewhere %s' %
      (len(sampled), len(bad), bad[:5]))
assert len(sampled) >= 1000, 'too few churned processes sampled to judge'
assert not bad
EOF
[ "$sym" -le 200 ] || fail "the symbolizer still holds $sym processes after the churn"
[ "$cache" -le 200 ] || fail "the attribution cache still holds $cache processes after the churn"
[ "$kentries" -le 200 ] || fail "the kernel still holds $kentries processes' walk entries after the churn"
[ "$forgotten" -ge 1000 ] || fail "only $forgotten processes forgotten"
[ $(( (rss2 - rss0) >> 20 )) -le 64 ] || fail "RSS grew by $(( (rss2 - rss0) >> 20 )) MiB over the churn"
echo "ok   churned processes attributed and forgotten"

# A burst at 1 Hz: most of it is never sampled, so nothing wakes the
# agent's loop, which waits up to a second between polls; the mapping rings
# wake it as they fill (a quarter full), and no mapping record is lost.
mport=$(free_port)
M=http://127.0.0.1:$mport/metrics
start_agent "$T/burst.log" --url "file://$T/burst" -i 1 -F 1 --metrics-addr "127.0.0.1:$mport"
wait_for 15 "[ \$(windows_logged $T/burst.log) -ge 1 ]" || fail "no windows"
r0=$(metric_value "$M" cprof_mapping_records_total)
start=$(date +%s.%N)
"$CHURN" 4000 8 0 /dev/null || fail "the churn fixture failed"
secs=$(echo "$(date +%s.%N) - $start" | bc)
n=$(windows_logged "$T/burst.log")
wait_for 10 "[ \$(windows_logged $T/burst.log) -ge $((n + 2)) ]" || fail "windows stopped"
r1=$(metric_value "$M" cprof_mapping_records_total)
lost=$(metric_value "$M" cprof_mapping_records_lost_total)
stop_agent "$AGENT_PID" "$T/burst.log"
echo "burst: 4000 processes in ${secs} s; $((r1 - r0)) mapping records read, $lost lost"
[ $((r1 - r0)) -ge 16000 ] || fail "only $((r1 - r0)) mapping records for 4000 processes"
[ "$lost" = 0 ] || fail "$lost mapping records lost in the burst"
echo "PASS"
